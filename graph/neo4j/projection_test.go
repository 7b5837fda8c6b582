package neo4j

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	neo "github.com/neo4j/neo4j-go-driver/v5/neo4j"

	"github.com/breachpath/breachpath/graph"
	"github.com/breachpath/breachpath/graph/storetest"
)

// projections returns the sync version of each scope's stored projection.
func projections(t *testing.T, s *Store) map[string]int64 {
	t.Helper()
	ctx := context.Background()
	sess := s.session(ctx, neo.AccessModeRead)
	defer sess.Close(ctx)
	out := map[string]int64{}
	err := s.readAll(ctx, sess, `MATCH (p:ScopeProjection {ns: $ns}) RETURN p.key, p.sync`, map[string]any{"ns": s.ns}, func(v []any) error {
		k, _ := v[0].(string)
		out[k], _ = v[1].(int64)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// dropProjections removes the namespace's projections, as in a store last
// written by a breachpath that kept none.
func dropProjections(t *testing.T, s *Store) {
	t.Helper()
	ctx := context.Background()
	sess := s.session(ctx, neo.AccessModeWrite)
	defer sess.Close(ctx)
	if _, err := sess.ExecuteWrite(ctx, func(tx neo.ManagedTransaction) (any, error) {
		res, err := tx.Run(ctx, `MATCH (p:ScopeProjection {ns: $ns}) DELETE p`, map[string]any{"ns": s.ns})
		if err != nil {
			return nil, err
		}
		return res.Consume(ctx)
	}); err != nil {
		t.Fatal(err)
	}
}

func TestLoadWithoutProjectionsFillsThemAndLaterLoadsUseThem(t *testing.T) {
	mu := &syncWriter{w: &bytes.Buffer{}}
	s := openTest(t, func(o *Options) { o.Logger = slog.New(slog.NewTextHandler(mu, nil)) })
	ctx := context.Background()
	a := graph.Scope{Cloud: graph.CloudAWS, ID: "111111111111"}
	b := graph.Scope{Cloud: graph.CloudAWS, ID: "222222222222"}
	t0 := time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)
	for _, snap := range []*graph.Snapshot{storetest.RichSnapshot(a, t0), storetest.RichSnapshot(b, t0)} {
		if _, err := s.Sync(ctx, snap); err != nil {
			t.Fatal(err)
		}
	}
	dropProjections(t, s)
	mu.Reset()
	first, err := s.Load(ctx, graph.Filter{IncludeResolved: true}) // from rows; fills the projections
	if err != nil {
		t.Fatal(err)
	}
	if n := s.stats.rowScopes.Load(); n != 2 {
		t.Fatalf("%d scopes read row by row without projections, want 2", n)
	}
	if out := mu.String(); strings.Count(out, "scope has no projection") != 2 {
		t.Fatalf("want one line per scope saying why its rows are read, got:\n%s", out)
	}
	if p := projections(t, s); len(p) != 2 {
		t.Fatalf("projections after the first load: %v, want one per scope", p)
	}
	second, err := s.Load(ctx, graph.Filter{IncludeResolved: true}) // from the projections
	if err != nil {
		t.Fatal(err)
	}
	if n := s.stats.rowScopes.Load(); n != 2 {
		t.Fatalf("the load after the fill read %d more scopes row by row, want none", n-2)
	}
	if !reflect.DeepEqual(first, second) {
		t.Fatal("the load from projections differs from the load from rows")
	}
	moves, err := s.Load(ctx, graph.Filter{SkipFacts: true})
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range moves.Edges {
		if !e.Kind.IsMove() {
			t.Fatalf("SkipFacts from a projection returned %s", e.Kind)
		}
	}

	// a sync writes the scope's new projection; the next load sees the
	// change without reading rows
	changed := storetest.RichSnapshot(a, t0.Add(time.Hour))
	changed.Nodes[1].Name = "renamed"
	if _, err := s.Sync(ctx, changed); err != nil {
		t.Fatal(err)
	}
	after, err := s.Load(ctx, graph.Filter{})
	if err != nil {
		t.Fatal(err)
	}
	if n := after.Node(changed.Nodes[1].ID); n == nil || n.Name != "renamed" {
		t.Fatalf("load after a sync used an outdated projection: %+v", n)
	}
	if n := s.stats.rowScopes.Load(); n != 2 {
		t.Fatalf("the load after a sync read %d scopes row by row, want none", n-2)
	}

	// a damaged projection is not used: one warning, the rows, same graph
	want, err := s.Load(ctx, graph.Filter{IncludeResolved: true})
	if err != nil {
		t.Fatal(err)
	}
	sess := s.session(ctx, neo.AccessModeWrite)
	defer sess.Close(ctx)
	if _, err := sess.ExecuteWrite(ctx, func(tx neo.ManagedTransaction) (any, error) {
		res, err := tx.Run(ctx, `MATCH (p:ScopeProjection {ns: $ns}) SET p.blob = $b`, map[string]any{"ns": s.ns, "b": []byte("BPSC\x01 damaged")})
		if err != nil {
			return nil, err
		}
		return res.Consume(ctx)
	}); err != nil {
		t.Fatal(err)
	}
	mu.Reset()
	got, err := s.Load(ctx, graph.Filter{IncludeResolved: true})
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatal("load with damaged projections differs")
	}
	if out := mu.String(); strings.Count(out, "scope projection unusable") != 2 || !strings.Contains(out, "store is corrupt") {
		t.Fatalf("want one warning per damaged projection, got:\n%s", out)
	}
}

// syncWriter is a log sink safe for the store's goroutines.
type syncWriter struct {
	mu sync.Mutex
	w  *bytes.Buffer
}

func (s *syncWriter) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.w.Write(p)
}

