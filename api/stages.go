package api

import (
	"context"
	"errors"
	"fmt"
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
// from it. Two parts are built afterwards, each once per analysis:
//
//   - the search index (each node's lower-cased text), built in the
//     background as soon as the analysis is published: it needs only the
//     nodes, which are already in memory;
//   - the fact edges (containment, membership, network placement...: most
//     of the edges, 2.8M of 4.7M at a million resources) with the adjacency
//     of every edge, read by the neighbourhood, a node's degree, the edge
//     count of /stats, saved queries and the CIEM report. They are loaded on
//     the first request that needs them and held until the analysis is
//     replaced: a server whose clients read only paths and the queue never
//     holds them.
//
// A request that needs a part waits for it, bounded by its own context; no
// endpoint answers from a part that is not built.

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

// factGraph is an analysis' graph with every edge, facts included, and the
// adjacency of every edge for the neighbourhood.
type factGraph struct {
	// g shares the analysis' nodes and findings (graph.Graph.WithEdges).
	g *graph.Graph
	// the edges touching node n are adjEdge[adjOff[n]:adjOff[n+1]] (both directions)
	adjOff  []uint32
	adjEdge []int32
}

// degree is the number of edges touching node i.
func (f *factGraph) degree(i int32) int { return int(f.adjOff[i+1] - f.adjOff[i]) }

// loadFacts loads the whole graph of the analysis' generation and keeps its
// edges beside the analysis' nodes. The store must still hold that
// generation before and after the load (Load reads one consistent state):
// otherwise the edges would belong to another graph than the paths, and
// the answer is errSuperseded. The second copy of the nodes the load makes
// is checked against the analysis' and dropped.
func loadFacts(ctx context.Context, st graph.Store, an *analysis) (*factGraph, error) {
	before, err := generation(ctx, st)
	if err != nil {
		return nil, err
	}
	if before != an.generation {
		return nil, errSuperseded
	}
	full, err := st.Load(ctx, graph.Filter{})
	if err != nil {
		return nil, fmt.Errorf("load the fact edges: %w", err)
	}
	after, err := generation(ctx, st)
	if err != nil {
		return nil, err
	}
	if after != an.generation || !sameNodes(an.g, full) {
		return nil, errSuperseded
	}
	f := &factGraph{g: an.g.WithEdges(full.Edges)}
	f.adjOff, f.adjEdge = adjacency(f.g)
	return f, nil
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
// facts when needed, or answers the failure. When the store changed since
// the analysis, the next analysis is waited for and answers instead (a few
// times at most: a store synced without pause answers 503).
func (s *Server) withFacts(c *gin.Context) (*analysis, *factGraph, bool) {
	an, ok := s.analysis(c)
	if !ok {
		return nil, nil, false
	}
	ctx := c.Request.Context()
	for range 3 {
		f, err := an.facts.get(ctx)
		switch {
		case err == nil:
			return an, f, true
		case ctx.Err() != nil:
			abort(c, http.StatusServiceUnavailable, codeTimeout, "request cancelled while the fact edges were loaded")
			return nil, nil, false
		case !errors.Is(err, errSuperseded):
			s.log.Error("loading the fact edges failed", "generation", an.generation, "err", err)
			abort(c, http.StatusServiceUnavailable, codeUnavailable, "the fact edges could not be loaded; see the server log")
			return nil, nil, false
		}
		if an, err = s.cache.newer(ctx, an); err != nil {
			if ctx.Err() != nil {
				abort(c, http.StatusServiceUnavailable, codeTimeout, "request cancelled while the analysis was computed")
			} else {
				s.log.Error("analysis failed", "err", err)
				abort(c, http.StatusServiceUnavailable, codeUnavailable, "the analysis could not be computed; see the server log")
			}
			return nil, nil, false
		}
	}
	abort(c, http.StatusServiceUnavailable, codeUnavailable, "the store kept changing while its fact edges were read; retry")
	return nil, nil, false
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
}

func (an *analysis) stages() Stages {
	return Stages{Analysis: stageReady, SearchIndex: an.search.state(), FactEdges: an.facts.state()}
}
