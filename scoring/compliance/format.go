package compliance

import (
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/breachpath/breachpath/graph/safetext/csvcell"
	"github.com/breachpath/breachpath/graph/safetext/termcell"
)

// Formats are the output formats Write accepts.
var Formats = []string{"table", "csv", "json", "html", "ocsf"}

// Write writes the report in one of Formats.
func Write(w io.Writer, format string, r *Report) error {
	switch format {
	case "table":
		return writeTable(w, r)
	case "csv":
		return writeCSV(w, r)
	case "json":
		return writeJSON(w, r)
	case "html":
		return WriteHTML(w, r)
	case "ocsf":
		return WriteOCSF(w, r)
	}
	return fmt.Errorf("unknown format %q: want one of %s", format, strings.Join(Formats, ", "))
}

func writeJSON(w io.Writer, r *Report) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	if err := enc.Encode(r); err != nil {
		return fmt.Errorf("encode compliance report: %w", err)
	}
	return nil
}

// maxTableFailures bounds the failing resources listed under a control in
// the table; the other formats list them all.
const maxTableFailures = 5

func writeTable(w io.Writer, r *Report) error {
	fw := r.Framework
	s := r.Summary
	if err := termcell.Printf(w, "%s %s (%s catalogue): %d controls, %d pass, %d fail (%d with failures on attack paths), %d not evaluated; pass rate %.1f%%",
		fw.Title, fw.Version, fw.Catalogue, s.Controls, s.Pass, s.Fail, s.FailOnPath, s.NotEvaluated, s.PassRate); err != nil {
		return err
	}
	if r.Truncated {
		if err := termcell.Printf(w, "note: the attack-path search was cut short; a failure shown off-path may be on one"); err != nil {
			return err
		}
	}
	for _, sc := range r.Scopes {
		if len(sc.FailedAreas) > 0 {
			if err := termcell.Printf(w, "note: %s could not read %s in its last collection; passes there are incomplete for those areas",
				sc.Scope, strings.Join(sc.FailedAreas, ", ")); err != nil {
				return err
			}
		}
	}
	t := termcell.NewTable(w, "STATUS", "CONTROL", "ON PATH", "FAILING", "TITLE / RESOURCE").Wide(4, 100)
	for _, c := range r.Controls {
		status := strings.ToUpper(strings.ReplaceAll(string(c.Status), "_", " "))
		t.Row(status, c.ID, strconv.Itoa(c.OnPath), strconv.Itoa(len(c.Failures)), c.Title)
		for i, f := range c.Failures {
			if i == maxTableFailures {
				t.Row("", "", "", "", fmt.Sprintf("  ... and %d more", len(c.Failures)-i))
				break
			}
			mark := "  "
			if f.OnPath {
				mark = "* "
			}
			t.Row("", "", "", "", mark+f.Severity.String()+" "+f.RuleID+" on "+orText(f.ResourceName, f.Resource))
		}
	}
	if err := t.Flush(); err != nil {
		return fmt.Errorf("write compliance table: %w", err)
	}
	return termcell.Printf(w, "* on an attack path. Source: %s", fw.Source)
}

// writeCSV writes one row per failing resource and one row per control
// without failures, every cell neutralised (graph/safetext/csvcell).
func writeCSV(w io.Writer, r *Report) error {
	cw := csvcell.NewWriter(w)
	header := []string{"framework", "control", "title", "status", "reason", "finding_id", "rule_id", "severity", "resource", "resource_name", "owner", "on_path", "paths", "priority", "stale"}
	if err := cw.Write(header); err != nil {
		return fmt.Errorf("write compliance csv: %w", err)
	}
	for _, c := range r.Controls {
		base := []string{r.Framework.ID, c.ID, c.Title, string(c.Status), c.Reason}
		if len(c.Failures) == 0 {
			if err := cw.Write(append(base, "", "", "", "", "", "", "", "", "", "")); err != nil {
				return fmt.Errorf("write compliance csv: %w", err)
			}
			continue
		}
		for _, f := range c.Failures {
			row := append(append([]string{}, base...), f.FindingID, f.RuleID, f.Severity.String(), f.Resource, f.ResourceName, f.Owner,
				strconv.FormatBool(f.OnPath), strconv.Itoa(f.Paths), strconv.FormatFloat(f.Priority, 'f', 1, 64), strconv.FormatBool(f.Stale))
			if err := cw.Write(row); err != nil {
				return fmt.Errorf("write compliance csv: %w", err)
			}
		}
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return fmt.Errorf("write compliance csv: %w", err)
	}
	return nil
}

func orText(s, alt string) string {
	if s != "" {
		return s
	}
	return alt
}
