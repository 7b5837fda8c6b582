package neo4j

import (
	"bytes"
	"context"
	"log/slog"
	"reflect"
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

func TestLoadFillsAProjectionPerScopeAndLaterLoadsUseIt(t *testing.T) {
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
	first, err := s.Load(ctx, graph.Filter{IncludeResolved: true}) // from rows; fills the projections
	if err != nil {
		t.Fatal(err)
	}
	if p := projections(t, s); len(p) != 2 {
		t.Fatalf("projections after the first load: %v, want one per scope", p)
	}
	second, err := s.Load(ctx, graph.Filter{IncludeResolved: true}) // from the projections
	if err != nil {
		t.Fatal(err)
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

	// a sync makes the scope's projection outdated; the next load reads
	// rows again and sees the change
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
