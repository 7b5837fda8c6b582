package identity

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/breachpath/breachpath/collector/aws/inventory"
	"github.com/breachpath/breachpath/collector/aws/policy"
	"github.com/breachpath/breachpath/graph"
)

// access is one kind of use of a data resource: the edge it yields and the actions that give it
// (any one suffices).
type access struct {
	edge    graph.EdgeKind
	actions []string
	// object evaluates the actions on the resource's contents ("<arn>/*") rather than the resource.
	object bool
}

// resourceType says, per data-resource type, which actions mean read, write, administer, decrypt.
type resourceType struct {
	service  string
	accesses []access
	// technique, when set, is the technique of every access edge (instead
	// of "aws.<service>.<edge kind>").
	technique string
	// policyRequired: the resource policy itself must allow (KMS key policies).
	policyRequired bool
}

// Data-resource access definitions. docs/techniques.md lists them; technique ids are
// "aws.<service>.<edge kind>" (e.g. aws.s3.reads).
var (
	typeS3 = &resourceType{service: "s3", accesses: []access{
		{graph.EdgeReads, []string{"s3:GetObject"}, true},
		{graph.EdgeWrites, []string{"s3:PutObject", "s3:DeleteObject"}, true},
		{graph.EdgeAdministers, []string{"s3:PutBucketPolicy", "s3:PutBucketAcl", "s3:DeleteBucket", "s3:PutBucketPublicAccessBlock"}, false},
	}}
	typeKMS = &resourceType{service: "kms", policyRequired: true, accesses: []access{
		{graph.EdgeDecrypts, []string{"kms:Decrypt"}, false},
		{graph.EdgeAdministers, []string{"kms:PutKeyPolicy", "kms:CreateGrant", "kms:ScheduleKeyDeletion", "kms:DisableKey"}, false},
	}}
	typeSecret = &resourceType{service: "secretsmanager", accesses: []access{
		{graph.EdgeReads, []string{"secretsmanager:GetSecretValue"}, false},
		{graph.EdgeWrites, []string{"secretsmanager:PutSecretValue", "secretsmanager:UpdateSecret"}, false},
		{graph.EdgeAdministers, []string{"secretsmanager:PutResourcePolicy", "secretsmanager:DeleteResourcePolicy", "secretsmanager:DeleteSecret"}, false},
	}}
	typeSQS = &resourceType{service: "sqs", accesses: []access{
		{graph.EdgeReads, []string{"sqs:ReceiveMessage"}, false},
		{graph.EdgeWrites, []string{"sqs:SendMessage", "sqs:DeleteMessage", "sqs:PurgeQueue"}, false},
		{graph.EdgeAdministers, []string{"sqs:SetQueueAttributes", "sqs:AddPermission", "sqs:DeleteQueue"}, false},
	}}
	typeSNS = &resourceType{service: "sns", accesses: []access{
		{graph.EdgeReads, []string{"sns:Subscribe"}, false},
		{graph.EdgeWrites, []string{"sns:Publish"}, false},
		{graph.EdgeAdministers, []string{"sns:SetTopicAttributes", "sns:AddPermission", "sns:DeleteTopic"}, false},
	}}
	typeECR = &resourceType{service: "ecr", accesses: []access{
		{graph.EdgeReads, []string{"ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"}, false},
		{graph.EdgeWrites, []string{"ecr:PutImage", "ecr:CompleteLayerUpload"}, false},
		{graph.EdgeAdministers, []string{"ecr:SetRepositoryPolicy", "ecr:DeleteRepository"}, false},
	}}
	typeLambda = &resourceType{service: "lambda", accesses: []access{
		{graph.EdgeReads, []string{"lambda:GetFunction"}, false}, // code package and environment values
		{graph.EdgeWrites, []string{"lambda:UpdateFunctionCode", "lambda:UpdateFunctionConfiguration"}, false},
		{graph.EdgeAdministers, []string{"lambda:AddPermission", "lambda:DeleteFunction"}, false},
	}}
	typeDynamo = &resourceType{service: "dynamodb", accesses: []access{
		{graph.EdgeReads, []string{"dynamodb:GetItem", "dynamodb:Scan", "dynamodb:Query"}, false},
		{graph.EdgeWrites, []string{"dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem"}, false},
		{graph.EdgeAdministers, []string{"dynamodb:DeleteTable", "dynamodb:PutResourcePolicy"}, false},
	}}
	// RDS: IAM database authentication (rds-db:connect) reads, and so does resetting the master
	// password (Modify* with --master-user-password: the attacker then logs in; network reach to
	// the endpoint is the path engine's to decide); Modify* and Delete* administer. rds-db:connect
	// is evaluated on "dbuser:*/*" because the inventory does not carry the DbiResourceId, so only
	// wildcard grants are seen. A snapshot is data too: restoring it into an instance the
	// attacker creates (and sets the password of) reads it; sharing it (Modify*SnapshotAttribute)
	// or deleting it administers.
	typeRDSInstance = &resourceType{service: "rds", accesses: []access{
		{graph.EdgeReads, []string{"rds:ModifyDBInstance"}, false},
		{graph.EdgeAdministers, []string{"rds:ModifyDBInstance", "rds:DeleteDBInstance"}, false},
	}}
	typeRDSCluster = &resourceType{service: "rds", accesses: []access{
		{graph.EdgeReads, []string{"rds:ModifyDBCluster"}, false},
		{graph.EdgeAdministers, []string{"rds:ModifyDBCluster", "rds:DeleteDBCluster"}, false},
	}}
	typeRDSSnapshot = &resourceType{service: "rds", accesses: []access{
		{graph.EdgeReads, []string{"rds:RestoreDBInstanceFromDBSnapshot"}, false},
		{graph.EdgeAdministers, []string{"rds:ModifyDBSnapshotAttribute", "rds:DeleteDBSnapshot"}, false},
	}}
	typeRDSClusterSnapshot = &resourceType{service: "rds", accesses: []access{
		{graph.EdgeReads, []string{"rds:RestoreDBClusterFromSnapshot"}, false},
		{graph.EdgeAdministers, []string{"rds:ModifyDBClusterSnapshotAttribute", "rds:DeleteDBClusterSnapshot"}, false},
	}}
	rdsConnect = access{graph.EdgeReads, []string{"rds-db:connect"}, false}

	// Reading a configuration that holds a credential (the edge goes to
	// the credential's node; the actions are evaluated on the holder).
	typeLambdaConfig = &resourceType{service: "lambda", technique: "aws.lambda.read-configuration", accesses: []access{
		{graph.EdgeReads, []string{"lambda:GetFunctionConfiguration", "lambda:GetFunction"}, false}}}
	typeUserData = &resourceType{service: "ec2", technique: "aws.ec2.read-user-data", accesses: []access{
		{graph.EdgeReads, []string{"ec2:DescribeInstanceAttribute"}, false}}}
	typeTaskDefConfig = &resourceType{service: "ecs", technique: "aws.ecs.read-task-definition", accesses: []access{
		{graph.EdgeReads, []string{"ecs:DescribeTaskDefinition"}, false}}}
	typeSSMParameter = &resourceType{service: "ssm", technique: "aws.ssm.read-parameter", accesses: []access{
		{graph.EdgeReads, []string{"ssm:GetParameter", "ssm:GetParameters", "ssm:GetParametersByPath"}, false}}}
	typeCodeBuildConfig = &resourceType{service: "codebuild", technique: "aws.codebuild.read-project", accesses: []access{
		{graph.EdgeReads, []string{"codebuild:BatchGetProjects"}, false}}}
	typeBeanstalkConfig = &resourceType{service: "elasticbeanstalk", technique: "aws.elasticbeanstalk.read-configuration", accesses: []access{
		{graph.EdgeReads, []string{"elasticbeanstalk:DescribeConfigurationSettings"}, false}}}
	// A credential in a bucket object: s3:GetObject evaluated on the object's own ARN under the
	// bucket policy, so grants on its key or a prefix count and grants elsewhere do not.
	typeS3ObjectConfig = &resourceType{service: "s3", technique: "aws.s3.read-object", accesses: []access{
		{graph.EdgeReads, []string{"s3:GetObject"}, false}}}
)

