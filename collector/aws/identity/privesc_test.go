package identity

import (
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/breachpath/breachpath/collector/aws/inventory"
	"github.com/breachpath/breachpath/graph"
)

// privescVariant changes the attacker's permissions so that one requirement fails (or none).
type privescVariant struct {
	name string
	want bool
	// apply returns the attacker's grants and sets up denies; perms are the technique's actions.
	apply func(inv *inventory.Inventory, perms []string) (grants []string, extra []stmt, boundary string)
}

var privescVariants = []privescVariant{
	{"all permissions present", true, func(_ *inventory.Inventory, perms []string) ([]string, []stmt, string) { return perms, nil, "" }},
	{"one permission missing", false, func(_ *inventory.Inventory, perms []string) ([]string, []stmt, string) {
		return perms[:len(perms)-1], nil, ""
	}},
	{"explicit deny in an identity policy", false, func(_ *inventory.Inventory, perms []string) ([]string, []stmt, string) {
		return perms, []stmt{deny("*", perms[0])}, ""
	}},
	{"denied by an SCP", false, func(inv *inventory.Inventory, perms []string) ([]string, []stmt, string) {
		withSCP(inv, doc(allow("*", "*"), deny("*", perms[0])))
		return perms, nil, ""
	}},
	{"outside the permission boundary", false, func(inv *inventory.Inventory, perms []string) ([]string, []stmt, string) {
		return perms, nil, addPolicy(inv, "boundary", doc(allow("*", "s3:GetObject")))
	}},
}

// privescScenario builds an account where the attacker holds grants and a victim fits the
// technique's target; it returns the attacker and the node the edge must reach.
func privescScenario(t *testing.T, tech Technique, v privescVariant) (*inventory.Inventory, string, string) {
	t.Helper()
	inv := newInv()
	perms := make([]string, len(tech.Perms))
	for i, pm := range tech.Perms {
		perms[i] = pm.Action
	}
	grants, extra, boundary := v.apply(inv, perms)
	stmts := extra
	if len(grants) > 0 {
		stmts = append([]stmt{allow("*", grants...)}, extra...)
	}
	if len(stmts) == 0 {
		stmts = []stmt{allow("*", "s3:ListAllMyBuckets")}
	}
	attackerPolicy := addPolicy(inv, "attacker-policy", doc(stmts...))
	if tech.Target == TargetSelfPolicyVersion {
		// A stored version from before the policy was scoped down.
		mp := &inv.IAM.Policies[len(inv.IAM.Policies)-1]
		mp.OtherVersions = []inventory.PolicyVersion{{ID: "v1", Document: doc(allow("*", "*"))}}
		mp.DefaultVersionID = "v2"
	}
	attached := []inventory.AttachedPolicy{{ARN: attackerPolicy, Name: "attacker-policy"}}

	var attacker string
	if tech.Attacker == RoleOnly || tech.Attacker == StackRole {
		svc := "ec2.amazonaws.com"
		if tech.Attacker == StackRole {
			svc = "cloudformation.amazonaws.com"
		}
		r := addRole(inv, "attacker", trustDoc(map[string]any{"Service": svc}, nil))
		r.AttachedPolicies, r.PermissionBoundary = attached, boundary
		attacker = r.ARN
	} else {
		u := addUser(inv, "attacker")
		u.AttachedPolicies, u.PermissionBoundary = attached, boundary
		attacker = u.ARN
		if tech.Target == TargetSelfGroup {
			inv.IAM.Groups = append(inv.IAM.Groups, inventory.Group{ARN: iamARN("group/devs"), Name: "devs",
				InlinePolicies: []inventory.InlinePolicy{{Name: "read", Document: doc(allow("*", "s3:GetObject"))}}})
			inv.IAM.Users[len(inv.IAM.Users)-1].Groups = []string{"devs"}
		}
	}
	victimPolicy := func() []inventory.AttachedPolicy {
		arn := addPolicy(inv, "victim-policy", doc(allow("*", "sqs:SendMessage")))
		return []inventory.AttachedPolicy{{ARN: arn, Name: "victim-policy"}}
	}
	serviceRole := func(svc string) *inventory.Role {
		return addRole(inv, "victim", trustDoc(map[string]any{"Service": svc}, nil), doc(allow("*", "s3:GetObject")))
	}
	switch tech.Target {
	case TargetSelfPolicy, TargetSelfPolicyVersion, TargetSelf, TargetSelfGroup:
		return inv, attacker, adminNode()
	case TargetGroup:
		inv.IAM.Groups = append(inv.IAM.Groups, inventory.Group{ARN: iamARN("group/admins"), Name: "admins",
			AttachedPolicies: []inventory.AttachedPolicy{{ARN: "arn:aws:iam::aws:policy/AdministratorAccess"}}})
		return inv, attacker, iamARN("group/admins")
	case TargetUser, TargetUserMod:
		u := addUser(inv, "victim", doc(allow("*", "sqs:SendMessage")))
		if tech.needs(PreTwoKeys) {
			u.AccessKeys = []inventory.AccessKey{{ID: "AKIA0000000000000001", Status: "Active"}, {ID: "AKIA0000000000000002", Status: "Active"}}
		}
		if tech.needs(PreLoginProfile) {
			u.LoginProfile = true
		}
		if tech.Target == TargetUserMod {
			return inv, attacker, adminNode()
		}
		return inv, attacker, u.ARN
	case TargetRole:
		return inv, attacker, serviceRole("ec2.amazonaws.com").ARN
	case TargetAssumableRoleMod, TargetTrustRoleMod:
		r := addRole(inv, "victim", trustDoc(map[string]any{"AWS": "arn:aws:iam::" + acct + ":root"}, nil))
		r.AttachedPolicies = victimPolicy()
		return inv, attacker, adminNode()
	case TargetPassedRole, TargetUninventoriedRole:
		r := serviceRole(tech.Services[0])
		if tech.needs(PreInstanceProfile) {
			addProfile(inv, "victim", r.ARN)
		}
		return inv, attacker, r.ARN
	case TargetProfileRole:
		r := serviceRole("ec2.amazonaws.com") // in no instance profile
		if tech.needs(PreOccupiedProfile) {
			meek := addRole(inv, "meek", trustDoc(map[string]any{"Service": "ec2.amazonaws.com"}, nil))
			addProfile(inv, "app", meek.ARN)
		} else {
			addProfile(inv, "spare")
		}
		return inv, attacker, r.ARN
	case TargetHostRole:
		r := serviceRole("ec2.amazonaws.com")
		addProfile(inv, "victim", r.ARN)
		in := inventory.Instance{ID: "i-0abc", ARN: "arn:aws:ec2:us-east-1:" + acct + ":instance/i-0abc"}
		if tech.needs(PreHostProfile) {
			meek := addRole(inv, "meek", trustDoc(map[string]any{"Service": "ec2.amazonaws.com"}, nil))
			in.InstanceProfileARN = addProfile(inv, "app", meek.ARN)
		}
		inv.Region("us-east-1").Instances = []inventory.Instance{in}
		return inv, attacker, r.ARN
	case TargetTaskRole:
		r := serviceRole("ecs-tasks.amazonaws.com")
		inv.Region("us-east-1").TaskDefinitions = []inventory.TaskDefinition{{ARN: "arn:aws:ecs:us-east-1:" + acct + ":task-definition/app:3",
			Family: "app", Revision: 3, TaskRoleARN: r.ARN}}
		return inv, attacker, r.ARN
	case TargetPassedToExisting:
		return inv, attacker, serviceRole(tech.Services[0]).ARN
	case TargetInvokerAdmin:
		r := addRole(inv, "victim", trustDoc(map[string]any{"Service": "lambda.amazonaws.com"}, nil), doc(allow("*", "iam:AttachUserPolicy")))
		inv.Region("us-east-1").Functions = []inventory.LambdaFunction{{Name: "fn", ARN: "arn:aws:lambda:us-east-1:" + acct + ":function:fn", Role: r.ARN}}
		return inv, attacker, adminNode()
	case TargetFunctionRole:
		r := serviceRole("lambda.amazonaws.com")
		inv.Region("us-east-1").Functions = []inventory.LambdaFunction{{Name: "fn", ARN: "arn:aws:lambda:us-east-1:" + acct + ":function:fn", Role: r.ARN}}
		return inv, attacker, r.ARN
	case TargetInstanceRole:
		r := serviceRole("ec2.amazonaws.com")
		prof := addProfile(inv, "victim", r.ARN)
		inv.Region("us-east-1").Instances = []inventory.Instance{{ID: "i-0abc", ARN: "arn:aws:ec2:us-east-1:" + acct + ":instance/i-0abc", InstanceProfileARN: prof}}
		inv.Region("us-east-1").SerialConsoleAccess = "enabled"
		if landsOnHost[tech.ID] {
			// A shell on the host: the edge ends on the instance, whose role the resources
			// part reaches through the metadata service.
			return inv, attacker, "arn:aws:ec2:us-east-1:" + acct + ":instance/i-0abc"
		}
		return inv, attacker, r.ARN
	}
	t.Fatalf("technique %s: no scenario for target %s", tech.ID, tech.Target)
	return nil, "", ""
}

