package aws

import (
	"strings"
	"testing"

	"github.com/breachpath/breachpath/collector/aws/identity"
	"github.com/breachpath/breachpath/collector/aws/inventory"
	"github.com/breachpath/breachpath/graph"
)

const deployerARN = "arn:aws:iam::111122223333:role/deployer"

// trustEstate is perimeterEstate with an STS interface endpoint (vpce-1, private DNS, admitting
// the web tier on 443) and a role "deployer" whose trust policy is trustDoc; the web instance
// runs as roleARN, which may call sts:AssumeRole on anything.
func trustEstate(trustDoc string) *inventory.Inventory {
	inv := perimeterEstate("sts", policyDoc(`{"Effect":"Allow","Action":"sts:AssumeRole","Resource":"*"}`), func(*inventory.RegionData, *inventory.Inventory) {})
	inv.IAM.Roles = append(inv.IAM.Roles, inventory.Role{ARN: deployerARN, Name: "deployer", Path: "/", TrustPolicy: trustDoc,
		InlinePolicies: []inventory.InlinePolicy{{Name: "read-payroll", Document: readPayroll}}})
	return inv
}

func TestTrustPolicyVPCSourceKeysAreDecidedByTheSTSEndpoint(t *testing.T) {
	trustOn := func(cond string) string {
		return policyDoc(`{"Effect":"Allow","Principal":{"AWS":"` + roleARN + `"},"Action":"sts:AssumeRole"` + cond + `}`)
	}
	onVpce := trustOn(`,"Condition":{"StringEquals":{"aws:SourceVpce":"vpce-1"}}`)
	tests := []struct {
		name        string
		trust       string
		tweak       func(*inventory.Inventory)
		wantOutside bool // role -> deployer, from anywhere
		wantVia     bool // web -> deployer through the STS endpoint
		wantCond    bool
	}{
		{name: "trust gated on the endpoint: the instance assumes through it, the role's key elsewhere does not", trust: onVpce, wantVia: true},
		{name: "trust gated on the VPC", trust: trustOn(`,"Condition":{"StringEquals":{"aws:SourceVpc":"vpc-1"}}`), wantVia: true},
		{name: "trust gated on the VPC ARN", trust: trustOn(`,"Condition":{"ArnEquals":{"aws:SourceVpcArn":"arn:aws:ec2:us-east-1:111122223333:vpc/vpc-1"}}`), wantVia: true},
		{name: "trust gated on the instance's private address", trust: trustOn(`,"Condition":{"IpAddress":{"aws:VpcSourceIp":"10.0.1.0/24"}}`), wantVia: true},
		{name: "trust gated on another endpoint", trust: trustOn(`,"Condition":{"StringEquals":{"aws:SourceVpce":"vpce-other"}}`)},
		{name: "endpoint without private DNS: only an attacker addressing it directly", trust: onVpce,
			tweak:   func(inv *inventory.Inventory) { inv.Region(region).VPCEndpoints[0].PrivateDNS = false },
			wantVia: true, wantCond: true},
		{name: "endpoint security group not admitting the instance", trust: onVpce,
			tweak: func(inv *inventory.Inventory) { inv.Region(region).SecurityGroups[2].Ingress = nil }},
		{name: "endpoint policy not allowing sts:AssumeRole", trust: onVpce,
			tweak: func(inv *inventory.Inventory) {
				inv.Region(region).VPCEndpoints[0].Policy = policyDoc(`{"Effect":"Allow","Principal":"*","Action":"sts:GetCallerIdentity","Resource":"*"}`)
			}},
		{name: "endpoint is for another service", trust: onVpce,
			tweak: func(inv *inventory.Inventory) {
				inv.Region(region).VPCEndpoints[0].ServiceName = "com.amazonaws." + region + ".secretsmanager"
			}},
		{name: "trust denying requests outside the endpoint", trust: policyDoc(
			`{"Effect":"Allow","Principal":{"AWS":"`+roleARN+`"},"Action":"sts:AssumeRole"}`,
			`{"Effect":"Deny","Principal":"*","Action":"sts:AssumeRole","Condition":{"StringNotEquals":{"aws:SourceVpce":"vpce-1"}}}`), wantVia: true},
		{name: "trust without a network condition: an ordinary edge from the role", trust: trustOn(""), wantOutside: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			inv := trustEstate(tc.trust)
			if tc.tweak != nil {
				tc.tweak(inv)
			}
			snap, _ := transform(t, inv)
			outside := edges(snap, roleARN, graph.EdgeAssumes, deployerARN)
			if (len(outside) > 0) != tc.wantOutside {
				t.Errorf("role -> deployer from outside = %+v, want %v", outside, tc.wantOutside)
			}
			for _, e := range outside {
				if e.Conditional {
					t.Errorf("role -> deployer is conditional: the VPC keys are absent outside an endpoint: %v", e.Evidence)
				}
			}
			var got *graph.Edge
			for _, e := range edges(snap, webARN, graph.EdgeAssumes, deployerARN) {
				if e.Technique == identity.TechAssumeRoleViaEndpoint {
					got = &e
				}
			}
			if (got != nil) != tc.wantVia {
				t.Fatalf("web -> deployer through the endpoint = %+v, want %v", got, tc.wantVia)
			}
			if got == nil {
				return
			}
			checkThroughEndpoint(t, got, tc.wantCond)
			// The route continues: the deployer reads the bucket.
			if len(edges(snap, deployerARN, graph.EdgeReads, bucketARN)) == 0 {
				t.Errorf("deployer -> payroll missing")
			}
		})
	}
}

