package api

import (
	"context"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/breachpath/breachpath/graph"
)

var (
	estateOnce sync.Once
	estateDir  string
)

// estateStore is a store holding the synthetic estate at 1k resources,
// synced once per test binary and reopened per test.
func estateStore(t *testing.T) graph.Store {
	t.Helper()
	estateOnce.Do(func() {
		dir, err := os.MkdirTemp("", "breachpath-api-estate-")
		if err != nil {
			t.Fatal(err)
		}
		estateDir = dir
		st := syntheticStore(t, dir, 1000)
		st.Close()
	})
	return openStore(t, estateDir)
}

func TestMain(m *testing.M) {
	code := m.Run()
	for _, dir := range []string{estateDir, benchDir} {
		if dir != "" {
			os.RemoveAll(dir)
		}
	}
	os.Exit(code)
}

func TestPaginationWalksEveryPathOnce(t *testing.T) {
	_, c := newServer(t, Config{Store: estateStore(t)})
	for _, sort := range []string{"risk", "likelihood", "hops"} {
		t.Run(sort, func(t *testing.T) {
			var all PathList
			c.get("/api/v1/paths?limit=500&sort="+sort).decode(t, &all)
			if all.Total < 5 || all.Total > 500 {
				t.Fatalf("the 1k estate has %d paths; the test wants 5..500", all.Total)
			}
			var walked []string
			cur := ""
			for pages := 0; ; pages++ {
				if pages > all.Total {
					t.Fatal("pagination does not end")
				}
				var page PathList
				c.get("/api/v1/paths?limit=3&sort="+sort+"&cursor="+url.QueryEscape(cur)).decode(t, &page)
				if page.Total != all.Total {
					t.Fatalf("total changed between pages: %d vs %d", page.Total, all.Total)
				}
				for _, p := range page.Items {
					walked = append(walked, p.ID)
				}
				if page.NextCursor == "" {
					break
				}
				cur = page.NextCursor
			}
			var want []string
			for _, p := range all.Items {
				want = append(want, p.ID)
			}
			if !slices.Equal(walked, want) {
				t.Fatalf("pages walked %d paths in another order than one big page (%d)", len(walked), len(want))
			}
			for i := 1; i < len(all.Items); i++ {
				a, b := all.Items[i-1], all.Items[i]
				if (sort == "risk" && a.Risk < b.Risk) || (sort == "likelihood" && a.Likelihood < b.Likelihood) ||
					(sort == "hops" && a.HopCount > b.HopCount) {
					t.Fatalf("items %d and %d out of %s order", i-1, i, sort)
				}
			}
		})
	}
}

func TestCursorIsBoundToItsQuery(t *testing.T) {
	_, c := newServer(t, Config{Store: estateStore(t)})
	var page PathList
	c.get("/api/v1/paths?limit=2&cloud=aws").decode(t, &page)
	if page.NextCursor == "" {
		t.Fatal("no second page")
	}
	if a := c.get("/api/v1/paths?limit=2&cloud=gcp&cursor=" + page.NextCursor); a.status != 400 || a.errorCode(t) != codeBadCursor {
		t.Fatalf("cursor reused with other filters: %d %s", a.status, a.body)
	}
	if a := c.get("/api/v1/findings?cursor=" + page.NextCursor); a.status != 400 || a.errorCode(t) != codeBadCursor {
		t.Fatalf("paths cursor accepted by findings: %d", a.status)
	}
	// the limit may change between pages
	if a := c.get("/api/v1/paths?limit=3&cloud=aws&cursor=" + page.NextCursor); a.status != 200 {
		t.Fatalf("limit change refused: %d %s", a.status, a.body)
	}
}

func TestPathFiltersKeepOnlyMatchingPaths(t *testing.T) {
	_, c := newServer(t, Config{Store: estateStore(t)})
	var all PathList
	c.get("/api/v1/paths?limit=500").decode(t, &all)
	top := all.Items[0]
	tests := []struct {
		name  string
		query string
		keep  func(p PathSummary) bool
	}{
		{"cloud", "cloud=azure", func(p PathSummary) bool { return slices.Contains(p.Clouds, graph.CloudAzure) }},
		{"account", "account=" + url.QueryEscape(top.Accounts[0]), func(p PathSummary) bool { return slices.Contains(p.Accounts, top.Accounts[0]) }},
		{"target", "target=" + url.QueryEscape(top.Target), func(p PathSummary) bool { return p.Target == top.Target }},
		{"source", "source=" + url.QueryEscape(top.Source), func(p PathSummary) bool { return p.Source == top.Source }},
		{"technique", "technique=" + url.QueryEscape(top.Techniques[0]), func(p PathSummary) bool { return slices.Contains(p.Techniques, top.Techniques[0]) }},
		{"min_risk", "min_risk=40", func(p PathSummary) bool { return p.Risk >= 40 }},
		{"min_sensitivity", "min_sensitivity=restricted", func(p PathSummary) bool { return p.TargetSensitivity == graph.SensitivityRestricted }},
		{"q", "q=" + url.QueryEscape(strings.ToUpper(top.TargetName)), func(p PathSummary) bool { return true }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got PathList
			c.get("/api/v1/paths?limit=500&"+tt.query).decode(t, &got)
			want := 0
			for _, p := range all.Items {
				if tt.keep(p) {
					want++
				}
			}
			for _, p := range got.Items {
				if !tt.keep(p) {
					t.Fatalf("path %s does not match %s", p.ID, tt.query)
				}
			}
			if got.Total == 0 || (tt.name != "q" && got.Total != want) {
				t.Fatalf("%s kept %d paths, want %d", tt.query, got.Total, want)
			}
		})
	}
}