// conditionalTargets are the targets whose edges are always conditional: what they need besides
// permissions (a workload we do not inventory, code running on an instance, what a function's
// code does) cannot be known from configuration.
var conditionalTargets = map[Target]bool{TargetUninventoriedRole: true, TargetHostRole: true, TargetPassedToExisting: true, TargetInvokerAdmin: true}

func TestEveryEscalationTechnique(t *testing.T) {
	for _, tech := range Techniques {
		for _, v := range privescVariants {
			t.Run(tech.CatalogID+"/"+v.name, func(t *testing.T) {
				inv, attacker, target := privescScenario(t, tech, v)
				part := build(t, inv)
				e := findEdge(part, attacker, graph.EdgeEscalatesTo, target, tech.ID)
				holder := attacker
				if e == nil && hubCategory(&tech) {
					// A technique one shared policy grants on its own is drawn from the policy node,
					// which the attacker reaches by holding the policy.
					pol := iamARN("policy/attacker-policy")
					if findEdge(part, attacker, graph.EdgeEscalatesTo, pol, TechHoldsPolicy) != nil {
						e, holder = findEdge(part, pol, graph.EdgeEscalatesTo, target, tech.ID), pol
					}
				}
				if (e != nil) != v.want {
					t.Fatalf("%s -[%s]-> %s present=%v, want %v\n%s", attacker, tech.ID, target, e != nil, v.want, dumpEdges(part, attacker))
				}
				if e == nil {
					return
				}
				if !hasEvidence(e, "technique "+tech.CatalogID) || !hasEvidence(e, tech.Perms[0].Action) {
					t.Errorf("evidence %q must name the catalogue id and the permission", e.Evidence)
				}
				if want := conditionalTargets[tech.Target] || tech.Attacker == StackRole || tech.needs(PreEventSource); e.Conditional != want {
					t.Errorf("conditional = %v, want %v", e.Conditional, want)
				}
				f := findFinding(part, RulePrivescPrefix+strings.TrimPrefix(tech.ID, "aws."), holder)
				if f == nil || len(e.Findings) != 1 || e.Findings[0] != f.ID {
					t.Errorf("edge must cite the attacker's privesc finding; findings %v", e.Findings)
				}
			})
		}
	}
}

func TestTechniqueCatalogueIsComplete(t *testing.T) {
	ids := map[string]bool{}
	catalog := map[string]bool{"sts-001": true} // the ASSUMES edge, TechAssumeRole
	for _, tech := range Techniques {
		if ids[tech.ID] || catalog[tech.CatalogID] {
			t.Errorf("duplicate technique %s / %s", tech.ID, tech.CatalogID)
		}
		ids[tech.ID], catalog[tech.CatalogID] = true, true
		if tech.Summary == "" || len(tech.Perms) == 0 || !strings.HasPrefix(tech.ID, "aws.") {
			t.Errorf("technique %s incomplete", tech.ID)
		}
	}
	pathfinding := 0
	for id := range catalog {
		if !strings.HasPrefix(id, "bp-") { // bp-: techniques the catalogue lacks
			pathfinding++
		}
	}
	if pathfinding != 65 {
		t.Errorf("%d pathfinding.cloud ids encoded, want all 65", pathfinding)
	}
}

func TestEveryTargetHasARule(t *testing.T) {
	for _, tech := range Techniques {
		if rules[tech.Target] == nil {
			t.Errorf("technique %s: no rule for target %s", tech.ID, tech.Target)
		}
	}
}

