package tests

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/breachpath/breachpath/collector/aws/identity"
	"github.com/breachpath/breachpath/collector/aws/inventory"
	"github.com/breachpath/breachpath/graph"
	"github.com/breachpath/breachpath/paths"
	"github.com/breachpath/breachpath/scoring"
)

// escalationActions are the permissions the property test draws random subsets from: enough for
// techniques whose permissions include one another's (ecs-001 ⊃ ecs-003, iam-003 ⊃ iam-002, ...).
var escalationActions = []string{
	"iam:PassRole", "ecs:CreateCluster", "ecs:RegisterTaskDefinition", "ecs:CreateService", "ecs:RunTask", "ecs:StartTask",
	"lambda:CreateFunction", "lambda:InvokeFunction", "lambda:AddPermission", "lambda:UpdateFunctionCode",
	"iam:CreateAccessKey", "iam:DeleteAccessKey", "iam:AttachUserPolicy", "iam:PutUserPolicy",
	"iam:AttachRolePolicy", "iam:UpdateAssumeRolePolicy", "glue:CreateJob", "glue:StartJobRun", "glue:CreateTrigger", "glue:UpdateJob",
	"cloudformation:CreateStack", "codebuild:CreateProject", "codebuild:StartBuild",
}

const propAcct = "123456789012"

func propARN(res string) string { return "arn:aws:iam::" + propAcct + ":" + res }

// propAccount is an account of administrator victims every technique above can reach, and an
// attacker holding perms on every resource.
func propAccount(perms, weakPerms []string) *inventory.Inventory {
	allow := func(actions ...string) string {
		b, _ := json.Marshal(map[string]any{"Version": "2012-10-17", "Statement": []any{map[string]any{"Effect": "Allow", "Action": actions, "Resource": "*"}}})
		return string(b)
	}
	trust := func(svc string) string {
		return `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"` + svc + `"},"Action":"sts:AssumeRole"}]}`
	}
	inv := &inventory.Inventory{AccountID: propAcct, Partition: "aws", Regions: []string{"us-east-1"}}
	inv.IAM.Users = []inventory.User{
		{ARN: propARN("user/attacker"), Name: "attacker", ID: "AIDAATTACKER", Path: "/", AccessKeysRead: true, LoginProfileRead: true,
			InlinePolicies: []inventory.InlinePolicy{{Name: "p", Document: allow(append([]string{"s3:ListAllMyBuckets"}, perms...)...)}}},
		{ARN: propARN("user/admin"), Name: "admin", ID: "AIDAADMIN", Path: "/", AccessKeysRead: true, LoginProfileRead: true,
			AccessKeys:     []inventory.AccessKey{{ID: "AKIA0000000000000001", Status: "Active"}},
			InlinePolicies: []inventory.InlinePolicy{{Name: "p", Document: allow("*")}}},
		{ARN: propARN("user/full"), Name: "full", ID: "AIDAFULL", Path: "/", AccessKeysRead: true, LoginProfileRead: true,
			AccessKeys:     []inventory.AccessKey{{ID: "AKIA0000000000000002", Status: "Active"}, {ID: "AKIA0000000000000003", Status: "Active"}},
			InlinePolicies: []inventory.InlinePolicy{{Name: "p", Document: allow("*")}}},
	}
	for _, svc := range []string{"ecs-tasks.amazonaws.com", "lambda.amazonaws.com", "glue.amazonaws.com", "cloudformation.amazonaws.com", "codebuild.amazonaws.com"} {
		name := strings.SplitN(svc, ".", 2)[0]
		inv.IAM.Roles = append(inv.IAM.Roles, inventory.Role{ARN: propARN("role/" + name), Name: name, ID: "AROA" + strings.ToUpper(name), Path: "/",
			TrustPolicy: trust(svc), InlinePolicies: []inventory.InlinePolicy{{Name: "p", Document: allow("*")}}})
	}
	// A weak role an existing function runs as, and a task definition running as the ECS role.
	inv.IAM.Roles = append(inv.IAM.Roles, inventory.Role{ARN: propARN("role/weak"), Name: "weak", ID: "AROAWEAK", Path: "/",
		TrustPolicy: trust("lambda.amazonaws.com"), InlinePolicies: []inventory.InlinePolicy{{Name: "p", Document: allow(append([]string{"s3:ListAllMyBuckets"}, weakPerms...)...)}}})
	r := inv.Region("us-east-1")
	r.Functions = []inventory.LambdaFunction{{Name: "fn", ARN: "arn:aws:lambda:us-east-1:" + propAcct + ":function:fn", Role: propARN("role/weak")}}
	r.TaskDefinitions = []inventory.TaskDefinition{{ARN: "arn:aws:ecs:us-east-1:" + propAcct + ":task-definition/app:1", Family: "app", Revision: 1,
		TaskRoleARN: propARN("role/ecs-tasks")}}
	return inv
}

