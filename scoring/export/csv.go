package export

import (
	"io"
	"strconv"
	"strings"

	"github.com/breachpath/breachpath/graph/safetext/csvcell"
	"github.com/breachpath/breachpath/scoring"
)

// writeCSV writes the queue for spreadsheets; every cell follows the
// spreadsheet rule of graph/safetext/csvcell (no cell reads as a formula).
func writeCSV(w io.Writer, r *scoring.Report) error {
	cw := csvcell.NewWriter(w)
	_ = cw.Write([]string{"rank", "priority", "on_path", "conditional", "label", "finding_id", "rule_id", "severity", "title",
		"resource", "owner", "paths", "top_path_id", "max_risk", "remediation", "controls"})
	for i, row := range r.Queue {
		f := row.Finding
		_ = cw.Write([]string{
			strconv.Itoa(i + 1), strconv.FormatFloat(row.Priority, 'f', 1, 64), strconv.FormatBool(row.OnPath), strconv.FormatBool(row.Conditional), row.Label,
			f.ID, f.RuleID, f.Severity.String(), f.Title, f.Resource, row.Owner, strconv.Itoa(row.Paths), row.TopPathID,
			strconv.FormatFloat(row.MaxRisk, 'f', 1, 64), f.Remediation, strings.Join(f.Controls, ";"),
		})
	}
	cw.Flush()
	return cw.Error()
}
