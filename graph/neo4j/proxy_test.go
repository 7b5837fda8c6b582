package neo4j

import (
	"context"
	"fmt"
	"net"
	"net/url"
	"reflect"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	neo "github.com/neo4j/neo4j-go-driver/v5/neo4j"

	"github.com/breachpath/breachpath/graph"
)

// cutProxy forwards TCP connections from 127.0.0.1 to a Bolt server. Armed
// with cutAfter, it severs every connection once that many bytes went from
// the clients to the server, and refuses new connections until restore:
// a server that vanishes in the middle of a sync.
type cutProxy struct {
	l        net.Listener
	target   string
	sent     atomic.Int64
	cutAfter atomic.Int64 // 0: never
	down     atomic.Bool

	mu    sync.Mutex
	conns map[net.Conn]bool
	wg    sync.WaitGroup
}

func newCutProxy(t *testing.T, target string) *cutProxy {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &cutProxy{l: l, target: target, conns: map[net.Conn]bool{}}
	p.wg.Add(1)
	go p.accept()
	t.Cleanup(func() {
		l.Close()
		p.cut()
		p.wg.Wait()
	})
	return p
}

func (p *cutProxy) uri() string { return "bolt://" + p.l.Addr().String() }

func (p *cutProxy) accept() {
	defer p.wg.Done()
	for {
		c, err := p.l.Accept()
		if err != nil {
			return
		}
		if p.down.Load() {
			c.Close()
			continue
		}
		s, err := net.Dial("tcp", p.target)
		if err != nil {
			c.Close()
			continue
		}
		p.mu.Lock()
		p.conns[c], p.conns[s] = true, true
		p.mu.Unlock()
		p.wg.Add(2)
		go p.pipe(s, c, true)
		go p.pipe(c, s, false)
	}
}

func (p *cutProxy) pipe(dst, src net.Conn, counted bool) {
	defer p.wg.Done()
	defer dst.Close()
	defer src.Close()
	buf := make([]byte, 32<<10)
	for {
		n, err := src.Read(buf)
		if n > 0 {
			if counted {
				total := p.sent.Add(int64(n))
				if limit := p.cutAfter.Load(); limit > 0 && total >= limit {
					p.down.Store(true)
					p.cut()
					return
				}
			}
			if _, werr := dst.Write(buf[:n]); werr != nil {
				return
			}
		}
		if err != nil {
			return
		}
	}
}

// cut closes every open connection.
func (p *cutProxy) cut() {
	p.mu.Lock()
	defer p.mu.Unlock()
	for c := range p.conns {
		c.Close()
		delete(p.conns, c)
	}
}

// arm makes the proxy cut after n more client bytes.
func (p *cutProxy) arm(n int64) { p.cutAfter.Store(p.sent.Load() + n) }

// restore lets connections through again.
func (p *cutProxy) restore() {
	p.cutAfter.Store(0)
	p.down.Store(false)
}

