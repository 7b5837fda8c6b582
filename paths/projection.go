package paths

import (
	"runtime"
	"sync"
	"unsafe"

	"github.com/breachpath/breachpath/graph"
)

// Projection is the attack graph in CSR form: the out-moves of node n are the
// positions Offsets[n] to Offsets[n+1] of Targets, Likelihood and Edge. Node
// ids are positions in Graph().Nodes. Only move edges whose endpoints both
// exist are projected; Stale and Conditional edges are included (Conditional
// ones with ConditionalFactor applied to Likelihood).
type Projection struct {
	// Offsets has one entry per node plus one.
	Offsets []uint32
	// Targets holds the head node of every projected edge.
	Targets []int32
	// Likelihood holds the effective likelihood of every projected edge.
	Likelihood []float32
	// Edge holds, for every projected edge, its index in Graph().Edges.
	Edge []int32
	// Dangling counts move edges skipped because an endpoint is missing
	// (a scope referenced a node nobody loaded).
	Dangling int

	g *graph.Graph
}

// NewProjection builds the CSR projection of the move edges of g. It is
// read-only afterwards and safe for concurrent searches.
func NewProjection(g *graph.Graph) *Projection {
	n := len(g.Nodes)
	p := &Projection{g: g, Offsets: make([]uint32, n+1)}
	ends := resolveMoves(g)
	m := 0
	for i := range ends {
		switch ends[i].from {
		case notMove:
		case dangling:
			p.Dangling++
		default:
			p.Offsets[ends[i].from+1]++
			m++
		}
	}
	for i := 1; i <= n; i++ {
		p.Offsets[i] += p.Offsets[i-1]
	}
	p.Targets = make([]int32, m)
	p.Likelihood = make([]float32, m)
	p.Edge = make([]int32, m)
	fill := make([]uint32, n)
	copy(fill, p.Offsets[:n])
	// A stable counting sort: within a node, edges keep g.Edges order, which
	// Assemble made canonical — so the projection does not depend on input order.
	for i, pr := range ends {
		if pr.from < 0 {
			continue
		}
		pos := fill[pr.from]
		fill[pr.from]++
		p.Targets[pos] = pr.to
		p.Edge[pos] = int32(i)
		p.Likelihood[pos] = float32(EffectiveLikelihood(&g.Edges[i]))
	}
	return p
}

// endpoints are an edge's node positions, or notMove / dangling in from.
type endpoints struct{ from, to int32 }

const (
	notMove  = -1 // a fact edge: not projected
	dangling = -2 // a move edge with an endpoint nobody loaded
)

// resolveMoves returns the node positions of every move edge's endpoints,
// one entry per edge of g. Looking ids up in the node index is most of the
// projection's cost at 1M resources (two hash lookups of a random node per
// edge), so contiguous ranges of edges are resolved on every core.
func resolveMoves(g *graph.Graph) []endpoints {
	ends := make([]endpoints, len(g.Edges))
	resolve := func(lo, hi int) {
		// g.Edges is sorted by From: caching the last From avoids half of the lookups
		lastFrom, lastIdx, lastOK := "", int32(0), false
		for i := lo; i < hi; i++ {
			e := &g.Edges[i]
			if !e.Kind.IsMove() {
				ends[i].from = notMove
				continue
			}
			if e.From != lastFrom || i == lo {
				lastFrom = e.From
				lastIdx, lastOK = g.NodeIndex(e.From)
			}
			to, ok := g.NodeIndex(e.To)
			if !lastOK || !ok {
				ends[i].from = dangling
				continue
			}
			ends[i] = endpoints{lastIdx, to}
		}
	}
	const minChunk = 1 << 16 // below this, starting goroutines costs more than it saves
	workers := min(runtime.GOMAXPROCS(0), len(ends)/minChunk)
	if workers < 2 {
		resolve(0, len(ends))
		return ends
	}
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() { resolve(w*len(ends)/workers, (w+1)*len(ends)/workers) })
	}
	wg.Wait()
	return ends
}

// Graph returns the graph the projection was built from.
func (p *Projection) Graph() *graph.Graph { return p.g }

// NumNodes returns the number of nodes.
func (p *Projection) NumNodes() int { return len(p.Offsets) - 1 }

// NumEdges returns the number of projected move edges.
func (p *Projection) NumEdges() int { return len(p.Targets) }

// Out returns the range of edge positions leaving node n.
func (p *Projection) Out(n int32) (lo, hi uint32) { return p.Offsets[n], p.Offsets[n+1] }

// TopologyBytes returns the bytes held by the CSR arrays.
func (p *Projection) TopologyBytes() int {
	return len(p.Offsets)*int(unsafe.Sizeof(uint32(0))) +
		len(p.Targets)*int(unsafe.Sizeof(int32(0))) +
		len(p.Likelihood)*int(unsafe.Sizeof(float32(0))) +
		len(p.Edge)*int(unsafe.Sizeof(int32(0)))
}

// BytesPerEdge returns TopologyBytes per projected edge (node offsets
// amortised over the edges), or 0 for an empty projection.
func (p *Projection) BytesPerEdge() float64 {
	if len(p.Targets) == 0 {
		return 0
	}
	return float64(p.TopologyBytes()) / float64(len(p.Targets))
}

// Bitset is a fixed-size set of small non-negative integers.
type Bitset []uint64

// NewBitset returns a set able to hold 0..n-1.
func NewBitset(n int) Bitset { return make(Bitset, (n+63)/64) }

// Has reports whether i is in the set.
func (b Bitset) Has(i int) bool { return b[i>>6]&(1<<(uint(i)&63)) != 0 }

// Set adds i to the set.
func (b Bitset) Set(i int) { b[i>>6] |= 1 << (uint(i) & 63) }

// Clear removes i from the set.
func (b Bitset) Clear(i int) { b[i>>6] &^= 1 << (uint(i) & 63) }

// CutEdges returns the set of projected edge positions that cite at least one
// of the removed findings: the moves that disappear once those are fixed.
// It returns nil when removed is empty.
func (p *Projection) CutEdges(removed map[string]bool) Bitset {
	if len(removed) == 0 {
		return nil
	}
	cut := NewBitset(len(p.Edge))
	for pos, ei := range p.Edge {
		for _, f := range p.g.Edges[ei].Findings {
			if removed[f] {
				cut.Set(pos)
				break
			}
		}
	}
	return cut
}
