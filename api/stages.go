package api

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"sync"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/breachpath/breachpath/graph"
)

// An analysis is published, and /readyz answers 200, as soon as its attack
// paths are ranked: search and scoring read the attacker moves only, so the
// analysis loads the graph with graph.Filter{SkipFacts: true}, as
// `breachpath paths` does, and every endpoint that reads paths, findings,
// the queue, the plan, must-pass nodes, sensitivity or compliance answers
// from it. What else some endpoints read comes afterwards:
//
//   - the search index (each node's lower-cased text), built in the
//     background as soon as the analysis is published: it needs only the
//     nodes, which are already in memory; likewise the adjacency of the
//     moves (near.go);
//   - the edges near one node (a node's degree, the neighbourhood): the
//     moves from the analysis and, per request, the fact edges of only the
//     scopes that hold a fact on a node the answer reaches (near.go), so
//     that the explorer never makes the server hold the estate's facts;
//   - the fact kinds (factkinds.go): saved queries and the CIEM report
//     read the moves and a few fact kinds only, the kinds a saved query's
//     Cypher names (queries.Query.FactKinds, derived so that it cannot
//     drift from the query; most name none and answer from the analysis'
//     own graph, with no load at all) and the CIEM report's
//     ciem.FactsRead (group membership and trust, as `breachpath ciem`
//     loads). Those kinds are loaded alone (graph.Filter FactsOnly with
//     KeepFacts) into one graph of the analysis' nodes, findings, moves
//     and the facts asked for so far, which grows by kind: a request for a
//     kind it lacks loads only that kind and replaces the graph with one
//     holding both, so however many kind sets are asked the server holds
//     one copy of the moves and only the facts read (an extra kind is
//     harmless, every reader reading its own kinds only). When the fact
//     stage is built, the kinds are taken from it instead of the store;
//   - the fact stage: every fact edge (containment, membership, network
//     placement...: most of the edges, 2.8M of 4.7M at a million
//     resources), loaded alone (graph.Filter FactsOnly: no node, move or
//     finding a second time) and joined to the analysis' nodes and moves,
//     with the adjacency of every edge. A neighbourhood or node the scoped
//     load cannot serve reads it, so does the edge count of /stats when
//     the store's counts are of another generation, and so would a saved
//     query that read every kind (as one graph of every edge, merged on
//     first use). It is loaded on the first request that needs it and
//     held until the analysis is replaced: a server whose clients read
//     only paths, the queue, neighbourhoods, saved queries and the CIEM
//     report never holds it.
//
// A request that needs a part waits for it, bounded by its own context; no
// endpoint answers from a part that is not built, nor from edges of
// another store version than the analysis' (graph.Graph.Versions).

// Stage states, as /readyz reports them.
const (
	stagePending  = "pending"  // not started: built on first use
	stageBuilding = "building" // being built
	stageReady    = "ready"
	stageFailed   = "failed" // the last attempt failed; the next use retries
)

// stage is a part of an analysis built once, after the analysis is
// published, by the first caller that needs it or in the background. The
// build runs detached from the caller (bounded by timeout): a client that
// hangs up must not waste work the next one waits for. A failed build is
// retried by the next caller, except errSuperseded, which stays.
type stage[T any] struct {
	build   func(ctx context.Context) (T, error)
	timeout time.Duration

	mu     sync.Mutex
	run    *stageRun[T]
	failed bool
}

type stageRun[T any] struct {
	done chan struct{}
	val  T
	err  error
}

// start returns the build in flight or done, starting one if none is.
func (s *stage[T]) start() *stageRun[T] {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.run != nil {
		return s.run
	}
	r := &stageRun[T]{done: make(chan struct{})}
	s.run = r
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), s.timeout)
		defer cancel()
		v, err := s.build(ctx)
		s.mu.Lock()
		r.val, r.err = v, err
		s.failed = err != nil
		if err != nil && !errors.Is(err, errSuperseded) {
			s.run = nil // retried by the next caller
		}
		s.mu.Unlock()
		close(r.done)
	}()
	return r
}

// get returns the built part, building it when needed; ctx bounds the wait only.
func (s *stage[T]) get(ctx context.Context) (T, error) {
	r := s.start()
	select {
	case <-r.done:
		return r.val, r.err
	case <-ctx.Done():
		var zero T
		return zero, ctx.Err()
	}
}

// state is what /readyz says of the stage.
func (s *stage[T]) state() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	switch {
	case s.run == nil && s.failed:
		return stageFailed
	case s.run == nil:
		return stagePending
	}
	select {
	case <-s.run.done:
		if s.run.err != nil {
			return stageFailed
		}
		return stageReady
	default:
		return stageBuilding
	}
}

