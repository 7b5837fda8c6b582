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
//
// With opts.AllOrNothing the scopes switch together (Store.SyncAllOrNothing):
// after a failure every scope still reads its previous collection, done is
// called for each scope only once all of them switched, and the generation
// is recorded only then (a failed write is not a half-written one).
func SyncAll(ctx context.Context, st Store, snaps []*Snapshot, done func(i int, res SyncResult), opts ...SyncOptions) ([]*SyncResult, error) {
	scopes := make([]Scope, 0, len(snaps))
	for _, sn := range snaps {
		if sn != nil {
			scopes = append(scopes, sn.Scope)
		}
	}
	return syncEach(ctx, st, scopes, len(snaps), func(i int) (*Snapshot, error) { return snaps[i], nil }, done, opts)
}

// SyncEach is SyncAll for snapshots produced one at a time: snapshot(i),
// for i in 0..len(scopes)-1, is called once, by the worker that then syncs
// it, and the snapshot is dropped once synced, so memory holds the
// snapshots under way (the store's SyncParallelism), not the estate.
// scopes lists the scopes the snapshots will be of (the sync generation
// names them). A snapshot function error stops the write like a failed
// sync. With opts.AllOrNothing every snapshot is produced first (the scopes
// switch together in one transaction).
func SyncEach(ctx context.Context, st Store, scopes []Scope, snapshot func(i int) (*Snapshot, error), done func(i int, res SyncResult), opts ...SyncOptions) ([]*SyncResult, error) {
	return syncEach(ctx, st, scopes, len(scopes), snapshot, done, opts)
}

func syncEach(ctx context.Context, st Store, scopes []Scope, n int, snapshot func(i int) (*Snapshot, error), done func(i int, res SyncResult), opts []SyncOptions) ([]*SyncResult, error) {
	var opt SyncOptions
	for _, o := range opts {
		opt.AllOrNothing = opt.AllOrNothing || o.AllOrNothing
		if o.Staged != nil {
			opt.Staged = o.Staged
		}
	}
	if opt.AllOrNothing {
		snaps := make([]*Snapshot, n)
		for i := range snaps {
			var err error
			if snaps[i], err = snapshot(i); err != nil {
				return make([]*SyncResult, n), &SyncError{Index: i, Name: fmt.Sprintf("snapshot %d", i+1), Err: err}
			}
		}
		return syncAllOrNothing(ctx, st, scopes, snaps, done, opt.Staged)
	}
	gen, err := st.BeginGeneration(ctx, scopes)
	if err != nil {
		return nil, fmt.Errorf("begin sync generation: %w", err)
	}
	workers := 1
	if p, ok := st.(ParallelSyncer); ok {
		workers = max(1, p.SyncParallelism())
	}
	workers = min(workers, n)
	out := make([]*SyncResult, n)
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
		if failure != nil || next >= n || ctx.Err() != nil {
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
				snap, err := snapshot(i)
				name := fmt.Sprintf("snapshot %d", i+1)
				if err == nil {
					name = SnapshotName(snap, i)
					var res SyncResult
					if res, err = st.Sync(ctx, snap); err == nil {
						out[i] = &res
					}
				}
				mu.Lock()
				if err != nil {
					if failure == nil {
						failure = &SyncError{Index: i, Name: name, Err: err}
					}
				} else if done != nil {
					done(i, *out[i])
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if failure == nil {
		if err := ctx.Err(); err != nil && next < n {
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

// SyncOptions changes how SyncAll writes.
type SyncOptions struct {
	// AllOrNothing makes every scope switch to its new collection in one
	// step at the end: a write that fails or is cancelled leaves every
	// scope at its previous collection (and no incomplete generation
	// claiming success), at the cost of holding all the new rows unswitched
	// until the last scope is written.
	AllOrNothing bool
	// Staged, with AllOrNothing, is passed to Store.SyncAllOrNothing:
	// called once each scope is written but not yet switched.
	Staged func(i int) error
}

// syncAllOrNothing is SyncAll with SyncOptions.AllOrNothing. The write
// cannot leave scopes half-switched, so its generation is recorded only
// once every scope switched: a failure records none, and the newest
// generation stays whatever it was (an earlier write that did leave scopes
// mixed is still reported).
func syncAllOrNothing(ctx context.Context, st Store, scopes []Scope, snaps []*Snapshot, done func(i int, res SyncResult), staged func(i int) error) ([]*SyncResult, error) {
	out := make([]*SyncResult, len(snaps))
	res, err := st.SyncAllOrNothing(ctx, snaps, staged)
	if err != nil {
		return out, err
	}
	for i := range res {
		out[i] = &res[i]
		if done != nil {
			done(i, res[i])
		}
	}
	// the scopes switched: record the write as one complete generation
	// even if the caller's context ends now
	ctx = context.WithoutCancel(ctx)
	gen, err := st.BeginGeneration(ctx, scopes)
	if err != nil {
		return out, fmt.Errorf("record sync generation: %w", err)
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

// SnapshotName names snapshot i of a multi-scope write in errors: its
// scope, or its position when it is nil.
func SnapshotName(s *Snapshot, i int) string {
	if s == nil {
		return fmt.Sprintf("snapshot %d", i+1)
	}
	return s.Scope.String()
}

// DistinctScopes reports an error when two snapshots are of the same scope:
// a write that switches scopes together writes each scope once.
func DistinctScopes(snaps []*Snapshot) error {
	seen := make(map[Scope]int, len(snaps))
	for i, sn := range snaps {
		if sn == nil {
			continue
		}
		if j, ok := seen[sn.Scope]; ok {
			return fmt.Errorf("%w: snapshots %d and %d are both of scope %s", ErrInvalidSnapshot, j+1, i+1, sn.Scope)
		}
		seen[sn.Scope] = i
	}
	return nil
}
