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
func tagStepAccount(t *testing.T, canTag bool) *graph.Graph {
	stmts := []any{map[string]any{"Effect": "Allow", "Action": "iam:CreateAccessKey", "Resource": "*",
		"Condition": map[string]any{"StringEquals": map[string]any{"aws:ResourceTag/developer": "true"}}}}
	if canTag {
		stmts = append(stmts, map[string]any{"Effect": "Allow", "Action": "iam:TagUser", "Resource": "*"})
	}
	return attackerAndAdmin(t, stmts, inventory.Tags{"developer": "false"})
}

// attackerAndAdmin is an account of two users: the attacker, holding stmts, and an
// administrator carrying adminTags, with neither access key nor password.
func attackerAndAdmin(t *testing.T, stmts []any, adminTags inventory.Tags) *graph.Graph {
	t.Helper()
	doc := func(stmts ...any) string {
		b, _ := json.Marshal(map[string]any{"Version": "2012-10-17", "Statement": stmts})
		return string(b)
	}
	inv := &inventory.Inventory{AccountID: propAcct, Partition: "aws", Regions: []string{"us-east-1"}}
	inv.IAM.Users = []inventory.User{
		{ARN: propARN("user/attacker"), Name: "attacker", ID: "AIDAATTACKER", Path: "/", AccessKeysRead: true, LoginProfileRead: true,
			InlinePolicies: []inventory.InlinePolicy{{Name: "p", Document: doc(stmts...)}}},
		{ARN: propARN("user/admin"), Name: "admin", ID: "AIDAADMIN", Path: "/", AccessKeysRead: true, LoginProfileRead: true,
			Tags:           adminTags,
			InlinePolicies: []inventory.InlinePolicy{{Name: "p", Document: doc(map[string]any{"Effect": "Allow", "Action": "*", "Resource": "*"})}}},
	}
	part, err := identity.Build(context.Background(), inv, identity.Options{Logger: quietLogger()})
	if err != nil {
		t.Fatal(err)
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
	g := tagStepAccount(t, true)
	h := firstHopAfterTagStep(ctx, t, g, search, "iam:TagUser on "+propARN("user/admin")+" sets developer=true")
	// Fixing the tag step's finding cuts the path in the graph ...
	fixingTagStepCuts(ctx, t, g, search, h)
	// ... and in the account: without iam:TagUser there is no path either.
	if res, _ := paths.NewProjection(tagStepAccount(t, false)).Search(ctx, search); len(res.Paths) > 0 {
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

// fixingTagStepCuts asserts that hop h cites the aws.iam.abac-retag finding of its tag step and
// that the search finds no path once that finding is fixed.
func fixingTagStepCuts(ctx context.Context, t *testing.T, g *graph.Graph, search paths.Options, h paths.Hop) {
	t.Helper()
	var tagFinding string
	for _, f := range g.Findings {
		if f.RuleID == identity.RuleABACRetag && slices.Contains(h.Findings, f.ID) {
			tagFinding = f.ID
		}
	}
	if tagFinding == "" {
		t.Fatalf("the hop must cite the tag step's finding: %v", h.Findings)
	}
	cut := search
	cut.RemovedFindings = []string{tagFinding}
	after, err := paths.NewProjection(g).Search(ctx, cut)
	if err != nil {
		t.Fatal(err)
	}
	if len(after.Paths) > 0 {
		t.Fatalf("with the tag step's finding fixed a path remains: %v", after.Paths[0].Hops)
	}
}

// firstHopAfterTagStep searches g and asserts that the first path starts with
// aws.iam.create-access-key after the tag step step, shown first in the hop's explanation; it
// returns that hop.
func firstHopAfterTagStep(ctx context.Context, t *testing.T, g *graph.Graph, search paths.Options, step string) paths.Hop {
	t.Helper()
	res, err := paths.NewProjection(g).Search(ctx, search)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Paths) == 0 {
		t.Fatalf("the attacker who may %s must reach the administrator", step)
	}
	h := res.Paths[0].Hops[0]
	if h.TagStep != step || h.Technique != "aws.iam.create-access-key" {
		t.Fatalf("first hop %s with tag step %q, want aws.iam.create-access-key after %q", h.Technique, h.TagStep, step)
	}
	if ex := h.Explain(); !strings.Contains(ex, "step 1: tag change "+step+"; step 2: ESCALATES_TO aws.iam.create-access-key") {
		t.Errorf("the explanation must show the tag change as the first step: %s", ex)
	}
	return h
}