// errSuperseded says that the store changed since the analysis was computed,
// so its fact edges can no longer be read: the next analysis answers.
var errSuperseded = errors.New("the store changed since the analysis was computed")

// factGraph is an analysis' graph with its fact edges: the analysis' own
// moves (not copied) and the facts loaded beside them (graph.Filter
// FactsOnly), each sorted by key, with the adjacency of every edge for the
// neighbourhood and node degrees. An edge id k is moves[k] below
// len(moves), facts[k-len(moves)] above.
type factGraph struct {
	nodes *graph.Graph // the analysis' graph: its nodes and, as Edges, its moves
	moves []graph.Edge
	facts []graph.Edge
	// the edges touching node n are adjEdge[adjOff[n]:adjOff[n+1]] (both
	// directions), in key order, as edge ids
	adjOff  []uint32
	adjEdge []int32

	// whole is the graph of every edge in one slice, for a saved query
	// that reads every kind (none does today; see factkinds.go); merged on
	// first use, so a server whose clients never ask one never holds it.
	wholeOnce sync.Once
	whole     *graph.Graph
}

// edge returns the edge with id k.
func (f *factGraph) edge(k int32) *graph.Edge {
	if int(k) < len(f.moves) {
		return &f.moves[k]
	}
	return &f.facts[int(k)-len(f.moves)]
}

// numEdges is the number of edges, facts and moves.
func (f *factGraph) numEdges() int { return len(f.moves) + len(f.facts) }

// degree is the number of edges touching node i.
func (f *factGraph) degree(i int32) int { return int(f.adjOff[i+1] - f.adjOff[i]) }

// graph returns the analysis' graph with every edge, merging the moves and
// facts in key order on first use (the order of a load without SkipFacts).
func (f *factGraph) graph() *graph.Graph {
	f.wholeOnce.Do(func() {
		if f.whole != nil {
			return
		}
		order := mergedOrder(f.moves, f.facts)
		edges := make([]graph.Edge, len(order))
		for i, k := range order {
			edges[i] = *f.edge(k)
		}
		f.whole = f.nodes.WithEdges(edges)
	})
	return f.whole
}

// newFactGraph joins the facts to the analysis' graph and indexes them.
func newFactGraph(g *graph.Graph, facts []graph.Edge) *factGraph {
	f := &factGraph{nodes: g, moves: g.Edges, facts: facts}
	order := mergedOrder(f.moves, f.facts)
	f.adjOff, f.adjEdge = adjacency(g, len(order), func(k int) (int32, *graph.Edge) {
		return order[k], f.edge(order[k])
	})
	return f
}

// fullFactGraph indexes a graph that already holds every edge (a store
// that does not say which versions it loaded: see loadFacts).
func fullFactGraph(g *graph.Graph) *factGraph {
	f := &factGraph{nodes: g, moves: g.Edges, whole: g}
	f.adjOff, f.adjEdge = adjacency(g, len(g.Edges), func(k int) (int32, *graph.Edge) { return int32(k), &g.Edges[k] })
	return f
}

// mergedOrder returns the ids of moves and facts (each sorted by key) in
// key order: a move and a fact never share a key (the kind is part of it).
func mergedOrder(moves, facts []graph.Edge) []int32 {
	out := make([]int32, 0, len(moves)+len(facts))
	i, j := 0, 0
	for i < len(moves) && j < len(facts) {
		if graph.CompareEdges(&moves[i], &facts[j]) <= 0 {
			out = append(out, int32(i))
			i++
		} else {
			out = append(out, int32(len(moves)+j))
			j++
		}
	}
	for ; i < len(moves); i++ {
		out = append(out, int32(i))
	}
	for ; j < len(facts); j++ {
		out = append(out, int32(len(moves)+j))
	}
	return out
}

// loadFacts loads the fact edges of the analysis' store contents alone
// (graph.Filter FactsOnly: no node, move or finding is read again) and
// joins them to the analysis' nodes and moves. The load must read, scope
// for scope, the sync versions the analysis read (graph.Graph.Versions),
// and the store's generation must still be the analysis' before and after
// it: otherwise the edges would belong to another graph than the paths (a
// sync came in between), and the answer is errSuperseded. A store that
// does not say which versions it loaded is read whole, as before, and its
// nodes are checked against the analysis' instead.
func loadFacts(ctx context.Context, st graph.Store, an *analysis) (*factGraph, error) {
	before, err := generation(ctx, st)
	if err != nil {
		return nil, err
	}
	if before != an.generation {
		return nil, errSuperseded
	}
	filter := graph.Filter{FactsOnly: true}
	if an.g.Versions == nil {
		filter = graph.Filter{}
	}
	loaded, err := st.Load(ctx, filter)
	if err != nil {
		return nil, fmt.Errorf("load the fact edges: %w", err)
	}
	after, err := generation(ctx, st)
	if err != nil {
		return nil, err
	}
	if after != an.generation {
		return nil, errSuperseded
	}
	if !filter.FactsOnly {
		if !sameNodes(an.g, loaded) {
			return nil, errSuperseded
		}
		return fullFactGraph(an.g.WithEdges(loaded.Edges)), nil
	}
	if !maps.Equal(loaded.Versions, an.g.Versions) {
		return nil, errSuperseded
	}
	return newFactGraph(an.g, loaded.Edges), nil
}

