package paths

import (
	"math"
	"slices"
	"sync"

	"gonum.org/v1/gonum/graph"
)

// View is a read-only gonum graph (graph.Directed, graph.Weighted and
// graph.WeightedDirected) over a Projection, so that gonum's analyses
// (dominators, strongly connected components, shortest paths, betweenness)
// run on the projection's CSR arrays without copying them into gonum's
// map-based graphs.
//
// Node ids are the projection's int32 node ids, plus, when the view has a
// virtual root, one more id (NumNodes of the projection) for a super-source
// with an edge to each root. Parallel move edges (same endpoints, different
// kinds) appear once in From and To; Weight combines them (see ViewOptions).
//
// Iterating From or To allocates one iterator per call and nothing per edge
// visited (TestViewAllocatesNothingPerEdge, BenchmarkViewFrom). A View is
// safe for concurrent use.
type View struct {
	p      *Projection
	n      int    // projection nodes
	hide   Bitset // edge positions left out (nil: none)
	dup    Bitset // edge positions repeating an earlier shown (u,v) of the same u
	root   int64  // the virtual super-source's id, or -1
	roots  []int32
	isRoot Bitset
	nodes  []viewNode
	only   []int32 // ViewOptions.Nodes, sorted, root appended
	weight func(pos int) float64
	sum    bool

	rev *lazyReverse // shared by Restrict's copies
}

// lazyReverse builds the reverse adjacency once, on first use.
type lazyReverse struct {
	once sync.Once
	csr  *reverseCSR
}

// ViewOptions shape a View. The zero value shows every projected move edge,
// weighted by -log(likelihood), with no virtual root.
type ViewOptions struct {
	// Hide leaves these projection edge positions out (for example
	// Projection.CutEdges of fixed findings).
	Hide Bitset
	// Roots, when set, adds a virtual super-source with an edge of weight 0
	// to each of these nodes, and leaves out every edge into them: an attack
	// path never re-enters a source (see Projection.Search).
	Roots []int32
	// Keep, when set, shows only the edges whose graph edge it accepts.
	Keep func(pos int) bool
	// Weight is an edge's weight (default -log of the projection's
	// likelihood, so that the lightest path is the most likely one).
	Weight func(pos int) float64
	// SumParallel makes Weight(u, v) the sum over parallel edges u->v (a
	// capacity); by default it is the least (a distance).
	SumParallel bool
	// Nodes, when set, is what Nodes iterates (the virtual root, if any,
	// last): a subgraph for algorithms that visit every node, such as
	// betweenness. Shown edges must stay inside it (use Keep).
	Nodes []int32
}

// viewNode is a node of a View. Nodes are handed out as pointers into one
// slice, so returning a graph.Node never allocates.
type viewNode struct{ id int64 }

// ID implements graph.Node.
func (n *viewNode) ID() int64 { return n.id }

// NewView returns a gonum view of p. It costs one bit per edge plus 8 bytes
// per node; the reverse adjacency (for To) is built on first use.
func (p *Projection) NewView(o ViewOptions) *View {
	v := &View{p: p, n: p.NumNodes(), root: -1, weight: o.Weight, sum: o.SumParallel, rev: &lazyReverse{}}
	if v.weight == nil {
		v.weight = func(pos int) float64 { return -math.Log(float64(p.Likelihood[pos])) }
	}
	if len(o.Roots) > 0 {
		v.roots = slices.Clone(o.Roots)
		slices.Sort(v.roots)
		v.roots = slices.Compact(v.roots)
		v.root = int64(v.n)
		v.isRoot = NewBitset(v.n)
		for _, r := range v.roots {
			v.isRoot.Set(int(r))
		}
	}
	m := p.NumEdges()
	if o.Hide != nil || o.Keep != nil || v.isRoot != nil {
		v.hide = NewBitset(m)
		for pos := range m {
			if (o.Hide != nil && o.Hide.Has(pos)) || (o.Keep != nil && !o.Keep(pos)) ||
				(v.isRoot != nil && v.isRoot.Has(int(p.Targets[pos]))) {
				v.hide.Set(pos)
			}
		}
	}
	// Mark repeated heads with a per-node stamp: O(edges), no map.
	v.dup = NewBitset(m)
	stamp := make([]int32, v.n)
	for i := range stamp {
		stamp[i] = -1
	}
	v.eachShown(func(u int32, pos uint32, t int32) {
		if stamp[t] == u {
			v.dup.Set(int(pos))
		}
		stamp[t] = u
	})
	total := v.n
	if v.root >= 0 {
		total++
	}
	v.nodes = make([]viewNode, total)
	for i := range v.nodes {
		v.nodes[i].id = int64(i)
	}
	if o.Nodes != nil {
		v.only = slices.Clone(o.Nodes)
		slices.Sort(v.only)
		v.only = slices.Compact(v.only)
		if v.root >= 0 {
			v.only = append(v.only, int32(v.root))
		}
	}
	return v
}

func (v *View) hidden(pos int) bool { return v.hide != nil && v.hide.Has(pos) }

