package paths

import (
	"context"
	"fmt"
	"slices"

	"github.com/breachpath/breachpath/graph"
)

// Defaults of Options.
const (
	DefaultMaxDepth  = 8
	DefaultTop       = 3
	DefaultThreshold = graph.SensitivityConfidential
	// DefaultMaxWork is the default work budget in edges scanned. A healthy
	// 1M-resource estate needs a few million; the budget is there for
	// adversarial graphs (dense cycles, hubs) where the search would
	// otherwise run for minutes.
	DefaultMaxWork = 50_000_000
	// MaxTop bounds Options.Top: the search keeps Top depths per node.
	MaxTop = 64
	// MaxMaxDepth bounds Options.MaxDepth: depths are kept in a byte.
	MaxMaxDepth = 64
	// reachWorkPerEntry bounds the blast-radius walk from one entry point.
	reachWorkPerEntry = 1 << 20
)

// Options select and bound a search. The zero value means the defaults.
type Options struct {
	// MaxDepth is the longest path in hops (default 8).
	MaxDepth int
	// Top is how many most-likely paths are kept per target (default 3).
	Top int
	// Threshold is the sensitivity at or above which a node is a target
	// (default Confidential); crown jewels are targets at any threshold.
	Threshold graph.Sensitivity
	// Sources, when set, replaces the exposure sources with these node ids.
	// They need not be exposure sources: this answers "what can an attacker
	// who holds this foothold reach".
	Sources []string
	// Targets, when set, replaces the threshold-selected targets with these
	// node ids.
	Targets []string
	// Clouds and Accounts keep only paths that touch them: a path is kept
	// when its target, or any node along it, is in one of the clouds and
	// (if both are set) one of the accounts. The filter applies to the Top
	// paths per target, after the search.
	Clouds   []graph.Cloud
	Accounts []string
	// RemovedFindings are treated as fixed: every move edge citing any of
	// them is cut. Used by the remediation plan and "what if fixed".
	RemovedFindings []string
	// MaxWork bounds the edges scanned (default DefaultMaxWork); when it is
	// exhausted the result so far is returned with Truncated set.
	MaxWork int64
}

func (o Options) withDefaults() (Options, error) {
	if o.MaxDepth == 0 {
		o.MaxDepth = DefaultMaxDepth
	}
	if o.Top == 0 {
		o.Top = DefaultTop
	}
	if o.Threshold == graph.SensitivityNone {
		o.Threshold = DefaultThreshold
	}
	if o.MaxWork == 0 {
		o.MaxWork = DefaultMaxWork
	}
	switch {
	case o.MaxDepth < 1 || o.MaxDepth > MaxMaxDepth:
		return o, fmt.Errorf("max depth %d out of range 1..%d", o.MaxDepth, MaxMaxDepth)
	case o.Top < 1 || o.Top > MaxTop:
		return o, fmt.Errorf("top %d out of range 1..%d", o.Top, MaxTop)
	case !o.Threshold.Valid():
		return o, fmt.Errorf("invalid sensitivity threshold %d", int(o.Threshold))
	case o.MaxWork < 0:
		return o, fmt.Errorf("negative work budget %d", o.MaxWork)
	}
	return o, nil
}

// Stats describe the work a search did.
type Stats struct {
	Sources      int     `json:"sources"`
	Targets      int     `json:"targets"`
	Nodes        int     `json:"nodes"`
	MoveEdges    int     `json:"move_edges"`
	CutEdges     int     `json:"cut_edges"`
	Expansions   int64   `json:"expansions"`    // partial paths taken off the queue and extended
	EdgesScanned int64   `json:"edges_scanned"` // out-edges looked at, the unit of MaxWork
	BytesPerEdge float64 `json:"bytes_per_edge"`
}

// Result is the outcome of a search.
type Result struct {
	// Paths are the kept paths, most likely first (ties: shorter first, then
	// by the node ids along the path).
	Paths []Path `json:"paths"`
	// Truncated is set when the work budget ran out: Paths holds what was
	// found until then, which may miss paths or hold non-best ones.
	Truncated bool  `json:"truncated"`
	Stats     Stats `json:"stats"`
}

// Search finds the Top most likely attack paths per target in g.
func Search(ctx context.Context, g *graph.Graph, opts Options) (*Result, error) {
	return NewProjection(g).Search(ctx, opts)
}

// label is one partial path: a linked list through parent. A label's node is
// Targets[edge], or -edge-1 for a source seed.
type label struct {
	parent int32
	edge   int32
	prob   float32
	depth  uint8
}

