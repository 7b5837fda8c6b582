package scoring

import (
	"cmp"
	"context"
	"fmt"
	"slices"

	gnetwork "gonum.org/v1/gonum/graph/network"

	"github.com/breachpath/breachpath/paths"
)

// DefaultCentralityMaxNodes bounds one weakly connected component of the
// attack subgraph that Centrality scores: gonum's Brandes betweenness costs
// O(nodes x edges) per component. Larger components are skipped and counted.
const DefaultCentralityMaxNodes = 5_000

// Centrality ranks findings by how much attack traffic their moves carry:
// the edge betweenness (gonum's network.EdgeBetweenness, Brandes) of the
// moves that cite them, on the attack subgraph — the moves that can lie on a
// path of at most MaxDepth hops from a source to a target, the same edges
// the choke-point plan cuts. Betweenness counts, over every pair of nodes of
// that subgraph, the share of shortest paths through a move: a move every
// planted path of a fan-out crosses scores higher than a move of one path.
type Centrality struct {
	// ByFinding maps a finding to the summed betweenness of the moves
	// citing it, divided by the largest such sum (so in (0, 1]).
	ByFinding map[string]float64 `json:"by_finding"`
	// Ranked is ByFinding's keys, most central first (ties by id).
	Ranked     []string `json:"ranked"`
	Nodes      int      `json:"nodes"`      // of the attack subgraph
	Edges      int      `json:"edges"`      // its moves
	Components int      `json:"components"` // weakly connected components scored
	// Skipped counts components over the node bound, left unscored.
	Skipped int `json:"skipped"`
}

// FindingCentrality computes Centrality for the sources, targets, depth and
// fixed findings of so. maxNodes bounds a component (0: the default).
func FindingCentrality(ctx context.Context, proj *paths.Projection, so paths.Options, maxNodes int) (*Centrality, error) {
	if maxNodes <= 0 {
		maxNodes = DefaultCentralityMaxNodes
	}
	net, err := attackNetwork(proj, so)
	if err != nil {
		return nil, fmt.Errorf("centrality: %w", err)
	}
	c := &Centrality{ByFinding: map[string]float64{}, Nodes: net.nodes, Edges: len(net.pos)}
	keep := paths.NewBitset(proj.NumEdges())
	for _, pos := range net.pos {
		keep.Set(int(pos))
	}
	// Betweenness is zero between weakly connected parts, so each is scored
	// alone: the sum of their costs is far below the whole's. Sources would
	// join every part into one (the Internet starts most paths); they are
	// never crossed (no move enters a source), so each part is scored with
	// the sources that enter it, and a source's moves into other parts lead
	// to nodes outside the part, which Brandes never reaches from it.
	comp := make([]int32, net.nodes)
	for i := range comp {
		comp[i] = int32(i)
	}
	find := func(x int32) int32 {
		for comp[x] != x {
			comp[x] = comp[comp[x]]
			x = comp[x]
		}
		return x
	}
	for u := range int32(net.nodes) {
		if net.isSrc[u] {
			continue
		}
		for le := net.off[u]; le < net.off[u+1]; le++ {
			if a, b := find(u), find(net.to[le]); a != b {
				comp[a] = b
			}
		}
	}
	groups := map[int32][]int32{}
	for u := range int32(net.nodes) {
		if !net.isSrc[u] {
			r := find(u)
			groups[r] = append(groups[r], net.glob[u])
		}
	}
	for u := range int32(net.nodes) {
		if !net.isSrc[u] {
			continue
		}
		last := int32(-1)
		for le := net.off[u]; le < net.off[u+1]; le++ {
			if r := find(net.to[le]); r != last { // consecutive duplicates only; Restrict dedups the rest
				groups[r] = append(groups[r], net.glob[u])
				last = r
			}
		}
	}
	roots := make([]int32, 0, len(groups))
	for r := range groups {
		roots = append(roots, r)
	}
	slices.Sort(roots)
	g := proj.Graph()
	sum := map[string]float64{}
	whole := proj.NewView(paths.ViewOptions{Keep: keep.Has})
	for _, r := range roots {
		if err := ctx.Err(); err != nil {
			return nil, fmt.Errorf("centrality: %w", err)
		}
		part := whole.Restrict(groups[r])
		members := groups[r]
		if len(members) > maxNodes {
			c.Skipped++
			continue
		}
		c.Components++
		eb := gnetwork.EdgeBetweenness(part)
		for _, u := range members {
			lo, hi := proj.Out(u)
			for pos := lo; pos < hi; pos++ {
				if !keep.Has(int(pos)) {
					continue
				}
				b := eb[[2]int64{int64(u), int64(proj.Targets[pos])}]
				for _, f := range g.Edges[proj.Edge[pos]].Findings {
					sum[f] += b
				}
			}
		}
	}
	top := 0.0
	for _, s := range sum {
		top = max(top, s)
	}
	for f, s := range sum {
		if s > 0 {
			c.ByFinding[f] = s / top
			c.Ranked = append(c.Ranked, f)
		}
	}
	slices.SortFunc(c.Ranked, func(a, b string) int {
		if x := cmp.Compare(c.ByFinding[b], c.ByFinding[a]); x != 0 {
			return x
		}
		return cmp.Compare(a, b)
	})
	return c, nil
}

// attackNetwork builds the network of moves that can lie on a path of at
// most MaxDepth hops from a source to a target, with so's fixed findings cut.
func attackNetwork(proj *paths.Projection, so paths.Options) (*network, error) {
	sources, targets, err := proj.Endpoints(so)
	if err != nil {
		return nil, err
	}
	depth := so.MaxDepth
	if depth == 0 {
		depth = paths.DefaultMaxDepth
	}
	fixed := map[string]bool{}
	for _, f := range so.RemovedFindings {
		fixed[f] = true
	}
	gone := proj.CutEdges(fixed)
	if gone == nil {
		gone = paths.NewBitset(proj.NumEdges())
	}
	n := proj.NumNodes()
	isSource, isTarget := paths.NewBitset(n), paths.NewBitset(n)
	for _, s := range sources {
		isSource.Set(int(s))
	}
	for _, t := range targets {
		if !isSource.Has(int(t)) {
			isTarget.Set(int(t))
		}
	}
	return buildNetwork(proj, gone, isSource, isTarget, sources, depth), nil
}