// eachShown calls f for every shown edge position, in CSR order.
func (v *View) eachShown(f func(u int32, pos uint32, head int32)) {
	for u := range int32(v.n) {
		lo, hi := v.p.Out(u)
		for pos := lo; pos < hi; pos++ {
			if !v.hidden(int(pos)) {
				f(u, pos, v.p.Targets[pos])
			}
		}
	}
}

// Restrict returns a view that shares v's edges but whose Nodes iterates
// only nodes (sorted, deduplicated): for algorithms that start from every
// node, such as betweenness, run on one weakly connected part of the graph
// at a time without building a view per part. It costs no copy of the
// edges. Edges leaving the part stay visible through From and To: callers
// must only pass parts that no shown edge leaves, or edges leaving them
// only towards nodes the algorithm then ignores (scoring.FindingCentrality
// checks the result against one whole-graph run in its tests).
func (v *View) Restrict(nodes []int32) *View {
	c := *v
	c.only = slices.Clone(nodes)
	slices.Sort(c.only)
	c.only = slices.Compact(c.only)
	return &c
}

// Root returns the virtual super-source, or nil when the view has none.
func (v *View) Root() graph.Node {
	if v.root < 0 {
		return nil
	}
	return &v.nodes[v.root]
}

// Projection returns the projection the view reads.
func (v *View) Projection() *Projection { return v.p }

// Shown reports whether projection edge pos is an edge of the view (parallel
// duplicates included).
func (v *View) Shown(pos int) bool { return !v.hidden(pos) }

func (v *View) has(id int64) bool { return id >= 0 && id < int64(len(v.nodes)) }

// Node implements graph.Graph.
func (v *View) Node(id int64) graph.Node {
	if !v.has(id) {
		return nil
	}
	return &v.nodes[id]
}

// Nodes implements graph.Graph: every node id in order (or ViewOptions.Nodes).
func (v *View) Nodes() graph.Nodes {
	if v.only != nil {
		return &listIter{v: v, ids: v.only, i: -1, extra: -1}
	}
	return &rangeIter{v: v, lo: 0, hi: int64(len(v.nodes)), cur: -1}
}

// From implements graph.Graph: the distinct heads of id's shown out-edges.
func (v *View) From(id int64) graph.Nodes {
	switch {
	case !v.has(id):
		return graph.Empty
	case id == v.root:
		return &listIter{v: v, ids: v.roots, i: -1, extra: -1}
	}
	lo, hi := v.p.Out(int32(id))
	return &csrIter{v: v, lo: int(lo), hi: int(hi), i: int(lo) - 1}
}

// To implements graph.Directed: the distinct tails of id's shown in-edges,
// and the virtual root for a root node.
func (v *View) To(id int64) graph.Nodes {
	if !v.has(id) || id == v.root {
		return graph.Empty
	}
	r := v.reverse()
	extra := int64(-1)
	if v.isRoot != nil && v.isRoot.Has(int(id)) {
		extra = v.root
	}
	return &listIter{v: v, ids: r.from[r.off[id]:r.off[id+1]], i: -1, extra: extra}
}

// HasEdgeBetween implements graph.Graph.
func (v *View) HasEdgeBetween(x, y int64) bool { return v.HasEdgeFromTo(x, y) || v.HasEdgeFromTo(y, x) }

// HasEdgeFromTo implements graph.Directed.
func (v *View) HasEdgeFromTo(u, w int64) bool {
	_, ok := v.combined(u, w)
	return ok
}

// Edge implements graph.Graph.
func (v *View) Edge(u, w int64) graph.Edge {
	if e := v.WeightedEdge(u, w); e != nil {
		return e
	}
	return nil
}

// WeightedEdge implements graph.Weighted; the weight is Weight(u, w).
func (v *View) WeightedEdge(u, w int64) graph.WeightedEdge {
	wt, ok := v.combined(u, w)
	if !ok {
		return nil
	}
	return viewEdge{from: &v.nodes[u], to: &v.nodes[w], w: wt}
}

// Weight implements graph.Weighted: 0 for a node to itself, else the
// combined weight of the shown edges u->w (least, or sum with SumParallel).
func (v *View) Weight(u, w int64) (float64, bool) {
	if u == w && v.has(u) {
		return 0, true
	}
	return v.combined(u, w)
}

func (v *View) combined(u, w int64) (float64, bool) {
	if !v.has(u) || !v.has(w) || u == w {
		return 0, false
	}
	if u == v.root {
		_, ok := slices.BinarySearch(v.roots, int32(w))
		return 0, ok
	}
	if w == v.root {
		return 0, false
	}
	lo, hi := v.p.Out(int32(u))
	best, ok := 0.0, false
	for pos := int(lo); pos < int(hi); pos++ {
		if v.p.Targets[pos] != int32(w) || v.hidden(pos) {
			continue
		}
		x := v.weight(pos)
		switch {
		case !ok:
			best = x
		case v.sum:
			best += x
		default:
			best = min(best, x)
		}
		ok = true
	}
	return best, ok
}

