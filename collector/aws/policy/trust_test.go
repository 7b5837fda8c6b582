package policy

import "testing"

func TestCanAssume(t *testing.T) {
	roleARN := "arn:aws:iam::" + acct + ":role/target"
	trustUser := pol("trust", `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":{"AWS":"`+alice.ARN+`"},"Action":"sts:AssumeRole"}}`)
	trustAcct := pol("trust", `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::`+acct+`:root"},"Action":"sts:AssumeRole"}}`)
	trustOther := pol("trust", `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":{"AWS":"`+other+`"},"Action":"sts:AssumeRole","Condition":{"StringEquals":{"sts:ExternalId":"s3cr3t"}}}}`)
	trustSvc := pol("trust", `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole"}}`)
	canAssume := pol("id", allowDoc("sts:AssumeRole", roleARN))
	tests := []struct {
		name   string
		caller Principal
		set    PolicySet
		trust  *Policy
		ctx    map[string][]string
		want   Decision
	}{
		{"same-account trust naming the user needs no identity allow", alice, PolicySet{}, trustUser, nil, Allowed},
		{"trust naming the account needs the identity allow", alice, PolicySet{}, trustAcct, nil, ImplicitDeny},
		{"trust naming the account plus identity allow", alice, PolicySet{Identity: []*Policy{canAssume}}, trustAcct, nil, Allowed},
		{"identity allow without trust is denied", alice, PolicySet{Identity: []*Policy{canAssume}}, pol("trust", `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}}`), nil, ImplicitDeny},
		{"cross-account without external id is conditional", bob, PolicySet{Identity: []*Policy{canAssume}}, trustOther, nil, Conditional},
		{"cross-account with the external id", bob, PolicySet{Identity: []*Policy{canAssume}}, trustOther, map[string][]string{"sts:ExternalId": {"s3cr3t"}}, Allowed},
		{"cross-account with a wrong external id", bob, PolicySet{Identity: []*Policy{canAssume}}, trustOther, map[string][]string{"sts:ExternalId": {"nope"}}, ImplicitDeny},
		{"cross-account needs the caller identity allow", bob, PolicySet{}, trustOther, map[string][]string{"sts:ExternalId": {"s3cr3t"}}, ImplicitDeny},
		{"service principal", Principal{Type: TypeService, Name: "lambda.amazonaws.com", ARN: "lambda.amazonaws.com"}, PolicySet{}, trustSvc, nil, Allowed},
		{"other service principal", Principal{Type: TypeService, Name: "ec2.amazonaws.com", ARN: "ec2.amazonaws.com"}, PolicySet{}, trustSvc, nil, ImplicitDeny},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := CanAssume(tt.caller, tt.set, tt.trust, roleARN, tt.ctx)
			if r.Decision != tt.want {
				t.Fatalf("got %v (%v %+v), want %v", r.Decision, r.UnresolvedKeys, r.Reasons, tt.want)
			}
			if tt.want == Conditional && (len(r.UnresolvedKeys) != 1 || r.UnresolvedKeys[0] != "sts:externalid") {
				t.Fatalf("unresolved = %v, want sts:externalid", r.UnresolvedKeys)
			}
		})
	}
}
