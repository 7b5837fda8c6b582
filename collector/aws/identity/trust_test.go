package identity

import (
	"testing"

	"github.com/breachpath/breachpath/collector/aws/inventory"
	"github.com/breachpath/breachpath/graph"
)

func TestAssumeRole(t *testing.T) {
	alice := iamARN("user/alice")
	target := iamARN("role/target")
	rootTrust := trustDoc(map[string]any{"AWS": "arn:aws:iam::" + acct + ":root"}, nil)
	canAssume := doc(allow(target, "sts:AssumeRole"))
	oidc := "arn:aws:iam::" + acct + ":oidc-provider/token.actions.githubusercontent.com"
	webIdentity := func(cond map[string]any) string {
		return doc(stmt{Effect: "Allow", Principal: map[string]any{"Federated": oidc}, Action: "sts:AssumeRoleWithWebIdentity", Condition: cond})
	}
	tests := []struct {
		name        string
		trust       string
		aliceDoc    string
		org         bool
		from        string
		technique   string
		want        bool
		conditional bool
		evidence    string
		finding     string
		nodeKind    graph.Kind
		stub        bool
	}{
		{"trust naming the user needs no identity allow", trustDoc(map[string]any{"AWS": alice}, nil), "", false,
			alice, TechAssumeRole, true, false, "", "", "", false},
		{"account-root trust without identity allow", rootTrust, "", false, alice, TechAssumeRole, false, false, "", "", "", false},
		{"account-root trust with identity allow", rootTrust, canAssume, false, alice, TechAssumeRole, true, false, "#trust statement #0", "", "", false},
		{"account-root trust with identity allow on another role", rootTrust, doc(allow(iamARN("role/other"), "sts:AssumeRole")), false,
			alice, TechAssumeRole, false, false, "", "", "", false},
		{"external account without external id", trustDoc(map[string]any{"AWS": other}, nil), "", false,
			"arn:aws:iam::" + other + ":root", TechAssumeRole, true, false, "", RuleRoleTrustsNoExternalID, graph.KindExternalPrincipal, false},
		{"external account with external id", trustDoc(map[string]any{"AWS": "arn:aws:iam::" + other + ":root"},
			map[string]any{"StringEquals": map[string]any{"sts:ExternalId": "vendor-123"}}), "", false,
			"arn:aws:iam::" + other + ":root", TechAssumeRole, true, true, "requires external id", "", graph.KindExternalPrincipal, false},
		{"external role named specifically", trustDoc(map[string]any{"AWS": "arn:aws:iam::" + other + ":role/ci"}, nil), "", false,
			"arn:aws:iam::" + other + ":role/ci", TechAssumeRole, true, false, "", RuleRoleTrustsNoExternalID, graph.KindExternalPrincipal, false},
		{"role of another organization account is a stub", trustDoc(map[string]any{"AWS": "arn:aws:iam::" + peer + ":role/deployer"}, nil), "", true,
			"arn:aws:iam::" + peer + ":role/deployer", TechAssumeRole, true, true, "not evaluated in this scope", "", graph.KindRole, true},
		{"trust in any principal", trustDoc("*", nil), "", false, AnonymousID, TechAssumeRole, true, false, "", RuleRoleTrustsAnyone, graph.KindExternalPrincipal, true},
		{"any principal restricted to the organization", trustDoc("*", map[string]any{"StringEquals": map[string]any{"aws:PrincipalOrgID": "o-test"}}), "", false,
			AnonymousID, TechAssumeRole, false, false, "", "", "", false},
		{"service trust gives nobody an edge", trustDoc(map[string]any{"Service": "ec2.amazonaws.com"}, nil), canAssume, false,
			alice, TechAssumeRole, false, false, "", "", "", false},
		{"web identity scoped to a repository", webIdentity(map[string]any{"StringLike": map[string]any{"token.actions.githubusercontent.com:sub": "repo:acme/app:*"}}), "", false,
			oidc, TechAssumeRoleWebIdentity, true, true, "token.actions.githubusercontent.com:sub", "", graph.KindExternalPrincipal, false},
		{"web identity without subject condition", webIdentity(map[string]any{"StringEquals": map[string]any{"token.actions.githubusercontent.com:aud": "sts.amazonaws.com"}}), "", false,
			oidc, TechAssumeRoleWebIdentity, true, true, "", RuleRoleTrustsOIDCUnscoped, graph.KindExternalPrincipal, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			inv := newInv()
			if tt.org {
				withSCP(inv, doc(allow("*", "*")))
			}
			if tt.aliceDoc != "" {
				addUser(inv, "alice", tt.aliceDoc)
			} else {
				addUser(inv, "alice")
			}
			addRole(inv, "target", tt.trust)
			part := build(t, inv)
			e := findEdge(part, tt.from, graph.EdgeAssumes, target, tt.technique)
			if (e != nil) != tt.want {
				t.Fatalf("ASSUMES %s -> target present=%v, want %v\n%s", tt.from, e != nil, tt.want, dumpEdges(part, ""))
			}
			if findEdge(part, target, graph.EdgeTrusts, tt.from, "") == nil && tt.from != alice {
				t.Errorf("missing TRUSTS target -> %s", tt.from)
			}
			if e == nil {
				return
			}
			if e.Conditional != tt.conditional {
				t.Errorf("conditional = %v, want %v (%v)", e.Conditional, tt.conditional, e.Evidence)
			}
			if tt.evidence != "" && !hasEvidence(e, tt.evidence) {
				t.Errorf("evidence %q lacks %q", e.Evidence, tt.evidence)
			}
			if tt.finding != "" {
				f := findFinding(part, tt.finding, target)
				if f == nil || len(e.Findings) != 1 || e.Findings[0] != f.ID {
					t.Errorf("edge must cite the %s finding; edge findings %v", tt.finding, e.Findings)
				}
			} else if len(e.Findings) != 0 {
				t.Errorf("unexpected findings %v", e.Findings)
			}
			if tt.nodeKind != "" {
				n := findNode(part, tt.from)
				if n == nil || n.Kind != tt.nodeKind || n.Stub != tt.stub {
					t.Errorf("source node = %+v, want kind %s stub %v", n, tt.nodeKind, tt.stub)
				}
				if tt.from == AnonymousID && !n.IsAnonymous() {
					t.Error("anonymous node must be marked anonymous")
				}
				if n.Kind == graph.KindExternalPrincipal && !n.IsExposureSource() {
					t.Error("external principal must be an exposure source")
				}
			}
		})
	}
}