// dataResource is one resource the identity part draws access edges to.
type dataResource struct {
	id string
	// evalARN, when set, is the resource the actions are evaluated on when
	// it differs from the node the edges go to (a credential's holder).
	evalARN  string
	typ      *resourceType
	accesses []access
	region   string
	policy   *policy.Policy
	connect  string // rds-db:connect resource for RDS with IAM auth
	// named lists own-account principals the resource policy names; specific means results differ
	// between members of a class, so callers are evaluated one by one.
	named    map[string]bool
	specific bool
	// dependent: the policy's effect depends on who the caller is beyond being named (conditions
	// on principal keys, NotPrincipal), so no caller can be decided from per-policy results.
	dependent bool
	// direct: the policy grants to "*" or by NotPrincipal, i.e. possibly without identity permission.
	direct   bool
	external []string // principals outside the account named by Allow statements
	// noPublic: S3 Block Public Access (RestrictPublicBuckets) neutralises public grants.
	noPublic bool
	// tags are the resource's collected tags, which answer aws:ResourceTag/<key> (nil: unknown,
	// the tags could not be read or do not decide access, like an S3 bucket's without ABAC known).
	tags map[string]string
	// objectKeys are the narrower object resources (one key, a prefix) that some policy names
	// in this bucket: a grant on "bucket/flag.txt" alone never matches "bucket/*", so each is
	// evaluated as well (policy.ObjectTargets).
	objectKeys []string
}