// Endpoints returns the source and target node ids a search with opts uses.
func (p *Projection) Endpoints(opts Options) (sources, targets []int32, err error) {
	opts, err = opts.withDefaults()
	if err != nil {
		return nil, nil, err
	}
	return p.endpoints(opts)
}

func (p *Projection) endpoints(opts Options) (sources, targets []int32, err error) {
	pick := func(ids []string, what string, def func(*graph.Node) bool) ([]int32, error) {
		var out []int32
		if len(ids) > 0 {
			for _, id := range ids {
				i, ok := p.g.NodeIndex(id)
				if !ok {
					return nil, fmt.Errorf("%s %q: no such node", what, id)
				}
				out = append(out, i)
			}
			slices.Sort(out)
			return slices.Compact(out), nil
		}
		for i := range p.g.Nodes {
			if def(&p.g.Nodes[i]) {
				out = append(out, int32(i))
			}
		}
		return out, nil
	}
	sources, err = pick(opts.Sources, "source", (*graph.Node).IsExposureSource)
	if err != nil {
		return nil, nil, err
	}
	targets, err = pick(opts.Targets, "target", func(n *graph.Node) bool { return n.IsTarget(opts.Threshold) })
	return sources, targets, err
}

// entry is a queue entry: the ordering keys are copied out of the label so
// that heap operations touch one contiguous slice.
type entry struct {
	prob  float32
	node  int32
	label int32
	depth uint8
}

// search state, sized by the graph, reused for nothing else.
type searcher struct {
	p      *Projection
	opts   Options
	labels []label
	heap   []entry
	// depths holds, per node, the depths of up to Top labels already taken
	// off the queue there, smallest first; a later (so less likely) label
	// is dominated when Top earlier ones were at most as deep.
	depths   []uint8
	ndepth   []uint8
	found    []uint8 // paths recorded per node (targets only)
	isTarget Bitset
	isSource Bitset
	cut      Bitset
	results  []int32
	stats    Stats
}

// Search runs the search on the projection. See the package doc for the
// model; the guarantees are:
//   - every returned path is simple, at most MaxDepth hops, starts at a
//     source, ends at a target and uses no cut edge;
//   - the most likely path to each reachable target is found (unless
//     Truncated); with Top > 1 the further paths are the most likely ones
//     except on cyclic graphs, where a path can be missed when all Top better
//     prefixes to one of its nodes pass through a later node of it;
//   - results depend only on the graph's content, not on input order;
//   - memory is O(nodes*Top + labels), labels being bounded by
//     Top*(MaxDepth+1)*edges and by MaxWork — never by the number of
//     paths in the graph.
//
// Paths never pass through a second source: the suffix from that source
// would itself be a more likely path.
func (p *Projection) Search(ctx context.Context, opts Options) (*Result, error) {
	opts, err := opts.withDefaults()
	if err != nil {
		return nil, err
	}
	sources, targets, err := p.endpoints(opts)
	if err != nil {
		return nil, err
	}
	n := p.NumNodes()
	s := &searcher{
		p:        p,
		opts:     opts,
		depths:   make([]uint8, n*opts.Top),
		ndepth:   make([]uint8, n),
		found:    make([]uint8, n),
		isTarget: NewBitset(n),
		isSource: NewBitset(n),
	}
	if len(opts.RemovedFindings) > 0 {
		rm := make(map[string]bool, len(opts.RemovedFindings))
		for _, f := range opts.RemovedFindings {
			rm[f] = true
		}
		s.cut = p.CutEdges(rm)
		for _, w := range s.cut {
			s.stats.CutEdges += popcount(w)
		}
	}
	for _, t := range targets {
		s.isTarget.Set(int(t))
	}
	for _, src := range sources {
		s.isSource.Set(int(src))
	}
	s.stats.Sources, s.stats.Targets = len(sources), len(targets)
	s.stats.Nodes, s.stats.MoveEdges = n, p.NumEdges()
	s.stats.BytesPerEdge = p.BytesPerEdge()

	truncated, err := s.run(ctx, sources)
	if err != nil {
		return nil, err
	}
	res := &Result{Truncated: truncated, Stats: s.stats}
	res.Paths = make([]Path, 0, len(s.results))
	for _, li := range s.results {
		res.Paths = append(res.Paths, s.materialize(li))
	}
	res.Paths = filterScope(p.g, res.Paths, opts.Clouds, opts.Accounts)
	sortPaths(res.Paths)
	if err := s.reach(ctx, res); err != nil {
		return nil, err
	}
	return res, nil
}

