package export

import (
	"fmt"
	"io"
	"strconv"

	"github.com/breachpath/breachpath/graph/safetext/termcell"
	"github.com/breachpath/breachpath/scoring"
)

// writeTable prints the queue for a terminal; every cell follows the
// terminal rule of graph/safetext/termcell (escaped, cut to its width).
// The other formats are complete.
func writeTable(w io.Writer, r *scoring.Report) error {
	t := termcell.NewTable(w, "RANK", "PRIORITY", "SEVERITY", "FINDING", "RESOURCE", "OWNER", "PATHS", "LABEL")
	for i, row := range r.Queue {
		f := row.Finding
		label := row.Label
		if row.Conditional {
			label += " (conditional)"
		}
		t.Row(strconv.Itoa(i+1), fmt.Sprintf("%.1f", row.Priority), f.Severity.String(),
			f.RuleID, f.Resource, orDash(row.Owner), strconv.Itoa(row.Paths), label)
	}
	if err := t.Flush(); err != nil {
		return err
	}
	if r.Truncated {
		_, err := fmt.Fprintln(w, "\nwarning: the attack-path search hit its work budget; some paths may be missing")
		return err
	}
	return nil
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
