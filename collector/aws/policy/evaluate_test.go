package policy

import (
	"reflect"
	"strings"
	"testing"
)

const acct = "111122223333"
const other = "444455556666"

var (
	alice = Principal{ARN: "arn:aws:iam::" + acct + ":user/alice", AccountID: acct, Type: TypeUser, Name: "alice", UserID: "AIDAALICE", Tags: map[string]string{"team": "blue"}}
	roleS = Principal{ARN: "arn:aws:sts::" + acct + ":assumed-role/app/s1", SourceARN: "arn:aws:iam::" + acct + ":role/app", AccountID: acct, Type: TypeAssumedRole, Name: "app", UserID: "AROAAPP:s1", Tags: map[string]string{}}
	bob   = Principal{ARN: "arn:aws:iam::" + other + ":user/bob", AccountID: other, Type: TypeUser, Name: "bob", Tags: map[string]string{}}
)

func pol(label, doc string) *Policy {
	p := MustParse(doc)
	p.Label = label
	return p
}

func allowDoc(action, resource string) string {
	return `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"` + action + `","Resource":"` + resource + `"}}`
}

func TestEvaluate(t *testing.T) {
	s3All := pol("id:s3all", allowDoc("s3:*", "*"))
	bucket := "arn:aws:s3:::data"
	obj := "arn:aws:s3:::data/k1"
	tests := []struct {
		name  string
		req   Request
		set   PolicySet
		want  Decision
		unres []string
	}{
		{"identity allow grants", Request{Principal: alice, Action: "s3:GetObject", Resource: obj}, PolicySet{Identity: []*Policy{s3All}}, Allowed, nil},
		{"no policy is an implicit deny", Request{Principal: alice, Action: "s3:GetObject", Resource: obj}, PolicySet{}, ImplicitDeny, nil},
		{"explicit deny overrides allow", Request{Principal: alice, Action: "s3:GetObject", Resource: obj}, PolicySet{Identity: []*Policy{s3All,
			pol("id:deny", `{"Version":"2012-10-17","Statement":{"Effect":"Deny","Action":"s3:GetObject","Resource":"*"}}`)}}, ExplicitDeny, nil},
		{"action match is case-insensitive", Request{Principal: alice, Action: "S3:getobject", Resource: obj}, PolicySet{Identity: []*Policy{pol("", allowDoc("s3:GetObject", "*"))}}, Allowed, nil},
		{"question mark matches exactly one character", Request{Principal: alice, Action: "iam:GetRole", Resource: "*"}, PolicySet{Identity: []*Policy{pol("", allowDoc("iam:?etRole", "*"))}}, Allowed, nil},
		{"question mark does not match two characters", Request{Principal: alice, Action: "iam:GetRole", Resource: "*"}, PolicySet{Identity: []*Policy{pol("", allowDoc("iam:?Role", "*"))}}, ImplicitDeny, nil},
		{"resource ARN match is case-sensitive", Request{Principal: alice, Action: "s3:GetObject", Resource: "arn:aws:s3:::Data/k1"}, PolicySet{Identity: []*Policy{pol("", allowDoc("s3:GetObject", "arn:aws:s3:::data/*"))}}, ImplicitDeny, nil},
		{"resource wildcard does not cross ARN segments", Request{Principal: alice, Action: "iam:GetRole", Resource: "arn:aws:iam::" + acct + ":role/x"}, PolicySet{Identity: []*Policy{pol("", allowDoc("iam:GetRole", "arn:aws:*::role/x"))}}, ImplicitDeny, nil},
		{"resource wildcard in account segment", Request{Principal: alice, Action: "iam:GetRole", Resource: "arn:aws:iam::" + acct + ":role/x"}, PolicySet{Identity: []*Policy{pol("", allowDoc("iam:GetRole", "arn:aws:iam::*:role/*"))}}, Allowed, nil},
		{"NotAction allow grants everything else", Request{Principal: alice, Action: "ec2:RunInstances", Resource: "*"}, PolicySet{Identity: []*Policy{pol("", `{"Version":"2012-10-17","Statement":{"Effect":"Allow","NotAction":"iam:*","Resource":"*"}}`)}}, Allowed, nil},
		{"NotAction allow does not grant the listed actions", Request{Principal: alice, Action: "iam:CreateUser", Resource: "*"}, PolicySet{Identity: []*Policy{pol("", `{"Version":"2012-10-17","Statement":{"Effect":"Allow","NotAction":"iam:*","Resource":"*"}}`)}}, ImplicitDeny, nil},
		{"NotAction deny denies everything else", Request{Principal: alice, Action: "s3:GetObject", Resource: obj}, PolicySet{Identity: []*Policy{s3All, pol("", `{"Version":"2012-10-17","Statement":{"Effect":"Deny","NotAction":"iam:*","Resource":"*"}}`)}}, ExplicitDeny, nil},
		{"NotAction deny leaves the listed actions", Request{Principal: alice, Action: "iam:GetUser", Resource: "*"}, PolicySet{Identity: []*Policy{pol("", allowDoc("*", "*")), pol("", `{"Version":"2012-10-17","Statement":{"Effect":"Deny","NotAction":"iam:*","Resource":"*"}}`)}}, Allowed, nil},
		{"NotResource allow excludes listed resource", Request{Principal: alice, Action: "s3:GetObject", Resource: "arn:aws:s3:::secret/x"}, PolicySet{Identity: []*Policy{pol("", `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:*","NotResource":"arn:aws:s3:::secret/*"}}`)}}, ImplicitDeny, nil},
		{"NotResource allow covers other resources", Request{Principal: alice, Action: "s3:GetObject", Resource: obj}, PolicySet{Identity: []*Policy{pol("", `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:*","NotResource":"arn:aws:s3:::secret/*"}}`)}}, Allowed, nil},
		{"boundary intersects identity: action outside boundary", Request{Principal: alice, Action: "iam:CreateUser", Resource: "*"}, PolicySet{Identity: []*Policy{pol("", allowDoc("*", "*"))}, Boundary: pol("b", allowDoc("s3:*", "*"))}, ImplicitDeny, nil},
		{"boundary intersects identity: action inside both", Request{Principal: alice, Action: "s3:GetObject", Resource: obj}, PolicySet{Identity: []*Policy{pol("", allowDoc("*", "*"))}, Boundary: pol("b", allowDoc("s3:*", "*"))}, Allowed, nil},
		{"boundary alone grants nothing", Request{Principal: alice, Action: "s3:GetObject", Resource: obj}, PolicySet{Boundary: pol("b", allowDoc("s3:*", "*"))}, ImplicitDeny, nil},
		{"session policy limits the role session", Request{Principal: roleS, Action: "ec2:RunInstances", Resource: "*"}, PolicySet{Identity: []*Policy{pol("", allowDoc("*", "*"))}, Session: []*Policy{pol("sess", allowDoc("s3:*", "*"))}}, ImplicitDeny, nil},
		{"session policy inside identity allows", Request{Principal: roleS, Action: "s3:ListBucket", Resource: bucket}, PolicySet{Identity: []*Policy{pol("", allowDoc("*", "*"))}, Session: []*Policy{pol("sess", allowDoc("s3:*", "*"))}}, Allowed, nil},
		{"SCP deny wins", Request{Principal: alice, Action: "s3:GetObject", Resource: obj}, PolicySet{Identity: []*Policy{s3All}, SCPs: [][]*Policy{{pol("FullAWSAccess", allowDoc("*", "*")), pol("deny-s3", `{"Version":"2012-10-17","Statement":{"Effect":"Deny","Action":"s3:*","Resource":"*"}}`)}}}, ExplicitDeny, nil},
		{"SCP allow-list without the action denies", Request{Principal: alice, Action: "s3:GetObject", Resource: obj}, PolicySet{Identity: []*Policy{s3All}, SCPs: [][]*Policy{{pol("root", allowDoc("*", "*"))}, {pol("ou", allowDoc("ec2:*", "*"))}}}, ImplicitDeny, nil},
		{"SCP every level allows", Request{Principal: alice, Action: "s3:GetObject", Resource: obj}, PolicySet{Identity: []*Policy{s3All}, SCPs: [][]*Policy{{pol("root", allowDoc("*", "*"))}, {pol("ou", allowDoc("s3:*", "*"))}}}, Allowed, nil},
		{"management account is not subject to SCPs", Request{Principal: alice, Action: "s3:GetObject", Resource: obj}, PolicySet{Identity: []*Policy{s3All}, SCPs: [][]*Policy{{pol("ou", allowDoc("ec2:*", "*"))}}, CallerIsManagementAccount: true}, Allowed, nil},
		{"service-linked role is not subject to SCPs", Request{Principal: Principal{ARN: "arn:aws:sts::" + acct + ":assumed-role/AWSServiceRoleForX/s", AccountID: acct, Type: TypeAssumedRole, IsServiceLinkedRole: true}, Action: "s3:GetObject", Resource: obj}, PolicySet{Identity: []*Policy{s3All}, SCPs: [][]*Policy{{pol("deny", `{"Version":"2012-10-17","Statement":{"Effect":"Deny","Action":"*","Resource":"*"}}`)}}}, Allowed, nil},
		{"RCP without the action denies", Request{Principal: alice, Action: "s3:GetObject", Resource: obj, ResourceAccount: acct}, PolicySet{Identity: []*Policy{s3All}, RCPs: [][]*Policy{{pol("rcp", allowDoc("sqs:*", "*"))}}}, ImplicitDeny, nil},
		{"RCP deny on external principals", Request{Principal: bob, Action: "s3:GetObject", Resource: obj, ResourceAccount: acct}, PolicySet{Identity: []*Policy{s3All}, Resource: pol("bp", `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":{"AWS":"`+bob.ARN+`"},"Action":"s3:GetObject","Resource":"`+obj+`"}}`),
			RCPs: [][]*Policy{{pol("RCPFullAWSAccess", allowDoc("*", "*")), pol("rcp", `{"Version":"2012-10-17","Statement":{"Effect":"Deny","Principal":"*","Action":"s3:*","Resource":"*","Condition":{"StringNotEqualsIfExists":{"aws:PrincipalAccount":"`+acct+`"}}}}`)}}}, ExplicitDeny, nil},
		{"same-account resource policy naming the user needs no identity allow", Request{Principal: alice, Action: "s3:GetObject", Resource: obj, ResourceAccount: acct}, PolicySet{Resource: pol("bp", `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":{"AWS":"`+alice.ARN+`"},"Action":"s3:GetObject","Resource":"`+obj+`"}}`)}, Allowed, nil},
		{"same-account grant to the user ARN is not capped by the boundary", Request{Principal: alice, Action: "s3:GetObject", Resource: obj, ResourceAccount: acct}, PolicySet{Boundary: pol("b", allowDoc("ec2:*", "*")), Resource: pol("bp", `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":{"AWS":"`+alice.ARN+`"},"Action":"s3:GetObject","Resource":"`+obj+`"}}`)}, Allowed, nil},
		{"same-account grant to the role ARN is capped by the boundary", Request{Principal: roleS, Action: "s3:GetObject", Resource: obj, ResourceAccount: acct}, PolicySet{Boundary: pol("b", allowDoc("ec2:*", "*")), Resource: pol("bp", `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":{"AWS":"`+roleS.SourceARN+`"},"Action":"s3:GetObject","Resource":"`+obj+`"}}`)}, ImplicitDeny, nil},
		{"same-account grant to the role ARN without boundary allows", Request{Principal: roleS, Action: "s3:GetObject", Resource: obj, ResourceAccount: acct}, PolicySet{Resource: pol("bp", `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":{"AWS":"`+roleS.SourceARN+`"},"Action":"s3:GetObject","Resource":"`+obj+`"}}`)}, Allowed, nil},
		{"same-account grant to the session ARN is not capped by the session policy", Request{Principal: roleS, Action: "s3:GetObject", Resource: obj, ResourceAccount: acct}, PolicySet{Session: []*Policy{pol("s", allowDoc("ec2:*", "*"))}, Resource: pol("bp", `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":{"AWS":"`+roleS.ARN+`"},"Action":"s3:GetObject","Resource":"`+obj+`"}}`)}, Allowed, nil},
		{"same-account grant to the account delegates to identity policies", Request{Principal: alice, Action: "s3:GetObject", Resource: obj, ResourceAccount: acct}, PolicySet{Resource: pol("bp", `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":{"AWS":"`+acct+`"},"Action":"s3:GetObject","Resource":"`+obj+`"}}`)}, ImplicitDeny, nil},
		{"cross-account needs the identity side too", Request{Principal: bob, Action: "s3:GetObject", Resource: obj, ResourceAccount: acct}, PolicySet{Resource: pol("bp", `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":{"AWS":"`+bob.ARN+`"},"Action":"s3:GetObject","Resource":"`+obj+`"}}`)}, ImplicitDeny, nil},
		{"cross-account with both sides allows", Request{Principal: bob, Action: "s3:GetObject", Resource: obj, ResourceAccount: acct}, PolicySet{Identity: []*Policy{s3All}, Resource: pol("bp", `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::`+other+`:root"},"Action":"s3:GetObject","Resource":"`+obj+`"}}`)}, Allowed, nil},
		{"cross-account identity allow alone is not enough", Request{Principal: bob, Action: "s3:GetObject", Resource: obj, ResourceAccount: acct}, PolicySet{Identity: []*Policy{s3All}}, ImplicitDeny, nil},
		{"resource policy deny applies to same account", Request{Principal: alice, Action: "s3:GetObject", Resource: obj, ResourceAccount: acct}, PolicySet{Identity: []*Policy{s3All}, Resource: pol("bp", `{"Version":"2012-10-17","Statement":{"Effect":"Deny","Principal":"*","Action":"s3:*","Resource":"`+obj+`"}}`)}, ExplicitDeny, nil},
		{"anonymous allowed by public bucket policy", Request{Principal: Principal{Type: TypeAnonymous}, Action: "s3:GetObject", Resource: obj, ResourceAccount: acct}, PolicySet{Resource: pol("bp", `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::data/*"}}`)}, Allowed, nil},
		{"anonymous not allowed by account-only policy", Request{Principal: Principal{Type: TypeAnonymous}, Action: "s3:GetObject", Resource: obj, ResourceAccount: acct}, PolicySet{Resource: pol("bp", `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":{"AWS":"`+acct+`"},"Action":"s3:GetObject","Resource":"*"}}`)}, ImplicitDeny, nil},
		{"NotPrincipal deny excludes only when account and principal are listed", Request{Principal: alice, Action: "s3:GetObject", Resource: obj, ResourceAccount: acct}, PolicySet{Identity: []*Policy{s3All}, Resource: pol("bp", `{"Version":"2012-10-17","Statement":{"Effect":"Deny","NotPrincipal":{"AWS":["`+alice.ARN+`","arn:aws:iam::`+acct+`:root"]},"Action":"s3:*","Resource":"*"}}`)}, Allowed, nil},
		{"NotPrincipal deny listing only the user still denies", Request{Principal: alice, Action: "s3:GetObject", Resource: obj, ResourceAccount: acct}, PolicySet{Identity: []*Policy{s3All}, Resource: pol("bp", `{"Version":"2012-10-17","Statement":{"Effect":"Deny","NotPrincipal":{"AWS":["`+alice.ARN+`"]},"Action":"s3:*","Resource":"*"}}`)}, ExplicitDeny, nil},
		{"NotPrincipal deny always denies principals with a boundary", Request{Principal: alice, Action: "s3:GetObject", Resource: obj, ResourceAccount: acct}, PolicySet{Identity: []*Policy{s3All}, Boundary: pol("b", allowDoc("*", "*")), Resource: pol("bp", `{"Version":"2012-10-17","Statement":{"Effect":"Deny","NotPrincipal":{"AWS":["`+alice.ARN+`","`+acct+`"]},"Action":"s3:*","Resource":"*"}}`)}, ExplicitDeny, nil},
		{"KMS-style resource policy required: identity alone is not enough", Request{Principal: alice, Action: "kms:Decrypt", Resource: "arn:aws:kms:us-east-1:" + acct + ":key/k", ResourceAccount: acct}, PolicySet{Identity: []*Policy{pol("", allowDoc("kms:*", "*"))}, ResourcePolicyRequired: true}, ImplicitDeny, nil},
		{"KMS-style key policy delegating to the account plus identity allows", Request{Principal: alice, Action: "kms:Decrypt", Resource: "arn:aws:kms:us-east-1:" + acct + ":key/k", ResourceAccount: acct}, PolicySet{Identity: []*Policy{pol("", allowDoc("kms:*", "*"))}, ResourcePolicyRequired: true, Resource: pol("kp", `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::`+acct+`:root"},"Action":"kms:*","Resource":"*"}}`)}, Allowed, nil},
		{"root user is allowed by default in its account", Request{Principal: Principal{ARN: "arn:aws:iam::" + acct + ":root", AccountID: acct, Type: TypeRoot}, Action: "iam:CreateUser", Resource: "*"}, PolicySet{}, Allowed, nil},
		{"root user is bound by SCPs in a member account", Request{Principal: Principal{ARN: "arn:aws:iam::" + acct + ":root", AccountID: acct, Type: TypeRoot}, Action: "iam:CreateUser", Resource: "*"}, PolicySet{SCPs: [][]*Policy{{pol("", allowDoc("s3:*", "*"))}}}, ImplicitDeny, nil},

		// Tri-state.
		{"allow with unknown condition key is conditional", Request{Principal: alice, Action: "s3:GetObject", Resource: obj}, PolicySet{Identity: []*Policy{pol("", `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:*","Resource":"*","Condition":{"IpAddress":{"aws:SourceIp":"10.0.0.0/8"}}}}`)}}, Conditional, []string{"aws:sourceip"}},
		{"allow with supplied condition key resolves", Request{Principal: alice, Action: "s3:GetObject", Resource: obj, Context: map[string][]string{"aws:SourceIp": {"10.1.2.3"}}}, PolicySet{Identity: []*Policy{pol("", `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:*","Resource":"*","Condition":{"IpAddress":{"aws:SourceIp":"10.0.0.0/8"}}}}`)}}, Allowed, nil},
		{"allow with complete context lacking the key is denied", Request{Principal: alice, Action: "s3:GetObject", Resource: obj, ContextComplete: true}, PolicySet{Identity: []*Policy{pol("", `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:*","Resource":"*","Condition":{"Bool":{"aws:MultiFactorAuthPresent":"true"}}}}`)}}, ImplicitDeny, nil},
		{"conditional deny on an allowed request is conditional", Request{Principal: alice, Action: "s3:GetObject", Resource: obj}, PolicySet{Identity: []*Policy{s3All, pol("", `{"Version":"2012-10-17","Statement":{"Effect":"Deny","Action":"*","Resource":"*","Condition":{"BoolIfExists":{"aws:MultiFactorAuthPresent":"false"}}}}`)}}, Conditional, []string{"aws:multifactorauthpresent"}},
		{"conditional deny on a request nobody allows stays implicit deny", Request{Principal: alice, Action: "ec2:RunInstances", Resource: "*"}, PolicySet{Identity: []*Policy{s3All, pol("", `{"Version":"2012-10-17","Statement":{"Effect":"Deny","Action":"*","Resource":"*","Condition":{"Bool":{"aws:SecureTransport":"false"}}}}`)}}, ImplicitDeny, nil},
		{"unconditional deny beats a conditional allow", Request{Principal: alice, Action: "s3:GetObject", Resource: obj}, PolicySet{Identity: []*Policy{pol("", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*","Condition":{"IpAddress":{"aws:SourceIp":"10.0.0.0/8"}}},{"Effect":"Deny","Action":"s3:GetObject","Resource":"*"}]}`)}}, ExplicitDeny, nil},
		{"unconditional allow alongside conditional allow is allowed", Request{Principal: alice, Action: "s3:GetObject", Resource: obj}, PolicySet{Identity: []*Policy{s3All, pol("", `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:*","Resource":"*","Condition":{"IpAddress":{"aws:SourceIp":"10.0.0.0/8"}}}}`)}}, Allowed, nil},

		// Policy variables.
		{"username variable in resource", Request{Principal: alice, Action: "s3:GetObject", Resource: "arn:aws:s3:::home/alice/x"}, PolicySet{Identity: []*Policy{pol("", allowDoc("s3:GetObject", "arn:aws:s3:::home/${aws:username}/*"))}}, Allowed, nil},
		{"username variable does not match another user", Request{Principal: alice, Action: "s3:GetObject", Resource: "arn:aws:s3:::home/bob/x"}, PolicySet{Identity: []*Policy{pol("", allowDoc("s3:GetObject", "arn:aws:s3:::home/${aws:username}/*"))}}, ImplicitDeny, nil},
		{"username variable is absent for roles", Request{Principal: roleS, Action: "s3:GetObject", Resource: "arn:aws:s3:::home/app/x"}, PolicySet{Identity: []*Policy{pol("", allowDoc("s3:GetObject", "arn:aws:s3:::home/${aws:username}/*"))}}, ImplicitDeny, nil},
		{"variable default value", Request{Principal: roleS, Action: "s3:GetObject", Resource: "arn:aws:s3:::home/shared/x"}, PolicySet{Identity: []*Policy{pol("", allowDoc("s3:GetObject", "arn:aws:s3:::home/${aws:username, 'shared'}/*"))}}, Allowed, nil},
		{"variables are literal in 2008-10-17 policies", Request{Principal: alice, Action: "s3:GetObject", Resource: "arn:aws:s3:::home/alice/x"}, PolicySet{Identity: []*Policy{pol("", `{"Version":"2008-10-17","Statement":{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::home/${aws:username}/*"}}`)}}, ImplicitDeny, nil},
		{"escaped star is literal", Request{Principal: alice, Action: "s3:GetObject", Resource: "arn:aws:s3:::b/abc"}, PolicySet{Identity: []*Policy{pol("", allowDoc("s3:GetObject", "arn:aws:s3:::b/${*}"))}}, ImplicitDeny, nil},
		{"escaped star matches a literal star", Request{Principal: alice, Action: "s3:GetObject", Resource: "arn:aws:s3:::b/*"}, PolicySet{Identity: []*Policy{pol("", allowDoc("s3:GetObject", "arn:aws:s3:::b/${*}"))}}, Allowed, nil},
		{"principal tag variable in condition", Request{Principal: alice, Action: "ec2:StartInstances", Resource: "*", Context: map[string][]string{"aws:ResourceTag/team": {"blue"}}}, PolicySet{Identity: []*Policy{pol("", `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"ec2:StartInstances","Resource":"*","Condition":{"StringEquals":{"aws:ResourceTag/team":"${aws:PrincipalTag/team}"}}}}`)}}, Allowed, nil},
		{"principal account variable", Request{Principal: alice, Action: "iam:GetRole", Resource: "arn:aws:iam::" + acct + ":role/r"}, PolicySet{Identity: []*Policy{pol("", allowDoc("iam:GetRole", "arn:aws:iam::${aws:PrincipalAccount}:role/*"))}}, Allowed, nil},
		{"unknown variable makes the statement conditional", Request{Principal: alice, Action: "s3:GetObject", Resource: "arn:aws:s3:::b/x"}, PolicySet{Identity: []*Policy{pol("", allowDoc("s3:GetObject", "arn:aws:s3:::b/${aws:SourceVpc}"))}}, Conditional, []string{"aws:sourcevpc"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Evaluate(tt.req, tt.set)
			if got.Decision != tt.want {
				t.Fatalf("decision = %v, want %v (reasons %+v, unresolved %v)", got.Decision, tt.want, got.Reasons, got.UnresolvedKeys)
			}
			if tt.unres != nil && !reflect.DeepEqual(got.UnresolvedKeys, tt.unres) {
				t.Fatalf("unresolved = %v, want %v", got.UnresolvedKeys, tt.unres)
			}
		})
	}
}

func TestEvaluateReasonsCiteLabelAndSid(t *testing.T) {
	p := pol("arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess", `{"Version":"2012-10-17","Statement":[{"Sid":"Other","Effect":"Allow","Action":"ec2:*","Resource":"*"},{"Sid":"Read","Effect":"Allow","Action":"s3:Get*","Resource":"*"}]}`)
	r := Evaluate(Request{Principal: alice, Action: "s3:GetObject", Resource: "arn:aws:s3:::b/k"}, PolicySet{Identity: []*Policy{p}})
	want := []Reason{{Kind: KindIdentity, PolicyLabel: p.Label, Sid: "Read", Index: 1, Effect: Allow}}
	if r.Decision != Allowed || !reflect.DeepEqual(r.Reasons, want) {
		t.Fatalf("got %v %+v", r.Decision, r.Reasons)
	}
}

func cond(op, key, vals string) *Policy {
	return MustParse(`{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:GetObject","Resource":"*","Condition":{"` + op + `":{"` + key + `":` + vals + `}}}}`)
}

func TestConditionOperators(t *testing.T) {
	type ctx = map[string][]string
	tests := []struct {
		name string
		op   string
		key  string
		vals string
		ctx  ctx
		want Decision
	}{
		{"StringEquals match", "StringEquals", "s3:prefix", `"home/"`, ctx{"s3:prefix": {"home/"}}, Allowed},
		{"StringEquals is case-sensitive", "StringEquals", "s3:prefix", `"Home/"`, ctx{"s3:prefix": {"home/"}}, ImplicitDeny},
		{"StringEquals values are ORed", "StringEquals", "s3:prefix", `["a","home/"]`, ctx{"s3:prefix": {"home/"}}, Allowed},
		{"StringEquals missing key fails", "StringEquals", "s3:prefix", `"home/"`, ctx{}, ImplicitDeny},
		{"StringNotEquals match", "StringNotEquals", "s3:prefix", `"x"`, ctx{"s3:prefix": {"home/"}}, Allowed},
		{"StringNotEquals values are NORed", "StringNotEquals", "s3:prefix", `["x","home/"]`, ctx{"s3:prefix": {"home/"}}, ImplicitDeny},
		{"StringNotEquals missing key is true", "StringNotEquals", "s3:prefix", `"x"`, ctx{}, Allowed},
		{"StringEqualsIgnoreCase", "StringEqualsIgnoreCase", "s3:prefix", `"HOME/"`, ctx{"s3:prefix": {"home/"}}, Allowed},
		{"StringNotEqualsIgnoreCase", "StringNotEqualsIgnoreCase", "s3:prefix", `"HOME/"`, ctx{"s3:prefix": {"home/"}}, ImplicitDeny},
		{"StringLike wildcard", "StringLike", "s3:prefix", `"home/*"`, ctx{"s3:prefix": {"home/a/b"}}, Allowed},
		{"StringLike question mark", "StringLike", "s3:prefix", `"h?me"`, ctx{"s3:prefix": {"hxme"}}, Allowed},
		{"StringLike is case-sensitive", "StringLike", "s3:prefix", `"HOME/*"`, ctx{"s3:prefix": {"home/a"}}, ImplicitDeny},
		{"StringNotLike", "StringNotLike", "s3:prefix", `"home/*"`, ctx{"s3:prefix": {"home/a"}}, ImplicitDeny},
		{"StringEqualsIfExists missing key is true", "StringEqualsIfExists", "s3:prefix", `"x"`, ctx{}, Allowed},
		{"StringEqualsIfExists present key must match", "StringEqualsIfExists", "s3:prefix", `"x"`, ctx{"s3:prefix": {"y"}}, ImplicitDeny},
		{"NumericLessThan", "NumericLessThan", "s3:max-keys", `"10"`, ctx{"s3:max-keys": {"5"}}, Allowed},
		{"NumericLessThan false", "NumericLessThan", "s3:max-keys", `10`, ctx{"s3:max-keys": {"10"}}, ImplicitDeny},
		{"NumericLessThanEquals", "NumericLessThanEquals", "s3:max-keys", `10`, ctx{"s3:max-keys": {"10"}}, Allowed},
		{"NumericGreaterThan", "NumericGreaterThan", "s3:max-keys", `10`, ctx{"s3:max-keys": {"11"}}, Allowed},
		{"NumericGreaterThanEquals", "NumericGreaterThanEquals", "s3:max-keys", `10`, ctx{"s3:max-keys": {"9"}}, ImplicitDeny},
		{"NumericEquals", "NumericEquals", "s3:max-keys", `10`, ctx{"s3:max-keys": {"10.0"}}, Allowed},
		{"NumericNotEquals", "NumericNotEquals", "s3:max-keys", `10`, ctx{"s3:max-keys": {"10"}}, ImplicitDeny},
		{"DateLessThan", "DateLessThan", "aws:CurrentTime", `"2030-01-01T00:00:00Z"`, ctx{"aws:CurrentTime": {"2026-06-01T00:00:00Z"}}, Allowed},
		{"DateGreaterThan", "DateGreaterThan", "aws:CurrentTime", `"2030-01-01T00:00:00Z"`, ctx{"aws:CurrentTime": {"2026-06-01T00:00:00Z"}}, ImplicitDeny},
		{"DateEquals epoch", "DateEquals", "aws:EpochTime", `"0"`, ctx{"aws:EpochTime": {"1970-01-01T00:00:00Z"}}, Allowed},
		{"DateNotEquals", "DateNotEquals", "aws:CurrentTime", `"2030-01-01T00:00:00Z"`, ctx{"aws:CurrentTime": {"2030-01-01T00:00:00Z"}}, ImplicitDeny},
		{"DateLessThanEquals", "DateLessThanEquals", "aws:CurrentTime", `"2030-01-01"`, ctx{"aws:CurrentTime": {"2030-01-01T00:00:00Z"}}, Allowed},
		{"DateGreaterThanEquals", "DateGreaterThanEquals", "aws:CurrentTime", `"2030-01-01T00:00:00Z"`, ctx{"aws:CurrentTime": {"2030-01-01T00:00:00Z"}}, Allowed},
		{"Bool true", "Bool", "aws:SecureTransport", `"true"`, ctx{"aws:SecureTransport": {"true"}}, Allowed},
		{"Bool JSON boolean value", "Bool", "aws:SecureTransport", `false`, ctx{"aws:SecureTransport": {"true"}}, ImplicitDeny},
		{"BoolIfExists missing", "BoolIfExists", "aws:MultiFactorAuthPresent", `"true"`, ctx{}, Allowed},
		{"BinaryEquals", "BinaryEquals", "s3:x", `"QmluYXJ5"`, ctx{"s3:x": {"QmluYXJ5"}}, Allowed},
		{"BinaryEquals differs", "BinaryEquals", "s3:x", `"QmluYXJ5"`, ctx{"s3:x": {"QmluYXJa"}}, ImplicitDeny},
		{"IpAddress in CIDR", "IpAddress", "aws:SourceIp", `["203.0.113.0/24"]`, ctx{"aws:SourceIp": {"203.0.113.7"}}, Allowed},
		{"IpAddress outside CIDR", "IpAddress", "aws:SourceIp", `"203.0.113.0/24"`, ctx{"aws:SourceIp": {"198.51.100.1"}}, ImplicitDeny},
		{"IpAddress IPv6", "IpAddress", "aws:SourceIp", `"2001:db8::/32"`, ctx{"aws:SourceIp": {"2001:db8::1"}}, Allowed},
		{"NotIpAddress", "NotIpAddress", "aws:SourceIp", `"203.0.113.0/24"`, ctx{"aws:SourceIp": {"198.51.100.1"}}, Allowed},
		{"ArnLike per segment", "ArnLike", "aws:SourceArn", `"arn:aws:sns:*:123456789012:topic*"`, ctx{"aws:SourceArn": {"arn:aws:sns:us-east-1:123456789012:topicA"}}, Allowed},
		{"ArnEquals accepts wildcards", "ArnEquals", "aws:SourceArn", `"arn:aws:sns:*:123456789012:*"`, ctx{"aws:SourceArn": {"arn:aws:sns:us-east-1:999999999999:t"}}, ImplicitDeny},
		{"ArnNotLike", "ArnNotLike", "aws:PrincipalArn", `"arn:aws:iam::*:role/admin"`, ctx{"aws:PrincipalArn": {"arn:aws:iam::1:role/dev"}}, Allowed},
		{"ArnNotEquals", "ArnNotEquals", "aws:PrincipalArn", `"arn:aws:iam::1:role/dev"`, ctx{"aws:PrincipalArn": {"arn:aws:iam::1:role/dev"}}, ImplicitDeny},
		{"Null true wants the key absent", "Null", "aws:TokenIssueTime", `"true"`, ctx{}, Allowed},
		{"Null true with key present", "Null", "aws:TokenIssueTime", `"true"`, ctx{"aws:TokenIssueTime": {"2026-01-01T00:00:00Z"}}, ImplicitDeny},
		{"Null false wants the key present", "Null", "aws:TokenIssueTime", `"false"`, ctx{}, ImplicitDeny},
		{"ForAnyValue one matches", "ForAnyValue:StringEquals", "aws:TagKeys", `["a","b"]`, ctx{"aws:TagKeys": {"b", "z"}}, Allowed},
		{"ForAnyValue empty set is false", "ForAnyValue:StringEquals", "aws:TagKeys", `["a"]`, ctx{}, ImplicitDeny},
		{"ForAllValues all match", "ForAllValues:StringEquals", "aws:TagKeys", `["a","b"]`, ctx{"aws:TagKeys": {"a", "b"}}, Allowed},
		{"ForAllValues one outside", "ForAllValues:StringEquals", "aws:TagKeys", `["a","b"]`, ctx{"aws:TagKeys": {"a", "z"}}, ImplicitDeny},
		{"ForAllValues empty set is true", "ForAllValues:StringEquals", "aws:TagKeys", `["a"]`, ctx{}, Allowed},
		{"ForAllValues StringLike", "ForAllValues:StringLike", "aws:TagKeys", `["env*"]`, ctx{"aws:TagKeys": {"env", "environment"}}, Allowed},
		{"ForAnyValue StringNotEquals", "ForAnyValue:StringNotEquals", "aws:TagKeys", `["a"]`, ctx{"aws:TagKeys": {"a", "b"}}, Allowed},
		{"ForAllValues StringNotEquals", "ForAllValues:StringNotEquals", "aws:TagKeys", `["a"]`, ctx{"aws:TagKeys": {"a", "b"}}, ImplicitDeny},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := cond(tt.op, tt.key, tt.vals)
			r := Evaluate(Request{Principal: alice, Action: "s3:GetObject", Resource: "arn:aws:s3:::b", Context: tt.ctx, ContextComplete: true}, PolicySet{Identity: []*Policy{p}})
			if r.Decision != tt.want {
				t.Fatalf("%s %s=%s with %v: got %v, want %v", tt.op, tt.key, tt.vals, tt.ctx, r.Decision, tt.want)
			}
			// Without ContextComplete, a key missing from the context is unknown: never silently decided.
			if len(tt.ctx) == 0 {
				r := Evaluate(Request{Principal: alice, Action: "s3:GetObject", Resource: "arn:aws:s3:::b"}, PolicySet{Identity: []*Policy{p}})
				if r.Decision != Conditional || len(r.UnresolvedKeys) != 1 || r.UnresolvedKeys[0] != strings.ToLower(tt.key) {
					t.Fatalf("incomplete context: got %v %v, want Conditional on %s", r.Decision, r.UnresolvedKeys, tt.key)
				}
			}
		})
	}
}

func TestMultipleConditionsAreANDed(t *testing.T) {
	p := MustParse(`{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:GetObject","Resource":"*","Condition":{"StringEquals":{"s3:prefix":"a","s3:delimiter":"/"},"Bool":{"aws:SecureTransport":"true"}}}}`)
	base := map[string][]string{"s3:prefix": {"a"}, "s3:delimiter": {"/"}, "aws:SecureTransport": {"true"}}
	if r := Evaluate(Request{Principal: alice, Action: "s3:GetObject", Context: base, ContextComplete: true}, PolicySet{Identity: []*Policy{p}}); r.Decision != Allowed {
		t.Fatalf("all conditions hold: %v", r.Decision)
	}
	for k := range base {
		ctx := map[string][]string{}
		for k2, v := range base {
			if k2 != k {
				ctx[k2] = v
			}
		}
		ctx[k] = []string{"nope"}
		if r := Evaluate(Request{Principal: alice, Action: "s3:GetObject", Context: ctx, ContextComplete: true}, PolicySet{Identity: []*Policy{p}}); r.Decision != ImplicitDeny {
			t.Fatalf("%s fails: got %v", k, r.Decision)
		}
	}
}

// TestTokenIssueTimeDecidedWhereNoCredentialsChangeIt: the caller picks its credentials (long-term
// keys lack aws:TokenIssueTime; a live session token is at most 36 hours old), so a date
// condition on it is decided only when every choice gives the same answer.
func TestTokenIssueTimeDecidedWhereNoCredentialsChangeIt(t *testing.T) {
	now := map[string][]string{"aws:CurrentTime": {"2026-06-01T00:00:00Z"}}
	tests := []struct {
		name string
		op   string
		vals string
		want Decision
	}{
		{"DateLessThan long past never holds", "DateLessThan", `"2020-01-01T00:00:01Z"`, ImplicitDeny},
		{"DateLessThanEquals long past never holds", "DateLessThanEquals", `"2020-01-01T00:00:01Z"`, ImplicitDeny},
		{"DateLessThan within a session's life depends on the token", "DateLessThan", `"2026-05-31T12:00:00Z"`, Conditional},
		{"DateLessThan in the future depends on the token", "DateLessThan", `"2030-01-01T00:00:00Z"`, Conditional},
		{"DateGreaterThan long past depends on the credentials (keys lack it)", "DateGreaterThan", `"2020-01-01T00:00:01Z"`, Conditional},
		{"DateGreaterThanIfExists long past always holds", "DateGreaterThanIfExists", `"2020-01-01T00:00:01Z"`, Allowed},
		{"DateLessThanIfExists long past depends on the credentials", "DateLessThanIfExists", `"2020-01-01T00:00:01Z"`, Conditional},
		{"one value within the window keeps it unknown", "DateLessThan", `["2020-01-01T00:00:01Z","2030-01-01T00:00:00Z"]`, Conditional},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := cond(tt.op, "aws:TokenIssueTime", tt.vals)
			r := Evaluate(Request{Principal: alice, Action: "s3:GetObject", Resource: "arn:aws:s3:::b", Context: now}, PolicySet{Identity: []*Policy{p}})
			if r.Decision != tt.want {
				t.Fatalf("got %v (%v), want %v", r.Decision, r.UnresolvedKeys, tt.want)
			}
		})
	}
}