// TestSelfTechniquesActOnTheirAttackerKind: a self-escalation acts on the attacker itself, so
// iam:PutUserPolicy does nothing for a role and iam:PutRolePolicy nothing for a user.
func TestSelfTechniquesActOnTheirAttackerKind(t *testing.T) {
	inv := newInv()
	u := addUser(inv, "u", doc(allow("*", "iam:PutRolePolicy", "iam:AttachRolePolicy")))
	r := addRole(inv, "r", trustDoc(map[string]any{"Service": "ec2.amazonaws.com"}, nil), doc(allow("*", "iam:PutUserPolicy", "iam:AttachUserPolicy")))
	part := build(t, inv)
	for _, tc := range []struct{ attacker, technique string }{
		{u.ARN, "aws.iam.put-role-policy"}, {u.ARN, "aws.iam.attach-role-policy"},
		{r.ARN, "aws.iam.put-user-policy"}, {r.ARN, "aws.iam.attach-user-policy"},
	} {
		if e := findEdge(part, tc.attacker, graph.EdgeEscalatesTo, adminNode(), tc.technique); e != nil {
			t.Errorf("%s must not self-escalate with %s: %v", tc.attacker, tc.technique, e.Evidence)
		}
	}
}

// TestPreconditionsDecideTheMove checks each precondition of the table against a victim for whom
// it holds and one for whom it fails: removing the precondition's rule makes one case fail.
func TestPreconditionsDecideTheMove(t *testing.T) {
	twoKeys := []inventory.AccessKey{{ID: "AKIA0000000000000001", Status: "Active"}, {ID: "AKIA0000000000000002", Status: "Active"}}
	tests := []struct {
		name      string
		technique string
		victim    func(u *inventory.User)
		want      bool
	}{
		{"create-access-key on a user with a free slot", "aws.iam.create-access-key", func(u *inventory.User) {}, true},
		{"create-access-key on a user with two keys", "aws.iam.create-access-key", func(u *inventory.User) { u.AccessKeys = twoKeys }, false},
		{"rotate on a user with two keys", "aws.iam.create-access-key-rotate", func(u *inventory.User) { u.AccessKeys = twoKeys }, true},
		{"rotate on a user with one key", "aws.iam.create-access-key-rotate", func(u *inventory.User) { u.AccessKeys = twoKeys[:1] }, false},
		{"create-login-profile on a user without a password", "aws.iam.create-login-profile", func(u *inventory.User) {}, true},
		{"create-login-profile on a user with a password", "aws.iam.create-login-profile", func(u *inventory.User) { u.LoginProfile = true }, false},
		{"update-login-profile on a user with a password", "aws.iam.update-login-profile", func(u *inventory.User) { u.LoginProfile = true }, true},
		{"update-login-profile on a user without a password", "aws.iam.update-login-profile", func(u *inventory.User) {}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tech, ok := TechniqueByID(tt.technique)
			if !ok {
				t.Fatalf("no technique %s", tt.technique)
			}
			inv := newInv()
			a := addUser(inv, "attacker", doc(allow("*", strings.Split(permList(&tech), " + ")...)))
			v := addUser(inv, "victim")
			tt.victim(v)
			part := build(t, inv)
			if e := findEdge(part, a.ARN, graph.EdgeEscalatesTo, v.ARN, tech.ID); (e != nil) != tt.want {
				t.Fatalf("edge present=%v, want %v\n%s", e != nil, tt.want, dumpEdges(part, a.ARN))
			}
		})
	}
}

// TestCustomResourceNeedsAStackRole: only a role CloudFormation can assume acts through custom
// resources; a user or another role with the same permissions does not.
func TestCustomResourceNeedsAStackRole(t *testing.T) {
	for _, svc := range []string{"cloudformation.amazonaws.com", "ec2.amazonaws.com"} {
		t.Run(svc, func(t *testing.T) {
			inv := newInv()
			a := addRole(inv, "stack", trustDoc(map[string]any{"Service": svc}, nil), doc(allow("*", "iam:PassRole", "lambda:CreateFunction")))
			v := addRole(inv, "victim", trustDoc(map[string]any{"Service": "lambda.amazonaws.com"}, nil))
			part := build(t, inv)
			e := findEdge(part, a.ARN, graph.EdgeEscalatesTo, v.ARN, "aws.cloudformation.custom-resource-function")
			if want := svc == "cloudformation.amazonaws.com"; (e != nil) != want {
				t.Fatalf("edge present=%v, want %v\n%s", e != nil, want, dumpEdges(part, a.ARN))
			}
		})
	}
}

func TestPassRoleRestrictions(t *testing.T) {
	create := []string{"lambda:CreateFunction", "lambda:InvokeFunction"}
	tests := []struct {
		name        string
		passRole    stmt
		want        bool
		conditional bool
	}{
		{"PassRole on the target role", allow(iamARN("role/victim"), "iam:PassRole"), true, false},
		{"PassRole restricted to another role", allow(iamARN("role/other"), "iam:PassRole"), false, false},
		{"PassedToService names lambda", stmt{Effect: "Allow", Action: "iam:PassRole", Resource: "*",
			Condition: map[string]any{"StringEquals": map[string]any{"iam:PassedToService": "lambda.amazonaws.com"}}}, true, false},
		{"PassedToService names another service", stmt{Effect: "Allow", Action: "iam:PassRole", Resource: "*",
			Condition: map[string]any{"StringEquals": map[string]any{"iam:PassedToService": "ec2.amazonaws.com"}}}, false, false},
		{"PassRole conditional on a tag of the request", stmt{Effect: "Allow", Action: "iam:PassRole", Resource: "*",
			Condition: map[string]any{"StringEquals": map[string]any{"aws:RequestTag/team": "x"}}}, true, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			inv := newInv()
			u := addUser(inv, "attacker", doc(allow("*", create...), tt.passRole))
			addRole(inv, "victim", trustDoc(map[string]any{"Service": "lambda.amazonaws.com"}, nil))
			part := build(t, inv)
			e := findEdge(part, u.ARN, graph.EdgeEscalatesTo, iamARN("role/victim"), "aws.lambda.passrole-create-function-invoke")
			if (e != nil) != tt.want {
				t.Fatalf("edge present=%v, want %v\n%s", e != nil, tt.want, dumpEdges(part, u.ARN))
			}
			if e != nil && e.Conditional != tt.conditional {
				t.Fatalf("conditional = %v, want %v (%v)", e.Conditional, tt.conditional, e.Evidence)
			}
		})
	}
}

