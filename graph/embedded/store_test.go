package embedded

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"log/slog"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/breachpath/breachpath/graph"
	"github.com/breachpath/breachpath/graph/storetest"
)

var quiet = slog.New(slog.DiscardHandler)

func openTemp(t *testing.T, opts ...Option) *Store {
	t.Helper()
	opts = append([]Option{WithLogger(quiet)}, opts...)
	s, err := Open(context.Background(), filepath.Join(t.TempDir(), "breachpath.db"), opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Error(err)
		}
	})
	return s
}

func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) graph.Store { return openTemp(t) })
}

func TestStatsOfAStoreWithoutRecordedCounts(t *testing.T) {
	storetest.StatsUpgrade(t, func(t *testing.T) graph.Store { return openTemp(t) }, func(t *testing.T, s graph.Store) {
		// a store whose scopes were last synced before version 2 (which
		// upgradeV5 left with no counts): the triggers take their rows out
		// of the estate totals
		if _, err := s.(*Store).db.Exec(`DELETE FROM scope_counts`); err != nil {
			t.Fatal(err)
		}
	})
}

// mustCreate makes a valid store file at path and closes it.
func mustCreate(t *testing.T, path string) {
	t.Helper()
	s, err := Open(context.Background(), path, WithLogger(quiet))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Sync(context.Background(), &graph.Snapshot{
		Scope: graph.Scope{Cloud: graph.CloudAWS, ID: "1"},
		Nodes: []graph.Node{{ID: "n", Kind: graph.KindCompute, Cloud: graph.CloudAWS}},
	}); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
}

func TestOpenRefusesFilesThatAreNotStoresAndLeavesThemUntouched(t *testing.T) {
	tests := []struct {
		name  string
		write func(t *testing.T, path string)
		want  string
	}{
		{"random bytes", func(t *testing.T, path string) {
			b := make([]byte, 64<<10)
			r := rand.New(rand.NewPCG(1, 2))
			for i := range b {
				b[i] = byte(r.Uint32())
			}
			os.WriteFile(path, b, 0o600)
		}, "not a breachpath store (file is not a database)"},
		{"text file", func(t *testing.T, path string) {
			os.WriteFile(path, []byte("# my notes\nnothing to see here\n"), 0o600)
		}, "not a breachpath store (file is not a database)"},
		{"short file", func(t *testing.T, path string) {
			os.WriteFile(path, []byte("SQLite"), 0o600)
		}, "not a breachpath store (file is not a database)"},
		{"truncated store", func(t *testing.T, path string) {
			mustCreate(t, path)
			fi, err := os.Stat(path)
			if err != nil {
				t.Fatal(err)
			}
			if err := os.Truncate(path, fi.Size()/2); err != nil {
				t.Fatal(err)
			}
		}, "database file is truncated"},
		{"sqlite database of another program", func(t *testing.T, path string) {
			db, err := sql.Open("sqlite", path)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := db.Exec(`CREATE TABLE invoices(id INTEGER PRIMARY KEY, total REAL)`); err != nil {
				t.Fatal(err)
			}
			db.Close()
		}, "not a breachpath store (no schema version)"},
		{"header with a bad page size", func(t *testing.T, path string) {
			mustCreate(t, path)
			f, err := os.OpenFile(path, os.O_RDWR, 0)
			if err != nil {
				t.Fatal(err)
			}
			f.WriteAt([]byte{0x03, 0x00}, 16) // 768: not a power of two
			f.Close()
		}, "bad page size 768"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "breachpath.db")
			tt.write(t, path)
			before, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			s, err := Open(context.Background(), path, WithLogger(quiet))
			if err == nil {
				s.Close()
				t.Fatal("Open accepted a file that is not a breachpath store")
			}
			if !errors.Is(err, graph.ErrCorrupt) {
				t.Errorf("error %q does not wrap graph.ErrCorrupt", err)
			}
			msg := err.Error()
			if tt.name == "text file" {
				if want := "open " + path + ": not a breachpath store (file is not a database)"; msg != want {
					t.Errorf("error %q, want %q", msg, want)
				}
			}
			if !strings.Contains(msg, tt.want) || !strings.HasPrefix(msg, "open "+path+": ") || strings.Contains(msg, "\n") {
				t.Errorf("error %q: want one line starting with %q and containing %q", msg, "open "+path+": ", tt.want)
			}
			after, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(before, after) {
				t.Error("Open modified a file it refused")
			}
		})
	}
}

