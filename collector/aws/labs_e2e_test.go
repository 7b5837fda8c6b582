package aws

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/breachpath/breachpath/collector/aws/mototest"

	sdkaws "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/breachpath/breachpath/collector/aws/authdetails"
	"github.com/breachpath/breachpath/collector/aws/fetch"
	"github.com/breachpath/breachpath/collector/aws/identity"
	"github.com/breachpath/breachpath/graph"
)

// The IAM lab accounts below are rebuilt in moto from the public descriptions of
// vulnerable-by-design labs (CloudGoat's IAM scenarios, BishopFox iam-vulnerable's privilege
// escalation paths and its false-positive / false-negative tool tests). The policies are written
// here from those descriptions, not copied. Each lab says which principals escalate, with which
// technique and whether conditionally, and which must not; every lab is also exported as
// `aws iam get-account-authorization-details` would print it and imported offline, and both
// collections must give the same escalations.

const (
	trustEC2Doc = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}`
	// adminPolicy stands for AdministratorAccess, which moto does not load by default: a
	// customer-managed policy allowing everything (created once per lab by labSeeder.admin).
	adminPolicy = "lab-admin"
)

// escalation is one expected ESCALATES_TO move from a lab principal (a name such as "user/x").
type escalation struct {
	from, technique string
	to              string // "admin" for the account administrator, or a principal name
	conditional     bool
	// unknownOffline: the export lacks a fact the move needs (access keys, login profiles,
	// profiles without roles), so offline the move is conditional and names it.
	unknownOffline bool
}

type iamLab struct {
	name   string
	source string // the public lab whose description it follows
	seed   func(l *labSeeder)
	// escalates lists moves that must be drawn; admins the principals that must reach the
	// account administrator; safe those that must reach neither the administrator nor any
	// principal by escalation.
	escalates []escalation
	admins    []string
	safe      []string
	assumes   []assumption
}

func doc(stmts ...string) string {
	return `{"Version":"2012-10-17","Statement":[` + strings.Join(stmts, ",") + `]}`
}

func allowStmt(resource string, actions ...string) string {
	a, _ := json.Marshal(actions)
	return fmt.Sprintf(`{"Effect":"Allow","Action":%s,"Resource":%q}`, a, resource)
}

func denyStmt(resource string, actions ...string) string {
	a, _ := json.Marshal(actions)
	return fmt.Sprintf(`{"Effect":"Deny","Action":%s,"Resource":%q}`, a, resource)
}

var iamLabs = []iamLab{
	{
		name:   "rollback",
		source: "CloudGoat iam_privesc_by_rollback",
		seed: func(l *labSeeder) {
			// A user whose only policy lets it read IAM and choose the policy's default version;
			// one of the stored older versions allowed everything.
			pol := l.policy("raynor-policy", doc(allowStmt("*", "iam:Get*", "iam:List*", "iam:SetDefaultPolicyVersion")))
			l.version(pol, doc(allowStmt("*", "*")))
			l.version(pol, doc(`{"Effect":"Allow","Action":"s3:ListAllMyBuckets","Resource":"*","Condition":{"IpAddress":{"aws:SourceIp":["192.0.2.0/24"]}}}`))
			l.version(pol, doc(`{"Effect":"Allow","Action":"iam:Get*","Resource":"*","Condition":{"DateGreaterThan":{"aws:CurrentTime":"2017-07-01T00:00:00Z"},"DateLessThan":{"aws:CurrentTime":"2017-12-31T23:59:59Z"}}}`))
			l.user("raynor", pol)
			// The same stored admin version, without the permission to roll back to it.
			other := l.policy("auditor-policy", doc(allowStmt("*", "iam:Get*", "iam:List*")))
			l.version(other, doc(allowStmt("*", "*")))
			l.user("auditor", other)
		},
		escalates: []escalation{{"user/raynor", "aws.iam.set-default-policy-version", "admin", false, false}},
		admins:    []string{"user/raynor"},
		safe:      []string{"user/auditor"},
	},
	{
		name:   "attachment",
		source: "CloudGoat iam_privesc_by_attachment",
		seed: func(l *labSeeder) {
			// A user who may swap the role in an instance profile and launch instances: the
			// powerful role is in no profile, the weak one is.
			l.role("meek", trustEC2Doc, "", doc(allowStmt("*", "ec2:DescribeInstances")))
			l.role("mighty", trustEC2Doc, l.admin(), "")
			l.profile("meek-profile", "meek")
			pol := l.policy("kerrigan-policy", doc(allowStmt("*", "iam:ListRoles", "iam:ListInstanceProfiles", "iam:AddRoleToInstanceProfile",
				"iam:RemoveRoleFromInstanceProfile", "iam:PassRole", "ec2:RunInstances", "ec2:CreateKeyPair", "ec2:DescribeInstances")))
			l.user("kerrigan", pol)
		},
		escalates: []escalation{
			{"user/kerrigan", "aws.iam.swap-instance-profile-role-run-instances", "role/mighty", false, false},
			{"user/kerrigan", "aws.ec2.passrole-run-instances", "role/meek", false, false},
		},
		admins: []string{"user/kerrigan"},
		safe:   []string{"role/meek"},
	},
	{
		name:   "key-rotation",
		source: "CloudGoat iam_privesc_by_key_rotation",
		seed: func(l *labSeeder) {
			// A manager who may tag users and rotate the access keys of users tagged developer=true;
			// the administrator is not tagged and already has two keys.
			l.user("admin", l.admin())
			l.accessKey("admin")
			l.accessKey("admin")
			l.user("manager", l.policy("manager", doc(allowStmt("*", "iam:TagUser", "iam:UntagUser", "iam:ListUsers"),
				`{"Effect":"Allow","Action":["iam:CreateAccessKey","iam:DeleteAccessKey"],"Resource":"*","Condition":{"StringEquals":{"aws:ResourceTag/developer":"true"}}}`)))
			// The same rotation rights without the right to retag anyone.
			l.user("auditor", l.policy("auditor", doc(allowStmt("*", "iam:ListUsers"),
				`{"Effect":"Allow","Action":["iam:CreateAccessKey","iam:DeleteAccessKey"],"Resource":"*","Condition":{"StringEquals":{"aws:ResourceTag/developer":"true"}}}`)))
		},
		// Offline the keys are unknown: the rotation is conditional and names the missing fact.
		escalates: []escalation{{"user/manager", "aws.iam.create-access-key-rotate", "user/admin", false, true}},
		admins:    []string{"user/manager"},
		safe:      []string{"user/auditor"},
	},
	{
		name:   "iam-vulnerable",
		source: "BishopFox iam-vulnerable (privesc4, privesc7, privesc13, privesc14, fp1, fp3, fp4, fp5, fn3, fn4)",
		seed: func(l *labSeeder) {
			l.user("admin-user", l.admin())
			l.group("admin-group", l.admin())
			l.role("admin-role", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}`, l.admin(), "")
			l.user("privesc4-create-access-key", l.policy("privesc4", doc(allowStmt("*", "iam:CreateAccessKey"))))
			l.user("privesc7-attach-user-policy", l.policy("privesc7", doc(allowStmt("*", "iam:AttachUserPolicy"))))
			l.user("privesc13-add-user-to-group", l.policy("privesc13", doc(allowStmt("*", "iam:AddUserToGroup"))))
			l.user("privesc14-update-assume-role", l.policy("privesc14", doc(allowStmt("*", "iam:UpdateAssumeRolePolicy", "sts:AssumeRole"))))
			// fp1: the same policy allows and denies rewriting policy versions.
			l.user("fp1-allow-and-deny", l.policy("fp1", doc(allowStmt("*", "iam:CreatePolicyVersion"), denyStmt("*", "iam:CreatePolicyVersion"))))
			// fp3: the allow in one policy, a deny of everything IAM in another.
			l.user("fp3-deny", l.policy("fp3-allow", doc(allowStmt("*", "iam:CreatePolicyVersion"))), l.policy("fp3-deny", doc(denyStmt("*", "iam:*"))))
			// fp4: policy versions may only be written on AWS-managed policies, which no customer can.
			l.user("fp4-resource-constraint", l.policy("fp4", doc(allowStmt("arn:aws:iam::aws:policy/fp4-*", "iam:CreatePolicyVersion"))))
			// fp5: only sessions issued before 2020 may write policy versions: none can today.
			l.user("fp5-condition-constraint", l.policy("fp5", doc(`{"Effect":"Allow","Action":"iam:CreatePolicyVersion","Resource":"*","Condition":{"DateLessThan":{"aws:TokenIssueTime":"2020-01-01T00:00:01Z"}}}`)))
			// fn3: sessions issued after 2020 may: a fresh session does (long-term keys do not).
			l.user("fn3-condition-constraint", l.policy("fn3", doc(`{"Effect":"Allow","Action":"iam:CreatePolicyVersion","Resource":"*","Condition":{"DateGreaterThan":{"aws:TokenIssueTime":"2020-01-01T00:00:01Z"}}}`)))
			// fn4: everything but iam:Update*, Create* and Attach*: iam:Put* is still there.
			l.user("fn4-not-action", l.policy("fn4", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","NotAction":["iam:Update*","iam:Create*","iam:Attach*"],"Resource":"*"}]}`))
		},
		escalates: []escalation{
			{"user/privesc4-create-access-key", "aws.iam.create-access-key", "user/admin-user", false, true},
			{"user/privesc7-attach-user-policy", "aws.iam.attach-user-policy", "admin", false, false},
			{"user/privesc13-add-user-to-group", "aws.iam.add-user-to-group", "group/admin-group", false, false},
			{"user/privesc14-update-assume-role", "aws.iam.update-assume-role-policy", "role/admin-role", false, false},
			{"user/fn3-condition-constraint", "aws.iam.create-policy-version", "admin", true, false},
			{"user/fn4-not-action", "aws.iam.put-user-policy", "admin", false, false},
		},
		admins: []string{"user/privesc4-create-access-key", "user/privesc7-attach-user-policy", "user/privesc13-add-user-to-group",
			"user/privesc14-update-assume-role", "user/fn3-condition-constraint", "user/fn4-not-action"},
		safe: []string{"user/fp1-allow-and-deny", "user/fp3-deny", "user/fp4-resource-constraint", "user/fp5-condition-constraint"},
	},
	{
		name:   "groups-and-guards",
		source: "issue #13 items: group-held self-escalation; boundaries and explicit denies that stop an escalation",
		seed: func(l *labSeeder) {
			// An empty group whose members may rewrite the group's own policies.
			ops := l.group("ops", "")
			l.groupInline("ops", doc(allowStmt(ops, "iam:AttachGroupPolicy", "iam:PutGroupPolicy")))
			l.user("joiner", l.policy("joiner", doc(allowStmt(ops, "iam:AddUserToGroup"))))
			// A self-escalation capped by a permissions boundary (a role: moto keeps no user
			// boundaries), and an uncapped twin.
			s3only := l.policy("s3-only", doc(allowStmt("*", "s3:*")))
			selfAttach := l.policy("self-attach", doc(allowStmt("*", "iam:AttachRolePolicy", "iam:PutRolePolicy")))
			l.boundedRole("bounded", trustEC2Doc, s3only, selfAttach)
			l.boundedRole("unbounded", trustEC2Doc, "", selfAttach)
		},
		escalates: []escalation{
			{"user/joiner", "aws.iam.add-user-to-group", "group/ops", false, false},
			{"group/ops", "aws.iam.attach-group-policy", "admin", false, false},
			{"role/unbounded", "aws.iam.attach-role-policy", "admin", false, false},
		},
		admins: []string{"user/joiner", "role/unbounded"},
		safe:   []string{"role/bounded"},
	},
	{
		name: "abac",
		source: "AWS IAM user guide ABAC tutorial (roles assumed by users whose access-project tag matches the role's) and CloudGoat " +
			"iam_privesc_by_key_rotation's tag-then-act step",
		seed: func(l *labSeeder) {
			// One ABAC policy for every developer: assume the roles of your own project.
			assume := l.policy("abac-assume", doc(`{"Effect":"Allow","Action":"sts:AssumeRole","Resource":"*","Condition":{"StringEquals":`+
				`{"iam:ResourceTag/access-project":"${aws:PrincipalTag/access-project}"}}}`))
			l.role("peg-admin", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::`+l.account+`:root"},"Action":"sts:AssumeRole"}]}`,
				l.admin(), "")
			l.tagRole("peg-admin", "access-project", "peg")
			l.user("peg-dev", assume)
			l.tagUser("peg-dev", "access-project", "peg")
			// The one change: another project.
			l.user("uni-dev", assume)
			l.tagUser("uni-dev", "access-project", "uni")
			// Another project, but may tag roles with its own project: retags peg-admin, then assumes it.
			l.user("uni-lead", assume, l.policy("tag-own-project", doc(`{"Effect":"Allow","Action":"iam:TagRole","Resource":"*","Condition":{"StringEquals":`+
				`{"aws:RequestTag/access-project":"${aws:PrincipalTag/access-project}"}}}`)))
			l.tagUser("uni-lead", "access-project", "uni")
		},
		admins: []string{"user/peg-dev", "user/uni-lead"},
		safe:   []string{"user/uni-dev"},
		assumes: []assumption{{"user/peg-dev", "role/peg-admin", ""},
			{"user/uni-lead", "role/peg-admin", "iam:TagRole on arn:aws:iam::{account}:role/peg-admin sets access-project=uni"}},
	},
}