func TestEscalationChainsThroughAssumedRole(t *testing.T) {
	// user -> assumes A -> A passes admin role B to a new Lambda -> B is admin.
	inv := newInv()
	a := iamARN("role/A")
	u := addUser(inv, "dev", doc(allow(a, "sts:AssumeRole")))
	addRole(inv, "A", trustDoc(map[string]any{"AWS": "arn:aws:iam::" + acct + ":root"}, nil),
		doc(allow(iamARN("role/B"), "iam:PassRole"), allow("*", "lambda:CreateFunction", "lambda:InvokeFunction")))
	b := addRole(inv, "B", trustDoc(map[string]any{"Service": "lambda.amazonaws.com"}, nil))
	b.AttachedPolicies = []inventory.AttachedPolicy{{ARN: "arn:aws:iam::aws:policy/AdministratorAccess"}}
	part := build(t, inv)
	steps := []struct {
		from, to  string
		kind      graph.EdgeKind
		technique string
	}{
		{u.ARN, a, graph.EdgeAssumes, TechAssumeRole},
		{a, b.ARN, graph.EdgeEscalatesTo, "aws.lambda.passrole-create-function-invoke"},
		{b.ARN, adminNode(), graph.EdgeAdministers, TechAdminEquivalent},
	}
	for _, s := range steps {
		if findEdge(part, s.from, s.kind, s.to, s.technique) == nil {
			t.Errorf("missing %s -[%s %s]-> %s\n%s", s.from, s.kind, s.technique, s.to, dumpEdges(part, ""))
		}
	}
	if !reachable(part, u.ARN, adminNode()) {
		t.Fatal("the user must reach the account administrator")
	}
	if f := findFinding(part, RulePrivescPrefix+"lambda.passrole-create-function-invoke", a); f == nil || f.Severity != graph.SeverityCritical {
		t.Fatalf("privesc finding to an admin role must be critical: %+v", f)
	}
}

func TestAdminPrincipalsGetNoEscalationEdges(t *testing.T) {
	inv := newInv()
	u := addUser(inv, "root-ish")
	u.AttachedPolicies = []inventory.AttachedPolicy{{ARN: "arn:aws:iam::aws:policy/AdministratorAccess"}}
	addUser(inv, "victim")
	addRole(inv, "fn", trustDoc(map[string]any{"Service": "lambda.amazonaws.com"}, nil))
	part := build(t, inv)
	for _, e := range part.Edges {
		if e.From == u.ARN && e.Kind == graph.EdgeEscalatesTo {
			t.Fatalf("admin principal has escalation edge %+v", e)
		}
	}
	if findEdge(part, u.ARN, graph.EdgeAdministers, adminNode(), TechAdminEquivalent) == nil {
		t.Fatal("admin principal must administer the account")
	}
}

func TestSelfEscalationNeedsOwnPolicy(t *testing.T) {
	// CreatePolicyVersion limited to a policy attached to someone else is not a self-escalation.
	inv := newInv()
	other := addPolicy(inv, "someone-elses", doc(allow("*", "s3:GetObject")))
	u := addUser(inv, "attacker", doc(allow(other, "iam:CreatePolicyVersion")))
	part := build(t, inv)
	if e := findEdge(part, u.ARN, graph.EdgeEscalatesTo, adminNode(), "aws.iam.create-policy-version"); e != nil {
		t.Fatalf("unexpected self-escalation %+v", e)
	}
}

func TestTechniquesDocumented(t *testing.T) {
	data, err := os.ReadFile("../../../docs/techniques.md")
	if err != nil {
		t.Fatalf("read docs/techniques.md: %v", err)
	}
	text := string(data)
	ids := []string{TechAssumeRole, TechAssumeRoleWebIdentity, TechAssumeRoleSAML, TechAdminEquivalent, TechHoldsPolicy}
	for _, tech := range Techniques {
		ids = append(ids, tech.ID)
		if !strings.Contains(text, "| "+tech.CatalogID+" |") {
			t.Errorf("docs/techniques.md does not cite catalogue id %s", tech.CatalogID)
		}
	}
	for _, id := range ids {
		if !strings.Contains(text, "`"+id+"`") {
			t.Errorf("docs/techniques.md does not list %s", id)
		}
	}
}

func TestDenyInAnotherPolicyBlocksEscalation(t *testing.T) {
	mfaDeny := stmt{Effect: "Deny", Action: "iam:*", Resource: "*", Condition: map[string]any{"BoolIfExists": map[string]any{"aws:MultiFactorAuthPresent": "false"}}}
	tests := []struct {
		name        string
		deny        stmt
		want        bool
		conditional bool
	}{
		{"unconditional deny", deny("*", "iam:CreateAccessKey"), false, false},
		{"deny unless MFA makes the move conditional", mfaDeny, true, true},
		{"deny of something else", deny("*", "s3:GetObject"), true, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			inv := newInv()
			keys := addPolicy(inv, "keys", doc(allow("*", "iam:CreateAccessKey")))
			u := addUser(inv, "attacker", doc(tt.deny))
			u.AttachedPolicies = []inventory.AttachedPolicy{{ARN: keys}}
			victim := addUser(inv, "victim")
			part := build(t, inv)
			e := findEdge(part, u.ARN, graph.EdgeEscalatesTo, victim.ARN, "aws.iam.create-access-key")
			if (e != nil) != tt.want {
				t.Fatalf("edge present=%v, want %v\n%s", e != nil, tt.want, dumpEdges(part, u.ARN))
			}
			if e != nil && e.Conditional != tt.conditional {
				t.Fatalf("conditional = %v, want %v (%v)", e.Conditional, tt.conditional, e.Evidence)
			}
		})
	}
}

