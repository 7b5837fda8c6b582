package embedded

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"reflect"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"
	"unsafe"

	"github.com/breachpath/breachpath/graph"
	"github.com/breachpath/breachpath/graph/storetest"
)

var (
	projA = graph.Scope{Cloud: graph.CloudAWS, ID: "111111111111"}
	projB = graph.Scope{Cloud: graph.CloudAWS, ID: "222222222222"}
	pt0   = time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)
)

// readTx begins a read transaction; the caller rolls it back.
func readTx(t *testing.T, s *Store) *sql.Tx {
	t.Helper()
	tx, err := s.db.BeginTx(context.Background(), &sql.TxOptions{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	return tx
}

// loadRows is Load as it was before projections: every row of every
// selected scope, assembled. The projection must give the same graph.
func loadRows(t *testing.T, s *Store, filter graph.Filter) *graph.Graph {
	t.Helper()
	ctx := context.Background()
	tx := readTx(t, s)
	defer tx.Rollback()
	scopes, err := syncedScopes(ctx, tx)
	if err != nil {
		t.Fatal(err)
	}
	var nodes []graph.Node
	var edges []graph.Edge
	var findings []graph.Finding
	in := interner{}
	for _, sc := range scopes {
		if !filter.Matches(sc.scope) {
			continue
		}
		if nodes, err = loadNodesWhere(ctx, tx, sc, in, nodes, ""); err != nil {
			t.Fatal(err)
		}
		if edges, err = loadEdgesWhere(ctx, tx, sc, in, edges, ""); err != nil {
			t.Fatal(err)
		}
		if findings, err = loadFindings(ctx, tx, sc, filter.IncludeResolved, findings); err != nil {
			t.Fatal(err)
		}
	}
	return graph.Assemble(nodes, edges, findings)
}

// staleHistory syncs two scopes that share stubs, then re-syncs one with
// an area failing (nodes, edges and findings kept stale) and a finding gone
// (resolved), so that the newest projection holds every kind of row.
func staleHistory(t *testing.T, s *Store) {
	t.Helper()
	ctx := context.Background()
	a, b := storetest.RichSnapshot(projA, pt0), storetest.RichSnapshot(projB, pt0)
	for _, snap := range []*graph.Snapshot{a, b} {
		if _, err := s.Sync(ctx, snap); err != nil {
			t.Fatal(err)
		}
	}
	// second collection of A: ec2 failed, so the instance and security group
	// are missing but kept stale; the bucket's finding is fixed (resolved)
	a2 := storetest.RichSnapshot(projA, pt0.Add(time.Hour))
	keep := func(n graph.Node) bool { return n.Service != "ec2" }
	a2.Nodes = slices.DeleteFunc(a2.Nodes, func(n graph.Node) bool { return !keep(n) })
	ids := map[string]bool{}
	for _, n := range a2.Nodes {
		ids[n.ID] = true
	}
	a2.Edges = slices.DeleteFunc(a2.Edges, func(e graph.Edge) bool { return !ids[e.From] || !ids[e.To] })
	a2.Findings = slices.DeleteFunc(a2.Findings, func(f graph.Finding) bool {
		return !ids[f.Resource] || strings.HasPrefix(f.RuleID, "aws.s3.")
	})
	for i := range a2.Edges {
		a2.Edges[i].Findings = nil
	}
	a2.Coverage = graph.Coverage{Failed: []graph.Failure{{Area: graph.Area{Service: "ec2"}, Error: "throttled"}}}
	res, err := s.Sync(ctx, a2)
	if err != nil {
		t.Fatal(err)
	}
	if res.Stale.Nodes == 0 || res.Stale.Edges == 0 || res.Stale.Findings == 0 || res.Resolved == 0 {
		t.Fatalf("fixture did not leave stale and resolved rows: %+v", res)
	}
}

func TestProjectionLoadEqualsRowLoad(t *testing.T) {
	s := openTemp(t)
	staleHistory(t, s)
	ctx := context.Background()
	for _, f := range []graph.Filter{
		{}, {IncludeResolved: true}, {Scopes: []graph.Scope{projA}}, {Scopes: []graph.Scope{projB}, IncludeResolved: true},
	} {
		got, err := s.Load(ctx, f)
		if err != nil {
			t.Fatal(err)
		}
		want := loadRows(t, s, f)
		sameGraph(t, got, want)
		var stale, stubs, resolved int
		for _, n := range got.Nodes {
			stale += boolN(n.Stale)
			stubs += boolN(n.Stub)
		}
		for _, fd := range got.Findings {
			resolved += boolN(!fd.ResolvedAt.IsZero())
		}
		if f.Matches(projA) && stale == 0 {
			t.Errorf("filter %+v: no stale node survived the projection", f)
		}
		if stubs == 0 {
			t.Errorf("filter %+v: no stub survived the projection", f)
		}
		if f.IncludeResolved && f.Matches(projA) && resolved == 0 {
			t.Errorf("filter %+v: no resolved finding survived the projection", f)
		}
	}
}

func TestSkipFactsAndFactsOnlyLoadTheMovesAndTheFacts(t *testing.T) {
	s := openTemp(t)
	staleHistory(t, s)
	ctx := context.Background()
	full, err := s.Load(ctx, graph.Filter{})
	if err != nil {
		t.Fatal(err)
	}
	moves, err := s.Load(ctx, graph.Filter{SkipFacts: true})
	if err != nil {
		t.Fatal(err)
	}
	want := slices.DeleteFunc(slices.Clone(full.Edges), func(e graph.Edge) bool { return !e.Kind.IsMove() })
	if !reflect.DeepEqual(moves.Edges, want) || !reflect.DeepEqual(moves.Nodes, full.Nodes) || !reflect.DeepEqual(moves.Findings, full.Findings) {
		t.Fatalf("SkipFacts: %d edges, want the %d move edges of the full load", len(moves.Edges), len(want))
	}
	facts, err := s.Load(ctx, graph.Filter{FactsOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	wantFacts := slices.DeleteFunc(slices.Clone(full.Edges), func(e graph.Edge) bool { return e.Kind.IsMove() })
	if !reflect.DeepEqual(facts.Edges, wantFacts) || facts.Nodes != nil || facts.Findings != nil {
		t.Fatalf("FactsOnly: %d edges, %d nodes, %d findings; want the %d fact edges of the full load alone",
			len(facts.Edges), len(facts.Nodes), len(facts.Findings), len(wantFacts))
	}
	// the row path (no projection) honours both
	if _, err := s.db.Exec(`DELETE FROM projections`); err != nil {
		t.Fatal(err)
	}
	rows, err := s.Load(ctx, graph.Filter{SkipFacts: true})
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(rows.Edges, want) {
		t.Fatalf("SkipFacts without projections: %d edges, want %d", len(rows.Edges), len(want))
	}
	rows, err = s.Load(ctx, graph.Filter{FactsOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(rows.Edges, wantFacts) || rows.Nodes != nil || rows.Findings != nil {
		t.Fatalf("FactsOnly without projections: %d edges, %d nodes, %d findings; want the %d fact edges alone",
			len(rows.Edges), len(rows.Nodes), len(rows.Findings), len(wantFacts))
	}
	if !reflect.DeepEqual(rows.Versions, facts.Versions) || len(rows.Versions) == 0 {
		t.Fatalf("Versions from rows %v, from projections %v", rows.Versions, facts.Versions)
	}
}

func TestProjectionIsVersionedWithTheSync(t *testing.T) {
	s := openTemp(t)
	staleHistory(t, s)
	ctx := context.Background()
	var syncID, lastSync int64
	if err := s.db.QueryRow(`SELECT p.sync_id, c.last_sync FROM projections p JOIN scopes c ON c.id = p.scope
		WHERE c.ext_id = ?`, projA.ID).Scan(&syncID, &lastSync); err != nil {
		t.Fatal(err)
	}
	if syncID != lastSync {
		t.Fatalf("projection written for sync %d, scope's newest sync is %d", syncID, lastSync)
	}
	// a projection of an older sync (a store last written by an older
	// breachpath) is not used: Load reads that scope's rows
	want := loadRows(t, s, graph.Filter{})
	if _, err := s.db.Exec(`UPDATE projections SET sync_id = sync_id - 1,
		blob = (SELECT blob FROM projections p2 JOIN scopes c ON c.id = p2.scope WHERE c.ext_id = ?)`, projB.ID); err != nil {
		t.Fatal(err)
	}
	got, err := s.Load(ctx, graph.Filter{})
	if err != nil {
		t.Fatal(err)
	}
	sameGraph(t, got, want)
}

func TestDamagedProjectionFallsBackToRowsWithOneLineWarning(t *testing.T) {
	var logs bytes.Buffer
	s := openTemp(t, WithLogger(slog.New(slog.NewTextHandler(&logs, nil))))
	staleHistory(t, s)
	want := loadRows(t, s, graph.Filter{})
	for _, damage := range []string{
		`UPDATE projections SET blob = substr(blob, 1, length(blob) - 9)`,                // truncated
		`UPDATE projections SET blob = X'00' || substr(blob, 2)`,                         // bad magic
		`UPDATE projections SET blob = substr(blob, 1, 40) || X'FF' || substr(blob, 42)`, // flipped byte
	} {
		logs.Reset()
		if _, err := s.db.Exec(damage); err != nil {
			t.Fatal(err)
		}
		got, err := s.Load(context.Background(), graph.Filter{})
		if err != nil {
			t.Fatalf("%s: %v", damage, err)
		}
		sameGraph(t, got, want)
		out := strings.TrimSpace(logs.String())
		lines := strings.Split(out, "\n")
		if len(lines) != 2 || !strings.Contains(lines[0], "scope projection unusable") || !strings.Contains(out, "store is corrupt") {
			t.Fatalf("%s: want one warning line per scope naming the damage, got:\n%s", damage, out)
		}
	}
}

func TestStoreOfAnOlderSchemaIsUpgraded(t *testing.T) {
	for _, tc := range []struct {
		name    string
		version string
		undo    []string
		hashed  int // projections with a content hash after the next sync
	}{
		{"version 1, no projection tables", "1", []string{`DROP TABLE projections`, `DROP TABLE scope_counts`, `DROP TABLE scope_links`}, 1},
		{"version 2, no content hash", "2", []string{`ALTER TABLE projections DROP COLUMN content`, `DROP TABLE scope_links`}, 1},
		{"version 3, no cross-scope index", "3", []string{`DROP TABLE scope_links`}, 2},
		{"version 4, no estate totals", "4", nil, 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := openTemp(t)
			staleHistory(t, s)
			want := loadRows(t, s, graph.Filter{})
			wantStats := rowStats(t, s)
			// what every version before 5 lacks: the totals, their triggers
			// and the per-scope sync count
			undoV5 := []string{`DROP TRIGGER scope_counts_added`, `DROP TRIGGER scope_counts_removed`, `DROP TRIGGER scope_counts_changed`,
				`DROP TRIGGER syncs_added`, `DROP TRIGGER scopes_synced`, `DROP TABLE estate_counts`, `ALTER TABLE scopes DROP COLUMN n_syncs`}
			for _, q := range slices.Concat(undoV5, tc.undo, []string{`UPDATE meta SET value = '` + tc.version + `' WHERE key = 'schema_version'`}) {
				if _, err := s.db.Exec(q); err != nil {
					t.Fatal(err)
				}
			}
			path := s.Path()
			s.Close()
			s2, err := Open(context.Background(), path, WithLogger(quiet))
			if err != nil {
				t.Fatal(err)
			}
			defer s2.Close()
			got, err := s2.Load(context.Background(), graph.Filter{})
			if err != nil {
				t.Fatal(err)
			}
			sameGraph(t, got, want)
			var v string
			if err := s2.db.QueryRow(`SELECT value FROM meta WHERE key = 'schema_version'`).Scan(&v); err != nil || v != "5" {
				t.Fatalf("schema version %q (%v), want 5", v, err)
			}
			// the totals of the upgraded store are those of its rows, and
			// they stay so through the next sync
			gotStats, err := s2.Stats(context.Background(), graph.Filter{}, graph.StatsOptions{})
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(gotStats, wantStats) {
				t.Fatalf("stats after the upgrade:\n got %+v\nwant %+v", gotStats, wantStats)
			}
			defer func() {
				if t.Failed() {
					return
				}
				gotStats, err := s2.Stats(context.Background(), graph.Filter{}, graph.StatsOptions{})
				if err != nil {
					t.Fatal(err)
				}
				if want := rowStats(t, s2); !reflect.DeepEqual(gotStats, want) {
					t.Fatalf("stats after the upgrade and a sync:\n got %+v\nwant %+v", gotStats, want)
				}
			}()
			// the next sync writes a projection with its content hash
			if _, err := s2.Sync(context.Background(), storetest.RichSnapshot(projB, pt0.Add(time.Hour))); err != nil {
				t.Fatal(err)
			}
			var n int
			if err := s2.db.QueryRow(`SELECT count(*) FROM projections WHERE content IS NOT NULL`).Scan(&n); err != nil || n != tc.hashed {
				t.Fatalf("%d projections with a content hash (%v), want %d", n, err, tc.hashed)
			}
			ix, err := s2.Links(context.Background(), graph.Filter{})
			// a version 4 store had the index already
			if err != nil || ix[projB].Links == nil || (ix[projA].Links != nil) != (tc.version == "4") {
				t.Fatalf("index after the upgrade and a sync of %s: %+v (%v), want that scope's only", projB, ix, err)
			}
		})
	}
}

// rowStats counts the store's rows and history in SQL, the reference the
// recorded counts and totals must equal.
func rowStats(t *testing.T, s *Store) *graph.Stats {
	t.Helper()
	ctx := context.Background()
	tx := readTx(t, s)
	defer tx.Rollback()
	c := graph.NewStatsCounter()
	if err := addRowCounts(ctx, tx, "(SELECT id FROM scopes WHERE last_sync IS NOT NULL)", c); err != nil {
		t.Fatal(err)
	}
	st := c.Stats()
	var newest sql.NullInt64
	if err := tx.QueryRow(`SELECT count(*), max(id) FROM syncs`).Scan(&st.Syncs, &newest); err != nil {
		t.Fatal(err)
	}
	st.NewestSync = newest.Int64
	return st
}

func sameGraph(t *testing.T, got, want *graph.Graph) {
	t.Helper()
	if !reflect.DeepEqual(got.Nodes, want.Nodes) {
		t.Fatalf("nodes differ:\n got %+v\nwant %+v", got.Nodes, want.Nodes)
	}
	if !reflect.DeepEqual(got.Edges, want.Edges) {
		t.Fatalf("edges differ:\n got %+v\nwant %+v", got.Edges, want.Edges)
	}
	if !reflect.DeepEqual(got.Findings, want.Findings) {
		t.Fatalf("findings differ:\n got %+v\nwant %+v", got.Findings, want.Findings)
	}
}

func boolN(b bool) int {
	if b {
		return 1
	}
	return 0
}

func TestUnchangedResyncMovesOnlyTheHistory(t *testing.T) {
	s := openTemp(t)
	ctx := context.Background()
	for _, snap := range []*graph.Snapshot{storetest.RichSnapshot(projA, pt0), storetest.RichSnapshot(projB, pt0)} {
		if _, err := s.Sync(ctx, snap); err != nil {
			t.Fatal(err)
		}
	}
	later := pt0.Add(24 * time.Hour)
	res, err := s.Sync(ctx, storetest.RichSnapshot(projA, later))
	if err != nil {
		t.Fatal(err)
	}
	if res.Removed != (graph.Counts{}) || res.Stale != (graph.Counts{}) || res.Resolved != 0 || res.Written.Edges == 0 {
		t.Fatalf("unchanged re-sync result %+v", res)
	}
	got, err := s.Load(ctx, graph.Filter{IncludeResolved: true})
	if err != nil {
		t.Fatal(err)
	}
	sameGraph(t, got, loadRows(t, s, graph.Filter{IncludeResolved: true}))
	seen := 0
	for _, f := range got.Findings {
		if strings.Contains(f.Resource, projA.ID) {
			if !f.LastSeen.Equal(later) || !f.FirstSeen.Equal(pt0) {
				t.Errorf("finding %s: first seen %v, last seen %v; want %v and %v", f.ID, f.FirstSeen, f.LastSeen, pt0, later)
			}
			seen++
		}
	}
	if seen == 0 {
		t.Fatal("no finding of the re-synced scope")
	}
	var syncID, lastSync int64
	if err := s.db.QueryRow(`SELECT p.sync_id, c.last_sync FROM projections p JOIN scopes c ON c.id = p.scope
		WHERE c.ext_id = ?`, projA.ID).Scan(&syncID, &lastSync); err != nil || syncID != lastSync || syncID != res.SyncID {
		t.Fatalf("projection of sync %d, scope at %d, sync %d (%v)", syncID, lastSync, res.SyncID, err)
	}
	// a changed snapshot is not taken for an unchanged one
	changed := storetest.RichSnapshot(projA, later.Add(time.Hour))
	changed.Nodes[1].Name = "renamed"
	if _, err := s.Sync(ctx, changed); err != nil {
		t.Fatal(err)
	}
	got, err = s.Load(ctx, graph.Filter{Scopes: []graph.Scope{projA}})
	if err != nil {
		t.Fatal(err)
	}
	if n := got.Node(changed.Nodes[1].ID); n == nil || n.Name != "renamed" {
		t.Fatalf("the change was lost: %+v", n)
	}
	sameGraph(t, got, loadRows(t, s, graph.Filter{Scopes: []graph.Scope{projA}}))
}

func TestUnchangedScopeIsRecognisedWhateverTheRowOrder(t *testing.T) {
	var logs bytes.Buffer
	s := openTemp(t, WithLogger(slog.New(slog.NewTextHandler(&logs, nil))))
	ctx := context.Background()
	if _, err := s.Sync(ctx, storetest.RichSnapshot(projA, pt0)); err != nil {
		t.Fatal(err)
	}
	again := storetest.RichSnapshot(projA, pt0.Add(time.Hour))
	slices.Reverse(again.Nodes)
	slices.Reverse(again.Edges)
	slices.Reverse(again.Findings)
	logs.Reset()
	if _, err := s.Sync(ctx, again); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(logs.String(), "unchanged_scope=true") {
		t.Fatalf("the same rows in another order were not recognised as unchanged:\n%s", logs.String())
	}
	got, err := s.Load(ctx, graph.Filter{})
	if err != nil {
		t.Fatal(err)
	}
	sameGraph(t, got, loadRows(t, s, graph.Filter{}))
	if len(got.Nodes) != len(again.Nodes) {
		t.Fatalf("%d nodes after the re-sync, want %d", len(got.Nodes), len(again.Nodes))
	}
}

func TestScopeChangedAfterTheUnlockedCheckIsPreparedInTheTransaction(t *testing.T) {
	// Sync checks the content hash before taking the write lock and skips
	// preparing the rows when it matches; if another sync changed the scope
	// in between, the transaction sees a different hash and must prepare
	// the rows itself. This runs that path directly: a syncer with no rows.
	s := openTemp(t)
	ctx := context.Background()
	if _, err := s.Sync(ctx, storetest.RichSnapshot(projA, pt0)); err != nil {
		t.Fatal(err)
	}
	changed := storetest.RichSnapshot(projA, pt0.Add(time.Hour))
	changed.Nodes[1].Name = "renamed"
	changed.RedactSecrets()
	at := pt0.Add(2 * time.Hour)
	w := &syncer{s: s, ctx: ctx, snap: changed, at: at, seen: changed.ObservedAt(at), content: int64(graph.ContentHash(changed))}
	if _, err := w.run(); err != nil {
		t.Fatal(err)
	}
	got, err := s.Load(ctx, graph.Filter{})
	if err != nil {
		t.Fatal(err)
	}
	if n := got.Node(changed.Nodes[1].ID); n == nil || n.Name != "renamed" {
		t.Fatalf("the change was lost: %+v", n)
	}
	sameGraph(t, got, loadRows(t, s, graph.Filter{}))

	// and an invalid snapshot is still refused on that path
	bad := storetest.RichSnapshot(projA, at)
	bad.Edges[0].To = "nowhere"
	w = &syncer{s: s, ctx: ctx, snap: bad, at: at, seen: at, content: int64(graph.ContentHash(bad))}
	if _, err := w.run(); !errors.Is(err, graph.ErrInvalidSnapshot) {
		t.Fatalf("invalid snapshot: %v, want ErrInvalidSnapshot", err)
	}
}

// TestLoadDecodesIntoWindowsAndSurvivesWrongCounts: Load sizes each
// scope's window from the counts its sync recorded and decodes into it (no
// scope misses its window on a sound store); counts that do not match the
// blob (damaged, or written by another version), a scope without counts
// and one without a projection all still load the same graph, by the
// copying merge.
func TestLoadDecodesIntoWindowsAndSurvivesWrongCounts(t *testing.T) {
	ctx := context.Background()
	filters := []graph.Filter{{}, {SkipFacts: true}, {SkipFacts: true, KeepFacts: []graph.EdgeKind{graph.EdgeMemberOf}}, {IncludeResolved: true}}
	for _, tc := range []struct {
		damage string
		misfit bool // a scope's blob no longer fits its window
	}{
		{``, false},
		{`UPDATE scope_counts SET n = n + 1 WHERE what = 'node' AND scope = (SELECT min(scope) FROM scope_counts)`, true},
		{`UPDATE scope_counts SET n = n - 1 WHERE what = 'edge' AND kind = 'ASSUMES' AND scope = (SELECT max(scope) FROM scope_counts)`, true},
		{`DELETE FROM scope_counts WHERE scope = (SELECT min(scope) FROM scope_counts)`, false},
		{`DELETE FROM projections WHERE scope = (SELECT max(scope) FROM projections)`, false},
	} {
		var logs bytes.Buffer
		s := openTemp(t, WithLogger(slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))))
		staleHistory(t, s)
		want := make([]*graph.Graph, len(filters))
		for i, f := range filters {
			var err error
			if want[i], err = s.Load(ctx, f); err != nil {
				t.Fatal(err)
			}
		}
		sameGraph(t, want[0], loadRows(t, s, graph.Filter{}))
		if strings.Contains(logs.String(), "does not fit") {
			t.Fatalf("a sound store missed a window:\n%s", logs.String())
		}
		if tc.damage != "" {
			if _, err := s.db.Exec(tc.damage); err != nil {
				t.Fatal(err)
			}
		}
		logs.Reset()
		for i, f := range filters {
			got, err := s.Load(ctx, f)
			if err != nil {
				t.Fatalf("%s: %v", tc.damage, err)
			}
			sameGraph(t, got, want[i])
		}
		if got := strings.Contains(logs.String(), "does not fit"); got != tc.misfit {
			t.Errorf("%s: logged a misfit %v, want %v:\n%s", tc.damage, got, tc.misfit, logs.String())
		}
	}
}

// A scope an unchanged re-sync finds without an index (a store upgraded
// from version 3) gets one from the projection it keeps.
func TestUnchangedResyncWritesAMissingIndex(t *testing.T) {
	s := openTemp(t)
	ctx := context.Background()
	if _, err := s.Sync(ctx, storetest.RichSnapshot(projA, pt0)); err != nil {
		t.Fatal(err)
	}
	want, err := s.Links(ctx, graph.Filter{})
	if err != nil || want[projA].Links == nil {
		t.Fatalf("index after a sync: %+v, %v", want, err)
	}
	if _, err := s.db.Exec(`DELETE FROM scope_links`); err != nil {
		t.Fatal(err)
	}
	res, err := s.Sync(ctx, storetest.RichSnapshot(projA, pt0.Add(time.Hour)))
	if err != nil {
		t.Fatal(err)
	}
	if res.Written.Nodes == 0 {
		t.Fatalf("nothing written: %+v", res)
	}
	got, err := s.Links(ctx, graph.Filter{})
	if err != nil || got[projA].SyncID != res.SyncID || !reflect.DeepEqual(got[projA].Links, want[projA].Links) {
		t.Fatalf("index after the unchanged re-sync: %+v (%v), want %+v at sync %d", got[projA], err, want[projA].Links, res.SyncID)
	}
}

// TestLoadCopiesTheProjectionOnce: the blob is decoded from the driver's
// buffer, not from a copy of it (at 1M resources that copy was 264 MB of
// garbage), and the decoded strings point into that buffer rather than into
// a copy of its string table (173 MB more). A scope whose blob is mostly
// long unique names makes the copies countable: the driver's read is the
// one copy; a second would be one this test forbids.
func TestLoadCopiesTheProjectionOnce(t *testing.T) {
	ctx := context.Background()
	s := openTemp(t)
	snap := storetest.RichSnapshot(projA, pt0)
	base := snap.Nodes[0]
	for i := range 10000 {
		n := base
		n.ID = fmt.Sprintf("%s/copy-%d", base.ID, i)
		n.Name = fmt.Sprintf("%d-%s", i, strings.Repeat("n", 2000))
		snap.Nodes = append(snap.Nodes, n)
	}
	if _, err := s.Sync(ctx, snap); err != nil {
		t.Fatal(err)
	}
	var blobLen uint64
	if err := s.db.QueryRow(`SELECT sum(length(blob)) FROM projections`).Scan(&blobLen); err != nil {
		t.Fatal(err)
	}
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	g, err := s.Load(ctx, graph.Filter{})
	runtime.ReadMemStats(&after)
	if err != nil {
		t.Fatal(err)
	}
	if len(g.Nodes) < 10000 {
		t.Fatalf("loaded %d nodes", len(g.Nodes))
	}
	rows := uint64(len(g.Nodes)) * uint64(unsafe.Sizeof(graph.Node{}))
	limit := blobLen*3/2 + 2*rows + 1<<20
	if got := after.TotalAlloc - before.TotalAlloc; got > limit {
		t.Fatalf("Load allocated %d bytes for a %d-byte projection, want at most %d (one copy of the blob and the rows)", got, blobLen, limit)
	}
}

// TestLoadedGraphOutlivesTheStoreReads: the loaded strings point into the
// buffers the driver read the blobs into (blob.Options.KeepBlob), which the
// embedded store's driver allocates afresh for every blob and never reuses.
// Should a driver version reuse them, the graph would change under its
// readers: here it must stay equal to a copy taken at load time through
// every kind of later read and write on the store.
func TestLoadedGraphOutlivesTheStoreReads(t *testing.T) {
	ctx := context.Background()
	s := openTemp(t)
	staleHistory(t, s)
	g, err := s.Load(ctx, graph.Filter{})
	if err != nil {
		t.Fatal(err)
	}
	want := loadRows(t, s, graph.Filter{}) // its own strings, read row by row
	sameGraph(t, g, want)
	changed := storetest.RichSnapshot(projA, pt0.Add(time.Hour))
	for i := range changed.Nodes {
		changed.Nodes[i].Name = strings.Repeat("x", len(changed.Nodes[i].Name))
	}
	for range 3 {
		for _, f := range []graph.Filter{{}, {SkipFacts: true}, {FactsOnly: true}} {
			if _, err := s.Load(ctx, f); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := s.Sync(ctx, changed); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Stats(ctx, graph.Filter{}, graph.StatsOptions{}); err != nil {
			t.Fatal(err)
		}
		runtime.GC()
	}
	sameGraph(t, g, want)
}

// TestDriverHandsEachBlobItsOwnBuffer is the driver behaviour that
// KeepBlob relies on, checked directly: a blob read as sql.RawBytes is a
// buffer of its own, left as it was by closing its rows and by the reads
// after it.
func TestDriverHandsEachBlobItsOwnBuffer(t *testing.T) {
	ctx := context.Background()
	s := openTemp(t)
	staleHistory(t, s)
	tx := readTx(t, s)
	defer tx.Rollback()
	var ids []int64
	rows, err := tx.Query(`SELECT scope FROM projections ORDER BY scope`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
	}
	rows.Close()
	if len(ids) < 2 {
		t.Fatalf("%d projections", len(ids))
	}
	var kept [][]byte
	var copies [][]byte
	for range 2 {
		for _, id := range ids {
			rows, b, err := readProjection(ctx, tx, id)
			if err != nil {
				t.Fatal(err)
			}
			rows.Close()
			kept = append(kept, b)
			copies = append(copies, bytes.Clone(b))
		}
	}
	for i, b := range kept {
		if !bytes.Equal(b, copies[i]) {
			t.Fatalf("blob %d changed after its rows closed and later reads", i)
		}
		for j := range i {
			if &kept[j][0] == &b[0] {
				t.Fatalf("blobs %d and %d share a buffer", j, i)
			}
		}
	}
}
