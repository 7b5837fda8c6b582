package policy

import (
	"reflect"
	"strings"
	"testing"

	"github.com/breachpath/breachpath/collector/aws/catalog"
)

// TestEvaluatorMatchesEvaluate runs a mix of requests through one Evaluator, in an order where
// state left over from the previous request (context keys, principal tags, unresolved keys) would
// change the next result, and requires every result to equal Evaluate's and CanAssume's.
func TestEvaluatorMatchesEvaluate(t *testing.T) {
	tagged := pol("id:tagged", `{"Version":"2012-10-17","Statement":[
		{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::data/${aws:username}/*"},
		{"Effect":"Allow","Action":"s3:PutObject","Resource":"*","Condition":{"StringEquals":{"aws:PrincipalTag/team":"blue"}}},
		{"Effect":"Allow","Action":"s3:DeleteObject","Resource":"*","Condition":{"IpAddress":{"aws:SourceIp":"10.0.0.0/8"}}},
		{"Effect":"Deny","Action":"s3:*","Resource":"*","Condition":{"Bool":{"aws:SecureTransport":"false"}}}]}`)
	boundary := pol("boundary", allowDoc("s3:*", "*"))
	bucketPol := pol("bucket", `{"Version":"2012-10-17","Statement":[
		{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::`+other+`:user/bob"},"Action":"s3:GetObject","Resource":"arn:aws:s3:::data/*"},
		{"Effect":"Allow","Principal":"*","Action":"s3:ListBucket","Resource":"arn:aws:s3:::data","Condition":{"StringEquals":{"aws:PrincipalOrgID":"o-1"}}}]}`)
	trust := pol("trust", `{"Version":"2012-10-17","Statement":[
		{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::`+acct+`:root"},"Action":"sts:AssumeRole"},
		{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::`+other+`:root"},"Action":"sts:AssumeRole","Condition":{"StringEquals":{"sts:ExternalId":"x"}}}]}`)
	stsAll := pol("id:sts", allowDoc("sts:AssumeRole", "*"))
	anon := Principal{Type: TypeAnonymous, ARN: "*", Name: "*"}
	svc := Principal{Type: TypeService, ARN: "lambda.amazonaws.com", Name: "lambda.amazonaws.com"}
	https := map[string][]string{"aws:SecureTransport": {"true"}, "aws:SourceIp": {"10.1.2.3"}}
	plain := map[string][]string{"aws:SecureTransport": {"false"}}
	var cases []struct {
		req Request
		set PolicySet
	}
	for _, p := range []Principal{alice, roleS, bob, anon, svc, {ARN: alice.ARN, AccountID: acct, Type: TypeUser, Name: "alice"}} {
		for _, ctx := range []map[string][]string{nil, https, plain} {
			for _, act := range []string{"s3:GetObject", "s3:PutObject", "s3:DeleteObject", "s3:ListBucket", "S3:getobject"} {
				for _, res := range []string{"arn:aws:s3:::data/alice/k", "arn:aws:s3:::data", "*"} {
					for _, set := range []PolicySet{
						{Identity: []*Policy{tagged}},
						{Identity: []*Policy{tagged}, Boundary: boundary, Resource: bucketPol},
						{Resource: bucketPol},
					} {
						cases = append(cases, struct {
							req Request
							set PolicySet
						}{Request{Principal: p, Action: act, Resource: res, ResourceAccount: acct, Context: ctx, ContextComplete: ctx != nil && p.Type == TypeAnonymous}, set})
					}
				}
			}
		}
	}
	var ev Evaluator
	seen := map[Decision]int{}
	for i, c := range cases {
		want, got := Evaluate(c.req, c.set), ev.Evaluate(c.req, c.set)
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("case %d (%+v): Evaluator %+v, Evaluate %+v", i, c.req, got, want)
		}
		seen[want.Decision]++
	}
	// The mix must exercise every outcome, or it proves little.
	for _, d := range []Decision{Allowed, Conditional, ExplicitDeny, ImplicitDeny} {
		if seen[d] == 0 {
			t.Errorf("no case decided %s (%v)", d, seen)
		}
	}
	for _, p := range []Principal{alice, roleS, bob, anon} {
		for _, ctx := range []map[string][]string{nil, {"sts:ExternalId": {"x"}}} {
			for _, set := range []PolicySet{{}, {Identity: []*Policy{stsAll}}} {
				want := CanAssume(p, set, trust, "arn:aws:iam::"+acct+":role/target", ctx)
				got := ev.CanAssume(p, set, trust, "arn:aws:iam::"+acct+":role/target", ctx)
				if !reflect.DeepEqual(got, want) {
					t.Fatalf("CanAssume(%s, %v): Evaluator %+v, CanAssume %+v", p.ARN, ctx, got, want)
				}
			}
		}
	}
}

// TestActionBitsetMatchesGlobbing checks the bitset shortcut of Evaluate against pattern globbing
// for every catalog action, on tricky patterns and on large AWS-managed policies.
func TestActionBitsetMatchesGlobbing(t *testing.T) {
	c := catalog.Default()
	docs := []string{
		`{"Version":"2012-10-17","Statement":[
			{"Effect":"Allow","Action":["s3:Get*","*:Describe*","iam:?etRole","S3:PUTOBJECT","sts:AssumeRole"],"Resource":"*"},
			{"Effect":"Allow","Action":"s3*","Resource":"*"},
			{"Effect":"Allow","NotAction":["iam:*","organizations:*"],"Resource":"*"},
			{"Effect":"Deny","Action":"*","Resource":"*"},
			{"Effect":"Allow","Action":"nosuchservice:Thing","Resource":"*"}]}`,
	}
	for _, arn := range []string{"arn:aws:iam::aws:policy/ReadOnlyAccess", "arn:aws:iam::aws:policy/PowerUserAccess", "arn:aws:iam::aws:policy/AWSLambda_FullAccess"} {
		doc, ok := catalog.ManagedPolicy(arn)
		if !ok {
			t.Fatalf("%s not in the catalogue", arn)
		}
		docs = append(docs, string(doc))
	}
	for _, d := range docs {
		p := MustParse(d)
		p.prepare()
		for _, st := range p.Statements {
			for _, a := range c.Actions() {
				act := strings.ToLower(a.Name)
				idx, ok := catalogIndex(act)
				if !ok || idx != a.Index {
					t.Fatalf("catalogIndex(%q) = %d, %v", act, idx, ok)
				}
				if got, want := st.matchesActionAt(act, idx, true), st.matchesAction(act); got != want {
					t.Fatalf("statement %v on %s: bitset %v, globbing %v", st.Actions, act, got, want)
				}
			}
		}
	}
}