// TestSetDefaultPolicyVersionDrawsWhatAStoredVersionGrantsMore: every stored non-default version
// is evaluated as a potential grant. One that makes the holder administrator is an escalation to
// the administrator node; one that grants data access the default does not is a move to that
// data, through the same evaluation as data access (denies, SCPs, boundaries respected).
func TestSetDefaultPolicyVersionDrawsWhatAStoredVersionGrantsMore(t *testing.T) {
	const bucket = "arn:aws:s3:::payroll"
	const tech = "aws.iam.set-default-policy-version"
	mfa := stmt{Effect: "Allow", Action: "iam:SetDefaultPolicyVersion", Resource: "*", Condition: map[string]any{"Bool": map[string]any{"aws:MultiFactorAuthPresent": "true"}}}
	tests := []struct {
		name     string
		versions []inventory.PolicyVersion
		rollback stmt   // the attacker's iam:SetDefaultPolicyVersion statement
		extra    string // another inline policy of the attacker
		scp      string
		boundary string // the attacker's permissions boundary document
		admin    bool   // the escalation to the administrator node is drawn
		reads    bool   // the rollback's READS edge to the bucket is drawn
		cond     bool   // and it is conditional
		victim   bool   // the rollback's escalation to the victim user is drawn (the version enables iam:CreateAccessKey on it)
	}{
		{name: "stored version allows everything", versions: []inventory.PolicyVersion{{ID: "v1", Document: doc(allow("*", "*"))}},
			rollback: allow("*", "iam:SetDefaultPolicyVersion"), admin: true},
		{name: "stored version grants data access", versions: []inventory.PolicyVersion{{ID: "v1", Document: doc(allow("*", "s3:*"))}},
			rollback: allow("*", "iam:SetDefaultPolicyVersion"), reads: true},
		{name: "rollback only with MFA is conditional", versions: []inventory.PolicyVersion{{ID: "v1", Document: doc(allow("*", "s3:*"))}},
			rollback: mfa, reads: true, cond: true},
		{name: "default already grants it", versions: []inventory.PolicyVersion{{ID: "v1", Document: doc(allow("*", "s3:*"))}},
			rollback: allow("*", "iam:SetDefaultPolicyVersion"), extra: doc(allow("*", "s3:GetObject", "s3:ListBucket"))},
		{name: "stored version grants nothing more", versions: []inventory.PolicyVersion{{ID: "v1", Document: doc(allow("*", "iam:ListPolicyVersions"))}},
			rollback: allow("*", "iam:SetDefaultPolicyVersion")},
		{name: "no stored version", rollback: allow("*", "iam:SetDefaultPolicyVersion")},
		{name: "permission scoped to another policy", versions: []inventory.PolicyVersion{{ID: "v1", Document: doc(allow("*", "*"))}},
			rollback: allow(iamARN("policy/other"), "iam:SetDefaultPolicyVersion")},
		{name: "rollback explicitly denied", versions: []inventory.PolicyVersion{{ID: "v1", Document: doc(allow("*", "s3:*"))}},
			rollback: allow("*", "iam:SetDefaultPolicyVersion"), extra: doc(deny("*", "iam:SetDefaultPolicyVersion"))},
		{name: "SCP denies what the version grants", versions: []inventory.PolicyVersion{{ID: "v1", Document: doc(allow("*", "s3:*"))}},
			rollback: allow("*", "iam:SetDefaultPolicyVersion"), scp: doc(allow("*", "*"), deny("*", "s3:*"))},
		{name: "SCP denies the rollback", versions: []inventory.PolicyVersion{{ID: "v1", Document: doc(allow("*", "*"))}},
			rollback: allow("*", "iam:SetDefaultPolicyVersion"), scp: doc(allow("*", "*"), deny("*", "iam:SetDefaultPolicyVersion"))},
		{name: "stored version enables an escalation", versions: []inventory.PolicyVersion{{ID: "v1", Document: doc(allow(iamARN("user/victim"), "iam:CreateAccessKey"))}},
			rollback: allow("*", "iam:SetDefaultPolicyVersion"), victim: true},
		{name: "default already enables the escalation", versions: []inventory.PolicyVersion{{ID: "v1", Document: doc(allow(iamARN("user/victim"), "iam:CreateAccessKey"))}},
			rollback: allow("*", "iam:SetDefaultPolicyVersion"), extra: doc(allow("*", "iam:CreateAccessKey"))},
		{name: "SCP denies the escalation the version enables", versions: []inventory.PolicyVersion{{ID: "v1", Document: doc(allow(iamARN("user/victim"), "iam:CreateAccessKey"))}},
			rollback: allow("*", "iam:SetDefaultPolicyVersion"), scp: doc(allow("*", "*"), deny("*", "iam:CreateAccessKey"))},
		{name: "boundary withholds the escalation the version enables", versions: []inventory.PolicyVersion{{ID: "v1", Document: doc(allow(iamARN("user/victim"), "iam:CreateAccessKey"))}},
			rollback: allow("*", "iam:SetDefaultPolicyVersion"), boundary: doc(allow("*", "iam:SetDefaultPolicyVersion", "s3:*"))},
		{name: "boundary withholds what the version grants", versions: []inventory.PolicyVersion{{ID: "v1", Document: doc(allow("*", "s3:*"))}},
			rollback: allow("*", "iam:SetDefaultPolicyVersion"), boundary: doc(allow("*", "iam:*"))},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			inv := newInv()
			inv.S3 = append(inv.S3, inventory.Bucket{Name: "payroll", ARN: bucket, Region: "us-east-1"})
			pol := addPolicy(inv, "dev", doc(tt.rollback, allow("*", "iam:ListPolicyVersions")))
			inv.IAM.Policies[len(inv.IAM.Policies)-1].OtherVersions = tt.versions
			var inline []string
			if tt.extra != "" {
				inline = append(inline, tt.extra)
			}
			u := addUser(inv, "attacker", inline...)
			u.AttachedPolicies = []inventory.AttachedPolicy{{ARN: pol}}
			if tt.boundary != "" {
				u.PermissionBoundary = addPolicy(inv, "boundary", tt.boundary)
			}
			if tt.scp != "" {
				withSCP(inv, tt.scp)
			}
			victim := addUser(inv, "victim")
			part := build(t, inv)
			if v := findEdge(part, u.ARN, graph.EdgeEscalatesTo, victim.ARN, tech); (v != nil) != tt.victim {
				t.Fatalf("rollback escalation to the victim present=%v, want %v\n%s", v != nil, tt.victim, dumpEdges(part, u.ARN))
			} else if v != nil && (!hasEvidence(v, "enables aws.iam.create-access-key") || len(v.Findings) == 0) {
				t.Errorf("the move must name the technique the version enables and cite a finding: %v %v", v.Evidence, v.Findings)
			}
			e := findEdge(part, u.ARN, graph.EdgeEscalatesTo, adminNode(), tech)
			if (e != nil) != tt.admin {
				t.Fatalf("admin edge present=%v, want %v\n%s", e != nil, tt.admin, dumpEdges(part, u.ARN))
			}
			if e != nil && !hasEvidence(e, "stored version v1") {
				t.Errorf("evidence must name the version: %v", e.Evidence)
			}
			r := findEdge(part, u.ARN, graph.EdgeReads, bucket, tech)
			if (r != nil) != tt.reads {
				t.Fatalf("rollback READS edge present=%v, want %v\n%s", r != nil, tt.reads, dumpEdges(part, u.ARN))
			}
			if r == nil {
				return
			}
			if r.Conditional != tt.cond {
				t.Errorf("conditional = %v, want %v (%v)", r.Conditional, tt.cond, r.Evidence)
			}
			if !hasEvidence(r, "stored version v1") || len(r.Findings) == 0 {
				t.Errorf("the move must name the version and cite the privilege-escalation finding: %v %v", r.Evidence, r.Findings)
			}
		})
	}
}