// assumption is an expected ASSUMES move, with the tag step it needs first ("" for none;
// {account} stands for the lab account).
type assumption struct {
	from, to, tagStep string
}

// labSeeder creates one lab's IAM configuration in a moto account of its own.
type labSeeder struct {
	t        *testing.T
	ctx      context.Context
	ic       *iam.Client
	account  string
	adminARN string
}

func (l *labSeeder) arn(res string) string { return "arn:aws:iam::" + l.account + ":" + res }

// admin returns the lab's allow-everything policy, creating it on first use.
func (l *labSeeder) admin() string {
	if l.adminARN == "" {
		l.adminARN = l.policy(adminPolicy, doc(allowStmt("*", "*")))
	}
	return l.adminARN
}

func (l *labSeeder) check(what string, err error) {
	l.t.Helper()
	if err != nil {
		l.t.Fatalf("seed %s: %v", what, err)
	}
}

func (l *labSeeder) policy(name, document string) string {
	l.t.Helper()
	out, err := l.ic.CreatePolicy(l.ctx, &iam.CreatePolicyInput{PolicyName: sdkaws.String(name), PolicyDocument: sdkaws.String(document)})
	l.check("policy "+name, err)
	return sdkaws.ToString(out.Policy.Arn)
}

// version stores a non-default version of a customer-managed policy.
func (l *labSeeder) version(arn, document string) {
	l.t.Helper()
	_, err := l.ic.CreatePolicyVersion(l.ctx, &iam.CreatePolicyVersionInput{PolicyArn: sdkaws.String(arn), PolicyDocument: sdkaws.String(document),
		SetAsDefault: false})
	l.check("policy version of "+arn, err)
}

