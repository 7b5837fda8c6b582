package aws_test

import (
	"bytes"
	"context"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/breachpath/breachpath/ciem"
	"github.com/breachpath/breachpath/collector"
	awscollector "github.com/breachpath/breachpath/collector/aws"
	"github.com/breachpath/breachpath/collector/aws/authdetails"
	"github.com/breachpath/breachpath/collector/aws/catalog"
	"github.com/breachpath/breachpath/collector/aws/entitlements"
	"github.com/breachpath/breachpath/collector/aws/inventory"
	"github.com/breachpath/breachpath/collector/aws/policy"
	"github.com/breachpath/breachpath/graph"
	"github.com/breachpath/breachpath/graph/entitlement"
)

// fixtureNow is the reference time of the fixtures (last-accessed dates are relative to it).
var fixtureNow = time.Date(2026, 11, 25, 0, 0, 0, 0, time.UTC)

const acct = "arn:aws:iam::111122223333:"

// fixtureSnapshot imports testdata/authdetails.json (and, with usage, the
// last-accessed fixture) the way `breachpath ciem --from-file` does: the
// snapshot with the entitlement model written on its principals.
func fixtureSnapshot(t *testing.T, withUsage bool) *graph.Snapshot {
	t.Helper()
	ctx := context.Background()
	buf, err := os.ReadFile("testdata/authdetails.json")
	if err != nil {
		t.Fatal(err)
	}
	snap, _, err := awscollector.FromAuthDetails(ctx, bytes.NewReader(buf), "authdetails.json", awscollector.TransformOptions{})
	if err != nil {
		t.Fatal(err)
	}
	iam, err := authdetails.Load(bytes.NewReader(buf))
	if err != nil {
		t.Fatal(err)
	}
	inv := &inventory.Inventory{AccountID: "111122223333", Partition: "aws", CollectedAt: fixtureNow, IAM: iam}
	if withUsage {
		la, err := entitlements.ReadLastAccessedFile("testdata/last-accessed.json")
		if err != nil {
			t.Fatal(err)
		}
		inv.IAM.LastAccessed = la
	}
	if _, err := entitlements.Annotate(ctx, snap, inv, entitlements.Options{Now: fixtureNow}); err != nil {
		t.Fatal(err)
	}
	return snap
}

// fixtureReport builds the report of fixtureSnapshot.
func fixtureReport(t *testing.T, withUsage bool, days int) *ciem.Report {
	t.Helper()
	snap := fixtureSnapshot(t, withUsage)
	g := graph.Assemble(snap.Nodes, snap.Edges, snap.Findings)
	rep, err := ciem.Build(context.Background(), g, ciem.Sources{Policies: collector.PolicyWriters()}, ciem.Options{Now: fixtureNow, LastAccessedDays: days})
	if err != nil {
		t.Fatal(err)
	}
	return rep
}

func mustPrincipal(t *testing.T, rep *ciem.Report, id string) *ciem.Principal {
	t.Helper()
	p := rep.Principal(id)
	if p == nil {
		t.Fatalf("principal %s missing from the report", id)
	}
	return p
}

func TestFromFileWithoutLastAccessedSaysUnknown(t *testing.T) {
	rep := fixtureReport(t, false, 90)
	if len(rep.Principals) < 10 {
		t.Fatalf("got %d principals, want the fixture's users, groups and roles", len(rep.Principals))
	}
	for _, p := range rep.Principals {
		if p.Usage.Known {
			t.Errorf("%s: usage known without last-accessed data", p.ID)
		}
		if got := p.UnusedServicesCell(); got != ciem.StateUnknown {
			t.Errorf("%s: unused services = %q, want unknown", p.ID, got)
		}
		if got := p.UnusedSensitiveCell(); got != ciem.StateUnknown {
			t.Errorf("%s: unused sensitive = %q, want unknown", p.ID, got)
		}
		for _, s := range p.Permissions.Services {
			if s.State != ciem.StateUnknown {
				t.Errorf("%s: service %s state %q, want unknown", p.ID, s.Service, s.State)
			}
		}
		wantReason := "no last-accessed data"
		switch {
		case p.ID == acct+"root":
			wantReason = "root user cannot be narrowed"
		case strings.Contains(p.ID, "aws-service-role"):
			wantReason = "service-linked role"
		}
		if p.Suggestion != nil || !strings.Contains(p.SuggestionReason, wantReason) {
			t.Errorf("%s: suggestion %v, reason %q; want none because of %q", p.ID, p.Suggestion != nil, p.SuggestionReason, wantReason)
		}
	}
	// Users' credentials are not in the export: their activity is unknown too.
	if a := mustPrincipal(t, rep, acct+"user/bob").Activity; a.State != ciem.StateUnknown {
		t.Errorf("bob activity = %+v, want unknown", a)
	}
	var csv, table bytes.Buffer
	if err := ciem.WriteCSV(&csv, rep); err != nil {
		t.Fatal(err)
	}
	if err := ciem.WriteTable(&table, rep); err != nil {
		t.Fatal(err)
	}
	for _, out := range []string{csv.String(), table.String()} {
		if !strings.Contains(out, "unknown") {
			t.Errorf("output does not say unknown:\n%s", out)
		}
	}
}