// TestJoinedGroupIsNotADeadEnd: a user who can add itself to a group escalates through what the
// group's policies let a member do, even when the group has no members yet.
func TestJoinedGroupIsNotADeadEnd(t *testing.T) {
	ops := iamARN("group/ops")
	tests := []struct {
		name      string
		group     string // the group's inline policy
		scp       string
		technique string // expected group -> administrator technique ("" for none)
	}{
		{"group may rewrite its own policies", doc(allow(ops, "iam:AttachGroupPolicy")), "", "aws.iam.attach-group-policy"},
		{"group may write policies onto its members", doc(allow("*", "iam:PutUserPolicy")), "", "aws.iam.put-user-policy"},
		{"group only reads", doc(allow("*", "s3:GetObject")), "", ""},
		{"SCP denies the group's move", doc(allow(ops, "iam:AttachGroupPolicy")), doc(allow("*", "*"), deny("*", "iam:AttachGroupPolicy")), ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			inv := newInv()
			if tt.scp != "" {
				withSCP(inv, tt.scp)
			}
			inv.IAM.Groups = append(inv.IAM.Groups, inventory.Group{ARN: ops, Name: "ops",
				InlinePolicies: []inventory.InlinePolicy{{Name: "ops", Document: tt.group}}})
			u := addUser(inv, "attacker", doc(allow(ops, "iam:AddUserToGroup")))
			part := build(t, inv)
			if findEdge(part, u.ARN, graph.EdgeEscalatesTo, ops, "aws.iam.add-user-to-group") == nil {
				t.Fatalf("the attacker must be able to join the group\n%s", dumpEdges(part, u.ARN))
			}
			e := findEdge(part, ops, graph.EdgeEscalatesTo, adminNode(), tt.technique)
			if got := e != nil && tt.technique != ""; got != (tt.technique != "") || (tt.technique == "" && findEdge(part, ops, graph.EdgeEscalatesTo, adminNode(), "") != nil) {
				t.Fatalf("group -> administrator (%q): got %v\n%s", tt.technique, e, dumpEdges(part, ops))
			}
			if reachable(part, u.ARN, adminNode()) != (tt.technique != "") {
				t.Fatalf("attacker reaches the administrator = %v, want %v", !(tt.technique != ""), tt.technique != "")
			}
		})
	}
}

func TestInvokingAFunctionThatModifiesTheInvoker(t *testing.T) {
	fn := "arn:aws:lambda:us-east-1:" + acct + ":function:fn"
	tests := []struct {
		name     string
		fnPolicy string // the function role's inline policy
		want     bool
	}{
		{"role may attach policies to the invoker", doc(allow(iamARN("user/attacker"), "iam:AttachUserPolicy")), true},
		{"role may add users to an admin group", doc(allow(iamARN("group/admins"), "iam:AddUserToGroup")), true},
		{"role may attach policies to someone else only", doc(allow(iamARN("user/other"), "iam:AttachUserPolicy")), false},
		{"role may attach role policies (wrong kind for a user)", doc(allow("*", "iam:AttachRolePolicy")), false},
		{"role only reads", doc(allow("*", "s3:GetObject")), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			inv := newInv()
			inv.IAM.Groups = append(inv.IAM.Groups, inventory.Group{ARN: iamARN("group/admins"), Name: "admins",
				AttachedPolicies: []inventory.AttachedPolicy{{ARN: "arn:aws:iam::aws:policy/AdministratorAccess"}}})
			r := addRole(inv, "fn-role", trustDoc(map[string]any{"Service": "lambda.amazonaws.com"}, nil), tt.fnPolicy)
			inv.Region("us-east-1").Functions = []inventory.LambdaFunction{{Name: "fn", ARN: fn, Role: r.ARN}}
			u := addUser(inv, "attacker", doc(allow(fn, "lambda:InvokeFunction")))
			part := build(t, inv)
			e := findEdge(part, u.ARN, graph.EdgeEscalatesTo, adminNode(), "aws.lambda.invoke-function-modifies-invoker")
			if (e != nil) != tt.want {
				t.Fatalf("edge present=%v, want %v\n%s", e != nil, tt.want, dumpEdges(part, u.ARN))
			}
			if e != nil && (!e.Conditional || !hasEvidence(e, r.ARN+" may ")) {
				t.Errorf("the edge must be conditional and cite the function role's permission: %+v", e)
			}
		})
	}
}