func TestResourceTagsAnswerResourceTagKeys(t *testing.T) {
	tests := []struct {
		name string
		key  string
		tags map[string]string
		want Decision
	}{
		{"tag holds", "aws:ResourceTag/team", map[string]string{"team": "dev"}, Allowed},
		{"service form of the key", "iam:ResourceTag/team", map[string]string{"Team": "dev"}, Allowed},
		{"tag has another value", "aws:ResourceTag/team", map[string]string{"team": "ops"}, ImplicitDeny},
		{"tag absent", "aws:ResourceTag/team", map[string]string{}, ImplicitDeny},
		{"tags unknown", "aws:ResourceTag/team", nil, Conditional},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := cond("StringEquals", tt.key, `"dev"`)
			r := Evaluate(Request{Principal: alice, Action: "s3:GetObject", Resource: "arn:aws:s3:::b", ResourceTags: tt.tags}, PolicySet{Identity: []*Policy{p}})
			if r.Decision != tt.want {
				t.Fatalf("got %v, want %v", r.Decision, tt.want)
			}
		})
	}
}

// TestUntagKeysAnswerTagKeys: an untag request carries the keys it removes as aws:TagKeys and no
// aws:RequestTag/<key> (it sets none), so a tag-key guard on the untag action is decided.
func TestUntagKeysAnswerTagKeys(t *testing.T) {
	tests := []struct {
		name string
		op   string
		key  string
		vals string
		keys []string
		want Decision
	}{
		{"removing an allowed key", "ForAllValues:StringEquals", "aws:TagKeys", `["owner"]`, []string{"owner"}, Allowed},
		{"removing another key", "ForAllValues:StringEquals", "aws:TagKeys", `["owner"]`, []string{"protected"}, ImplicitDeny},
		{"removing the guarded key among others", "ForAnyValue:StringEquals", "aws:TagKeys", `["protected"]`, []string{"owner", "protected"}, Allowed},
		{"an untag request sets no tag", "StringEquals", "aws:RequestTag/owner", `"x"`, []string{"owner"}, ImplicitDeny},
		{"not an untag request: keys unknown", "ForAllValues:StringEquals", "aws:TagKeys", `["owner"]`, nil, Conditional},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := cond(tt.op, tt.key, tt.vals) // cond's action stands for the untag action
			r := Evaluate(Request{Principal: alice, Action: "s3:GetObject", Resource: "arn:aws:s3:::b", UntagKeys: tt.keys}, PolicySet{Identity: []*Policy{p}})
			if r.Decision != tt.want {
				t.Fatalf("got %v (%v), want %v", r.Decision, r.UnresolvedKeys, tt.want)
			}
		})
	}
}
