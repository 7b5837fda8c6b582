package api

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"sync"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/breachpath/breachpath/graph"
)

// factKinds is the stage of the fact edges of some kinds (stages.go): the
// analysis' nodes, findings and moves with the facts of the kinds asked
// for so far, loaded alone (graph.Filter FactsOnly with KeepFacts). It
// grows by kind: a request for kinds it lacks builds a new graph holding
// the kinds it had and the new ones, loading only the new ones, and
// replaces it; a request for kinds it holds reads it as it is. One graph
// per analysis, so memory is one copy of the moves plus the facts asked
// for, however many kind sets are asked; an extra kind is harmless, since
// every reader reads only its own kinds (queries.Query.EdgeKinds, the CIEM
// report's ciem.FactsRead). One build runs at a time; a request that needs
// kinds it does not add waits for it and then adds them.
type factKinds struct {
	build   func(ctx context.Context, have *kindGraph, want []graph.EdgeKind) (*kindGraph, error)
	timeout time.Duration

	mu  sync.Mutex
	cur *kindGraph // the latest built, nil before the first
	run *kindRun   // the build in flight
	// gone is errSuperseded once a build found the store changed since
	// the analysis: no later build can succeed, the next analysis answers
	gone error
}

// kindGraph is a graph of the analysis' nodes and findings (shared with
// it), and its moves and the facts of kinds, in key order.
type kindGraph struct {
	kinds []graph.EdgeKind // sorted
	g     *graph.Graph
}

type kindRun struct {
	kinds []graph.EdgeKind // what it builds: a superset of what its caller asked
	done  chan struct{}
	err   error
}

// get returns a graph holding the facts of every kind in want (and
// perhaps more), building it when needed; ctx bounds the wait only. The
// build runs detached from the caller, as a stage's does.
func (s *factKinds) get(ctx context.Context, want []graph.EdgeKind) (*graph.Graph, error) {
	for {
		s.mu.Lock()
		if s.gone != nil {
			s.mu.Unlock()
			return nil, s.gone
		}
		if s.cur != nil && holdsKinds(s.cur.kinds, want) {
			g := s.cur.g
			s.mu.Unlock()
			return g, nil
		}
		r := s.run
		if r == nil {
			r = s.start(want)
		}
		s.mu.Unlock()
		select {
		case <-r.done:
			if r.err != nil && holdsKinds(r.kinds, want) {
				return nil, r.err
			}
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
}

// start begins the build of the kinds held and want; s.mu is held.
func (s *factKinds) start(want []graph.EdgeKind) *kindRun {
	have := s.cur
	target := slices.Clone(want)
	if have != nil {
		target = append(target, have.kinds...)
	}
	slices.Sort(target)
	r := &kindRun{kinds: slices.Compact(target), done: make(chan struct{})}
	s.run = r
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), s.timeout)
		defer cancel()
		kg, err := s.build(ctx, have, r.kinds)
		s.mu.Lock()
		switch {
		case err == nil:
			s.cur = kg
		case errors.Is(err, errSuperseded):
			s.gone = err
		}
		s.run, r.err = nil, err
		s.mu.Unlock()
		close(r.done)
	}()
	return r
}

// loaded is what /readyz says of the stage: the fact kinds held, sorted.
func (s *factKinds) loaded() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := []string{}
	if s.cur != nil {
		for _, k := range s.cur.kinds {
			out = append(out, string(k))
		}
	}
	return out
}

// holdsKinds reports whether the sorted kinds hold every kind of want.
func holdsKinds(kinds, want []graph.EdgeKind) bool {
	for _, k := range want {
		if _, ok := slices.BinarySearch(kinds, k); !ok {
			return false
		}
	}
	return true
}

