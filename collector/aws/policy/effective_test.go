package policy

import (
	"fmt"
	"testing"

	"github.com/breachpath/breachpath/collector/aws/catalog"
)

func managed(t testing.TB, name string) *Policy {
	arn := "arn:aws:iam::aws:policy/" + name
	doc, ok := catalog.ManagedPolicy(arn)
	if !ok {
		t.Fatalf("managed policy %s missing", arn)
	}
	p, err := Parse(doc)
	if err != nil {
		t.Fatalf("parse %s: %v", arn, err)
	}
	p.Label = arn
	return p
}

func has(t *testing.T, s catalog.ActionSet, action string) bool {
	a, ok := catalog.Default().Lookup(action)
	if !ok {
		t.Fatalf("unknown action %s", action)
	}
	return s.Has(a.Index)
}

func TestEffectiveActionsMatchesEvaluate(t *testing.T) {
	c := catalog.Default()
	admin := managed(t, "AdministratorAccess")
	power := managed(t, "PowerUserAccess")
	tests := []struct {
		name    string
		set     PolicySet
		allowed []string
		denied  []string
		cond    []string
	}{
		{"administrator has everything", PolicySet{Identity: []*Policy{admin}}, []string{"iam:CreateUser", "s3:GetObject"}, nil, nil},
		{"power user lacks iam writes", PolicySet{Identity: []*Policy{power}}, []string{"ec2:RunInstances", "iam:CreateServiceLinkedRole"}, []string{"iam:CreateUser", "iam:AttachRolePolicy"}, nil},
		{"boundary caps admin", PolicySet{Identity: []*Policy{admin}, Boundary: pol("b", allowDoc("s3:*", "*"))}, []string{"s3:PutObject"}, []string{"ec2:RunInstances"}, nil},
		{"deny on every resource removes the action", PolicySet{Identity: []*Policy{admin, pol("", `{"Version":"2012-10-17","Statement":{"Effect":"Deny","Action":"iam:*","Resource":"*"}}`)}}, []string{"s3:GetObject"}, []string{"iam:GetUser"}, nil},
		{"deny on some resources keeps the action", PolicySet{Identity: []*Policy{admin, pol("", `{"Version":"2012-10-17","Statement":{"Effect":"Deny","Action":"s3:*","Resource":"arn:aws:s3:::secret/*"}}`)}}, []string{"s3:GetObject"}, nil, nil},
		{"conditional allow", PolicySet{Identity: []*Policy{pol("", `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:Get*","Resource":"*","Condition":{"IpAddress":{"aws:SourceIp":"10.0.0.0/8"}}}}`)}}, nil, []string{"s3:PutObject"}, []string{"s3:GetObject"}},
		{"conditional deny makes admin conditional", PolicySet{Identity: []*Policy{admin, pol("", `{"Version":"2012-10-17","Statement":{"Effect":"Deny","Action":"*","Resource":"*","Condition":{"BoolIfExists":{"aws:MultiFactorAuthPresent":"false"}}}}`)}}, nil, nil, []string{"iam:CreateUser"}},
		{"SCP allow-list", PolicySet{Identity: []*Policy{admin}, SCPs: [][]*Policy{{pol("", allowDoc("*", "*"))}, {pol("", allowDoc("s3:*", "*"))}}}, []string{"s3:GetObject"}, []string{"ec2:RunInstances"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			allowed, cond := EffectiveActions(alice, tt.set, "")
			for _, a := range tt.allowed {
				if !has(t, allowed, a) {
					t.Errorf("%s not allowed", a)
				}
			}
			for _, a := range tt.denied {
				if has(t, allowed, a) || has(t, cond, a) {
					t.Errorf("%s allowed", a)
				}
			}
			for _, a := range tt.cond {
				if !has(t, cond, a) || has(t, allowed, a) {
					t.Errorf("%s not conditional", a)
				}
			}
			// On a concrete resource, the bitset path must agree with Evaluate for every action.
			res := "arn:aws:s3:::data/k"
			allowed, cond = EffectiveActions(alice, tt.set, res)
			for _, a := range c.Actions() {
				r := Evaluate(Request{Principal: alice, Action: a.Name, Resource: res}, tt.set)
				got := ImplicitDeny
				switch {
				case allowed.Has(a.Index):
					got = Allowed
				case cond.Has(a.Index):
					got = Conditional
				}
				want := r.Decision
				if want == ExplicitDeny {
					want = ImplicitDeny
				}
				if got != want {
					t.Fatalf("%s: bitset %v, Evaluate %v", a.Name, got, r.Decision)
				}
			}
		})
	}
}

