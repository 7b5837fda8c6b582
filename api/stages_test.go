package api

import (
	"context"
	"encoding/json"
	"maps"
	"net/url"
	"slices"
	"strconv"
	"sync"
	"testing"

	"github.com/breachpath/breachpath/graph"
)

// gatedLoads holds every Load that hold selects until its gate opens;
// the others pass. entered receives one value per held load.
type gatedLoads struct {
	graph.Store
	hold    func(graph.Filter) bool
	gate    chan struct{}
	entered chan struct{}
}

func (g *gatedLoads) Load(ctx context.Context, f graph.Filter) (*graph.Graph, error) {
	if g.hold(f) {
		g.entered <- struct{}{}
		select {
		case <-g.gate:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	return g.Store.Load(ctx, f)
}

// newFactGatedStore holds every load of the fact stage (the fact edges of
// every scope: a Load with FactsOnly and no KeepFacts, or without
// SkipFacts, naming no scope); the analysis' loads, the neighbourhood's
// scoped loads and the loads of some fact kinds pass.
func newFactGatedStore(st graph.Store) *gatedLoads {
	return &gatedLoads{Store: st, gate: make(chan struct{}), entered: make(chan struct{}, 16),
		hold: func(f graph.Filter) bool {
			if f.FactsOnly {
				return len(f.KeepFacts) == 0 && len(f.Scopes) == 0
			}
			return !f.SkipFacts && len(f.Scopes) == 0
		}}
}

// newKindsGatedStore holds every load of some fact kinds alone (FactsOnly
// with KeepFacts: the saved queries' and the CIEM report's).
func newKindsGatedStore(st graph.Store) *gatedLoads {
	return &gatedLoads{Store: st, gate: make(chan struct{}), entered: make(chan struct{}, 16),
		hold: func(f graph.Filter) bool { return f.FactsOnly && len(f.KeepFacts) > 0 }}
}

// newScopedGatedStore holds every load naming scopes (the neighbourhood's).
func newScopedGatedStore(st graph.Store) *gatedLoads {
	return &gatedLoads{Store: st, gate: make(chan struct{}), entered: make(chan struct{}, 16),
		hold: func(f graph.Filter) bool { return len(f.Scopes) > 0 }}
}

// readyStages returns the stages /readyz reports, failing unless it is 200.
func readyStages(t *testing.T, c *client) Stages {
	t.Helper()
	a := c.get("/readyz")
	if a.status != 200 {
		t.Fatalf("readyz: %d %s", a.status, a.body)
	}
	var body struct {
		Stages Stages `json:"stages"`
	}
	a.decode(t, &body)
	return body.Stages
}

func TestPathsAnswerBeforeTheFactEdgesAreLoaded(t *testing.T) {
	st := newFactGatedStore(estateStore(t))
	srv, c := newServer(t, Config{Store: st, Rate: 1e6, Burst: 1e6})
	var list PathList
	c.get("/api/v1/paths?limit=5").decode(t, &list)
	if list.Total == 0 {
		t.Fatal("no paths in the estate")
	}
	srv.cache.ready().search.get(context.Background()) // built in the background once published
	if s := readyStages(t, c); s.Analysis != stageReady || s.SearchIndex != stageReady || s.FactEdges != stagePending {
		t.Fatalf("stages once the analysis answers: %+v", s)
	}
	// every endpoint that reads paths, findings, nodes' own fields or the
	// search index answers while the fact edges are held back
	id := url.PathEscape(list.Items[0].ID)
	var d PathDetail
	c.get("/api/v1/paths/"+id).decode(t, &d)
	for _, path := range []string{
		"/api/v1/paths?target=admin", "/api/v1/findings?all=true", "/api/v1/queue", "/api/v1/queue?format=sarif",
		"/api/v1/plan", "/api/v1/sensitivity", "/api/v1/compliance?framework=cis-aws-3.0",
		"/api/v1/targets/" + url.PathEscape(list.Items[0].Target) + "/must-pass",
		"/api/v1/compromised?source=" + url.QueryEscape(list.Items[0].Source),
		"/api/v1/search?q=prod",
		"/api/v1/stats", // its edge count from the store's counts
	} {
		if a := c.get(path); a.status != 200 {
			t.Errorf("%s while the fact edges are held: %d %.300s", path, a.status, a.body)
		}
	}
	if len(st.entered) != 0 {
		t.Fatalf("an endpoint that reads no fact edge loaded them")
	}

	// the neighbourhood and a node's detail read the scopes near the node
	// instead
	for _, path := range []string{
		"/api/v1/nodes/neighbourhood?depth=3&id=" + url.QueryEscape(d.Hops[0].To),
		"/api/v1/nodes?id=" + url.QueryEscape(d.Hops[0].To),
	} {
		if a := c.get(path); a.status != 200 {
			t.Errorf("%s while the fact edges are held: %d %.300s", path, a.status, a.body)
		}
	}
	if len(st.entered) != 0 {
		t.Fatalf("the neighbourhood or a node's detail loaded every fact edge")
	}

	// saved queries and the CIEM report read the fact kinds they name
	// alone, never the fact stage
	for _, path := range append(savedQueryPaths(t, c), "/api/v1/ciem", "/api/v1/ciem?format=csv") {
		if a := c.get(path); a.status != 200 {
			t.Errorf("%s while the fact edges are held: %d %.300s", path, a.status, a.body)
		}
	}
	if len(st.entered) != 0 {
		t.Fatalf("a saved query or the CIEM report loaded every fact edge")
	}
	if s := readyStages(t, c); s.FactEdges != stagePending || !slices.Equal(s.FactKinds, []string{"ENCRYPTED_BY", "MEMBER_OF", "PROFILE_CONTAINS", "RUNS_AS", "TRUSTS"}) {
		t.Fatalf("stages once the saved queries and the CIEM report answered: %+v", s)
	}

	// a request that needs the fact stage waits for it, and readyz says it
	// is loading
	done := make(chan error)
	go func() { _, err := srv.cache.ready().facts.get(context.Background()); done <- err }()
	<-st.entered
	if s := readyStages(t, c); s.FactEdges != stageBuilding {
		t.Fatalf("stages while the fact edges load: %+v", s)
	}
	close(st.gate)
	if err := <-done; err != nil {
		t.Fatalf("fact stage: %v", err)
	}
	if s := readyStages(t, c); s.FactEdges != stageReady {
		t.Fatalf("stages once the fact edges are loaded: %+v", s)
	}
}

func TestReadyzIsNotReadyBeforeTheFirstAnalysis(t *testing.T) {
	st := &gatedStore{Store: estateStore(t), gate: make(chan struct{})}
	srv, c := newServer(t, Config{Store: st})
	for range 2 {
		if a := c.get("/readyz"); a.status != 503 || a.errorCode(t) != codeUnavailable {
			t.Fatalf("readyz before the first analysis: %d %s", a.status, a.body)
		}
	}
	close(st.gate)
	srv.cache.idle()
	if s := readyStages(t, c); s.Analysis != stageReady || s.FactEdges != stagePending {
		t.Fatalf("stages after the first analysis: %+v", s)
	}
}

// fullLoadStore loads every edge whatever the filter asks: the analysis is
// then built from graph.Filter{}, as the server did before it answered from
// the moves alone.
type fullLoadStore struct{ graph.Store }

func (s fullLoadStore) Load(ctx context.Context, f graph.Filter) (*graph.Graph, error) {
	f.SkipFacts, f.KeepFacts = false, nil
	return s.Store.Load(ctx, f)
}

// fullLoadServer is a server whose analysis holds every edge and whose
// neighbourhood and degrees index that graph itself, as before the stages.
func fullLoadServer(t *testing.T, cfg Config) *client {
	t.Helper()
	cfg.Store, cfg.Rate, cfg.Burst = fullLoadStore{cfg.Store}, 1e6, 1e6
	srv, c := newServer(t, cfg)
	an, err := srv.cache.get(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	f := fullFactGraph(an.g)
	an.facts.mu.Lock() // the server's goroutines read build under it
	an.facts.build = func(context.Context) (*factGraph, error) { return f, nil }
	an.facts.mu.Unlock()
	// the analysis holds every fact kind already
	an.kinds.mu.Lock()
	an.kinds.build = func(_ context.Context, _ *kindGraph, want []graph.EdgeKind) (*kindGraph, error) {
		return &kindGraph{kinds: want, g: an.g}, nil
	}
	an.kinds.mu.Unlock()
	// built now: the neighbourhood reads it rather than joining a scoped
	// load's facts to this analysis' edges, which hold the facts already
	if _, err := an.facts.get(context.Background()); err != nil {
		t.Fatal(err)
	}
	return c
}

func TestAnswersEqualThoseOfAnAnalysisOfEveryEdge(t *testing.T) {
	st := estateStore(t)
	want := fullLoadServer(t, Config{Store: st})
	_, got := newServer(t, Config{Store: st, Rate: 1e6, Burst: 1e6})

	same := func(path string, clear ...string) {
		t.Helper()
		a, b := want.get(path), got.get(path)
		if a.status != 200 || b.status != 200 {
			t.Fatalf("%s: %d from the full load, %d from the moves (%.300s)", path, a.status, b.status, b.body)
		}
		var x, y map[string]any
		a.decode(t, &x)
		b.decode(t, &y)
		for _, k := range clear { // when each analysis was computed
			delete(x, k)
			delete(y, k)
		}
		xj, _ := json.Marshal(x)
		yj, _ := json.Marshal(y)
		if string(xj) != string(yj) {
			i := 0
			for i < min(len(xj), len(yj)) && xj[i] == yj[i] {
				i++
			}
			from := max(0, i-200)
			t.Fatalf("%s differs at byte %d:\nfull load: ...%.400s\nmoves:     ...%.400s", path, i, xj[from:], yj[from:])
		}
	}
	same("/api/v1/stats", "computed_at", "analysis_ms")
	same("/api/v1/paths?limit=500")
	same("/api/v1/queue")
	same("/api/v1/plan")
	same("/api/v1/ciem", "generated_at")
	for _, q := range []string{"prod", "role", "arn:aws", "bucket", "x"} {
		same("/api/v1/search?limit=100&q=" + url.QueryEscape(q))
	}
	for _, path := range savedQueryPaths(t, got) {
		same(path)
	}
	// the neighbourhood at every depth and the detail of every node on a
	// path, and of some without paths
	for _, id := range nodesToCompare(t, got, 20, 100, "vm") {
		same("/api/v1/nodes?id=" + url.QueryEscape(id))
		for _, depth := range []string{"1", "2", "3"} {
			same("/api/v1/nodes/neighbourhood?limit=300&depth=" + depth + "&id=" + url.QueryEscape(id))
		}
	}
}

// nodesToCompare returns, sorted, the nodes of the first 20 paths and the
// first limit search results of each query: at least atLeast of them.
func nodesToCompare(t *testing.T, c *client, atLeast, limit int, qs ...string) []string {
	t.Helper()
	var list PathList
	c.get("/api/v1/paths?limit=500").decode(t, &list)
	ids := map[string]bool{}
	for _, p := range list.Items[:min(20, len(list.Items))] {
		var d PathDetail
		c.get("/api/v1/paths/"+url.PathEscape(p.ID)).decode(t, &d)
		for _, n := range d.Nodes {
			ids[n.ID] = true
		}
	}
	for _, q := range qs {
		var sr SearchResult
		c.get("/api/v1/search?limit="+strconv.Itoa(limit)+"&q="+url.QueryEscape(q)).decode(t, &sr)
		for _, n := range sr.Items {
			ids[n.ID] = true
		}
	}
	if len(ids) < atLeast {
		t.Fatalf("only %d nodes to compare", len(ids))
	}
	return slices.Sorted(maps.Keys(ids))
}

func TestSyncDuringANeighbourhoodLoadAnswersFromTheNewGeneration(t *testing.T) {
	tests := []struct {
		name  string
		store func(graph.Store) *gatedLoads
		// the fact stage's state once the neighbourhood answered
		facts string
	}{
		{"from the scopes near the node", newScopedGatedStore, stagePending},
		// without a cross-scope index the neighbourhood reads the fact stage
		{"from the fact stage", func(st graph.Store) *gatedLoads { return newFactGatedStore(noIndexStore{st}) }, stageReady},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st := tt.store(smallStore(t))
			srv, c := newServer(t, Config{Store: st, Rate: 1e6, Burst: 1e6})
			var before PathList
			c.get("/api/v1/paths").decode(t, &before)

			// the neighbourhood starts loading edges of this generation;
			// the store is synced before the load reads it
			done := make(chan answer)
			go func() { done <- c.get("/api/v1/nodes/neighbourhood?id=" + url.QueryEscape(vmID)) }()
			<-st.entered
			snap := smallSnapshot()
			snap.Edges = slices.DeleteFunc(snap.Edges, func(e graph.Edge) bool { return e.Kind == graph.EdgeRunsAs })
			if _, err := st.Sync(context.Background(), snap); err != nil {
				t.Fatal(err)
			}
			close(st.gate)
			a := <-done
			if a.status != 200 {
				t.Fatalf("neighbourhood across a sync: %d %s", a.status, a.body)
			}
			var nb Neighbourhood
			a.decode(t, &nb)
			if nb.Generation == before.Generation {
				t.Fatalf("the neighbourhood answered from generation %s, read before the sync", nb.Generation)
			}
			for _, e := range nb.Edges {
				if e.Kind == graph.EdgeRunsAs {
					t.Fatalf("the neighbourhood holds the RUNS_AS edge the sync removed: %+v", nb.Edges)
				}
			}
			if s := srv.cache.ready().stages(); s.FactEdges != tt.facts {
				t.Fatalf("fact stage %s, want %s", s.FactEdges, tt.facts)
			}
			var after PathList
			c.get("/api/v1/paths").decode(t, &after)
			if after.Generation != nb.Generation {
				t.Fatalf("paths answer generation %s, the neighbourhood %s", after.Generation, nb.Generation)
			}
		})
	}
}

func TestReadersDuringASyncSeeOneGenerationPerAnswer(t *testing.T) {
	st := smallStore(t)
	srv, c := newServer(t, Config{Store: st, Rate: 1e6, Burst: 1e6})
	var first PathList
	c.get("/api/v1/paths").decode(t, &first)
	c.get("/api/v1/stats")

	// readers of every part (the analysis, the search index, the fact
	// edges) while the store is synced and the analysis refreshed
	readers := []string{"/api/v1/paths", "/api/v1/search?q=web", "/api/v1/nodes/neighbourhood?depth=2&id=" + url.QueryEscape(vmID), "/api/v1/stats"}
	generation := func(path string) string {
		a := c.get(path)
		if a.status != 200 {
			t.Errorf("%s during a sync: %d %s", path, a.status, a.body)
			return ""
		}
		var g struct {
			Generation string `json:"generation"`
		}
		a.decode(t, &g)
		return g.Generation
	}
	var (
		wg   sync.WaitGroup
		mu   sync.Mutex
		gens = map[string]bool{}
	)
	stop := make(chan struct{})
	for _, path := range readers {
		wg.Go(func() {
			for {
				select {
				case <-stop:
					return
				default:
				}
				g := generation(path)
				mu.Lock()
				gens[g] = true
				mu.Unlock()
			}
		})
	}
	snap := smallSnapshot()
	snap.Findings = snap.Findings[:2]
	if _, err := st.Sync(context.Background(), snap); err != nil {
		t.Fatal(err)
	}
	next, err := srv.cache.newer(context.Background(), srv.cache.ready())
	if err != nil {
		t.Fatal(err)
	}
	// swapped: every reader now answers from the new generation
	for _, path := range readers {
		if g := generation(path); g != next.generation {
			t.Errorf("%s after the swap answers generation %s, want %s", path, g, next.generation)
		}
	}
	close(stop)
	wg.Wait()
	for g := range gens {
		if g != first.Generation && g != next.generation {
			t.Errorf("an answer of generation %q, neither %s nor %s", g, first.Generation, next.generation)
		}
	}
}
