package identity

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/breachpath/breachpath/graph"
)

// TechSQSEventSource: a principal that may sqs:SendMessage to a queue that is an enabled event
// source of a Lambda function chooses the events the function runs on — Lambda polls the queue and
// invokes the function with each message, as the function's execution role. The move lands on the
// function like a caller of a public function URL does (its role, its network position), and is
// always conditional: what a message can make the code do is the code's (CloudGoat sqs_flag_shop:
// a forged charge_amount the function forwards to the shop's web application).
const TechSQSEventSource = "aws.sqs.send-to-function-event-source"

// RuleQueueDrivesFunction is raised on a queue that feeds a function and that a principal other
// than the function's own role may send to.
const RuleQueueDrivesFunction = "aws.sqs.event-source-writable"

// sendMessage is the one action that puts a message in a queue.
var sendMessage = access{graph.EdgeWrites, []string{"sqs:SendMessage"}, false}

// eventSourceMoves draws principal -> function for every principal that may send to a queue an
// enabled event source mapping polls for the function.
func (b *builder) eventSourceMoves(ctx context.Context) error {
	queues := map[string]*dataResource{}
	for _, r := range b.resources {
		if r.typ == typeSQS {
			queues[r.id] = r
		}
	}
	if len(queues) == 0 {
		return nil
	}
	regions := b.regionNames()
	for _, region := range regions {
		rd := b.inv.Regional[region]
		if rd == nil {
			continue
		}
		for fi := range rd.Functions {
			f := &rd.Functions[fi]
			for _, es := range f.EventSources {
				q := queues[es.SourceARN]
				if q == nil || !eventSourceActive(es.State) {
					continue
				}
				for i, p := range b.principals {
					if i%256 == 0 && ctx.Err() != nil {
						return ctx.Err()
					}
					if p.admin || p.id == f.Role {
						continue // administrators reach the function anyway; its own role is its input's reader
					}
					res, target := b.evalAccess(p.caller, p.set, q, sendMessage)
					if !granted(res.Decision) {
						continue
					}
					ev := append([]string{fmt.Sprintf("event source mapping %s (%s) invokes %s with the messages of %s", es.UUID, es.State, f.ARN, q.id)},
						decisionEvidence("sqs:SendMessage", target, res)...)
					ev = append(ev, "what a message can make the function do depends on its code (conditional)")
					fid := b.addFinding(graph.Finding{RuleID: RuleQueueDrivesFunction, Resource: q.id, Severity: graph.SeverityMedium,
						Title:       "Queue that invokes a function accepts messages from principals other than the function",
						Evidence:    fmt.Sprintf("%s may send to %s, whose messages invoke %s", p.id, q.id, f.ARN),
						Remediation: "Grant sqs:SendMessage on the queue only to the producers that need it, and validate every message in the function as untrusted input."})
					b.addEdge(graph.Edge{From: p.id, To: f.ARN, Kind: graph.EdgeEscalatesTo, Technique: TechSQSEventSource, Conditional: true,
						Likelihood: 0.4, Evidence: ev, Findings: []string{fid}, Props: graph.Props{"via": []string{q.id}}})
				}
			}
		}
	}
	return nil
}

// eventSourceActive: a mapping that is not being disabled or deleted polls its source.
func eventSourceActive(state string) bool {
	switch strings.ToLower(state) {
	case "disabled", "disabling", "deleting":
		return false
	}
	return true
}

// regionNames lists the inventory's regions in order, for deterministic output.
func (b *builder) regionNames() []string {
	return slices.Sorted(maps.Keys(b.inv.Regional))
}
