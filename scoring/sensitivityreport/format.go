package sensitivityreport

import (
	"encoding/json"
	"fmt"
	"io"
	"strconv"

	"github.com/breachpath/breachpath/graph/safetext"
	"github.com/breachpath/breachpath/graph/safetext/csvcell"
	"github.com/breachpath/breachpath/graph/safetext/termcell"
)

// Formats are the output formats Write accepts.
var Formats = []string{"table", "json", "csv"}

// Write renders the report. Every name, id and reason comes from the estate,
// so each goes through graph/safetext (terminal cells, spreadsheet cells;
// JSON escapes by itself).
func Write(w io.Writer, r *Report, format string) error {
	switch format {
	case "json":
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(r)
	case "csv":
		return writeCSV(w, r)
	case "table", "":
		return writeTable(w, r)
	}
	return fmt.Errorf("format %q: want table, json or csv", format)
}

func writeCSV(w io.Writer, r *Report) error {
	cw := csvcell.NewWriter(w)
	_ = cw.Write([]string{"classify_first", "id", "name", "kind", "cloud", "account", "level", "crown_jewel", "source", "rule",
		"overridden", "reachable", "hops"})
	for i, s := range r.Stores {
		// Cells are also made visible: a spreadsheet is often read in a
		// terminal (cat, less) where an escape sequence would act.
		_ = cw.Write(visible([]string{strconv.FormatBool(i < r.ClassifyFirst), s.ID, s.Name, s.Kind, s.Cloud, s.Account, s.Level,
			strconv.FormatBool(s.CrownJewel), s.Source, s.Rule, s.Overridden, strconv.FormatBool(s.Reachable), strconv.Itoa(s.Hops)}))
	}
	cw.Flush()
	return cw.Error()
}

func writeTable(w io.Writer, r *Report) error {
	classified := r.DataStores - r.Unclassified
	if err := termcell.Printf(w, "%d data stores: %d classified, %d unclassified", r.DataStores, classified, r.Unclassified); err != nil {
		return err
	}
	t := termcell.NewTable(w, "CLOUD", "ACCOUNT", "DATA STORES", "UNCLASSIFIED", "SHARE", "REACHABLE UNCLASSIFIED")
	for _, s := range r.Scopes {
		t.Row(s.Cloud, s.Account, strconv.Itoa(s.DataStores), strconv.Itoa(s.Unclassified),
			strconv.FormatFloat(100*s.UnclassifiedShare, 'f', 0, 64)+"%", strconv.Itoa(s.ReachableUnclass))
	}
	if err := t.Flush(); err != nil {
		return err
	}
	fmt.Fprintln(w)
	if r.ClassifyFirst > 0 {
		termcell.Printf(w, "classify these: %d unclassified data stores an attacker already reaches", r.ClassifyFirst)
	}
	t = termcell.NewTable(w, "", "LEVEL", "SOURCE", "KIND", "NAME", "ACCOUNT", "HOPS", "RULE").Wide(4, 40).Wide(7, 60)
	for i, s := range r.Stores {
		mark, hops := "", "-"
		if i < r.ClassifyFirst {
			mark = "!"
		}
		if s.Reachable {
			hops = strconv.Itoa(s.Hops)
		}
		level := s.Level
		if s.CrownJewel {
			level += " (crown jewel)"
		}
		t.Row(mark, level, s.Source, s.Kind, s.Name, s.Account, hops, s.Rule)
	}
	if err := t.Flush(); err != nil {
		return err
	}
	if r.Truncated {
		return termcell.Printf(w, "reachability stopped at its work budget: some reachable stores may be shown as unreachable")
	}
	return nil
}

func visible(cells []string) []string {
	for i, c := range cells {
		cells[i] = safetext.Visible(c)
	}
	return cells
}