func popcount(w uint64) int {
	c := 0
	for ; w != 0; w &= w - 1 {
		c++
	}
	return c
}

func (s *searcher) node(l *label) int32 {
	if l.edge < 0 {
		return -l.edge - 1
	}
	return s.p.Targets[l.edge]
}

// less orders the queue: more likely first, then shallower, then by node id,
// then by creation order — all functions of the canonical graph.
func less(a, b *entry) bool {
	if a.prob != b.prob {
		return a.prob > b.prob
	}
	if a.depth != b.depth {
		return a.depth < b.depth
	}
	if a.node != b.node {
		return a.node < b.node
	}
	return a.label < b.label
}

func (s *searcher) push(li int32, node int32) {
	l := &s.labels[li]
	s.heap = append(s.heap, entry{prob: l.prob, node: node, label: li, depth: l.depth})
	h := s.heap
	i := len(h) - 1
	for i > 0 {
		parent := (i - 1) / 2
		if !less(&h[i], &h[parent]) {
			break
		}
		h[i], h[parent] = h[parent], h[i]
		i = parent
	}
}

func (s *searcher) pop() entry {
	h := s.heap
	top := h[0]
	last := len(h) - 1
	h[0] = h[last]
	h = h[:last]
	i := 0
	for {
		l, r := 2*i+1, 2*i+2
		m := i
		if l < len(h) && less(&h[l], &h[m]) {
			m = l
		}
		if r < len(h) && less(&h[r], &h[m]) {
			m = r
		}
		if m == i {
			break
		}
		h[i], h[m] = h[m], h[i]
		i = m
	}
	s.heap = h
	return top
}

// dominated reports whether Top labels at least as likely and at most as
// deep have already been taken off the queue at node v.
func (s *searcher) dominated(v int32, depth uint8) bool {
	k := s.opts.Top
	if int(s.ndepth[v]) < k {
		return false
	}
	return s.depths[int(v)*k+k-1] <= depth
}

// settle records that a label of the given depth was taken off the queue at v.
func (s *searcher) settle(v int32, depth uint8) {
	k := s.opts.Top
	d := s.depths[int(v)*k : int(v)*k+k]
	c := int(s.ndepth[v])
	if c < k {
		c++
		s.ndepth[v] = uint8(c)
	} else if d[k-1] <= depth {
		return
	}
	// insert keeping the Top smallest depths, ascending
	i := c - 1
	for i > 0 && d[i-1] > depth {
		d[i] = d[i-1]
		i--
	}
	d[i] = depth
}

// onPath reports whether node v is on the partial path ending at label li.
func (s *searcher) onPath(li int32, v int32) bool {
	for li >= 0 {
		l := &s.labels[li]
		if s.node(l) == v {
			return true
		}
		li = l.parent
	}
	return false
}

func (s *searcher) run(ctx context.Context, sources []int32) (truncated bool, err error) {
	for _, src := range sources {
		s.labels = append(s.labels, label{parent: -1, edge: -src - 1, prob: 1})
		s.push(int32(len(s.labels)-1), src)
	}
	maxDepth := uint8(s.opts.MaxDepth)
	top := uint8(s.opts.Top)
	for len(s.heap) > 0 {
		head := s.pop()
		li, v := head.label, head.node
		l := s.labels[li]
		if s.dominated(v, l.depth) {
			continue
		}
		s.settle(v, l.depth)
		if l.depth > 0 && s.isTarget.Has(int(v)) && s.found[v] < top {
			s.found[v]++
			s.results = append(s.results, li)
		}
		if l.depth == maxDepth {
			continue
		}
		s.stats.Expansions++
		if s.stats.Expansions&4095 == 0 {
			if err := ctx.Err(); err != nil {
				return false, fmt.Errorf("attack-path search: %w", err)
			}
		}
		lo, hi := s.p.Out(v)
		if s.stats.EdgesScanned+int64(hi-lo) > s.opts.MaxWork {
			return true, nil
		}
		s.stats.EdgesScanned += int64(hi - lo)
		for e := lo; e < hi; e++ {
			w := s.p.Targets[e]
			if s.cut != nil && s.cut.Has(int(e)) {
				continue
			}
			if s.isSource.Has(int(w)) || s.dominated(w, l.depth+1) || s.onPath(li, w) {
				continue
			}
			s.labels = append(s.labels, label{
				parent: li, edge: int32(e), prob: l.prob * s.p.Likelihood[e], depth: l.depth + 1,
			})
			s.push(int32(len(s.labels)-1), w)
		}
	}
	return false, nil
}
