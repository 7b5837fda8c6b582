package api

import (
	"bytes"
	"context"
	"encoding/json"
	"net/url"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/breachpath/breachpath/ciem"
	"github.com/breachpath/breachpath/collector"
	"github.com/breachpath/breachpath/graph"
	"github.com/breachpath/breachpath/queries"
)

// savedQueryPaths returns a request of every saved query with its
// defaults; a query that needs a foothold gets the source of the first
// path.
func savedQueryPaths(t *testing.T, c *client) []string {
	t.Helper()
	var list PathList
	c.get("/api/v1/paths?limit=1").decode(t, &list)
	var out []string
	for _, q := range queries.All() {
		path := "/api/v1/queries/" + q.Name
		if slices.ContainsFunc(q.Params, func(p queries.Param) bool { return p.Name == "from" }) {
			if len(list.Items) == 0 {
				t.Fatalf("%s needs a foothold and the estate has no path", q.Name)
			}
			path += "?from=" + url.QueryEscape(list.Items[0].Source)
		}
		out = append(out, path)
	}
	return out
}

// ciemPaths returns requests of the CIEM report in every format, filtered
// by the first principal's account, and of the first principals' rows.
func ciemPaths(t *testing.T, c *client) []string {
	t.Helper()
	var rep CIEMReport
	c.get("/api/v1/ciem").decode(t, &rep)
	if len(rep.Principals) == 0 {
		t.Fatal("the CIEM report has no principal")
	}
	out := []string{"/api/v1/ciem", "/api/v1/ciem?format=csv", "/api/v1/ciem?format=markdown", "/api/v1/ciem?format=html",
		"/api/v1/ciem?last_accessed_days=30&account=" + url.QueryEscape(rep.Principals[0].Account)}
	for _, p := range rep.Principals[:min(5, len(rep.Principals))] {
		out = append(out, "/api/v1/ciem/principals/"+url.PathEscape(p.ID))
	}
	return out
}

