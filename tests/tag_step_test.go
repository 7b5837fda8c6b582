package tests

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/breachpath/breachpath/collector/aws/identity"
	"github.com/breachpath/breachpath/collector/aws/inventory"
	"github.com/breachpath/breachpath/graph"
	"github.com/breachpath/breachpath/paths"
	"github.com/breachpath/breachpath/scoring"
)

// tagStepAccount: the attacker may create access keys for users tagged developer=true and, when
// canTag, tag users; the administrator is tagged developer=false and has no access key.
func tagStepAccount(canTag bool) *graph.Graph {
	doc := func(stmts ...any) string {
		b, _ := json.Marshal(map[string]any{"Version": "2012-10-17", "Statement": stmts})
		return string(b)
	}
	stmts := []any{map[string]any{"Effect": "Allow", "Action": "iam:CreateAccessKey", "Resource": "*",
		"Condition": map[string]any{"StringEquals": map[string]any{"aws:ResourceTag/developer": "true"}}}}
	if canTag {
		stmts = append(stmts, map[string]any{"Effect": "Allow", "Action": "iam:TagUser", "Resource": "*"})
	}
	inv := &inventory.Inventory{AccountID: propAcct, Partition: "aws", Regions: []string{"us-east-1"}}
	inv.IAM.Users = []inventory.User{
		{ARN: propARN("user/attacker"), Name: "attacker", ID: "AIDAATTACKER", Path: "/", AccessKeysRead: true, LoginProfileRead: true,
			InlinePolicies: []inventory.InlinePolicy{{Name: "p", Document: doc(stmts...)}}},
		{ARN: propARN("user/admin"), Name: "admin", ID: "AIDAADMIN", Path: "/", AccessKeysRead: true, LoginProfileRead: true,
			Tags:           inventory.Tags{"developer": "false"},
			InlinePolicies: []inventory.InlinePolicy{{Name: "p", Document: doc(map[string]any{"Effect": "Allow", "Action": "*", "Resource": "*"})}}},
	}
	part, err := identity.Build(context.Background(), inv, identity.Options{Logger: quietLogger()})
	if err != nil {
		panic(err)
	}
	return graph.Assemble(part.Nodes, part.Edges, part.Findings)
}

// TestTagStepIsAStepOfThePath: a move that needs a tag change first carries it as a step of its
// own through the path engine: the hop names it (paths.Hop.TagStep, first in the explanation),
// cites its own finding, and removing that finding — or the tag permission itself — leaves no
// path, so the choke-point plan can cut the route at the tag permission.
func TestTagStepIsAStepOfThePath(t *testing.T) {
	ctx := context.Background()
	admin := identity.AccountAdminID("aws", propAcct)
	search := paths.Options{Sources: []string{propARN("user/attacker")}, Targets: []string{admin}, MaxDepth: 6, Top: 8}
	g := tagStepAccount(true)
	res, err := paths.NewProjection(g).Search(ctx, search)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Paths) == 0 {
		t.Fatal("the attacker who may retag the administrator must reach it")
	}
	h := res.Paths[0].Hops[0]
	wantStep := "iam:TagUser on " + propARN("user/admin") + " sets developer=true"
	if h.TagStep != wantStep || h.Technique != "aws.iam.create-access-key" {
		t.Fatalf("first hop %s with tag step %q, want aws.iam.create-access-key after %q", h.Technique, h.TagStep, wantStep)
	}
	if ex := h.Explain(); !strings.Contains(ex, "step 1: tag change "+wantStep+"; step 2: ESCALATES_TO aws.iam.create-access-key") {
		t.Errorf("the explanation must show the tag change as the first step: %s", ex)
	}
	var tagFinding string
	for _, f := range g.Findings {
		if f.RuleID == identity.RuleABACRetag && slices.Contains(h.Findings, f.ID) {
			tagFinding = f.ID
		}
	}
	if tagFinding == "" {
		t.Fatalf("the hop must cite the tag step's finding: %v", h.Findings)
	}
	// Fixing the tag step's finding cuts the path in the graph ...
	cut := search
	cut.RemovedFindings = []string{tagFinding}
	after, err := paths.NewProjection(g).Search(ctx, cut)
	if err != nil {
		t.Fatal(err)
	}
	if len(after.Paths) > 0 {
		t.Fatalf("with the tag step's finding fixed a path remains: %v", after.Paths[0].Hops)
	}
	// ... and in the account: without iam:TagUser there is no path either.
	if res, _ := paths.NewProjection(tagStepAccount(false)).Search(ctx, search); len(res.Paths) > 0 {
		t.Fatalf("without the tag permission a path remains: %v", res.Paths[0].Hops)
	}
	// The plan proposes one fix and its verification finds no path left.
	plan, err := scoring.PlanProjection(ctx, paths.NewProjection(g), scoring.PlanOptions{Search: search})
	if err != nil {
		t.Fatal(err)
	}
	if plan.PathsBefore == 0 || len(plan.Steps) == 0 || len(plan.UncuttableTargets) > 0 {
		t.Fatalf("plan %+v", plan)
	}
}
