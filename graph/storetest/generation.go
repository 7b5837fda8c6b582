package storetest

import (
	"context"
	"errors"
	"fmt"
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

// testAllOrNothing: with SyncOptions.AllOrNothing, scopes switch together.
// A write that fails or is cancelled after some scopes' rows were written
// leaves every scope at its previous collection, records no generation
// (nothing is half-written), and readers during the write see only the old
// collections; running it again switches every scope.
func testAllOrNothing(t *testing.T, open func(t *testing.T) graph.Store) {
	scopeC := graph.Scope{Cloud: graph.CloudAWS, ID: "333333333333"}
	scopes := []graph.Scope{scopeA, scopeB, scopeC}
	snaps := func(step int) []*graph.Snapshot {
		out := make([]*graph.Snapshot, len(scopes))
		for i, sc := range scopes {
			out[i] = genSnapshot(sc, step, 5+step, at(step))
		}
		return out
	}
	// atGen reports how the stored scopes differ from generation step
	atGen := func(s graph.Store, step int) error {
		for _, sc := range scopes {
			g, err := s.Load(context.Background(), only(sc))
			if err != nil {
				return err
			}
			if err := checkGen(g, step, 5+step); err != nil {
				return fmt.Errorf("scope %s: %w", sc, err)
			}
		}
		return nil
	}
	errInjected := errors.New("injected failure")
	tests := []struct {
		name string
		// stop is the Staged callback of the failing write, given a cancel
		// of its context
		stop    func(cancel context.CancelFunc) func(i int) error
		wantErr error
	}{
		{"a failure after the second scope is written", func(context.CancelFunc) func(int) error {
			return func(i int) error {
				if i == 1 {
					return errInjected
				}
				return nil
			}
		}, errInjected},
		{"a cancel after the second scope is written", func(cancel context.CancelFunc) func(int) error {
			return func(i int) error {
				if i == 1 {
					cancel()
				}
				return nil
			}
		}, context.Canceled},
		{"a cancel after every scope is written, before the switch", func(cancel context.CancelFunc) func(int) error {
			return func(i int) error {
				if i == 2 {
					cancel()
				}
				return nil
			}
		}, context.Canceled},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := open(t)
			ctx := context.Background()
			if _, err := graph.SyncAll(ctx, s, snaps(1), nil, graph.SyncOptions{AllOrNothing: true}); err != nil {
				t.Fatal(err)
			}
			if err := atGen(s, 1); err != nil {
				t.Fatalf("after a complete all-or-nothing write: %v", err)
			}
			first, err := s.LastGeneration(ctx)
			if err != nil || first == nil || !first.Complete() || len(first.Scopes) != 3 {
				t.Fatalf("after a complete write: %+v, %v; want a complete generation of the 3 scopes", first, err)
			}

			cctx, cancel := context.WithCancel(ctx)
			defer cancel()
			stop := tt.stop(cancel)
			var readErrs []error
			written := 0
			_, err = graph.SyncAll(cctx, s, snaps(2), func(int, graph.SyncResult) { t.Error("done called for a write that failed") },
				graph.SyncOptions{AllOrNothing: true, Staged: func(i int) error {
					written++
					// a reader while scopes are written but none switched
					if err := atGen(s, 1); err != nil {
						readErrs = append(readErrs, fmt.Errorf("reader after scope %d was written: %w", i, err))
					}
					return stop(i)
				}})
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("the stopped write returned %v; want %v", err, tt.wantErr)
			}
			var se *graph.SyncError
			if !errors.As(err, &se) || se.Index != written-1 {
				t.Errorf("the stopped write returned %v; want a *SyncError naming snapshot %d", err, written-1)
			}
			if err := errors.Join(readErrs...); err != nil {
				t.Error(err)
			}
			if err := atGen(s, 1); err != nil {
				t.Fatalf("after the stopped write every scope must read its previous collection: %v", err)
			}
			if g, err := s.LastGeneration(ctx); err != nil || g == nil || g.ID != first.ID || !g.Complete() {
				t.Fatalf("after the stopped write: generation %+v, %v; want still %d, complete", g, err, first.ID)
			}

			var doneN int
			res, err := graph.SyncAll(ctx, s, snaps(3), func(int, graph.SyncResult) { doneN++ }, graph.SyncOptions{AllOrNothing: true})
			if err != nil {
				t.Fatalf("the retry: %v", err)
			}
			if doneN != 3 || len(res) != 3 || res[2] == nil || res[2].Scope != scopeC || res[2].Written.Nodes != len(snaps(3)[2].Nodes) {
				t.Fatalf("the retry: %d done calls, results %+v; want 3 and scope %s written", doneN, res, scopeC)
			}
			if err := atGen(s, 3); err != nil {
				t.Fatalf("after the retry every scope must read the new collection: %v", err)
			}
			if g, err := s.LastGeneration(ctx); err != nil || g == nil || !g.Complete() || g.ID <= first.ID {
				t.Fatalf("after the retry: %+v, %v; want a complete generation newer than %d", g, err, first.ID)
			}
			for _, sc := range scopes {
				h, err := s.History(ctx, sc)
				if err != nil || len(h) != 2 {
					t.Fatalf("history of %s: %d records, %v; want 2 (the stopped write records none)", sc, len(h), err)
				}
			}
		})
	}
	t.Run("two snapshots of one scope are rejected", func(t *testing.T) {
		s := open(t)
		_, err := graph.SyncAll(context.Background(), s, []*graph.Snapshot{genSnapshot(scopeA, 1, 3, at(1)), genSnapshot(scopeA, 2, 3, at(2))}, nil,
			graph.SyncOptions{AllOrNothing: true})
		if !errors.Is(err, graph.ErrInvalidSnapshot) {
			t.Fatalf("got %v; want ErrInvalidSnapshot", err)
		}
		if sc, err := s.Scopes(context.Background()); err != nil || len(sc) != 0 {
			t.Fatalf("scopes after the rejected write: %v, %v; want none", sc, err)
		}
	})
}