func (l *labSeeder) user(name string, policies ...string) string {
	l.t.Helper()
	_, err := l.ic.CreateUser(l.ctx, &iam.CreateUserInput{UserName: sdkaws.String(name)})
	l.check("user "+name, err)
	for _, p := range policies {
		_, err := l.ic.AttachUserPolicy(l.ctx, &iam.AttachUserPolicyInput{UserName: sdkaws.String(name), PolicyArn: sdkaws.String(p)})
		l.check("attach "+p+" to "+name, err)
	}
	return name
}

// boundedRole creates a role with a permissions boundary ("" for none) and managed policies.
// accessKey creates an access key for a user (its secret is discarded).
func (l *labSeeder) accessKey(user string) {
	l.t.Helper()
	_, err := l.ic.CreateAccessKey(l.ctx, &iam.CreateAccessKeyInput{UserName: sdkaws.String(user)})
	l.check("access key of "+user, err)
}

func (l *labSeeder) boundedRole(name, trust, boundary string, policies ...string) {
	l.t.Helper()
	in := &iam.CreateRoleInput{RoleName: sdkaws.String(name), AssumeRolePolicyDocument: sdkaws.String(trust)}
	if boundary != "" {
		in.PermissionsBoundary = sdkaws.String(boundary)
	}
	_, err := l.ic.CreateRole(l.ctx, in)
	l.check("role "+name, err)
	for _, p := range policies {
		_, err := l.ic.AttachRolePolicy(l.ctx, &iam.AttachRolePolicyInput{RoleName: sdkaws.String(name), PolicyArn: sdkaws.String(p)})
		l.check("attach "+p+" to "+name, err)
	}
}

