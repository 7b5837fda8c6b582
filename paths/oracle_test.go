package paths

import (
	"cmp"
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	gpath "gonum.org/v1/gonum/graph/path"

	"github.com/breachpath/breachpath/graph"
)

// The oracle tests compare the engine's search with gonum's shortest-path
// algorithms on the same projection, seen through View with weights
// -log(likelihood): the most likely path is the lightest one. Each
// comparison returns its disagreements instead of failing, so that the
// tests can also check that a deliberately wrong engine answer, and a
// deliberately wrong oracle, are caught (TestOraclesCatchBugs).

// oracleView is the view the oracles search: a virtual root over the
// sources, no edge into a source, exact float64 -log(likelihood) weights.
func oracleView(p *Projection, sources []int32, weight func(pos int) float64) *View {
	if weight == nil {
		weight = func(pos int) float64 { return -math.Log(EffectiveLikelihood(&p.Graph().Edges[p.Edge[pos]])) }
	}
	return p.NewView(ViewOptions{Roots: sources, Weight: weight})
}

// likelyEnough compares likelihoods with room for the engine's float32
// ordering: products equal in exact arithmetic may differ in the last bits.
func likelyEnough(a, b float64) bool { return math.Abs(a-b) <= 1e-5*max(a, b) }

// compareBest checks that the engine's best path per target (Top 1) has
// the likelihood of gonum's DijkstraFrom shortest path from the virtual root,
// that the engine reaches exactly the targets Dijkstra reaches, and that the
// engine's path is a path of the view with the weight it claims.
func compareBest(p *Projection, res *Result, v *View) []string {
	var bad []string
	_, targets, _ := p.Endpoints(Options{})
	sp := gpath.DijkstraFrom(v.Root(), v)
	best := map[string]*Path{}
	for i := range res.Paths {
		if q := &res.Paths[i]; best[q.Target] == nil {
			best[q.Target] = q
		}
	}
	g := p.Graph()
	for _, t := range targets {
		id := g.Nodes[t].ID
		w := sp.WeightTo(int64(t))
		got := best[id]
		switch {
		case math.IsInf(w, 1) && got != nil:
			bad = append(bad, fmt.Sprintf("%s: engine path %s, Dijkstra finds none", id, got.ID))
		case !math.IsInf(w, 1) && got == nil:
			bad = append(bad, fmt.Sprintf("%s: Dijkstra likelihood %.6g, engine finds no path", id, math.Exp(-w)))
		case got != nil && !likelyEnough(got.Likelihood, math.Exp(-w)):
			bad = append(bad, fmt.Sprintf("%s: engine best likelihood %.6g, Dijkstra %.6g", id, got.Likelihood, math.Exp(-w)))
		}
		if got == nil {
			continue
		}
		// The engine's path must be a path of the view weighing what it claims.
		sum := 0.0
		prev, _ := g.NodeIndex(got.Source)
		for _, h := range got.Hops {
			next, _ := g.NodeIndex(h.To)
			hw, ok := v.Weight(int64(prev), int64(next))
			if !ok {
				bad = append(bad, fmt.Sprintf("%s: engine hop %s -> %s is not an edge of the view", id, h.From, h.To))
				break
			}
			sum += hw
			prev = next
		}
		if !likelyEnough(math.Exp(-sum), got.Likelihood) {
			bad = append(bad, fmt.Sprintf("%s: engine path weighs %.6g in the view, claims %.6g", id, math.Exp(-sum), got.Likelihood))
		}
	}
	return bad
}

// compareTopK checks, per target, that the likelihoods of the engine's top
// k paths equal those of gonum's YenKShortestPaths (k paths from the virtual
// root). Valid where the engine is exact for k > 1: acyclic graphs without
// parallel moves, and MaxDepth above the longest path.
func compareTopK(p *Projection, res *Result, v *View, k int) []string {
	var bad []string
	_, targets, _ := p.Endpoints(Options{})
	byTarget := map[string][]float64{}
	for _, q := range res.Paths {
		byTarget[q.Target] = append(byTarget[q.Target], q.Likelihood)
	}
	g := p.Graph()
	for _, t := range targets {
		id := g.Nodes[t].ID
		var want []float64
		for _, yp := range gpath.YenKShortestPaths(v, k, math.Inf(1), v.Root(), v.Node(int64(t))) {
			w := 0.0
			for i := 1; i < len(yp); i++ {
				x, _ := v.Weight(yp[i-1].ID(), yp[i].ID())
				w += x
			}
			want = append(want, math.Exp(-w))
		}
		got := byTarget[id]
		slices.SortFunc(want, func(a, b float64) int { return cmp.Compare(b, a) })
		slices.SortFunc(got, func(a, b float64) int { return cmp.Compare(b, a) })
		if len(got) != len(want) {
			bad = append(bad, fmt.Sprintf("%s: engine %d paths %v, Yen %d %v", id, len(got), got, len(want), want))
			continue
		}
		for i := range got {
			if !likelyEnough(got[i], want[i]) {
				bad = append(bad, fmt.Sprintf("%s: path %d likelihood engine %.6g, Yen %.6g", id, i+1, got[i], want[i]))
				break
			}
		}
	}
	return bad
}

