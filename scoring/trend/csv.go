package trend

import (
	"fmt"
	"io"
	"strconv"
	"time"

	"github.com/breachpath/breachpath/graph/safetext/csvcell"
)

// csvHeader is one header for every section, so the file loads as one
// table: each row fills the columns its section has.
var csvHeader = []string{"section", "key", "at", "sync_id", "count", "resolved", "open", "mean_hours", "median_hours",
	"critical", "high", "medium", "low", "info"}

// WriteCSV writes the report as one CSV table: rows of section
// remediation_overall, remediation_by_severity, remediation_by_account,
// remediation_by_owner, open_by_age and paths. Account and owner names are
// estate text: csvcell keeps any of them from reading as a formula.
func WriteCSV(w io.Writer, r *Report) error {
	cw := csvcell.NewWriter(w)
	rows := [][]string{csvHeader}
	statRows := func(section string, ss ...Stat) {
		for _, s := range ss {
			rows = append(rows, []string{section, s.Key, "", "", "", strconv.Itoa(s.Resolved), strconv.Itoa(s.Open),
				num(s.MeanHours), num(s.MedianHours), "", "", "", "", ""})
		}
	}
	statRows("remediation_overall", r.Remediation.Overall)
	statRows("remediation_by_severity", r.Remediation.BySeverity...)
	statRows("remediation_by_account", r.Remediation.ByAccount...)
	statRows("remediation_by_owner", r.Remediation.ByOwner...)
	for _, b := range r.OpenByAge {
		rows = append(rows, append([]string{"open_by_age", b.Label, "", "", strconv.Itoa(b.Count), "", "", "", ""}, sevCells(b.BySeverity)...))
	}
	for _, p := range r.Paths {
		rows = append(rows, append([]string{"paths", "", p.At.UTC().Format(time.RFC3339), strconv.FormatInt(p.SyncID, 10),
			strconv.Itoa(p.Paths), "", strconv.Itoa(p.OpenFindings), "", ""}, sevCells(p.BySeverity)...))
	}
	if err := cw.WriteAll(rows); err != nil {
		return fmt.Errorf("write trend csv: %w", err)
	}
	return nil
}

func sevCells(m map[string]int) []string {
	out := make([]string, len(Severities))
	for i, s := range Severities {
		out[i] = strconv.Itoa(m[s])
	}
	return out
}

func num(f float64) string { return strconv.FormatFloat(f, 'f', 2, 64) }
