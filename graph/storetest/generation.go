package storetest

import (
	"context"
	"errors"
	"testing"

	"github.com/breachpath/breachpath/graph"
)

// testGenerations: a multi-scope write (graph.SyncAll) is one generation,
// closed only when every scope was written; one stopped half-way stays open
// and says which scopes it was to write, until a later write completes.
func testGenerations(t *testing.T, open func(t *testing.T) graph.Store) {
	s := open(t)
	ctx := context.Background()
	if g, err := s.LastGeneration(ctx); err != nil || g != nil {
		t.Fatalf("a fresh store: generation %+v, %v; want none", g, err)
	}
	scopeC := graph.Scope{Cloud: graph.CloudAWS, ID: "333333333333"}
	snaps := func(step int) []*graph.Snapshot {
		return []*graph.Snapshot{genSnapshot(scopeA, step, 5, at(step)), genSnapshot(scopeB, step, 5, at(step)), genSnapshot(scopeC, step, 5, at(step))}
	}
	if _, err := graph.SyncAll(ctx, s, snaps(1), nil); err != nil {
		t.Fatal(err)
	}
	first, err := s.LastGeneration(ctx)
	if err != nil || first == nil || !first.Complete() || len(first.Scopes) != 3 || first.Scopes[1] != scopeB {
		t.Fatalf("after a complete write: %+v, %v; want a complete generation of the 3 scopes", first, err)
	}

	// stopped after the first scope: as a collection killed half-way
	cctx, cancel := context.WithCancel(ctx)
	_, err = graph.SyncAll(cctx, s, snaps(2), func(int, graph.SyncResult) { cancel() })
	cancel()
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("a write cancelled after its first scope: %v", err)
	}
	cut, err := s.LastGeneration(ctx)
	if err != nil || cut == nil || cut.Complete() || cut.ID <= first.ID || len(cut.Scopes) != 3 || cut.Started.IsZero() {
		t.Fatalf("after a write stopped half-way: %+v, %v; want an open generation of the 3 scopes, newer than %d", cut, err, first.ID)
	}
	// ending a generation a later one replaced changes nothing
	if err := s.EndGeneration(ctx, first.ID); err != nil {
		t.Fatal(err)
	}
	if g, _ := s.LastGeneration(ctx); g == nil || g.Complete() {
		t.Fatalf("ending an older generation closed the open one: %+v", g)
	}

	if _, err := graph.SyncAll(ctx, s, snaps(3), nil); err != nil {
		t.Fatal(err)
	}
	if g, err := s.LastGeneration(ctx); err != nil || g == nil || !g.Complete() || g.ID <= cut.ID {
		t.Fatalf("after the write ran again: %+v, %v; want a complete generation newer than %d", g, err, cut.ID)
	}
}
