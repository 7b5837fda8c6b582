package paths_test

import (
	"context"
	"slices"
	"testing"

	"github.com/breachpath/breachpath/graph"
	"github.com/breachpath/breachpath/paths"
)

// TestCyclesOnPlantedPaths: the synthetic estate has no cycle of moves;
// closing each planted path's interior into a loop (a move from its last
// interior node back to its first) makes exactly that interior one cycle,
// the engine still finds the planted path and reports its interior as one
// loop, and the must-pass hops do not change (a move back into a path is
// never a new way in).
func TestCyclesOnPlantedPaths(t *testing.T) {
	g, truth := syntheticGraph(t, 10_000)
	if c := paths.NewProjection(g).Cycles(nil); c.Len() != 0 {
		t.Fatalf("the estate has %d cycles, want none", c.Len())
	}
	uses := map[string]int{}
	for _, pp := range truth.Planted {
		for _, id := range pp.Nodes[1 : len(pp.Nodes)-1] {
			uses[id]++
		}
	}
	edges := slices.Clone(g.Edges)
	looped := map[string][]string{} // planted id -> interior
	for _, pp := range truth.Planted {
		in := pp.Nodes[1 : len(pp.Nodes)-1]
		if len(in) < 2 || slices.ContainsFunc(in, func(id string) bool { return uses[id] > 1 }) {
			continue
		}
		edges = append(edges, graph.Edge{From: in[len(in)-1], To: in[0], Kind: graph.EdgeAssumes, Technique: "test.loop"})
		looped[pp.ID] = slices.Sorted(slices.Values(in))
	}
	if len(looped) < 3 {
		t.Fatalf("only %d planted paths could be looped", len(looped))
	}
	lg := graph.Assemble(slices.Clone(g.Nodes), edges, slices.Clone(g.Findings))
	proj := paths.NewProjection(lg)
	c := proj.Cycles(nil)
	if c.Len() != len(looped) {
		t.Errorf("%d cycles, want %d (one per looped planted path)", c.Len(), len(looped))
	}
	opts := paths.Options{Threshold: truth.Threshold, MaxDepth: truth.MaxDepth}
	res, err := proj.Search(context.Background(), opts)
	if err != nil {
		t.Fatal(err)
	}
	before, _ := paths.NewProjection(g).Dominators(context.Background(), opts)
	after, _ := proj.Dominators(context.Background(), opts)
	for _, pp := range truth.Planted {
		in, ok := looped[pp.ID]
		if !ok {
			continue
		}
		i := slices.IndexFunc(res.Paths, func(p paths.Path) bool { return p.Target == pp.Target && len(p.Hops) == len(pp.Edges) })
		if i < 0 {
			t.Fatalf("%s: the planted path is no longer found", pp.ID)
		}
		loops := c.Loops(lg, &res.Paths[i])
		if len(loops) != 1 || loops[0].From != 1 || loops[0].To != len(pp.Nodes)-2 || !slices.Equal(loops[0].Members, in) {
			t.Errorf("%s: loops %+v, want one over positions 1..%d with members %v", pp.ID, loops, len(pp.Nodes)-2, in)
		}
		mb, _ := before.For(pp.Target)
		ma, _ := after.For(pp.Target)
		if !slices.EqualFunc(mb.Hops, ma.Hops, func(a, b paths.MustPassHop) bool { return a.ID == b.ID }) || !slices.Equal(mb.Findings, ma.Findings) {
			t.Errorf("%s: must-pass changed by the loop: %+v -> %+v", pp.ID, mb, ma)
		}
	}
}