func (l *labSeeder) tagUser(name, key, value string) {
	l.t.Helper()
	_, err := l.ic.TagUser(l.ctx, &iam.TagUserInput{UserName: sdkaws.String(name), Tags: []iamtypes.Tag{{Key: sdkaws.String(key), Value: sdkaws.String(value)}}})
	l.check("tag user "+name, err)
}

func (l *labSeeder) tagRole(name, key, value string) {
	l.t.Helper()
	_, err := l.ic.TagRole(l.ctx, &iam.TagRoleInput{RoleName: sdkaws.String(name), Tags: []iamtypes.Tag{{Key: sdkaws.String(key), Value: sdkaws.String(value)}}})
	l.check("tag role "+name, err)
}

func (l *labSeeder) group(name, managed string) string {
	l.t.Helper()
	out, err := l.ic.CreateGroup(l.ctx, &iam.CreateGroupInput{GroupName: sdkaws.String(name)})
	l.check("group "+name, err)
	if managed != "" {
		_, err := l.ic.AttachGroupPolicy(l.ctx, &iam.AttachGroupPolicyInput{GroupName: sdkaws.String(name), PolicyArn: sdkaws.String(managed)})
		l.check("attach to group "+name, err)
	}
	return sdkaws.ToString(out.Group.Arn)
}

