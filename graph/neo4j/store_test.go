package neo4j

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"io"
	"log/slog"
	"net"
	"os"
	"strings"
	"testing"
	"time"

	neo "github.com/neo4j/neo4j-go-driver/v5/neo4j"

	"github.com/breachpath/breachpath/graph"
	"github.com/breachpath/breachpath/graph/storetest"
)

// Tests run against the server named by BREACHPATH_TEST_NEO4J_URI (the
// project's test script starts the dev server and sets it). Every test
// store gets its own namespace and purges it when the test ends, so tests
// share one server without seeing each other's rows.
const (
	envURI      = "BREACHPATH_TEST_NEO4J_URI"
	envUser     = "BREACHPATH_TEST_NEO4J_USER"
	envPassword = "BREACHPATH_TEST_NEO4J_PASSWORD"
	envRequire  = "BREACHPATH_REQUIRE_NEO4J"
)

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

// testURI returns the server URI, skipping the test when none is
// configured and failing it when one is required.
func testURI(t testing.TB) string {
	t.Helper()
	uri := os.Getenv(envURI)
	if uri == "" {
		if os.Getenv(envRequire) != "" {
			t.Fatalf("%s=1 but %s is unset: start the server with scripts/neo4j-dev.sh up and export %s=$(scripts/neo4j-dev.sh uri)",
				envRequire, envURI, envURI)
		}
		t.Skipf("%s is unset: Neo4j store tests skipped (scripts/neo4j-dev.sh up; export %s=$(scripts/neo4j-dev.sh uri))", envURI, envURI)
	}
	return uri
}

func newNamespace(t testing.TB) string {
	t.Helper()
	var b [6]byte
	if _, err := rand.Read(b[:]); err != nil {
		t.Fatal(err)
	}
	return "t" + hex.EncodeToString(b[:])
}

func testOptions(ns string) Options {
	return Options{User: os.Getenv(envUser), Password: os.Getenv(envPassword), Namespace: ns, Logger: quiet}
}

// openTest opens a store in a fresh namespace on the test server and
// purges the namespace when the test ends.
func openTest(t testing.TB, mod ...func(*Options)) *Store {
	t.Helper()
	uri := testURI(t)
	o := testOptions(newNamespace(t))
	for _, m := range mod {
		m(&o)
	}
	s, err := Open(context.Background(), uri, o)
	if err != nil {
		t.Fatalf("open test server (%s=%s): %v", envURI, uri, err)
	}
	t.Cleanup(func() {
		if err := s.Purge(context.Background()); err != nil {
			t.Errorf("purge namespace %s: %v", o.Namespace, err)
		}
		if err := s.Close(); err != nil {
			t.Error(err)
		}
	})
	return s
}

func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) graph.Store { return openTest(t) })
}

func TestStatsOfAStoreWithoutRecordedCounts(t *testing.T) {
	storetest.StatsUpgrade(t, func(t *testing.T) graph.Store { return openTest(t) }, func(t *testing.T, st graph.Store) {
		// as a store written by an older breachpath or the bulk import:
		// no counts on the projections, no estate totals
		s := st.(*Store)
		if _, err := neo.ExecuteQuery(context.Background(), s.driver, `MATCH (p:ScopeProjection {ns: $ns}) REMOVE p.count_keys, p.count_n`,
			map[string]any{"ns": s.ns}, neo.EagerResultTransformer, neo.ExecuteQueryWithDatabase(s.db)); err != nil {
			t.Fatal(err)
		}
		dropTotals(t, s)
	})
}

// TestConformanceSmallBatches runs the suite the way large scopes are
// synced: ten rows per statement, so that every sync spans several write
// transactions and one that supersedes more than a few rows deletes them
// after the switch instead of inside it, and current nodes read one
// record per row rather than as one list.
func TestConformanceSmallBatches(t *testing.T) {
	storetest.Run(t, func(t *testing.T) graph.Store {
		s := openTest(t, func(o *Options) { o.BatchSize = 10 })
		s.collectMax = -1
		return s
	})
}

// crashLocation joins the server URI and a namespace: the crash test's
// child process opens the store from this string alone.
func crashLocation(uri, ns string) string { return uri + "#" + ns }

func openCrashLocation(ctx context.Context, loc string) (graph.Store, error) {
	uri, ns, _ := strings.Cut(loc, "#")
	return Open(ctx, uri, testOptions(ns))
}

func TestCrashMidSyncLeavesPreviousGraph(t *testing.T) {
	tests := []struct {
		name     string
		after    int64
		midWrite bool // the kill must leave rows of the unfinished sync behind
	}{
		{"before writing", 5, false},
		// the first write transaction closes the old rows and writes the
		// first new nodes; the sync makes about 880 context checks in all
		{"after the first write transaction", 500, true},
		{"amid the new rows", 700, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var purge []string
			t.Cleanup(func() {
				for _, loc := range purge {
					s, err := openCrashLocation(context.Background(), loc)
					if err != nil {
						t.Error(err)
						continue
					}
					if err := s.(*Store).Purge(context.Background()); err != nil {
						t.Error(err)
					}
					s.Close()
				}
			})
			storetest.RunCrash(t, storetest.Crash{
				New: func(t *testing.T) string {
					loc := crashLocation(testURI(t), newNamespace(t))
					purge = append(purge, loc)
					return loc
				},
				Open:      openCrashLocation,
				KillAfter: tt.after,
				AfterKill: func(t *testing.T, loc string) {
					if !tt.midWrite {
						return
					}
					s, err := openCrashLocation(context.Background(), loc)
					if err != nil {
						t.Fatal(err)
					}
					defer s.Close()
					n := leftovers(t, s.(*Store))
					if n == 0 {
						t.Errorf("the kill left no rows of the unfinished sync: it came before the writes or after the commit")
					}
					t.Logf("the killed sync left %d unfinished rows", n)
				},
			})
		})
	}
}

// unusedPort returns a 127.0.0.1 port nothing listens on.
func unusedPort(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return addr
}

// TestEdgeChangesOnUnchangedNodes covers the digest that lets a re-sync skip
// reading the relationships of nodes whose outgoing edges are unchanged:
// edges changed, added and removed between nodes that did not change must
// all be noticed, and an untouched re-sync must write nothing.
func TestEdgeChangesOnUnchangedNodes(t *testing.T) {
	s := openTest(t)
	ctx := context.Background()
	scope := graph.Scope{Cloud: graph.CloudAWS, ID: "135792468024"}
	base := testEstate(scope, 1, 50)
	if _, err := s.Sync(ctx, base); err != nil {
		t.Fatal(err)
	}
	next := *base
	next.CollectedAt = base.CollectedAt.Add(time.Hour)
	next.Edges = append([]graph.Edge(nil), base.Edges...)
	next.Edges[3].Likelihood = 0.25                          // changed content
	next.Edges[4].Evidence = []string{"sg-1"}                // changed content
	next.Edges = append(next.Edges[:10], next.Edges[11:]...) // removed
	added := base.Edges[1]                                   // a second technique between the same nodes
	added.Technique, added.Likelihood = "aws.s3.read-other", 0.5
	next.Edges = append(next.Edges, added)
	res, err := s.Sync(ctx, &next)
	if err != nil {
		t.Fatal(err)
	}
	if res.Removed.Edges != 1 {
		t.Errorf("removed %d edges, want 1", res.Removed.Edges)
	}
	g := mustLoadScope(t, s, scope)
	got := map[graph.EdgeKey]graph.Edge{}
	for _, e := range g.Edges {
		got[e.Key()] = e
	}
	if len(got) != len(next.Edges) {
		t.Fatalf("loaded %d edges, want %d", len(got), len(next.Edges))
	}
	for _, e := range next.Edges {
		le, ok := got[e.Key()]
		if !ok {
			t.Fatalf("edge %s missing after the re-sync", e.Key())
		}
		if le.Likelihood != e.Likelihood || strings.Join(le.Evidence, ",") != strings.Join(e.Evidence, ",") {
			t.Errorf("edge %s: likelihood %v evidence %v, want %v %v", e.Key(), le.Likelihood, le.Evidence, e.Likelihood, e.Evidence)
		}
	}

	// Unchanged: every node's stored digest matches the snapshot's, which
	// also checks that the server's remainders and sums equal Go's.
	again := next
	again.CollectedAt = next.CollectedAt.Add(time.Hour)
	hist := len(mustHistory(t, s, scope))
	if _, err := s.Sync(ctx, &again); err != nil {
		t.Fatal(err)
	}
	h := mustHistory(t, s, scope)
	if len(h) != hist+1 {
		t.Fatalf("history has %d records, want %d", len(h), hist+1)
	}
	changed := changedCounts(t, s, h[0].SyncID)
	if changed != (graph.Counts{}) {
		t.Errorf("unchanged re-sync rewrote %+v rows", changed)
	}
}

