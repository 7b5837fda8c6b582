package graph

import (
	"context"
	"fmt"
	"sync"
)

// ParallelSyncer is implemented by stores that sync several scopes at once
// faster than one after the other (Neo4j commits scopes on separate server
// threads; the embedded file has a single writer but prepares the next
// scope's snapshot while one writes).
type ParallelSyncer interface {
	// SyncParallelism is how many syncs of different scopes SyncAll runs at
	// once.
	SyncParallelism() int
}

// SyncAll syncs every snapshot into st, several at once when st is a
// ParallelSyncer. Each sync is atomic on its own; done, when set, is called
// after each successful sync with the snapshot's index (from one goroutine
// at a time). After the first failure no further sync starts, the syncs
// under way finish, and SyncAll returns that failure as a *SyncError,
// together with the results of the syncs that succeeded (nil entries for
// the others). Results are in snapshot order.
//
// The whole write is one sync generation (Generations): opened before the
// first sync and closed after the last succeeded, so a write that failed or
// was killed half-way stays open and the next command reports it.
func SyncAll(ctx context.Context, st Store, snaps []*Snapshot, done func(i int, res SyncResult)) ([]*SyncResult, error) {
	scopes := make([]Scope, 0, len(snaps))
	for _, sn := range snaps {
		if sn != nil {
			scopes = append(scopes, sn.Scope)
		}
	}
	gen, err := st.BeginGeneration(ctx, scopes)
	if err != nil {
		return nil, fmt.Errorf("begin sync generation: %w", err)
	}
	workers := 1
	if p, ok := st.(ParallelSyncer); ok {
		workers = max(1, p.SyncParallelism())
	}
	workers = min(workers, len(snaps))
	out := make([]*SyncResult, len(snaps))
	var (
		mu      sync.Mutex
		next    int
		failure error
		wg      sync.WaitGroup
	)
	// take hands out the next snapshot index, or -1 once all are taken or
	// a sync failed.
	take := func() int {
		mu.Lock()
		defer mu.Unlock()
		if failure != nil || next >= len(snaps) || ctx.Err() != nil {
			return -1
		}
		next++
		return next - 1
	}
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := take(); i >= 0; i = take() {
				res, err := st.Sync(ctx, snaps[i])
				mu.Lock()
				if err != nil {
					if failure == nil {
						failure = &SyncError{Index: i, Name: snapshotName(snaps[i], i), Err: err}
					}
				} else {
					out[i] = &res
					if done != nil {
						done(i, res)
					}
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if failure == nil {
		if err := ctx.Err(); err != nil && next < len(snaps) {
			failure = err
		}
	}
	if failure != nil {
		// the generation stays open: the next command says the write
		// did not finish
		return out, failure
	}
	if err := st.EndGeneration(ctx, gen); err != nil {
		return out, fmt.Errorf("end sync generation %d: %w", gen, err)
	}
	return out, nil
}

// SyncError is the failure of one sync of SyncAll.
type SyncError struct {
	Index int    // of the snapshot
	Name  string // its scope, for messages
	Err   error
}

func (e *SyncError) Error() string { return fmt.Sprintf("sync %s: %v", e.Name, e.Err) }

// Unwrap returns the store's error.
func (e *SyncError) Unwrap() error { return e.Err }

func snapshotName(s *Snapshot, i int) string {
	if s == nil {
		return fmt.Sprintf("snapshot %d", i+1)
	}
	return s.Scope.String()
}
