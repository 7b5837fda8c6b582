// Package gate compares the attack paths of a graph before and after a
// planned infrastructure change and reports the paths the change opens and
// closes, each hop tied to the change's resource addresses. It is
// cloud-agnostic: collector/terraform turns a plan into the two graphs and
// the per-node causes; the gate runs the same engine as `paths`
// (scoring.Analyse) on both and renders the difference (table, json,
// markdown, SARIF).
package gate

import (
	"context"
	"fmt"
	"slices"
	"sort"

	"github.com/breachpath/breachpath/graph"
	"github.com/breachpath/breachpath/paths"
	"github.com/breachpath/breachpath/scoring"
)

// Location is where a change's resource is written (a .tf file), when known.
type Location struct {
	File string `json:"file"`
	Line int    `json:"line,omitempty"`
}

// Input is a change in graph terms.
type Input struct {
	Before, After *graph.Graph
	// Added and Removed are the edge keys the change adds and removes.
	Added, Removed map[graph.EdgeKey]bool
	// NodeCauses maps a node id to the changed resource addresses behind it.
	NodeCauses map[string][]string
	// Locations maps an address to its source file, when known.
	Locations map[string]Location
	// Assumptions and Unsupported are passed through to the report.
	Assumptions []string
	Unsupported []string
	// Baseline says Before is a stored estate (false: the plan alone).
	Baseline bool
}

// Options tune Compare.
type Options struct {
	Search paths.Options
	// FailOn is the least target sensitivity a new path must reach to fail
	// the gate (crown jewels always count); SensitivityNone never fails.
	FailOn graph.Sensitivity
	// FailOnRisk is the least risk (0-100) a new path must have to fail.
	FailOnRisk float64
}

// Hop is one move of a changed path with the resources that cause it.
type Hop struct {
	paths.Hop
	// Causes are the changed resource addresses that add (opened paths) or
	// remove (closed paths) this move; empty when the move exists on both
	// sides.
	Causes []string `json:"causes,omitempty"`
}

// PathChange is one path the change opens or closes.
type PathChange struct {
	ID                string   `json:"id"`
	Source            string   `json:"source"`
	Target            string   `json:"target"`
	TargetName        string   `json:"target_name,omitempty"`
	TargetSensitivity string   `json:"target_sensitivity"`
	CrownJewel        bool     `json:"crown_jewel,omitempty"`
	Risk              float64  `json:"risk"`
	Likelihood        float64  `json:"likelihood"`
	Hops              []Hop    `json:"hops"`
	Addresses         []string `json:"addresses"` // union of the hops' causes
	// Fails is set on an opened path at or above the fail thresholds.
	Fails bool `json:"fails,omitempty"`
}

// Report is the gate's verdict.
type Report struct {
	Opened      []PathChange        `json:"opened"`
	Closed      []PathChange        `json:"closed"`
	Failed      bool                `json:"failed"`
	FailOn      string              `json:"fail_on"`
	FailOnRisk  float64             `json:"fail_on_risk"`
	Baseline    bool                `json:"baseline"`
	Assumptions []string            `json:"assumptions,omitempty"`
	Unsupported []string            `json:"unsupported,omitempty"`
	Locations   map[string]Location `json:"locations,omitempty"`
	// Truncated says a search ran out of budget: paths may be missing.
	Truncated bool `json:"truncated,omitempty"`
}

// Compare analyses both graphs and reports the difference.
func Compare(ctx context.Context, in Input, opts Options) (*Report, error) {
	if in.Before == nil || in.After == nil {
		return nil, fmt.Errorf("gate: both graphs are required")
	}
	before, err := scoring.Analyse(ctx, in.Before, opts.Search, scoring.Options{})
	if err != nil {
		return nil, fmt.Errorf("gate, before the change: %w", err)
	}
	after, err := scoring.Analyse(ctx, in.After, opts.Search, scoring.Options{})
	if err != nil {
		return nil, fmt.Errorf("gate, after the change: %w", err)
	}
	r := &Report{FailOn: opts.FailOn.String(), FailOnRisk: opts.FailOnRisk, Baseline: in.Baseline,
		Assumptions: in.Assumptions, Unsupported: in.Unsupported, Locations: map[string]Location{},
		Truncated: before.Found.Truncated || after.Found.Truncated}
	r.Opened = diff(after, before, in.Added, in)
	r.Closed = diff(before, after, in.Removed, in)
	for i := range r.Opened {
		p := &r.Opened[i]
		n := in.After.Node(p.Target)
		reaches := n != nil && (n.CrownJewel || (opts.FailOn > graph.SensitivityNone && n.Sensitivity >= opts.FailOn))
		if reaches && p.Risk >= opts.FailOnRisk {
			p.Fails = true
			r.Failed = true
		}
	}
	for _, list := range [][]PathChange{r.Opened, r.Closed} {
		for _, p := range list {
			for _, a := range p.Addresses {
				if l, ok := in.Locations[a]; ok {
					r.Locations[a] = l
				}
			}
		}
	}
	return r, nil
}

// diff lists the paths of a absent from b, attributing each hop whose edge
// key is in changed.
func diff(a, b *scoring.Analysis, changed map[graph.EdgeKey]bool, in Input) []PathChange {
	known := make(map[string]bool, len(b.Report.Paths))
	for i := range b.Report.Paths {
		known[b.Report.Paths[i].ID] = true
	}
	out := []PathChange{}
	for i := range a.Report.Paths {
		sp := &a.Report.Paths[i]
		if known[sp.ID] {
			continue
		}
		pc := PathChange{ID: sp.ID, Source: sp.Source, Target: sp.Target, Risk: sp.Risk, Likelihood: sp.Likelihood}
		if n := a.Graph.Node(sp.Target); n != nil {
			pc.TargetName, pc.TargetSensitivity, pc.CrownJewel = n.Name, n.Sensitivity.String(), n.CrownJewel
		}
		var all []string
		for h := range sp.Hops {
			hop := Hop{Hop: sp.Hops[h]}
			k := graph.EdgeKey{From: hop.From, Kind: hop.Kind, To: hop.To, Technique: hop.Technique}
			switch {
			case changed[k]:
				// the move's ends, and the resources whose findings enable
				// it (a security group admitting the Internet to an
				// instance is neither end of the EXPOSED_TO move)
				hop.Causes = union(in.NodeCauses[hop.From], in.NodeCauses[hop.To])
				for _, fid := range hop.Findings {
					if f := a.Graph.Finding(fid); f != nil {
						hop.Causes = union(hop.Causes, in.NodeCauses[f.Resource])
					}
				}
			case h == len(sp.Hops)-1 && len(in.NodeCauses[hop.To]) > 0:
				// the move existed; the change made its end a target
				hop.Causes = slices.Clone(in.NodeCauses[hop.To])
			}
			all = append(all, hop.Causes...)
			pc.Hops = append(pc.Hops, hop)
		}
		sort.Strings(all)
		pc.Addresses = slices.Compact(all)
		if pc.Addresses == nil {
			pc.Addresses = []string{}
		}
		out = append(out, pc)
	}
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].Risk != out[j].Risk {
			return out[i].Risk > out[j].Risk
		}
		return out[i].ID < out[j].ID
	})
	return out
}

func union(a, b []string) []string {
	out := append(slices.Clone(a), b...)
	sort.Strings(out)
	return slices.Compact(out)
}