type accessKey struct {
	res  int
	kind int
}

type accessResult struct {
	res      policy.Result
	target   string   // the resource the decision was made on (a key pattern for S3 objects)
	evidence []string // shared by every edge built from this result: never modified in place
}

// defaultKeyPolicy stands in for a key policy the collection could not read: AWS's default key
// policy delegates to the account's IAM policies.
const defaultKeyPolicy = `{"Version":"2012-10-17","Statement":[{"Sid":"Enable IAM User Permissions","Effect":"Allow","Principal":{"AWS":"arn:%s:iam::%s:root"},"Action":"kms:*","Resource":"*"}]}`

func (b *builder) collectResources() {
	add := func(id, region, doc string, t *resourceType) *dataResource {
		r := &dataResource{id: id, typ: t, accesses: t.accesses, region: region, named: map[string]bool{}}
		if doc != "" {
			r.policy = b.parsePolicy(id+"#policy", doc)
		}
		b.resources = append(b.resources, r)
		return r
	}
	pab := b.inv.S3AccountPublicAccessBlock
	var identityPolicies []*policy.Policy
	if len(b.inv.S3) > 0 {
		identityPolicies = b.identityPolicies()
	}
	for i := range b.inv.S3 {
		bk := &b.inv.S3[i]
		id := bk.ARN
		if id == "" {
			id = "arn:" + b.partition + ":s3:::" + bk.Name
		}
		r := add(id, bk.Region, bk.Policy, typeS3)
		r.tags = bucketABACTags(bk)
		r.noPublic = (pab != nil && pab.RestrictPublicBuckets) || (bk.PublicAccessBlock != nil && bk.PublicAccessBlock.RestrictPublicBuckets)
		r.objectKeys = policy.ObjectTargets(id, append(identityPolicies, r.policy)...)[1:]
	}
	regions := b.regionNames()
	for _, name := range regions {
		rd := b.inv.Regional[name]
		for i := range rd.KMSKeys {
			k := &rd.KMSKeys[i]
			doc := k.Policy
			if doc == "" {
				doc = fmt.Sprintf(defaultKeyPolicy, b.partition, b.account)
			}
			add(k.ARN, name, doc, typeKMS).tags = knownTags(k.Tags, k.Errors)
		}
		for i := range rd.Secrets {
			add(rd.Secrets[i].ARN, name, rd.Secrets[i].Policy, typeSecret).tags = knownTags(rd.Secrets[i].Tags, rd.Secrets[i].Errors)
		}
		for i := range rd.Queues {
			add(rd.Queues[i].ARN, name, rd.Queues[i].Policy, typeSQS).tags = knownTags(rd.Queues[i].Tags, rd.Queues[i].Errors)
		}
		for i := range rd.Topics {
			add(rd.Topics[i].ARN, name, rd.Topics[i].Policy, typeSNS).tags = knownTags(rd.Topics[i].Tags, rd.Topics[i].Errors)
		}
		for i := range rd.Repositories {
			add(rd.Repositories[i].ARN, name, rd.Repositories[i].Policy, typeECR).tags = knownTags(rd.Repositories[i].Tags, rd.Repositories[i].Errors)
		}
		for i := range rd.Functions {
			add(rd.Functions[i].ARN, name, rd.Functions[i].Policy, typeLambda).tags = knownTags(rd.Functions[i].Tags, rd.Functions[i].Errors)
		}
		for i := range rd.Tables {
			add(rd.Tables[i].ARN, name, rd.Tables[i].Policy, typeDynamo).tags = knownTags(rd.Tables[i].Tags, rd.Tables[i].Errors)
		}
		// A parameter is data in its own right (CloudGoat glue_privesc's objective is a String
		// parameter), besides the credentials a scan finds in String values (collectCredentialHolders).
		for i := range rd.SSMParameters {
			add(rd.SSMParameters[i].ARN, name, "", typeSSMParameter).tags = knownTags(rd.SSMParameters[i].Tags, rd.SSMParameters[i].Errors)
		}
		for i := range rd.DBInstances {
			db := &rd.DBInstances[i]
			r := add(db.ARN, name, "", typeRDSInstance)
			r.tags = knownTags(db.Tags, nil)
			if db.IAMAuth {
				r.accesses = append([]access{rdsConnect}, r.accesses...)
				r.connect = "arn:" + b.partition + ":rds-db:" + name + ":" + b.account + ":dbuser:*/*"
			}
		}
		for i := range rd.DBSnapshots {
			s := &rd.DBSnapshots[i]
			if s.ARN == "" {
				continue
			}
			t := typeRDSSnapshot
			if s.Cluster {
				t = typeRDSClusterSnapshot
			}
			add(s.ARN, name, "", t).tags = knownTags(s.Tags, nil)
		}
		for i := range rd.DBClusters {
			db := &rd.DBClusters[i]
			r := add(db.ARN, name, "", typeRDSCluster)
			r.tags = knownTags(db.Tags, nil)
			if db.IAMAuth {
				r.accesses = append([]access{rdsConnect}, r.accesses...)
				r.connect = "arn:" + b.partition + ":rds-db:" + name + ":" + b.account + ":dbuser:*/*"
			}
		}
	}
	b.collectCredentialHolders(add)
	b.dataTags = make(map[string]map[string]string, len(b.resources))
	for _, r := range b.resources {
		if r.tags != nil && r.evalARN == "" {
			b.dataTags[r.id] = r.tags
		}
	}
	for _, r := range b.resources {
		b.classifyResourcePolicy(r)
	}
}

