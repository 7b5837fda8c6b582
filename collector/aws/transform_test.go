package aws

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/breachpath/breachpath/collector/aws/fetch"
	"github.com/breachpath/breachpath/collector/aws/identity"
	"github.com/breachpath/breachpath/collector/aws/inventory"
	"github.com/breachpath/breachpath/collector/aws/resources"
	"github.com/breachpath/breachpath/graph"
	"github.com/breachpath/breachpath/graph/embedded"
	"github.com/breachpath/breachpath/graph/entitlement"
	"github.com/breachpath/breachpath/paths"
)

const (
	acct   = "111122223333"
	region = "us-east-1"
)

var (
	webARN    = "arn:aws:ec2:us-east-1:111122223333:instance/i-web"
	decoyARN  = "arn:aws:ec2:us-east-1:111122223333:instance/i-decoy"
	roleARN   = "arn:aws:iam::111122223333:role/app"
	profARN   = "arn:aws:iam::111122223333:instance-profile/app"
	bucketARN = "arn:aws:s3:::payroll"
)

const trustEC2 = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}`
const readPayroll = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::payroll/*"}]}`

// estate is the scenario of the end-to-end test, as an inventory: a public
// web instance with IMDSv1 whose role reads a restricted bucket, a decoy
// public instance without a role, and a private database.
func estate() *inventory.Inventory {
	inv := &inventory.Inventory{AccountID: acct, Partition: "aws", Regions: []string{region}}
	inv.IAM.Roles = []inventory.Role{{ARN: roleARN, Name: "app", Path: "/", TrustPolicy: trustEC2, InstanceProfiles: []string{profARN},
		InlinePolicies: []inventory.InlinePolicy{{Name: "read-payroll", Document: readPayroll}}}}
	inv.IAM.InstanceProfiles = []inventory.InstanceProfile{{ARN: profARN, Name: "app", Roles: []string{roleARN}}}
	r := inv.Region(region)
	r.VPCs = []inventory.VPC{{ID: "vpc-1", CIDRBlocks: []string{"10.0.0.0/16"}}}
	r.Subnets = []inventory.Subnet{{ID: "subnet-pub", VPCID: "vpc-1", CIDRBlock: "10.0.1.0/24"}, {ID: "subnet-priv", VPCID: "vpc-1", CIDRBlock: "10.0.2.0/24"}}
	r.InternetGateways = []inventory.InternetGateway{{ID: "igw-1", VPCs: []string{"vpc-1"}}}
	r.RouteTables = []inventory.RouteTable{
		{ID: "rtb-main", VPCID: "vpc-1", Associations: []inventory.RouteTableAssociation{{Main: true}}},
		{ID: "rtb-pub", VPCID: "vpc-1", Associations: []inventory.RouteTableAssociation{{SubnetID: "subnet-pub"}},
			Routes: []inventory.Route{{DestinationCIDR: "0.0.0.0/0", GatewayID: "igw-1"}}},
	}
	r.SecurityGroups = []inventory.SecurityGroup{{ID: "sg-web", Name: "web", VPCID: "vpc-1", Ingress: []inventory.SGRule{
		{Protocol: "tcp", FromPort: 22, ToPort: 22, CIDRs: []string{"0.0.0.0/0"}},
		{Protocol: "tcp", FromPort: 443, ToPort: 443, CIDRs: []string{"0.0.0.0/0"}},
	}}, {ID: "sg-db", Name: "db", VPCID: "vpc-1"}}
	r.Instances = []inventory.Instance{
		{ID: "i-web", State: "running", PublicIP: "54.0.0.1", PrivateIP: "10.0.1.10", SubnetID: "subnet-pub", VPCID: "vpc-1",
			SecurityGroupIDs: []string{"sg-web"}, InstanceProfileARN: profARN, MetadataHTTPTokens: "optional"},
		{ID: "i-decoy", State: "running", PublicIP: "54.0.0.2", PrivateIP: "10.0.1.11", SubnetID: "subnet-pub", VPCID: "vpc-1",
			SecurityGroupIDs: []string{"sg-web"}, MetadataHTTPTokens: "optional"},
	}
	r.DBInstances = []inventory.DBInstance{{ID: "orders", ARN: "arn:aws:rds:us-east-1:111122223333:db:orders", Engine: "postgres",
		EndpointPort: 5432, VPCID: "vpc-1", SubnetIDs: []string{"subnet-priv"}, SecurityGroupIDs: []string{"sg-db"}, StorageEncrypted: true}}
	inv.S3 = []inventory.Bucket{{Name: "payroll", Region: region, Versioning: "Enabled", Tags: inventory.Tags{"data-classification": "restricted"},
		PublicAccessBlock: &inventory.PublicAccessBlock{BlockPublicACLs: true, IgnorePublicACLs: true, BlockPublicPolicy: true, RestrictPublicBuckets: true}}}
	inv.Coverage.Read = []graph.Area{{Service: "iam"}, {Service: "s3"}, {Service: "ec2", Region: region}, {Service: "rds", Region: region}}
	return inv
}

