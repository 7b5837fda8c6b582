package main

import (
	"context"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"github.com/breachpath/breachpath/collector/synthetic"
	"github.com/breachpath/breachpath/graph"
	"github.com/breachpath/breachpath/graph/embedded"
)

// TestGraphStatsSaysAMultiScopeWriteDidNotFinish: a write of many scopes
// stopped after its first scope (as a collect or demo killed half-way)
// leaves its generation open; graph stats says so, in the table and in
// JSON, until a write of every scope completes.
func TestGraphStatsSaysAMultiScopeWriteDidNotFinish(t *testing.T) {
	ctx := context.Background()
	db := filepath.Join(t.TempDir(), "bp.db")
	st, err := embedded.Open(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	est, err := synthetic.Generate(ctx, synthetic.Options{Seed: 7, Resources: 200})
	if err != nil {
		t.Fatal(err)
	}
	if len(est.Snapshots) < 3 {
		t.Fatalf("%d scopes: want a multi-scope estate", len(est.Snapshots))
	}
	cctx, cancel := context.WithCancel(ctx)
	if _, err := graph.SyncAll(cctx, st, est.Snapshots, func(int, graph.SyncResult) { cancel() }); err == nil {
		t.Fatal("a write cancelled after its first scope succeeded")
	}
	cancel()
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	out, _, err := runRoot(t, "--db", db, "graph", "stats")
	if err != nil || !strings.Contains(out, "did not finish") || !strings.Contains(out, "run it again") {
		t.Fatalf("graph stats after a write stopped half-way: err %v, output %.400s", err, out)
	}
	out, _, err = runRoot(t, "--db", db, "graph", "stats", "--format", "json")
	var js struct {
		IncompleteWrite *graph.Generation `json:"incomplete_write"`
	}
	if err != nil || json.Unmarshal([]byte(out), &js) != nil || js.IncompleteWrite == nil || len(js.IncompleteWrite.Scopes) != len(est.Snapshots) {
		t.Fatalf("graph stats --format json: err %v, %+v", err, js.IncompleteWrite)
	}

	st, err = embedded.Open(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := graph.SyncAll(ctx, st, est.Snapshots, nil); err != nil {
		t.Fatal(err)
	}
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	if out, _, err := runRoot(t, "--db", db, "graph", "stats"); err != nil || strings.Contains(out, "did not finish") {
		t.Fatalf("graph stats after the write completed: err %v, output %.400s", err, out)
	}
}
