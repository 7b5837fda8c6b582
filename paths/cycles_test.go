package paths

import (
	"slices"
	"testing"

	"github.com/breachpath/breachpath/graph"
)

func cycleIDs(g *graph.Graph, c *Cycles) [][]string {
	var out [][]string
	for i := range c.Len() {
		var m []string
		for _, n := range c.Members(i) {
			m = append(m, g.Nodes[n].ID)
		}
		out = append(out, m)
	}
	return out
}

// TestCyclesFindsMutualMoves: strongly connected components of the move
// graph with more than one node, larger first, members sorted; a filter on
// edge kinds narrows them.
func TestCyclesFindsMutualMoves(t *testing.T) {
	// roles a, b, c assume each other in a ring; web and role form a
	// two-node loop through an escalation; the chain's bucket is in none.
	b := chain().node("a", graph.KindRole, 0).node("b", graph.KindRole, 0).node("c", graph.KindRole, 0).
		move("role", "a", graph.EdgeAssumes, 0.8).move("a", "b", graph.EdgeAssumes, 0.8).
		move("b", "c", graph.EdgeAssumes, 0.8).move("c", "a", graph.EdgeAssumes, 0.8).
		move("role", "web", graph.EdgeEscalatesTo, 0.5)
	g := b.build()
	p := NewProjection(g)
	tests := []struct {
		name string
		keep func(*graph.Edge) bool
		want [][]string
	}{
		{"every move", nil, [][]string{{"a", "b", "c"}, {"role", "web"}}},
		{"assumptions only", func(e *graph.Edge) bool { return e.Kind == graph.EdgeAssumes }, [][]string{{"a", "b", "c"}}},
		{"reads only: acyclic", func(e *graph.Edge) bool { return e.Kind == graph.EdgeReads }, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := p.Cycles(tc.keep)
			if got := cycleIDs(g, c); !slices.EqualFunc(got, tc.want, slices.Equal) {
				t.Errorf("cycles %v, want %v", got, tc.want)
			}
			bucket, _ := g.NodeIndex("bucket")
			if c.Of(bucket) != -1 {
				t.Error("the bucket is in a cycle")
			}
		})
	}
	t.Run("a path's stretch inside a cycle is one loop", func(t *testing.T) {
		c := p.Cycles(nil)
		path := Path{Source: graph.InternetID, Hops: []Hop{{To: "web"}, {To: "role"}, {To: "a"}, {To: "b"}, {To: "c"}}}
		got := c.Loops(g, &path)
		want := []Loop{{From: 1, To: 2, Members: []string{"role", "web"}}, {From: 3, To: 5, Members: []string{"a", "b", "c"}}}
		if !slices.EqualFunc(got, want, func(x, y Loop) bool { return x.From == y.From && x.To == y.To && slices.Equal(x.Members, y.Members) }) {
			t.Errorf("loops %+v, want %+v", got, want)
		}
	})
}
