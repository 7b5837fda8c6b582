package main

import (
	"context"
	"fmt"
	"github.com/breachpath/breachpath/graph/safetext/termcell"
	"io"
	"strings"

	"github.com/breachpath/breachpath/graph"
	"github.com/breachpath/breachpath/paths"
	"github.com/breachpath/breachpath/scoring"
)

// explainer adds the whole-graph analyses to --explain: what every path to
// a path's target crosses (dominators) and the stretches of a path that run
// inside a cycle of mutually reachable nodes (strongly connected components).
type explainer struct {
	g      *graph.Graph
	dom    *paths.Dominators
	cycles *paths.Cycles
}

// newExplainer computes both analyses over an analysis' projection with the
// search options of its paths.
func newExplainer(ctx context.Context, an *scoring.Analysis, opts paths.Options) (*explainer, error) {
	dom, err := an.Projection.Dominators(ctx, opts)
	if err != nil {
		return nil, fmt.Errorf("must-pass analysis: %w", err)
	}
	return &explainer{g: an.Graph, dom: dom, cycles: an.Projection.Cycles(nil)}, nil
}

// write prints the hops of p, its loops and what every path to its target
// crosses, each line under the terminal rule (termcell.Printf).
func (ex *explainer) write(w io.Writer, p *scoring.ScoredPath) {
	loops := ex.cycles.Loops(ex.g, &p.Path)
	for j := range p.Hops {
		termcell.Printf(w, "  %d. %s", j+1, p.Hops[j].Explain())
	}
	for _, l := range loops {
		// Hops From+1..To stay inside the cycle.
		what := fmt.Sprintf("hops %d-%d run", l.From+1, l.To)
		switch {
		case l.To == l.From+1:
			what = fmt.Sprintf("hop %d runs", l.To)
		case l.From == l.To:
			what = fmt.Sprintf("%s is", ex.name(l.Members[0]))
			if l.From > 0 {
				what = fmt.Sprintf("%s (after hop %d) is", ex.name(p.Hops[l.From-1].To), l.From)
			}
		}
		termcell.Printf(w, "  loop: %s inside a cycle of %d nodes that all reach each other (%s): whoever holds one holds them all",
			what, len(l.Members), ex.names(l.Members))
	}
	ex.writeTargetWhy(w, p.Target)
	m, ok := ex.dom.For(p.Target)
	if !ok {
		return
	}
	target := ex.name(p.Target)
	if len(m.Hops) == 0 {
		termcell.Printf(w, "  must-pass: no single node lies on every path to %s", target)
	} else {
		hops := make([]string, len(m.Hops))
		for i, h := range m.Hops {
			hops[i] = ex.name(h.ID)
			if len(h.Findings) > 0 {
				hops[i] += " (entered only by moves citing " + strings.Join(h.Findings, ", ") + ")"
			}
		}
		termcell.Printf(w, "  must-pass: every path to %s crosses %s", target, strings.Join(hops, ", then "))
	}
	if len(m.Findings) > 0 {
		termcell.Printf(w, "  must-pass findings (fixing any one cuts every path to %s): %s", target, strings.Join(m.Findings, ", "))
	}
}

// writeTargetWhy says why the target is a target: its level and the source
// and rule that gave it (collector/sensitivity records them), or crown-jewel
// status.
func (ex *explainer) writeTargetWhy(w io.Writer, id string) {
	n := ex.g.Node(id)
	if n == nil {
		return
	}
	src, _ := n.Props["sensitivity_source"].(string)
	rule, _ := n.Props["sensitivity_rule"].(string)
	what := n.Sensitivity.String()
	if n.CrownJewel {
		what += ", crown jewel"
	}
	switch {
	case src != "":
		termcell.Printf(w, "  target: %s is %s by %s (%s)", ex.name(id), what, src, rule)
	default:
		termcell.Printf(w, "  target: %s is %s (no reason recorded)", ex.name(id), what)
	}
	if o, _ := n.Props["sensitivity_overridden"].(string); o != "" {
		termcell.Printf(w, "  target: an explicit tag overrode %s", o)
	}
}

func (ex *explainer) name(id string) string {
	if n := ex.g.Node(id); n != nil && n.Name != "" {
		return n.Name
	}
	return id
}

func (ex *explainer) names(ids []string) string {
	out := make([]string, len(ids))
	for i, id := range ids {
		out[i] = ex.name(id)
	}
	return strings.Join(out, ", ")
}
