package policy

import (
	"errors"
	"net/url"
	"strings"
	"testing"
)

func TestParseForms(t *testing.T) {
	tests := []struct {
		name  string
		doc   string
		check func(p *Policy) bool
	}{
		{"statement as object and strings", `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}}`,
			func(p *Policy) bool { return len(p.Statements) == 1 && p.Statements[0].Actions[0] == "s3:GetObject" }},
		{"arrays everywhere", `{"Version":"2012-10-17","Id":"x","Statement":[{"Sid":"A","Effect":"Deny","NotAction":["iam:*","sts:*"],"NotResource":["arn:aws:s3:::a","arn:aws:s3:::b"]}]}`,
			func(p *Policy) bool {
				s := p.Statements[0]
				return p.ID == "x" && s.Sid == "A" && s.Effect == Deny && s.NotActions && len(s.Actions) == 2 && s.NotResources && len(s.Resources) == 2
			}},
		{"principal star", `{"Statement":{"Effect":"Allow","Principal":"*","Action":"s3:*","Resource":"*"}}`,
			func(p *Policy) bool { return p.Statements[0].Principal.Wildcard }},
		{"principal AWS star", `{"Statement":{"Effect":"Allow","Principal":{"AWS":"*"},"Action":"s3:*","Resource":"*"}}`,
			func(p *Policy) bool { return p.Statements[0].Principal.Wildcard }},
		{"principal kinds", `{"Statement":{"Effect":"Allow","Principal":{"AWS":["123456789012","arn:aws:iam::1:role/r"],"Service":"ec2.amazonaws.com","Federated":"cognito-identity.amazonaws.com","CanonicalUser":"abc"},"Action":"sts:AssumeRole"}}`,
			func(p *Policy) bool {
				pr := p.Statements[0].Principal
				return len(pr.AWS) == 2 && pr.Service[0] == "ec2.amazonaws.com" && pr.Federated[0] == "cognito-identity.amazonaws.com" && pr.CanonicalUser[0] == "abc" && p.Statements[0].Resources == nil
			}},
		{"condition values string number bool array", `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:*","Resource":"*","Condition":{"NumericLessThan":{"s3:max-keys":10},"Bool":{"aws:SecureTransport":false},"StringEquals":{"s3:prefix":["a","b"]}}}}`,
			func(p *Policy) bool { return len(p.Statements[0].Conditions) == 3 }},
		{"not principal", `{"Statement":{"Effect":"Deny","NotPrincipal":{"AWS":"arn:aws:iam::1:user/a"},"Action":"s3:*","Resource":"*"}}`,
			func(p *Policy) bool { return p.Statements[0].NotPrincipal }},
		{"url-encoded document", url.PathEscape(`{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::a+b/*"}}`),
			func(p *Policy) bool { return p.Statements[0].Resources[0] == "arn:aws:s3:::a+b/*" }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := Parse([]byte(tt.doc))
			if err != nil {
				t.Fatal(err)
			}
			if !tt.check(p) {
				t.Fatalf("unexpected parse: %+v", p)
			}
		})
	}
}

