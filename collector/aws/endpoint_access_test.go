package aws

import (
	"strings"
	"testing"

	"github.com/breachpath/breachpath/collector/aws/identity"
	"github.com/breachpath/breachpath/collector/aws/inventory"
	"github.com/breachpath/breachpath/collector/aws/resources"
	"github.com/breachpath/breachpath/graph"
)

// perimeterEstate is estate() with an endpoint of the service in vpc-1 (the
// web instance's VPC) whose security group admits the web tier on 443, and
// one data resource of that service; the role's inline policy is replaced.
func perimeterEstate(service, rolePolicy string, addResource func(r *inventory.RegionData, inv *inventory.Inventory)) *inventory.Inventory {
	inv := estate()
	inv.IAM.Roles[0].InlinePolicies = []inventory.InlinePolicy{{Name: "p", Document: rolePolicy}}
	r := inv.Region(region)
	r.SecurityGroups[0].Egress = []inventory.SGRule{{Protocol: "-1", FromPort: -1, ToPort: -1, CIDRs: []string{"0.0.0.0/0"}}}
	r.SecurityGroups = append(r.SecurityGroups, inventory.SecurityGroup{ID: "sg-vpce", Name: "vpce", VPCID: "vpc-1",
		Ingress: []inventory.SGRule{{Protocol: "tcp", FromPort: 443, ToPort: 443, GroupRefs: []inventory.SGRef{{GroupID: "sg-web"}}}}})
	ep := inventory.VPCEndpoint{ID: "vpce-1", VPCID: "vpc-1", ServiceName: "com.amazonaws." + region + "." + service, State: "available"}
	if service == "s3" || service == "dynamodb" {
		ep.Type, ep.RouteTableIDs = "Gateway", []string{"rtb-pub"}
	} else {
		ep.Type, ep.PrivateDNS, ep.SubnetIDs, ep.SecurityGroupIDs = "Interface", true, []string{"subnet-priv"}, []string{"sg-vpce"}
	}
	r.VPCEndpoints = []inventory.VPCEndpoint{ep}
	addResource(r, inv)
	return inv
}

const (
	secretARN = "arn:aws:secretsmanager:us-east-1:111122223333:secret:ledger-AbCdEf"
	queueARN  = "arn:aws:sqs:us-east-1:111122223333:orders"
	keyARN    = "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"
)

func policyDoc(stmts ...string) string {
	return `{"Version":"2012-10-17","Statement":[` + strings.Join(stmts, ",") + `]}`
}