func TestConnectionLostMidSyncKeepsPreviousGraphAndNextSyncRepairs(t *testing.T) {
	direct := openTest(t)
	u, err := url.Parse(testURI(t))
	if err != nil {
		t.Fatal(err)
	}
	proxy := newCutProxy(t, u.Host)
	o := testOptions(direct.Namespace())
	o.BatchSize = 1000 // many transactions, so the cut lands between and inside them
	o.ConnectTimeout = 2 * time.Second
	// the driver retries a lost connection for this long before giving up
	o.MaxRetryTime = 2 * time.Second
	s, err := Open(context.Background(), proxy.uri(), o)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ctx := context.Background()
	scope := graph.Scope{Cloud: graph.CloudAWS, ID: "210987654321"}

	if _, err := s.Sync(ctx, testEstate(scope, 1, 300)); err != nil {
		t.Fatal(err)
	}
	// The bytes a sync of the big estate sends, measured on a scope of its
	// own, and its projection's size: the switching transaction carries the
	// projection last, so a cut half a blob before the end lands in it.
	other := graph.Scope{Cloud: graph.CloudAWS, ID: "310987654321"}
	before := proxy.sent.Load()
	if _, err := s.Sync(ctx, testEstate(other, 2, 8000)); err != nil {
		t.Fatal(err)
	}
	syncBytes := proxy.sent.Load() - before
	blobLen := int64(len(storedProjections(t, direct)[direct.scopeKey(other)]))
	if blobLen < 64<<10 {
		t.Fatalf("projection of 8000 nodes is %d bytes: too small to cut into", blobLen)
	}
	tests := []struct {
		name     string
		cut      int64 // client bytes into the big sync
		midWrite bool  // the cut must leave unfinished rows behind
	}{
		{"before the first write", 1 << 10, false},
		// a write transaction carries four batches (4000 rows, about 1 MiB of
		// nodes): the cut must come after the first one committed
		{"amid the node writes", 2 << 20, true},
		{"amid the edge writes", 6 << 20, true},
		{"amid the projection of the switching transaction", syncBytes - blobLen/2, true},
	}
	gen, committed := 1, 1
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			proxy.arm(tt.cut)
			_, err := s.Sync(ctx, testEstate(scope, gen+1, 8000))
			if err == nil {
				t.Fatalf("sync through a proxy cut after %d bytes succeeded", tt.cut)
			}
			msg := err.Error()
			t.Logf("sync error: %s", msg)
			if !strings.Contains(msg, "neo4j at "+proxy.uri()) || strings.ContainsAny(msg, "\n") {
				t.Errorf("error %q: want one line naming the server", msg)
			}
			// no projection claims the sync that did not commit, and the
			// first load still decodes the committed one
			if p, a := projections(t, direct), activeSyncs(t, direct); !reflect.DeepEqual(p, a) {
				t.Fatalf("projection versions %v after the failed sync, want the active syncs %v", p, a)
			}
			rows := direct.stats.rowScopes.Load()
			if err := checkTestEstate(mustLoadScope(t, direct, scope), gen, 300); err != nil {
				t.Fatalf("lost connection changed the graph: %v", err)
			}
			if n := direct.stats.rowScopes.Load() - rows; n != 0 {
				t.Fatalf("the load after the failed sync read %d scopes row by row, want its projection", n)
			}
			if h := mustHistory(t, direct, scope); len(h) != committed {
				t.Fatalf("history has %d records after the failed sync, want %d", len(h), committed)
			}
			if tt.midWrite && leftovers(t, direct) == 0 {
				t.Errorf("the cut after %d bytes left no rows of the unfinished sync: it did not land amid the writes", tt.cut)
			}
			proxy.restore()
			gen += 2
			if _, err := s.Sync(ctx, testEstate(scope, gen, 300)); err != nil {
				t.Fatalf("sync after the connection came back: %v", err)
			}
			committed++
			if err := checkTestEstate(mustLoadScope(t, direct, scope), gen, 300); err != nil {
				t.Fatalf("after the repairing sync: %v", err)
			}
			if p, a := projections(t, direct), activeSyncs(t, direct); !reflect.DeepEqual(p, a) {
				t.Fatalf("projection versions %v after the repairing sync, want the active syncs %v", p, a)
			}
			if n := leftovers(t, direct); n != 0 {
				t.Errorf("%d rows of the abandoned sync left after the next sync", n)
			}
		})
	}
}

func mustLoadScope(t *testing.T, s *Store, scope graph.Scope) *graph.Graph {
	t.Helper()
	g, err := s.Load(context.Background(), graph.Filter{Scopes: []graph.Scope{scope}})
	if err != nil {
		t.Fatal(err)
	}
	return g
}

func mustHistory(t *testing.T, s *Store, scope graph.Scope) []graph.SyncRecord {
	t.Helper()
	h, err := s.History(context.Background(), scope)
	if err != nil {
		t.Fatal(err)
	}
	return h
}

