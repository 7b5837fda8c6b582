package web_test

import (
	"bytes"
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/breachpath/breachpath/graph"
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
	stdout := runExplorerScript(t, "compromised", compromisedEstate())
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
	if err := json.Unmarshal(bytes.TrimSpace(stdout), &res); err != nil {
		t.Fatalf("e2e output %q: %v", string(stdout), err)
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
