package aws_test

import (
	"bytes"
	"context"
	"encoding/json"
	"path/filepath"
	"testing"

	"github.com/breachpath/breachpath/ciem"
	"github.com/breachpath/breachpath/collector"
	"github.com/breachpath/breachpath/graph"
	"github.com/breachpath/breachpath/graph/embedded"
)

// TestReportFromTheStoreEqualsInMemory syncs an annotated snapshot into the
// embedded store and builds the report from what Load returns: the API has
// only the store, so the entitlement and usage properties must survive it.
func TestReportFromTheStoreEqualsInMemory(t *testing.T) {
	ctx := context.Background()
	snap := fixtureSnapshot(t, true)
	opts := ciem.Options{Now: fixtureNow}
	mem, err := ciem.Build(ctx, graph.Assemble(append([]graph.Node(nil), snap.Nodes...), append([]graph.Edge(nil), snap.Edges...), nil), ciem.Sources{Policies: collector.PolicyWriters()}, opts)
	if err != nil {
		t.Fatal(err)
	}

	st, err := embedded.Open(ctx, filepath.Join(t.TempDir(), "bp.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if _, err := st.Sync(ctx, snap); err != nil {
		t.Fatal(err)
	}
	g, err := st.Load(ctx, graph.Filter{})
	if err != nil {
		t.Fatal(err)
	}
	stored, err := ciem.Build(ctx, g, ciem.Sources{Policies: collector.PolicyWriters()}, opts)
	if err != nil {
		t.Fatal(err)
	}
	a, _ := json.Marshal(mem.Principals)
	b, _ := json.Marshal(stored.Principals)
	if !bytes.Equal(a, b) {
		t.Fatalf("report from the store differs from the in-memory one:\nmemory: %.2000s\nstore:  %.2000s", a, b)
	}
	if p := stored.Principal(acct + "user/carol"); p == nil || p.Suggestion == nil || !p.Usage.Known {
		t.Fatalf("carol from the store lost her usage or suggestion: %+v", p)
	}
}