func TestAdminEquivalence(t *testing.T) {
	rep := fixtureReport(t, false, 90)
	tests := []struct {
		id             string
		direct, viaEsc bool
	}{
		{acct + "user/alice", true, false},       // member of the admins group
		{acct + "group/admins", true, false},     // AdministratorAccess
		{acct + "role/break-glass", true, false}, // AdministratorAccess
		{acct + "role/ci-deploy", false, true},   // NotAction iam:* still allows sts:AssumeRole of break-glass
		{acct + "user/automation/reporting", false, false},
		{acct + "role/app/app-role", false, false},
		{acct + "user/bob", false, false}, // boundary caps s3:* and ec2:Describe*
	}
	for _, tc := range tests {
		t.Run(tc.id, func(t *testing.T) {
			p := mustPrincipal(t, rep, tc.id)
			if p.Admin.Direct != tc.direct || p.Admin.ViaEscalation != tc.viaEsc {
				t.Fatalf("admin = %+v, want direct=%v via escalation=%v", p.Admin, tc.direct, tc.viaEsc)
			}
			if tc.viaEsc && (len(p.Admin.Path) == 0 || !strings.Contains(p.Admin.Path[len(p.Admin.Path)-1], "break-glass")) {
				t.Fatalf("escalation path %v does not end at break-glass", p.Admin.Path)
			}
		})
	}
}

func TestWildcardGrantsFromParsedPolicies(t *testing.T) {
	rep := fixtureReport(t, false, 90)
	tests := []struct {
		id    string
		kinds []string // union over the principal's wildcard statements; nil = none
	}{
		{acct + "user/alice", []string{entitlement.WildcardAllActions, entitlement.WildcardResource}},
		{acct + "user/bob", []string{entitlement.WildcardService, entitlement.WildcardResource}},
		{acct + "role/ci-deploy", []string{entitlement.WildcardNotAction, entitlement.WildcardResource}},
		{acct + "role/audit-cross-account", []string{entitlement.WildcardResource}}, // ReadOnlyAccess: s3:GetObject etc. on *
		{acct + "user/carol", []string{entitlement.WildcardResource}},               // iam:PassRole on *
		{acct + "user/automation/reporting", nil},                                   // s3 reads on named buckets only
		{acct + "role/app/app-role", nil},
		{acct + "group/developers", nil}, // ec2:Describe* on * is neither a service wildcard nor sensitive
	}
	for _, tc := range tests {
		t.Run(tc.id, func(t *testing.T) {
			p := mustPrincipal(t, rep, tc.id)
			var got []string
			for _, w := range p.Wildcards {
				for _, k := range w.Kinds {
					if !slices.Contains(got, k) {
						got = append(got, k)
					}
				}
			}
			slices.Sort(got)
			want := slices.Clone(tc.kinds)
			slices.Sort(want)
			if !slices.Equal(got, want) {
				t.Fatalf("wildcard kinds = %v, want %v (%+v)", got, want, p.Wildcards)
			}
		})
	}
	bob := mustPrincipal(t, rep, acct+"user/bob")
	if w := bob.Wildcards[0]; w.Policy != acct+"user/bob#inline/bob-s3-everything" || w.Statement != "AllS3" || !slices.Equal(w.Patterns, []string{"s3:*"}) {
		t.Fatalf("bob's wildcard cites %+v, want the AllS3 statement of bob-s3-everything", w)
	}
}

