package tests

import (
	"context"
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

// guardedActions are the attacker permissions the untag property test draws from: user
// escalations on the administrator the guard denies (UpdateLoginProfile needs a password the
// administrator does not have: never a move), one the guard does not cover (PutUserPolicy on the
// attacker itself, which is untagged), and the two ways to escape the guard (remove the tag, or
// overwrite it).
var guardedActions = []string{"iam:CreateAccessKey", "iam:CreateLoginProfile", "iam:UpdateLoginProfile", "iam:PutUserPolicy",
	"iam:UntagUser", "iam:TagUser"}

// guardedAccount: the attacker holds perms on every user, except that an explicit Deny stops the
// credential escalations on users tagged protected=true (on the administrator whatever its tags
// when hard); the administrator is tagged protected=true and has no access key or password.
func guardedAccount(t *testing.T, perms []string, hard bool) *graph.Graph {
	t.Helper()
	guard := map[string]any{"Effect": "Deny", "Action": []string{"iam:CreateAccessKey", "iam:CreateLoginProfile", "iam:UpdateLoginProfile"},
		"Resource": propARN("user/admin")}
	if !hard {
		guard["Resource"] = "*"
		guard["Condition"] = map[string]any{"StringEquals": map[string]any{"aws:ResourceTag/protected": "true"}}
	}
	stmts := []any{guard}
	if len(perms) > 0 {
		stmts = append(stmts, map[string]any{"Effect": "Allow", "Action": perms, "Resource": "*"})
	}
	return attackerAndAdmin(t, stmts, inventory.Tags{"protected": "true"})
}

// TestUntagStepIsAStepOfThePath: a Deny conditioned on a tag the attacker may remove is no hard
// deny: the path is drawn with the removal as its first step (paths.Hop.TagStep), and fixing the
// step's finding cuts it; a Deny the attacker cannot escape still blocks.
func TestUntagStepIsAStepOfThePath(t *testing.T) {
	ctx := context.Background()
	admin := identity.AccountAdminID("aws", propAcct)
	search := paths.Options{Sources: []string{propARN("user/attacker")}, Targets: []string{admin}, MaxDepth: 6, Top: 8}
	g := guardedAccount(t, []string{"iam:CreateAccessKey", "iam:UntagUser"}, false)
	h := firstHopAfterTagStep(ctx, t, g, search, "iam:UntagUser on "+propARN("user/admin")+" to remove tag protected")
	fixingTagStepCuts(ctx, t, g, search, h)
	for name, g := range map[string]*graph.Graph{
		"cannot untag":       guardedAccount(t, []string{"iam:CreateAccessKey"}, false),
		"unconditional deny": guardedAccount(t, []string{"iam:CreateAccessKey", "iam:UntagUser", "iam:TagUser"}, true),
	} {
		if res, _ := paths.NewProjection(g).Search(ctx, search); len(res.Paths) > 0 {
			t.Errorf("%s: the deny must block, yet a path remains: %v", name, res.Paths[0].Hops)
		}
	}
}

// TestFixingThePlanCutsTagSteps: for random subsets of guardedActions, the choke-point plan's
// fixes, applied the way a team would (a technique's finding: remove one of its permissions; the
// tag step's finding: remove the tag and untag permissions, as its remediation says), leave no
// path — the plan never cites a Deny as a cut when the attacker can untag its way past it.
func TestFixingThePlanCutsTagSteps(t *testing.T) {
	ctx := context.Background()
	admin := identity.AccountAdminID("aws", propAcct)
	attacker := propARN("user/attacker")
	search := paths.Options{Sources: []string{attacker}, Targets: []string{admin}, MaxDepth: 6, Top: 16}
	byRule := map[string]identity.Technique{}
	for _, tech := range identity.Techniques {
		byRule[identity.RulePrivescPrefix+strings.TrimPrefix(tech.ID, "aws.")] = tech
	}
	checked, withTagStep := 0, 0
	for seed := range uint64(64) {
		rng := rand.New(rand.NewPCG(seed, 13))
		var perms []string
		for _, a := range guardedActions {
			if rng.IntN(2) == 0 {
				perms = append(perms, a)
			}
		}
		g := guardedAccount(t, perms, false)
		plan, err := scoring.PlanProjection(ctx, paths.NewProjection(g), scoring.PlanOptions{Search: search})
		if err != nil {
			t.Fatal(err)
		}
		has := func(as ...string) bool {
			return slices.ContainsFunc(perms, func(a string) bool { return slices.Contains(as, a) })
		}
		want := has("iam:PutUserPolicy") || (has("iam:CreateAccessKey", "iam:CreateLoginProfile") && has("iam:UntagUser", "iam:TagUser"))
		if (plan.PathsBefore > 0) != want {
			t.Fatalf("seed %d: permissions %v: %d paths, want a path: %v (the tag Deny blocks only an attacker who cannot change the tag)",
				seed, perms, plan.PathsBefore, want)
		}
		if plan.PathsBefore == 0 {
			continue
		}
		if len(plan.UncuttableTargets) > 0 {
			t.Fatalf("seed %d: permissions %v: every path here is cuttable, plan %+v", seed, perms, plan)
		}
		checked++
		fixed := slices.Clone(perms)
		for _, st := range plan.Steps {
			var drop []string
			switch tech, ok := byRule[st.RuleID]; {
			case st.RuleID == identity.RuleABACRetag:
				drop, withTagStep = []string{"iam:UntagUser", "iam:TagUser"}, withTagStep+1
			case ok:
				drop = []string{tech.Perms[rng.IntN(len(tech.Perms))].Action}
			default:
				t.Fatalf("seed %d: plan step %s is neither a technique nor a tag step", seed, st.RuleID)
			}
			if st.Resource != attacker {
				t.Fatalf("seed %d: plan step on %s", seed, st.Resource)
			}
			fixed = slices.DeleteFunc(fixed, func(a string) bool { return slices.Contains(drop, a) })
		}
		after, err := paths.NewProjection(guardedAccount(t, fixed, false)).Search(ctx, search)
		if err != nil {
			t.Fatal(err)
		}
		if len(after.Paths) > 0 {
			var hops []string
			for _, h := range after.Paths[0].Hops {
				hops = append(hops, h.Technique+" after "+h.TagStep)
			}
			t.Fatalf("seed %d: permissions %v, plan %d steps, fixed to %v: a path remains via %v", seed, perms, len(plan.Steps), fixed, hops)
		}
	}
	t.Logf("%d subsets with a path, %d plan steps cut a tag step", checked, withTagStep)
	if checked < 10 || withTagStep == 0 {
		t.Fatalf("%d subsets had a path, %d plan steps cut a tag step: the property is not exercised", checked, withTagStep)
	}
}