func transform(t *testing.T, inv *inventory.Inventory) (*graph.Snapshot, *TransformResult) {
	t.Helper()
	snap, tr, err := TransformDetailed(context.Background(), inv, TransformOptions{})
	if err != nil {
		t.Fatalf("Transform: %v", err)
	}
	return snap, tr
}

func node(s *graph.Snapshot, id string) *graph.Node {
	for i := range s.Nodes {
		if s.Nodes[i].ID == id {
			return &s.Nodes[i]
		}
	}
	return nil
}

func edges(s *graph.Snapshot, from string, kind graph.EdgeKind, to string) []graph.Edge {
	var out []graph.Edge
	for _, e := range s.Edges {
		if e.From == from && e.Kind == kind && e.To == to {
			out = append(out, e)
		}
	}
	return out
}

func TestAnonymousIDIsSharedByBothParts(t *testing.T) {
	if resources.AnonymousID != identity.AnonymousID {
		t.Fatalf("resources.AnonymousID %q != identity.AnonymousID %q", resources.AnonymousID, identity.AnonymousID)
	}
}

func TestTransformMergesPartsIntoOneValidSnapshot(t *testing.T) {
	inv := estate()
	inv.Coverage.Failed = []graph.Failure{{Area: graph.Area{Service: "lambda", Region: region}, Error: "AccessDenied"}}
	snap, tr := transform(t, inv)
	if snap.Scope != (graph.Scope{Cloud: graph.CloudAWS, ID: acct}) || snap.Collector != "aws" {
		t.Errorf("scope %v collector %q", snap.Scope, snap.Collector)
	}
	if !snap.Coverage.FailedFor("lambda", region) || len(snap.Coverage.Read) != 4 {
		t.Errorf("coverage not copied: %+v", snap.Coverage)
	}
	if n := node(snap, roleARN); n == nil || n.Stub {
		t.Fatalf("role should be the identity part's owned node, got %+v", n)
	}
	if n := node(snap, graph.InternetID); n == nil || n.Kind != graph.KindInternet {
		t.Fatal("no Internet node although there are exposure edges")
	}
	if len(edges(snap, graph.InternetID, graph.EdgeExposedTo, webARN)) != 1 {
		t.Error("web instance not exposed")
	}
	if len(edges(snap, webARN, graph.EdgeUsesIdentity, roleARN)) != 1 {
		t.Error("no instance -> role move")
	}
	if len(edges(snap, roleARN, graph.EdgeReads, bucketARN)) == 0 {
		t.Error("identity part's role -> bucket READS missing")
	}
	if tr.DroppedEdges != 0 {
		t.Errorf("%d edges dropped: %v", tr.DroppedEdges, tr.Warnings)
	}
}

func TestPathEngineFindsInternetToBucketAndNotTheDecoy(t *testing.T) {
	snap, _ := transform(t, estate())
	g := graph.Assemble(snap.Nodes, snap.Edges, snap.Findings)
	res, err := paths.Search(context.Background(), g, paths.Options{})
	if err != nil {
		t.Fatal(err)
	}
	assertScenarioPaths(t, res)
}