// TestStaticTimeConditionsAreDecided: time conditions whose outcome no request can change are
// decided at collection time (testNow is 2026-06-01), the rest stay conditional.
func TestStaticTimeConditionsAreDecided(t *testing.T) {
	tests := []struct {
		name        string
		cond        map[string]any
		want        bool
		conditional bool
	}{
		{"CurrentTime before a past date never grants", map[string]any{"DateLessThan": map[string]any{"aws:CurrentTime": "2020-01-01T00:00:00Z"}}, false, false},
		{"CurrentTime after a past date grants", map[string]any{"DateGreaterThan": map[string]any{"aws:CurrentTime": "2020-01-01T00:00:00Z"}}, true, false},
		{"EpochTime before a past instant never grants", map[string]any{"NumericLessThan": map[string]any{"aws:EpochTime": "1577836800"}}, false, false},
		{"EpochTime as a date after a past instant grants", map[string]any{"DateGreaterThan": map[string]any{"aws:EpochTime": "1577836800"}}, true, false},
		{"TokenIssueTime before a past date never grants", map[string]any{"DateLessThan": map[string]any{"aws:TokenIssueTime": "2020-01-01T00:00:01Z"}}, false, false},
		{"TokenIssueTime after a past date depends on the credentials", map[string]any{"DateGreaterThan": map[string]any{"aws:TokenIssueTime": "2020-01-01T00:00:01Z"}}, true, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			inv := newInv()
			u := addUser(inv, "attacker", doc(stmt{Effect: "Allow", Action: "iam:CreateAccessKey", Resource: "*", Condition: tt.cond}))
			v := addUser(inv, "victim")
			part := build(t, inv)
			e := findEdge(part, u.ARN, graph.EdgeEscalatesTo, v.ARN, "aws.iam.create-access-key")
			if (e != nil) != tt.want {
				t.Fatalf("edge present=%v, want %v\n%s", e != nil, tt.want, dumpEdges(part, u.ARN))
			}
			if e != nil && e.Conditional != tt.conditional {
				t.Fatalf("conditional = %v, want %v (%v)", e.Conditional, tt.conditional, e.Evidence)
			}
		})
	}
}

// TestUnknownCredentialsMakeTheMoveConditional: an offline import does not know a user's access
// keys or console password; the moves that depend on them are drawn conditional, naming the
// missing fact, never dropped.
func TestUnknownCredentialsMakeTheMoveConditional(t *testing.T) {
	tests := []struct {
		technique string
		missing   string
	}{
		{"aws.iam.create-access-key", "access keys not collected"},
		{"aws.iam.create-access-key-rotate", "access keys not collected"},
		{"aws.iam.create-login-profile", "login profile not collected"},
		{"aws.iam.update-login-profile", "login profile not collected"},
	}
	for _, tt := range tests {
		t.Run(tt.technique, func(t *testing.T) {
			tech, _ := TechniqueByID(tt.technique)
			inv := newInv()
			a := addUser(inv, "attacker", doc(allow("*", strings.Split(permList(&tech), " + ")...)))
			v := addUser(inv, "victim")
			v.AccessKeysRead, v.LoginProfileRead = false, false // as in an authorization-details export
			part := build(t, inv)
			e := findEdge(part, a.ARN, graph.EdgeEscalatesTo, v.ARN, tech.ID)
			if e == nil {
				t.Fatalf("the move must be drawn when the precondition is unknown\n%s", dumpEdges(part, a.ARN))
			}
			if !e.Conditional || !hasEvidence(e, tt.missing) {
				t.Fatalf("the move must be conditional and name the missing fact %q: %+v", tt.missing, e)
			}
		})
	}
}

// TestEmptyProfileUnknownInAnExport: without the full list of instance profiles, an empty one may
// exist; the add-role technique is drawn conditional, not dropped. With the full list and none
// empty, it is not drawn.
func TestEmptyProfileUnknownInAnExport(t *testing.T) {
	for _, listed := range []bool{false, true} {
		t.Run(fmt.Sprintf("all profiles listed=%v", listed), func(t *testing.T) {
			inv := newInv()
			inv.IAM.AllInstanceProfiles = listed
			a := addUser(inv, "attacker", doc(allow("*", "iam:PassRole", "iam:AddRoleToInstanceProfile", "ec2:RunInstances")))
			v := addRole(inv, "victim", trustDoc(map[string]any{"Service": "ec2.amazonaws.com"}, nil))
			part := build(t, inv)
			e := findEdge(part, a.ARN, graph.EdgeEscalatesTo, v.ARN, "aws.iam.add-role-to-instance-profile-run-instances")
			if (e != nil) == listed {
				t.Fatalf("edge present=%v with all profiles listed=%v\n%s", e != nil, listed, dumpEdges(part, a.ARN))
			}
			if e != nil && (!e.Conditional || !hasEvidence(e, "profiles without roles were not listed")) {
				t.Fatalf("must be conditional and name the missing fact: %+v", e)
			}
		})
	}
}

// TestABACAgainstCollectedTags: aws:ResourceTag / iam:ResourceTag conditions are decided against
// the target's collected tags; a condition that fails today holds after the attacker retags the
// target, when it may, and the tag change is a cited step of the move.
func TestABACAgainstCollectedTags(t *testing.T) {
	onTag := func(key string) stmt {
		return stmt{Effect: "Allow", Action: "iam:CreateAccessKey", Resource: "*", Condition: map[string]any{"StringEquals": map[string]any{key: "true"}}}
	}
	tests := []struct {
		name        string
		key         string
		victimTags  inventory.Tags
		canTag      bool
		want        bool
		conditional bool
		tagStep     bool
	}{
		{"iam:ResourceTag holds today", "iam:ResourceTag/developer", inventory.Tags{"developer": "true"}, false, true, false, false},
		{"aws:ResourceTag holds today", "aws:ResourceTag/developer", inventory.Tags{"developer": "true"}, false, true, false, false},
		{"tag has another value", "aws:ResourceTag/developer", inventory.Tags{"developer": "false"}, false, false, false, false},
		{"tag missing", "iam:ResourceTag/developer", nil, false, false, false, false},
		{"tag missing but the attacker may retag", "iam:ResourceTag/developer", nil, true, true, false, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			inv := newInv()
			stmts := []stmt{onTag(tt.key)}
			if tt.canTag {
				stmts = append(stmts, allow("*", "iam:TagUser"))
			}
			a := addUser(inv, "attacker", doc(stmts...))
			v := addUser(inv, "victim")
			v.Tags = tt.victimTags
			part := build(t, inv)
			e := findEdge(part, a.ARN, graph.EdgeEscalatesTo, v.ARN, "aws.iam.create-access-key")
			if (e != nil) != tt.want {
				t.Fatalf("edge present=%v, want %v\n%s", e != nil, tt.want, dumpEdges(part, a.ARN))
			}
			if e == nil {
				return
			}
			if e.Conditional != tt.conditional || hasEvidence(e, "tag step: iam:TagUser") != tt.tagStep {
				t.Fatalf("conditional=%v (want %v), tag step cited=%v (want %v): %v", e.Conditional, tt.conditional, !tt.tagStep, tt.tagStep, e.Evidence)
			}
		})
	}
}