func TestTrustAnyPrincipalFindingIsCritical(t *testing.T) {
	inv := newInv()
	addRole(inv, "open", trustDoc(map[string]any{"AWS": "*"}, nil))
	part := build(t, inv)
	f := findFinding(part, RuleRoleTrustsAnyone, iamARN("role/open"))
	if f == nil || f.Severity != graph.SeverityCritical {
		t.Fatalf("finding = %+v, want a critical %s", f, RuleRoleTrustsAnyone)
	}
}

func TestCrossAccountChainAcrossOrganization(t *testing.T) {
	// Account 1's role trusts account 2's role (same organization): the stub in account 2 assumes
	// it; the role's own admin rights then lead to account 1's administrator.
	inv := newInv()
	withSCP(inv, doc(allow("*", "*")))
	r := addRole(inv, "shared", trustDoc(map[string]any{"AWS": "arn:aws:iam::" + peer + ":role/ops"}, nil))
	r.AttachedPolicies = []inventory.AttachedPolicy{{ARN: "arn:aws:iam::aws:policy/AdministratorAccess"}}
	part := build(t, inv)
	if !reachable(part, "arn:aws:iam::"+peer+":role/ops", adminNode()) {
		t.Fatalf("no move path from the peer role to the administrator\n%s", dumpEdges(part, ""))
	}
}

// reachable follows move edges breadth-first.
func reachable(part *Part, from, to string) bool {
	next := map[string][]string{}
	for _, e := range part.Edges {
		if e.Kind.IsMove() {
			next[e.From] = append(next[e.From], e.To)
		}
	}
	seen := map[string]bool{from: true}
	queue := []string{from}
	for len(queue) > 0 {
		n := queue[0]
		queue = queue[1:]
		if n == to {
			return true
		}
		for _, m := range next[n] {
			if !seen[m] {
				seen[m] = true
				queue = append(queue, m)
			}
		}
	}
	return false
}