func TestSavedQueriesAndCIEMFromTheirFactKindsAreThoseOfEveryEdge(t *testing.T) {
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	for _, est := range []struct {
		name  string
		store func(testing.TB) graph.Store
	}{
		{"synthetic estate", func(tb testing.TB) graph.Store { return estateStore(tb.(*testing.T)) }},
		{"CIEM lab", func(tb testing.TB) graph.Store { return ciemStore(tb) }},
	} {
		t.Run(est.name, func(t *testing.T) {
			st := est.store(t)
			clock := func() time.Time { return now }
			want := fullLoadServer(t, Config{Store: st, Now: clock})
			// the kinds loaded alone from the store; the fact stage is
			// held back, so any use of it would hang the request
			gated := newFactGatedStore(st)
			_, fromStore := newServer(t, Config{Store: gated, Now: clock, Rate: 1e6, Burst: 1e6})
			// the kinds taken from a fact stage already built
			srv, fromFacts := newServer(t, Config{Store: st, Now: clock, Rate: 1e6, Burst: 1e6})
			an, err := srv.cache.get(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			if _, err := an.facts.get(context.Background()); err != nil {
				t.Fatal(err)
			}
			reqs := append(savedQueryPaths(t, want), ciemPaths(t, want)...)
			for _, path := range reqs {
				a, b, c := want.get(path), fromStore.get(path), fromFacts.get(path)
				if a.status != 200 || b.status != 200 || c.status != 200 {
					t.Fatalf("%s: %d every edge, %d kinds from the store, %d kinds from the fact stage (%.300s)", path, a.status, b.status, c.status, b.body)
				}
				if !bytes.Equal(a.body, b.body) || !bytes.Equal(a.body, c.body) {
					t.Errorf("%s differs: every edge %d bytes, kinds from the store %d, from the fact stage %d\n%.400s\n%.400s",
						path, len(a.body), len(b.body), len(c.body), a.body, b.body)
				}
			}
			if len(gated.entered) != 0 {
				t.Fatal("a saved query or the CIEM report loaded the fact stage")
			}
		})
	}
}

// TestCIEMEndpointIsTheCLIReport: the endpoint's report is the one
// `breachpath ciem` builds from its own load (ciem.LoadFilter) of the same
// store: the same bytes in csv, markdown and html, and in JSON once the
// endpoint's generation is set aside.
func TestCIEMEndpointIsTheCLIReport(t *testing.T) {
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	st := ciemStore(t)
	_, c := newServer(t, Config{Store: st, Now: func() time.Time { return now }, Rate: 1e6, Burst: 1e6})
	g, err := st.Load(context.Background(), ciem.LoadFilter(graph.Filter{}))
	if err != nil {
		t.Fatal(err)
	}
	rep, err := ciem.Build(context.Background(), g, ciem.Sources{Policies: collector.PolicyWriters()}, ciem.Options{Now: now})
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Principals) == 0 || rep.AttackPaths == 0 {
		t.Fatalf("the CIEM lab gives %d principals and %d attack paths: it proves little", len(rep.Principals), rep.AttackPaths)
	}
	for _, f := range []struct {
		format string
		write  func(*bytes.Buffer, *ciem.Report) error
	}{
		{"json", func(b *bytes.Buffer, r *ciem.Report) error { return ciem.WriteJSON(b, r) }},
		{"csv", func(b *bytes.Buffer, r *ciem.Report) error { return ciem.WriteCSV(b, r) }},
		{"markdown", func(b *bytes.Buffer, r *ciem.Report) error { return ciem.WriteMarkdown(b, r) }},
		{"html", func(b *bytes.Buffer, r *ciem.Report) error { return ciem.WriteHTML(b, r) }},
	} {
		var cli bytes.Buffer
		if err := f.write(&cli, rep); err != nil {
			t.Fatal(err)
		}
		a := c.get("/api/v1/ciem?format=" + f.format)
		if a.status != 200 {
			t.Fatalf("%s: %d %s", f.format, a.status, a.body)
		}
		got := a.body
		if f.format == "json" {
			var served CIEMReport
			if err := json.Unmarshal(a.body, &served); err != nil {
				t.Fatal(err)
			}
			var b bytes.Buffer
			if err := ciem.WriteJSON(&b, served.Report); err != nil {
				t.Fatal(err)
			}
			got = b.Bytes()
		}
		if !bytes.Equal(got, cli.Bytes()) {
			t.Errorf("%s: the endpoint's report (%d bytes) is not the CLI's (%d bytes)", f.format, len(got), cli.Len())
		}
	}
}

