package aws

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"path/filepath"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"github.com/breachpath/breachpath/collector/aws/mototest"

	sdkaws "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/organizations"
	orgtypes "github.com/aws/aws-sdk-go-v2/service/organizations/types"
	"github.com/aws/aws-sdk-go-v2/service/rds"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/breachpath/breachpath/collector/aws/fetch"
	"github.com/breachpath/breachpath/graph"
	"github.com/breachpath/breachpath/graph/embedded"
	"github.com/breachpath/breachpath/paths"
)

// motoScenario is what seedScenario created.
type motoScenario struct {
	account, web, decoy, role, bucket, db string
}

// seedScenario builds the end-to-end estate through the Go SDK in a moto
// account of its own, so that it never sees or disturbs other tests'
// resources and needs no reset: moto hands out credentials of the role's
// account for sts:AssumeRole into any account, and serves every later call
// made with them from that account.
func seedScenario(t *testing.T, ctx context.Context, endpoint string) (sdkaws.Config, motoScenario) {
	t.Helper()
	check := func(what string, err error) {
		t.Helper()
		if err != nil {
			t.Fatalf("seed %s: %v", what, err)
		}
	}
	sc := motoScenario{account: fmt.Sprintf("%012d", 200000000000+rand.Int64N(99999999999))}
	base := sdkaws.Config{Region: "us-east-1", Credentials: credentials.NewStaticCredentialsProvider("AKIABREACHPATHTEST01", "fake", ""),
		BaseEndpoint: sdkaws.String(endpoint)}
	assumed, err := sts.NewFromConfig(base).AssumeRole(ctx, &sts.AssumeRoleInput{
		RoleArn: sdkaws.String("arn:aws:iam::" + sc.account + ":role/e2e"), RoleSessionName: sdkaws.String("breachpath-e2e")})
	check("account credentials", err)
	c := assumed.Credentials
	cfg := sdkaws.Config{Region: "us-east-1", BaseEndpoint: sdkaws.String(endpoint),
		Credentials: credentials.NewStaticCredentialsProvider(sdkaws.ToString(c.AccessKeyId), sdkaws.ToString(c.SecretAccessKey), sdkaws.ToString(c.SessionToken))}
	s := sdkaws.String
	sc.bucket = "payroll-" + sc.account
	sc.role = "arn:aws:iam::" + sc.account + ":role/app"

	ic := iam.NewFromConfig(cfg)
	_, err = ic.CreateRole(ctx, &iam.CreateRoleInput{RoleName: s("app"), AssumeRolePolicyDocument: s(trustEC2)})
	check("role", err)
	_, err = ic.PutRolePolicy(ctx, &iam.PutRolePolicyInput{RoleName: s("app"), PolicyName: s("read-payroll"),
		PolicyDocument: s(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::` + sc.bucket + `/*"}]}`)})
	check("role policy", err)
	_, err = ic.CreateInstanceProfile(ctx, &iam.CreateInstanceProfileInput{InstanceProfileName: s("app")})
	check("instance profile", err)
	_, err = ic.AddRoleToInstanceProfile(ctx, &iam.AddRoleToInstanceProfileInput{InstanceProfileName: s("app"), RoleName: s("app")})
	check("profile role", err)

	ec := ec2.NewFromConfig(cfg)
	// publicNet builds a VPC with an internet gateway, a public subnet with
	// a default route to it and a security group open on 22 and 443.
	publicNet := func(cidr, subnet string) (subnetID, sgID string) {
		vpc, err := ec.CreateVpc(ctx, &ec2.CreateVpcInput{CidrBlock: s(cidr)})
		check("vpc", err)
		igw, err := ec.CreateInternetGateway(ctx, &ec2.CreateInternetGatewayInput{})
		check("igw", err)
		_, err = ec.AttachInternetGateway(ctx, &ec2.AttachInternetGatewayInput{InternetGatewayId: igw.InternetGateway.InternetGatewayId, VpcId: vpc.Vpc.VpcId})
		check("attach igw", err)
		sub, err := ec.CreateSubnet(ctx, &ec2.CreateSubnetInput{VpcId: vpc.Vpc.VpcId, CidrBlock: s(subnet)})
		check("subnet", err)
		rt, err := ec.CreateRouteTable(ctx, &ec2.CreateRouteTableInput{VpcId: vpc.Vpc.VpcId})
		check("route table", err)
		_, err = ec.CreateRoute(ctx, &ec2.CreateRouteInput{RouteTableId: rt.RouteTable.RouteTableId, DestinationCidrBlock: s("0.0.0.0/0"), GatewayId: igw.InternetGateway.InternetGatewayId})
		check("default route", err)
		_, err = ec.AssociateRouteTable(ctx, &ec2.AssociateRouteTableInput{RouteTableId: rt.RouteTable.RouteTableId, SubnetId: sub.Subnet.SubnetId})
		check("associate", err)
		sg, err := ec.CreateSecurityGroup(ctx, &ec2.CreateSecurityGroupInput{GroupName: s("web"), Description: s("web"), VpcId: vpc.Vpc.VpcId})
		check("sg", err)
		_, err = ec.AuthorizeSecurityGroupIngress(ctx, &ec2.AuthorizeSecurityGroupIngressInput{GroupId: sg.GroupId, IpPermissions: []ec2types.IpPermission{
			{IpProtocol: s("tcp"), FromPort: sdkaws.Int32(22), ToPort: sdkaws.Int32(22), IpRanges: []ec2types.IpRange{{CidrIp: s("0.0.0.0/0")}}},
			{IpProtocol: s("tcp"), FromPort: sdkaws.Int32(443), ToPort: sdkaws.Int32(443), IpRanges: []ec2types.IpRange{{CidrIp: s("0.0.0.0/0")}}},
		}})
		check("sg rules", err)
		return sdkaws.ToString(sub.Subnet.SubnetId), sdkaws.ToString(sg.GroupId)
	}
	launch := func(subnet, sg string, profile bool) string {
		in := &ec2.RunInstancesInput{ImageId: s("ami-12c6146b"), MinCount: sdkaws.Int32(1), MaxCount: sdkaws.Int32(1),
			InstanceType: ec2types.InstanceTypeT3Micro, SubnetId: s(subnet), SecurityGroupIds: []string{sg},
			MetadataOptions: &ec2types.InstanceMetadataOptionsRequest{HttpTokens: ec2types.HttpTokensStateOptional, HttpEndpoint: ec2types.InstanceMetadataEndpointStateEnabled}}
		if profile {
			in.IamInstanceProfile = &ec2types.IamInstanceProfileSpecification{Name: s("app")}
		}
		run, err := ec.RunInstances(ctx, in)
		check("instance", err)
		id := sdkaws.ToString(run.Instances[0].InstanceId)
		eip, err := ec.AllocateAddress(ctx, &ec2.AllocateAddressInput{Domain: ec2types.DomainTypeVpc})
		check("elastic ip", err)
		_, err = ec.AssociateAddress(ctx, &ec2.AssociateAddressInput{AllocationId: eip.AllocationId, InstanceId: s(id)})
		check("associate elastic ip", err)
		return "arn:aws:ec2:us-east-1:" + sc.account + ":instance/" + id
	}
	webSubnet, webSG := publicNet("10.20.0.0/16", "10.20.1.0/24")
	sc.web = launch(webSubnet, webSG, true)
	// The decoy is exposed just the same, in a VPC of its own, with no role.
	decoySubnet, decoySG := publicNet("10.30.0.0/16", "10.30.1.0/24")
	sc.decoy = launch(decoySubnet, decoySG, false)

	s3c := s3.NewFromConfig(cfg, func(o *s3.Options) { o.UsePathStyle = true })
	_, err = s3c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: s(sc.bucket)})
	check("bucket", err)
	_, err = s3c.PutBucketTagging(ctx, &s3.PutBucketTaggingInput{Bucket: s(sc.bucket),
		Tagging: &s3types.Tagging{TagSet: []s3types.Tag{{Key: s("data-classification"), Value: s("restricted")}}}})
	check("bucket tags", err)

	rc := rds.NewFromConfig(cfg)
	db, err := rc.CreateDBInstance(ctx, &rds.CreateDBInstanceInput{DBInstanceIdentifier: s("orders"), DBInstanceClass: s("db.t3.micro"),
		Engine: s("postgres"), MasterUsername: s("admin"), MasterUserPassword: s("Passw0rd-db!"), AllocatedStorage: sdkaws.Int32(20),
		PubliclyAccessible: sdkaws.Bool(false), StorageEncrypted: sdkaws.Bool(true)})
	check("db instance", err)
	sc.db = sdkaws.ToString(db.DBInstance.DBInstanceArn)
	cfg.BaseEndpoint = nil // Collect sets the endpoint through fetch.Options
	return cfg, sc
}

// collectOpts reads only the services the scenario uses: moto answers
// slowly, and every other area would only add empty reads.
func collectOpts(endpoint string) CollectOptions {
	return CollectOptions{Fetch: fetch.Options{Regions: []string{"us-east-1"}, Endpoint: endpoint, Concurrency: 4,
		Services: []string{fetch.ServiceIAM, fetch.ServiceS3, fetch.ServiceEC2, fetch.ServiceRDS},
		Retryer:  fetch.NewRetryer(3, time.Millisecond)}}
}

func TestMotoEndToEndFindsThePathAndNotTheDecoy(t *testing.T) {
	endpoint := mototest.Endpoint(t)
	t.Parallel() // each test has its own moto account
	ctx := context.Background()
	cfg, sc := seedScenario(t, ctx, endpoint)

	snaps, sum, err := Collect(ctx, cfg, collectOpts(endpoint))
	if err != nil {
		t.Fatalf("Collect: %v", err)
	}
	if len(snaps) != 1 || snaps[0].Scope.ID != sc.account {
		t.Fatalf("snapshots = %d (scope %v), want one for %s", len(snaps), snaps[0].Scope, sc.account)
	}
	t.Logf("moto collection: %+v", sum.Accounts[0])
	snap := snaps[0]
	for _, want := range []struct {
		from string
		kind graph.EdgeKind
		to   string
	}{
		{graph.InternetID, graph.EdgeExposedTo, sc.web},
		{graph.InternetID, graph.EdgeExposedTo, sc.decoy},
		{sc.web, graph.EdgeUsesIdentity, sc.role},
		{sc.role, graph.EdgeReads, "arn:aws:s3:::" + sc.bucket},
	} {
		if len(edges(snap, want.from, want.kind, want.to)) == 0 {
			t.Errorf("no %s -[%s]-> %s", want.from, want.kind, want.to)
		}
	}
	if e := edges(snap, graph.InternetID, graph.EdgeExposedTo, sc.web); len(e) == 1 {
		if p, _ := e[0].Props["ports"].([]string); !slices.Equal(p, []string{"22/tcp", "443/tcp"}) {
			t.Errorf("web exposed on %v, want [22/tcp 443/tcp]", p)
		}
	}
	if len(edges(snap, graph.InternetID, graph.EdgeExposedTo, sc.db)) != 0 {
		t.Error("private database exposed")
	}
	if n := node(snap, "arn:aws:s3:::"+sc.bucket); n == nil || n.Sensitivity != graph.SensitivityRestricted {
		t.Errorf("bucket = %+v, want restricted", n)
	}

	g := graph.Assemble(slices.Clone(snap.Nodes), slices.Clone(snap.Edges), slices.Clone(snap.Findings))
	res, err := paths.Search(ctx, g, paths.Options{Targets: []string{"arn:aws:s3:::" + sc.bucket}})
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, p := range res.Paths {
		hops := []string{p.Source}
		for _, h := range p.Hops {
			hops = append(hops, h.To)
			if h.From == sc.decoy || h.To == sc.decoy {
				t.Errorf("decoy on a path: %s", p.Explain())
			}
		}
		if slices.Equal(hops, []string{graph.InternetID, sc.web, sc.role, "arn:aws:s3:::" + sc.bucket}) {
			found = true
			t.Logf("path: %s", p.Explain())
		}
	}
	if !found {
		t.Fatalf("no path internet -> %s -> %s -> bucket among %d paths", sc.web, sc.role, len(res.Paths))
	}
	// Every path the engine found in this account: the decoy must be on none.
	all, err := paths.Search(ctx, g, paths.Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range all.Paths {
		for _, h := range p.Hops {
			if h.To == sc.decoy && len(p.Hops) > 1 {
				t.Errorf("decoy is a stepping stone: %s", p.Explain())
			}
		}
	}
}

// faultProxy forwards to moto but throttles every request signed for one
// service, like a real API under sustained throttling.
type faultProxy struct {
	service  string
	enabled  atomic.Bool
	rejected atomic.Int64
	proxy    *httputil.ReverseProxy
}

func (f *faultProxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if f.enabled.Load() && mototest.SignedService(r) == f.service {
		f.rejected.Add(1)
		w.Header().Set("Content-Type", "application/xml")
		w.WriteHeader(http.StatusServiceUnavailable)
		fmt.Fprint(w, `<?xml version="1.0" encoding="UTF-8"?><Error><Code>SlowDown</Code><Message>Please reduce your request rate.</Message></Error>`)
		return
	}
	f.proxy.ServeHTTP(w, r)
}

func TestMotoFailedServiceKeepsItsNodesStale(t *testing.T) {
	endpoint := mototest.Endpoint(t)
	t.Parallel()
	ctx := context.Background()
	cfg, sc := seedScenario(t, ctx, endpoint)
	target, err := url.Parse(endpoint)
	if err != nil {
		t.Fatal(err)
	}
	fp := &faultProxy{service: "s3", proxy: httputil.NewSingleHostReverseProxy(target)}
	srv := httptest.NewServer(fp) // binds 127.0.0.1
	defer srv.Close()

	st, err := embedded.Open(ctx, filepath.Join(t.TempDir(), "bp.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()

	first, _, err := Collect(ctx, cfg, collectOpts(srv.URL))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.Sync(ctx, first[0]); err != nil {
		t.Fatal(err)
	}
	before, err := st.Load(ctx, graph.Filter{})
	if err != nil {
		t.Fatal(err)
	}

	fp.enabled.Store(true)
	second, sum, err := Collect(ctx, cfg, collectOpts(srv.URL))
	if err != nil {
		t.Fatal(err)
	}
	if fp.rejected.Load() == 0 || !second[0].Coverage.FailedFor("s3", "") || !sum.Partial() {
		t.Fatalf("s3 fault not recorded: rejected %d, coverage %+v", fp.rejected.Load(), second[0].Coverage.Failed)
	}
	res, err := st.Sync(ctx, second[0])
	if err != nil {
		t.Fatal(err)
	}
	after, err := st.Load(ctx, graph.Filter{})
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range before.Nodes {
		if after.Node(n.ID) == nil {
			t.Errorf("node %s (%s) lost after a failed s3 read", n.ID, n.Service)
		}
	}
	bucket := after.Node("arn:aws:s3:::" + sc.bucket)
	if bucket == nil || !bucket.Stale || bucket.Sensitivity != graph.SensitivityRestricted {
		t.Errorf("bucket after the fault = %+v, want kept, stale and still restricted", bucket)
	}
	if web := after.Node(sc.web); web == nil || web.Stale {
		t.Errorf("web instance = %+v, want refreshed (ec2 was read)", web)
	}
	readKept := false
	for _, e := range after.Edges {
		if e.From == sc.role && e.Kind == graph.EdgeReads && e.To == "arn:aws:s3:::"+sc.bucket {
			readKept = e.Stale
		}
	}
	if !readKept {
		t.Error("role -> bucket READS not kept stale")
	}
	if res.Stale.Nodes == 0 {
		t.Errorf("sync reports no stale nodes: %+v", res)
	}
	// The path survives on stale data, marked stale.
	pr, err := paths.Search(ctx, after, paths.Options{Targets: []string{"arn:aws:s3:::" + sc.bucket}})
	if err != nil {
		t.Fatal(err)
	}
	if len(pr.Paths) == 0 || !pr.Paths[0].Stale {
		t.Errorf("path to the stale bucket: %d paths, first stale=%v", len(pr.Paths), len(pr.Paths) > 0 && pr.Paths[0].Stale)
	}
}

func TestMotoOrganizationRunGivesOneSnapshotPerAccount(t *testing.T) {
	endpoint := mototest.Endpoint(t)
	t.Parallel()
	ctx := context.Background()
	cfg, sc := seedScenario(t, ctx, endpoint)
	mgmt := cfg.Copy()
	mgmt.BaseEndpoint = sdkaws.String(endpoint)
	oc := organizations.NewFromConfig(mgmt)
	if _, err := oc.CreateOrganization(ctx, &organizations.CreateOrganizationInput{FeatureSet: orgtypes.OrganizationFeatureSetAll}); err != nil {
		t.Fatalf("create organization: %v", err)
	}
	created, err := oc.CreateAccount(ctx, &organizations.CreateAccountInput{AccountName: sdkaws.String("member"), Email: sdkaws.String("member@example.com")})
	if err != nil {
		t.Fatalf("create account: %v", err)
	}
	member := sdkaws.ToString(created.CreateAccountStatus.AccountId)
	opts := collectOpts(endpoint)
	opts.Fetch.Services = []string{fetch.ServiceEC2}
	opts.OrgRoleName = "OrganizationAccountAccessRole"
	snaps, sum, err := Collect(ctx, cfg, opts)
	if err != nil {
		t.Fatalf("Collect --org: %v", err)
	}
	got := map[string]bool{}
	for _, s := range snaps {
		if err := s.Validate(); err != nil {
			t.Errorf("snapshot %s: %v", s.Scope, err)
		}
		got[s.Scope.ID] = true
	}
	if !got[sc.account] || !got[member] {
		t.Fatalf("snapshots for %v, want the management account %s and the member %s (failures %v)", got, sc.account, member, sum.AccountFailures)
	}
	if len(sum.Accounts) != len(snaps) {
		t.Errorf("summary has %d accounts for %d snapshots", len(sum.Accounts), len(snaps))
	}
}
