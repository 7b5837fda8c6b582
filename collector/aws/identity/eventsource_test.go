package identity

import (
	"slices"
	"testing"

	"github.com/breachpath/breachpath/collector/aws/inventory"
	"github.com/breachpath/breachpath/graph"
)

// TestSendingToAFunctionsQueueDrivesTheFunction: a principal allowed sqs:SendMessage on a queue an
// active event source mapping polls for a function chooses the function's events: a conditional
// move onto the function, citing the queue's finding. Other queue rights, a disabled mapping, a
// queue policy denying the sender, and the function's own role give nothing.
func TestSendingToAFunctionsQueueDrivesTheFunction(t *testing.T) {
	queue := "arn:aws:sqs:us-east-1:" + acct + ":orders"
	fn := "arn:aws:lambda:us-east-1:" + acct + ":function:charge"
	for _, tt := range []struct {
		name   string
		sender []stmt
		state  string
		policy string
		want   bool
	}{
		{name: "SendMessage on the queue", sender: []stmt{allow(queue, "sqs:SendMessage")}, state: "Enabled", want: true},
		{name: "a mapping still being created polls once created", sender: []stmt{allow(queue, "sqs:SendMessage")}, state: "Creating", want: true},
		{name: "only reading the queue", sender: []stmt{allow(queue, "sqs:ReceiveMessage", "sqs:GetQueueUrl")}, state: "Enabled"},
		{name: "the mapping is disabled", sender: []stmt{allow(queue, "sqs:SendMessage")}, state: "Disabled"},
		{name: "the queue policy denies the sender", sender: []stmt{allow(queue, "sqs:SendMessage")}, state: "Enabled",
			policy: `{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Principal":{"AWS":"` + iamARN("user/sender") + `"},"Action":"sqs:SendMessage","Resource":"*"}]}`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			inv := newInv()
			role := addRole(inv, "charge", trustDoc(map[string]any{"Service": "lambda.amazonaws.com"}, nil), doc(allow(queue, "sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:SendMessage")))
			r := inv.Region("us-east-1")
			r.Queues = []inventory.Queue{{Name: "orders", ARN: queue, Policy: tt.policy}}
			r.Functions = []inventory.LambdaFunction{{Name: "charge", ARN: fn, Role: role.ARN,
				EventSources: []inventory.LambdaEventSource{{UUID: "u-1", SourceARN: queue, State: tt.state}}}}
			u := iamARN("user/sender")
			addUser(inv, "sender", doc(tt.sender...))
			part := build(t, inv)
			e := findEdge(part, u, graph.EdgeEscalatesTo, fn, TechSQSEventSource)
			if (e != nil) != tt.want {
				t.Fatalf("sender -> function present=%v, want %v\n%s", e != nil, tt.want, dumpEdges(part, u))
			}
			if findEdge(part, role.ARN, graph.EdgeEscalatesTo, fn, TechSQSEventSource) != nil {
				t.Fatalf("the function's own role is drawn driving it")
			}
			if e == nil {
				return
			}
			if !e.Conditional || len(e.Findings) != 1 || e.Findings[0] != graph.FindingID(RuleQueueDrivesFunction, queue) || !hasEvidence(e, "u-1") {
				t.Fatalf("edge %+v: want conditional, citing the queue's finding, naming the mapping", e)
			}
			if !slices.ContainsFunc(part.Findings, func(f graph.Finding) bool { return f.ID == e.Findings[0] }) {
				t.Fatalf("the cited finding is not in the part")
			}
		})
	}
}
