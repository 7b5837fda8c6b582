package api

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"

	"github.com/gin-gonic/gin"

	"github.com/breachpath/breachpath/graph"
)

// The neighbourhood and a node's degree read the edges near one node.
// When the fact stage is built they come from it. Otherwise the moves come
// from the analysis, which holds them all, and the facts of each node the
// answer reaches from the scopes that hold a fact on it, which the
// cross-scope index names (the node's home, and every scope referencing it
// with graph.LinkFact): a walk loads them level by level, before it
// expands a level, and the facts among the nodes it keeps before it lists
// the edges. The answer is byte for byte the fact stage's (every node
// reached has all its edges, in key order, and node fields come from the
// analysis either way), without the estate's facts. The index and every
// load must be of the versions the analysis read, scope for scope
// (graph.Graph.Versions): otherwise a sync came in between and the next
// analysis answers. A store without a current index of every scope, and an
// answer needing the facts of more than maxScopedScopes scopes, read the
// fact stage.

// nearEdges is what the walk and node degrees read: the edges touching
// each of the analysis' nodes, as ids, in key order. ensure must have been
// called with a node before around or degree read it.
type nearEdges interface {
	ensure(ctx context.Context, vs []int32) error
	around(v int32) []int32
	edge(k int32) *graph.Edge
	degree(v int32) int
}

func (f *factGraph) ensure(context.Context, []int32) error { return nil }
func (f *factGraph) around(v int32) []int32                { return f.adjEdge[f.adjOff[v]:f.adjOff[v+1]] }

// scopedEdges are the analysis' moves and the fact edges of the nodes it
// was asked to ensure, loaded from the scopes that hold them (edge ids as
// factGraph's: moves first). Every fact on a node is held by a scope that
// owns the node or references it with graph.LinkFact (graph.BuildScopeLinks),
// and the moves are all in memory, so once a node is ensured its edges are
// complete; a fact two loaded scopes hold is merged as a load of both does.
type scopedEdges struct {
	st     graph.Store
	an     *analysis
	moves  *moveIndex
	scopes []graph.Scope
	links  []*graph.ScopeLinks
	loaded []bool
	nload  int
	limit  int // the most scopes loaded before the fact stage answers instead
	done   map[int32]bool

	facts   []graph.Edge
	factOff []uint32 // the facts touching node n are factIDs[factOff[n]:factOff[n+1]]
	factIDs []int32
}

// maxScopedScopes: when the nodes of one answer need the facts of more
// scopes than this (a node that every scope of a cloud holds a fact on,
// such as an organisation), the fact stage answers instead: loaded once,
// it serves every later request, where a scoped load would read that many
// scopes' facts for each. Measured at 1M (docs/benchmarks.md, "seventh
// round"; BenchmarkNearScopes): up to 64 scopes a scoped answer costs
// about 0.5 s and 0.15 GB above the analysis, gone after the answer; 128
// cost 1.5 s and 0.3 GB, 200 2.4 s and 0.5 GB, against the fact stage's
// 6.9 s once and 0.9 GB held until the analysis is replaced, so beyond 64
// a few answers repay the fact stage.
const maxScopedScopes = 64

// newScopedEdges reads the store's cross-scope index, which must be of
// the versions the analysis read; the answer may load the facts of limit
// scopes at most.
func newScopedEdges(ctx context.Context, st graph.Store, an *analysis, limit int) (*scopedEdges, error) {
	if an.g.Versions == nil {
		return nil, fmt.Errorf("%w: the store does not say which versions it loads", errNoClosure)
	}
	ix, err := st.Links(ctx, graph.Filter{})
	if err != nil {
		return nil, fmt.Errorf("read the cross-scope index: %w", err)
	}
	if len(ix) != len(an.g.Versions) {
		return nil, errSuperseded
	}
	x := &scopedEdges{st: st, an: an, moves: an.moveAdjacency(), done: map[int32]bool{}, limit: limit}
	for sc, l := range ix {
		if v, ok := an.g.Versions[sc]; !ok || v != l.SyncID {
			return nil, errSuperseded
		}
		if l.Links == nil {
			return nil, fmt.Errorf("%w: scope %s has no cross-scope index of its newest sync", errNoClosure, sc)
		}
		x.scopes, x.links = append(x.scopes, sc), append(x.links, l.Links)
	}
	x.loaded = make([]bool, len(x.scopes))
	x.reindex()
	return x, nil
}

// ensure loads the facts of the scopes holding one on any of the nodes.
func (x *scopedEdges) ensure(ctx context.Context, vs []int32) error {
	var want []graph.Scope
	var wantAt []int
	for _, v := range vs {
		if x.done[v] {
			continue
		}
		x.done[v] = true
		id := x.an.g.Nodes[v].ID
		for i, l := range x.links {
			if x.loaded[i] || slices.Contains(wantAt, i) {
				continue
			}
			if f, ok := l.Ref(id); (ok && f&graph.LinkFact != 0) || (!ok && l.Owns(id)) {
				want, wantAt = append(want, x.scopes[i]), append(wantAt, i)
			}
		}
	}
	if len(want) == 0 {
		return nil
	}
	if x.nload+len(want) > x.limit {
		return fmt.Errorf("%w: the answer needs the facts of more than %d scopes", errNoClosure, x.limit)
	}
	g, err := x.st.Load(ctx, graph.Filter{Scopes: want, FactsOnly: true})
	if err != nil {
		return fmt.Errorf("load the fact edges near the node: %w", err)
	}
	if len(g.Versions) != len(want) {
		return errSuperseded
	}
	for sc, v := range g.Versions {
		if x.an.g.Versions[sc] != v {
			return errSuperseded
		}
	}
	for _, i := range wantAt {
		x.loaded[i] = true
	}
	x.nload += len(want)
	x.facts = graph.Merge([]graph.Part{{EdgeRuns: [][]graph.Edge{x.facts}}, {EdgeRuns: [][]graph.Edge{g.Edges}}}).Edges
	x.reindex()
	return nil
}

