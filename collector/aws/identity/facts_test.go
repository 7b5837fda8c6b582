package identity

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/breachpath/breachpath/collector/aws/inventory"
	"github.com/breachpath/breachpath/graph"
)

func TestBuildRejectsUnusableInput(t *testing.T) {
	cancelled, cancel := context.WithCancel(context.Background())
	cancel()
	tests := []struct {
		name string
		ctx  context.Context
		inv  *inventory.Inventory
		want string
	}{
		{"nil inventory", context.Background(), nil, "nil inventory"},
		{"account id not twelve digits", context.Background(), &inventory.Inventory{AccountID: "12ab"}, "not 12 digits"},
		{"cancelled context", cancelled, newInv(), "context canceled"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Build(tt.ctx, tt.inv, Options{})
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want it to mention %q", err, tt.want)
			}
			if tt.inv == nil && !errors.Is(err, ErrInvalidInventory) {
				t.Fatalf("err = %v, want ErrInvalidInventory", err)
			}
		})
	}
}

func TestUnparsablePolicyBecomesWarningNotPanic(t *testing.T) {
	inv := newInv()
	addUser(inv, "alice", `{"Version":"2012-10-17","Statement":[{"Effect":"Maybe"}]}`, doc(allow("*", "s3:GetObject")))
	addRole(inv, "r", `not json`)
	part := build(t, inv)
	if len(part.Warnings) < 2 {
		t.Fatalf("warnings = %q, want one per bad document", part.Warnings)
	}
	if findNode(part, iamARN("role/r")) == nil {
		t.Fatal("role with a bad trust policy must still be a node")
	}
}

func TestIdentityFacts(t *testing.T) {
	inv := newInv()
	boundary := addPolicy(inv, "boundary", doc(allow("*", "s3:*")))
	managed := addPolicy(inv, "readers", doc(allow("*", "s3:GetObject")))
	inv.IAM.Groups = append(inv.IAM.Groups, inventory.Group{ARN: iamARN("group/devs"), Name: "devs", Path: "/",
		AttachedPolicies: []inventory.AttachedPolicy{{ARN: managed, Name: "readers"}}})
	u := addUser(inv, "alice", doc(allow("*", "sqs:SendMessage")))
	u.Groups = []string{"devs"}
	u.PermissionBoundary = boundary
	u.LoginProfile = true
	u.AccessKeys = []inventory.AccessKey{{ID: "AKIAABCDEFGHIJKL1234", Status: "Active", CreateDate: testNow.AddDate(0, 0, -10)}}
	u.AttachedPolicies = []inventory.AttachedPolicy{{ARN: "arn:aws:iam::aws:policy/ReadOnlyAccess", Name: "ReadOnlyAccess"}}
	addRole(inv, "app", trustDoc(map[string]any{"Service": "ec2.amazonaws.com"}, nil))
	prof := addProfile(inv, "app", iamARN("role/app"))
	part := build(t, inv)

	alice := iamARN("user/alice")
	facts := []struct {
		from string
		kind graph.EdgeKind
		to   string
	}{
		{alice, graph.EdgeMemberOf, iamARN("group/devs")},
		{alice, graph.EdgePolicyAttached, InlinePolicyID(alice, "p0")},
		{alice, graph.EdgePolicyAttached, "arn:aws:iam::aws:policy/ReadOnlyAccess"},
		{iamARN("group/devs"), graph.EdgePolicyAttached, managed},
		{alice, graph.EdgeBoundedBy, boundary},
		{prof, graph.EdgeProfileContains, iamARN("role/app")},
	}
	for _, f := range facts {
		if findEdge(part, f.from, f.kind, f.to, "") == nil {
			t.Errorf("missing fact %s -[%s]-> %s", f.from, f.kind, f.to)
		}
	}
	n := findNode(part, alice)
	keys, _ := n.Props["access_keys"].([]string)
	if len(keys) != 1 || !strings.HasPrefix(keys[0], "****************1234 active age=10d") || strings.Contains(keys[0], "AKIA") {
		t.Errorf("access_keys = %q, want the id masked to its last 4 characters with age", keys)
	}
	if n.Props["console_access"] != true || n.Props["mfa"] != false || n.Props["boundary"] != boundary {
		t.Errorf("props = %v", n.Props)
	}
	if svc, _ := findNode(part, iamARN("role/app")).Props["trusted_services"].([]string); !slices.Equal(svc, []string{"ec2.amazonaws.com"}) {
		t.Errorf("trusted_services = %v", svc)
	}
	if pn := findNode(part, "arn:aws:iam::aws:policy/ReadOnlyAccess"); pn == nil || pn.Kind != graph.KindPolicy || pn.Stub {
		t.Errorf("AWS-managed policy node = %+v, want an owned Policy node", pn)
	}
	admin := findNode(part, adminNode())
	if admin == nil || !admin.CrownJewel || admin.Kind != graph.KindRole {
		t.Fatalf("account administrator node = %+v", admin)
	}
	if findEdge(part, iamARN("root"), graph.EdgeAdministers, adminNode(), TechAdminEquivalent) == nil {
		t.Error("root user must administer the account")
	}
	// The ec2 service trust gives no attacker edge by itself.
	for _, e := range part.Edges {
		if e.To == iamARN("role/app") && e.Kind.IsMove() {
			t.Errorf("unexpected move into a service-only role: %+v", e)
		}
	}
}

