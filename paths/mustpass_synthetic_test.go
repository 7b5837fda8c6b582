package paths_test

import (
	"context"
	"slices"
	"testing"

	"github.com/breachpath/breachpath/paths"
)

// TestMustPassOnPlantedPaths: in the synthetic estate every target is
// reached by exactly one planted path, so what every path to a planted
// target crosses lies on that path: its must-pass hops are interior nodes of
// the planted path (in order) and its must-pass findings are planted
// findings. On the seeded 1k and 10k estates no detour longer than MaxDepth
// bypasses a planted node, so every interior node is must-pass.
func TestMustPassOnPlantedPaths(t *testing.T) {
	for _, size := range []int{1_000, 10_000} {
		testMustPassOnPlantedPaths(t, size)
	}
}

func testMustPassOnPlantedPaths(t *testing.T, size int) {
	g, truth := syntheticGraph(t, size)
	opts := paths.Options{Threshold: truth.Threshold, MaxDepth: truth.MaxDepth}
	d, err := paths.NewProjection(g).Dominators(context.Background(), opts)
	if err != nil {
		t.Fatal(err)
	}
	whole := 0
	for _, pp := range truth.Planted {
		m, ok := d.For(pp.Target)
		if !ok {
			t.Fatalf("%s: no must-pass analysis for planted target %s", pp.ID, pp.Target)
		}
		interior := pp.Nodes[1 : len(pp.Nodes)-1]
		var got []string
		for _, h := range m.Hops {
			got = append(got, h.ID)
		}
		at := 0
		for _, id := range got { // a subsequence of the interior, in order
			i := slices.Index(interior[at:], id)
			if i < 0 {
				t.Fatalf("%s: must-pass hops %v are not an ordered part of the planted path %v", pp.ID, got, pp.Nodes)
			}
			at += i + 1
		}
		for _, f := range m.Findings {
			if !slices.Contains(pp.Findings, f) {
				t.Errorf("%s: must-pass finding %s is not one of the planted path's %v", pp.ID, f, pp.Findings)
			}
		}
		if slices.Equal(got, interior) {
			whole++
		}
	}
	if whole != len(truth.Planted) {
		t.Errorf("%d estate: only %d of %d planted paths are must-pass end to end", size, whole, len(truth.Planted))
	}
}
