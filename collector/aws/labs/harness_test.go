package labs

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/breachpath/breachpath/collector/aws/mototest"

	sdkaws "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/codebuild"
	cbtypes "github.com/aws/aws-sdk-go-v2/service/codebuild/types"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/aws-sdk-go-v2/service/ecr"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	lambdatypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/aws/aws-sdk-go-v2/service/rds"
	rdstypes "github.com/aws/aws-sdk-go-v2/service/rds/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	ssmtypes "github.com/aws/aws-sdk-go-v2/service/ssm/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	awscollector "github.com/breachpath/breachpath/collector/aws"
	"github.com/breachpath/breachpath/collector/aws/fetch"
	"github.com/breachpath/breachpath/collector/aws/fetch/kubetest"
	"github.com/breachpath/breachpath/collector/aws/identity"
	"github.com/breachpath/breachpath/collector/aws/inventory"
	"github.com/breachpath/breachpath/graph"
	"github.com/breachpath/breachpath/paths"
)

const region = "us-east-1"

// lab is one scenario of the corpus.
type lab struct {
	name string // "<lab>/<scenario or level>"
	// source is where the lab publishes the scenario's description.
	source string
	// services the scenario needs collected (fewer areas, faster runs).
	services []string
	// regions are regions collected besides us-east-1 (inter-region routes).
	regions []string
	// scanConfig turns the configuration-object scan on (collect aws
	// --scan-config-objects) for scenarios whose route passes a key in a bucket.
	scanConfig bool
	// build seeds the estate and returns the documented route. With
	// variant set it makes the one change that must remove the route.
	build func(e *estate, variant bool) route
}

// route is a documented attack route: the foothold, then the nodes the
// path passes, in order; the last is the lab's objective. The path found
// may pass more nodes than listed (a security group standing for its
// members, the account's administrator node), never fewer, never in
// another order.
type route struct {
	from string
	via  []string
}

// newAccount returns credentials of a fresh moto account.
func newAccount(t *testing.T, ctx context.Context, ep string) (sdkaws.Config, string) {
	t.Helper()
	account := fmt.Sprintf("%012d", 400000000000+rand.Int64N(99999999999))
	as, err := sts.NewFromConfig(sdkaws.Config{Region: region, BaseEndpoint: sdkaws.String(ep),
		Credentials: credentials.NewStaticCredentialsProvider("AKIABREACHPATHLABS01", "fake", "")}).AssumeRole(ctx, &sts.AssumeRoleInput{
		RoleArn: sdkaws.String("arn:aws:iam::" + account + ":role/lab"), RoleSessionName: sdkaws.String("lab")})
	if err != nil {
		t.Fatalf("account credentials: %v", err)
	}
	c := as.Credentials
	return sdkaws.Config{Region: region, BaseEndpoint: sdkaws.String(ep),
		Credentials: credentials.NewStaticCredentialsProvider(*c.AccessKeyId, *c.SecretAccessKey, *c.SessionToken)}, account
}

// estate seeds one account through the SDK.
type estate struct {
	t        *testing.T
	ctx      context.Context
	cfg      sdkaws.Config
	account  string
	n        int
	adminARN string
	// kube holds the Kubernetes objects of the estate's EKS cluster
	// kubeCluster, served over TLS by kubetest during the collection.
	kube        *kubetest.Objects
	kubeCluster string
	// reg is the region resources are seeded in; "" is us-east-1.
	reg string
	// poolRoles are the identity pools' roles (pool id -> "authenticated" /
	// "unauthenticated" -> role ARN): moto 5.1 does not implement
	// SetIdentityPoolRoles / GetIdentityPoolRoles, so the collection reads
	// moto through cognitoRolesProxy, which answers GetIdentityPoolRoles in
	// the API's documented shape from these.
	poolRoles map[string]map[string]string
}

// rg is the estate's region.
func (e *estate) rg() string {
	if e.reg == "" {
		return region
	}
	return e.reg
}