func (s *syncWriter) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.w.String()
}

func (s *syncWriter) Reset() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.w.Reset()
}

// activeSyncs returns each scope's active sync by scope key.
func activeSyncs(t *testing.T, s *Store) map[string]int64 {
	t.Helper()
	ctx := context.Background()
	sess := s.session(ctx, neo.AccessModeRead)
	defer sess.Close(ctx)
	states, err := s.readScopes(ctx, sess)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]int64{}
	for _, st := range states {
		out[st.key] = st.active
	}
	return out
}

// checkLoadsFromProjections loads s as analysis does, right after a sync,
// and checks that every scope came from its projection (no row read) and
// that each filter's answer equals a row-by-row load of the same store.
func checkLoadsFromProjections(t *testing.T, s *Store, scopes int) {
	t.Helper()
	ctx := context.Background()
	if p, a := projections(t, s), activeSyncs(t, s); !reflect.DeepEqual(p, a) {
		t.Fatalf("projection versions %v, want the active syncs %v", p, a)
	}
	for _, f := range []graph.Filter{{IncludeResolved: true}, {}, {SkipFacts: true}, {SkipFacts: true, KeepFacts: []graph.EdgeKind{graph.EdgeContains}}, {FactsOnly: true}} {
		s.stats.blobScopes.Store(0)
		s.stats.rowScopes.Store(0)
		got, err := s.Load(ctx, f)
		if err != nil {
			t.Fatal(err)
		}
		if b, r := s.stats.blobScopes.Load(), s.stats.rowScopes.Load(); b != int64(scopes) || r != 0 {
			t.Fatalf("filter %+v: %d scopes from projections and %d from rows, want %d and 0", f, b, r, scopes)
		}
		s.rowsOnly = true
		want, err := s.Load(ctx, f)
		s.rowsOnly = false
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("filter %+v: the load from projections differs from the load from rows:\n got %+v\nwant %+v", f, got, want)
		}
	}
}

// failedArea is snap without the ec2 us-east-1 area (the instance and its
// security group), whose collection failed, and without the crown-jewel
// finding: the failed area's rows are kept stale, the finding is resolved.
func failedArea(snap *graph.Snapshot) *graph.Snapshot {
	out := *snap
	lost := func(id string) bool {
		i := slices.IndexFunc(snap.Nodes, func(n graph.Node) bool { return n.ID == id })
		return i >= 0 && snap.Nodes[i].Service == "ec2" && snap.Nodes[i].Region == "us-east-1"
	}
	out.Nodes = slices.DeleteFunc(slices.Clone(snap.Nodes), func(n graph.Node) bool { return lost(n.ID) })
	out.Edges = slices.DeleteFunc(slices.Clone(snap.Edges), func(e graph.Edge) bool { return lost(e.From) || lost(e.To) })
	out.Findings = slices.DeleteFunc(slices.Clone(snap.Findings), func(f graph.Finding) bool {
		return lost(f.Resource) || f.RuleID == "aws.iam.role-crown-jewel"
	})
	out.Coverage.Failed = []graph.Failure{{Area: graph.Area{Service: "ec2", Region: "us-east-1"}, Error: "AccessDenied"}}
	return &out
}

