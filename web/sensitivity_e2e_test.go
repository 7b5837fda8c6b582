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

// sensitivityEstate: the Internet reaches the web instance, whose role
// reads two buckets: customer-data, which a classifier marked restricted
// (the reason recorded as the sensitivity rules record it), and archive-7,
// which nothing classifies; a third bucket, logs-old, is unclassified and
// out of reach.
func sensitivityEstate() *graph.Snapshot {
	const acct = "123456789012"
	role := "arn:aws:iam::" + acct + ":role/app"
	vm := "arn:aws:ec2:us-east-1:" + acct + ":instance/i-web"
	node := func(id string, kind graph.Kind, name string) graph.Node {
		return graph.Node{ID: id, Kind: kind, Cloud: graph.CloudAWS, Account: acct, Name: name, Service: "s3"}
	}
	data := node("arn:aws:s3:::customer-data", graph.KindBucket, "customer-data")
	data.Sensitivity = graph.SensitivityRestricted
	data.Props = graph.Props{"sensitivity_level": "restricted", "sensitivity_source": "classifier",
		"sensitivity_rule": "Amazon Macie automated discovery (macie_discovery_sensitivity=restricted)"}
	return &graph.Snapshot{
		Scope: graph.Scope{Cloud: graph.CloudAWS, ID: acct}, CollectedAt: time.Now().UTC(), Collector: "sensitivity-fixture",
		Nodes: []graph.Node{{ID: graph.InternetID, Kind: graph.KindInternet, Stub: true}, node(vm, graph.KindCompute, "web"),
			node(role, graph.KindRole, "app"), data, node("arn:aws:s3:::archive-7", graph.KindBucket, "archive-7"),
			node("arn:aws:s3:::logs-old", graph.KindBucket, "logs-old")},
		Edges: []graph.Edge{
			{From: graph.InternetID, To: vm, Kind: graph.EdgeExposedTo, Technique: "net.internet-exposure"},
			{From: vm, To: role, Kind: graph.EdgeUsesIdentity, Technique: "aws.ec2.instance-profile"},
			{From: role, To: data.ID, Kind: graph.EdgeReads, Technique: "aws.s3.reads"},
			{From: role, To: "arn:aws:s3:::archive-7", Kind: graph.EdgeReads, Technique: "aws.s3.reads"},
		},
	}
}

// TestExplorerShowsSensitivityCoverageAndWhy drives the explorer in
// headless Chromium: the coverage panel shows the API's numbers (two of
// three stores unclassified, the reachable one to classify first), opening
// that store shows no reason, and the classified store's details say a
// cloud classifier decided its level and by which rule.
func TestExplorerShowsSensitivityCoverageAndWhy(t *testing.T) {
	stdout := runExplorerScript(t, "sensitivity", sensitivityEstate())
	var res struct {
		ConsoleErrors []string   `json:"consoleErrors"`
		Summary       string     `json:"summary"`
		Stores        string     `json:"stores"`
		Unclassified  string     `json:"unclassified"`
		Scopes        [][]string `json:"scopes"`
		ClassifyFirst []string   `json:"classifyFirst"`
		FirstWhy      int        `json:"firstWhy"`
		WhySource     string     `json:"whySource"`
		WhyText       string     `json:"whyText"`
	}
	if err := json.Unmarshal(bytes.TrimSpace(stdout), &res); err != nil {
		t.Fatalf("e2e output %q: %v", string(stdout), err)
	}
	if len(res.ConsoleErrors) > 0 {
		t.Fatalf("console errors: %q", res.ConsoleErrors)
	}
	if res.Stores != "3" || res.Unclassified != "2" || !strings.HasPrefix(res.Summary, "2 of 3 data stores unclassified") {
		t.Errorf("coverage = %s stores, %s unclassified, %q", res.Stores, res.Unclassified, res.Summary)
	}
	if len(res.Scopes) != 1 || !slices.Equal(res.Scopes[0], []string{"123456789012", "2"}) {
		t.Errorf("scopes = %v", res.Scopes)
	}
	if !slices.Equal(res.ClassifyFirst, []string{"arn:aws:s3:::archive-7"}) {
		t.Errorf("classify first = %v, want only the reachable unclassified archive-7", res.ClassifyFirst)
	}
	if res.FirstWhy != 0 {
		t.Error("an unclassified store shows a reason")
	}
	if res.WhySource != "classifier" || !strings.Contains(res.WhyText, "a cloud classifier") ||
		!strings.Contains(res.WhyText, "Amazon Macie automated discovery (macie_discovery_sensitivity=restricted)") {
		t.Errorf("why = %q / %q", res.WhySource, res.WhyText)
	}
}