func (x *scopedEdges) reindex() {
	base := int32(len(x.moves.edges))
	x.factOff, x.factIDs = adjacency(x.an.g, len(x.facts), func(k int) (int32, *graph.Edge) { return base + int32(k), &x.facts[k] })
}

func (x *scopedEdges) edge(k int32) *graph.Edge {
	if int(k) < len(x.moves.edges) {
		return &x.moves.edges[k]
	}
	return &x.facts[int(k)-len(x.moves.edges)]
}

func (x *scopedEdges) degree(v int32) int {
	return int(x.moves.off[v+1]-x.moves.off[v]) + int(x.factOff[v+1]-x.factOff[v])
}

// around merges the node's moves and facts in key order.
func (x *scopedEdges) around(v int32) []int32 {
	m, f := x.moves.ids[x.moves.off[v]:x.moves.off[v+1]], x.factIDs[x.factOff[v]:x.factOff[v+1]]
	out := make([]int32, 0, len(m)+len(f))
	for len(m) > 0 && len(f) > 0 {
		if graph.CompareEdges(x.edge(m[0]), x.edge(f[0])) <= 0 {
			out, m = append(out, m[0]), m[1:]
		} else {
			out, f = append(out, f[0]), f[1:]
		}
	}
	return append(append(out, m...), f...)
}

// moveIndex is the adjacency of the analysis' moves, built once per
// analysis by the first scoped answer (the moves are in memory; only the
// facts near a node are loaded per request).
type moveIndex struct {
	edges []graph.Edge
	off   []uint32
	ids   []int32
}

func (an *analysis) moveAdjacency() *moveIndex {
	an.movesOnce.Do(func() {
		g := an.g
		off, ids := adjacency(g, len(g.Edges), func(k int) (int32, *graph.Edge) { return int32(k), &g.Edges[k] })
		an.moves = &moveIndex{edges: g.Edges, off: off, ids: ids}
	})
	return an.moves
}

// errNoClosure says that the scopes holding the facts an answer reads
// cannot be told (an index missing or of another version, a store that
// does not say which versions it loaded), or are so many that the fact
// stage is the cheaper answer.
var errNoClosure = errors.New("no scoped load for the answer")

// near answers a request that reads the edges near node id: answer runs
// with the analysis and its edges and returns the response. The edges come
// from the fact stage when it is built; otherwise from the scopes holding
// the facts of the nodes answer ensures, and from the fact stage again when
// those cannot be told. When the store changed since the analysis, the
// next analysis answers instead. A node the analysis does not hold is a
// 404, without a load.
func (s *Server) near(c *gin.Context, id string, answer func(ctx context.Context, an *analysis, v int32, f nearEdges) (any, error)) {
	an, ok := s.analysis(c)
	if !ok {
		return
	}
	ctx := c.Request.Context()
	scopedOK := true
	for range 4 {
		v, found := an.g.NodeIndex(id)
		if !found {
			notFound(c, fmt.Sprintf("no node %q", id))
			return
		}
		var f nearEdges
		var err error
		if an.facts.state() == stageReady || !scopedOK {
			var fg *factGraph
			if an, fg, ok = s.withFacts(c); !ok {
				return
			}
			if v, found = an.g.NodeIndex(id); !found {
				notFound(c, fmt.Sprintf("no node %q", id))
				return
			}
			f = fg
		} else {
			limit := s.cfg.NearMaxScopes
			if limit == 0 {
				limit = maxScopedScopes
			}
			f, err = newScopedEdges(ctx, s.cfg.Store, an, limit)
		}
		var out any
		if err == nil {
			out, err = answer(ctx, an, v, f)
		}
		switch {
		case err == nil:
			if x, ok := f.(*scopedEdges); ok {
				s.log.Debug("edges near a node from the scopes holding its facts", "node", id, "scopes", x.nload)
			}
			s.writeJSON(c, http.StatusOK, out)
			return
		case errors.Is(err, errNoClosure):
			s.log.Info("edges near a node from the fact stage", "node", id, "why", err.Error())
			scopedOK = false
			continue
		case ctx.Err() != nil:
			abort(c, http.StatusServiceUnavailable, codeTimeout, "request cancelled while the edges near the node were loaded")
			return
		case !errors.Is(err, errSuperseded):
			s.log.Error("loading the edges near a node failed", "generation", an.generation, "err", err)
			abort(c, http.StatusServiceUnavailable, codeUnavailable, "the edges near the node could not be loaded; see the server log")
			return
		}
		if an, ok = s.newerAnalysis(c, an); !ok {
			return
		}
	}
	abort(c, http.StatusServiceUnavailable, codeUnavailable, "the store kept changing while the edges near the node were read; retry")
}