// identityPolicies lists every identity policy and boundary some principal holds, once each:
// the policies whose Resource patterns may name single objects.
func (b *builder) identityPolicies() []*policy.Policy {
	seen := map[*policy.Policy]bool{}
	var out []*policy.Policy
	for _, p := range b.principals {
		for _, x := range append(slices.Clip(p.set.Identity), p.set.Boundary) {
			if x != nil && !seen[x] {
				seen[x] = true
				out = append(out, x)
			}
		}
	}
	return out
}

// collectCredentialHolders adds, for every credential found in a
// configuration, a resource whose node is the credential and whose actions
// are the configuration reads, evaluated on the holder.
func (b *builder) collectCredentialHolders(add func(id, region, doc string, t *resourceType) *dataResource) {
	regions := b.regionNames()
	hold := func(holder, region string, t *resourceType, creds []inventory.ConfigCredential) {
		for _, c := range creds {
			r := add(inventory.CredentialNodeID(holder, c.Location), region, "", t)
			r.evalARN = holder
		}
	}
	// Objects of configuration buckets (collect aws --scan-config-objects): the credential's holder
	// is the bucket, the read is evaluated on the object under the bucket policy.
	pab := b.inv.S3AccountPublicAccessBlock
	for i := range b.inv.S3 {
		bk := &b.inv.S3[i]
		if bk.ConfigScan == nil {
			continue
		}
		id := bk.ARN
		if id == "" {
			id = "arn:" + b.partition + ":s3:::" + bk.Name
		}
		for _, o := range bk.ConfigScan.Objects {
			for _, c := range o.Credentials {
				r := add(inventory.CredentialNodeID(id, c.Location), bk.Region, bk.Policy, typeS3ObjectConfig)
				r.evalARN = id + "/" + o.Key
				r.tags = bucketABACTags(bk)
				r.noPublic = (pab != nil && pab.RestrictPublicBuckets) || (bk.PublicAccessBlock != nil && bk.PublicAccessBlock.RestrictPublicBuckets)
			}
		}
	}
	for _, name := range regions {
		rd := b.inv.Regional[name]
		if rd == nil {
			continue
		}
		for i := range rd.Functions {
			hold(rd.Functions[i].ARN, name, typeLambdaConfig, rd.Functions[i].Credentials)
		}
		for i := range rd.Instances {
			in := &rd.Instances[i]
			if in.State == "terminated" || len(in.Credentials) == 0 {
				continue
			}
			arn := in.ARN
			if arn == "" {
				arn = "arn:" + b.partition + ":ec2:" + name + ":" + b.account + ":instance/" + in.ID
			}
			hold(arn, name, typeUserData, in.Credentials)
		}
		for i := range rd.TaskDefinitions {
			td := &rd.TaskDefinitions[i]
			for _, c := range td.Containers {
				hold(td.ARN, name, typeTaskDefConfig, c.Credentials)
			}
		}
		for i := range rd.SSMParameters {
			hold(rd.SSMParameters[i].ARN, name, typeSSMParameter, rd.SSMParameters[i].Credentials)
		}
		for i := range rd.CodeBuildProjects {
			hold(rd.CodeBuildProjects[i].ARN, name, typeCodeBuildConfig, rd.CodeBuildProjects[i].Credentials)
		}
		for i := range rd.BeanstalkEnvironments {
			hold(rd.BeanstalkEnvironments[i].ARN, name, typeBeanstalkConfig, rd.BeanstalkEnvironments[i].Credentials)
		}
	}
}