func TestOpenRefusesNewerSchemaVersion(t *testing.T) {
	path := filepath.Join(t.TempDir(), "breachpath.db")
	mustCreate(t, path)
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(`UPDATE meta SET value = '99' WHERE key = 'schema_version'`); err != nil {
		t.Fatal(err)
	}
	db.Close()
	_, err = Open(context.Background(), path, WithLogger(quiet))
	if err == nil || !strings.Contains(err.Error(), "schema version 99 is newer than this breachpath supports (5)") {
		t.Fatalf("Open(newer schema) = %v, want a clear version error", err)
	}
	if errors.Is(err, graph.ErrCorrupt) {
		t.Error("a newer schema is not corruption")
	}
}

func TestStoreFilesAreOwnerOnly(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "breachpath.db")
	s, err := Open(context.Background(), path, WithLogger(quiet))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if _, err := s.Sync(context.Background(), &graph.Snapshot{
		Scope: graph.Scope{Cloud: graph.CloudAWS, ID: "1"},
		Nodes: []graph.Node{{ID: "n", Kind: graph.KindCompute, Cloud: graph.CloudAWS}},
	}); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"breachpath.db", "breachpath.db-wal", "breachpath.db-shm"} {
		fi, err := os.Stat(filepath.Join(dir, name))
		if errors.Is(err, os.ErrNotExist) && name != "breachpath.db" {
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		if mode := fi.Mode().Perm(); mode != 0o600 {
			t.Errorf("%s has mode %o, want 600", name, mode)
		}
	}
}

func TestOpenReportsMissingDirectoryInOneLine(t *testing.T) {
	path := filepath.Join(t.TempDir(), "no", "such", "dir", "breachpath.db")
	_, err := Open(context.Background(), path, WithLogger(quiet))
	if err == nil || !strings.HasPrefix(err.Error(), "open "+path+": ") || strings.Contains(err.Error(), "\n") {
		t.Fatalf("Open(missing dir) = %v, want a one-line error naming the path", err)
	}
}

func TestReopenKeepsTheGraph(t *testing.T) {
	path := filepath.Join(t.TempDir(), "breachpath.db")
	mustCreate(t, path)
	s, err := Open(context.Background(), path, WithLogger(quiet))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	g, err := s.Load(context.Background(), graph.Filter{})
	if err != nil {
		t.Fatal(err)
	}
	if len(g.Nodes) != 1 || g.Nodes[0].ID != "n" {
		t.Fatalf("reopened store has nodes %+v, want the one synced before", g.Nodes)
	}
}

func TestKillMidSyncLeavesThePreviousState(t *testing.T) {
	// A sync of 10000 nodes over the 300 that RunCrash syncs first makes
	// about 106 context checks (rows in batches of 512, plus the driver's own
	// checks), roughly a third of them for nodes. Kill before anything is
	// written, amid the edges and near the commit.
	tests := []struct {
		name   string
		after  int64
		minWAL int64 // bytes of uncommitted pages the kill must leave behind
	}{
		{"before writing", 10, 0},
		{"amid the edges", 50, 1 << 20},
		{"near the commit", 95, 2 << 20},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			storetest.RunCrash(t, storetest.Crash{
				New: func(t *testing.T) string { return filepath.Join(t.TempDir(), "breachpath.db") },
				Open: func(ctx context.Context, loc string) (graph.Store, error) {
					// a small page cache makes the sync spill uncommitted pages
					// into the WAL before the kill: the case recovery must undo
					return Open(ctx, loc, WithLogger(quiet), WithCacheSize(256))
				},
				Nodes:     10000,
				KillAfter: tt.after,
				AfterKill: func(t *testing.T, loc string) {
					fi, err := os.Stat(loc + "-wal")
					if err != nil {
						t.Fatalf("no WAL after the kill: %v", err)
					}
					if fi.Size() < tt.minWAL {
						t.Errorf("WAL holds %d bytes after the kill, want at least %d: the kill came too early", fi.Size(), tt.minWAL)
					}
					t.Logf("WAL holds %d bytes of the killed sync", fi.Size())
				},
			})
		})
	}
}