// loadFactKinds builds the analysis' graph with the facts of the kinds
// want (sorted): taken from the fact stage when it is built (no store
// read), otherwise those have holds kept and the others loaded alone
// (graph.Filter FactsOnly with KeepFacts), checked as loadFacts checks the
// fact stage's: the versions the analysis read, scope for scope, and its
// generation before and after the load, else errSuperseded.
func loadFactKinds(ctx context.Context, st graph.Store, an *analysis, have *kindGraph, want []graph.EdgeKind) (*kindGraph, error) {
	var facts []graph.Edge
	if an.facts.state() == stageReady {
		if f, err := an.facts.get(ctx); err == nil {
			// every edge of the fact graph is in moves or facts, each
			// sorted; the kinds wanted are facts only
			for _, run := range [][]graph.Edge{f.moves, f.facts} {
				for i := range run {
					if _, ok := slices.BinarySearch(want, run[i].Kind); ok {
						facts = append(facts, run[i])
					}
				}
			}
			return joinFacts(an, want, facts), nil
		}
	}
	var kept []graph.Edge
	missing := want
	if have != nil {
		missing = slices.DeleteFunc(slices.Clone(want), func(k graph.EdgeKind) bool { return slices.Contains(have.kinds, k) })
		for i := range have.g.Edges {
			if !have.g.Edges[i].Kind.IsMove() {
				kept = append(kept, have.g.Edges[i])
			}
		}
	}
	before, err := generation(ctx, st)
	if err != nil {
		return nil, err
	}
	if before != an.generation || an.g.Versions == nil {
		return nil, errSuperseded
	}
	loaded, err := st.Load(ctx, graph.Filter{FactsOnly: true, KeepFacts: missing})
	if err != nil {
		return nil, fmt.Errorf("load the fact edges of %v: %w", missing, err)
	}
	after, err := generation(ctx, st)
	if err != nil {
		return nil, err
	}
	if after != an.generation || !maps.Equal(loaded.Versions, an.g.Versions) {
		return nil, errSuperseded
	}
	for _, k := range mergedOrder(kept, loaded.Edges) {
		if int(k) < len(kept) {
			facts = append(facts, kept[k])
		} else {
			facts = append(facts, loaded.Edges[int(k)-len(kept)])
		}
	}
	return joinFacts(an, want, facts), nil
}

// joinFacts merges the facts (sorted by key) with the analysis' moves
// into a graph of its nodes and findings.
func joinFacts(an *analysis, kinds []graph.EdgeKind, facts []graph.Edge) *kindGraph {
	moves := an.g.Edges
	edges := make([]graph.Edge, 0, len(moves)+len(facts))
	for _, k := range mergedOrder(moves, facts) {
		if int(k) < len(moves) {
			edges = append(edges, moves[k])
		} else {
			edges = append(edges, facts[int(k)-len(moves)])
		}
	}
	return &kindGraph{kinds: kinds, g: an.g.WithEdges(edges)}
}

// withFactKinds returns the current analysis and its graph with the fact
// edges of the given kinds (every kind when every is set), loading them
// when needed, or answers the failure. No kind at all is the analysis'
// own graph; every kind, or a store that does not say which versions it
// loads, is the fact stage's.
func (s *Server) withFactKinds(c *gin.Context, kinds []graph.EdgeKind, every bool) (*analysis, *graph.Graph, bool) {
	an, ok := s.analysis(c)
	if !ok {
		return nil, nil, false
	}
	if every || an.g.Versions == nil {
		an, f, ok := s.withFacts(c)
		if !ok {
			return nil, nil, false
		}
		return an, f.graph(), true
	}
	want := slices.Compact(slices.Sorted(slices.Values(slices.DeleteFunc(slices.Clone(kinds), graph.EdgeKind.IsMove))))
	if len(want) == 0 {
		return an, an.g, true
	}
	return waitStage(s, c, an, fmt.Sprintf("the fact edges of %v", want), func(ctx context.Context, an *analysis) (*graph.Graph, error) {
		return an.kinds.get(ctx, want)
	})
}