// classifyResourcePolicy records whom a resource policy names, to decide which callers to evaluate.
func (b *builder) classifyResourcePolicy(r *dataResource) {
	if r.policy == nil {
		return
	}
	r.specific = principalDependent(r.policy)
	r.dependent = r.specific
	for _, st := range r.policy.Statements {
		if st.Principal == nil {
			continue
		}
		if st.NotPrincipal {
			r.specific, r.dependent = true, true
			if st.Effect == policy.Allow {
				r.direct = true
			}
			continue
		}
		if st.Principal.Wildcard && st.Effect == policy.Allow {
			r.direct = true
		}
		for _, a := range st.Principal.AWS {
			if a == "*" {
				if st.Effect == policy.Allow {
					r.direct = true
				}
				continue
			}
			if isAccountID(a) {
				a = b.iamARN(a, "root")
			}
			acct := arnAccount(a)
			switch {
			case acct == b.account && strings.HasSuffix(a, ":root"):
			case acct == b.account:
				r.specific = true
				r.named[a] = true
				if st.Effect == policy.Deny {
					// A deny aimed at one principal would make its policy hubs lie for it.
					r.dependent = true
				}
			case acct != "" && st.Effect == policy.Allow:
				if id, _ := b.principalRef(a); id != "" && !slices.Contains(r.external, id) {
					r.external = append(r.external, id)
				}
			}
		}
	}
}

// requestContext is what the graph assumes about an attacker's request: HTTPS (every SDK default),
// the resource's region, and now. Everything else (source IP, VPC endpoint, MFA) stays unknown and
// makes decisions depending on it Conditional.
//
// The returned map is shared per region and must not be modified: copy it to add keys.
func (b *builder) requestContext(region string) map[string][]string {
	if c, ok := b.ctxCache[region]; ok {
		return c
	}
	if b.ctxCache == nil {
		b.ctxCache = map[string]map[string][]string{}
	}
	ctx := map[string][]string{
		"aws:SecureTransport": {"true"},
		"aws:CurrentTime":     {b.now.UTC().Format(time.RFC3339)},
		"aws:EpochTime":       {strconv.FormatInt(b.now.Unix(), 10)},
	}
	if region != "" {
		ctx["aws:RequestedRegion"] = []string{region}
	}
	b.ctxCache[region] = ctx
	return ctx
}

// homeRegion is the region assumed for "create" actions whose region the attacker picks: the
// first collected region.
func (b *builder) homeRegion() string {
	if len(b.inv.Regions) > 0 {
		return b.inv.Regions[0]
	}
	return b.globalRegion()
}

// globalRegion is the region IAM and STS requests are signed for.
func (b *builder) globalRegion() string {
	switch b.partition {
	case "aws-cn":
		return "cn-north-1"
	case "aws-us-gov":
		return "us-gov-west-1"
	}
	return "us-east-1"
}