// assertScenarioPaths checks the search result of the estate scenario.
func assertScenarioPaths(t *testing.T, res *paths.Result) {
	t.Helper()
	found := false
	for _, p := range res.Paths {
		var nodes []string
		nodes = append(nodes, p.Source)
		for _, h := range p.Hops {
			nodes = append(nodes, h.To)
			if h.From == decoyARN || h.To == decoyARN {
				t.Errorf("decoy on a path: %s", p.Explain())
			}
		}
		if slices.Equal(nodes, []string{graph.InternetID, webARN, roleARN, bucketARN}) {
			found = true
			if !slices.Contains(p.Findings(), graph.FindingID(resources.RuleIMDSv1, webARN)) {
				t.Errorf("path does not cite the IMDSv1 finding: %v", p.Findings())
			}
		}
	}
	if !found {
		var got []string
		for _, p := range res.Paths {
			got = append(got, p.Explain())
		}
		t.Fatalf("no path internet -> instance -> role -> bucket; paths:\n%s", strings.Join(got, "\n"))
	}
}

func TestPublicBucketGetsOneMergedAnonymousMove(t *testing.T) {
	inv := estate()
	inv.S3[0].PublicAccessBlock = nil
	inv.S3[0].Policy = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::payroll/*"}]}`
	inv.S3[0].ACL = []inventory.Grant{{GranteeType: "Group", GranteeURI: "http://acs.amazonaws.com/groups/global/AllUsers", Permission: "READ"}}
	snap, _ := transform(t, inv)
	reads := edges(snap, identity.AnonymousID, graph.EdgeReads, bucketARN)
	techniques := map[string]int{}
	for _, e := range reads {
		techniques[e.Technique]++
	}
	for tech, n := range techniques {
		if n != 1 {
			t.Errorf("%d anonymous READS edges with technique %s", n, tech)
		}
	}
	if len(techniques) != 2 {
		t.Errorf("want one policy and one ACL move, got %v", techniques)
	}
	for _, e := range reads {
		if !slices.Contains(e.Findings, graph.FindingID(resources.RuleS3PublicRead, bucketARN)) {
			t.Errorf("%s move does not cite the S3.2 finding: %v", e.Technique, e.Findings)
		}
	}
}

func TestFailedIAMDropsRoleStubsSoTheStoreKeepsTheOwnedNodes(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	st, err := embedded.Open(ctx, filepath.Join(dir, "bp.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	first, _ := transform(t, estate())
	if _, err := st.Sync(ctx, first); err != nil {
		t.Fatal(err)
	}

	inv := estate()
	inv.IAM = inventory.IAMData{}
	inv.IAM.InstanceProfiles = nil
	inv.Coverage.Read = slices.DeleteFunc(inv.Coverage.Read, func(a graph.Area) bool { return a.Service == "iam" })
	inv.Coverage.Failed = []graph.Failure{{Area: graph.Area{Service: "iam"}, Error: "Throttling"}}
	second, tr := transform(t, inv)
	if n := node(second, profARN); n != nil {
		t.Errorf("instance-profile stub kept although IAM failed: %+v", n)
	}
	if tr.DroppedStubs == 0 {
		t.Error("no stub dropped")
	}
	res, err := st.Sync(ctx, second)
	if err != nil {
		t.Fatal(err)
	}
	g, err := st.Load(ctx, graph.Filter{})
	if err != nil {
		t.Fatal(err)
	}
	role := g.Node(roleARN)
	if role == nil || role.Stub || !role.Stale {
		t.Fatalf("role after a failed IAM read = %+v, want the owned node kept stale", role)
	}
	if res.Stale.Nodes == 0 {
		t.Errorf("sync result reports no stale nodes: %+v", res)
	}
	kept := false
	for _, e := range g.Edges {
		if e.From == webARN && e.Kind == graph.EdgeUsesIdentity && e.To == roleARN {
			kept = e.Stale
		}
	}
	if !kept {
		t.Error("instance -> role move lost instead of kept stale")
	}
}

func TestAuthDetailsImportNeverDeletesOtherAreas(t *testing.T) {
	ctx := context.Background()
	st, err := embedded.Open(ctx, filepath.Join(t.TempDir(), "bp.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	live, _ := transform(t, estate())
	if _, err := st.Sync(ctx, live); err != nil {
		t.Fatal(err)
	}
	snap, run, err := FromAuthDetailsFile(ctx, filepath.Join("authdetails", "testdata", "authdetails.json"), TransformOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if snap.Scope.ID != acct || snap.Collector != "aws-file" {
		t.Fatalf("scope %v collector %q", snap.Scope, snap.Collector)
	}
	if len(snap.Coverage.Read) != 1 || snap.Coverage.Read[0].Service != "iam" {
		t.Errorf("coverage read = %+v, want only iam", snap.Coverage.Read)
	}
	for _, svc := range []string{"ec2", "s3", "rds", "lambda", "org"} {
		if !snap.Coverage.FailedFor(svc, region) {
			t.Errorf("import coverage does not protect %s", svc)
		}
	}
	if snap.Coverage.FailedFor("iam", "") {
		t.Error("import coverage marks iam failed")
	}
	if len(RealFailures(run.Failed)) != 0 {
		t.Errorf("import reports real failures: %v", run.Failed)
	}
	if _, err := st.Sync(ctx, snap); err != nil {
		t.Fatal(err)
	}
	g, err := st.Load(ctx, graph.Filter{})
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{webARN, bucketARN, "arn:aws:rds:us-east-1:111122223333:db:orders"} {
		n := g.Node(id)
		if n == nil || !n.Stale {
			t.Errorf("%s after an IAM import = %+v, want kept and stale", id, n)
		}
	}
}

func TestFromAuthDetailsRejectsBadFiles(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.json")
	if err := os.WriteFile(bad, []byte(`{"UserDetailList": [`), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{bad, filepath.Join(dir, "missing.json")} {
		_, _, err := FromAuthDetailsFile(context.Background(), p, TransformOptions{})
		if err == nil || strings.Contains(err.Error(), "\n") {
			t.Errorf("%s: err = %v, want a one-line error", p, err)
		}
	}
}

// TestEveryNodeCarriesACollectorArea guards the stale rule: the store keeps
// a node whose area failed only if the node's Service names that area
// exactly as fetch records it in the coverage.
func TestEveryNodeCarriesACollectorArea(t *testing.T) {
	inv := estate()
	r := inv.Regional[region]
	p := "arn:aws:"
	r.LoadBalancers = []inventory.LoadBalancer{{ARN: p + "elasticloadbalancing:us-east-1:111122223333:loadbalancer/app/lb/1", Name: "lb", Type: "application", Scheme: "internet-facing"}}
	r.Functions = []inventory.LambdaFunction{{Name: "fn", ARN: p + "lambda:us-east-1:111122223333:function:fn", Role: roleARN,
		FunctionURLs: []inventory.FunctionURL{{URL: "https://x.lambda-url.us-east-1.on.aws/", AuthType: "NONE"}}}}
	r.EKSClusters = []inventory.EKSCluster{{Name: "k", ARN: p + "eks:us-east-1:111122223333:cluster/k", RoleARN: roleARN,
		Kubernetes: &inventory.KubeState{Pods: []inventory.KubePod{{Namespace: "apps", Name: "web", NodeName: "n1"}},
			Nodes: []inventory.KubeNode{{Name: "n1", InstanceID: "i-web"}}}}}
	r.TaskDefinitions = []inventory.TaskDefinition{{ARN: p + "ecs:us-east-1:111122223333:task-definition/t:1", Family: "t", Revision: 1, TaskRoleARN: roleARN}}
	r.KMSKeys = []inventory.KMSKey{{ID: "k1", ARN: p + "kms:us-east-1:111122223333:key/k1"}}
	r.Secrets = []inventory.Secret{{Name: "s", ARN: p + "secretsmanager:us-east-1:111122223333:secret:s-AbCdEf"}}
	r.Queues = []inventory.Queue{{Name: "q", ARN: p + "sqs:us-east-1:111122223333:q"}}
	r.Topics = []inventory.Topic{{Name: "t", ARN: p + "sns:us-east-1:111122223333:t"}}
	r.Repositories = []inventory.Repository{{Name: "r", ARN: p + "ecr:us-east-1:111122223333:repository/r"}}
	r.Tables = []inventory.DynamoDBTable{{Name: "d", ARN: p + "dynamodb:us-east-1:111122223333:table/d"}}
	r.Snapshots = []inventory.EBSSnapshot{{ID: "snap-1"}}
	r.Images = []inventory.AMI{{ID: "ami-1"}}
	r.DBSnapshots = []inventory.DBSnapshot{{ID: "s1", ARN: p + "rds:us-east-1:111122223333:snapshot:s1", Source: "orders"}}
	r.ElasticIPs = []inventory.ElasticIP{{AllocationID: "eipalloc-1", PublicIP: "3.3.3.3", InstanceID: "i-web"}}
	r.FileSystems = []inventory.FileSystem{{ID: "fs-1", ARN: p + "elasticfilesystem:us-east-1:111122223333:file-system/fs-1"}}
	snap, _ := transform(t, inv)
	// EKS workloads carry the area their Kubernetes read fails as.
	if resources.ServiceEKSKubernetes != fetch.AreaEKSKubernetes {
		t.Fatalf("workloads carry %q, the collector records %q", resources.ServiceEKSKubernetes, fetch.AreaEKSKubernetes)
	}
	known := map[string]bool{resources.ServiceAccount: true, fetch.AreaEKSKubernetes: true}
	for _, s := range append(slices.Clone(fetch.GlobalServices), fetch.RegionalServices...) {
		known[s] = true
	}
	workloads := 0
	for _, n := range snap.Nodes {
		if n.NativeType == "AWS::EKS::Workload" {
			workloads++
		}
		if n.Kind == graph.KindInternet || n.ID == identity.AnonymousID {
			continue
		}
		if !known[n.Service] {
			t.Errorf("node %s (%s) has service %q, which no collector area is called", n.ID, n.Kind, n.Service)
		}
		if n.Cloud != graph.CloudAWS {
			t.Errorf("node %s has cloud %q", n.ID, n.Cloud)
		}
	}
	if workloads != 1 {
		t.Errorf("%d EKS workload nodes, want 1", workloads)
	}
}

func TestMergeKeepsOwnedNodesAndUnitesEdges(t *testing.T) {
	cov := graph.Coverage{Failed: []graph.Failure{{Area: graph.Area{Service: "iam"}, Error: "AccessDenied"}}}
	out := &TransformResult{}
	nodes, dropped := mergeNodes([]graph.Node{
		{ID: "a", Kind: graph.KindCompute, Service: "ec2"},
		{ID: "b", Kind: graph.KindBucket, Service: "s3", Stub: true},
		{ID: "b", Kind: graph.KindBucket, Service: "s3", Sensitivity: graph.SensitivityRestricted},
		{ID: "r", Kind: graph.KindRole, Service: "iam", Stub: true},
	}, &cov, out)
	if len(nodes) != 2 || nodes[1].ID != "b" || nodes[1].Stub || nodes[1].Sensitivity != graph.SensitivityRestricted {
		t.Fatalf("nodes = %+v", nodes)
	}
	if !dropped["r"] || out.DroppedStubs != 1 {
		t.Fatalf("stub of the failed iam area not dropped: %v", dropped)
	}
	present := map[string]bool{"a": true, "b": true}
	edges := mergeEdges([]graph.Edge{
		{From: "a", To: "b", Kind: graph.EdgeReads, Technique: "t", Evidence: []string{"x"}, Findings: []string{"f1"}, Props: graph.Props{"ports": []string{"22/tcp"}}},
		{From: "a", To: "b", Kind: graph.EdgeReads, Technique: "t", Evidence: []string{"y"}, Findings: []string{"f2"}, Likelihood: 0.5, Conditional: true, Props: graph.Props{"ports": []string{"443/tcp"}}},
		{From: "a", To: "r", Kind: graph.EdgeUsesIdentity, Technique: "u"},
		{From: "a", To: "gone", Kind: graph.EdgeReaches, Technique: "v"},
	}, present, dropped, out)
	if len(edges) != 1 {
		t.Fatalf("edges = %+v", edges)
	}
	e := edges[0]
	if !slices.Equal(e.Evidence, []string{"x", "y"}) || !slices.Equal(e.Findings, []string{"f1", "f2"}) || e.Likelihood != 0.5 || e.Conditional {
		t.Errorf("merged edge = %+v", e)
	}
	if p, _ := e.Props["ports"].([]string); !slices.Equal(p, []string{"22/tcp", "443/tcp"}) {
		t.Errorf("ports = %v", p)
	}
	if out.DroppedEdges != 1 {
		t.Errorf("DroppedEdges = %d, want 1 (the edge to a dropped stub is expected, not counted)", out.DroppedEdges)
	}
}

func TestTransformStopsOnCancelledContext(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := Transform(ctx, estate(), TransformOptions{}); err == nil {
		t.Fatal("cancelled transform returned a snapshot")
	}
	if _, err := Transform(context.Background(), nil, TransformOptions{}); err == nil {
		t.Fatal("nil inventory accepted")
	}
}

func TestSharedStubSurvivesWhenOnePartsAreaFailed(t *testing.T) {
	cov := graph.Coverage{Failed: []graph.Failure{{Area: graph.Area{Service: "iam"}, Error: "AccessDenied"}}}
	for _, order := range [][]graph.Node{
		{{ID: "aws:anonymous", Kind: graph.KindExternalPrincipal, Service: "iam", Stub: true}, {ID: "aws:anonymous", Kind: graph.KindExternalPrincipal, Stub: true}},
		{{ID: "aws:anonymous", Kind: graph.KindExternalPrincipal, Stub: true}, {ID: "aws:anonymous", Kind: graph.KindExternalPrincipal, Service: "iam", Stub: true}},
	} {
		nodes, dropped := mergeNodes(order, &cov, &TransformResult{})
		if len(nodes) != 1 || len(dropped) != 0 {
			t.Errorf("anonymous stub lost: nodes %+v dropped %v", nodes, dropped)
		}
	}
}

// The stored graph no longer has the policy documents, so the transform is
// where the CIEM entitlements (and usage, when it was read) must be recorded
// on the principal nodes; usage absent from the inventory stays absent,
// because a missing property means unknown, never unused.
func TestTransformAnnotatesPrincipalsWithCIEMEntitlements(t *testing.T) {
	used := time.Date(2026, 5, 1, 0, 0, 0, 0, time.UTC)
	tests := []struct {
		name      string
		usage     map[string][]inventory.ServiceLastAccessed
		wantUsage bool
	}{
		{name: "usage not read stays unknown"},
		{name: "usage read is recorded", usage: map[string][]inventory.ServiceLastAccessed{
			roleARN: {{Namespace: "s3", LastAuthenticated: used}},
		}, wantUsage: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			inv := estate()
			inv.CollectedAt = used.Add(24 * time.Hour)
			inv.IAM.LastAccessed = tc.usage
			snap, _ := transform(t, inv)
			role := node(snap, roleARN)
			if role == nil {
				t.Fatal("role node missing")
			}
			ent, err := entitlement.Decode(role)
			if err != nil || ent == nil {
				t.Fatalf("entitlements = %v, %v; want decoded", ent, err)
			}
			i := slices.IndexFunc(ent.Services, func(s entitlement.ServiceEntitlement) bool { return s.Service == "s3" })
			if i < 0 || ent.Services[i].Total != 1 {
				t.Errorf("s3 entitlement = %+v, want the one allowed action (s3:GetObject)", ent.Services)
			}
			u, err := entitlement.DecodeUsage(role)
			if err != nil {
				t.Fatal(err)
			}
			if (u != nil) != tc.wantUsage {
				t.Errorf("usage = %+v, want present %v", u, tc.wantUsage)
			}
			for _, n := range snap.Nodes {
				if _, ok := n.Props[entitlement.PropEntitlements]; ok && n.Kind != graph.KindRole && n.Kind != graph.KindUser && n.Kind != graph.KindGroup {
					t.Errorf("%s (%s) carries entitlements; only principals should", n.ID, n.Kind)
				}
			}
		})
	}
}
