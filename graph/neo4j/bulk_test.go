package neo4j

import (
	"cmp"
	"context"
	"encoding/csv"
	"encoding/json"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	neo "github.com/neo4j/neo4j-go-driver/v5/neo4j"

	"github.com/breachpath/breachpath/collector/synthetic"
	"github.com/breachpath/breachpath/graph"
	"github.com/breachpath/breachpath/graph/storetest"
)

var importAt = time.Date(2026, 3, 4, 5, 6, 7, 890_000_000, time.UTC)

// awkwardSnapshot holds what CSV and neo4j-admin make hard: quotes, commas
// and line breaks in values, colons and commas in property names, an empty
// string, an empty list, one property with two types (two files).
func awkwardSnapshot() *graph.Snapshot {
	sc := graph.Scope{Cloud: graph.CloudAWS, ID: "222233334444"}
	a := "arn:aws:ec2:eu-west-1:222233334444:instance/i-awkward"
	b := "arn:aws:s3:::awkward-bucket"
	return &graph.Snapshot{
		Scope: sc, CollectedAt: importAt.Add(-time.Hour), Collector: "test,\"quoted\"",
		Nodes: []graph.Node{
			{ID: graph.InternetID, Kind: graph.KindInternet, Stub: true},
			{ID: a, Kind: graph.KindCompute, Cloud: graph.CloudAWS, Name: "line one\nline \"two\", with a comma", Account: sc.ID,
				Tags:  map[string]string{"aws:cloudformation:stack-name": "stack", "a,b": "comma key", "empty": ""},
				Props: graph.Props{"mixed": "text", "none": []string{}, "list": []string{"x;y", "z,w", "\"q\""}}},
			{ID: b, Kind: graph.KindBucket, Cloud: graph.CloudAWS, Sensitivity: graph.SensitivityRestricted,
				Props: graph.Props{"mixed": int64(7), "ratio": 0.1234567890123457}},
		},
		Edges: []graph.Edge{
			{From: graph.InternetID, To: a, Kind: graph.EdgeExposedTo, Technique: "net.internet-exposure", Likelihood: 0.35,
				Evidence: []string{"port 22, open\nto all"}, Props: graph.Props{"mixed": true}},
			{From: a, To: b, Kind: graph.EdgeReads, Technique: "aws.s3.read", Props: graph.Props{"mixed": "r"}},
		},
		Findings: []graph.Finding{
			{ID: graph.FindingID("t.open", a), RuleID: "t.open", Resource: a, Severity: graph.SeverityHigh, Title: "open, \"really\"", Evidence: "a\nb"},
		},
		Coverage: graph.Coverage{Read: []graph.Area{{Service: "ec2", Region: "eu-west-1"}}},
	}
}

func importSnapshots(t testing.TB) []*graph.Snapshot {
	t.Helper()
	e, err := synthetic.Generate(context.Background(), synthetic.Options{Seed: 3, Resources: 600})
	if err != nil {
		t.Fatal(err)
	}
	snaps := append([]*graph.Snapshot{}, e.Snapshots...)
	rich := storetest.RichSnapshot(graph.Scope{Cloud: graph.CloudAWS, ID: "111122223333"}, importAt.Add(-2*time.Hour))
	return append(snaps, rich, awkwardSnapshot())
}

func readCSV(t *testing.T, path string) [][]string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r := csv.NewReader(f)
	r.FieldsPerRecord = -1 // a row ends at its last property
	rows, err := r.ReadAll()
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return rows
}