// targets lists the resources an access is evaluated on: the object space ("<arn>/*") and
// every narrower key or prefix a policy names for object accesses, the resource otherwise.
func (r *dataResource) targets(a access) []string {
	t := r.target(a)
	if !a.object || len(r.objectKeys) == 0 {
		return []string{t}
	}
	return append([]string{t}, r.objectKeys...)
}

func (r *dataResource) target(a access) string {
	switch {
	case a.object:
		return r.id + "/*"
	case r.connect != "" && a.actions[0] == "rds-db:connect":
		return r.connect
	case r.evalARN != "":
		return r.evalARN
	}
	return r.id
}

// evalAccess decides one access for one caller: the best decision over the access's actions and
// targets (a grant on one object is access to the bucket's data), and the target it was made on.
//
// The caller acts from outside any VPC endpoint: aws:SourceVpce, aws:SourceVpc, aws:SourceVpcArn
// and aws:VpcSourceIp are absent, as they are on every request that does not pass an endpoint.
// Access through an endpoint is drawn from the workloads that use one (endpointAccess).
func (b *builder) evalAccess(caller policy.Principal, set policy.PolicySet, r *dataResource, a access) (policy.Result, string) {
	return b.evalAccessIn(caller, set, r, a, b.requestContext(r.region), vpcSourceKeys)
}

// evalAccessIn is evalAccess with a given request context and keys known to be absent.
func (b *builder) evalAccessIn(caller policy.Principal, set policy.PolicySet, r *dataResource, a access, ctx map[string][]string, absent []string) (policy.Result, string) {
	set.Resource = r.policy
	set.RCPs = b.rcps
	set.ResourceIsManagementAccount = b.mgmt
	set.ResourcePolicyRequired = r.typ.policyRequired
	var best policy.Result
	bestTarget := ""
	for _, target := range r.targets(a) {
		for _, act := range a.actions {
			res := b.ev.Evaluate(policy.Request{Principal: caller, Action: act, Resource: target, ResourceTags: r.tags, ResourceAccount: b.account, Context: ctx, AbsentKeys: absent}, set)
			if rank(res.Decision) > rank(best.Decision) || bestTarget == "" {
				best, bestTarget = res, target
			}
			if res.Decision == policy.Allowed {
				return best, bestTarget
			}
		}
	}
	return best, bestTarget
}

func rank(d policy.Decision) int {
	switch d {
	case policy.Allowed:
		return 3
	case policy.Conditional:
		return 2
	case policy.ImplicitDeny:
		return 1
	}
	return 0
}

// identityMayCover is a cheap necessary condition for an identity-side allow: some Allow statement
// covering one of the actions has a Resource pattern matching the target.
func (b *builder) identityMayCover(c *class, a access, targets []string) bool {
	for _, act := range a.actions {
		idx, ok := b.lookup(act)
		if ok && !c.anyYes.Has(idx) && !c.anyMay.Has(idx) {
			continue
		}
		for _, g := range b.classGrants(c, act) {
			if g.Kind != policy.KindIdentity || g.Effect != policy.Allow {
				continue
			}
			if g.NotResources || g.Resources == nil {
				return true
			}
			for _, pat := range g.Resources {
				if strings.Contains(pat, "${") || slices.ContainsFunc(targets, func(t string) bool { return globMatch(pat, t) }) {
					return true
				}
			}
		}
	}
	return false
}

func (b *builder) classGrants(c *class, action string) []policy.Grant {
	// Classes are shared between escalation workers.
	b.mu.Lock()
	g, ok := c.grants[action]
	b.mu.Unlock()
	if ok {
		return g
	}
	g = policy.Grants(c.rep.caller, c.rep.set, action)
	b.mu.Lock()
	if prev, ok := c.grants[action]; ok {
		g = prev
	} else {
		c.grants[action] = g
	}
	b.mu.Unlock()
	return g
}

