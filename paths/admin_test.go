package paths

import (
	"context"
	"testing"

	"github.com/breachpath/breachpath/graph"
)

func TestAdminReachersIsTheOneDefinition(t *testing.T) {
	node := func(id string, k graph.Kind, props graph.Props, crown bool) graph.Node {
		return graph.Node{ID: id, Kind: k, Name: id, Cloud: graph.CloudAWS, Account: "1", Props: props, CrownJewel: crown}
	}
	move := func(from, to string, k graph.EdgeKind, tech string, cond bool) graph.Edge {
		return graph.Edge{From: from, To: to, Kind: k, Technique: tech, Conditional: cond}
	}
	nodes := []graph.Node{
		node("admin", graph.KindRole, graph.Props{"admin": true}, true),
		node("dev", graph.KindUser, nil, false),    // assumes ops, which escalates
		node("ops", graph.KindRole, nil, false),    // escalates to admin
		node("pol", graph.KindPolicy, nil, false),  // a shared policy relaying its holders' move
		node("holder", graph.KindUser, nil, false), // holds pol
		node("fn", graph.KindRole, graph.Props{graph.PropServiceOnly: true}, false),
		node("maybe", graph.KindUser, nil, false),  // only a conditional move
		node("far", graph.KindUser, nil, false),    // seven hops away
		node("reader", graph.KindUser, nil, false), // reads data only
		node("bucket", graph.KindBucket, nil, true),
	}
	edges := []graph.Edge{
		move("dev", "ops", graph.EdgeAssumes, "aws.sts.assume-role", false),
		move("ops", "admin", graph.EdgeEscalatesTo, "aws.iam.put-role-policy", false),
		move("holder", "pol", graph.EdgeEscalatesTo, "aws.iam.holds-policy", false),
		move("pol", "admin", graph.EdgeEscalatesTo, "aws.lambda.passrole-create-function-invoke", false),
		move("fn", "admin", graph.EdgeEscalatesTo, "aws.iam.attach-role-policy", false),
		move("maybe", "ops", graph.EdgeEscalatesTo, "aws.codebuild.start-build", true),
		move("reader", "bucket", graph.EdgeReads, "aws.s3.reads", false),
	}
	prev := "far"
	for i := range 6 {
		id := string(rune('a' + i))
		nodes = append(nodes, node("hop-"+id, graph.KindRole, nil, false))
		edges = append(edges, move(prev, "hop-"+id, graph.EdgeAssumes, "aws.sts.assume-role", false))
		prev = "hop-" + id
	}
	edges = append(edges, move(prev, "ops", graph.EdgeAssumes, "aws.sts.assume-role", false))
	g := graph.Assemble(nodes, edges, nil)
	got, err := AdminReachers(context.Background(), g, 0)
	if err != nil {
		t.Fatal(err)
	}
	byID := map[string]AdminReach{}
	for _, r := range got {
		byID[r.Principal] = r
	}
	tests := []struct {
		principal   string
		want        bool
		hops        int
		conditional bool
	}{
		{"dev", true, 2, false}, // a chain starting with sts:AssumeRole counts
		{"ops", true, 1, false},
		{"holder", true, 2, false},  // through the policy it holds
		{"pol", false, 0, false},    // a policy is never listed
		{"fn", false, 0, false},     // only a service acts as it
		{"maybe", true, 2, true},    // listed, marked conditional
		{"far", false, 0, false},    // beyond the bound
		{"reader", false, 0, false}, // data access is no escalation
		{"admin", false, 0, false},  // already administrator
	}
	for _, tt := range tests {
		r, ok := byID[tt.principal]
		if ok != tt.want {
			t.Errorf("%s listed=%v, want %v", tt.principal, ok, tt.want)
			continue
		}
		if ok && (r.Hops != tt.hops || r.Conditional != tt.conditional || r.Admin != "admin" || len(r.Chain) != tt.hops) {
			t.Errorf("%s: %+v, want hops %d conditional %v", tt.principal, r, tt.hops, tt.conditional)
		}
	}
}