func TestParseRejectsInvalidWithClearErrors(t *testing.T) {
	deep := strings.Repeat("[", 100000) + strings.Repeat("]", 100000)
	huge := `{"Statement":{"Effect":"Allow","Action":"s3:*","Resource":"` + strings.Repeat("a", 10<<20) + `"}}`
	tests := []struct {
		name, doc, want string
	}{
		{"empty", ``, "empty document"},
		{"not json", `{`, "invalid JSON"},
		{"array top level", `[]`, "must be a JSON object"},
		{"missing statement", `{"Version":"2012-10-17"}`, "missing Statement"},
		{"bad version", `{"Version":"2020-01-01","Statement":[]}`, "Version"},
		{"missing effect", `{"Statement":[{"Sid":"S1","Action":"s3:*","Resource":"*"}]}`, `statement 0 (Sid "S1"): Effect: missing`},
		{"unknown effect", `{"Statement":[{"Effect":"Maybe","Action":"s3:*","Resource":"*"}]}`, `statement 0: Effect: must be "Allow" or "Deny"`},
		{"action and notaction", `{"Statement":[{"Effect":"Allow","Action":"s3:*","NotAction":"iam:*","Resource":"*"}]}`, "both Action and NotAction"},
		{"no action", `{"Statement":[{"Effect":"Allow","Resource":"*"}]}`, "Action or NotAction"},
		{"resource and notresource", `{"Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*","NotResource":"*"}]}`, "both Resource and NotResource"},
		{"number as action", `{"Statement":[{"Effect":"Allow","Action":42,"Resource":"*"}]}`, "Action: must be a string or an array of strings, got number"},
		{"number in action array", `{"Statement":[{"Effect":"Allow","Action":["s3:*",1],"Resource":"*"}]}`, "Action: element 1 must be a string, got number"},
		{"second statement named", `{"Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"},{"Sid":"Two","Effect":"Allow","Action":"s3:*","Resource":{}}]}`, `statement 1 (Sid "Two"): Resource`},
		{"unknown element", `{"Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*","Foo":1}]}`, "unknown statement element"},
		{"principal string not star", `{"Statement":[{"Effect":"Allow","Principal":"arn:aws:iam::1:root","Action":"s3:*"}]}`, "Principal"},
		{"principal and notprincipal", `{"Statement":[{"Effect":"Allow","Principal":"*","NotPrincipal":"*","Action":"s3:*"}]}`, "both Principal and NotPrincipal"},
		{"unknown principal type", `{"Statement":[{"Effect":"Allow","Principal":{"Robot":"x"},"Action":"s3:*"}]}`, "unknown principal type"},
		{"unknown condition operator", `{"Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*","Condition":{"StringSortOf":{"a":"b"}}}]}`, "unknown condition operator"},
		{"nested condition value", `{"Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*","Condition":{"StringEquals":{"a":{"b":"c"}}}}]}`, "Condition: StringEquals: a"},
		{"statement wrong type", `{"Statement":"x"}`, "Statement must be an object or an array"},
		{"deeply nested", deep, "nesting deeper"},
		{"ten megabytes", huge, "too large"},
		{"trailing data", `{"Statement":[]} {}`, "trailing data"},
		{"bad url encoding", `%7B%ZZ`, "URL-decode"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse([]byte(tt.doc))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want containing %q", err, tt.want)
			}
		})
	}
	if _, err := Parse([]byte(huge)); !errors.Is(err, ErrTooLarge) {
		t.Fatalf("10 MB document: %v, want ErrTooLarge", err)
	}
}

func FuzzParse(f *testing.F) {
	seeds := []string{
		`{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}}`,
		`{"Version":"2012-10-17","Statement":[{"Sid":"a","Effect":"Deny","NotAction":["iam:*"],"NotResource":["arn:aws:s3:::x/${aws:username}/*"]}]}`,
		`{"Statement":{"Effect":"Allow","Principal":{"AWS":["123456789012","*"],"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole","Condition":{"StringEquals":{"sts:ExternalId":"x"}}}}`,
		`{"Statement":{"Effect":"Allow","Principal":"*","Action":"*","Resource":"*","Condition":{"ForAnyValue:StringLikeIfExists":{"aws:TagKeys":["a*",1,true]},"Null":{"k":"true"}}}}`,
		`%7B%22Version%22%3A%222012-10-17%22%2C%22Statement%22%3A%5B%5D%7D`,
		`[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[`, `{"Statement":{"Effect":1}}`, `{}`, `null`,
	}
	for _, s := range seeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, doc []byte) {
		p, err := Parse(doc)
		if err != nil {
			return
		}
		// Whatever parses must evaluate without panicking.
		req := Request{Principal: alice, Action: "s3:GetObject", Resource: "arn:aws:s3:::b/k", ResourceAccount: acct}
		Evaluate(req, PolicySet{Identity: []*Policy{p}, Resource: p, Boundary: p, SCPs: [][]*Policy{{p}}})
		Grants(alice, PolicySet{Identity: []*Policy{p}}, "s3:GetObject")
	})
}

func TestParseRefusesDuplicateKeys(t *testing.T) {
	for _, doc := range []string{
		`{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Effect":"Allow","Action":"*","Resource":"*"}]}`,
		`{"Version":"2012-10-17","Statement":[{"Effect":"Deny","\u0045ffect":"Allow","Action":"*","Resource":"*"}]}`,
		`{"Version":"2012-10-17","Version":"2008-10-17","Statement":[]}`,
	} {
		if _, err := Parse([]byte(doc)); err == nil || !strings.Contains(err.Error(), "duplicate key") {
			t.Errorf("Parse(%s) = %v, want a duplicate-key error", doc, err)
		}
	}
}
