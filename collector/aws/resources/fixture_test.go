package resources

import (
	"context"
	"slices"
	"testing"

	"github.com/breachpath/breachpath/collector/aws/inventory"
	"github.com/breachpath/breachpath/graph"
)

const (
	acct   = "111122223333"
	region = "us-east-1"
)

func arnOf(typ, id string) string { return "arn:aws:ec2:" + region + ":" + acct + ":" + typ + "/" + id }

var (
	webID     = arnOf("instance", "i-web")
	roleARN   = "arn:aws:iam::" + acct + ":role/app"
	profARN   = "arn:aws:iam::" + acct + ":instance-profile/app"
	dbARN     = "arn:aws:rds:" + region + ":" + acct + ":db:orders"
	bucketARN = "arn:aws:s3:::payroll"
)

// allowAllNACL is the default ACL AWS creates: allow everything both ways.
func allowAllNACL(id, vpc string, subnets ...string) inventory.NetworkACL {
	return inventory.NetworkACL{ID: id, VPCID: vpc, IsDefault: true, SubnetIDs: subnets, Entries: []inventory.ACLEntry{
		{RuleNumber: 100, Protocol: "-1", Allow: true, CIDR: "0.0.0.0/0"},
		{RuleNumber: 100, Protocol: "-1", Allow: true, CIDR: "0.0.0.0/0", Egress: true},
		{RuleNumber: 32767, Protocol: "-1", CIDR: "0.0.0.0/0"},
		{RuleNumber: 32767, Protocol: "-1", CIDR: "0.0.0.0/0", Egress: true},
	}}
}

// fixture is a small estate: a public subnet with a web instance (public IP,
// IMDSv1, instance profile, SG open on 22 and 443), a private subnet with a
// database admitting the web tier's group, and a restricted bucket.
func fixture() *inventory.Inventory {
	inv := &inventory.Inventory{AccountID: acct, Partition: "aws", Regions: []string{region}}
	inv.IAM.InstanceProfiles = []inventory.InstanceProfile{{ARN: profARN, Name: "app", Roles: []string{roleARN}}}
	r := inv.Region(region)
	r.VPCs = []inventory.VPC{{ID: "vpc-1", CIDRBlocks: []string{"10.0.0.0/16"}}}
	r.Subnets = []inventory.Subnet{
		{ID: "subnet-pub", VPCID: "vpc-1", CIDRBlock: "10.0.1.0/24"},
		{ID: "subnet-priv", VPCID: "vpc-1", CIDRBlock: "10.0.2.0/24"},
	}
	r.InternetGateways = []inventory.InternetGateway{{ID: "igw-1", VPCs: []string{"vpc-1"}}}
	r.RouteTables = []inventory.RouteTable{
		{ID: "rtb-main", VPCID: "vpc-1", Associations: []inventory.RouteTableAssociation{{Main: true}},
			Routes: []inventory.Route{{DestinationCIDR: "10.0.0.0/16", GatewayID: "local"}}},
		{ID: "rtb-pub", VPCID: "vpc-1", Associations: []inventory.RouteTableAssociation{{SubnetID: "subnet-pub"}},
			Routes: []inventory.Route{{DestinationCIDR: "10.0.0.0/16", GatewayID: "local"}, {DestinationCIDR: "0.0.0.0/0", GatewayID: "igw-1", State: "active"}}},
	}
	r.SecurityGroups = []inventory.SecurityGroup{
		{ID: "sg-web", Name: "web", VPCID: "vpc-1", Ingress: []inventory.SGRule{
			{Protocol: "tcp", FromPort: 22, ToPort: 22, CIDRs: []string{"0.0.0.0/0"}},
			{Protocol: "tcp", FromPort: 443, ToPort: 443, CIDRs: []string{"0.0.0.0/0"}},
		}, Egress: []inventory.SGRule{{Protocol: "-1", FromPort: -1, ToPort: -1, CIDRs: []string{"0.0.0.0/0"}}}},
		{ID: "sg-db", Name: "db", VPCID: "vpc-1", Ingress: []inventory.SGRule{
			{Protocol: "tcp", FromPort: 5432, ToPort: 5432, GroupRefs: []inventory.SGRef{{GroupID: "sg-web"}}},
		}, Egress: []inventory.SGRule{{Protocol: "-1", FromPort: -1, ToPort: -1, CIDRs: []string{"0.0.0.0/0"}}}},
	}
	r.NetworkACLs = []inventory.NetworkACL{allowAllNACL("acl-1", "vpc-1", "subnet-pub", "subnet-priv")}
	r.Instances = []inventory.Instance{{
		ID: "i-web", State: "running", PublicIP: "54.1.2.3", PrivateIP: "10.0.1.10", SubnetID: "subnet-pub", VPCID: "vpc-1",
		SecurityGroupIDs: []string{"sg-web"}, InstanceProfileARN: profARN, MetadataHTTPTokens: "optional", MetadataHTTPEndpoint: "enabled",
		Tags: inventory.Tags{"Name": "web-1"},
	}}
	r.DBInstances = []inventory.DBInstance{{
		ID: "orders", ARN: dbARN, Engine: "postgres", EndpointPort: 5432, VPCID: "vpc-1", SubnetIDs: []string{"subnet-priv"},
		SecurityGroupIDs: []string{"sg-db"}, StorageEncrypted: true, Tags: inventory.Tags{"data-classification": "confidential"},
	}}
	inv.S3 = []inventory.Bucket{{Name: "payroll", Region: region, Versioning: "Enabled",
		PublicAccessBlock: &inventory.PublicAccessBlock{BlockPublicACLs: true, IgnorePublicACLs: true, BlockPublicPolicy: true, RestrictPublicBuckets: true},
		Tags:              inventory.Tags{"data-classification": "restricted"}}}
	inv.S3AccountPublicAccessBlock = &inventory.PublicAccessBlock{BlockPublicACLs: true, IgnorePublicACLs: true, BlockPublicPolicy: true, RestrictPublicBuckets: true}
	return inv
}

func build(t *testing.T, inv *inventory.Inventory, opts Options) *Part {
	t.Helper()
	p, err := Build(context.Background(), inv, opts)
	if err != nil {
		t.Fatalf("Build: %v", err)
	}
	snap := graph.Snapshot{Scope: graph.Scope{Cloud: graph.CloudAWS, ID: acct}, Nodes: p.Nodes, Edges: p.Edges, Findings: p.Findings}
	if err := snap.Validate(); err != nil {
		t.Fatalf("part does not validate: %v", err)
	}
	return p
}

func findEdge(p *Part, from, kind, to string) *graph.Edge {
	for i := range p.Edges {
		e := &p.Edges[i]
		if e.From == from && string(e.Kind) == kind && e.To == to {
			return e
		}
	}
	return nil
}

func findNode(p *Part, id string) *graph.Node {
	for i := range p.Nodes {
		if p.Nodes[i].ID == id {
			return &p.Nodes[i]
		}
	}
	return nil
}

func hasFinding(p *Part, rule, resource string) bool {
	return slices.ContainsFunc(p.Findings, func(f graph.Finding) bool { return f.RuleID == rule && f.Resource == resource })
}

func ports(e *graph.Edge) []string {
	if e == nil {
		return nil
	}
	p, _ := e.Props["ports"].([]string)
	return p
}
