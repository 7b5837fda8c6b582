package tests

import (
	"context"
	"slices"
	"testing"

	"github.com/breachpath/breachpath/ciem"
	awscollector "github.com/breachpath/breachpath/collector/aws"
	"github.com/breachpath/breachpath/collector/aws/inventory"
	"github.com/breachpath/breachpath/collector/synthetic"
	"github.com/breachpath/breachpath/graph"
	"github.com/breachpath/breachpath/paths"
	"github.com/breachpath/breachpath/queries"
)

// TestOneDefinitionOfCanReachAdmin: the escalation-to-admin query and the CIEM report's
// admin.via_escalation list exactly the principals paths.AdminReachers defines, on the synthetic
// estate and on an account imported from an authorization-details export (the API serves the
// same two library calls).
func TestOneDefinitionOfCanReachAdmin(t *testing.T) {
	ctx := context.Background()
	est, err := synthetic.Generate(ctx, synthetic.Options{Seed: 42, Resources: 2000})
	if err != nil {
		t.Fatal(err)
	}
	snap, err := awscollector.Transform(ctx, labAccount(), awscollector.TransformOptions{})
	if err != nil {
		t.Fatal(err)
	}
	lab := func(names ...string) []string {
		var out []string
		for _, n := range names {
			out = append(out, "arn:aws:iam::123456789012:"+n)
		}
		return out
	}
	for _, tc := range []struct {
		name  string
		g     *graph.Graph
		exact []string // when set, the principals that must be listed
	}{
		{"synthetic estate", est.Graph(), nil},
		// Listed: the self-escalating user, dev through the role it assumes (and that role), the
		// conditional user, the group's member and the group (through the shared policy).
		// Not listed: the denied user, the policy node, the service-only roles.
		{"lab account", graph.Assemble(snap.Nodes, snap.Edges, snap.Findings),
			lab("group/deployers", "role/ops", "user/dev", "user/maybe", "user/member", "user/self")},
	} {
		t.Run(tc.name, func(t *testing.T) {
			reach, err := paths.AdminReachers(ctx, tc.g, paths.DefaultAdminHops)
			if err != nil {
				t.Fatal(err)
			}
			var want []string
			for _, r := range reach {
				want = append(want, r.Principal)
			}
			q, _ := queries.Get("escalation-to-admin")
			res, err := q.Run(ctx, tc.g, nil)
			if err != nil {
				t.Fatal(err)
			}
			var fromQuery []string
			for _, row := range res.Rows {
				fromQuery = append(fromQuery, row[0].(string))
			}
			rep, err := ciem.Build(ctx, tc.g, ciem.Sources{}, ciem.Options{})
			if err != nil {
				t.Fatal(err)
			}
			var fromCIEM []string
			for _, p := range rep.Principals {
				if p.Admin.ViaEscalation {
					fromCIEM = append(fromCIEM, p.ID)
				}
			}
			for name, got := range map[string][]string{"escalation-to-admin": fromQuery, "ciem admin.via_escalation": fromCIEM} {
				slices.Sort(got)
				got = slices.Compact(got)
				if !slices.Equal(got, want) {
					t.Errorf("%s lists %d principals %v;\npaths.AdminReachers %d %v", name, len(got), got, len(want), want)
				}
			}
			if tc.exact != nil && !slices.Equal(want, tc.exact) {
				t.Errorf("paths.AdminReachers %v, want %v", want, tc.exact)
			}
			if len(want) == 0 {
				t.Error("the fixture must have principals that reach admin")
			}
		})
	}
}

// labAccount is an IAM lab in the spirit of iam-vulnerable: a self-escalating user, a user who
// reaches admin by assuming a role that escalates (a chain starting with sts:AssumeRole), a user
// whose move is conditional, a service-only role that could escalate (never listed), a group
// member's shared policy, and a user whose escalation is denied.
func labAccount() *inventory.Inventory {
	const acct = "123456789012"
	arn := func(res string) string { return "arn:aws:iam::" + acct + ":" + res }
	doc := func(stmts string) string { return `{"Version":"2012-10-17","Statement":[` + stmts + `]}` }
	inline := func(d string) []inventory.InlinePolicy { return []inventory.InlinePolicy{{Name: "p", Document: d}} }
	user := func(name, d string) inventory.User {
		return inventory.User{ARN: arn("user/" + name), Name: name, ID: "AIDA" + name, Path: "/", InlinePolicies: inline(d), AccessKeysRead: true, LoginProfileRead: true}
	}
	shared := arn("policy/deployers")
	return &inventory.Inventory{AccountID: acct, Partition: "aws", Regions: []string{"us-east-1"}, IAM: inventory.IAMData{
		Users: []inventory.User{
			user("self", doc(`{"Effect":"Allow","Action":"iam:AttachUserPolicy","Resource":"*"}`)),
			user("dev", doc(`{"Effect":"Allow","Action":"sts:AssumeRole","Resource":"`+arn("role/ops")+`"}`)),
			user("maybe", doc(`{"Effect":"Allow","Action":"iam:PutUserPolicy","Resource":"*","Condition":{"Bool":{"aws:MultiFactorAuthPresent":"true"}}}`)),
			user("denied", doc(`{"Effect":"Allow","Action":"iam:AttachUserPolicy","Resource":"*"},{"Effect":"Deny","Action":"iam:*","Resource":"*"}`)),
			{ARN: arn("user/member"), Name: "member", ID: "AIDAmember", Path: "/", Groups: []string{"deployers"}, AccessKeysRead: true, LoginProfileRead: true},
		},
		Groups: []inventory.Group{{ARN: arn("group/deployers"), Name: "deployers", Path: "/", AttachedPolicies: []inventory.AttachedPolicy{{ARN: shared, Name: "deployers"}}}},
		Policies: []inventory.ManagedPolicy{{ARN: shared, Name: "deployers", Path: "/", DefaultVersionID: "v1", IsAttachable: true,
			Document: doc(`{"Effect":"Allow","Action":["iam:PassRole","lambda:CreateFunction","lambda:InvokeFunction"],"Resource":"*"}`)}},
		Roles: []inventory.Role{
			{ARN: arn("role/ops"), Name: "ops", ID: "AROAops", Path: "/", TrustPolicy: doc(`{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::` + acct + `:root"},"Action":"sts:AssumeRole"}`),
				InlinePolicies: inline(doc(`{"Effect":"Allow","Action":"iam:PutRolePolicy","Resource":"*"}`))},
			{ARN: arn("role/fn"), Name: "fn", ID: "AROAfn", Path: "/", TrustPolicy: doc(`{"Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole"}`),
				InlinePolicies: inline(doc(`{"Effect":"Allow","Action":"*","Resource":"*"}`))},
			{ARN: arn("role/worker"), Name: "worker", ID: "AROAworker", Path: "/", TrustPolicy: doc(`{"Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole"}`),
				InlinePolicies: inline(doc(`{"Effect":"Allow","Action":"iam:AttachRolePolicy","Resource":"*"}`))},
		},
	}}
}