// inRegion returns the same account's estate seeding another region.
func (e *estate) inRegion(r string) *estate {
	o := *e
	o.reg, o.cfg.Region = r, r
	o.adminARN = "" // not shared: a copy's lazily created policy would not reach e
	return &o
}

func (e *estate) check(what string, err error) {
	e.t.Helper()
	if err != nil {
		e.t.Fatalf("seed %s: %v", what, err)
	}
}

func (e *estate) iam() *iam.Client { return iam.NewFromConfig(e.cfg) }
func (e *estate) ec2() *ec2.Client { return ec2.NewFromConfig(e.cfg) }

func s(v string) *string { return sdkaws.String(v) }

// doc renders an IAM policy document from statements.
func doc(stmts ...map[string]any) string {
	b, _ := json.Marshal(map[string]any{"Version": "2012-10-17", "Statement": stmts})
	return string(b)
}

func allow(actions any, resources any) map[string]any {
	return map[string]any{"Effect": "Allow", "Action": actions, "Resource": resources}
}

func trust(principal map[string]any) string {
	return doc(map[string]any{"Effect": "Allow", "Principal": principal, "Action": "sts:AssumeRole"})
}

func trustService(svc string) string { return trust(map[string]any{"Service": svc}) }

// admin returns a customer-managed policy granting everything (moto's
// non-default accounts do not carry the AWS-managed policies).
func (e *estate) admin() string {
	if e.adminARN == "" {
		e.adminARN = e.managedPolicy("LabAdministratorAccess", doc(allow("*", "*")))
	}
	return e.adminARN
}

// user creates a user with inline policies (name -> document) and returns its ARN.
func (e *estate) user(name string, inline map[string]string) string {
	_, err := e.iam().CreateUser(e.ctx, &iam.CreateUserInput{UserName: s(name)})
	e.check("user "+name, err)
	for pn, d := range inline {
		_, err := e.iam().PutUserPolicy(e.ctx, &iam.PutUserPolicyInput{UserName: s(name), PolicyName: s(pn), PolicyDocument: s(d)})
		e.check("user policy "+pn, err)
	}
	return e.arn("iam", "user/"+name)
}

// accessKey creates an access key of the user and returns its id and secret.
func (e *estate) accessKey(user string) (string, string) {
	out, err := e.iam().CreateAccessKey(e.ctx, &iam.CreateAccessKeyInput{UserName: s(user)})
	e.check("access key of "+user, err)
	return *out.AccessKey.AccessKeyId, *out.AccessKey.SecretAccessKey
}

func (e *estate) attachUser(user, policyARN string) {
	_, err := e.iam().AttachUserPolicy(e.ctx, &iam.AttachUserPolicyInput{UserName: s(user), PolicyArn: s(policyARN)})
	e.check("attach "+policyARN+" to "+user, err)
}

// role creates a role with a trust policy and inline policies.
func (e *estate) role(name, trustDoc string, inline map[string]string, managed ...string) string {
	_, err := e.iam().CreateRole(e.ctx, &iam.CreateRoleInput{RoleName: s(name), AssumeRolePolicyDocument: s(trustDoc)})
	e.check("role "+name, err)
	for pn, d := range inline {
		_, err := e.iam().PutRolePolicy(e.ctx, &iam.PutRolePolicyInput{RoleName: s(name), PolicyName: s(pn), PolicyDocument: s(d)})
		e.check("role policy "+pn, err)
	}
	for _, m := range managed {
		_, err := e.iam().AttachRolePolicy(e.ctx, &iam.AttachRolePolicyInput{RoleName: s(name), PolicyArn: s(m)})
		e.check("attach "+m, err)
	}
	return e.arn("iam", "role/"+name)
}

// managedPolicy creates a customer-managed policy and returns its ARN.
func (e *estate) managedPolicy(name, d string) string {
	out, err := e.iam().CreatePolicy(e.ctx, &iam.CreatePolicyInput{PolicyName: s(name), PolicyDocument: s(d)})
	e.check("policy "+name, err)
	return *out.Policy.Arn
}