// InEdges returns the projection positions of the shown edges into node id
// (parallel edges included), and their tails. Both slices are read-only.
func (v *View) InEdges(id int32) (pos, from []int32) {
	r := v.reverse()
	lo, hi := r.allOff[id], r.allOff[id+1]
	return r.allPos[lo:hi], r.allFrom[lo:hi]
}

// reverseCSR is the transposed adjacency of the shown edges: all of them
// (for InEdges) and the distinct tails (for To).
type reverseCSR struct {
	off, from               []int32
	allOff, allPos, allFrom []int32
}

func (v *View) reverse() *reverseCSR {
	v.rev.once.Do(func() {
		p := v.p
		r := &reverseCSR{off: make([]int32, v.n+1), allOff: make([]int32, v.n+1)}
		for pos, t := range p.Targets {
			if v.hidden(pos) {
				continue
			}
			r.allOff[t+1]++
			if !v.dup.Has(pos) {
				r.off[t+1]++
			}
		}
		for i := 1; i <= v.n; i++ {
			r.off[i] += r.off[i-1]
			r.allOff[i] += r.allOff[i-1]
		}
		r.from = make([]int32, r.off[v.n])
		r.allPos = make([]int32, r.allOff[v.n])
		r.allFrom = make([]int32, r.allOff[v.n])
		fill := slices.Clone(r.off[:v.n])
		allFill := slices.Clone(r.allOff[:v.n])
		v.eachShown(func(u int32, pos uint32, t int32) {
			r.allPos[allFill[t]] = int32(pos)
			r.allFrom[allFill[t]] = u
			allFill[t]++
			if !v.dup.Has(int(pos)) {
				r.from[fill[t]] = u
				fill[t]++
			}
		})
		v.rev.csr = r
	})
	return v.rev.csr
}

// viewEdge is an edge handed out by Edge and WeightedEdge.
type viewEdge struct {
	from, to *viewNode
	w        float64
}

func (e viewEdge) From() graph.Node         { return e.from }
func (e viewEdge) To() graph.Node           { return e.to }
func (e viewEdge) Weight() float64          { return e.w }
func (e viewEdge) ReversedEdge() graph.Edge { return viewEdge{from: e.to, to: e.from, w: e.w} }

// rangeIter iterates the node ids lo..hi-1.
type rangeIter struct {
	v      *View
	lo, hi int64
	cur    int64
}

func (it *rangeIter) Next() bool {
	if it.cur+1 >= it.hi-it.lo {
		it.cur = it.hi - it.lo
		return false
	}
	it.cur++
	return true
}
func (it *rangeIter) Len() int { return int(max(0, it.hi-it.lo-it.cur-1)) }
func (it *rangeIter) Reset()   { it.cur = -1 }
func (it *rangeIter) Node() graph.Node {
	if it.cur < 0 || it.cur >= it.hi-it.lo {
		return nil
	}
	return &it.v.nodes[it.lo+it.cur]
}

// csrIter iterates the shown, distinct heads of the edge positions lo..hi-1.
type csrIter struct {
	v      *View
	lo, hi int
	i      int
}

func (it *csrIter) skip(pos int) bool { return it.v.hidden(pos) || it.v.dup.Has(pos) }

func (it *csrIter) Next() bool {
	for it.i++; it.i < it.hi; it.i++ {
		if !it.skip(it.i) {
			return true
		}
	}
	return false
}

func (it *csrIter) Len() int {
	c := 0
	for pos := max(it.i+1, it.lo); pos < it.hi; pos++ {
		if !it.skip(pos) {
			c++
		}
	}
	return c
}

func (it *csrIter) Reset() { it.i = it.lo - 1 }

func (it *csrIter) Node() graph.Node {
	if it.i < it.lo || it.i >= it.hi {
		return nil
	}
	return &it.v.nodes[it.v.p.Targets[it.i]]
}

// listIter iterates a list of node ids, preceded by extra when it is >= 0.
type listIter struct {
	v     *View
	ids   []int32
	extra int64
	i     int // -1 before the start; 0 is extra when present
}

func (it *listIter) n() int {
	if it.extra >= 0 {
		return len(it.ids) + 1
	}
	return len(it.ids)
}

func (it *listIter) Next() bool {
	if it.i+1 >= it.n() {
		it.i = it.n()
		return false
	}
	it.i++
	return true
}
func (it *listIter) Len() int { return max(0, it.n()-it.i-1) }
func (it *listIter) Reset()   { it.i = -1 }
func (it *listIter) Node() graph.Node {
	if it.i < 0 || it.i >= it.n() {
		return nil
	}
	k := it.i
	if it.extra >= 0 {
		if k == 0 {
			return &it.v.nodes[it.extra]
		}
		k--
	}
	return &it.v.nodes[it.ids[k]]
}

// Interface checks.
var (
	_ graph.Directed         = (*View)(nil)
	_ graph.WeightedDirected = (*View)(nil)
)