// changedCounts reads what a sync rewrote from its :SyncRecord.
func changedCounts(t *testing.T, s *Store, sync int64) graph.Counts {
	t.Helper()
	res, err := neo.ExecuteQuery(context.Background(), s.driver, `MATCH (y:SyncRecord {ns: $ns, id: $id})
		RETURN y.changed_nodes, y.changed_edges, y.changed_findings`, map[string]any{"ns": s.ns, "id": sync},
		neo.EagerResultTransformer, neo.ExecuteQueryWithDatabase(s.db))
	if err != nil || len(res.Records) != 1 {
		t.Fatalf("read sync record %d: %v", sync, err)
	}
	v := res.Records[0].Values
	n, _ := v[0].(int64)
	e, _ := v[1].(int64)
	f, _ := v[2].(int64)
	return graph.Counts{Nodes: int(n), Edges: int(e), Findings: int(f)}
}

// TestDigestOfAnUnfinishedSyncIsNotTrusted covers the one in-place write of
// a sync: the outgoing-edge digest of a node whose edges changed while the
// node did not. A sync that wrote such digests and then failed leaves them
// describing relationships that were rolled back; the next sync must read
// those nodes' relationships instead of skipping them as unchanged.
func TestDigestOfAnUnfinishedSyncIsNotTrusted(t *testing.T) {
	s := openTest(t)
	ctx := context.Background()
	scope := graph.Scope{Cloud: graph.CloudAWS, ID: "246813579135"}
	base := testEstate(scope, 1, 20)
	if _, err := s.Sync(ctx, base); err != nil {
		t.Fatal(err)
	}
	next := *base
	next.CollectedAt = base.CollectedAt.Add(time.Hour)
	next.Edges = append([]graph.Edge(nil), base.Edges...)
	next.Edges[2].Likelihood = 0.125
	from := next.Edges[2].From
	var want edgeDigest
	for i := range next.Edges {
		if e := &next.Edges[i]; e.From == from {
			want.add(edgeKeyHash(e, hashEdge(e), false))
		}
	}
	// What a sync of next that failed after its digest step leaves behind:
	// the node's digest already matches next, written under a sync id above
	// the active one.
	_, err := neo.ExecuteQuery(ctx, s.driver, `MATCH (sc:Scope {key: $sk})
		MATCH (n:Resource {scope: $sk, id: $id}) WHERE n.sync_to IS NULL
		SET n.out_digest = $d, n.out_digest_sync = sc.active + 1`,
		map[string]any{"sk": s.scopeKey(scope), "id": from, "d": want.fold()},
		neo.EagerResultTransformer, neo.ExecuteQueryWithDatabase(s.db))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Sync(ctx, &next); err != nil {
		t.Fatal(err)
	}
	for _, e := range mustLoadScope(t, s, scope).Edges {
		if e.Key() == next.Edges[2].Key() && e.Likelihood != 0.125 {
			t.Fatalf("edge %s has likelihood %v after the re-sync, want 0.125 (the stale digest was trusted)", e.Key(), e.Likelihood)
		}
	}
}

// TestOpenConcurrentlySucceeds opens many stores at once, as parallel test
// packages and a scheduler's overlapping runs do: their schema statements
// contend for the same label locks and the server fails one side of each
// deadlock with a transient error, which Open must retry rather than report.
// The contention is sharpest while the schema is first created, so the test
// catches the failure most surely as the first test on a fresh server.
func TestOpenConcurrentlySucceeds(t *testing.T) {
	uri := testURI(t)
	const rounds, stores = 3, 8
	for r := 0; r < rounds; r++ {
		errs := make(chan error, stores)
		opened := make(chan *Store, stores)
		for i := 0; i < stores; i++ {
			o := testOptions(newNamespace(t))
			go func() {
				s, err := Open(context.Background(), uri, o)
				errs <- err
				opened <- s
			}()
		}
		for i := 0; i < stores; i++ {
			if err := <-errs; err != nil {
				t.Errorf("round %d: open: %v", r, err)
			}
			if s := <-opened; s != nil {
				if err := s.Close(); err != nil {
					t.Error(err)
				}
			}
		}
	}
}

func TestScopedLoadAnswersAsFullLoad(t *testing.T) {
	storetest.Scoped(t, func(t *testing.T) graph.Store { return openTest(t) }, 6000, func(t *testing.T, st graph.Store, sc graph.Scope) {
		// a projection, and so its index, of an older version of the scope
		s := st.(*Store)
		ctx := context.Background()
		sess := s.session(ctx, neo.AccessModeWrite)
		defer sess.Close(ctx)
		res, err := sess.Run(ctx, `MATCH (p:ScopeProjection {key: $sk}) SET p.sync = p.sync - 1`, map[string]any{"sk": s.scopeKey(sc)})
		if err == nil {
			_, err = res.Consume(ctx)
		}
		if err != nil {
			t.Fatal(err)
		}
	})
}
