package web_test

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/breachpath/breachpath/graph"
)

// conditionalEstate: the Internet reaches a web instance, whose role escalates to the
// administrator only conditionally (an unresolved condition) and after a tag change; the
// administrator reads customer data. Every path is conditional, so are the escalation's finding
// (its queue row) and the role as a principal that can become administrator.
func conditionalEstate() *graph.Snapshot {
	const acct = "123456789012"
	iam := func(res string) string { return "arn:aws:iam::" + acct + ":" + res }
	instance := "arn:aws:ec2:us-east-1:" + acct + ":instance/i-web"
	bucket := "arn:aws:s3:::customer-data"
	node := func(id string, kind graph.Kind, name string) graph.Node {
		return graph.Node{ID: id, Kind: kind, Cloud: graph.CloudAWS, Account: acct, Name: name, Sensitivity: graph.SensitivityNone}
	}
	admin := node(iam("role/admin"), graph.KindRole, "admin")
	admin.CrownJewel = true
	data := node(bucket, graph.KindBucket, "customer-data")
	data.Sensitivity = graph.SensitivityRestricted
	open := graph.Finding{RuleID: "aws.ec2.open-ssh", Resource: instance, Severity: graph.SeverityHigh, Title: "SSH open to the Internet"}
	privesc := graph.Finding{RuleID: "aws.iam.privesc-put-role-policy", Resource: iam("role/web"), Severity: graph.SeverityCritical, Title: "Privilege escalation"}
	retag := graph.Finding{RuleID: "aws.iam.abac-retag", Resource: iam("role/web"), Severity: graph.SeverityHigh, Title: "Attacker-controlled tags"}
	for _, f := range []*graph.Finding{&open, &privesc, &retag} {
		f.ID = graph.FindingID(f.RuleID, f.Resource)
	}
	return &graph.Snapshot{
		Scope: graph.Scope{Cloud: graph.CloudAWS, ID: acct}, CollectedAt: time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC), Collector: "conditional-fixture",
		Nodes: []graph.Node{
			{ID: graph.InternetID, Kind: graph.KindInternet, Stub: true},
			node(instance, graph.KindCompute, "web"), node(iam("role/web"), graph.KindRole, "web-role"), admin, data,
		},
		Edges: []graph.Edge{
			{From: graph.InternetID, To: instance, Kind: graph.EdgeExposedTo, Technique: "net.internet-exposure", Findings: []string{open.ID}},
			{From: instance, To: iam("role/web"), Kind: graph.EdgeUsesIdentity, Technique: "aws.ec2.instance-profile"},
			{From: iam("role/web"), To: iam("role/admin"), Kind: graph.EdgeEscalatesTo, Technique: "aws.iam.put-role-policy", Conditional: true,
				Findings: []string{privesc.ID, retag.ID}, Props: graph.Props{graph.PropTagStep: "iam:TagRole on " + iam("role/admin") + " sets team=web"},
				Evidence: []string{"tag step: iam:TagRole on " + iam("role/admin") + " sets team=web first, so that its tags meet the condition", "conditional on aws:sourceip"}},
			{From: iam("role/admin"), To: bucket, Kind: graph.EdgeReads, Technique: "aws.s3.reads"},
		},
		Findings: []graph.Finding{open, privesc, retag},
	}
}

// TestExplorerMarksConditionalMoves drives the explorer in headless Chromium over an estate whose
// escalation is conditional and needs a tag change: the path list, the drawn hop (dashed class),
// the hop in the panel (badge, tag step), the escalation's finding card (the queue row's
// conditional flag) and the "can become administrator" list (GET /paths?target=admin) all mark
// it, and the unconditional hops and findings are not marked.
func TestExplorerMarksConditionalMoves(t *testing.T) {
	stdout := runExplorerScript(t, "conditional", conditionalEstate())
	var res struct {
		ConsoleErrors    []string            `json:"consoleErrors"`
		PathsConditional []string            `json:"pathsConditional"`
		HopClasses       []string            `json:"hopClasses"`
		PanelHops        []map[string]string `json:"panelHops"`
		Findings         map[string]string   `json:"findings"`
		Admins           map[string]string   `json:"admins"`
	}
	if err := json.Unmarshal(bytes.TrimSpace(stdout), &res); err != nil {
		t.Fatalf("e2e output %q: %v", string(stdout), err)
	}
	if len(res.ConsoleErrors) > 0 {
		t.Fatalf("console errors: %q", res.ConsoleErrors)
	}
	if len(res.PathsConditional) == 0 || strings.Contains(strings.Join(res.PathsConditional, ","), "false") {
		t.Errorf("every listed path is conditional and must be marked: %v", res.PathsConditional)
	}
	dashed := 0
	for _, c := range res.HopClasses {
		if strings.Contains(c, "conditional") {
			dashed++
		}
	}
	if dashed != 1 || len(res.HopClasses) < 3 {
		t.Errorf("exactly the escalation hop must be drawn conditional: %v", res.HopClasses)
	}
	marked := 0
	for _, h := range res.PanelHops {
		if h["conditional"] == "true" {
			marked++
			if !strings.Contains(h["text"], "conditional") || !strings.Contains(h["tagStep"], "iam:TagRole on arn:aws:iam::123456789012:role/admin sets team=web") ||
				!strings.Contains(h["text"], "step 1: tag change") {
				t.Errorf("the conditional hop must show its badge and its tag step: %v", h)
			}
		} else if strings.Contains(h["text"], "step 1: tag change") {
			t.Errorf("a hop without a tag step shows one: %v", h)
		}
	}
	if marked != 1 {
		t.Errorf("exactly one hop of the panel is conditional, %d marked: %v", marked, res.PanelHops)
	}
	privesc := graph.FindingID("aws.iam.privesc-put-role-policy", "arn:aws:iam::123456789012:role/web")
	open := graph.FindingID("aws.ec2.open-ssh", "arn:aws:ec2:us-east-1:123456789012:instance/i-web")
	if res.Findings[privesc] != "true" {
		t.Errorf("the escalation's finding enables only conditional paths and must be marked: %v", res.Findings)
	}
	if _, ok := res.Findings[open]; !ok {
		t.Errorf("the exposure finding is not shown: %v", res.Findings)
	}
	if res.Admins["arn:aws:iam::123456789012:role/web"] != "true" {
		t.Errorf("the web role becomes administrator only conditionally and must be marked: %v", res.Admins)
	}
}