func (l *labSeeder) groupInline(name, document string) {
	l.t.Helper()
	_, err := l.ic.PutGroupPolicy(l.ctx, &iam.PutGroupPolicyInput{GroupName: sdkaws.String(name), PolicyName: sdkaws.String(name + "-inline"),
		PolicyDocument: sdkaws.String(document)})
	l.check("group policy "+name, err)
}

func (l *labSeeder) role(name, trust, managed, inline string) {
	l.t.Helper()
	_, err := l.ic.CreateRole(l.ctx, &iam.CreateRoleInput{RoleName: sdkaws.String(name), AssumeRolePolicyDocument: sdkaws.String(trust)})
	l.check("role "+name, err)
	if managed != "" {
		_, err := l.ic.AttachRolePolicy(l.ctx, &iam.AttachRolePolicyInput{RoleName: sdkaws.String(name), PolicyArn: sdkaws.String(managed)})
		l.check("attach to role "+name, err)
	}
	if inline != "" {
		_, err := l.ic.PutRolePolicy(l.ctx, &iam.PutRolePolicyInput{RoleName: sdkaws.String(name), PolicyName: sdkaws.String(name + "-inline"),
			PolicyDocument: sdkaws.String(inline)})
		l.check("role policy "+name, err)
	}
}

func (l *labSeeder) profile(name, role string) {
	l.t.Helper()
	_, err := l.ic.CreateInstanceProfile(l.ctx, &iam.CreateInstanceProfileInput{InstanceProfileName: sdkaws.String(name)})
	l.check("instance profile "+name, err)
	_, err = l.ic.AddRoleToInstanceProfile(l.ctx, &iam.AddRoleToInstanceProfileInput{InstanceProfileName: sdkaws.String(name), RoleName: sdkaws.String(role)})
	l.check("profile role "+name, err)
}

// labAccount returns credentials for a fresh moto account (see seedScenario).
func labAccount(t *testing.T, ctx context.Context, endpoint string) (sdkaws.Config, string) {
	t.Helper()
	account := fmt.Sprintf("%012d", 300000000000+rand.Int64N(99999999999))
	base := sdkaws.Config{Region: "us-east-1", Credentials: credentials.NewStaticCredentialsProvider("AKIABREACHPATHTEST01", "fake", ""),
		BaseEndpoint: sdkaws.String(endpoint)}
	out, err := sts.NewFromConfig(base).AssumeRole(ctx, &sts.AssumeRoleInput{
		RoleArn: sdkaws.String("arn:aws:iam::" + account + ":role/lab"), RoleSessionName: sdkaws.String("breachpath-lab")})
	if err != nil {
		t.Fatalf("lab account credentials: %v", err)
	}
	c := out.Credentials
	return sdkaws.Config{Region: "us-east-1", BaseEndpoint: sdkaws.String(endpoint),
		Credentials: credentials.NewStaticCredentialsProvider(sdkaws.ToString(c.AccessKeyId), sdkaws.ToString(c.SecretAccessKey), sdkaws.ToString(c.SessionToken))}, account
}