func TestStatsCountsByCloudKindAndSeverity(t *testing.T) {
	s := openTemp(t)
	ctx := context.Background()
	aws := graph.Scope{Cloud: graph.CloudAWS, ID: "1"}
	gcp := graph.Scope{Cloud: graph.CloudGCP, ID: "p"}
	snapAWS := &graph.Snapshot{Scope: aws,
		Nodes: []graph.Node{
			{ID: graph.InternetID, Kind: graph.KindInternet, Stub: true},
			{ID: "vm1", Kind: graph.KindCompute, Cloud: graph.CloudAWS, Service: "ec2"},
			{ID: "vm2", Kind: graph.KindCompute, Cloud: graph.CloudAWS, Service: "ec2"},
			{ID: "b", Kind: graph.KindBucket, Cloud: graph.CloudAWS, Service: "s3"},
		},
		Edges: []graph.Edge{
			{From: graph.InternetID, To: "vm1", Kind: graph.EdgeExposedTo, Technique: "net"},
			{From: "vm1", To: "vm2", Kind: graph.EdgeReaches, Technique: "net"},
			{From: "vm2", To: "b", Kind: graph.EdgeReads, Technique: "s3"},
		},
		Findings: []graph.Finding{
			{ID: "f1", RuleID: "r", Resource: "vm1", Severity: graph.SeverityHigh},
			{ID: "f2", RuleID: "r", Resource: "vm2", Severity: graph.SeverityHigh},
			{ID: "f3", RuleID: "r", Resource: "b", Severity: graph.SeverityCritical},
		},
	}
	snapGCP := &graph.Snapshot{Scope: gcp,
		Nodes: []graph.Node{{ID: "//vm", Kind: graph.KindCompute, Cloud: graph.CloudGCP, Service: "compute", Region: "us-central1"}},
	}
	for _, snap := range []*graph.Snapshot{snapAWS, snapGCP} {
		if _, err := s.Sync(ctx, snap); err != nil {
			t.Fatal(err)
		}
	}
	// resolve f2, and fail the gcp area so its node goes stale
	snapAWS.Findings = []graph.Finding{snapAWS.Findings[0], snapAWS.Findings[2]}
	if _, err := s.Sync(ctx, snapAWS); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Sync(ctx, &graph.Snapshot{Scope: gcp, Coverage: graph.Coverage{Failed: []graph.Failure{{Area: graph.Area{Service: "compute"}}}}}); err != nil {
		t.Fatal(err)
	}
	st, err := s.Stats(ctx, graph.Filter{}, graph.StatsOptions{PerScope: true})
	if err != nil {
		t.Fatal(err)
	}
	// the counts each sync recorded and the store's rows agree
	if _, err := s.db.Exec(`DELETE FROM scope_counts`); err != nil {
		t.Fatal(err)
	}
	fromRows, err := s.Stats(ctx, graph.Filter{}, graph.StatsOptions{PerScope: true})
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(st, fromRows) {
		t.Errorf("stats from the recorded counts %+v, from the rows %+v", st, fromRows)
	}
	onlyGCP, err := s.Stats(ctx, graph.Filter{Clouds: []graph.Cloud{graph.CloudGCP}}, graph.StatsOptions{PerScope: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(onlyGCP.Scopes) != 1 || len(onlyGCP.Edges) != 0 || len(onlyGCP.Nodes) != 1 || onlyGCP.Stubs != 0 {
		t.Errorf("stats of the gcp scope: %+v", onlyGCP)
	}
	wantNodes := []graph.KindCount{{Cloud: graph.CloudAWS, Kind: "Bucket", Count: 1}, {Cloud: graph.CloudAWS, Kind: "Compute", Count: 2}, {Cloud: graph.CloudGCP, Kind: "Compute", Count: 1}}
	if !reflect.DeepEqual(st.Nodes, wantNodes) {
		t.Errorf("Nodes = %+v, want %+v", st.Nodes, wantNodes)
	}
	wantEdges := []graph.KindCount{{Cloud: graph.CloudAWS, Kind: "EXPOSED_TO", Count: 1}, {Cloud: graph.CloudAWS, Kind: "REACHES", Count: 1}, {Cloud: graph.CloudAWS, Kind: "READS", Count: 1}}
	if !reflect.DeepEqual(st.Edges, wantEdges) {
		t.Errorf("Edges = %+v, want %+v", st.Edges, wantEdges)
	}
	wantFindings := []graph.SeverityCount{{Severity: graph.SeverityCritical, Count: 1}, {Severity: graph.SeverityHigh, Count: 1}}
	if !reflect.DeepEqual(st.Findings, wantFindings) {
		t.Errorf("Findings = %+v, want %+v", st.Findings, wantFindings)
	}
	if st.Stubs != 1 || st.Resolved != 1 || st.Stale != (graph.Counts{Nodes: 1}) {
		t.Errorf("Stubs %d Resolved %d Stale %+v, want 1, 1, {Nodes:1}", st.Stubs, st.Resolved, st.Stale)
	}
	if len(st.Scopes) != 2 || st.Scopes[0].Scope != aws || st.Scopes[0].Syncs != 2 || st.Scopes[1].Scope != gcp || st.Scopes[1].SyncID != 4 {
		t.Errorf("Scopes = %+v, want aws:1 with 2 syncs and gcp:p last synced by sync 4", st.Scopes)
	}
	for _, sc := range st.Scopes {
		if sc.LastSync.IsZero() {
			t.Errorf("scope %s has no last sync time", sc.Scope)
		}
	}
}

func TestDamagedPagesGiveCorruptErrorsNotPanics(t *testing.T) {
	path := filepath.Join(t.TempDir(), "breachpath.db")
	s, err := Open(context.Background(), path, WithLogger(quiet))
	if err != nil {
		t.Fatal(err)
	}
	snap := &graph.Snapshot{Scope: graph.Scope{Cloud: graph.CloudAWS, ID: "1"}}
	for i := range 2000 {
		snap.Nodes = append(snap.Nodes, graph.Node{ID: strings.Repeat("x", 40) + string(rune('a'+i%26)) + strings.Repeat("y", i%50) + "-" + string(rune(0x4e00+i)),
			Kind: graph.KindCompute, Cloud: graph.CloudAWS, Props: graph.Props{"i": int64(i)}})
	}
	if _, err := s.Sync(context.Background(), snap); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	r := rand.New(rand.NewPCG(3, 4))
	for i := 8192; i < len(b); i++ { // keep the header and schema pages, scramble the rows
		b[i] = byte(r.Uint32())
	}
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
	s, err = Open(context.Background(), path, WithLogger(quiet))
	if err == nil {
		defer s.Close()
		_, err = s.Load(context.Background(), graph.Filter{})
	}
	if !errors.Is(err, graph.ErrCorrupt) {
		t.Fatalf("Open+Load of a scrambled store = %v, want an error wrapping graph.ErrCorrupt", err)
	}
	if strings.Contains(err.Error(), "\n") {
		t.Errorf("error spans lines: %q", err)
	}
	t.Log(err)
}

func TestScopedLoadAnswersAsFullLoad(t *testing.T) {
	storetest.Scoped(t, func(t *testing.T) graph.Store { return openTemp(t) }, 12000, func(t *testing.T, s graph.Store, sc graph.Scope) {
		// what a sync by a breachpath without the index leaves: an index
		// row of an older sync
		if _, err := s.(*Store).db.Exec(`UPDATE scope_links SET sync_id = sync_id - 1
			WHERE scope = (SELECT id FROM scopes WHERE cloud = ? AND ext_id = ?)`, string(sc.Cloud), sc.ID); err != nil {
			t.Fatal(err)
		}
	})
}

func TestStatsOfEveryScopeOrCloudReadOnlyTheTotals(t *testing.T) {
	s := openTemp(t)
	ctx := context.Background()
	for _, sc := range []graph.Scope{projA, projB} {
		if _, err := s.Sync(ctx, storetest.RichSnapshot(sc, pt0)); err != nil {
			t.Fatal(err)
		}
	}
	before, err := s.Stats(ctx, graph.Filter{}, graph.StatsOptions{})
	if err != nil {
		t.Fatal(err)
	}
	// a total the scopes' own counts do not have: only a read of the
	// totals reports it (the filtered stats of both scopes do not)
	if _, err := s.db.Exec(`UPDATE estate_counts SET n = n + 1000 WHERE what = 'node' AND kind = 'Compute'`); err != nil {
		t.Fatal(err)
	}
	after, err := s.Stats(ctx, graph.Filter{}, graph.StatsOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if after.NodeTotal() != before.NodeTotal()+1000 {
		t.Errorf("every scope: %d nodes, want the totals' %d", after.NodeTotal(), before.NodeTotal()+1000)
	}
	aws, err := s.Stats(ctx, graph.Filter{Clouds: []graph.Cloud{graph.CloudAWS}}, graph.StatsOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if aws.NodeTotal() != before.NodeTotal()+1000 {
		t.Errorf("one cloud: %d nodes, want the totals' %d", aws.NodeTotal(), before.NodeTotal()+1000)
	}
	both, err := s.Stats(ctx, graph.Filter{Scopes: []graph.Scope{projA, projB}}, graph.StatsOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if both.NodeTotal() != before.NodeTotal() {
		t.Errorf("both scopes by name: %d nodes, want the scopes' own %d", both.NodeTotal(), before.NodeTotal())
	}
}