// profile creates an instance profile holding the role.
func (e *estate) profile(name, role string) string {
	_, err := e.iam().CreateInstanceProfile(e.ctx, &iam.CreateInstanceProfileInput{InstanceProfileName: s(name)})
	e.check("instance profile "+name, err)
	_, err = e.iam().AddRoleToInstanceProfile(e.ctx, &iam.AddRoleToInstanceProfileInput{InstanceProfileName: s(name), RoleName: s(role)})
	e.check("profile role", err)
	return name
}

func (e *estate) arn(service, res string) string {
	if service == "iam" {
		return "arn:aws:iam::" + e.account + ":" + res
	}
	return "arn:aws:" + service + ":" + e.rg() + ":" + e.account + ":" + res
}

// network is a VPC with one subnet and one security group (rt: the
// public route table; second: a free CIDR for a second subnet).
type network struct{ vpc, subnet, sg, rt, second string }

// vpc creates a VPC with a subnet (public: a default route to an attached
// internet gateway) and a security group admitting the CIDR on the ports.
func (e *estate) vpc(cidr, subnetCIDR string, public bool, ingressCIDR string, ports ...int32) network {
	c := e.ec2()
	v, err := c.CreateVpc(e.ctx, &ec2.CreateVpcInput{CidrBlock: s(cidr)})
	e.check("vpc", err)
	sub, err := c.CreateSubnet(e.ctx, &ec2.CreateSubnetInput{VpcId: v.Vpc.VpcId, CidrBlock: s(subnetCIDR), AvailabilityZone: s(e.rg() + "a")})
	e.check("subnet", err)
	var rtID string
	if public {
		igw, err := c.CreateInternetGateway(e.ctx, &ec2.CreateInternetGatewayInput{})
		e.check("igw", err)
		_, err = c.AttachInternetGateway(e.ctx, &ec2.AttachInternetGatewayInput{InternetGatewayId: igw.InternetGateway.InternetGatewayId, VpcId: v.Vpc.VpcId})
		e.check("attach igw", err)
		rt, err := c.CreateRouteTable(e.ctx, &ec2.CreateRouteTableInput{VpcId: v.Vpc.VpcId})
		e.check("route table", err)
		_, err = c.CreateRoute(e.ctx, &ec2.CreateRouteInput{RouteTableId: rt.RouteTable.RouteTableId, DestinationCidrBlock: s("0.0.0.0/0"), GatewayId: igw.InternetGateway.InternetGatewayId})
		e.check("default route", err)
		_, err = c.AssociateRouteTable(e.ctx, &ec2.AssociateRouteTableInput{RouteTableId: rt.RouteTable.RouteTableId, SubnetId: sub.Subnet.SubnetId})
		e.check("associate", err)
		rtID = *rt.RouteTable.RouteTableId
	}
	e.n++
	sgName := fmt.Sprintf("sg-%d", e.n)
	sg, err := c.CreateSecurityGroup(e.ctx, &ec2.CreateSecurityGroupInput{GroupName: s(sgName), Description: s("lab"), VpcId: v.Vpc.VpcId})
	if err != nil && strings.Contains(err.Error(), "InvalidGroup.Duplicate") {
		// The SDK retried a create whose first attempt the server had already
		// done (a slow answer under load): the group is ours, read its id.
		out, derr := c.DescribeSecurityGroups(e.ctx, &ec2.DescribeSecurityGroupsInput{Filters: []ec2types.Filter{
			{Name: s("vpc-id"), Values: []string{*v.Vpc.VpcId}}, {Name: s("group-name"), Values: []string{sgName}}}})
		if derr == nil && len(out.SecurityGroups) == 1 {
			sg, err = &ec2.CreateSecurityGroupOutput{GroupId: out.SecurityGroups[0].GroupId}, nil
		}
	}
	e.check("security group", err)
	var perms []ec2types.IpPermission
	for _, p := range ports {
		perms = append(perms, ec2types.IpPermission{IpProtocol: s("tcp"), FromPort: sdkaws.Int32(p), ToPort: sdkaws.Int32(p), IpRanges: []ec2types.IpRange{{CidrIp: s(ingressCIDR)}}})
	}
	if len(perms) > 0 {
		_, err = c.AuthorizeSecurityGroupIngress(e.ctx, &ec2.AuthorizeSecurityGroupIngressInput{GroupId: sg.GroupId, IpPermissions: perms})
		e.check("ingress", err)
	}
	second := strings.Replace(subnetCIDR, ".1.0/24", ".2.0/24", 1)
	return network{vpc: *v.Vpc.VpcId, subnet: *sub.Subnet.SubnetId, sg: *sg.GroupId, rt: rtID, second: second}
}