// TestNoImpossibleAttackers: service-linked roles and roles only services can assume are no
// attackers of their own; trust conditions confining a service to another account are respected;
// session and Identity Center ARNs in trust policies are recognised.
func TestNoImpossibleAttackers(t *testing.T) {
	lambdaTrust := func(cond map[string]any) string {
		return trustDoc(map[string]any{"Service": "lambda.amazonaws.com"}, cond)
	}
	t.Run("service-linked role draws no escalation", func(t *testing.T) {
		inv := newInv()
		slr := addRole(inv, "AWSServiceRoleForX", trustDoc(map[string]any{"Service": "x.amazonaws.com"}, nil), doc(allow("*", "iam:AttachRolePolicy", "iam:CreateAccessKey")))
		slr.Path, slr.ServiceLinked = "/aws-service-role/x.amazonaws.com/", true
		addUser(inv, "victim")
		part := build(t, inv)
		for _, e := range part.Edges {
			if e.From == slr.ARN && e.Kind == graph.EdgeEscalatesTo {
				t.Fatalf("service-linked role escalates: %+v", e)
			}
		}
	})
	t.Run("a role only services assume is marked so", func(t *testing.T) {
		inv := newInv()
		svc := addRole(inv, "fn", lambdaTrust(nil))
		acctRole := addRole(inv, "ops", trustDoc(map[string]any{"AWS": "arn:aws:iam::" + acct + ":root"}, nil))
		part := build(t, inv)
		if findNode(part, svc.ARN).Props[PropServiceOnly] != true || findNode(part, acctRole.ARN).Props[PropServiceOnly] == true {
			t.Fatalf("service_only: %v / %v", findNode(part, svc.ARN).Props, findNode(part, acctRole.ARN).Props)
		}
	})
	for _, tc := range []struct {
		name    string
		account string
		want    bool
	}{{"aws:SourceAccount of this account", acct, true}, {"aws:SourceAccount of another account", other, false}} {
		t.Run(tc.name, func(t *testing.T) {
			inv := newInv()
			u := addUser(inv, "attacker", doc(allow("*", "iam:PassRole", "lambda:CreateFunction", "lambda:InvokeFunction")))
			r := addRole(inv, "fn", lambdaTrust(map[string]any{"StringEquals": map[string]any{"aws:SourceAccount": tc.account}}))
			part := build(t, inv)
			if e := findEdge(part, u.ARN, graph.EdgeEscalatesTo, r.ARN, "aws.lambda.passrole-create-function-invoke"); (e != nil) != tc.want {
				t.Fatalf("edge present=%v, want %v\n%s", e != nil, tc.want, dumpEdges(part, u.ARN))
			}
		})
	}
	t.Run("trust naming a role session", func(t *testing.T) {
		inv := newInv()
		ci := addRole(inv, "ci", trustDoc(map[string]any{"Service": "codebuild.amazonaws.com"}, nil))
		target := addRole(inv, "deploy", trustDoc(map[string]any{"AWS": "arn:aws:sts::" + acct + ":assumed-role/ci/release"}, nil))
		part := build(t, inv)
		if e := findEdge(part, ci.ARN, graph.EdgeAssumes, target.ARN, TechAssumeRole); e == nil || !hasEvidence(e, "trust names session") {
			t.Fatalf("the session's role must assume the target\n%s", dumpEdges(part, ""))
		}
		if len(part.Warnings) != 0 {
			t.Fatalf("no unknown-principal warning for a session ARN: %v", part.Warnings)
		}
	})
	t.Run("trust naming Identity Center roles", func(t *testing.T) {
		inv := newInv()
		sso := addRole(inv, "AWSReservedSSO_Admin_0123456789abcdef", trustDoc(map[string]any{"Federated": "arn:aws:iam::" + acct + ":saml-provider/AWSSSO_x_DO_NOT_DELETE"}, nil),
			doc(allow("*", "sts:AssumeRole")))
		sso.Path = "/aws-reserved/sso.amazonaws.com/"
		sso.ARN = iamARN("role/aws-reserved/sso.amazonaws.com/AWSReservedSSO_Admin_0123456789abcdef")
		missing := iamARN("role/aws-reserved/sso.amazonaws.com/eu-west-1/AWSReservedSSO_ReadOnly_fedcba9876543210")
		target := addRole(inv, "break-glass", trustDoc(map[string]any{"AWS": []string{iamARN("role/AWSReservedSSO_Admin_0123456789abcdef"), missing}}, nil))
		part := build(t, inv)
		if findEdge(part, sso.ARN, graph.EdgeAssumes, target.ARN, TechAssumeRole) == nil {
			t.Fatalf("a trust naming the SSO role without its path must let it assume\n%s", dumpEdges(part, ""))
		}
		if findEdge(part, target.ARN, graph.EdgeTrusts, missing, "") == nil {
			t.Fatalf("the trust of an uncollected Identity Center role must be kept\n%s", dumpEdges(part, target.ARN))
		}
		if len(part.Warnings) != 0 {
			t.Fatalf("no unknown-principal warning for Identity Center roles: %v", part.Warnings)
		}
	})
}