// TestInstanceTagsDecideABACAndRetaggingIsAStep: an ABAC condition on an instance's tags is
// decided against the tags collected with the instance; one that fails today draws no edge unless
// the attacker may retag the instance (ec2:CreateTags), which then is the move's first step.
func TestInstanceTagsDecideABACAndRetaggingIsAStep(t *testing.T) {
	const tech = "aws.ssm.send-command"
	instance := "arn:aws:ec2:us-east-1:" + acct + ":instance/i-0abc"
	send := stmt{Effect: "Allow", Action: "ssm:SendCommand", Resource: "*", Condition: map[string]any{"StringEquals": map[string]any{"aws:ResourceTag/env": "dev"}}}
	tests := []struct {
		name     string
		tags     map[string]string
		extra    []stmt
		scp      string
		boundary string
		want     bool
		step     bool // the edge's evidence starts the move with the tag change
	}{
		{name: "tag matches today", tags: map[string]string{"env": "dev"}, want: true},
		{name: "tag differs and the attacker cannot retag", tags: map[string]string{"env": "prod"}},
		{name: "untagged instance and the attacker cannot retag", tags: nil},
		{name: "tag differs and the attacker may retag", tags: map[string]string{"env": "prod"}, extra: []stmt{allow("*", "ec2:CreateTags")}, want: true, step: true},
		{name: "retagging denied outright", tags: map[string]string{"env": "prod"}, extra: []stmt{allow("*", "ec2:CreateTags"), deny("*", "ec2:CreateTags")}},
		{name: "SCP denies retagging", tags: map[string]string{"env": "prod"}, extra: []stmt{allow("*", "ec2:CreateTags")},
			scp: doc(allow("*", "*"), deny("*", "ec2:CreateTags"))},
		{name: "boundary withholds retagging", tags: map[string]string{"env": "prod"}, extra: []stmt{allow("*", "ec2:CreateTags")},
			boundary: doc(allow("*", "ssm:SendCommand"))},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			inv := newInv()
			inv.Region("us-east-1").Instances = []inventory.Instance{{ID: "i-0abc", ARN: instance, State: "running", Tags: tt.tags}}
			u := addUser(inv, "attacker", doc(append([]stmt{send}, tt.extra...)...))
			if tt.boundary != "" {
				u.PermissionBoundary = addPolicy(inv, "boundary", tt.boundary)
			}
			if tt.scp != "" {
				withSCP(inv, tt.scp)
			}
			part := build(t, inv)
			e := findEdge(part, u.ARN, graph.EdgeEscalatesTo, instance, tech)
			if (e != nil) != tt.want {
				t.Fatalf("edge present=%v, want %v\n%s", e != nil, tt.want, dumpEdges(part, u.ARN))
			}
			if e == nil {
				return
			}
			if e.Conditional {
				t.Errorf("the tags are known: the edge must not be conditional (%v)", e.Evidence)
			}
			if got := hasEvidence(e, "tag step: ec2:CreateTags on "+instance); got != tt.step {
				t.Errorf("tag step in evidence = %v, want %v: %v", got, tt.step, e.Evidence)
			}
		})
	}
}

func TestSerialConsoleLandsOnlyWhereAccountAccessIsEnabled(t *testing.T) {
	tech := techniqueByID(t, TechSerialConsole)
	for _, status := range []string{"enabled", "disabled", ""} {
		t.Run("status "+status, func(t *testing.T) {
			inv, attacker, target := privescScenario(t, tech, privescVariants[0])
			inv.Region("us-east-1").SerialConsoleAccess = status
			part := build(t, inv)
			e := findEdge(part, attacker, graph.EdgeEscalatesTo, target, tech.ID)
			if e == nil { // drawn from the shared policy node the attacker holds
				e = findEdge(part, iamARN("policy/attacker-policy"), graph.EdgeEscalatesTo, target, tech.ID)
			}
			if (e != nil) != (status == "enabled") {
				t.Fatalf("serial console edge present=%v with access %q", e != nil, status)
			}
			if e != nil && !hasEvidence(e, "serial console access is enabled") {
				t.Errorf("evidence %q does not name the account setting", e.Evidence)
			}
		})
	}
}

func techniqueByID(t *testing.T, id string) Technique {
	t.Helper()
	for _, tech := range Techniques {
		if tech.ID == id {
			return tech
		}
	}
	t.Fatalf("no technique %s", id)
	return Technique{}
}

func TestLaunchTemplateVersionNeedsAnExistingTemplateWithTheProfile(t *testing.T) {
	tech := techniqueByID(t, "aws.ec2.launch-template-version")
	tests := []struct {
		name     string
		collect  bool   // the ec2 area was read
		profile  string // the default version's instance profile ("" = no template)
		want     bool
		wantCond bool
	}{
		{"launch templates not collected: conditional", false, "", true, true},
		{"no launch template exists", true, "", false, false},
		{"a template launches with the role's profile", true, "PROFILE", true, true},
		{"a template names the profile by name", true, "NAME", true, true},
		{"the only template uses another profile", true, "arn:aws:iam::" + acct + ":instance-profile/other", false, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			inv, attacker, target := privescScenario(t, tech, privescVariants[0])
			if tc.collect {
				inv.Coverage.Read = append(inv.Coverage.Read, graph.Area{Service: "ec2", Region: "us-east-1"})
			}
			if tc.profile != "" {
				prof := inv.IAM.InstanceProfiles[len(inv.IAM.InstanceProfiles)-1]
				ref := tc.profile
				switch ref {
				case "PROFILE":
					ref = prof.ARN
				case "NAME":
					ref = prof.Name
				}
				inv.Region("us-east-1").LaunchTemplates = []inventory.LaunchTemplate{{ID: "lt-1", Name: "app", InstanceProfile: ref}}
			}
			part := build(t, inv)
			e := findEdge(part, attacker, graph.EdgeEscalatesTo, target, tech.ID)
			if e == nil {
				e = findEdge(part, iamARN("policy/attacker-policy"), graph.EdgeEscalatesTo, target, tech.ID)
			}
			if (e != nil) != tc.want {
				t.Fatalf("launch-template edge present=%v, want %v", e != nil, tc.want)
			}
			if e != nil && e.Conditional != tc.wantCond {
				t.Errorf("conditional = %v, want %v", e.Conditional, tc.wantCond)
			}
		})
	}
}
