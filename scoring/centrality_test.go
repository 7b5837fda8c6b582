package scoring

import (
	"context"
	"math"
	"testing"

	gnetwork "gonum.org/v1/gonum/graph/network"

	"github.com/breachpath/breachpath/collector/synthetic"
	"github.com/breachpath/breachpath/graph"
	"github.com/breachpath/breachpath/paths"
)

// TestCentralityRanksSharedMovesFirst: a fan-out (one exposure and one
// identity theft reaching two buckets) next to a single path: the shared
// findings carry more attack traffic than either bucket's own, and a finding
// on no attack path has none.
func TestCentralityRanksSharedMovesFirst(t *testing.T) {
	b := (&builder{}).node(graph.InternetID, graph.KindInternet, 0).
		node("web", graph.KindCompute, 0).node("role", graph.KindRole, 0).
		node("b1", graph.KindBucket, graph.SensitivityRestricted).node("b2", graph.KindBucket, graph.SensitivityRestricted).
		node("x", graph.KindCompute, 0).node("b3", graph.KindBucket, graph.SensitivityRestricted).node("dev", graph.KindCompute, 0).
		move(graph.InternetID, "web", graph.EdgeExposedTo, 0.9, "f-open").move("web", "role", graph.EdgeUsesIdentity, 0.9, "f-imds").
		move("role", "b1", graph.EdgeReads, 0.9, "f-b1").move("role", "b2", graph.EdgeReads, 0.9, "f-b2").
		move(graph.InternetID, "x", graph.EdgeExposedTo, 0.9, "f-x").move("x", "b3", graph.EdgeReads, 0.9, "f-b3").
		move(graph.InternetID, "dev", graph.EdgeExposedTo, 0.9, "f-dev")
	c, err := FindingCentrality(context.Background(), paths.NewProjection(b.build()), paths.Options{Threshold: graph.SensitivityRestricted}, 0)
	if err != nil {
		t.Fatal(err)
	}
	by := c.ByFinding
	if by["f-imds"] != 1 || !(by["f-open"] > by["f-b1"]) || !(by["f-imds"] > by["f-b1"]) || by["f-b1"] != by["f-b2"] {
		t.Errorf("centrality %v: want the shared moves above each bucket's own, f-imds the most central", by)
	}
	if _, ok := by["f-dev"]; ok {
		t.Errorf("f-dev is on no attack path but has centrality %v", by["f-dev"])
	}
	if c.Ranked[0] != "f-imds" || c.Components != 2 {
		t.Errorf("ranked %v in %d components, want f-imds first and two parts (web's and x's)", c.Ranked, c.Components)
	}
}

// TestCentralityByPartsEqualsOneWholeRun: scoring each weakly connected
// part alone (with the sources that enter it) gives exactly gonum's
// EdgeBetweenness of the whole attack subgraph in one run.
func TestCentralityByPartsEqualsOneWholeRun(t *testing.T) {
	est, err := synthetic.Generate(context.Background(), synthetic.Options{Seed: 7, Resources: 10_000})
	if err != nil {
		t.Fatal(err)
	}
	g := est.Graph()
	proj := paths.NewProjection(g)
	so := paths.Options{Threshold: est.Truth.Threshold, MaxDepth: est.Truth.MaxDepth}
	c, err := FindingCentrality(context.Background(), proj, so, 0)
	if err != nil {
		t.Fatal(err)
	}
	net, err := attackNetwork(proj, so)
	if err != nil {
		t.Fatal(err)
	}
	keep := paths.NewBitset(proj.NumEdges())
	for _, pos := range net.pos {
		keep.Set(int(pos))
	}
	eb := gnetwork.EdgeBetweenness(proj.NewView(paths.ViewOptions{Keep: keep.Has}).Restrict(net.glob))
	sum, top := map[string]float64{}, 0.0
	for lu := range net.nodes {
		for le := net.off[lu]; le < net.off[lu+1]; le++ {
			pos := net.pos[le]
			for _, f := range g.Edges[proj.Edge[pos]].Findings {
				sum[f] += eb[[2]int64{int64(net.glob[lu]), int64(proj.Targets[pos])}]
				top = max(top, sum[f])
			}
		}
	}
	if c.Components < 10 || len(sum) != len(c.ByFinding) {
		t.Fatalf("%d parts, %d findings scored by parts, %d by the whole run", c.Components, len(c.ByFinding), len(sum))
	}
	for f, s := range sum {
		if math.Abs(s/top-c.ByFinding[f]) > 1e-12 {
			t.Errorf("%s: by parts %v, whole run %v", f, c.ByFinding[f], s/top)
		}
	}
}