// leftovers counts rows of the store's namespace that belong to no active
// sync: written by an unfinished sync, or superseded and not deleted.
func leftovers(t *testing.T, s *Store) int64 {
	t.Helper()
	ctx := context.Background()
	res, err := neo.ExecuteQuery(ctx, s.driver, `
		MATCH (sc:Scope {ns: $ns})
		CALL {
			WITH sc
			MATCH (n:Resource {scope: sc.key}) WHERE n.sync_to IS NOT NULL OR n.sync_from > sc.active
			RETURN count(n) AS bad
			UNION ALL
			WITH sc
			MATCH (:Resource {scope: sc.key})-[r]->() WHERE r.sync_to IS NOT NULL OR r.sync_from > sc.active
			RETURN count(r) AS bad
			UNION ALL
			WITH sc
			MATCH (f:Finding {scope: sc.key}) WHERE f.sync_to IS NOT NULL OR f.sync_from > sc.active
			RETURN count(f) AS bad
		}
		RETURN sum(bad)`, map[string]any{"ns": s.ns}, neo.EagerResultTransformer, neo.ExecuteQueryWithDatabase(s.db))
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Records) == 0 {
		return 0
	}
	n, _ := res.Records[0].Values[0].(int64)
	return n
}

// testEstate is a deterministic snapshot of n compute nodes behind the
// Internet, each reading a bucket, with one finding per ten nodes. Every
// row carries gen, so a reader that sees two gens has seen a half sync.
func testEstate(scope graph.Scope, gen, n int) *graph.Snapshot {
	snap := &graph.Snapshot{Scope: scope, Collector: "test", CollectedAt: time.Date(2026, 1, 1, 0, 0, gen, 0, time.UTC)}
	snap.Nodes = append(snap.Nodes, graph.Node{ID: graph.InternetID, Kind: graph.KindInternet, Stub: true})
	for i := range n {
		id := fmt.Sprintf("arn:aws:ec2:eu-west-1:%s:instance/i-%08d", scope.ID, i)
		bucket := fmt.Sprintf("arn:aws:s3:::%s-data-%d", scope.ID, i)
		g := graph.Props{"gen": int64(gen)}
		snap.Nodes = append(snap.Nodes,
			graph.Node{ID: id, Kind: graph.KindCompute, Cloud: graph.CloudAWS, Account: scope.ID, Region: "eu-west-1",
				Service: "ec2", Name: fmt.Sprintf("web-%d", i), Tags: map[string]string{"team": "a"}, Props: g},
			graph.Node{ID: bucket, Kind: graph.KindBucket, Cloud: graph.CloudAWS, Account: scope.ID, Service: "s3",
				Sensitivity: graph.SensitivityConfidential, Props: graph.Props{"gen": int64(gen)}})
		snap.Edges = append(snap.Edges,
			graph.Edge{From: graph.InternetID, To: id, Kind: graph.EdgeExposedTo, Technique: "net.internet-exposure", Props: graph.Props{"gen": int64(gen)}},
			graph.Edge{From: id, To: bucket, Kind: graph.EdgeReads, Technique: "aws.s3.read", Likelihood: 0.9, Props: graph.Props{"gen": int64(gen)}})
		if i%10 == 0 {
			snap.Findings = append(snap.Findings, graph.Finding{ID: graph.FindingID("open-ssh", id), RuleID: "open-ssh",
				Resource: id, Severity: graph.SeverityHigh, Title: "SSH open to the world"})
		}
	}
	return snap
}

// checkTestEstate reports how g differs from testEstate(_, gen, n).
func checkTestEstate(g *graph.Graph, gen, n int) error {
	if len(g.Nodes) != 2*n+1 || len(g.Edges) != 2*n {
		return fmt.Errorf("%d nodes and %d edges, want %d and %d", len(g.Nodes), len(g.Edges), 2*n+1, 2*n)
	}
	for _, nd := range g.Nodes {
		if nd.ID != graph.InternetID && nd.Props["gen"] != int64(gen) {
			return fmt.Errorf("node %s has gen %v, want %d", nd.ID, nd.Props["gen"], gen)
		}
	}
	for _, e := range g.Edges {
		if e.Props["gen"] != int64(gen) {
			return fmt.Errorf("edge %s has gen %v, want %d", e.Key(), e.Props["gen"], gen)
		}
	}
	return nil
}