func TestFirstLoadAfterASyncReadsTheProjectionsItWrote(t *testing.T) {
	s := openTest(t)
	ctx := context.Background()
	a := graph.Scope{Cloud: graph.CloudAWS, ID: "111111111111"}
	b := graph.Scope{Cloud: graph.CloudAWS, ID: "222222222222"}
	t0 := time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)
	at := func(h int) time.Time { return t0.Add(time.Duration(h) * time.Hour) }
	rich := func(sc graph.Scope, h int) *graph.Snapshot {
		snap := storetest.RichSnapshot(sc, at(h))
		// an empty list is stored as no property (keepProp)
		snap.Nodes[1].Props = graph.Props{"aliases": []string{}}
		return snap
	}
	renamed := func(snap *graph.Snapshot) *graph.Snapshot {
		out := *snap
		out.Nodes = slices.Clone(snap.Nodes)
		for i := range out.Nodes {
			if out.Nodes[i].Kind == graph.KindBucket {
				out.Nodes[i].Name = "renamed"
			}
		}
		return &out
	}
	sync := func(snaps ...*graph.Snapshot) {
		t.Helper()
		for _, snap := range snaps {
			if _, err := s.Sync(ctx, snap); err != nil {
				t.Fatal(err)
			}
		}
	}
	steps := []struct {
		name string
		run  func(t *testing.T)
	}{
		{"first syncs", func(t *testing.T) { sync(rich(a, 1), rich(b, 1)) }},
		{"a failed area keeps rows stale and a finding is resolved", func(t *testing.T) { sync(failedArea(rich(a, 2))) }},
		// stale rows and the resolved finding are carried unchanged, read
		// back for the blob; the bucket's new version takes its edges along
		{"still failed, one node changed", func(t *testing.T) { sync(renamed(failedArea(rich(a, 3)))) }},
		{"unchanged re-sync moves the projection on", func(t *testing.T) { sync(renamed(failedArea(rich(a, 4)))) }},
		{"all or nothing", func(t *testing.T) {
			if _, err := s.SyncAllOrNothing(ctx, []*graph.Snapshot{rich(a, 5), renamed(rich(b, 5))}, nil); err != nil {
				t.Fatal(err)
			}
		}},
		{"all or nothing, unchanged and failed area", func(t *testing.T) {
			if _, err := s.SyncAllOrNothing(ctx, []*graph.Snapshot{rich(a, 6), failedArea(renamed(rich(b, 6)))}, nil); err != nil {
				t.Fatal(err)
			}
		}},
		{"all or nothing that fails after staging keeps the committed projections", func(t *testing.T) {
			boom := errors.New("the caller gave up")
			_, err := s.SyncAllOrNothing(ctx, []*graph.Snapshot{renamed(rich(a, 7)), rich(b, 7)}, func(i int) error {
				if i == 1 {
					return boom
				}
				return nil
			})
			if !errors.Is(err, boom) {
				t.Fatalf("SyncAllOrNothing = %v, want the staged callback's error", err)
			}
			res, err := neo.ExecuteQuery(ctx, s.driver, `MATCH (p:ScopeProjection {ns: $ns}) WHERE p.staged IS NOT NULL RETURN count(p)`,
				map[string]any{"ns": s.ns}, neo.EagerResultTransformer, neo.ExecuteQueryWithDatabase(s.db))
			if err != nil {
				t.Fatal(err)
			}
			if n, _ := res.Records[0].Values[0].(int64); n != 0 {
				t.Errorf("%d staged projections left by the abandoned sync", n)
			}
		}},
		{"a sync after the failed one", func(t *testing.T) { sync(renamed(rich(a, 8))) }},
	}
	for _, st := range steps {
		t.Run(st.name, func(t *testing.T) {
			st.run(t)
			checkLoadsFromProjections(t, s, 2)
		})
	}
}