func TestPermissionSourcesNamePolicyStatementGroupAndBoundary(t *testing.T) {
	rep := fixtureReport(t, false, 90)
	bob := mustPrincipal(t, rep, acct+"user/bob")
	var s3 *ciem.ServiceView
	for i := range bob.Permissions.Services {
		if bob.Permissions.Services[i].Service == "s3" {
			s3 = &bob.Permissions.Services[i]
		}
	}
	if s3 == nil {
		t.Fatal("bob has no s3 permissions")
	}
	want := map[string]entitlement.Source{
		"inline": {Kind: entitlement.SourceIdentity, Policy: acct + "user/bob#inline/bob-s3-everything", PolicyName: "bob-s3-everything", Statement: "AllS3"},
		"group":  {Kind: entitlement.SourceGroup, Policy: acct + "policy/S3ReadRestricted", PolicyName: "S3ReadRestricted", Statement: "ReadPayroll", Via: acct + "group/developers"},
		"bound":  {Kind: entitlement.SourceBoundary, Policy: acct + "policy/DeveloperBoundary", PolicyName: "DeveloperBoundary", Statement: "DevServices"},
	}
	for name, w := range want {
		if !slices.Contains(s3.Sources, w) {
			t.Errorf("%s source %+v missing from %+v", name, w, s3.Sources)
		}
	}
	// The boundary allows cloudwatch:* but no identity policy does: not a permission.
	for _, s := range bob.Permissions.Services {
		if s.Service != "s3" && s.Service != "ec2" {
			t.Errorf("bob holds %s, want only s3 and ec2 (boundary ∩ identity)", s.Service)
		}
	}
	if bob.Permissions.Levels[entitlement.LevelPermissions] == 0 || bob.Permissions.Levels[entitlement.LevelList] == 0 {
		t.Errorf("bob's levels %v miss Permissions management or List (s3:* has both)", bob.Permissions.Levels)
	}
}