func TestAnalysisIsComputedOncePerGeneration(t *testing.T) {
	st := &countingStore{Store: smallStore(t)}
	now := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	var mu sync.Mutex
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	advance := func(d time.Duration) { mu.Lock(); now = now.Add(d); mu.Unlock() }
	srv, c := newServer(t, Config{Store: st, Now: clock, CheckInterval: time.Second, TTL: time.Hour, Rate: 1e6, Burst: 1e6})

	var wg sync.WaitGroup
	for range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if a := c.get("/api/v1/paths"); a.status != 200 {
				t.Errorf("status %d", a.status)
			}
		}()
	}
	wg.Wait()
	if n := st.loads.Load(); n != 1 {
		t.Fatalf("16 concurrent requests loaded the graph %d times, want 1", n)
	}
	if n := st.factLoads.Load(); n != 0 {
		t.Fatalf("paths loaded the fact edges (%d loads): they answer from the moves", n)
	}
	var first PathList
	c.get("/api/v1/paths?limit=1").decode(t, &first)

	// Same generation after the check interval: no reload.
	advance(2 * time.Second)
	c.get("/api/v1/stats")
	srv.cache.idle() // the check runs behind the answer
	if n := st.loads.Load(); n != 1 {
		t.Fatalf("an unchanged store was reloaded (%d loads)", n)
	}
	c.get("/api/v1/stats")
	if n := st.factLoads.Load(); n != 0 {
		t.Fatalf("stats loaded the fact edges %d times: the store's counts answer", n)
	}
	// a saved query of moves alone loads nothing; one reading fact kinds
	// loads them once
	c.get("/api/v1/queries/escalation-to-admin")
	if n := st.factLoads.Load(); n != 0 {
		t.Fatalf("a saved query of moves alone loaded fact edges %d times", n)
	}
	q := "/api/v1/queries/imdsv1-compute-with-identity"
	c.get(q)
	c.get(q)
	if n := st.factLoads.Load(); n != 1 {
		t.Fatalf("a saved query twice loaded its fact edges %d times, want once", n)
	}

	// A new sync is a new generation: reloaded, and old cursors are stale.
	snap := smallSnapshot()
	snap.Findings = snap.Findings[:2]
	if _, err := st.Sync(context.Background(), snap); err != nil {
		t.Fatal(err)
	}
	cur := cursor{Generation: first.Generation, List: "paths", Query: queryKey(url.Values{}), Offset: 1}.encode()
	advance(2 * time.Second)
	// readers do not wait for the new analysis: the first request after the
	// sync is answered from the current one while the new one is computed,
	// which then replaces it in one swap
	var during FindingList
	c.get("/api/v1/findings?all=true").decode(t, &during)
	if during.Generation != first.Generation || during.Total != 3 {
		t.Fatalf("during the refresh: generation %s (want the previous %s), %d findings", during.Generation, first.Generation, during.Total)
	}
	srv.cache.idle()
	var after FindingList
	c.get("/api/v1/findings?all=true").decode(t, &after)
	if n := st.loads.Load(); n != 2 || after.Total != 2 || after.Generation == first.Generation {
		t.Fatalf("after a sync: %d loads, %d findings, generation %s (was %s)", n, after.Total, after.Generation, first.Generation)
	}
	if a := c.get("/api/v1/paths?cursor=" + cur); a.status != 409 || a.errorCode(t) != codeStaleCursor {
		t.Fatalf("cursor of an old generation: %d %s", a.status, a.body)
	}

	// The TTL forces a recomputation even without a sync.
	advance(2 * time.Hour)
	c.get("/api/v1/stats")
	if n := st.loads.Load(); n != 3 {
		t.Fatalf("TTL expiry: %d loads, want 3", n)
	}
}

func TestTokenFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "sub", "breachpath.token")
	tok, created, err := LoadOrCreateToken(path)
	if err != nil || !created || len(tok) < 32 {
		t.Fatalf("create: %q %v %v", tok, created, err)
	}
	info, err := os.Stat(path)
	if err != nil || info.Mode().Perm() != 0o600 {
		t.Fatalf("token file mode %v (%v), want 0600", info.Mode().Perm(), err)
	}
	again, created, err := LoadOrCreateToken(path)
	if err != nil || created || again != tok {
		t.Fatalf("reload: %q %v %v", again, created, err)
	}
	if err := os.Chmod(path, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, _, err := LoadOrCreateToken(path); err == nil || !strings.Contains(err.Error(), "readable by others") {
		t.Fatalf("a world-readable token file was accepted: %v", err)
	}
	short := filepath.Join(dir, "short.token")
	if err := os.WriteFile(short, []byte("abc\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, _, err := LoadOrCreateToken(short); err == nil {
		t.Fatal("a short token was accepted")
	}
}

func TestEveryEndpointOnTheEstate(t *testing.T) {
	_, c := newServer(t, Config{Store: estateStore(t)})
	var plan PlanView
	c.get("/api/v1/plan").decode(t, &plan)
	if len(plan.Steps) == 0 || plan.PathsBefore == 0 {
		t.Fatalf("plan of the estate: %+v", plan)
	}
	var w WhatIf
	c.get("/api/v1/plan/whatif?fix="+url.QueryEscape(plan.Steps[0].FindingID)).decode(t, &w)
	if len(w.Removed) != plan.Steps[0].PathsRemoved {
		t.Fatalf("fixing step 1 removes %d paths, the plan says %d", len(w.Removed), plan.Steps[0].PathsRemoved)
	}
	var list PathList
	c.get("/api/v1/paths?limit=1").decode(t, &list)
	var d PathDetail
	c.get("/api/v1/paths/"+url.PathEscape(list.Items[0].ID)).decode(t, &d)
	for _, n := range d.Nodes {
		var nd NodeDetail
		c.get("/api/v1/nodes/"+url.PathEscape(n.ID)).decode(t, &nd)
		if nd.ID != n.ID {
			t.Fatalf("node %s answered as %s", n.ID, nd.ID)
		}
	}
	var nb Neighbourhood
	c.get("/api/v1/nodes/neighbourhood?depth=2&limit=50&id="+url.QueryEscape(d.Hops[0].To)).decode(t, &nb)
	if len(nb.Nodes) < 2 || len(nb.Nodes) > 50 {
		t.Fatalf("neighbourhood of %s: %d nodes", d.Hops[0].To, len(nb.Nodes))
	}
	c.get("/api/v1/findings?all=true&limit=500")
	c.get("/api/v1/queue?format=sarif")
	c.get("/api/v1/queue?format=ocsf")
	c.get("/api/v1/search?q=prod")
	var st Stats
	c.get("/api/v1/stats").decode(t, &st)
	if st.Paths != list.Total || st.Nodes < 1000 {
		t.Fatalf("stats %+v vs %d paths", st, list.Total)
	}
}

func TestTokenFileRefusesWhatIsNoTokenFile(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "fifo.token")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	big := filepath.Join(dir, "big.token")
	if err := os.WriteFile(big, []byte(strings.Repeat("a", 5000)), 0o600); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(dir, "zero.token")
	if err := os.Symlink("/dev/zero", link); err != nil {
		t.Fatal(err)
	}
	cases := []struct{ name, path, want string }{
		{"fifo (would block serve forever)", fifo, "not a regular file"},
		{"device behind a symlink (would grow memory without bound)", link, "not a regular file"},
		{"larger than a token file", big, "larger than"},
	}
	if os.Geteuid() == 0 {
		other := filepath.Join(dir, "other.token")
		if err := os.WriteFile(other, []byte(strings.Repeat("t", 43)+"\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.Chown(other, 4242, 4242); err != nil {
			t.Fatal(err)
		}
		cases = append(cases, struct{ name, path, want string }{"owned by another user", other, "owned by uid 4242"})
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			done := make(chan error, 1)
			go func() { _, _, err := LoadOrCreateToken(c.path); done <- err }()
			err := <-done
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("LoadOrCreateToken(%s) = %v, want an error saying %q", c.name, err, c.want)
			}
		})
	}
}

// gatedStore holds every Load until its gate opens.
type gatedStore struct {
	graph.Store
	gate chan struct{}
}

func (g *gatedStore) Load(ctx context.Context, f graph.Filter) (*graph.Graph, error) {
	select {
	case <-g.gate:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	return g.Store.Load(ctx, f)
}

func TestReadyzWaitsForTheFirstAnalysis(t *testing.T) {
	st := &gatedStore{Store: smallStore(t), gate: make(chan struct{})}
	srv, c := newServer(t, Config{Store: st})
	if a := c.get("/readyz"); a.status != http.StatusServiceUnavailable || a.errorCode(t) != codeUnavailable {
		t.Fatalf("readyz before the first analysis: %d %s", a.status, a.body)
	}
	close(st.gate)
	srv.cache.idle() // the readiness probe started the analysis
	if a := c.get("/readyz"); a.status != 200 {
		t.Fatalf("readyz once the analysis is computed: %d %s", a.status, a.body)
	}
	var list PathList
	c.get("/api/v1/paths").decode(t, &list)
	if list.Total != 1 {
		t.Fatalf("first answer after ready: %+v", list)
	}
}
