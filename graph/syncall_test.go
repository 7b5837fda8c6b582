package graph_test

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/breachpath/breachpath/graph"
	"github.com/breachpath/breachpath/graph/embedded"
)

func scopeSnapshot(i int) *graph.Snapshot {
	id := fmt.Sprintf("1000000000%02d", i)
	return &graph.Snapshot{
		Scope:       graph.Scope{Cloud: graph.CloudAWS, ID: id},
		CollectedAt: time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC),
		Collector:   "test",
		Nodes: []graph.Node{
			{ID: graph.InternetID, Kind: graph.KindInternet, Stub: true},
			{ID: "arn:aws:s3:::bucket-" + id, Kind: graph.KindBucket, Cloud: graph.CloudAWS, Service: "s3"},
		},
		Edges: []graph.Edge{{From: graph.InternetID, To: "arn:aws:s3:::bucket-" + id, Kind: graph.EdgeReads, Technique: "aws.s3.public-read"}},
	}
}

func openEmbedded(t *testing.T) *embedded.Store {
	t.Helper()
	st, err := embedded.Open(context.Background(), filepath.Join(t.TempDir(), "g.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

// parallel adds graph.ParallelSyncer to a real store and makes every sync
// wait until `meet` syncs are under way at once (or a guard expires), so
// that a SyncAll that runs them one after the other fails the test.
type parallel struct {
	graph.Store
	n    int
	meet int

	mu       sync.Mutex
	inFlight int
	peak     int
	met      chan struct{}
	closed   bool
}

func (p *parallel) SyncParallelism() int { return p.n }

func (p *parallel) Sync(ctx context.Context, s *graph.Snapshot) (graph.SyncResult, error) {
	p.mu.Lock()
	p.inFlight++
	p.peak = max(p.peak, p.inFlight)
	if p.inFlight == p.meet && !p.closed {
		p.closed = true
		close(p.met)
	}
	p.mu.Unlock()
	select {
	case <-p.met:
	case <-time.After(10 * time.Second): // guard only: the assertion is on peak
	}
	defer func() { p.mu.Lock(); p.inFlight--; p.mu.Unlock() }()
	return p.Store.Sync(ctx, s)
}

func TestSyncAllSyncsEverySnapshotAndReportsInOrder(t *testing.T) {
	for _, workers := range []int{0, 1, 3} {
		t.Run(fmt.Sprintf("parallelism %d", workers), func(t *testing.T) {
			var st graph.Store = openEmbedded(t)
			if workers > 0 {
				st = &parallel{Store: st, n: workers, meet: 1, met: make(chan struct{})}
			}
			snaps := make([]*graph.Snapshot, 5)
			for i := range snaps {
				snaps[i] = scopeSnapshot(i)
			}
			seen := map[int]bool{}
			res, err := graph.SyncAll(context.Background(), st, snaps, func(i int, r graph.SyncResult) {
				if seen[i] {
					t.Errorf("done called twice for snapshot %d", i)
				}
				seen[i] = true
			})
			if err != nil {
				t.Fatal(err)
			}
			for i, r := range res {
				if r == nil || r.Scope != snaps[i].Scope {
					t.Fatalf("result %d = %+v, want scope %s", i, r, snaps[i].Scope)
				}
				if !seen[i] {
					t.Errorf("done not called for snapshot %d", i)
				}
			}
			scopes, err := st.Scopes(context.Background())
			if err != nil || len(scopes) != len(snaps) {
				t.Fatalf("store has scopes %v (err %v), want %d", scopes, err, len(snaps))
			}
		})
	}
}

func TestSyncAllRunsSyncsConcurrentlyWhenTheStoreAsks(t *testing.T) {
	p := &parallel{Store: openEmbedded(t), n: 2, meet: 2, met: make(chan struct{})}
	snaps := []*graph.Snapshot{scopeSnapshot(0), scopeSnapshot(1), scopeSnapshot(2), scopeSnapshot(3)}
	if _, err := graph.SyncAll(context.Background(), p, snaps, nil); err != nil {
		t.Fatal(err)
	}
	if p.peak != 2 {
		t.Fatalf("peak concurrent syncs = %d, want 2", p.peak)
	}
}

func TestSyncAllStopsAtTheFirstFailureAndNamesIt(t *testing.T) {
	// one sync at a time (the embedded store's SyncParallelism hidden), so
	// that "after the failure" is well defined
	st := struct{ graph.Store }{openEmbedded(t)}
	snaps := []*graph.Snapshot{scopeSnapshot(0), scopeSnapshot(1), scopeSnapshot(2), scopeSnapshot(3)}
	snaps[2].Edges[0].To = "arn:aws:s3:::nowhere" // invalid: dangling edge
	res, err := graph.SyncAll(context.Background(), st, snaps, nil)
	var se *graph.SyncError
	if !errors.As(err, &se) || se.Index != 2 || !errors.Is(err, graph.ErrInvalidSnapshot) {
		t.Fatalf("err = %v, want a SyncError for snapshot 2 wrapping ErrInvalidSnapshot", err)
	}
	if res[0] == nil || res[1] == nil || res[2] != nil || res[3] != nil {
		t.Fatalf("results %v: want the two before the failure and none after", res)
	}
	scopes, _ := st.Scopes(context.Background())
	if len(scopes) != 2 {
		t.Fatalf("store has %d scopes, want 2 (nothing after the failure)", len(scopes))
	}
}

func TestSyncAllHonoursACancelledContext(t *testing.T) {
	st := openEmbedded(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := graph.SyncAll(ctx, st, []*graph.Snapshot{scopeSnapshot(0)}, nil)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
	if scopes, _ := st.Scopes(context.Background()); len(scopes) != 0 {
		t.Fatalf("store has scopes %v after a cancelled SyncAll", scopes)
	}
}

func TestSyncAllReportsANilSnapshot(t *testing.T) {
	_, err := graph.SyncAll(context.Background(), openEmbedded(t), []*graph.Snapshot{nil}, nil)
	var se *graph.SyncError
	if !errors.As(err, &se) || se.Name != "snapshot 1" {
		t.Fatalf("err = %v, want a SyncError naming snapshot 1", err)
	}
}

func TestSyncEachProducesEachSnapshotOnceAndHoldsOnlyThoseUnderWay(t *testing.T) {
	p := &parallel{Store: openEmbedded(t), n: 2, meet: 2, met: make(chan struct{})}
	const n = 6
	scopes := make([]graph.Scope, n)
	for i := range scopes {
		scopes[i] = scopeSnapshot(i).Scope
	}
	var mu sync.Mutex
	produced, live, peak := map[int]int{}, 0, 0
	res, err := graph.SyncEach(context.Background(), p, scopes, func(i int) (*graph.Snapshot, error) {
		mu.Lock()
		defer mu.Unlock()
		produced[i]++
		live++
		peak = max(peak, live)
		return scopeSnapshot(i), nil
	}, func(int, graph.SyncResult) {
		mu.Lock()
		live--
		mu.Unlock()
	})
	if err != nil {
		t.Fatal(err)
	}
	for i := range n {
		if produced[i] != 1 || res[i] == nil || res[i].Scope != scopes[i] {
			t.Fatalf("snapshot %d produced %d times, result %+v", i, produced[i], res[i])
		}
	}
	if peak > 2 {
		t.Fatalf("%d snapshots were under way at once, want at most the store's parallelism (2)", peak)
	}
}

func TestSyncEachStopsWhenASnapshotCannotBeProduced(t *testing.T) {
	st := struct{ graph.Store }{openEmbedded(t)} // one at a time
	scopes := []graph.Scope{scopeSnapshot(0).Scope, scopeSnapshot(1).Scope, scopeSnapshot(2).Scope}
	boom := errors.New("generator failed")
	res, err := graph.SyncEach(context.Background(), st, scopes, func(i int) (*graph.Snapshot, error) {
		if i == 1 {
			return nil, boom
		}
		return scopeSnapshot(i), nil
	}, nil)
	var se *graph.SyncError
	if !errors.As(err, &se) || se.Index != 1 || !errors.Is(err, boom) {
		t.Fatalf("err = %v, want a SyncError for snapshot 1 wrapping the producer's error", err)
	}
	if res[0] == nil || res[1] != nil || res[2] != nil {
		t.Fatalf("results %v: want only the one before the failure", res)
	}
	if g, err := st.LastGeneration(context.Background()); err != nil || g == nil || g.Complete() {
		t.Fatalf("last generation %+v (err %v): want it left open", g, err)
	}
}