func propGraph(t *testing.T, perms, weakPerms []string) *graph.Graph {
	t.Helper()
	part, err := identity.Build(context.Background(), propAccount(perms, weakPerms), identity.Options{Logger: quietLogger()})
	if err != nil {
		t.Fatal(err)
	}
	nodes := slices.Clone(part.Nodes)
	have := map[string]bool{}
	for _, n := range nodes {
		have[n.ID] = true
	}
	for _, e := range part.Edges {
		for _, id := range []string{e.From, e.To} {
			if !have[id] { // a workload node the resource part owns
				have[id] = true
				nodes = append(nodes, graph.Node{ID: id, Kind: graph.KindFunction, Cloud: graph.CloudAWS, Account: propAcct})
			}
		}
	}
	return graph.Assemble(nodes, part.Edges, part.Findings)
}

// TestFixingThePlanLeavesNoPath: for random permission subsets, the choke-point plan's fixes,
// applied the way a team would (remove one permission of each cited technique from the
// attacker), leave no path to the administrator under any technique. A technique skipped
// because a larger one already reached the same target would be the bypass this catches.
func TestFixingThePlanLeavesNoPath(t *testing.T) {
	ctx := context.Background()
	admin := identity.AccountAdminID("aws", propAcct)
	attacker := propARN("user/attacker")
	search := paths.Options{Sources: []string{attacker}, Targets: []string{admin}, MaxDepth: 6, Top: 16}
	byRule := map[string]identity.Technique{}
	for _, tech := range identity.Techniques {
		byRule[identity.RulePrivescPrefix+strings.TrimPrefix(tech.ID, "aws.")] = tech
	}
	checked := 0
	for seed := range uint64(150) {
		rng := rand.New(rand.NewPCG(seed, 13))
		var perms []string
		for _, a := range escalationActions {
			if rng.IntN(2) == 0 {
				perms = append(perms, a)
			}
		}
		weak := []string{"iam:AttachRolePolicy"}
		g := propGraph(t, perms, weak)
		plan, err := scoring.PlanProjection(ctx, paths.NewProjection(g), scoring.PlanOptions{Search: search})
		if err != nil {
			t.Fatal(err)
		}
		if plan.PathsBefore == 0 || len(plan.UncuttableTargets) > 0 {
			continue
		}
		checked++
		// Each step is fixed on the principal its finding is on: the attacker or the weak role.
		fixed, weakFixed := slices.Clone(perms), slices.Clone(weak)
		for _, st := range plan.Steps {
			tech, ok := byRule[st.RuleID]
			if !ok {
				t.Fatalf("seed %d: plan step %s is not a privilege-escalation finding", seed, st.RuleID)
			}
			drop := tech.Perms[rng.IntN(len(tech.Perms))].Action
			switch st.Resource {
			case attacker:
				fixed = slices.DeleteFunc(fixed, func(a string) bool { return a == drop })
			case propARN("role/weak"):
				weakFixed = slices.DeleteFunc(weakFixed, func(a string) bool { return a == drop })
			default:
				t.Fatalf("seed %d: plan step on %s", seed, st.Resource)
			}
		}
		after, err := paths.NewProjection(propGraph(t, fixed, weakFixed)).Search(ctx, search)
		if err != nil {
			t.Fatal(err)
		}
		if len(after.Paths) > 0 {
			p := after.Paths[0]
			var hops []string
			for _, h := range p.Hops {
				hops = append(hops, h.Technique)
			}
			t.Fatalf("seed %d: permissions %v, plan %d steps, fixed to %v: a path remains via %v", seed, perms, len(plan.Steps), fixed, hops)
		}
	}
	if checked < 20 {
		t.Fatalf("only %d of 150 subsets had a cuttable path; the property is not exercised", checked)
	}
}

// quietLogger drops the identity builder's warnings (the property accounts are well-formed).
func quietLogger() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }
