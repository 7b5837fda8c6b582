package ciem_test

import (
	"context"
	"io"
	"testing"

	"github.com/breachpath/breachpath/ciem"
	"github.com/breachpath/breachpath/collector/synthetic"
	"github.com/breachpath/breachpath/graph"
)

func syntheticGraph(b testing.TB, resources int) *graph.Graph {
	b.Helper()
	est, err := synthetic.Generate(context.Background(), synthetic.Options{Seed: 7, Resources: resources})
	if err != nil {
		b.Fatal(err)
	}
	return est.Graph()
}

// TestSyntheticEstateReport builds the report of the 1k-resource multi-cloud
// synthetic estate: every principal gets a row, on-path principals come first.
func TestSyntheticEstateReport(t *testing.T) {
	g := syntheticGraph(t, 1000)
	rep, err := ciem.Build(context.Background(), g, ciem.Sources{}, ciem.Options{})
	if err != nil {
		t.Fatal(err)
	}
	want := 0
	for i := range g.Nodes {
		n := &g.Nodes[i]
		switch n.Kind {
		case graph.KindUser, graph.KindGroup, graph.KindRole, graph.KindServiceAccount:
			if s, _ := n.Props["synthetic"].(bool); !n.Stub && !s {
				want++
			}
		}
	}
	if len(rep.Principals) != want || want == 0 {
		t.Fatalf("%d rows, want %d principals", len(rep.Principals), want)
	}
	onPath := 0
	for i, p := range rep.Principals {
		if len(p.AttackPaths) > 0 {
			if i != onPath {
				t.Fatalf("row %d (%s) is on an attack path after rows that are not", i, p.ID)
			}
			onPath++
		}
	}
	if onPath == 0 {
		t.Fatal("no principal on the estate's planted attack paths")
	}
	t.Logf("%d principals, %d on attack paths, %d paths", len(rep.Principals), onPath, rep.AttackPaths)
}

func BenchmarkBuild10k(b *testing.B) {
	g := syntheticGraph(b, 10_000)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := ciem.Build(context.Background(), g, ciem.Sources{}, ciem.Options{}); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkWriteJSON10k(b *testing.B) {
	g := syntheticGraph(b, 10_000)
	rep, err := ciem.Build(context.Background(), g, ciem.Sources{}, ciem.Options{})
	if err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if err := ciem.WriteJSON(io.Discard, rep); err != nil {
			b.Fatal(err)
		}
	}
}