// TestEscalationVPCSourceKeysFailOutsideAnEndpoint: the policies deciding escalation moves are
// evaluated for a caller outside any VPC endpoint, so a grant on aws:SourceVpc is no move and a
// Deny unless aws:SourceVpce matches applies, instead of both leaving the move "conditional".
func TestEscalationVPCSourceKeysFailOutsideAnEndpoint(t *testing.T) {
	const devARN = "arn:aws:iam::111122223333:user/dev"
	attachSelf := `{"Effect":"Allow","Action":"iam:AttachUserPolicy","Resource":"` + devARN + `"`
	tests := []struct {
		name   string
		policy string
		want   bool
	}{
		{"unconditional attach to itself escalates", policyDoc(attachSelf + `}`), true},
		{"attach allowed only from the VPC", policyDoc(attachSelf + `,"Condition":{"StringEquals":{"aws:SourceVpc":"vpc-1"}}}`), false},
		{"attach allowed only from an address inside the VPC", policyDoc(attachSelf + `,"Condition":{"IpAddress":{"aws:VpcSourceIp":"10.0.0.0/8"}}}`), false},
		{"attach denied unless through the endpoint", policyDoc(attachSelf+`}`,
			`{"Effect":"Deny","Action":"*","Resource":"*","Condition":{"StringNotEquals":{"aws:SourceVpce":"vpce-1"}}}`), false},
		{"deny on another key leaves it conditional", policyDoc(attachSelf+`}`,
			`{"Effect":"Deny","Action":"*","Resource":"*","Condition":{"Bool":{"aws:MultiFactorAuthPresent":"false"}}}`), true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			inv := estate()
			inv.IAM.Users = []inventory.User{{ARN: devARN, Name: "dev", Path: "/", InlinePolicies: []inventory.InlinePolicy{{Name: "p", Document: tc.policy}}}}
			snap, _ := transform(t, inv)
			var got []graph.Edge
			for _, e := range snap.Edges {
				if e.From == devARN && e.Kind == graph.EdgeEscalatesTo {
					got = append(got, e)
					if ev := strings.ToLower(strings.Join(e.Evidence, " ")); strings.Contains(ev, "sourcevpc") || strings.Contains(ev, "vpcsourceip") {
						t.Errorf("edge still cites a VPC key: %v", e.Evidence)
					}
				}
			}
			if (len(got) > 0) != tc.want {
				t.Fatalf("dev escalation edges = %+v, want %v", got, tc.want)
			}
		})
	}
}

// TestEscalationThroughTheIAMEndpointIsDrawnFromTheWorkload: a role allowed to attach policies to
// itself only through the VPC's IAM endpoint (com.amazonaws.iam) escalates from the instance whose
// IAM requests pass that endpoint, never from its credentials used elsewhere.
func TestEscalationThroughTheIAMEndpointIsDrawnFromTheWorkload(t *testing.T) {
	admin := identity.AccountAdminID("aws", acct)
	attachSelf := func(cond string) string {
		return policyDoc(`{"Effect":"Allow","Action":"iam:AttachRolePolicy","Resource":"` + roleARN + `"` + cond + `}`)
	}
	onVpce := attachSelf(`,"Condition":{"StringEquals":{"aws:SourceVpce":"vpce-1"}}`)
	iamEndpoint := func(inv *inventory.Inventory) { inv.Region(region).VPCEndpoints[0].ServiceName = "com.amazonaws.iam" }
	tests := []struct {
		name     string
		policy   string
		tweak    func(*inventory.Inventory)
		want     bool
		wantCond bool
	}{
		{name: "attach allowed only through the IAM endpoint", policy: onVpce, want: true},
		{name: "attach allowed only from the VPC", policy: attachSelf(`,"Condition":{"StringEquals":{"aws:SourceVpc":"vpc-1"}}`), want: true},
		{name: "attach allowed only through another endpoint", policy: attachSelf(`,"Condition":{"StringEquals":{"aws:SourceVpce":"vpce-other"}}`)},
		{name: "the endpoint is STS's, not IAM's", policy: onVpce,
			tweak: func(inv *inventory.Inventory) {
				inv.Region(region).VPCEndpoints[0].ServiceName = "com.amazonaws." + region + ".sts"
			}},
		{name: "endpoint policy not passing iam:AttachRolePolicy", policy: onVpce,
			tweak: func(inv *inventory.Inventory) {
				iamEndpoint(inv)
				inv.Region(region).VPCEndpoints[0].Policy = policyDoc(`{"Effect":"Allow","Principal":"*","Action":"iam:Get*","Resource":"*"}`)
			}},
		{name: "endpoint without private DNS", policy: onVpce,
			tweak: func(inv *inventory.Inventory) {
				iamEndpoint(inv)
				inv.Region(region).VPCEndpoints[0].PrivateDNS = false
			}, want: true, wantCond: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			inv := perimeterEstate("iam", tc.policy, func(*inventory.RegionData, *inventory.Inventory) {})
			iamEndpoint(inv)
			if tc.tweak != nil {
				tc.tweak(inv)
			}
			snap, _ := transform(t, inv)
			if got := edges(snap, roleARN, graph.EdgeEscalatesTo, admin); len(got) > 0 {
				t.Errorf("role -> admin from outside: %+v", got)
			}
			var got *graph.Edge
			for _, e := range edges(snap, webARN, graph.EdgeEscalatesTo, admin) {
				got = &e
			}
			if (got != nil) != tc.want {
				t.Fatalf("web -> admin through the IAM endpoint = %+v, want %v", got, tc.want)
			}
			if got != nil {
				checkThroughEndpoint(t, got, tc.wantCond)
			}
		})
	}
}
