package ciem

import (
	"context"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/breachpath/breachpath/collector/synthetic"
	"github.com/breachpath/breachpath/graph"
	"github.com/breachpath/breachpath/paths"
)

// outByScan is what the report reads as a principal's (or policy's) edges,
// found the slow way: every edge of a kind it reads out of id whose head is
// loaded, in the graph's edge order.
func outByScan(g *graph.Graph, id string) []outEdge {
	var out []outEdge
	for i := range g.Edges {
		e := &g.Edges[i]
		if e.From != id || !readsOut(e.Kind) {
			continue
		}
		if to, ok := g.NodeIndex(e.To); ok {
			out = append(out, outEdge{int32(i), to})
		}
	}
	return out
}

// TestEdgesOutOfANodeAreThoseAScanFinds checks the moves read from the
// projection merged with the indexed trust facts, for edges in key order and
// for a graph whose edges were put out of order after it was assembled,
// against a scan of every edge.
func TestEdgesOutOfANodeAreThoseAScanFinds(t *testing.T) {
	est, err := synthetic.Generate(context.Background(), synthetic.Options{Seed: 3, Resources: 1000})
	if err != nil {
		t.Fatal(err)
	}
	sorted := est.Graph()
	shuffled := est.Graph()
	rand.New(rand.NewPCG(3, 15)).Shuffle(len(shuffled.Edges), func(i, j int) {
		shuffled.Edges[i], shuffled.Edges[j] = shuffled.Edges[j], shuffled.Edges[i]
	})
	// a move to a node nobody loaded, and a trust fact naming one: neither is read
	sorted.Edges = append(sorted.Edges, graph.Edge{From: sorted.Nodes[0].ID, To: "not loaded", Kind: graph.EdgeReads},
		graph.Edge{From: sorted.Nodes[0].ID, To: "not loaded either", Kind: graph.EdgeTrusts})
	for _, tt := range []struct {
		name string
		g    *graph.Graph
	}{
		{"edges in key order", sorted},
		{"edges out of order", shuffled},
	} {
		t.Run(tt.name, func(t *testing.T) {
			b := &builder{g: tt.g, proj: paths.NewProjection(tt.g)}
			b.index()
			checked, trusts := 0, 0
			for i := range tt.g.Nodes {
				got, want := b.out(int32(i), nil), outByScan(tt.g, tt.g.Nodes[i].ID)
				if !slices.Equal(got, want) {
					t.Fatalf("out(%q) = %v, want %v", tt.g.Nodes[i].ID, got, want)
				}
				if len(want) > 0 {
					checked++
				}
				for _, o := range want {
					if tt.g.Edges[o.edge].Kind == graph.EdgeTrusts {
						trusts++
					}
				}
			}
			if checked < 100 || trusts < 10 {
				t.Fatalf("only %d nodes have edges the report reads, %d trust facts: the fixture proves little", checked, trusts)
			}
		})
	}
}