// dataAccess emits READS / WRITES / ADMINISTERS / DECRYPTS edges from principals, policies,
// external principals, the anonymous principal and the account administrator to the account's
// data resources. See hubs.go for how most principals are decided without a per-resource
// evaluation.
func (b *builder) dataAccess(ctx context.Context) error {
	b.collectResources()
	for _, r := range b.resources {
		for _, a := range r.accesses {
			b.adminAccess(r, a, strings.Join(a.actions, "|"))
			b.externalAccess(r, a)
		}
	}
	// Principals are decided in parallel (see ordered). What they share and fill lazily is filled
	// first, in principal order, so that it holds exactly what the sequential loop computed:
	// per-policy info, request contexts, each shared policy's decisions (and its policy ->
	// resource edges, whose keys no principal edge has) and the boundary-cover answers, which
	// the first principal asking decides.
	b.preparePolicies()
	for _, r := range b.resources {
		b.requestContext(r.region)
	}
	var attackers []*principal
	var decomposable []bool
	for i, p := range b.principals {
		if i%256 == 0 && ctx.Err() != nil {
			return ctx.Err()
		}
		// Admin-equivalent principals reach data through the administrator node.
		if p.admin {
			continue
		}
		d := b.decomposable(p)
		attackers, decomposable = append(attackers, p), append(decomposable, d)
		if d {
			b.prepareDecomposed(p)
		}
	}
	views := make([]*builder, workers(len(attackers)))
	for w := range views {
		views[w] = b.view()
	}
	// Workers read no nodes, edges or findings (policy nodes come from preparePolicies' record,
	// made above): replays may overlap the next batch.
	err := b.ordered(ctx, len(attackers), views, true, func(w, i int) {
		v, p := views[w], attackers[i]
		if decomposable[i] {
			v.decomposedAccess(p)
		}
		for ri, r := range v.resources {
			if decomposable[i] && !r.dependent && !r.direct && !r.named[p.id] {
				continue
			}
			for ai, a := range r.accesses {
				v.fullAccess(p, ri, ai, r, a)
			}
		}
	})
	if err != nil {
		return err
	}
	return b.retagAccess(ctx)
}

// fullAccess decides one principal's access to one resource with a complete evaluation, shared
// by the principal's class when the resource policy does not single principals out.
func (b *builder) fullAccess(p *principal, ri, ai int, r *dataResource, a access) {
	if !(r.direct || r.named[p.id]) && !b.identityMayCover(p.class, a, r.targets(a)) {
		return
	}
	var cached accessResult
	k := accessKey{res: ri, kind: ai}
	if r.specific {
		cached.res, cached.target = b.evalAccess(p.caller, p.set, r, a)
	} else {
		// Classes are shared between parallel workers; a result two workers compute at once is
		// the same either way.
		b.mu.Lock()
		c, ok := p.class.access[k]
		b.mu.Unlock()
		if cached = c; !ok {
			cached.res, cached.target = b.evalAccess(p.class.rep.caller, p.class.rep.set, r, a)
			b.mu.Lock()
			p.class.access[k] = cached
			b.mu.Unlock()
		}
	}
	if !granted(cached.res.Decision) {
		return
	}
	if cached.evidence == nil {
		cached.evidence = decisionEvidence(strings.Join(a.actions, "|"), cached.target, cached.res)
		if !r.specific {
			b.mu.Lock()
			p.class.access[k] = cached
			b.mu.Unlock()
		}
	}
	b.addEdge(graph.Edge{From: p.id, To: r.id, Kind: a.edge, Technique: accessTechnique(r.typ, a.edge),
		Conditional: cached.res.Decision == policy.Conditional, Evidence: cached.evidence})
}

// adminAccess draws the account administrator's access to a resource: whoever holds the
// administrator node can do what AdministratorAccess allows under the SCPs, RCPs and the resource
// policy. Admin-equivalent principals get no edges of their own, which keeps the edge count linear.
func (b *builder) adminAccess(r *dataResource, a access, actions string) {
	admin := b.adminID(b.account)
	caller := policy.Principal{ARN: admin, AccountID: b.account, Type: policy.TypeRole, Name: "account-admin", Tags: map[string]string{}}
	set := policy.PolicySet{Identity: []*policy.Policy{administratorAccess}, SCPs: b.scps, CallerIsManagementAccount: b.mgmt}
	res, target := b.evalAccess(caller, set, r, a)
	if !granted(res.Decision) {
		return
	}
	b.addEdge(graph.Edge{From: admin, To: r.id, Kind: a.edge, Technique: accessTechnique(r.typ, a.edge),
		Conditional: res.Decision == policy.Conditional, Evidence: decisionEvidence(actions, target, res)})
}