func TestWriteImportFiles(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "import")
	snap := awkwardSnapshot()
	sum, err := WriteImport(context.Background(), dir, []*graph.Snapshot{snap}, ImportOptions{At: importAt})
	if err != nil {
		t.Fatal(err)
	}
	// nodes, finding, scope + sync record + projection, meta, one cloud's totals
	if sum.Nodes != 3 || sum.Edges != 2 || sum.Findings != 1 || sum.DBNodes != 3+1+3+1+1 || sum.DBRelationships != 2+1 {
		t.Errorf("summary %+v", sum)
	}
	for _, name := range append([]string{ImportArgsFile}, sum.Files...) {
		fi, err := os.Stat(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode().Perm() != 0o600 {
			t.Errorf("%s has mode %v, want 0600", name, fi.Mode().Perm())
		}
	}
	args, err := os.ReadFile(filepath.Join(dir, ImportArgsFile))
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(args)), "\n")
	if last := lines[len(lines)-1]; !strings.HasPrefix(last, "--multiline-fields=true") {
		t.Errorf("line breaks in values need --multiline-fields as the last argument, got %q", last)
	}
	// "mixed" is a string on one node and an integer on the other, and a
	// boolean on one edge and a string on the other: two files each.
	var resources, edges int
	for _, f := range sum.Files {
		switch {
		case strings.HasSuffix(f, "-header.csv"):
		case strings.HasPrefix(f, "resources-"):
			resources++
		case strings.HasPrefix(f, "edges-"):
			edges++
		}
	}
	if resources != 2 || edges != 2 {
		t.Errorf("files %v: want two resource and two edge files (a property with two types)", sum.Files)
	}

	head := readCSV(t, filepath.Join(dir, "resources-1-header.csv"))[0]
	rows := readCSV(t, filepath.Join(dir, "resources-1.csv"))
	col := func(name string) int {
		for i, h := range head {
			if strings.HasPrefix(h, name+":") {
				return i
			}
		}
		t.Fatalf("no column %s in %v", name, head)
		return -1
	}
	var inst []string
	for _, r := range rows {
		if len(r) > col("id") && r[col("id")] == snap.Nodes[1].ID {
			inst = r
		}
	}
	if inst == nil {
		t.Fatal("instance row missing from resources-1.csv")
	}
	tests := []struct{ column, want string }{
		{"name", "line one\nline \"two\", with a comma"},
		{"tag_aws:cloudformation:stack-name", "stack"},
		{"tag_a,b", "comma key"},
		{"prop_list", "x;y\x1fz,w\x1f\"q\""},
		{"prop_mixed", "text"},
		{"stub", "false"},
		{"sync_from", "1"},
		{"scope", "aws:222233334444"},
	}
	for _, tc := range tests {
		if got := inst[col(tc.column)]; got != tc.want {
			t.Errorf("%s = %q, want %q", tc.column, got, tc.want)
		}
	}
	if slices.ContainsFunc(head, func(h string) bool { return strings.HasPrefix(h, "prop_none:") }) {
		t.Error("an empty list must not become a column (neo4j-admin cannot write one)")
	}
	// an empty string is quoted so that it stays a string; the raw line shows it
	raw, _ := os.ReadFile(filepath.Join(dir, "resources-1.csv"))
	if !strings.Contains(string(raw), `"comma key",""`) && !strings.Contains(string(raw), `,"",`) {
		t.Error(`the empty tag value is not written as ""`)
	}
}

func TestWriteImportRefuses(t *testing.T) {
	ok := awkwardSnapshot()
	bad := awkwardSnapshot()
	bad.Nodes[1].Props = graph.Props{"list": []string{"a\x1fb"}}
	invalid := awkwardSnapshot()
	invalid.Edges[0].To = "nowhere"
	full := t.TempDir()
	if err := os.WriteFile(filepath.Join(full, "x"), nil, 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name  string
		dir   string
		snaps []*graph.Snapshot
		ns    string
		want  string
	}{
		{"non-empty directory", full, []*graph.Snapshot{ok}, "", "not empty"},
		{"no snapshots", "", nil, "", "no snapshots"},
		{"one scope twice", "", []*graph.Snapshot{ok, awkwardSnapshot()}, "", "appears twice"},
		{"invalid snapshot", "", []*graph.Snapshot{invalid}, "", "nowhere"},
		{"list element with the array delimiter", "", []*graph.Snapshot{bad}, "", "U+001F"},
		{"bad namespace", "", []*graph.Snapshot{ok}, "a/b", "namespace"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := tc.dir
			if dir == "" {
				dir = filepath.Join(t.TempDir(), "out")
			}
			_, err := WriteImport(context.Background(), dir, tc.snaps, ImportOptions{Namespace: tc.ns})
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want one mentioning %q", err, tc.want)
			}
			if strings.Contains(err.Error(), "\n") {
				t.Errorf("error spans lines: %q", err)
			}
		})
	}
}

