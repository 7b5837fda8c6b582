package gate

import (
	"fmt"
	"io"
	"strings"

	"github.com/breachpath/breachpath/graph/safetext/termcell"
)

// WriteTable prints the report for a terminal; every estate or plan string
// goes through termcell.
func WriteTable(w io.Writer, r *Report) error {
	verdict := "PASS"
	if r.Failed {
		verdict = "FAIL"
	}
	if err := termcell.Printf(w, "gate %s: %d attack paths opened, %d closed (fail on %s, risk >= %.1f; baseline: %t)",
		verdict, len(r.Opened), len(r.Closed), r.FailOn, r.FailOnRisk, r.Baseline); err != nil {
		return err
	}
	for _, sec := range []struct {
		title string
		list  []PathChange
	}{{"OPENED", r.Opened}, {"CLOSED", r.Closed}} {
		if len(sec.list) == 0 {
			continue
		}
		fmt.Fprintln(w)
		fmt.Fprintln(w, sec.title)
		for _, p := range sec.list {
			flag := ""
			if p.Fails {
				flag = " [fails gate]"
			}
			termcell.Printf(w, "path %s risk %.1f -> %s (%s)%s; caused by %s", p.ID, p.Risk, display(p.Target, p.TargetName), p.TargetSensitivity, flag, orNone(p.Addresses))
			t := termcell.NewTable(w, "#", "FROM", "MOVE", "TO", "CAUSED BY").Wide(4, 80)
			for i, h := range p.Hops {
				t.Row(fmt.Sprint(i+1), display(h.From, h.FromName), string(h.Kind)+" "+h.Technique, display(h.To, h.ToName), orNone(h.Causes))
			}
			if err := t.Flush(); err != nil {
				return err
			}
		}
	}
	return writeNotes(w, r, func(s string) string { return termcell.Line(s) })
}

func writeNotes(w io.Writer, r *Report, esc func(string) string) error {
	if r.Truncated {
		fmt.Fprintln(w, "\nThe search ran out of its work budget: paths may be missing.")
	}
	if len(r.Assumptions) > 0 {
		fmt.Fprintln(w, "\nAssumed (unknown until apply or outside the plan):")
		for _, a := range r.Assumptions {
			fmt.Fprintln(w, "- "+esc(a))
		}
	}
	if len(r.Unsupported) > 0 {
		fmt.Fprintln(w, "\nChanged resources not modelled yet (cannot open or close paths here):")
		for _, a := range r.Unsupported {
			fmt.Fprintln(w, "- "+esc(a))
		}
	}
	return nil
}

func display(id, name string) string {
	if name == "" || name == id {
		return id
	}
	return name + " (" + id + ")"
}

func orNone(s []string) string {
	if len(s) == 0 {
		return "-"
	}
	return strings.Join(s, ", ")
}
