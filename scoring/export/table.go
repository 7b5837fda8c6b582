package export

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/breachpath/breachpath/scoring"
)

// maxCell keeps the terminal table readable; the other formats are complete.
const maxCell = 48

func writeTable(w io.Writer, r *scoring.Report) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "RANK\tPRIORITY\tSEVERITY\tFINDING\tRESOURCE\tOWNER\tPATHS\tLABEL")
	for i, row := range r.Queue {
		f := row.Finding
		fmt.Fprintf(tw, "%d\t%.1f\t%s\t%s\t%s\t%s\t%d\t%s\n", i+1, row.Priority, f.Severity,
			cell(f.RuleID), cell(f.Resource), cell(orDash(row.Owner)), row.Paths, row.Label)
	}
	if r.Truncated {
		fmt.Fprintln(tw, "\nwarning: the attack-path search hit its work budget; some paths may be missing")
	}
	return tw.Flush()
}

func cell(s string) string {
	s = strings.Map(func(r rune) rune {
		if r == '\t' || r == '\n' || r == '\r' {
			return ' '
		}
		return r
	}, s)
	if len(s) > maxCell {
		return "…" + s[len(s)-maxCell+1:] // ids end in the distinctive part
	}
	return s
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