// canonical sorts a loaded graph so that two loads compare with DeepEqual.
func canonical(g *graph.Graph) *graph.Graph {
	out := &graph.Graph{Nodes: slices.Clone(g.Nodes), Edges: slices.Clone(g.Edges), Findings: slices.Clone(g.Findings)}
	slices.SortFunc(out.Nodes, func(a, b graph.Node) int { return cmp.Compare(a.ID, b.ID) })
	slices.SortFunc(out.Edges, func(a, b graph.Edge) int { return a.Key().Compare(b.Key()) })
	slices.SortFunc(out.Findings, func(a, b graph.Finding) int { return cmp.Compare(a.ID, b.ID) })
	return out
}

func sameGraph(t *testing.T, what string, got, want *graph.Graph) {
	t.Helper()
	g, w := canonical(got), canonical(want)
	if reflect.DeepEqual(g, w) {
		return
	}
	if len(g.Nodes) != len(w.Nodes) || len(g.Edges) != len(w.Edges) || len(g.Findings) != len(w.Findings) {
		t.Fatalf("%s: %d nodes, %d edges, %d findings; want %d, %d, %d", what,
			len(g.Nodes), len(g.Edges), len(g.Findings), len(w.Nodes), len(w.Edges), len(w.Findings))
	}
	show := func(v any) string { b, _ := json.Marshal(v); return string(b) }
	for i := range g.Nodes {
		if !reflect.DeepEqual(g.Nodes[i], w.Nodes[i]) {
			t.Fatalf("%s: node\n got %s\nwant %s", what, show(g.Nodes[i]), show(w.Nodes[i]))
		}
	}
	for i := range g.Edges {
		if !reflect.DeepEqual(g.Edges[i], w.Edges[i]) {
			t.Fatalf("%s: edge\n got %s\nwant %s", what, show(g.Edges[i]), show(w.Edges[i]))
		}
	}
	for i := range g.Findings {
		if !reflect.DeepEqual(g.Findings[i], w.Findings[i]) {
			t.Fatalf("%s: finding\n got %s\nwant %s", what, show(g.Findings[i]), show(w.Findings[i]))
		}
	}
	t.Fatalf("%s: graphs differ", what)
}

// importIntoSecondServer imports the files in dir with scripts/neo4j-dev.sh
// into a dev server of its own (state directory and port), leaves it
// running until the test ends, and returns its port and the script's
// output. env adds settings (heap sizes).
func importIntoSecondServer(tb testing.TB, dir string, env ...string) (port, out string) {
	tb.Helper()
	script, err := filepath.Abs("../../scripts/neo4j-dev.sh")
	if err != nil {
		tb.Fatal(err)
	}
	port = freePort(tb)
	env = append(append(os.Environ(), "BREACHPATH_NEO4J_STATE="+tb.TempDir(), "BREACHPATH_NEO4J_PORT="+port,
		"BREACHPATH_NEO4J_PASSWORD="+os.Getenv(envPassword)), env...)
	run := func(args ...string) string {
		cmd := exec.Command(script, args...)
		cmd.Env = env
		out, err := cmd.CombinedOutput()
		if err != nil {
			tb.Fatalf("%s %v: %v\n%s", script, args, err, out)
		}
		return string(out)
	}
	tb.Cleanup(func() { run("down") })
	return port, run("import", dir)
}

func freePort(t testing.TB) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return strconv.Itoa(l.Addr().(*net.TCPAddr).Port)
}

