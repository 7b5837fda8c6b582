package paths

import (
	"fmt"
	"math"
	"slices"
	"testing"

	gg "gonum.org/v1/gonum/graph"
	"gonum.org/v1/gonum/graph/topo"

	"github.com/breachpath/breachpath/graph"
)

func nodeIDs(it gg.Nodes) []int64 {
	var out []int64
	for it.Next() {
		out = append(out, it.Node().ID())
	}
	slices.Sort(out)
	return out
}

func idx(t *testing.T, g *graph.Graph, id string) int64 {
	t.Helper()
	i, ok := g.NodeIndex(id)
	if !ok {
		t.Fatalf("no node %q", id)
	}
	return int64(i)
}

// TestViewMirrorsTheProjection checks the gonum view on a hand-drawn graph:
// ids are projection ids, parallel moves appear once, hidden edges and edges
// into roots are gone, the virtual root reaches the roots, and weights
// combine parallel edges as asked.
func TestViewMirrorsTheProjection(t *testing.T) {
	g := chain().
		move("web", "role", graph.EdgeEscalatesTo, 0.25, "f-other"). // parallel to USES_IDENTITY (0.9)
		move("role", graph.InternetID, graph.EdgeReaches, 0.5).      // into a source
		build()
	p := NewProjection(g)
	in, web, role, bucket := idx(t, g, graph.InternetID), idx(t, g, "web"), idx(t, g, "role"), idx(t, g, "bucket")

	t.Run("plain view shows every move once", func(t *testing.T) {
		v := p.NewView(ViewOptions{})
		if got := nodeIDs(v.Nodes()); len(got) != p.NumNodes() || got[0] != 0 {
			t.Fatalf("nodes %v, want 0..%d", got, p.NumNodes()-1)
		}
		if got := nodeIDs(v.From(web)); !slices.Equal(got, []int64{role}) {
			t.Errorf("From(web) = %v, want [role] once", got)
		}
		if it := v.From(web); it.Len() != 1 {
			t.Errorf("From(web).Len() = %d, want 1", it.Len())
		}
		if got := nodeIDs(v.To(role)); !slices.Equal(got, []int64{web}) {
			t.Errorf("To(role) = %v, want [web]", got)
		}
		if got := nodeIDs(v.From(role)); !slices.Contains(got, in) {
			t.Errorf("From(role) = %v, want the edge into the Internet", got)
		}
		w, ok := v.Weight(web, role)
		if !ok || math.Abs(w-(-math.Log(0.9))) > 1e-6 {
			t.Errorf("Weight(web, role) = %v %v, want -log(0.9) (the best parallel edge)", w, ok)
		}
		if _, ok := v.Weight(role, web); ok {
			t.Error("Weight(role, web) exists; the view is directed")
		}
		if !topo.IsPathIn(v, []gg.Node{v.Node(in), v.Node(web), v.Node(role), v.Node(bucket)}) {
			t.Error("internet>web>role>bucket is not a path of the view")
		}
		if v.Node(int64(p.NumNodes())) != nil || v.Root() != nil {
			t.Error("a view without roots has a virtual node")
		}
	})
	t.Run("roots add a virtual source and hide edges into them", func(t *testing.T) {
		v := p.NewView(ViewOptions{Roots: []int32{int32(in)}})
		r := v.Root()
		if r == nil || r.ID() != int64(p.NumNodes()) {
			t.Fatalf("root %v, want id %d", r, p.NumNodes())
		}
		if got := nodeIDs(v.From(r.ID())); !slices.Equal(got, []int64{in}) {
			t.Errorf("From(root) = %v, want [internet]", got)
		}
		if got := nodeIDs(v.To(in)); !slices.Equal(got, []int64{r.ID()}) {
			t.Errorf("To(internet) = %v, want only the virtual root", got)
		}
		if slices.Contains(nodeIDs(v.From(role)), in) {
			t.Error("the edge role -> internet is shown; paths never re-enter a source")
		}
	})
	t.Run("hidden edges and summed capacities", func(t *testing.T) {
		cut := p.CutEdges(map[string]bool{"f-imdsv1": true})
		v := p.NewView(ViewOptions{Hide: cut, SumParallel: true, Weight: func(int) float64 { return 2 }})
		if w, ok := v.Weight(web, role); !ok || w != 2 {
			t.Errorf("Weight(web, role) = %v %v, want 2: only the ESCALATES_TO edge is left", w, ok)
		}
		v = p.NewView(ViewOptions{SumParallel: true, Weight: func(int) float64 { return 2 }})
		if w, _ := v.Weight(web, role); w != 4 {
			t.Errorf("summed Weight(web, role) = %v, want 4", w)
		}
		if e := v.WeightedEdge(web, role); e == nil || e.From().ID() != web || e.To().ID() != role || e.Weight() != 4 {
			t.Errorf("WeightedEdge(web, role) = %v", e)
		}
	})
}

// starGraph: a hub with fan out-edges (one per leaf), for allocation checks.
func starGraph(fan int) *Projection {
	b := (&builder{}).internet().node("hub", graph.KindCompute, graph.SensitivityNone)
	b.move(graph.InternetID, "hub", graph.EdgeExposedTo, 0.9)
	for i := range fan {
		id := fmt.Sprintf("leaf%05d", i)
		b.node(id, graph.KindBucket, conf).move("hub", id, graph.EdgeReads, 0.9)
	}
	return NewProjection(b.build())
}

// TestViewAllocatesNothingPerEdge iterates From and To of a node with 1 and
// with 1000 edges: the allocations are the iterator's, the same for both.
func TestViewAllocatesNothingPerEdge(t *testing.T) {
	count := func(fan int) (from, to float64) {
		p := starGraph(fan)
		g := p.Graph()
		hub, _ := g.NodeIndex("hub")
		leaf, _ := g.NodeIndex("leaf00000")
		v := p.NewView(ViewOptions{Roots: []int32{0}})
		v.To(int64(leaf)) // build the reverse adjacency outside the measurement
		var sink int64
		from = testing.AllocsPerRun(100, func() {
			it := v.From(int64(hub))
			for it.Next() {
				sink += it.Node().ID()
			}
		})
		to = testing.AllocsPerRun(100, func() {
			it := v.To(int64(hub))
			for it.Next() {
				sink += it.Node().ID()
			}
		})
		_ = sink
		return from, to
	}
	f1, t1 := count(1)
	f1000, t1000 := count(1000)
	if f1000 != f1 || t1000 != t1 {
		t.Errorf("allocations grow with the edges visited: From %v -> %v, To %v -> %v", f1, f1000, t1, t1000)
	}
	if f1 > 1 || t1 > 1 {
		t.Errorf("From allocates %v, To %v per call; want at most the iterator", f1, t1)
	}
}

// BenchmarkViewFrom visits every edge of a 10k-edge star through From:
// allocs/op stays at one (the iterator) whatever the degree.
func BenchmarkViewFrom(b *testing.B) {
	p := starGraph(10_000)
	hub, _ := p.Graph().NodeIndex("hub")
	v := p.NewView(ViewOptions{})
	b.ReportAllocs()
	var sink int64
	for b.Loop() {
		it := v.From(int64(hub))
		for it.Next() {
			sink += it.Node().ID()
		}
	}
	_ = sink
	b.ReportMetric(float64(p.NumEdges()-1), "edges/op")
}
