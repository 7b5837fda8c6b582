package web_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/breachpath/breachpath/api"
	"github.com/breachpath/breachpath/graph"
	"github.com/breachpath/breachpath/graph/embedded"
	"github.com/breachpath/breachpath/paths"
	"github.com/breachpath/breachpath/scoring/drift"
	"github.com/breachpath/breachpath/web"
)

// newSinceEstate: the Internet reaches the web instance, whose role reads
// customer data; with second, a batch instance with the same role is exposed
// too, which opens a second attack path.
func newSinceEstate(at time.Time, second bool) *graph.Snapshot {
	const acct = "123456789012"
	role := "arn:aws:iam::" + acct + ":role/app"
	bucket := "arn:aws:s3:::customer-data"
	vm := func(name string) string { return "arn:aws:ec2:us-east-1:" + acct + ":instance/i-" + name }
	node := func(id string, kind graph.Kind, name string) graph.Node {
		return graph.Node{ID: id, Kind: kind, Cloud: graph.CloudAWS, Account: acct, Name: name, Service: "ec2"}
	}
	data := node(bucket, graph.KindBucket, "customer-data")
	data.Sensitivity = graph.SensitivityRestricted
	s := &graph.Snapshot{
		Scope: graph.Scope{Cloud: graph.CloudAWS, ID: acct}, CollectedAt: at, Collector: "newsince-fixture",
		Nodes: []graph.Node{{ID: graph.InternetID, Kind: graph.KindInternet, Stub: true}, node(vm("web"), graph.KindCompute, "web"),
			node(role, graph.KindRole, "app"), data},
		Edges: []graph.Edge{
			{From: graph.InternetID, To: vm("web"), Kind: graph.EdgeExposedTo, Technique: "net.internet-exposure"},
			{From: vm("web"), To: role, Kind: graph.EdgeUsesIdentity, Technique: "aws.ec2.instance-profile"},
			{From: role, To: bucket, Kind: graph.EdgeReads, Technique: "aws.s3.reads"},
		},
	}
	if second {
		s.Nodes = append(s.Nodes, node(vm("batch"), graph.KindCompute, "batch"))
		s.Edges = append(s.Edges,
			graph.Edge{From: graph.InternetID, To: vm("batch"), Kind: graph.EdgeExposedTo, Technique: "net.internet-exposure"},
			graph.Edge{From: vm("batch"), To: role, Kind: graph.EdgeUsesIdentity, Technique: "aws.ec2.instance-profile"})
	}
	return s
}

// TestExplorerHighlightsPathsNewSinceASync drives the explorer in headless
// Chromium over two syncs recorded in the change ledger, the second of
// which opened one attack path: choosing "new since" the first sync (from
// the ledger's list) or the last 24 hours marks exactly that path, and
// turning it off marks none.
func TestExplorerHighlightsPathsNewSinceASync(t *testing.T) {
	chromium := needBrowser(t)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	dir := t.TempDir()
	st, err := embedded.Open(ctx, filepath.Join(dir, "newsince.db"), embedded.WithLogger(quiet))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	ledgerPath := filepath.Join(dir, "newsince.db.changes")
	l, err := drift.OpenLedger(ctx, ledgerPath)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	now := time.Now().UTC()
	var obs []*drift.Observation
	for i, snap := range []*graph.Snapshot{newSinceEstate(now.Add(-2*time.Hour), false), newSinceEstate(now.Add(-time.Hour), true)} {
		if _, err := st.Sync(ctx, snap); err != nil {
			t.Fatal(err)
		}
		o, err := drift.Record(ctx, st, l, paths.Options{}, snap.CollectedAt)
		if err != nil {
			t.Fatal(err)
		}
		if len(o.Paths) != i+1 {
			t.Fatalf("sync %d: %d paths, want %d", i+1, len(o.Paths), i+1)
		}
		obs = append(obs, o)
	}
	var newID string
	for _, p := range obs[1].Paths {
		if p.ID != obs[0].Paths[0].ID {
			newID = p.ID
		}
	}
	const token = "newsince-e2e-token-0123456789"
	srv, err := api.New(api.Config{Store: st, Token: token, Logger: quiet, Assets: web.Assets(), Rate: 1000, Burst: 1000, ChangesPath: ledgerPath})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(srv)
	defer ts.Close()
	cmd := exec.CommandContext(ctx, "node", filepath.Join("e2e", "newsince.e2e.mjs"))
	cmd.Env = append(os.Environ(), "BP_URL="+ts.URL+"/", "BP_TOKEN="+token, "BP_CHROMIUM="+chromium)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("newsince e2e script: %v\nstderr:\n%s", err, stderr.String())
	}
	var res struct {
		ConsoleErrors []string                     `json:"consoleErrors"`
		Options       []string                     `json:"options"`
		Marks         map[string]map[string]string `json:"marks"`
		Summaries     map[string]string            `json:"summaries"`
	}
	if err := json.Unmarshal(bytes.TrimSpace(stdout.Bytes()), &res); err != nil {
		t.Fatalf("e2e output %q: %v", stdout.String(), err)
	}
	if len(res.ConsoleErrors) > 0 {
		t.Fatalf("console errors: %q", res.ConsoleErrors)
	}
	first := "sync:" + itoa(obs[0].SyncID)
	if !slices.Contains(res.Options, first) || !slices.Contains(res.Options, "sync:"+itoa(obs[1].SyncID)) {
		t.Errorf("the ledger's syncs are not offered: %v", res.Options)
	}
	for _, choice := range []string{first, "24h", ""} {
		marks := res.Marks[choice]
		if len(marks) != 2 {
			t.Errorf("%q: %d paths listed, want 2: %v", choice, len(marks), marks)
			continue
		}
		for id, m := range marks {
			want := choice != "" && id == newID
			if (m == "true") != want {
				t.Errorf("%q: path %s marked new=%s, want %v", choice, id, m, want)
			}
		}
	}
	if s := res.Summaries[first]; s == "" || s[:5] != "1 new" {
		t.Errorf("summary for %s: %q, want it to start with 1 new", first, s)
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
