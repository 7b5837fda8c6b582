package scoring

import (
	"cmp"
	"context"
	"fmt"
	"log/slog"
	"slices"

	"github.com/breachpath/breachpath/graph"
	"github.com/breachpath/breachpath/paths"
)

// PlanOptions select what the plan protects. Search.Threshold (or
// Search.Targets) picks the targets, Search.MaxDepth bounds the paths that
// count; Search.RemovedFindings are taken as already fixed.
type PlanOptions struct {
	Search paths.Options
}

// Step is one finding to fix.
type Step struct {
	FindingID   string         `json:"finding_id"`
	RuleID      string         `json:"rule_id,omitempty"`
	Resource    string         `json:"resource,omitempty"`
	Title       string         `json:"title,omitempty"`
	Severity    graph.Severity `json:"severity"`
	Remediation string         `json:"remediation,omitempty"`
	Controls    []string       `json:"controls,omitempty"`
	FixEffort   float64        `json:"fix_effort"`
	// PathsRemoved counts the attack paths of the search (Top per target)
	// that cite the finding.
	PathsRemoved int `json:"paths_removed"`
	// MustPass is set when every attack path to some target crosses a move
	// citing the finding (paths.Dominators); at equal effort the plan
	// prefers such findings.
	MustPass bool `json:"must_pass,omitempty"`
}

// Plan is a remediation plan: fix these findings and no attack path to the
// protected targets remains, except the uncuttable ones.
type Plan struct {
	Steps       []Step  `json:"steps"`
	TotalEffort float64 `json:"total_effort"`
	// PathsBefore is how many paths the search found before the plan;
	// PathsAfter how many remain with the plan applied (all uncuttable when
	// Verified).
	PathsBefore int `json:"paths_before"`
	PathsAfter  int `json:"paths_after"`
	// Uncuttable are the paths of the search along which no move cites a
	// finding; UncuttableTargets are the targets such a path reaches (no
	// finding fix protects them, and the plan leaves them aside).
	Uncuttable        []paths.Path `json:"uncuttable,omitempty"`
	UncuttableTargets []string     `json:"uncuttable_targets,omitempty"`
	// Verified is set when a search with the plan applied found no path to
	// a cuttable target and was not truncated.
	Verified bool `json:"verified"`
	// Truncated is set when either search ran out of budget.
	Truncated bool      `json:"truncated"`
	Stats     PlanStats `json:"stats"`
}

// PlanStats describe the flow network the plan was cut from.
type PlanStats struct {
	NetworkNodes int     `json:"network_nodes"`
	NetworkEdges int     `json:"network_edges"` // move edges that can lie on a depth-bounded path
	MaxFlow      float64 `json:"max_flow"`      // the weight of the kept min cut
	CutFindings  int     `json:"cut_findings"`  // findings picked from the cut, before repair and pruning
	Repaired     int     `json:"repaired"`      // findings added because shared findings made the cut leak
	Pruned       int     `json:"pruned"`        // findings dropped as redundant
	Amortized    bool    `json:"amortized"`     // the kept cut spread shared findings' effort over their edges
}

// MakePlan computes the remediation plan for g. See docs/scoring.md: a
// weighted minimum cut (Dinic) between the sources and the targets over the
// move edges that can lie on a path of at most MaxDepth hops, an edge's
// capacity being the cheapest fix effort among the findings it cites
// (infinite when it cites none); the cut is mapped to findings, repaired and
// pruned, then verified by searching again with the plan applied.
func MakePlan(ctx context.Context, g *graph.Graph, opts PlanOptions) (*Plan, error) {
	return PlanProjection(ctx, paths.NewProjection(g), opts)
}