// exportAuthDetails writes the account's authorization details as the AWS CLI prints them.
func exportAuthDetails(t *testing.T, ctx context.Context, cfg sdkaws.Config) []byte {
	t.Helper()
	var d authdetails.Details
	p := iam.NewGetAccountAuthorizationDetailsPaginator(iam.NewFromConfig(cfg), &iam.GetAccountAuthorizationDetailsInput{})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			t.Fatalf("export: %v", err)
		}
		d.AddPage(page)
	}
	out, err := json.Marshal(&d)
	if err != nil {
		t.Fatalf("export: %v", err)
	}
	return out
}

// labNode maps a lab name ("user/x", "admin") to its node id in account.
func labNode(account, name string) string {
	if name == "admin" {
		return identity.AccountAdminID("aws", account)
	}
	return "arn:aws:iam::" + account + ":" + name
}

// escalationEdge finds from -[technique]-> to, drawn directly or through a policy from holds
// (aws.iam.holds-policy: a shared policy draws the move once for all its holders).
func escalationEdge(s *graph.Snapshot, from, technique, to string) *graph.Edge {
	starts := []string{from}
	for i := range s.Edges {
		e := &s.Edges[i]
		if e.From == from && e.Technique == identity.TechHoldsPolicy {
			starts = append(starts, e.To)
		}
	}
	for i := range s.Edges {
		e := &s.Edges[i]
		if e.Kind == graph.EdgeEscalatesTo && e.Technique == technique && e.To == to && slices.Contains(starts, e.From) {
			return e
		}
	}
	return nil
}