// instanceOpts configure an instance.
type instanceOpts struct {
	profile  string // instance profile name
	imdsV1   bool
	publicIP bool
	userData string
	tags     map[string]string
	// hopLimit sets the IMDSv2 response hop limit (0: the default).
	hopLimit int32
}

// instance launches an instance and returns its ARN.
func (e *estate) instance(n network, o instanceOpts) string {
	tokens := ec2types.HttpTokensStateRequired
	if o.imdsV1 {
		tokens = ec2types.HttpTokensStateOptional
	}
	in := &ec2.RunInstancesInput{ImageId: s("ami-12c6146b"), MinCount: sdkaws.Int32(1), MaxCount: sdkaws.Int32(1),
		InstanceType: ec2types.InstanceTypeT3Micro, SubnetId: s(n.subnet), SecurityGroupIds: []string{n.sg},
		MetadataOptions: &ec2types.InstanceMetadataOptionsRequest{HttpTokens: tokens, HttpEndpoint: ec2types.InstanceMetadataEndpointStateEnabled}}
	if o.hopLimit > 0 {
		in.MetadataOptions.HttpPutResponseHopLimit = sdkaws.Int32(o.hopLimit)
	}
	if o.profile != "" {
		in.IamInstanceProfile = &ec2types.IamInstanceProfileSpecification{Name: s(o.profile)}
	}
	if o.userData != "" {
		in.UserData = s(base64.StdEncoding.EncodeToString([]byte(o.userData)))
	}
	for k, v := range o.tags {
		in.TagSpecifications = append(in.TagSpecifications, ec2types.TagSpecification{ResourceType: ec2types.ResourceTypeInstance,
			Tags: []ec2types.Tag{{Key: s(k), Value: s(v)}}})
	}
	run, err := e.ec2().RunInstances(e.ctx, in)
	e.check("instance", err)
	id := *run.Instances[0].InstanceId
	if o.publicIP {
		eip, err := e.ec2().AllocateAddress(e.ctx, &ec2.AllocateAddressInput{Domain: ec2types.DomainTypeVpc})
		e.check("elastic ip", err)
		_, err = e.ec2().AssociateAddress(e.ctx, &ec2.AssociateAddressInput{AllocationId: eip.AllocationId, InstanceId: s(id)})
		e.check("associate elastic ip", err)
	}
	return e.arn("ec2", "instance/"+id)
}

func (e *estate) s3() *s3.Client {
	return s3.NewFromConfig(e.cfg, func(o *s3.Options) { o.UsePathStyle = true })
}

// bucket creates a bucket with tags and an optional policy, and returns its ARN.
func (e *estate) bucket(name string, tags map[string]string, policy string) string {
	name = name + "-" + e.account
	_, err := e.s3().CreateBucket(e.ctx, &s3.CreateBucketInput{Bucket: s(name)})
	e.check("bucket "+name, err)
	if len(tags) > 0 {
		var ts []s3types.Tag
		for k, v := range tags {
			ts = append(ts, s3types.Tag{Key: s(k), Value: s(v)})
		}
		_, err = e.s3().PutBucketTagging(e.ctx, &s3.PutBucketTaggingInput{Bucket: s(name), Tagging: &s3types.Tagging{TagSet: ts}})
		e.check("bucket tags", err)
	}
	if policy != "" {
		_, err = e.s3().PutBucketPolicy(e.ctx, &s3.PutBucketPolicyInput{Bucket: s(name), Policy: s(strings.ReplaceAll(policy, "BUCKET", name))})
		e.check("bucket policy", err)
	}
	return "arn:aws:s3:::" + name
}