func accessTechnique(t *resourceType, e graph.EdgeKind) string {
	if t.technique != "" {
		return t.technique
	}
	return "aws." + t.service + "." + strings.ToLower(string(e))
}

// externalAccess handles callers outside the account: named external accounts and anyone.
func (b *builder) externalAccess(r *dataResource, a access) {
	if r.policy == nil {
		return
	}
	for _, id := range r.external {
		res, target := b.evalAccess(externalCaller(id), policy.PolicySet{}, r, a)
		if !granted(res.Decision) {
			continue
		}
		e := graph.Edge{From: id, To: r.id, Kind: a.edge, Technique: accessTechnique(r.typ, a.edge),
			Conditional: res.Decision == policy.Conditional, Evidence: decisionEvidence(strings.Join(a.actions, "|"), target, res)}
		acct := arnAccount(id)
		if b.orgAccts[acct] {
			e.Conditional = true
			e.Evidence = append(e.Evidence, "caller's own permission in account "+acct+" not evaluated in this scope")
		} else {
			e.Findings = append(e.Findings, b.addFinding(graph.Finding{RuleID: RuleCrossAccountResource, Resource: r.id,
				Severity: graph.SeverityMedium, Title: "Resource policy grants access to an account outside the organization",
				Evidence:    fmt.Sprintf("%s lets %s (account %s) %s", r.id+"#policy", id, acct, strings.ToLower(string(a.edge))),
				Remediation: "Confirm the external account is a trusted partner; scope the grant to specific principals and conditions, or remove it."}))
		}
		b.addEdge(e)
	}
	// Anonymous access to buckets (policy and ACL, with Block Public Access) is the resource part's
	// (collector/aws/resources, technique aws.s3.public-policy); emitting it here too would duplicate it.
	if !r.direct || r.noPublic || r.typ == typeS3 || r.typ == typeS3ObjectConfig {
		return
	}
	anon := policy.Principal{Type: policy.TypeAnonymous, ARN: "*", Name: "*"}
	res, target := b.evalAccess(anon, policy.PolicySet{}, r, a)
	if !granted(res.Decision) {
		return
	}
	// Only S3 serves unsigned requests (handled above by the resources part): on every other
	// service Principal "*" admits any principal of any AWS account that signs its request.
	e := graph.Edge{From: b.anyAWSPrincipalNode(), To: r.id, Kind: a.edge, Technique: "aws." + r.typ.service + ".public-policy",
		Conditional: res.Decision == policy.Conditional, Evidence: append(decisionEvidence(strings.Join(a.actions, "|"), target, res),
			`Principal "*" on `+r.typ.service+`, which accepts only signed requests: any authenticated principal of any AWS account, not an anonymous Internet caller`)}
	if res.Decision == policy.Allowed {
		sev := graph.SeverityHigh
		if a.edge != graph.EdgeReads && a.edge != graph.EdgeDecrypts {
			sev = graph.SeverityCritical
		}
		e.Findings = append(e.Findings, b.addFinding(graph.Finding{RuleID: RulePublicResourcePolicy, Resource: r.id, Severity: sev,
			Title:       `Resource policy allows any AWS principal (Principal "*")`,
			Evidence:    strings.Join(e.Evidence, "; "),
			Remediation: `Remove Principal "*" grants or restrict them with aws:PrincipalOrgID / aws:SourceVpce conditions; for S3 enable Block Public Access.`}))
	}
	b.addEdge(e)
}

// knownTags returns a resource's collected tags as the ABAC answer: an empty map when it carries
// none, nil (unknown) when reading them failed (an "tags: ..." entry of its errors).
func knownTags(tags inventory.Tags, errs []string) map[string]string {
	for _, e := range errs {
		if strings.HasPrefix(e, "tags:") {
			return nil
		}
	}
	if tags == nil {
		return map[string]string{}
	}
	return tags
}

// bucketABACTags: a general purpose bucket's tags answer aws:ResourceTag/<key> only once ABAC is
// enabled on it (S3 GetBucketAbac); with ABAC disabled the key is absent whatever the tags, and
// when the status was not read the tags decide nothing (nil: unknown, conditional).
func bucketABACTags(bk *inventory.Bucket) map[string]string {
	switch bk.ABAC {
	case inventory.BucketABACEnabled:
		return knownTags(bk.Tags, bk.Errors)
	case inventory.BucketABACDisabled:
		return map[string]string{}
	}
	return nil
}
