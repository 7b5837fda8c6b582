package gate

import (
	"fmt"
	"io"
	"strings"

	"github.com/breachpath/breachpath/graph/safetext/mdcell"
)

// WriteMarkdown writes the report as a pull-request comment. Every string
// from the plan or the estate goes through mdcell, so a resource name can
// open no link, image, HTML or table cell.
func WriteMarkdown(w io.Writer, r *Report) error {
	var b strings.Builder
	verdict := "✅ breachpath gate: no new attack path at or above **" + r.FailOn + "**"
	if r.Failed {
		verdict = "❌ breachpath gate: this change opens an attack path to **" + r.FailOn + "** data or above"
	}
	b.WriteString("### " + verdict + "\n\n")
	fmt.Fprintf(&b, "%d attack paths opened, %d closed.", len(r.Opened), len(r.Closed))
	if !r.Baseline {
		b.WriteString(" Compared on the plan alone (no stored estate).")
	}
	b.WriteString("\n")
	for _, sec := range []struct {
		title string
		list  []PathChange
	}{{"Opened", r.Opened}, {"Closed", r.Closed}} {
		if len(sec.list) == 0 {
			continue
		}
		fmt.Fprintf(&b, "\n#### %s\n", sec.title)
		for _, p := range sec.list {
			flag := ""
			if p.Fails {
				flag = " — **fails the gate**"
			}
			fmt.Fprintf(&b, "\n**%s** (%s), risk %.1f%s  \npath %s, caused by %s\n\n",
				mdcell.Text(display(p.Target, p.TargetName)), mdcell.Text(p.TargetSensitivity), p.Risk, flag, mdcell.Text(p.ID), mdList(p.Addresses))
			b.WriteString("| # | from | move | to | caused by |\n|---|---|---|---|---|\n")
			for i, h := range p.Hops {
				fmt.Fprintf(&b, "| %d | %s | %s | %s | %s |\n", i+1, mdcell.Cell(display(h.From, h.FromName), 120),
					mdcell.Text(string(h.Kind)+" "+h.Technique), mdcell.Cell(display(h.To, h.ToName), 120), mdList(h.Causes))
			}
		}
	}
	if r.Truncated {
		b.WriteString("\n> The search ran out of its work budget: paths may be missing.\n")
	}
	if len(r.Assumptions) > 0 {
		b.WriteString("\n<details><summary>Assumptions (unknown until apply or outside the plan)</summary>\n\n")
		for _, a := range r.Assumptions {
			b.WriteString("- " + mdcell.Text(a) + "\n")
		}
		b.WriteString("\n</details>\n")
	}
	if len(r.Unsupported) > 0 {
		b.WriteString("\nChanged resources not modelled yet: ")
		b.WriteString(mdList(r.Unsupported) + "\n")
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func mdList(s []string) string {
	if len(s) == 0 {
		return "—"
	}
	out := make([]string, len(s))
	for i, v := range s {
		out[i] = mdcell.Text(v)
	}
	return strings.Join(out, ", ")
}