// restricted tags a data store as restricted (the labs' objectives).
var restricted = map[string]string{"data-classification": "restricted"}

func (e *estate) lambda(name, role string, env map[string]string) string {
	c := lambda.NewFromConfig(e.cfg)
	in := &lambda.CreateFunctionInput{FunctionName: s(name), Role: s(role), Runtime: lambdatypes.RuntimePython312, Handler: s("index.handler"),
		Code: &lambdatypes.FunctionCode{ZipFile: lambdaZip()}}
	if len(env) > 0 {
		in.Environment = &lambdatypes.Environment{Variables: env}
	}
	out, err := c.CreateFunction(e.ctx, in)
	e.check("function "+name, err)
	return *out.FunctionArn
}

func (e *estate) ssmParam(name, value string, secure bool) string {
	typ := ssmtypes.ParameterTypeString
	if secure {
		typ = ssmtypes.ParameterTypeSecureString
	}
	_, err := ssm.NewFromConfig(e.cfg).PutParameter(e.ctx, &ssm.PutParameterInput{Name: s(name), Value: s(value), Type: typ})
	e.check("parameter "+name, err)
	return e.arn("ssm", "parameter/"+strings.TrimPrefix(name, "/"))
}

func (e *estate) codeBuild(name, role string, env map[string]string) string {
	var vars []cbtypes.EnvironmentVariable
	for k, v := range env {
		vars = append(vars, cbtypes.EnvironmentVariable{Name: s(k), Value: s(v), Type: cbtypes.EnvironmentVariableTypePlaintext})
	}
	out, err := codebuild.NewFromConfig(e.cfg).CreateProject(e.ctx, &codebuild.CreateProjectInput{Name: s(name), ServiceRole: s(role),
		Source:      &cbtypes.ProjectSource{Type: cbtypes.SourceTypeS3, Location: s("sources-" + e.account + "/src.zip")},
		Artifacts:   &cbtypes.ProjectArtifacts{Type: cbtypes.ArtifactsTypeNoArtifacts},
		Environment: &cbtypes.ProjectEnvironment{Type: cbtypes.EnvironmentTypeLinuxContainer, Image: s("aws/codebuild/standard:7.0"), ComputeType: cbtypes.ComputeTypeBuildGeneral1Small, EnvironmentVariables: vars}})
	e.check("codebuild project "+name, err)
	return *out.Project.Arn
}

func (e *estate) taskDefinition(family, taskRole string, env map[string]string, privileged bool) string {
	var kv []ecstypes.KeyValuePair
	for k, v := range env {
		kv = append(kv, ecstypes.KeyValuePair{Name: s(k), Value: s(v)})
	}
	in := &ecs.RegisterTaskDefinitionInput{Family: s(family), ContainerDefinitions: []ecstypes.ContainerDefinition{{Name: s("app"), Image: s("nginx"),
		Environment: kv, Privileged: sdkaws.Bool(privileged), Memory: sdkaws.Int32(256)}}}
	if taskRole != "" {
		in.TaskRoleArn = s(taskRole)
	}
	out, err := ecs.NewFromConfig(e.cfg).RegisterTaskDefinition(e.ctx, in)
	e.check("task definition "+family, err)
	return *out.TaskDefinition.TaskDefinitionArn
}