func TestGrantsListResourcePatterns(t *testing.T) {
	p := pol("inline:user/alice/home", `{"Version":"2012-10-17","Statement":[{"Sid":"Home","Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::home/${aws:username}/*"},{"Sid":"Other","Effect":"Allow","Action":"ec2:*","Resource":"*"}]}`)
	g := Grants(alice, PolicySet{Identity: []*Policy{p}}, "s3:getobject")
	if len(g) != 1 || g[0].Sid != "Home" || g[0].Resources[0] != "arn:aws:s3:::home/alice/*" || g[0].PolicyLabel != p.Label {
		t.Fatalf("grants = %+v", g)
	}
}

func TestUnknownActionsAreReportedAndStillMatchExactly(t *testing.T) {
	p := pol("", allowDoc("newsvc:DoThing", "*"))
	if u := p.UnknownActions(); len(u) != 1 || u[0] != "newsvc:DoThing" {
		t.Fatalf("unknown = %v", u)
	}
	if r := Evaluate(Request{Principal: alice, Action: "NewSvc:dothing", Resource: "*"}, PolicySet{Identity: []*Policy{p}}); r.Decision != Allowed {
		t.Fatalf("exact match of unknown action: %v", r.Decision)
	}
}

// syntheticAccount builds n principals mixing real AWS managed policies, wildcard and NotAction inline
// policies, boundaries and conditions, as a large account would.
func syntheticAccount(tb testing.TB, n int) ([]Principal, []PolicySet) {
	m := map[string]*Policy{}
	for _, name := range []string{"ReadOnlyAccess", "PowerUserAccess", "AdministratorAccess", "AmazonS3FullAccess", "IAMFullAccess", "AmazonEC2FullAccess", "AmazonDynamoDBFullAccess", "SecurityAudit", "AWSLambda_FullAccess"} {
		m[name] = managed(tb, name)
	}
	notIAM := pol("inline:notiam", `{"Version":"2012-10-17","Statement":{"Effect":"Allow","NotAction":["iam:*","organizations:*"],"Resource":"*"}}`)
	wild := pol("inline:wild", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:Get*","s3:List*","*:Describe*","kms:Decrypt"],"Resource":"*"},{"Effect":"Deny","Action":"s3:Delete*","Resource":"*","Condition":{"Bool":{"aws:MultiFactorAuthPresent":"false"}}}]}`)
	boundary := pol("boundary", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","NotAction":"iam:*","Resource":"*"},{"Effect":"Allow","Action":["iam:Get*","iam:List*"],"Resource":"*"}]}`)
	names := []string{"ReadOnlyAccess", "PowerUserAccess", "AdministratorAccess", "AmazonS3FullAccess", "IAMFullAccess", "AmazonEC2FullAccess", "AmazonDynamoDBFullAccess", "SecurityAudit", "AWSLambda_FullAccess"}
	ps := make([]Principal, n)
	sets := make([]PolicySet, n)
	for i := range ps {
		ps[i] = Principal{ARN: fmt.Sprintf("arn:aws:iam::%s:role/r%d", acct, i), AccountID: acct, Type: TypeRole, Name: fmt.Sprintf("r%d", i), Tags: map[string]string{}}
		set := PolicySet{Identity: []*Policy{m[names[i%len(names)]], m[names[(i/7)%len(names)]]}}
		switch i % 5 {
		case 0:
			set.Identity = append(set.Identity, notIAM)
		case 1:
			set.Identity = append(set.Identity, wild)
		case 2:
			set.Boundary = boundary
		case 3:
			inline := pol(fmt.Sprintf("inline:r%d", i), fmt.Sprintf(`{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":["sqs:*","sns:Publish","lambda:Invoke*"],"Resource":"arn:aws:sqs:*:%s:q%d"}}`, acct, i))
			set.Identity = append(set.Identity, inline)
		}
		sets[i] = set
	}
	return ps, sets
}

func BenchmarkEffectiveActions10kPrincipals(b *testing.B) {
	ps, sets := syntheticAccount(b, 10000)
	for i := range ps { // warm the per-policy caches outside the timer
		EffectiveActions(ps[i], sets[i], "")
	}
	b.ReportAllocs()
	b.ResetTimer()
	for n := 0; n < b.N; n++ {
		for i := range ps {
			EffectiveActions(ps[i], sets[i], "")
		}
	}
}
