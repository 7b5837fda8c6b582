package queries_test

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/breachpath/breachpath/graph"
	"github.com/breachpath/breachpath/queries"
)

// The cycle scope: a second AWS account whose roles assume each other in a
// ring that passes through the feature scope's worker role (stored here as
// a stub: the owned copy must give its account), with an admin in it; two
// users escalating to each other; and decoys — a one-way chain, a loop of
// network moves (REACHES is not escalation).
const (
	cycAcct  = "999900000002"
	cycA     = "arn:aws:iam::999900000002:role/ring-a"
	cycB     = "arn:aws:iam::999900000002:role/ring-b"
	cycAdmin = "arn:aws:iam::999900000002:role/ring-admin"
	cycU1    = "arn:aws:iam::999900000002:user/ursula"
	cycU2    = "arn:aws:iam::999900000002:user/viktor"
	cycChain = "arn:aws:iam::999900000002:role/one-way"
	cycVM1   = "arn:aws:ec2:us-east-1:999900000002:instance/i-1"
	cycVM2   = "arn:aws:ec2:us-east-1:999900000002:instance/i-2"
)

func cycleSnapshot() *graph.Snapshot {
	node := func(id string, k graph.Kind, name string) graph.Node {
		return graph.Node{ID: id, Kind: k, Cloud: graph.CloudAWS, Name: name, Account: cycAcct, Service: "iam", Region: "global"}
	}
	admin := node(cycAdmin, graph.KindRole, "ring-admin")
	admin.CrownJewel = true
	worker := graph.Node{ID: featWorkRole, Kind: graph.KindRole, Cloud: graph.CloudAWS, Name: "stub-copy", Stub: true}
	return &graph.Snapshot{
		Scope: graph.Scope{Cloud: graph.CloudAWS, ID: cycAcct}, CollectedAt: featTime, Collector: "test",
		Nodes: []graph.Node{
			node(cycA, graph.KindRole, "ring-a"), node(cycB, graph.KindRole, "ring-b"), admin, worker,
			node(cycU1, graph.KindUser, "ursula"), node(cycU2, graph.KindUser, "viktor"), node(cycChain, graph.KindRole, "one-way"),
			{ID: cycVM1, Kind: graph.KindCompute, Cloud: graph.CloudAWS, Account: cycAcct, Name: "vm-1"},
			{ID: cycVM2, Kind: graph.KindCompute, Cloud: graph.CloudAWS, Account: cycAcct, Name: "vm-2"},
		},
		Edges: []graph.Edge{
			move(cycA, cycB, graph.EdgeAssumes, "aws.sts.assume-role"),
			move(cycB, cycAdmin, graph.EdgeAssumes, "aws.sts.assume-role"),
			move(cycAdmin, featWorkRole, graph.EdgeEscalatesTo, "aws.iam.pass-role"),
			move(featWorkRole, cycA, graph.EdgeAssumes, "aws.sts.assume-role"),
			move(cycU1, cycU2, graph.EdgeEscalatesTo, "aws.iam.create-access-key"),
			cond(move(cycU2, cycU1, graph.EdgeEscalatesTo, "aws.iam.create-access-key")),
			move(cycA, cycChain, graph.EdgeAssumes, "aws.sts.assume-role"),
			move(cycVM1, cycVM2, graph.EdgeReaches, "net.lateral"),
			move(cycVM2, cycVM1, graph.EdgeReaches, "net.lateral"),
		},
	}
}

// TestEscalationCyclesListsEachLoopOnce: the ring across two accounts
// (with its admin) and the two users, larger first; the one-way role and
// the network loop are left out.
func TestEscalationCyclesListsEachLoopOnce(t *testing.T) {
	q, _ := queries.Get("escalation-cycles")
	res, err := q.Run(context.Background(), assemble([]*graph.Snapshot{featureSnapshot(true), cycleSnapshot()}), nil)
	if err != nil {
		t.Fatal(err)
	}
	want := [][]any{
		{featWorkRole, int64(4), []string{featWorkRole, cycA, cycAdmin, cycB}, []string{featAcct, cycAcct}, true},
		{cycU1, int64(2), []string{cycU1, cycU2}, []string{cycAcct}, false},
	}
	got, _ := json.Marshal(res.Rows)
	exp, _ := json.Marshal(want)
	if string(got) != string(exp) {
		t.Errorf("rows\n got %s\nwant %s", got, exp)
	}
}
