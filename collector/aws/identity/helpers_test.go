package identity

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/breachpath/breachpath/collector/aws/inventory"
	"github.com/breachpath/breachpath/graph"
)

const (
	acct  = "111111111111"
	other = "222222222222" // outside the organization
	peer  = "333333333333" // same organization
)

var testNow = time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)

func iamARN(res string) string { return "arn:aws:iam::" + acct + ":" + res }

func adminNode() string { return AccountAdminID("aws", acct) }

type stmt struct {
	Sid       string         `json:"Sid,omitempty"`
	Effect    string         `json:"Effect"`
	Principal any            `json:"Principal,omitempty"`
	Action    any            `json:"Action"`
	Resource  any            `json:"Resource,omitempty"`
	Condition map[string]any `json:"Condition,omitempty"`
}

func doc(stmts ...stmt) string {
	b, err := json.Marshal(map[string]any{"Version": "2012-10-17", "Statement": stmts})
	if err != nil {
		panic(err)
	}
	return string(b)
}

func allow(resource string, actions ...string) stmt {
	return stmt{Effect: "Allow", Action: actions, Resource: resource}
}

func deny(resource string, actions ...string) stmt {
	return stmt{Effect: "Deny", Action: actions, Resource: resource}
}

func trustDoc(principal any, cond map[string]any) string {
	return doc(stmt{Effect: "Allow", Principal: principal, Action: "sts:AssumeRole", Condition: cond})
}

func newInv() *inventory.Inventory {
	return &inventory.Inventory{AccountID: acct, Partition: "aws", CollectedAt: testNow, Regions: []string{"us-east-1"}}
}

func addUser(inv *inventory.Inventory, name string, inline ...string) *inventory.User {
	// Read flags set: the tests model a live collection unless they say otherwise.
	u := inventory.User{ARN: iamARN("user/" + name), ID: "AIDA" + strings.ToUpper(name), Name: name, Path: "/", CreateDate: testNow.AddDate(-1, 0, 0),
		AccessKeysRead: true, LoginProfileRead: true}
	for i, d := range inline {
		u.InlinePolicies = append(u.InlinePolicies, inventory.InlinePolicy{Name: fmt.Sprintf("p%d", i), Document: d})
	}
	inv.IAM.Users = append(inv.IAM.Users, u)
	return &inv.IAM.Users[len(inv.IAM.Users)-1]
}

func addRole(inv *inventory.Inventory, name, trust string, inline ...string) *inventory.Role {
	r := inventory.Role{ARN: iamARN("role/" + name), ID: "AROA" + strings.ToUpper(name), Name: name, Path: "/", TrustPolicy: trust}
	for i, d := range inline {
		r.InlinePolicies = append(r.InlinePolicies, inventory.InlinePolicy{Name: fmt.Sprintf("p%d", i), Document: d})
	}
	inv.IAM.Roles = append(inv.IAM.Roles, r)
	return &inv.IAM.Roles[len(inv.IAM.Roles)-1]
}

func addPolicy(inv *inventory.Inventory, name, document string) string {
	arn := iamARN("policy/" + name)
	inv.IAM.Policies = append(inv.IAM.Policies, inventory.ManagedPolicy{ARN: arn, Name: name, Path: "/", DefaultVersionID: "v1", Document: document, IsAttachable: true})
	return arn
}

func addProfile(inv *inventory.Inventory, name string, roles ...string) string {
	arn := iamARN("instance-profile/" + name)
	inv.IAM.InstanceProfiles = append(inv.IAM.InstanceProfiles, inventory.InstanceProfile{ARN: arn, Name: name, Path: "/", Roles: roles})
	return arn
}

// build runs Build and checks the part forms a valid snapshot once the resource part's nodes
// (data resources, compute) exist.
func build(t *testing.T, inv *inventory.Inventory) *Part {
	t.Helper()
	part, err := Build(context.Background(), inv, Options{Now: testNow, KnownAccounts: nil})
	if err != nil {
		t.Fatalf("Build: %v", err)
	}
	validate(t, part)
	return part
}

func validate(t testing.TB, part *Part) {
	t.Helper()
	snap := graph.Snapshot{Scope: graph.Scope{Cloud: graph.CloudAWS, ID: acct}, Nodes: append([]graph.Node(nil), part.Nodes...), Edges: part.Edges, Findings: part.Findings}
	have := map[string]bool{}
	for _, n := range part.Nodes {
		have[n.ID] = true
	}
	for _, e := range part.Edges {
		for _, id := range []string{e.From, e.To} {
			if !have[id] {
				have[id] = true // a node the resource part owns
				snap.Nodes = append(snap.Nodes, graph.Node{ID: id, Kind: graph.KindBucket, Cloud: graph.CloudAWS, Account: acct})
			}
		}
	}
	if err := snap.Validate(); err != nil {
		t.Fatalf("part is not a valid snapshot: %v", err)
	}
}

func findEdge(part *Part, from string, kind graph.EdgeKind, to, technique string) *graph.Edge {
	for i := range part.Edges {
		e := &part.Edges[i]
		if e.From == from && e.Kind == kind && e.To == to && (technique == "" || e.Technique == technique) {
			return e
		}
	}
	return nil
}

func findFinding(part *Part, rule, resource string) *graph.Finding {
	for i := range part.Findings {
		f := &part.Findings[i]
		if f.RuleID == rule && (resource == "" || f.Resource == resource) {
			return f
		}
	}
	return nil
}

func findNode(part *Part, id string) *graph.Node {
	for i := range part.Nodes {
		if part.Nodes[i].ID == id {
			return &part.Nodes[i]
		}
	}
	return nil
}

func hasEvidence(e *graph.Edge, sub string) bool {
	for _, s := range e.Evidence {
		if strings.Contains(s, sub) {
			return true
		}
	}
	return false
}

func dumpEdges(part *Part, from string) string {
	var sb strings.Builder
	for _, e := range part.Edges {
		if from == "" || e.From == from {
			fmt.Fprintf(&sb, "  %s -[%s %s cond=%v]-> %s %v\n", e.From, e.Kind, e.Technique, e.Conditional, e.To, e.Evidence)
		}
	}
	return sb.String()
}