// PlanProjection is MakePlan on a projection already built.
func PlanProjection(ctx context.Context, proj *paths.Projection, opts PlanOptions) (*Plan, error) {
	so := opts.Search
	before, err := proj.Search(ctx, so)
	if err != nil {
		return nil, fmt.Errorf("plan: search before: %w", err)
	}
	sources, targets, err := proj.Endpoints(so)
	if err != nil {
		return nil, fmt.Errorf("plan: %w", err)
	}
	depth := so.MaxDepth
	if depth == 0 {
		depth = paths.DefaultMaxDepth
	}
	n := proj.NumNodes()
	g := proj.Graph()
	fixed := map[string]bool{}
	for _, f := range so.RemovedFindings {
		fixed[f] = true
	}
	gone := proj.CutEdges(fixed) // already-fixed moves
	if gone == nil {
		gone = paths.NewBitset(proj.NumEdges())
	}
	isSource := paths.NewBitset(n)
	for _, s := range sources {
		isSource.Set(int(s))
	}
	isTarget := paths.NewBitset(n)
	for _, t := range targets {
		if !isSource.Has(int(t)) { // a path never re-enters a source
			isTarget.Set(int(t))
		}
	}

	// Uncuttable targets: reachable along moves citing no finding.
	cuttable := paths.NewBitset(proj.NumEdges())
	for pos, ei := range proj.Edge {
		if len(g.Edges[ei].Findings) > 0 {
			cuttable.Set(pos)
		}
	}
	mask := slices.Clone(cuttable)
	for i := range mask {
		mask[i] |= gone[i]
	}
	plan := &Plan{PathsBefore: len(before.Paths), Truncated: before.Truncated}
	uncut := paths.NewBitset(n)
	paths.NewWalker(proj, mask).Walk(sources, depth, 0, func(v int32, d int) bool {
		if d > 0 && isTarget.Has(int(v)) {
			uncut.Set(int(v))
			isTarget.Clear(int(v))
			plan.UncuttableTargets = append(plan.UncuttableTargets, g.Nodes[v].ID)
		}
		return true
	})
	slices.Sort(plan.UncuttableTargets)
	for _, p := range before.Paths {
		if len(p.Findings()) == 0 {
			plan.Uncuttable = append(plan.Uncuttable, p)
		}
	}

	net := buildNetwork(proj, gone, isSource, isTarget, sources, depth)
	dom, err := proj.Dominators(ctx, so)
	if err != nil {
		return nil, fmt.Errorf("plan: %w", err)
	}
	net.prefer = dom.MustPassFindings()
	effort := func(id string) float64 {
		if f := g.Finding(id); f != nil && f.FixEffort > 0 {
			return f.FixEffort
		}
		return 1
	}
	var chosen map[string]bool
	bestCost := 0.0
	for _, amortize := range []bool{false, true} {
		cands, flow, err := net.minCut(ctx, effort, amortize)
		if err != nil {
			return nil, fmt.Errorf("plan: %w", err)
		}
		for _, cand := range cands {
			if cand == nil {
				continue
			}
			clear(net.cuts)
			cutFindings := len(cand)
			repaired, err := net.repair(ctx, cand, effort)
			if err != nil {
				return nil, fmt.Errorf("plan: %w", err)
			}
			pruned := net.prune(cand, effort)
			cost := 0.0
			for f := range cand {
				cost += effort(f)
			}
			// Cheaper wins; at equal cost, the plan with more must-pass findings.
			if chosen == nil || cost < bestCost-1e-9 ||
				(cost <= bestCost+1e-9 && net.preferred(cand) > net.preferred(chosen)) {
				chosen, bestCost = cand, cost
				plan.Stats = PlanStats{NetworkNodes: net.nodes, NetworkEdges: len(net.pos), MaxFlow: flow,
					CutFindings: cutFindings, Repaired: repaired, Pruned: pruned, Amortized: amortize}
			}
		}
	}

	after, err := proj.Search(ctx, withRemoved(so, chosen))
	if err != nil {
		return nil, fmt.Errorf("plan: search after: %w", err)
	}
	plan.PathsAfter = len(after.Paths)
	plan.Truncated = plan.Truncated || after.Truncated
	plan.Verified = !after.Truncated
	for _, p := range after.Paths {
		if i, ok := g.NodeIndex(p.Target); !ok || !uncut.Has(int(i)) {
			plan.Verified = false
			slog.Warn("remediation plan leaves a path", "path", p.ID, "target", p.Target)
		}
	}

	removedBy := map[string]int{}
	for _, p := range before.Paths {
		for _, f := range p.Findings() {
			removedBy[f]++
		}
	}
	for id := range chosen {
		s := Step{FindingID: id, FixEffort: effort(id), PathsRemoved: removedBy[id], MustPass: net.prefer[id]}
		if f := g.Finding(id); f != nil {
			s.RuleID, s.Resource, s.Title, s.Severity = f.RuleID, f.Resource, f.Title, f.Severity
			s.Remediation, s.Controls = f.Remediation, f.Controls
		}
		plan.Steps = append(plan.Steps, s)
		plan.TotalEffort += s.FixEffort
	}
	slices.SortFunc(plan.Steps, func(a, b Step) int {
		if c := cmp.Compare(float64(b.PathsRemoved)/b.FixEffort, float64(a.PathsRemoved)/a.FixEffort); c != 0 {
			return c
		}
		if c := cmp.Compare(a.FixEffort, b.FixEffort); c != 0 {
			return c
		}
		return cmp.Compare(a.FindingID, b.FindingID)
	})
	return plan, nil
}

func withRemoved(o paths.Options, chosen map[string]bool) paths.Options {
	o.RemovedFindings = slices.Clone(o.RemovedFindings)
	for f := range chosen {
		o.RemovedFindings = append(o.RemovedFindings, f)
	}
	slices.Sort(o.RemovedFindings)
	return o
}
