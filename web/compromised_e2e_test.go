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
	"strings"
	"testing"
	"time"

	"github.com/breachpath/breachpath/api"
	"github.com/breachpath/breachpath/graph"
	"github.com/breachpath/breachpath/graph/embedded"
	"github.com/breachpath/breachpath/web"
)

// compromisedEstate: the Internet reaches the web instance, whose role
// reads the restricted payroll bucket; a second role, idle, reaches nothing.
func compromisedEstate() *graph.Snapshot {
	const acct = "123456789012"
	node := func(id string, kind graph.Kind, name string) graph.Node {
		return graph.Node{ID: id, Kind: kind, Cloud: graph.CloudAWS, Account: acct, Name: name}
	}
	vm := "arn:aws:ec2:us-east-1:" + acct + ":instance/i-web"
	role := "arn:aws:iam::" + acct + ":role/app"
	payroll := node("arn:aws:s3:::payroll", graph.KindBucket, "payroll")
	payroll.Sensitivity = graph.SensitivityRestricted
	return &graph.Snapshot{
		Scope: graph.Scope{Cloud: graph.CloudAWS, ID: acct}, CollectedAt: time.Now().UTC(), Collector: "compromised-fixture",
		Nodes: []graph.Node{{ID: graph.InternetID, Kind: graph.KindInternet, Stub: true}, node(vm, graph.KindCompute, "web"),
			node(role, graph.KindRole, "app"), payroll, node("arn:aws:iam::"+acct+":role/idle", graph.KindRole, "idle")},
		Edges: []graph.Edge{
			{From: graph.InternetID, To: vm, Kind: graph.EdgeExposedTo, Technique: "net.internet-exposure"},
			{From: vm, To: role, Kind: graph.EdgeUsesIdentity, Technique: "aws.ec2.instance-profile"},
			{From: role, To: payroll.ID, Kind: graph.EdgeReads, Technique: "aws.s3.reads"},
		},
	}
}

// TestExplorerAssumeCompromisedHighlightsReach drives the explorer in
// headless Chromium: "Assume compromised" on the app role lists the path to
// the payroll bucket and highlights the bucket on the canvas; on the idle
// role it says that nothing sensitive is reachable.
func TestExplorerAssumeCompromisedHighlightsReach(t *testing.T) {
	chromium := needBrowser(t)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	st, err := embedded.Open(ctx, filepath.Join(t.TempDir(), "compromised.db"), embedded.WithLogger(quiet))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if _, err := st.Sync(ctx, compromisedEstate()); err != nil {
		t.Fatal(err)
	}
	const token = "compromised-e2e-token-0123456789"
	srv, err := api.New(api.Config{Store: st, Token: token, Logger: quiet, Assets: web.Assets(), Rate: 1000, Burst: 1000})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(srv)
	defer ts.Close()
	cmd := exec.CommandContext(ctx, "node", filepath.Join("e2e", "compromised.e2e.mjs"))
	cmd.Env = append(os.Environ(), "BP_URL="+ts.URL+"/", "BP_TOKEN="+token, "BP_CHROMIUM="+chromium)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("compromised e2e script: %v\nstderr:\n%s", err, stderr.String())
	}
	var res struct {
		ConsoleErrors []string `json:"consoleErrors"`
		AppSummary    string   `json:"appSummary"`
		AppTotal      string   `json:"appTotal"`
		AppTargets    []string `json:"appTargets"`
		Reached       []string `json:"reached"`
		Compromised   []string `json:"compromised"`
		IdleSummary   string   `json:"idleSummary"`
		IdleTotal     string   `json:"idleTotal"`
	}
	if err := json.Unmarshal(bytes.TrimSpace(stdout.Bytes()), &res); err != nil {
		t.Fatalf("e2e output %q: %v", stdout.String(), err)
	}
	if len(res.ConsoleErrors) > 0 {
		t.Fatalf("console errors: %q", res.ConsoleErrors)
	}
	if res.AppTotal != "1" || !slices.Equal(res.AppTargets, []string{"arn:aws:s3:::payroll"}) || !strings.Contains(res.AppSummary, "reaches 1 target") {
		t.Errorf("app role: total %s, targets %v, summary %q; want the one path to payroll", res.AppTotal, res.AppTargets, res.AppSummary)
	}
	if !slices.Contains(res.Reached, "arn:aws:s3:::payroll") || !slices.Equal(res.Compromised, []string{"arn:aws:iam::123456789012:role/app"}) {
		t.Errorf("canvas marks reached %v, compromised %v; want payroll reached from the app role", res.Reached, res.Compromised)
	}
	if res.IdleTotal != "0" || !strings.Contains(res.IdleSummary, "reaches no sensitive target") {
		t.Errorf("idle role: total %s, summary %q; want an empty answer that says why", res.IdleTotal, res.IdleSummary)
	}
}