func (e *estate) database(id string, n network, tags map[string]string) (arn, host string) {
	c := rds.NewFromConfig(e.cfg)
	var rt []rdstypes.Tag
	for k, v := range tags {
		rt = append(rt, rdstypes.Tag{Key: s(k), Value: s(v)})
	}
	out, err := c.CreateDBInstance(e.ctx, &rds.CreateDBInstanceInput{DBInstanceIdentifier: s(id), DBInstanceClass: s("db.t3.micro"),
		Engine: s("postgres"), MasterUsername: s("admin"), MasterUserPassword: s("Lab-db-Passw0rd"), AllocatedStorage: sdkaws.Int32(20),
		VpcSecurityGroupIds: []string{n.sg}, Tags: rt})
	e.check("db "+id, err)
	return *out.DBInstance.DBInstanceArn, *out.DBInstance.Endpoint.Address
}

func (e *estate) secret(name string) string {
	in := &secretsmanager.CreateSecretInput{Name: s(name), SecretString: s("flag{lab-objective}")}
	out, err := secretsmanager.NewFromConfig(e.cfg).CreateSecret(e.ctx, in)
	e.check("secret "+name, err)
	return *out.ARN
}

func (e *estate) repository(name, policy string) string {
	c := ecr.NewFromConfig(e.cfg)
	out, err := c.CreateRepository(e.ctx, &ecr.CreateRepositoryInput{RepositoryName: s(name)})
	e.check("repository "+name, err)
	if policy != "" {
		_, err = c.SetRepositoryPolicy(e.ctx, &ecr.SetRepositoryPolicyInput{RepositoryName: s(name), PolicyText: s(policy)})
		e.check("repository policy", err)
	}
	return *out.Repository.RepositoryArn
}

// run seeds the lab (or its variant) in a fresh account, collects it and
// returns the graph and the route.
func run(t *testing.T, ep string, l lab, variant bool) (*graph.Graph, route, *graph.Snapshot) {
	ctx := context.Background()
	cfg, account := newAccount(t, ctx, ep)
	e := &estate{t: t, ctx: ctx, cfg: cfg, account: account}
	r := l.build(e, variant)
	cfg.BaseEndpoint = nil
	svcs := append([]string{fetch.ServiceIAM}, l.services...)
	collectEP := ep
	if len(e.poolRoles) > 0 {
		collectEP = cognitoRolesProxy(t, ep, e.poolRoles)
	}
	fo := fetch.Options{Regions: append([]string{region}, l.regions...), Endpoint: collectEP,
		Concurrency: 4, Services: svcs, Retryer: fetch.NewRetryer(3, time.Millisecond), CredentialSalt: []byte("lab-corpus"),
		ScanConfigObjects: l.scanConfig}
	if e.kube != nil {
		srv := kubetest.Start(t, e.kube)
		fo.Kubernetes = true
		fo.KubeEndpoints = map[string]fetch.KubeEndpoint{e.kubeCluster: {URL: srv.URL, CAPEM: srv.CAPEM}}
	}
	snaps, sum, err := awscollector.Collect(ctx, cfg, awscollector.CollectOptions{Fetch: fo})
	if err != nil {
		t.Fatalf("collect: %v", err)
	}
	if f := awscollector.RealFailures(sum.Accounts[0].Failed); len(f) > 0 {
		t.Fatalf("collection failed areas: %+v", f)
	}
	snap := snaps[0]
	if os.Getenv("BREACHPATH_LABS_DEBUG") != "" {
		for _, ed := range snap.Edges {
			if ed.Kind.IsMove() {
				t.Logf("edge %s -[%s %s]-> %s", ed.From, ed.Kind, ed.Technique, ed.To)
			}
		}
	}
	return graph.Assemble(slices.Clone(snap.Nodes), slices.Clone(snap.Edges), slices.Clone(snap.Findings)), r, snap
}

// find searches from the route's foothold to its objective and returns the
// paths that pass the route's nodes in order.
func find(t *testing.T, g *graph.Graph, r route) (matching []paths.Path, all []paths.Path) {
	t.Helper()
	target := r.via[len(r.via)-1]
	if _, ok := g.NodeIndex(r.from); !ok {
		return nil, nil
	}
	if _, ok := g.NodeIndex(target); !ok {
		return nil, nil
	}
	res, err := paths.Search(context.Background(), g, paths.Options{Sources: []string{r.from}, Targets: []string{target}, MaxDepth: 10, Top: 50})
	if err != nil {
		t.Fatalf("search: %v", err)
	}
	for _, p := range res.Paths {
		nodes := []string{p.Source}
		for _, h := range p.Hops {
			nodes = append(nodes, h.To)
		}
		if inOrder(nodes, r.via) {
			matching = append(matching, p)
		}
	}
	return matching, res.Paths
}