func TestOutsideTrust(t *testing.T) {
	rep := fixtureReport(t, false, 90)
	tests := []struct {
		id   string
		want []string // kind:principal
	}{
		{acct + "role/audit-cross-account", []string{"external:arn:aws:iam::999988887777:root"}},
		{acct + "role/ci-deploy", []string{"federated:" + acct + "oidc-provider/token.actions.githubusercontent.com"}},
		{acct + "role/app/app-role", nil}, // trusts the EC2 service
		{acct + "role/break-glass", nil},  // trusts its own account
		{acct + "user/alice", nil},
	}
	for _, tc := range tests {
		t.Run(tc.id, func(t *testing.T) {
			var got []string
			for _, tr := range mustPrincipal(t, rep, tc.id).Trust {
				got = append(got, tr.Kind+":"+tr.Principal)
			}
			if !slices.Equal(got, tc.want) {
				t.Fatalf("trust = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestUsageFromLastAccessedFixture(t *testing.T) {
	rep := fixtureReport(t, true, 90)
	bob := mustPrincipal(t, rep, acct+"user/bob")
	if !bob.Usage.Known || !slices.Equal(bob.Usage.UsedServices, []string{"ec2", "s3"}) || len(bob.Usage.UnusedServices) != 0 {
		t.Fatalf("bob usage = %+v, want s3 and ec2 used", bob.Usage)
	}
	for _, s := range bob.Permissions.Services {
		if s.Service != "s3" {
			continue
		}
		// Tracked and unused in 90 days: CreateBucket, DeleteBucket, PutBucketPolicy (never),
		// GetBucketPolicy (March). ListAllMyBuckets was used.
		want := []string{"s3:CreateBucket", "s3:DeleteBucket", "s3:GetBucketPolicy", "s3:PutBucketPolicy"}
		if !slices.Equal(s.UnusedActions, want) || !s.ActionLevel || s.State != ciem.StateUsed {
			t.Fatalf("s3 view = state %s action-level %v unused %v, want %v", s.State, s.ActionLevel, s.UnusedActions, want)
		}
		if s.UnusedSensitive != 3 { // the three writes / permission changes; GetBucketPolicy is a plain read
			t.Fatalf("s3 unused sensitive = %d, want 3", s.UnusedSensitive)
		}
	}
	// A principal absent from the data stays unknown.
	if alice := mustPrincipal(t, rep, acct+"user/alice"); alice.Usage.Known || alice.UnusedServicesCell() != ciem.StateUnknown {
		t.Fatalf("alice has no last-accessed data but usage = %+v", alice.Usage)
	}
	// Everything unused: no policy to suggest, and the principal is inactive.
	rp := mustPrincipal(t, rep, acct+"user/automation/reporting")
	if rp.Suggestion != nil || !strings.Contains(rp.SuggestionReason, "nothing used") || !slices.Equal(rp.Usage.UnusedServices, []string{"s3"}) {
		t.Fatalf("reporting: suggestion %v (%q), unused %v; want no suggestion and s3 unused", rp.Suggestion != nil, rp.SuggestionReason, rp.Usage.UnusedServices)
	}
	bg := mustPrincipal(t, rep, acct+"role/break-glass")
	if bg.Usage.UnusedSensitive != bg.Permissions.Sensitive || bg.Activity.State != ciem.StateUnused {
		t.Fatalf("break-glass: unused sensitive %d of %d, activity %s; want all unused and inactive", bg.Usage.UnusedSensitive, bg.Permissions.Sensitive, bg.Activity.State)
	}
}

func TestWindowDecidesUnused(t *testing.T) {
	// ci-deploy used ec2 on 2025-12-01: unused in a 90-day window, used in a 360-day one.
	tests := []struct {
		days int
		want string
	}{{90, ciem.StateUnused}, {360, ciem.StateUsed}}
	for _, tc := range tests {
		rep := fixtureReport(t, true, tc.days)
		for _, s := range mustPrincipal(t, rep, acct+"role/ci-deploy").Permissions.Services {
			if s.Service == "ec2" && s.State != tc.want {
				t.Errorf("window %d: ec2 state %s, want %s", tc.days, s.State, tc.want)
			}
		}
	}
}

func TestLeastPrivilegeSuggestions(t *testing.T) {
	rep := fixtureReport(t, true, 90)
	want := map[string][]string{
		// lambda: CreateFunction tracked and never used is dropped; InvokeFunction is not tracked, so kept.
		// iam: used, no tracked actions, PassRole kept.
		acct + "user/carol": {"iam:PassRole", "lambda:GetFunction", "lambda:InvokeFunction", "lambda:ListFunctions"},
		// Service-level data: every allowed s3 action of the role is kept.
		acct + "role/app/app-role": {"s3:GetObject", "s3:ListBucket"},
	}
	suggested := 0
	for _, p := range rep.Principals {
		if p.Suggestion == nil {
			continue
		}
		suggested++
		t.Run(p.ID, func(t *testing.T) {
			if w, ok := want[p.ID]; ok && !slices.Equal(p.Suggestion.Actions, w) {
				t.Fatalf("suggested %v, want %v", p.Suggestion.Actions, w)
			}
			assertGrantsExactly(t, &p)
		})
	}
	// bob holds all of s3 and AWS tracks some of its actions: everything but the tracked unused ones.
	bob := mustPrincipal(t, rep, acct+"user/bob")
	if bob.Suggestion == nil || slices.Contains(bob.Suggestion.Actions, "s3:CreateBucket") || !slices.Contains(bob.Suggestion.Actions, "s3:ListAllMyBuckets") ||
		!slices.Contains(bob.Suggestion.Actions, "s3:GetObject") {
		t.Errorf("bob's suggestion %v, want s3 minus the tracked unused actions", bob.Suggestion)
	}
	if suggested < 5 {
		t.Fatalf("%d suggestions, want one for each principal with used services (bob, carol, app-role, ci-deploy, audit, developers)", suggested)
	}
}

// assertGrantsExactly checks with our own evaluator that the suggested policy
// allows exactly the kept actions and denies every other action of the
// services the principal holds or the policy names.
func assertGrantsExactly(t *testing.T, p *ciem.Principal) {
	t.Helper()
	doc, err := policy.Parse([]byte(p.Suggestion.Policy))
	if err != nil {
		t.Fatalf("suggestion does not parse: %v\n%s", err, p.Suggestion.Policy)
	}
	cat := catalog.Default()
	keep := map[string]bool{}
	services := map[string]bool{}
	for _, a := range p.Suggestion.Actions {
		for _, i := range cat.Expand(a) {
			keep[cat.Action(i).Name] = true
		}
		services[strings.ToLower(strings.SplitN(a, ":", 2)[0])] = true
	}
	for _, s := range p.Permissions.Services {
		services[s.Service] = true
	}
	// Each kept action must itself have been kept for a used service: never grant what was unused.
	for _, s := range p.Permissions.Services {
		for _, a := range s.UnusedActions {
			if keep[a] {
				t.Errorf("suggestion grants %s, which is unused", a)
			}
		}
		if s.State == ciem.StateUnused {
			for a := range keep {
				if strings.HasPrefix(strings.ToLower(a), s.Service+":") {
					t.Errorf("suggestion grants %s of unused service %s", a, s.Service)
				}
			}
		}
	}
	set := policy.PolicySet{Identity: []*policy.Policy{doc}}
	caller := policy.Principal{ARN: p.ID, AccountID: p.Account, Type: policy.TypeUser, Name: p.Name, Tags: map[string]string{}}
	checked := 0
	for _, act := range cat.Actions() {
		if !services[act.Service] {
			continue
		}
		checked++
		r := policy.Evaluate(policy.Request{Principal: caller, Action: act.Name, Resource: "*"}, set)
		if got, want := r.Decision == policy.Allowed, keep[act.Name]; got != want {
			t.Errorf("%s: evaluator says %s, want allowed=%v", act.Name, r.Decision, want)
		}
	}
	if checked == 0 {
		t.Fatal("no catalog action checked")
	}
}