// rawRows lists every row of the store's namespace as Cypher sees it:
// labels or type, every property including the store-owned ones (hashes,
// edge digests, versions, scope pointers), and a relationship's endpoints.
// Only element ids and the projections (storedProjections) are left out.
func rawRows(t *testing.T, s *Store) []string {
	t.Helper()
	norm := func(m map[string]any) string {
		for k, v := range m {
			if tm, ok := v.(time.Time); ok {
				m[k] = tm.UTC().Format(time.RFC3339Nano)
			}
		}
		b, err := json.Marshal(m)
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	var out []string
	for qi, q := range []string{
		`MATCH (n) WHERE (n.ns = $ns OR n.scope STARTS WITH $prefix) AND NOT n:ScopeProjection
			RETURN labels(n), properties(n)`,
		`MATCH (a)-[r]->(b) WHERE a.scope STARTS WITH $prefix
			RETURN [type(r), a.id, a.sync_from, b.id, b.sync_from], properties(r)`,
	} {
		res, err := neo.ExecuteQuery(context.Background(), s.driver, q, map[string]any{"ns": s.ns, "prefix": s.ns + "/"},
			neo.EagerResultTransformer, neo.ExecuteQueryWithDatabase(s.db))
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range res.Records {
			if labels, ok := r.Values[0].([]any); ok && qi == 0 { // token order differs between databases
				slices.SortFunc(labels, func(a, b any) int { return cmp.Compare(a.(string), b.(string)) })
			}
			head, _ := json.Marshal(r.Values[0])
			out = append(out, string(head)+" "+norm(r.Values[1].(map[string]any)))
		}
	}
	slices.Sort(out)
	return out
}

// TestImportReadsBackLikeSync imports snapshots with the real neo4j-admin
// into a second dev server and checks that the result is the graph that
// syncing the same snapshots leaves behind: the same Load, history and
// scopes, and a later sync that writes exactly the rows a sync after a
// sync writes (so hashes and edge digests were imported right).
func TestImportReadsBackLikeSync(t *testing.T) {
	testURI(t) // the test server's presence says the Neo4j tests run (and the launcher is built)
	if _, err := exec.LookPath("java"); err != nil {
		t.Skip("java not found: neo4j-admin import cannot run")
	}
	ctx := context.Background()
	snaps := importSnapshots(t)
	ns := newNamespace(t)
	dir := filepath.Join(t.TempDir(), "import")
	sum, err := WriteImport(ctx, dir, snaps, ImportOptions{Namespace: ns, At: importAt})
	if err != nil {
		t.Fatal(err)
	}

	port, out := importIntoSecondServer(t, dir, "BREACHPATH_NEO4J_HEAP=512m", "BREACHPATH_NEO4J_PAGECACHE=32m", "BREACHPATH_NEO4J_IMPORT_HEAP=512m")
	want := "Imported: " + strconv.FormatInt(sum.DBNodes, 10) + " nodes " + strconv.FormatInt(sum.DBRelationships, 10) + " relationships"
	if !strings.Contains(out, want) {
		t.Fatalf("importer output lacks %q:\n%s", want, out)
	}

	o := testOptions(ns)
	o.SyncWorkers = 1
	imported, err := Open(ctx, "bolt://127.0.0.1:"+port, o)
	if err != nil {
		t.Fatal(err)
	}
	defer imported.Close()
	// Sequential syncs give the reference the sync ids the import assigns.
	synced := openTest(t, func(o *Options) { o.Namespace, o.SyncWorkers = ns, 1 })
	for _, s := range []*Store{imported, synced} {
		s.now = func() time.Time { return importAt }
	}
	if _, err := graph.SyncAll(ctx, synced, snaps, nil); err != nil {
		t.Fatal(err)
	}

	compare := func(stage string) {
		t.Helper()
		gi, err := imported.Load(ctx, graph.Filter{IncludeResolved: true})
		if err != nil {
			t.Fatalf("%s: load imported: %v", stage, err)
		}
		gs, err := synced.Load(ctx, graph.Filter{IncludeResolved: true})
		if err != nil {
			t.Fatalf("%s: load synced: %v", stage, err)
		}
		sameGraph(t, stage, gi, gs)
		hi, err1 := imported.History(ctx, graph.Scope{})
		hs, err2 := synced.History(ctx, graph.Scope{})
		if err1 != nil || err2 != nil {
			t.Fatal(err1, err2)
		}
		if !reflect.DeepEqual(hi, hs) {
			t.Errorf("%s: history differs:\n got %+v\nwant %+v", stage, hi, hs)
		}
		si, err1 := imported.Scopes(ctx)
		ss, err2 := synced.Scopes(ctx)
		if err1 != nil || err2 != nil || !reflect.DeepEqual(si, ss) {
			t.Errorf("%s: scopes %v, want %v (%v %v)", stage, si, ss, err1, err2)
		}
	}
	// the first load of the imported store decodes the imported projections
	imported.stats.rowScopes.Store(0)
	compare("after import")
	if n := imported.stats.rowScopes.Load(); n != 0 {
		t.Errorf("the first load after the import read %d scopes row by row, want every scope from its projection", n)
	}
	if pi, ps := storedProjections(t, imported), storedProjections(t, synced); !reflect.DeepEqual(pi, ps) {
		t.Errorf("imported projections differ from the synced ones (%d and %d scopes)", len(pi), len(ps))
	}
	if di, ds := rawRows(t, imported), rawRows(t, synced); !slices.Equal(di, ds) {
		for i := range min(len(di), len(ds)) {
			if di[i] != ds[i] {
				t.Fatalf("stored rows differ (%d imported, %d synced); first difference:\n got %s\nwant %s", len(di), len(ds), di[i], ds[i])
			}
		}
		t.Fatalf("stored rows differ: %d imported, %d synced", len(di), len(ds))
	}

	// The next collection: 1% of nodes changed everywhere, one node gone
	// (with its edges and findings) from the awkward scope.
	next := touch(snaps, 1)
	last := *next[len(next)-1]
	gone := last.Nodes[2].ID
	last.Nodes = slices.DeleteFunc(slices.Clone(last.Nodes), func(n graph.Node) bool { return n.ID == gone })
	last.Edges = slices.DeleteFunc(slices.Clone(last.Edges), func(e graph.Edge) bool { return e.From == gone || e.To == gone })
	next[len(next)-1] = &last
	later := importAt.Add(time.Hour)
	for _, s := range []*Store{imported, synced} {
		s.now = func() time.Time { return later }
	}
	ri, err := graph.SyncAll(ctx, imported, next, nil)
	if err != nil {
		t.Fatal(err)
	}
	rs, err := graph.SyncAll(ctx, synced, next, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(ri, rs) {
		t.Errorf("re-sync results differ")
	}
	compare("after a re-sync")
	hist, err := synced.History(ctx, graph.Scope{})
	if err != nil {
		t.Fatal(err)
	}
	var rewritten int
	for _, h := range hist {
		ci, cs := changedCounts(t, imported, h.SyncID), changedCounts(t, synced, h.SyncID)
		if ci != cs {
			t.Errorf("sync %d of %s wrote %+v rows after the import, %+v after a sync (imported hashes or digests are off)", h.SyncID, h.Scope, ci, cs)
		}
		if h.SyncID > int64(len(snaps)) {
			rewritten += ci.Edges
		}
	}
	if rewritten*4 > int(sum.Edges) {
		t.Errorf("the re-sync rewrote %d of %d edges: unchanged edges of the import were not recognised", rewritten, sum.Edges)
	}
}

// storedProjections returns each scope's projection blob by scope key, as
// bytes whether stored as bytes (sync) or base64 (import), with its sync.
func storedProjections(t *testing.T, s *Store) map[string]string {
	t.Helper()
	res, err := neo.ExecuteQuery(context.Background(), s.driver, `MATCH (p:ScopeProjection {ns: $ns}) RETURN p.key, p.sync, p.blob`,
		map[string]any{"ns": s.ns}, neo.EagerResultTransformer, neo.ExecuteQueryWithDatabase(s.db))
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, r := range res.Records {
		k, _ := r.Values[0].(string)
		v, _ := r.Values[1].(int64)
		b, err := storedBlob(r.Values[2])
		if err != nil {
			t.Fatal(err)
		}
		out[k] = strconv.FormatInt(v, 10) + ":" + string(b)
	}
	return out
}