// inOrder reports whether want appears in nodes as a subsequence.
func inOrder(nodes, want []string) bool {
	i := 0
	for _, n := range nodes {
		if i < len(want) && n == want[i] {
			i++
		}
	}
	return i == len(want)
}

func explain(ps []paths.Path) string {
	var b strings.Builder
	for i := range ps {
		p := &ps[i]
		b.WriteString("\n  " + p.Explain())
	}
	return b.String()
}

func adminNode(account string) string { return identity.AccountAdminID("aws", account) }

func TestLabCorpus(t *testing.T) {
	ep := mototest.Endpoint(t)
	for _, l := range labs {
		t.Run(l.name, func(t *testing.T) {
			t.Parallel()
			t.Run("route found hop by hop", func(t *testing.T) {
				g, r, _ := run(t, ep, l, false)
				match, all := find(t, g, r)
				if len(match) == 0 {
					t.Fatalf("no path %s -> %s passing %v; %d other paths:%s", r.from, r.via[len(r.via)-1], r.via, len(all), explain(all))
				}
				t.Logf("found:%s", explain(match[:1]))
			})
			t.Run("one change removes the route", func(t *testing.T) {
				g, r, _ := run(t, ep, l, true)
				if _, all := find(t, g, r); len(all) > 0 {
					t.Fatalf("the variant still has %d paths %s -> %s:%s", len(all), r.from, r.via[len(r.via)-1], explain(all))
				}
			})
		})
	}
}

// lambdaZip is a minimal deployment package.
func lambdaZip() []byte {
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	w, _ := zw.Create("index.py")
	fmt.Fprint(w, "def handler(event, context):\n    return 1\n")
	_ = zw.Close()
	return buf.Bytes()
}

func credentialOfARN(holder, location string) string {
	return inventory.CredentialNodeID(holder, location)
}

// publicDatabase creates a DB instance in the network, publicly accessible
// when public is set.
func (e *estate) publicDatabase(id string, n network, public bool) string {
	c := e.ec2()
	sub2, err := c.CreateSubnet(e.ctx, &ec2.CreateSubnetInput{VpcId: s(n.vpc), CidrBlock: s(n.second), AvailabilityZone: s(e.rg() + "b")})
	e.check("second subnet", err)
	if n.rt != "" {
		_, err = c.AssociateRouteTable(e.ctx, &ec2.AssociateRouteTableInput{RouteTableId: s(n.rt), SubnetId: sub2.Subnet.SubnetId})
		e.check("associate second subnet", err)
	}
	rc := rds.NewFromConfig(e.cfg)
	_, err = rc.CreateDBSubnetGroup(e.ctx, &rds.CreateDBSubnetGroupInput{DBSubnetGroupName: s(id + "-subnets"), DBSubnetGroupDescription: s("lab"),
		SubnetIds: []string{n.subnet, *sub2.Subnet.SubnetId}})
	e.check("db subnet group", err)
	out, err := rc.CreateDBInstance(e.ctx, &rds.CreateDBInstanceInput{DBInstanceIdentifier: s(id), DBInstanceClass: s("db.t3.micro"),
		Engine: s("postgres"), MasterUsername: s("admin"), MasterUserPassword: s("Lab-db-Passw0rd"), AllocatedStorage: sdkaws.Int32(20),
		VpcSecurityGroupIds: []string{n.sg}, PubliclyAccessible: sdkaws.Bool(public), DBSubnetGroupName: s(id + "-subnets")})
	e.check("db "+id, err)
	return *out.DBInstance.DBInstanceArn
}