// sameNodes reports whether two loads returned the same nodes in the same
// order (and as many findings): the adjacency indexes one by the other.
func sameNodes(a, b *graph.Graph) bool {
	if len(a.Nodes) != len(b.Nodes) || len(a.Findings) != len(b.Findings) {
		return false
	}
	for i := range a.Nodes {
		if a.Nodes[i].ID != b.Nodes[i].ID {
			return false
		}
	}
	return true
}

// withFacts returns the current analysis and its fact graph, loading the
// facts when needed, or answers the failure.
func (s *Server) withFacts(c *gin.Context) (*analysis, *factGraph, bool) {
	an, ok := s.analysis(c)
	if !ok {
		return nil, nil, false
	}
	return waitStage(s, c, an, "the fact edges", func(ctx context.Context, an *analysis) (*factGraph, error) {
		return an.facts.get(ctx)
	})
}

// waitStage returns the analysis and what get builds of it (what names
// it in messages), or answers the failure. When the store changed since
// the analysis, the next analysis is waited for and answers instead (a
// few times at most: a store synced without pause answers 503).
func waitStage[T any](s *Server, c *gin.Context, an *analysis, what string, get func(context.Context, *analysis) (T, error)) (*analysis, T, bool) {
	var zero T
	ctx := c.Request.Context()
	for range 3 {
		v, err := get(ctx, an)
		switch {
		case err == nil:
			return an, v, true
		case ctx.Err() != nil:
			abort(c, http.StatusServiceUnavailable, codeTimeout, "request cancelled while "+what+" were loaded")
			return nil, zero, false
		case !errors.Is(err, errSuperseded):
			s.log.Error("loading "+what+" failed", "generation", an.generation, "err", err)
			abort(c, http.StatusServiceUnavailable, codeUnavailable, what+" could not be loaded; see the server log")
			return nil, zero, false
		}
		var ok bool
		if an, ok = s.newerAnalysis(c, an); !ok {
			return nil, zero, false
		}
	}
	abort(c, http.StatusServiceUnavailable, codeUnavailable, "the store kept changing while "+what+" were read; retry")
	return nil, zero, false
}

// newerAnalysis waits for an analysis other than old (the store changed
// since old was computed), or answers the failure.
func (s *Server) newerAnalysis(c *gin.Context, old *analysis) (*analysis, bool) {
	ctx := c.Request.Context()
	an, err := s.cache.newer(ctx, old)
	if err != nil {
		if ctx.Err() != nil {
			abort(c, http.StatusServiceUnavailable, codeTimeout, "request cancelled while the analysis was computed")
		} else {
			s.log.Error("analysis failed", "err", err)
			abort(c, http.StatusServiceUnavailable, codeUnavailable, "the analysis could not be computed; see the server log")
		}
		return nil, false
	}
	return an, true
}

// searchIndex returns the analysis' search index, waiting for it (bounded
// by the request), or answers the failure.
func (s *Server) searchIndex(c *gin.Context, an *analysis) ([]string, bool) {
	hay, err := an.search.get(c.Request.Context())
	if err != nil {
		if c.Request.Context().Err() != nil {
			abort(c, http.StatusServiceUnavailable, codeTimeout, "request cancelled while the search index was built")
		} else {
			s.log.Error("building the search index failed", "generation", an.generation, "err", err)
			abort(c, http.StatusServiceUnavailable, codeUnavailable, "the search index could not be built; see the server log")
		}
		return nil, false
	}
	return hay, true
}

// Stages is the readiness of an analysis' parts, in the /readyz body.
type Stages struct {
	// Analysis is ready when the attack paths, findings, queue and plan
	// can be answered (/readyz is 200 only then).
	Analysis string `json:"analysis"`
	// SearchIndex is built in the background once the analysis is ready.
	SearchIndex string `json:"search_index"`
	// FactEdges are loaded on the first request that needs them.
	FactEdges string `json:"fact_edges"`
	// FactKinds are the fact kinds loaded alone so far (sorted) for the
	// saved queries and the CIEM report, which read only those.
	FactKinds []string `json:"fact_kinds"`
}

func (an *analysis) stages() Stages {
	return Stages{Analysis: stageReady, SearchIndex: an.search.state(), FactEdges: an.facts.state(), FactKinds: an.kinds.loaded()}
}