func TestFactKindsStageGrowsByKindAndSharesEachLoad(t *testing.T) {
	st := newKindsGatedStore(estateStore(t))
	srv, c := newServer(t, Config{Store: st, Rate: 1e6, Burst: 1e6})
	an, err := srv.cache.get(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	// two requests for the same kinds share one load
	var wg sync.WaitGroup
	answers := make([]answer, 2)
	for i := range answers {
		wg.Go(func() { answers[i] = c.get("/api/v1/queries/unencrypted-sensitive-databases") })
	}
	<-st.entered
	st.gate <- struct{}{}
	wg.Wait()
	for _, a := range answers {
		if a.status != 200 {
			t.Fatalf("saved query: %d %s", a.status, a.body)
		}
	}
	if len(st.entered) != 0 {
		t.Fatal("two requests for the same kinds loaded them twice")
	}
	first, err := an.kinds.get(context.Background(), []graph.EdgeKind{graph.EdgeEncryptedBy})
	if err != nil {
		t.Fatal(err)
	}
	// the CIEM report's kinds are added: only they are loaded, and the
	// graph then holds both
	done := make(chan answer)
	go func() { done <- c.get("/api/v1/ciem") }()
	<-st.entered
	if s := readyStages(t, c); !slices.Equal(s.FactKinds, []string{"ENCRYPTED_BY"}) {
		t.Fatalf("fact kinds while the CIEM kinds load: %v", s.FactKinds)
	}
	st.gate <- struct{}{}
	if a := <-done; a.status != 200 {
		t.Fatalf("ciem: %d %s", a.status, a.body)
	}
	if s := readyStages(t, c); !slices.Equal(s.FactKinds, []string{"ENCRYPTED_BY", "MEMBER_OF", "TRUSTS"}) {
		t.Fatalf("fact kinds once the CIEM report answered: %v", s.FactKinds)
	}
	both, err := an.kinds.get(context.Background(), []graph.EdgeKind{graph.EdgeEncryptedBy, graph.EdgeMemberOf})
	if err != nil {
		t.Fatal(err)
	}
	count := func(g *graph.Graph, k graph.EdgeKind) int {
		n := 0
		for i := range g.Edges {
			if g.Edges[i].Kind == k {
				n++
			}
		}
		return n
	}
	if n := count(both, graph.EdgeEncryptedBy); n == 0 || n != count(first, graph.EdgeEncryptedBy) || count(both, graph.EdgeMemberOf) == 0 {
		t.Fatalf("the grown graph holds %d ENCRYPTED_BY (first %d) and %d MEMBER_OF", n, count(first, graph.EdgeEncryptedBy), count(both, graph.EdgeMemberOf))
	}
	if !slices.IsSortedFunc(both.Edges, func(a, b graph.Edge) int { return graph.CompareEdges(&a, &b) }) {
		t.Fatal("the grown graph's edges are not in key order")
	}
	// kinds held answer without a load; a query of moves alone never loads
	for _, path := range []string{"/api/v1/queries/unencrypted-sensitive-databases", "/api/v1/queries/conditional-moves", "/api/v1/ciem?format=csv"} {
		if a := c.get(path); a.status != 200 {
			t.Fatalf("%s: %d %s", path, a.status, a.body)
		}
	}
	if len(st.entered) != 0 {
		t.Fatal("kinds already held were loaded again")
	}
}

func TestSyncDuringAFactKindsLoadAnswersFromTheNewGeneration(t *testing.T) {
	// the instance answers IMDSv1 and runs as the role: a row of the query
	imds := func() *graph.Snapshot {
		snap := smallSnapshot()
		i := slices.IndexFunc(snap.Nodes, func(n graph.Node) bool { return n.ID == vmID })
		snap.Nodes[i].Props = graph.Props{"imds_v1": true}
		return snap
	}
	q, _ := queries.Get("imdsv1-compute-with-identity")
	st := newKindsGatedStore(smallStore(t))
	if _, err := st.Sync(context.Background(), imds()); err != nil {
		t.Fatal(err)
	}
	if g, err := st.Load(context.Background(), graph.Filter{}); err != nil {
		t.Fatal(err)
	} else if res, err := q.Run(context.Background(), g, nil); err != nil || len(res.Rows) == 0 {
		t.Fatalf("the fixture gives the query no row (%v)", err)
	}
	srv, c := newServer(t, Config{Store: st, Rate: 1e6, Burst: 1e6})
	var before PathList
	c.get("/api/v1/paths").decode(t, &before)
	done := make(chan answer)
	go func() { done <- c.get("/api/v1/queries/" + q.Name) }()
	<-st.entered
	// the sync removes the instance's identity before the load reads
	snap := imds()
	snap.Edges = slices.DeleteFunc(snap.Edges, func(e graph.Edge) bool {
		return e.Kind == graph.EdgeRunsAs || e.Kind == graph.EdgeUsesIdentity
	})
	if _, err := st.Sync(context.Background(), snap); err != nil {
		t.Fatal(err)
	}
	close(st.gate)
	a := <-done
	if a.status != 200 {
		t.Fatalf("saved query across a sync: %d %s", a.status, a.body)
	}
	if an := srv.cache.ready(); an.generation == before.Generation {
		t.Fatalf("the analysis of generation %s was not replaced", an.generation)
	}
	// the answer is the new generation's: the full graph of the new store
	var res queries.Result
	a.decode(t, &res)
	g, err := st.Load(context.Background(), graph.Filter{})
	if err != nil {
		t.Fatal(err)
	}
	want, err := q.Run(context.Background(), g, nil)
	if err != nil {
		t.Fatal(err)
	}
	wj, _ := json.Marshal(want.Rows)
	gj, _ := json.Marshal(res.Rows)
	if string(wj) != string(gj) {
		t.Fatalf("rows across a sync:\n got %s\nwant %s", gj, wj)
	}
}