// reaches reports whether to can be reached from from over attacker moves.
func reaches(s *graph.Snapshot, from, to string) bool {
	next := map[string][]string{}
	for _, e := range s.Edges {
		if e.Kind.IsMove() {
			next[e.From] = append(next[e.From], e.To)
		}
	}
	seen, queue := map[string]bool{from: true}, []string{from}
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

// identityMoves indexes the identity moves of a snapshot (ASSUMES, ESCALATES_TO, ADMINISTERS of
// the administrator) by "from -[kind technique]-> to". Holds-policy edges are plumbing (drawn
// when the policy node has a move of its own) and are compared through those moves.
func identityMoves(s *graph.Snapshot) map[string]*graph.Edge {
	out := map[string]*graph.Edge{}
	for i := range s.Edges {
		e := &s.Edges[i]
		if e.Technique == identity.TechHoldsPolicy {
			continue
		}
		if e.Kind == graph.EdgeEscalatesTo || e.Kind == graph.EdgeAssumes || (e.Kind == graph.EdgeAdministers && e.Technique == identity.TechAdminEquivalent) {
			out[fmt.Sprintf("%s -[%s %s]-> %s", e.From, e.Kind, e.Technique, e.To)] = e
		}
	}
	return out
}

// namesMissingFact reports whether a conditional edge says which fact the export lacked.
func namesMissingFact(e *graph.Edge) bool {
	return e.Conditional && slices.ContainsFunc(e.Evidence, func(s string) bool {
		return strings.Contains(s, "not collected") || strings.Contains(s, "not listed")
	})
}

// sameEscalations asserts that the offline import of the export gives the live collection's
// escalations: every live move with the same conditional flag, except that a move needing a fact
// the export does not carry (access keys, login profiles, profiles without roles) is conditional
// offline and names it; the export draws no other move.
func sameEscalations(t *testing.T, live, offline *graph.Snapshot) {
	t.Helper()
	l, o := identityMoves(live), identityMoves(offline)
	for _, k := range slices.Sorted(maps.Keys(l)) {
		oe := o[k]
		switch {
		case oe == nil:
			t.Errorf("collect aws draws %s (conditional=%v); collect aws --from-file does not", k, l[k].Conditional)
		case oe.Conditional != l[k].Conditional && !namesMissingFact(oe):
			t.Errorf("%s: conditional=%v live, %v offline (%v)", k, l[k].Conditional, oe.Conditional, oe.Evidence)
		}
	}
	for _, k := range slices.Sorted(maps.Keys(o)) {
		if l[k] == nil && !namesMissingFact(o[k]) {
			t.Errorf("collect aws --from-file draws %s, collect aws does not, and it names no missing fact (%v)", k, o[k].Evidence)
		}
	}
}

func TestIAMLabsInMoto(t *testing.T) {
	endpoint := mototest.Endpoint(t)
	for _, lab := range iamLabs {
		t.Run(lab.name, func(t *testing.T) {
			// Sequential: moto mixes up accounts when many collections run at once (seen with the
			// labs in parallel next to the other moto tests of this package).
			ctx := context.Background()
			cfg, account := labAccount(t, ctx, endpoint)
			lab.seed(&labSeeder{t: t, ctx: ctx, ic: iam.NewFromConfig(cfg), account: account})

			live := collectLab(t, ctx, cfg, endpoint, account)
			offline, _, err := FromAuthDetails(ctx, bytes.NewReader(exportAuthDetails(t, ctx, cfg)), lab.name+" export", TransformOptions{})
			if err != nil {
				t.Fatalf("import of the export: %v", err)
			}
			for _, c := range []struct {
				name    string
				snap    *graph.Snapshot
				offline bool
			}{{"collect aws", live, false}, {"collect aws --from-file", offline, true}} {
				for _, w := range lab.escalates {
					e := escalationEdge(c.snap, labNode(account, w.from), w.technique, labNode(account, w.to))
					if e == nil {
						t.Errorf("%s (%s): %s must escalate to %s with %s", c.name, lab.source, w.from, w.to, w.technique)
						continue
					}
					if want := w.conditional || (c.offline && w.unknownOffline); e.Conditional != want {
						t.Errorf("%s: %s -[%s]-> %s conditional=%v, want %v (%v)", c.name, w.from, w.technique, w.to, e.Conditional, want, e.Evidence)
					}
				}
				for _, w := range lab.assumes {
					var e *graph.Edge
					for i := range c.snap.Edges {
						x := &c.snap.Edges[i]
						if x.Kind == graph.EdgeAssumes && x.From == labNode(account, w.from) && x.To == labNode(account, w.to) {
							e = x
						}
					}
					if e == nil {
						t.Errorf("%s (%s): %s must assume %s", c.name, lab.source, w.from, w.to)
						continue
					}
					step, _ := e.Props[graph.PropTagStep].(string)
					if want := strings.ReplaceAll(w.tagStep, "{account}", account); step != want || e.Conditional {
						t.Errorf("%s: %s -> %s tag step %q (want %q), conditional=%v (%v)", c.name, w.from, w.to, step, want, e.Conditional, e.Evidence)
					}
				}
				admin := labNode(account, "admin")
				for _, p := range lab.admins {
					if !reaches(c.snap, labNode(account, p), admin) {
						t.Errorf("%s (%s): %s must reach the account administrator", c.name, lab.source, p)
					}
				}
				for _, p := range lab.safe {
					id := labNode(account, p)
					if reaches(c.snap, id, admin) {
						t.Errorf("%s (%s): %s must not reach the account administrator", c.name, lab.source, p)
					}
					for _, e := range c.snap.Edges {
						if e.From == id && e.Kind == graph.EdgeEscalatesTo && e.Technique != identity.TechHoldsPolicy {
							t.Errorf("%s: %s must not escalate, has %s -> %s", c.name, p, e.Technique, e.To)
						}
					}
				}
			}
			sameEscalations(t, live, offline)
		})
	}
}

// collectLab runs the live collection of the lab's IAM configuration.
func collectLab(t *testing.T, ctx context.Context, cfg sdkaws.Config, endpoint, account string) *graph.Snapshot {
	t.Helper()
	cfg.BaseEndpoint = nil
	opts := CollectOptions{Fetch: fetch.Options{Regions: []string{"us-east-1"}, Endpoint: endpoint, Concurrency: 4,
		Services: []string{fetch.ServiceIAM}, Retryer: fetch.NewRetryer(3, time.Millisecond)}}
	snaps, _, err := Collect(ctx, cfg, opts)
	if err != nil {
		t.Fatalf("Collect: %v", err)
	}
	if len(snaps) != 1 || snaps[0].Scope.ID != account {
		t.Fatalf("want one snapshot of %s, got %d", account, len(snaps))
	}
	return snaps[0]
}
