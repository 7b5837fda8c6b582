package aws_test

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/breachpath/breachpath/ciem"
	"github.com/breachpath/breachpath/collector"
	awscollector "github.com/breachpath/breachpath/collector/aws"
	"github.com/breachpath/breachpath/collector/aws/authdetails"
	"github.com/breachpath/breachpath/collector/aws/entitlements"
	"github.com/breachpath/breachpath/collector/aws/inventory"
	"github.com/breachpath/breachpath/graph"
	"github.com/breachpath/breachpath/graph/embedded"
)

// TestReportFromTheStoreEqualsInMemory syncs an annotated snapshot into the
// embedded store and builds the report from what Load returns: the API has
// only the store, so the entitlement and usage properties must survive it.
func TestReportFromTheStoreEqualsInMemory(t *testing.T) {
	ctx := context.Background()
	buf, err := os.ReadFile("testdata/authdetails.json")
	if err != nil {
		t.Fatal(err)
	}
	snap, _, err := awscollector.FromAuthDetails(ctx, bytes.NewReader(buf), "authdetails.json", awscollector.TransformOptions{})
	if err != nil {
		t.Fatal(err)
	}
	iam, err := authdetails.Load(bytes.NewReader(buf))
	if err != nil {
		t.Fatal(err)
	}
	if iam.LastAccessed, err = entitlements.ReadLastAccessedFile("testdata/last-accessed.json"); err != nil {
		t.Fatal(err)
	}
	inv := &inventory.Inventory{AccountID: "111122223333", Partition: "aws", CollectedAt: fixtureNow, IAM: iam}
	if _, err := entitlements.Annotate(ctx, snap, inv, entitlements.Options{Now: fixtureNow}); err != nil {
		t.Fatal(err)
	}
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
