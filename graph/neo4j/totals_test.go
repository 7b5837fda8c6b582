package neo4j

import (
	"context"
	"fmt"
	"reflect"
	"sync"
	"testing"
	"time"

	neo "github.com/neo4j/neo4j-go-driver/v5/neo4j"

	"github.com/breachpath/breachpath/graph"
	"github.com/breachpath/breachpath/graph/storetest"
)

// dropTotals makes the namespace a store written before the estate totals
// existed: no :StatsTotals, no mark on :BreachpathMeta, no contributions
// on the scopes.
func dropTotals(t *testing.T, s *Store) {
	t.Helper()
	ctx := context.Background()
	for _, q := range []string{
		`MATCH (t:StatsTotals {ns: $ns}) DELETE t`,
		`MATCH (m:BreachpathMeta {ns: $ns}) REMOVE m.stats_totals`,
		`MATCH (s:Scope {ns: $ns}) REMOVE s.stats_keys, s.stats_n, s.stats_synced, s.stats_syncs`,
	} {
		if _, err := neo.ExecuteQuery(ctx, s.driver, q, map[string]any{"ns": s.ns}, neo.EagerResultTransformer, neo.ExecuteQueryWithDatabase(s.db)); err != nil {
			t.Fatal(err)
		}
	}
}

func TestStatsOfAStoreWithoutEstateTotals(t *testing.T) {
	// the projections' counts are there, the totals are not: the first
	// Stats fills them from every scope, later syncs keep them
	storetest.StatsUpgrade(t, func(t *testing.T) graph.Store { return openTest(t) }, func(t *testing.T, st graph.Store) {
		dropTotals(t, st.(*Store))
	})
}

func mustStats(t *testing.T, s *Store, f graph.Filter) *graph.Stats {
	t.Helper()
	st, err := s.Stats(context.Background(), f, graph.StatsOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return st
}

// TestStatsOfWholeCloudsReadTheTotals shows which answers come from the
// totals: a count only the totals hold appears in the stats of every
// scope and of its cloud, not in those of named scopes or other clouds.
func TestStatsOfWholeCloudsReadTheTotals(t *testing.T) {
	s := openTest(t)
	ctx := context.Background()
	a, b := graph.Scope{Cloud: graph.CloudAWS, ID: "111111111111"}, graph.Scope{Cloud: graph.CloudAWS, ID: "222222222222"}
	for _, sc := range []graph.Scope{a, b} {
		if _, err := s.Sync(ctx, storetest.RichSnapshot(sc, time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))); err != nil {
			t.Fatal(err)
		}
	}
	before := mustStats(t, s, graph.Filter{})
	if _, err := neo.ExecuteQuery(ctx, s.driver, `MATCH (t:StatsTotals {ns: $ns, cloud: 'aws'})
		SET t.count_n = [i IN range(0, size(t.count_keys) - 1) | CASE WHEN t.count_keys[i] = 'node'+'\t'+'aws'+'\t'+'Compute' THEN t.count_n[i] + 1000 ELSE t.count_n[i] END]`,
		map[string]any{"ns": s.ns}, neo.EagerResultTransformer, neo.ExecuteQueryWithDatabase(s.db)); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name   string
		filter graph.Filter
		extra  int
	}{
		{"every scope", graph.Filter{}, 1000},
		{"the cloud", graph.Filter{Clouds: []graph.Cloud{graph.CloudAWS}}, 1000},
		{"another cloud", graph.Filter{Clouds: []graph.Cloud{graph.CloudGCP}}, 0},
		{"both scopes named", graph.Filter{Scopes: []graph.Scope{a, b}}, 0},
	} {
		t.Run(tt.name, func(t *testing.T) {
			want := 0
			if len(tt.filter.Clouds) == 0 || tt.filter.Clouds[0] == graph.CloudAWS {
				want = before.NodeTotal()
			}
			if got := mustStats(t, s, tt.filter).NodeTotal(); got != want+tt.extra {
				t.Errorf("%d nodes, want %d", got, want+tt.extra)
			}
		})
	}
}

// TestTotalsFollowConcurrentSyncs syncs scopes of one cloud from several
// goroutines at once, twice over (the second time changed), so that their
// switches race for the cloud's totals node: the totals must end equal to
// the scopes' rows.
func TestTotalsFollowConcurrentSyncs(t *testing.T) {
	s := openTest(t)
	ctx := context.Background()
	const n = 8
	for round := range 2 {
		var wg sync.WaitGroup
		errs := make([]error, n)
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				sc := graph.Scope{Cloud: graph.CloudAWS, ID: fmt.Sprintf("1000000000%02d", i)}
				snap := storetest.RichSnapshot(sc, time.Date(2026, 1, 1, round, 0, 0, 0, time.UTC))
				if round == 1 && i%2 == 0 {
					snap.Nodes = snap.Nodes[:len(snap.Nodes)-1]
					snap.Edges, snap.Findings = nil, nil
				}
				_, errs[i] = s.Sync(ctx, snap)
			}()
		}
		wg.Wait()
		for i, err := range errs {
			if err != nil {
				t.Fatalf("round %d, scope %d: %v", round, i, err)
			}
		}
		want, err := storetest.ReferenceStats(ctx, s, graph.Filter{})
		if err != nil {
			t.Fatal(err)
		}
		want.Scopes = nil
		if got := mustStats(t, s, graph.Filter{}); !reflect.DeepEqual(got, want) {
			t.Fatalf("round %d: stats\n got %+v\nwant %+v", round, got, want)
		}
	}
}

// TestOpenChecksTheSchemaInOneRead checks what lets Open skips creating the schema only
// when schemaInPlace finds every constraint and index of schemaStatements
// by name, so each statement must name what it creates.
func TestOpenChecksTheSchemaInOneRead(t *testing.T) {
	names := map[string]bool{}
	for _, q := range schemaStatements {
		m := schemaNameRE.FindStringSubmatch(q)
		if m == nil || names[m[1]] {
			t.Fatalf("schema statement names nothing new: %s", q)
		}
		names[m[1]] = true
	}
	s := openTest(t)
	sess := s.session(context.Background(), neo.AccessModeRead)
	defer sess.Close(context.Background())
	if !s.schemaInPlace(context.Background(), sess) {
		t.Fatal("after Open, the schema is not found in place")
	}
}