func TestAdminEquivalence(t *testing.T) {
	tests := []struct {
		name     string
		setup    func(inv *inventory.Inventory, u *inventory.User)
		admin    bool
		canAdmin bool
	}{
		{"AdministratorAccess", func(inv *inventory.Inventory, u *inventory.User) {
			u.AttachedPolicies = []inventory.AttachedPolicy{{ARN: "arn:aws:iam::aws:policy/AdministratorAccess"}}
		}, true, true},
		{"IAMFullAccess plus sts:AssumeRole", func(inv *inventory.Inventory, u *inventory.User) {
			u.AttachedPolicies = []inventory.AttachedPolicy{{ARN: "arn:aws:iam::aws:policy/IAMFullAccess"}}
			u.InlinePolicies = append(u.InlinePolicies, inventory.InlinePolicy{Name: "sts", Document: doc(allow("*", "sts:AssumeRole"))})
		}, true, true},
		{"ReadOnlyAccess", func(inv *inventory.Inventory, u *inventory.User) {
			u.AttachedPolicies = []inventory.AttachedPolicy{{ARN: "arn:aws:iam::aws:policy/ReadOnlyAccess"}}
		}, false, true},
		{"admin policy capped by a boundary", func(inv *inventory.Inventory, u *inventory.User) {
			u.AttachedPolicies = []inventory.AttachedPolicy{{ARN: "arn:aws:iam::aws:policy/AdministratorAccess"}}
			u.PermissionBoundary = addPolicy(inv, "s3only", doc(allow("*", "s3:*")))
		}, false, false},
		{"admin policy with IAM denied by an SCP", func(inv *inventory.Inventory, u *inventory.User) {
			u.AttachedPolicies = []inventory.AttachedPolicy{{ARN: "arn:aws:iam::aws:policy/AdministratorAccess"}}
			withSCP(inv, doc(allow("*", "*"), deny("*", "iam:*")))
		}, false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			inv := newInv()
			u := addUser(inv, "u")
			tt.setup(inv, u)
			part := build(t, inv)
			n := findNode(part, u.ARN)
			isAdmin := findEdge(part, u.ARN, graph.EdgeAdministers, adminNode(), TechAdminEquivalent) != nil
			if isAdmin != tt.admin || n.CrownJewel != tt.admin || (n.Props["admin"] == true) != tt.admin {
				t.Fatalf("admin edge=%v crown=%v prop=%v, want %v", isAdmin, n.CrownJewel, n.Props["admin"], tt.admin)
			}
			s := summaryOf(part, u.ARN)
			if s == nil || s.Admin != tt.admin || s.CanBecomeAdmin != tt.canAdmin {
				t.Fatalf("summary = %+v, want admin=%v canBecomeAdmin=%v", s, tt.admin, tt.canAdmin)
			}
		})
	}
}

// withSCP puts the account in an organization whose root carries FullAWSAccess and whose account
// level carries the given SCP.
func withSCP(inv *inventory.Inventory, scp string) {
	inv.Org = &inventory.OrgData{ID: "o-test", ManagementAccountID: "999999999999",
		Roots:    []inventory.OrgRoot{{ID: "r-root", PolicyTypes: []string{inventory.PolicyTypeSCP}}},
		Accounts: []inventory.OrgAccount{{ID: acct, ParentID: "r-root"}, {ID: peer, ParentID: "r-root"}},
		Policies: []inventory.OrgPolicy{
			{ID: "p-full", ARN: "arn:aws:organizations::999999999999:policy/o-test/service_control_policy/p-full", Type: inventory.PolicyTypeSCP,
				Document: doc(allow("*", "*")), Targets: []string{"r-root"}},
			{ID: "p-test", ARN: "arn:aws:organizations::999999999999:policy/o-test/service_control_policy/p-test", Type: inventory.PolicyTypeSCP,
				Document: scp, Targets: []string{acct}},
		}}
}

func summaryOf(part *Part, id string) *PrincipalSummary {
	for i := range part.Principals {
		if part.Principals[i].ID == id {
			return &part.Principals[i]
		}
	}
	return nil
}

func TestPrincipalSummary(t *testing.T) {
	inv := newInv()
	inv.IAM.Groups = append(inv.IAM.Groups, inventory.Group{ARN: iamARN("group/devs"), Name: "devs",
		InlinePolicies: []inventory.InlinePolicy{{Name: "sqs", Document: doc(allow("*", "sqs:SendMessage"))}}})
	u := addUser(inv, "alice", doc(stmt{Sid: "Read", Effect: "Allow", Action: []string{"s3:GetObject", "s3:ListBucket"}, Resource: "*"}))
	u.Groups = []string{"devs"}
	part := build(t, inv)
	s := summaryOf(part, u.ARN)
	if s == nil {
		t.Fatal("no summary")
	}
	if s.Allowed.Len() != 3 {
		t.Errorf("allowed = %d actions, want 3", s.Allowed.Len())
	}
	var svcs []string
	for _, sa := range s.Services {
		svcs = append(svcs, sa.Service)
	}
	if !slices.Equal(svcs, []string{"s3", "sqs"}) {
		t.Errorf("services = %v", svcs)
	}
	want := []PermissionSource{{Policy: InlinePolicyID(u.ARN, "p0"), Statement: "statement Read"},
		{Policy: InlinePolicyID(iamARN("group/devs"), "sqs"), Statement: "statement #0", Via: iamARN("group/devs")}}
	if !slices.Equal(s.Sources, want) {
		t.Errorf("sources = %+v, want %+v", s.Sources, want)
	}
}