// randomDAG builds a random acyclic attack graph with at most one move per
// ordered pair: nodes n00..n(n-1), moves only from lower to higher index,
// the Internet exposed to a few of the first nodes.
func randomDAG(r *rand.Rand, n, m int) *builder {
	b := (&builder{}).internet()
	for i := range n {
		s := graph.SensitivityInternal
		if i > n/3 && r.IntN(3) == 0 {
			s = graph.SensitivityConfidential
		}
		b.node(fmt.Sprintf("n%02d", i), graph.KindCompute, s)
	}
	seen := map[[2]int]bool{}
	for range 3 {
		to := r.IntN(max(1, n/3))
		if !seen[[2]int{-1, to}] {
			seen[[2]int{-1, to}] = true
			b.move(graph.InternetID, fmt.Sprintf("n%02d", to), graph.EdgeExposedTo, float64(1+r.IntN(9))/10)
		}
	}
	for range m {
		u, w := r.IntN(n), r.IntN(n)
		if u == w {
			continue
		}
		u, w = min(u, w), max(u, w)
		if seen[[2]int{u, w}] {
			continue
		}
		seen[[2]int{u, w}] = true
		b.move(fmt.Sprintf("n%02d", u), fmt.Sprintf("n%02d", w), graph.EdgeReaches, float64(1+r.IntN(9))/10)
	}
	return b
}

// TestBestPathEqualsGonumDijkstra: on random cyclic graphs (parallel moves
// of different kinds included) the engine's best path to every target has
// the likelihood of gonum's Dijkstra under -log(likelihood) weights.
func TestBestPathEqualsGonumDijkstra(t *testing.T) {
	r := rand.New(rand.NewPCG(18, 1))
	for trial := range 300 {
		n := 4 + r.IntN(24)
		g := randomGraph(r, n, n+r.IntN(4*n), 4).build()
		p := NewProjection(g)
		res, err := p.Search(context.Background(), Options{Top: 1, MaxDepth: MaxMaxDepth})
		if err != nil {
			t.Fatal(err)
		}
		sources, _, _ := p.Endpoints(Options{})
		if bad := compareBest(p, res, oracleView(p, sources, nil)); len(bad) > 0 {
			t.Fatalf("trial %d (%d nodes, %d moves): %v", trial, n, p.NumEdges(), bad)
		}
	}
}

// TestTopKEqualsGonumYen: on random DAGs without parallel moves the engine's
// top k paths per target have the likelihoods of gonum's Yen k shortest
// loopless paths, for k = 1..5.
func TestTopKEqualsGonumYen(t *testing.T) {
	r := rand.New(rand.NewPCG(18, 2))
	for trial := range 200 {
		n := 4 + r.IntN(16)
		k := 1 + r.IntN(5)
		g := randomDAG(r, n, 3*n).build()
		p := NewProjection(g)
		res, err := p.Search(context.Background(), Options{Top: k, MaxDepth: MaxMaxDepth})
		if err != nil {
			t.Fatal(err)
		}
		sources, _, _ := p.Endpoints(Options{})
		if bad := compareTopK(p, res, oracleView(p, sources, nil), k); len(bad) > 0 {
			t.Fatalf("trial %d (%d nodes, %d moves, k=%d): %v", trial, n, p.NumEdges(), k, bad)
		}
	}
}

// TestOraclesCatchBugs shows the comparisons above are not vacuous: a wrong
// engine answer (the second-best path reported as best, a path dropped) and
// a wrong oracle (weights that are likelihoods, not -log) are reported.
func TestOraclesCatchBugs(t *testing.T) {
	// Two routes to the bucket: 0.9*0.9*0.5 = 0.405 via role, 0.9*0.4 = 0.36 direct.
	g := chain().move("web", "bucket", graph.EdgeReads, 0.4).build()
	p := NewProjection(g)
	sources, _, _ := p.Endpoints(Options{})
	res, err := p.Search(context.Background(), Options{Top: 2, MaxDepth: MaxMaxDepth})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Paths) != 2 {
		t.Fatalf("want 2 paths, got %v", ids(res.Paths))
	}
	good := oracleView(p, sources, nil)
	if bad := compareBest(p, &Result{Paths: res.Paths[:1]}, good); len(bad) > 0 {
		t.Fatalf("correct engine answer reported: %v", bad)
	}
	if bad := compareTopK(p, res, good, 2); len(bad) > 0 {
		t.Fatalf("correct top 2 reported: %v", bad)
	}
	tests := []struct {
		name string
		bad  func() []string
	}{
		{"engine reports the second-best path as best", func() []string {
			return compareBest(p, &Result{Paths: res.Paths[1:]}, good)
		}},
		{"engine misses a reachable target", func() []string {
			return compareBest(p, &Result{}, good)
		}},
		{"engine top 2 misses a path", func() []string {
			return compareTopK(p, &Result{Paths: res.Paths[:1]}, good, 2)
		}},
		{"engine top 2 has a wrong likelihood", func() []string {
			ps := slices.Clone(res.Paths)
			ps[1].Likelihood *= 0.9
			return compareTopK(p, &Result{Paths: ps}, good, 2)
		}},
		{"oracle weighs likelihood instead of -log", func() []string {
			return compareBest(p, &Result{Paths: res.Paths[:1]}, oracleView(p, sources, func(pos int) float64 {
				return EffectiveLikelihood(&g.Edges[p.Edge[pos]])
			}))
		}},
		{"oracle squares every likelihood", func() []string {
			v := oracleView(p, sources, func(pos int) float64 { return -2 * math.Log(float64(p.Likelihood[pos])) })
			return compareTopK(p, res, v, 2)
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if bad := tc.bad(); len(bad) == 0 {
				t.Error("the comparison reports nothing")
			}
		})
	}
}
