package scoring

import (
	"math"
	"math/rand/v2"
	"testing"

	gg "gonum.org/v1/gonum/graph"
	gnetwork "gonum.org/v1/gonum/graph/network"
	"gonum.org/v1/gonum/graph/simple"

	"github.com/breachpath/breachpath/graph"
	"github.com/breachpath/breachpath/paths"
)

// oracleHuge stands for "uncuttable" in the oracle's network: any value
// above every finite cut gives the same max flow, so the oracle does not
// reuse the plan's own choice of "infinite".
const oracleHuge = 1e12

// oracleMaxFlow computes, with gonum's network.MaxFlowDinic, the max flow
// of the plan's flow network built independently: a super source into every
// source, every cuttable target into a super sink, and each move edge (seen
// through paths.View, so never into a source) with the capacity of the
// cheapest fix effort among the findings it cites (uncuttable when none),
// parallel moves summed. MaxDepth must not bind (the oracle has no depth).
// capacity, when set, replaces the edge capacity (to test the oracle itself).
func oracleMaxFlow(t *testing.T, g *graph.Graph, p *Plan, capacity func(pos int) float64) float64 {
	t.Helper()
	proj := paths.NewProjection(g)
	sources, targets, err := proj.Endpoints(paths.Options{Threshold: graph.SensitivityRestricted})
	if err != nil {
		t.Fatal(err)
	}
	effort := func(id string) float64 {
		if f := g.Finding(id); f != nil && f.FixEffort > 0 {
			return f.FixEffort
		}
		return 1
	}
	if capacity == nil {
		capacity = func(pos int) float64 {
			c := math.Inf(1)
			for _, f := range g.Edges[proj.Edge[pos]].Findings {
				c = min(c, effort(f))
			}
			return min(c, oracleHuge)
		}
	}
	v := proj.NewView(paths.ViewOptions{Roots: sources, Weight: capacity, SumParallel: true})
	fg := simple.NewWeightedDirectedGraph(0, 0)
	n := int64(proj.NumNodes())
	root, sink := v.Root().ID(), n+1
	for id := int64(0); id <= sink; id++ {
		fg.AddNode(simple.Node(id))
	}
	for u := int64(0); u < n+1; u++ {
		it := v.From(u)
		for it.Next() {
			w := it.Node().ID()
			c, _ := v.Weight(u, w)
			if u == root {
				c = oracleHuge
			}
			fg.SetWeightedEdge(fg.NewWeightedEdge(simple.Node(u), simple.Node(w), c))
		}
	}
	uncut := map[string]bool{}
	for _, id := range p.UncuttableTargets {
		uncut[id] = true
	}
	for _, tg := range targets {
		if !uncut[g.Nodes[tg].ID] {
			fg.SetWeightedEdge(fg.NewWeightedEdge(simple.Node(int64(tg)), simple.Node(sink), oracleHuge))
		}
	}
	return gnetwork.MaxFlowDinic(fg, gg.Node(simple.Node(root)), simple.Node(sink), 1e-12)
}

// TestPlanCutEqualsGonumMaxFlow: with one finding per move (so the plain and
// the amortised cut have the same capacities) and MaxDepth above every
// path, the weight of the plan's min cut (Stats.MaxFlow) equals gonum's
// MaxFlowDinic on the same capacities.
func TestPlanCutEqualsGonumMaxFlow(t *testing.T) {
	r := rand.New(rand.NewPCG(18, 3))
	compared := 0
	for trial := range 150 {
		n := 4 + r.IntN(20)
		g := randomPlanGraph(r, n, 3*n, 0, false).build()
		o := paths.Options{Threshold: graph.SensitivityRestricted, MaxDepth: paths.MaxMaxDepth, Top: 1}
		p := mustPlan(t, g, o)
		want := oracleMaxFlow(t, g, p, nil)
		if math.Abs(p.Stats.MaxFlow-want) > 1e-9*max(1, want) {
			t.Fatalf("trial %d (%d nodes): plan cut weight %v, gonum MaxFlowDinic %v", trial, n, p.Stats.MaxFlow, want)
		}
		if want > 0 {
			compared++
		}
	}
	if compared < 50 {
		t.Fatalf("only %d graphs had a non-zero flow", compared)
	}
}

// TestFlowOracleCatchesBugs: the comparison is not vacuous — a wrong flow
// on the engine's side and wrong capacities on the oracle's are told apart.
func TestFlowOracleCatchesBugs(t *testing.T) {
	// Two disjoint routes of capacity 2 and 3, then a shared hop of 10.
	b := (&builder{}).node(graph.InternetID, graph.KindInternet, 0).
		node("a", graph.KindCompute, 0).node("b", graph.KindCompute, 0).node("c", graph.KindCompute, 0).
		node("db", graph.KindDatabase, graph.SensitivityRestricted).
		finding("fa", "a", graph.SeverityHigh, 2).finding("fb", "b", graph.SeverityHigh, 3).
		finding("fc", "c", graph.SeverityHigh, 10).
		move(graph.InternetID, "a", graph.EdgeExposedTo, 0.9, "fa").
		move(graph.InternetID, "b", graph.EdgeExposedTo, 0.9, "fb").
		move("a", "c", graph.EdgeReaches, 0.9).move("b", "c", graph.EdgeReaches, 0.9).
		move("c", "db", graph.EdgeReads, 0.9, "fc")
	g := b.build()
	p := mustPlan(t, g, paths.Options{Threshold: graph.SensitivityRestricted, MaxDepth: paths.MaxMaxDepth})
	if got := oracleMaxFlow(t, g, p, nil); got != 5 || p.Stats.MaxFlow != 5 {
		t.Fatalf("max flow: plan %v, oracle %v; want 5 for both", p.Stats.MaxFlow, got)
	}
	tests := []struct {
		name       string
		engine, or float64
	}{
		{"engine pushes one route only", 2, oracleMaxFlow(t, g, p, nil)},
		{"oracle uses unit capacities", p.Stats.MaxFlow, oracleMaxFlow(t, g, p, func(int) float64 { return 1 })},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if math.Abs(tc.engine-tc.or) <= 1e-9 {
				t.Errorf("engine %v and oracle %v agree; the comparison would not catch this", tc.engine, tc.or)
			}
		})
	}
}