func TestVPCSourceKeysAreDecidedByTheEndpointTheWorkloadUses(t *testing.T) {
	denyUnlessVpce := func(action string) string {
		return `{"Effect":"Deny","Principal":"*","Action":"` + action + `","Resource":"*","Condition":{"StringNotEquals":{"aws:SourceVpce":"vpce-1"}}}`
	}
	withSecret := func(policy string) func(*inventory.RegionData, *inventory.Inventory) {
		return func(r *inventory.RegionData, _ *inventory.Inventory) {
			r.Secrets = []inventory.Secret{{ARN: secretARN, Name: "ledger", Policy: policy}}
		}
	}
	tests := []struct {
		name       string
		service    string
		rolePolicy string
		add        func(*inventory.RegionData, *inventory.Inventory)
		tweak      func(*inventory.Inventory)
		target     string
		kind       graph.EdgeKind
		want       bool // workload -> resource through the endpoint
		wantCond   bool
	}{
		{name: "secret policy denying other endpoints: the instance reads through its endpoint", service: "secretsmanager",
			rolePolicy: policyDoc(`{"Effect":"Allow","Action":"secretsmanager:GetSecretValue","Resource":"*"}`),
			add:        withSecret(policyDoc(denyUnlessVpce("secretsmanager:GetSecretValue"))), target: secretARN, kind: graph.EdgeReads, want: true},
		{name: "endpoint without private DNS: only an attacker addressing it directly", service: "secretsmanager",
			rolePolicy: policyDoc(`{"Effect":"Allow","Action":"secretsmanager:GetSecretValue","Resource":"*"}`),
			add:        withSecret(policyDoc(denyUnlessVpce("secretsmanager:GetSecretValue"))),
			tweak:      func(inv *inventory.Inventory) { inv.Region(region).VPCEndpoints[0].PrivateDNS = false },
			target:     secretARN, kind: graph.EdgeReads, want: true, wantCond: true},
		{name: "endpoint security group not admitting the instance", service: "secretsmanager",
			rolePolicy: policyDoc(`{"Effect":"Allow","Action":"secretsmanager:GetSecretValue","Resource":"*"}`),
			add:        withSecret(policyDoc(denyUnlessVpce("secretsmanager:GetSecretValue"))),
			tweak:      func(inv *inventory.Inventory) { inv.Region(region).SecurityGroups[2].Ingress = nil },
			target:     secretARN, kind: graph.EdgeReads},
		{name: "endpoint policy allowing other actions only", service: "secretsmanager",
			rolePolicy: policyDoc(`{"Effect":"Allow","Action":"secretsmanager:GetSecretValue","Resource":"*"}`),
			add:        withSecret(policyDoc(denyUnlessVpce("secretsmanager:GetSecretValue"))),
			tweak: func(inv *inventory.Inventory) {
				inv.Region(region).VPCEndpoints[0].Policy = policyDoc(`{"Effect":"Allow","Principal":"*","Action":"secretsmanager:DescribeSecret","Resource":"*"}`)
			},
			target: secretARN, kind: graph.EdgeReads},
		{name: "perimeter naming another endpoint", service: "secretsmanager",
			rolePolicy: policyDoc(`{"Effect":"Allow","Action":"secretsmanager:GetSecretValue","Resource":"*"}`),
			add:        withSecret(policyDoc(`{"Effect":"Deny","Principal":"*","Action":"*","Resource":"*","Condition":{"StringNotEquals":{"aws:SourceVpce":"vpce-other"}}}`)),
			target:     secretARN, kind: graph.EdgeReads},
		{name: "queue policy granting the VPC, no identity grant needed", service: "sqs",
			rolePolicy: policyDoc(`{"Effect":"Allow","Action":"ec2:DescribeInstances","Resource":"*"}`),
			add: func(r *inventory.RegionData, _ *inventory.Inventory) {
				r.Queues = []inventory.Queue{{ARN: queueARN, Name: "orders", Policy: policyDoc(
					`{"Effect":"Allow","Principal":{"AWS":"` + roleARN + `"},"Action":"sqs:ReceiveMessage","Resource":"` + queueARN + `","Condition":{"StringEquals":{"aws:SourceVpc":"vpc-1"}}}`)}}
			},
			target: queueARN, kind: graph.EdgeReads, want: true},
		{name: "identity policy gated on aws:SourceVpc, default key policy", service: "kms",
			rolePolicy: policyDoc(`{"Effect":"Allow","Action":"kms:Decrypt","Resource":"*","Condition":{"StringEquals":{"aws:SourceVpc":"vpc-1"}}}`),
			add: func(r *inventory.RegionData, _ *inventory.Inventory) {
				r.KMSKeys = []inventory.KMSKey{{ID: "1234abcd-12ab-34cd-56ef-1234567890ab", ARN: keyARN, KeyManager: "CUSTOMER", KeyState: "Enabled", Enabled: true}}
			},
			target: keyARN, kind: graph.EdgeDecrypts, want: true},
		{name: "bucket policy denying requests outside the gateway endpoint", service: "s3",
			rolePolicy: readPayroll,
			add: func(_ *inventory.RegionData, inv *inventory.Inventory) {
				inv.S3[0].Policy = policyDoc(denyUnlessVpce("s3:*"))
			},
			target: bucketARN, kind: graph.EdgeReads, want: true},
		{name: "gateway endpoint not in the instance's route table", service: "s3",
			rolePolicy: readPayroll,
			add: func(_ *inventory.RegionData, inv *inventory.Inventory) {
				inv.S3[0].Policy = policyDoc(denyUnlessVpce("s3:*"))
			},
			tweak: func(inv *inventory.Inventory) {
				inv.Region(region).VPCEndpoints[0].RouteTableIDs = []string{"rtb-main"}
			},
			target: bucketARN, kind: graph.EdgeReads},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			inv := perimeterEstate(tc.service, tc.rolePolicy, tc.add)
			if tc.tweak != nil {
				tc.tweak(inv)
			}
			snap, _ := transform(t, inv)
			// From outside any endpoint the role's credentials never get there.
			for _, e := range edges(snap, roleARN, tc.kind, tc.target) {
				t.Errorf("role -> %s from outside: %+v", tc.target, e)
			}
			var got *graph.Edge
			for _, e := range edges(snap, webARN, tc.kind, tc.target) {
				if e.Technique == identity.TechEndpointAccess {
					got = &e
				}
			}
			if (got != nil) != tc.want {
				t.Fatalf("web -> %s through the endpoint = %+v, want %v", tc.target, got, tc.want)
			}
			if got == nil {
				return
			}
			checkThroughEndpoint(t, got, tc.wantCond)
			if inv.Region(region).VPCEndpoints[0].Policy == "" && len(got.Findings) != 1 {
				t.Errorf("findings %v: want the endpoint's default-policy finding (%s)", got.Findings, resources.RuleEndpointFullAccess)
			}
		})
	}
}

// checkThroughEndpoint checks an edge drawn from the web instance through vpce-1: its
// conditional flag, its via/role props and evidence naming the endpoint.
func checkThroughEndpoint(t *testing.T, got *graph.Edge, wantCond bool) {
	t.Helper()
	if got.Conditional != wantCond {
		t.Errorf("conditional = %v, want %v; evidence %v", got.Conditional, wantCond, got.Evidence)
	}
	via, _ := got.Props["via"].([]string)
	if len(via) != 1 || !strings.HasSuffix(via[0], "vpc-endpoint/vpce-1") || got.Props["role"] != roleARN {
		t.Errorf("props %v: want the endpoint and the role", got.Props)
	}
	if !strings.Contains(strings.Join(got.Evidence, "; "), "vpce-1") {
		t.Errorf("evidence does not name the endpoint: %v", got.Evidence)
	}
}
