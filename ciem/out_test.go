package ciem

import (
	"context"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/breachpath/breachpath/collector/synthetic"
	"github.com/breachpath/breachpath/graph"
)

// outByScan is what the report read as a principal's (or policy's) edges
// before they were found by binary search: every edge of a kind it reads
// out of id, in the graph's edge order.
func outByScan(g *graph.Graph, id string) []int32 {
	var out []int32
	for i := range g.Edges {
		e := &g.Edges[i]
		if e.From == id && readsOut(e.Kind) {
			out = append(out, int32(i))
		}
	}
	return out
}

// TestEdgesOutOfANodeAreThoseAScanFinds checks the binary search over the
// edges in key order, and its fallback for a graph whose edges were put out
// of order after it was assembled, against a scan of every edge.
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
	for _, tt := range []struct {
		name     string
		g        *graph.Graph
		fallback bool
	}{
		{"edges in key order", sorted, false},
		{"edges out of order", shuffled, true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			b := &builder{g: tt.g}
			b.index()
			if (b.byFrom != nil) != tt.fallback {
				t.Fatalf("ordered by source: %v, want %v", b.byFrom != nil, tt.fallback)
			}
			checked := 0
			ids := []string{"", "\xff", "no such node"}
			for i := range tt.g.Nodes {
				ids = append(ids, tt.g.Nodes[i].ID)
			}
			for _, id := range ids {
				got, want := b.out(id), outByScan(tt.g, id)
				if !slices.Equal(got, want) {
					t.Fatalf("out(%q) = %v, want %v", id, got, want)
				}
				if len(want) > 0 {
					checked++
				}
			}
			if checked < 100 {
				t.Fatalf("only %d nodes have edges the report reads: the fixture proves little", checked)
			}
		})
	}
}
