package gcp_test

import (
	"context"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/breachpath/breachpath/collector/gcp"
	"github.com/breachpath/breachpath/collector/gcp/fetch"
	"github.com/breachpath/breachpath/collector/gcp/gcptest"
	"github.com/breachpath/breachpath/collector/gcp/inventory"
	"github.com/breachpath/breachpath/collector/gcp/transform"
	"github.com/breachpath/breachpath/graph"
	"github.com/breachpath/breachpath/graph/embedded"
	"github.com/breachpath/breachpath/paths"
)

// collectLive collects the lab through the real clients against the local
// Cloud Asset API server, fake-gcs-server and the service API server.
func collectLive(t *testing.T, faults ...*gcptest.Fault) ([]*graph.Snapshot, *gcp.Run) {
	t.Helper()
	res, pol := gcptest.Lab(gcptest.Published)
	env := gcptest.StartServers(t, res, pol, nil, faults).Env()
	snaps, run, err := gcp.Collect(context.Background(), fetch.Options{
		Parent:         "organizations/" + gcptest.OrgNumber,
		ServiceOptions: fetch.EndpointOptions(func(k string) string { return env[k] }),
		KeyActivity:    true,
		RetryBase:      time.Millisecond, MaxAttempts: 2,
	}, transform.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return snaps, run
}

// pathSignatures renders every path as its hop sequence.
func pathSignatures(t *testing.T, g *graph.Graph) []string {
	t.Helper()
	res, err := paths.Search(context.Background(), g, paths.Options{Top: 16, MaxDepth: 10})
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, p := range res.Paths {
		var b strings.Builder
		b.WriteString(p.Source)
		for _, h := range p.Hops {
			b.WriteString(" -[" + h.Technique + "]-> " + h.To)
		}
		out = append(out, b.String())
	}
	slices.Sort(out)
	return out
}

func TestLiveCollectionAndExportImportGiveTheSamePaths(t *testing.T) {
	live, run := collectLive(t)
	if run.Partial() {
		t.Fatalf("live run partial: %+v", run.Failed)
	}
	imported := importLab(t, gcptest.Published)
	lp, ip := pathSignatures(t, graph.AssembleSnapshots(live)), pathSignatures(t, graph.AssembleSnapshots(imported))
	if len(lp) == 0 {
		t.Fatal("no paths")
	}
	if !slices.Equal(lp, ip) {
		t.Fatalf("live %d paths, import %d paths; first difference:\nlive:   %v\nimport: %v", len(lp), len(ip), firstDiff(lp, ip), firstDiff(ip, lp))
	}
	// Same key usage (Policy Analyzer live, gcloud query-activity output offline).
	for _, snaps := range [][]*graph.Snapshot{live, imported} {
		n := graph.AssembleSnapshots(snaps).Node(gcptest.AdminSAID)
		if n == nil || n.Props["key_last_used"] != "2025-02-01T00:00:00Z" {
			t.Errorf("admin SA key last use = %+v", n)
		}
	}
	// Same scopes, same findings.
	var ls, is []string
	for _, s := range live {
		ls = append(ls, s.Scope.String())
		for _, f := range s.Findings {
			ls = append(ls, f.ID)
		}
	}
	for _, s := range imported {
		is = append(is, s.Scope.String())
		for _, f := range s.Findings {
			is = append(is, f.ID)
		}
	}
	if !slices.Equal(ls, is) {
		t.Errorf("scopes/findings differ:\nlive   %v\nimport %v", ls, is)
	}
}

func firstDiff(a, b []string) string {
	for _, s := range a {
		if !slices.Contains(b, s) {
			return s
		}
	}
	return "(none)"
}

// A throttled or failing area must not make the store forget what it held:
// its nodes stay, flagged stale, and the attack path through them stays.
func TestFailedAreaIsKeptStaleInTheStore(t *testing.T) {
	ctx := context.Background()
	st, err := embedded.Open(ctx, filepath.Join(t.TempDir(), "bp.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	first, _ := collectLive(t)
	if _, err := graph.SyncAll(ctx, st, first, nil); err != nil {
		t.Fatal(err)
	}
	failing, run := collectLive(t, &gcptest.Fault{Types: []string{inventory.TypeInstance}, Status: 503})
	if !run.Partial() || !slices.ContainsFunc(run.Failed, func(f graph.Failure) bool { return f.Service == "compute" }) {
		t.Fatalf("run = %+v, want compute failed", run.Failed)
	}
	results, err := graph.SyncAll(ctx, st, failing, nil)
	if err != nil {
		t.Fatal(err)
	}
	stale := 0
	for _, r := range results {
		stale += r.Stale.Nodes
	}
	if stale == 0 {
		t.Fatal("no node kept stale")
	}
	g, err := st.Load(ctx, graph.Filter{})
	if err != nil {
		t.Fatal(err)
	}
	n := g.Node(gcptest.AdminVM)
	if n == nil || !n.Stale {
		t.Fatalf("admin-vm after the failed sync = %+v, want present and stale", n)
	}
	if findRoute(t, g, labRoute()) == nil {
		t.Fatal("the documented route was lost with the failed area")
	}
}
