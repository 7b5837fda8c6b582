package terraform

import (
	"fmt"
	"sort"
	"strings"

	"github.com/breachpath/breachpath/collector/aws/inventory"
	"github.com/breachpath/breachpath/graph"
)

// builder turns one side's resources into one inventory.
type builder struct {
	opts        Options
	refs        map[string][]string
	planned     bool
	inv         *inventory.Inventory
	owners      map[string]string // node id -> address
	assumptions []string

	roles    map[string]*inventory.Role // by address, name and ARN
	policies map[string]*inventory.ManagedPolicy
	profiles map[string]*inventory.InstanceProfile
	buckets  map[string]*inventory.Bucket
	groups   map[string]*inventory.SecurityGroup
	funcs    map[string]*inventory.LambdaFunction
	byAddr   map[string]bool

	users        map[string]*inventory.User
	iamGroups    map[string]*inventory.Group
	groupCauses  [][2]string // group name, address changing its policies
	dbs          map[string]*inventory.DBInstance
	dbPlaced     []dbPlacement
	clusters     map[string]*inventory.DBCluster
	subnetGroups map[string]*subnetGroup
	secrets      map[string]*inventory.Secret
	keys         map[string]*inventory.KMSKey
	queues       map[string]*inventory.Queue
	topics       map[string]*inventory.Topic
	vpcs         map[string]*inventory.VPC
	subnets      map[string]*inventory.Subnet
	igws         map[string]*inventory.InternetGateway
	nats         map[string]*inventory.NATGateway
	routeTables  map[string]*inventory.RouteTable
	// netOwner maps a network resource id to its address; netCauses to
	// the attachments (routes, associations) that change its routing.
	netOwner  map[string]string
	netCauses map[string][]string
	// via maps a node id to addresses that change the moves onto or from
	// it without changing the node (a route making its subnet public, a
	// group policy its member holds).
	via map[string][]string
	// stored answers for resources the plan references but does not hold.
	stored *Stored
	// principalsInPlan: the plan holds principals, policies or workloads,
	// through which stored data may become reachable.
	principalsInPlan bool
}

func newBuilder(opts Options, refs map[string][]string, planned bool) *builder {
	return &builder{opts: opts, refs: refs, planned: planned, owners: map[string]string{},
		roles: map[string]*inventory.Role{}, policies: map[string]*inventory.ManagedPolicy{},
		profiles: map[string]*inventory.InstanceProfile{}, buckets: map[string]*inventory.Bucket{},
		groups: map[string]*inventory.SecurityGroup{}, funcs: map[string]*inventory.LambdaFunction{},
		byAddr: map[string]bool{},
		users:  map[string]*inventory.User{}, iamGroups: map[string]*inventory.Group{}, dbs: map[string]*inventory.DBInstance{},
		clusters: map[string]*inventory.DBCluster{}, subnetGroups: map[string]*subnetGroup{}, secrets: map[string]*inventory.Secret{},
		keys: map[string]*inventory.KMSKey{}, queues: map[string]*inventory.Queue{}, topics: map[string]*inventory.Topic{},
		vpcs: map[string]*inventory.VPC{}, subnets: map[string]*inventory.Subnet{}, igws: map[string]*inventory.InternetGateway{},
		nats: map[string]*inventory.NATGateway{}, routeTables: map[string]*inventory.RouteTable{},
		netOwner: map[string]string{}, netCauses: map[string][]string{}, via: map[string][]string{},
		stored: opts.Stored}
}

// readAreas are the collector areas a plan inventory claims to have read:
// the transform treats an area it did not read as failed and drops stubs.
var readAreas = []string{"iam", "s3", "ec2", "lambda", "rds", "secretsmanager", "kms", "sqs", "sns"}

func (b *builder) assume(format string, args ...any) {
	if b.planned {
		b.assumptions = append(b.assumptions, fmt.Sprintf(format, args...))
	}
}

func (b *builder) arn(service, region, resource string) string {
	return "arn:" + b.opts.Partition + ":" + service + ":" + region + ":" + b.opts.AccountID + ":" + resource
}

func placeholder(addr string) string { return "tf:" + addr }

func (b *builder) build(rs []resource) *inventory.Inventory {
	b.inv = &inventory.Inventory{AccountID: b.opts.AccountID, Partition: b.opts.Partition, Regions: []string{b.opts.Region}}
	for _, area := range readAreas {
		region := b.opts.Region
		if area == "iam" || area == "s3" {
			region = ""
		}
		b.inv.Coverage.Read = append(b.inv.Coverage.Read, graph.Area{Service: area, Region: region})
	}
	if b.inv.Coverage.Read != nil {
		b.inv.IAM.AllInstanceProfiles = true
	}
	for _, r := range rs {
		b.byAddr[r.addr] = true
		if strings.HasPrefix(r.typ, "aws_iam_") || r.typ == "aws_instance" || r.typ == "aws_lambda_function" {
			b.principalsInPlan = true
		}
	}
	// primary resources first, so that attachments find what they attach
	// to; network first of all, so that placements resolve
	for _, r := range rs {
		b.primaryNetwork(r)
	}
	for _, r := range rs {
		b.attachNetwork(r)
	}
	for _, r := range rs {
		b.primary(r)
		b.primaryIAM(r)
		b.primaryData(r)
	}
	for _, r := range rs {
		b.attachment(r)
		b.attachIAM(r)
		b.attachData(r)
	}
	b.stored.addTargets(b)
	// write back the pointed-to values
	for _, r := range uniqueRoles(b.roles) {
		b.inv.IAM.Roles = append(b.inv.IAM.Roles, *r)
	}
	for _, p := range uniquePolicies(b.policies) {
		b.inv.IAM.Policies = append(b.inv.IAM.Policies, *p)
	}
	for _, p := range uniqueProfiles(b.profiles) {
		b.inv.IAM.InstanceProfiles = append(b.inv.IAM.InstanceProfiles, *p)
	}
	for _, bk := range uniqueBuckets(b.buckets) {
		b.inv.S3 = append(b.inv.S3, *bk)
	}
	reg := b.inv.Region(b.opts.Region)
	for _, f := range uniqueFuncs(b.funcs) {
		reg.Functions = append(reg.Functions, *f)
	}
	b.placeDatabases()
	b.networkContext(reg)
	for _, g := range uniqueGroups(b.groups) {
		reg.SecurityGroups = append(reg.SecurityGroups, *g)
	}
	b.writeBack(reg)
	return b.inv
}

// ref resolves a reference attribute: its known value, else the addresses
// its configuration expression references.
func (b *builder) ref(r resource, attr string) (value string, addrs []string) {
	if v := r.obj.str(attr); v != "" && !r.obj.isUnknown(attr) {
		return v, nil
	}
	for _, a := range b.refs[r.addr+"\x00"+attr] {
		if b.byAddr[a] {
			addrs = append(addrs, a)
		}
	}
	// for_each / count instances: the configuration names the resource
	// without its index
	if len(addrs) == 0 {
		if i := strings.IndexByte(r.addr, '['); i > 0 {
			for _, a := range b.refs[r.addr[:i]+"\x00"+attr] {
				if b.byAddr[a] {
					addrs = append(addrs, a)
				}
			}
		}
	}
	return "", addrs
}

func lookup[T any](m map[string]*T, value string, addrs []string) *T {
	if value != "" {
		if v, ok := m[value]; ok {
			return v
		}
	}
	for _, a := range addrs {
		if v, ok := m[a]; ok {
			return v
		}
	}
	return nil
}

func (b *builder) own(id, addr string) { b.owners[id] = addr }

func (b *builder) primary(r resource) {
	o := r.obj
	switch r.typ {
	case "aws_iam_role":
		name, path, arn := b.iamIdentity(r, "role")
		role := &inventory.Role{Name: name, Path: path, ARN: arn, Tags: o.tags()}
		role.TrustPolicy = b.policy(r, "assume_role_policy", "trust policy", openTrust)
		for i, ip := range o.blocks("inline_policy") {
			if ip.str("name") == "" && ip.str("policy") == "" && !ip.isUnknown("policy") {
				continue
			}
			doc := ip.str("policy")
			if ip.isUnknown("policy") {
				b.assume("%s inline_policy[%d] is unknown until apply: assumed to allow every action", r.addr, i)
				doc = openIdentityPolicy
			}
			role.InlinePolicies = append(role.InlinePolicies, inventory.InlinePolicy{Name: ip.str("name"), Document: doc})
		}
		for _, a := range o.strings("managed_policy_arns") {
			role.AttachedPolicies = append(role.AttachedPolicies, inventory.AttachedPolicy{ARN: a, Name: lastSegment(a)})
		}
		b.index(b.roles, r.addr, role, name, role.ARN)
		b.own(role.ARN, r.addr)
	case "aws_iam_policy":
		name, path, arn := b.iamIdentity(r, "policy")
		p := &inventory.ManagedPolicy{Name: name, Path: path, ARN: arn, IsAttachable: true, DefaultVersionID: "v1", Tags: o.tags()}
		p.Document = b.policy(r, "policy", "policy document", openIdentityPolicy)
		b.index(b.policies, r.addr, p, name, p.ARN)
		b.own(p.ARN, r.addr)
	case "aws_iam_instance_profile":
		name, path, arn := b.iamIdentity(r, "instance-profile")
		p := &inventory.InstanceProfile{Name: name, Path: path, ARN: arn, Tags: o.tags()}
		b.index(b.profiles, r.addr, p, name, p.ARN)
		b.own(p.ARN, r.addr)
	case "aws_s3_bucket":
		name := o.str("bucket")
		bk := &inventory.Bucket{Name: name, ARN: o.str("arn"), Region: b.opts.Region, Tags: o.tags()}
		if bk.ARN == "" {
			if name == "" {
				bk.ARN = placeholder(r.addr)
				bk.Name = r.addr
			} else {
				bk.ARN = "arn:" + b.opts.Partition + ":s3:::" + name
			}
		}
		if p := o.str("policy"); p != "" {
			bk.Policy = p
		}
		if acl := o.str("acl"); acl != "" {
			bk.ACL = cannedACL(acl)
		}
		b.index(b.buckets, r.addr, bk, name, bk.ARN)
		b.own(bk.ARN, r.addr)
	case "aws_security_group":
		id := o.str("id")
		if id == "" || o.isUnknown("id") {
			id = placeholder(r.addr)
		}
		g := &inventory.SecurityGroup{ID: id, Name: o.str("name"), VPCID: o.str("vpc_id"), OwnerID: b.opts.AccountID, Tags: o.tags()}
		g.ARN = b.arn("ec2", b.opts.Region, "security-group/"+id)
		for i, rule := range o.blocks("ingress") {
			g.Ingress = append(g.Ingress, b.sgRule(r.addr, fmt.Sprintf("ingress[%d]", i), rule, "protocol", "cidr_blocks", "ipv6_cidr_blocks"))
		}
		for i, rule := range o.blocks("egress") {
			g.Egress = append(g.Egress, b.sgRule(r.addr, fmt.Sprintf("egress[%d]", i), rule, "protocol", "cidr_blocks", "ipv6_cidr_blocks"))
		}
		b.index(b.groups, r.addr, g, id)
		b.own(g.ARN, r.addr)
	case "aws_lambda_function":
		name := o.str("function_name")
		f := &inventory.LambdaFunction{Name: name, ARN: o.str("arn"), Runtime: o.str("runtime"), Handler: o.str("handler"), Tags: o.tags()}
		if f.ARN == "" {
			if name == "" {
				f.ARN = placeholder(r.addr)
			} else {
				f.ARN = b.arn("lambda", b.opts.Region, "function:"+name)
			}
		}
		// only variable names, never values
		for _, env := range o.blocks("environment") {
			if vars, ok := env.vals["variables"].(map[string]any); ok {
				for k := range vars {
					f.EnvironmentNames = append(f.EnvironmentNames, k)
				}
			}
		}
		sort.Strings(f.EnvironmentNames)
		v, addrs := b.ref(r, "role")
		if role := lookup(b.roles, v, addrs); role != nil {
			f.Role = role.ARN
		} else {
			f.Role = v
		}
		b.index(b.funcs, r.addr, f, name, f.ARN)
		b.own(f.ARN, r.addr)
	case "aws_instance":
		b.instance(r)
	}
}

// iamIdentity returns an IAM resource's name, path and ARN: the planned
// ARN, else built from the name as IAM builds it, else a placeholder.
func (b *builder) iamIdentity(r resource, kind string) (name, path, arn string) {
	name, path, arn = r.obj.str("name"), r.obj.str("path"), r.obj.str("arn")
	if path == "" {
		path = "/"
	}
	switch {
	case arn != "" && !r.obj.isUnknown("arn"):
	case name == "":
		arn = placeholder(r.addr)
	default:
		arn = b.arn("iam", "", kind+path+name)
	}
	return name, path, arn
}

func (b *builder) index(m any, addr string, v any, keys ...string) {
	switch mm := m.(type) {
	case map[string]*inventory.Role:
		put(mm, v.(*inventory.Role), addr, keys)
	case map[string]*inventory.ManagedPolicy:
		put(mm, v.(*inventory.ManagedPolicy), addr, keys)
	case map[string]*inventory.InstanceProfile:
		put(mm, v.(*inventory.InstanceProfile), addr, keys)
	case map[string]*inventory.Bucket:
		put(mm, v.(*inventory.Bucket), addr, keys)
	case map[string]*inventory.SecurityGroup:
		put(mm, v.(*inventory.SecurityGroup), addr, keys)
	case map[string]*inventory.LambdaFunction:
		put(mm, v.(*inventory.LambdaFunction), addr, keys)
	}
}

func put[T any](m map[string]*T, v *T, addr string, keys []string) {
	m[addr] = v
	for _, k := range keys {
		if k != "" {
			m[k] = v
		}
	}
}

// policy returns a policy attribute's JSON text; an unknown one is replaced
// by open, and the assumption recorded.
func (b *builder) policy(r resource, attr, what, open string) string {
	if r.obj.isUnknown(attr) {
		b.assume("%s %s is unknown until apply: assumed to allow everything", r.addr, what)
		return open
	}
	return policyText(r.obj.str(attr))
}

// Conservative stand-ins for policies whose text is unknown until apply.
const (
	openIdentityPolicy = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}`
	openTrust          = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"*"},"Action":"sts:AssumeRole"}]}`
)

func openResourcePolicy(arn string) string {
	return `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"*","Resource":["` + arn + `","` + arn + `/*"]}]}`
}

func (b *builder) sgRule(addr, where string, o object, protoKey, v4Key, v6Key string) inventory.SGRule {
	if where != "" {
		addr += " " + where
	}
	rule := inventory.SGRule{Protocol: o.str(protoKey), FromPort: o.integer("from_port"), ToPort: o.integer("to_port")}
	if rule.Protocol == "" || o.isUnknown(protoKey) {
		rule.Protocol = "-1"
	}
	if rule.Protocol == "all" {
		rule.Protocol = "-1"
	}
	if o.isUnknown(v4Key) {
		b.assume("%s source CIDR is unknown until apply: assumed 0.0.0.0/0", addr)
		rule.CIDRs = []string{"0.0.0.0/0"}
	} else {
		rule.CIDRs = o.strings(v4Key)
	}
	if v6Key != "" {
		rule.IPv6CIDRs = o.strings(v6Key)
	}
	if o.isUnknown("from_port") || o.isUnknown("to_port") {
		b.assume("%s port range is unknown until apply: assumed every port", addr)
		rule.FromPort, rule.ToPort = 0, 65535
	}
	return rule
}

func (b *builder) instance(r resource) {
	o := r.obj
	id := o.str("id")
	if id == "" || o.isUnknown("id") {
		id = placeholder(r.addr)
	}
	in := inventory.Instance{ID: id, State: "running", InstanceType: o.str("instance_type"), ImageID: o.str("ami"),
		SubnetID: b.subnetRef(r, "subnet_id"), Tags: o.tags(), PrivateIP: o.str("private_ip")}
	in.ARN = b.arn("ec2", b.opts.Region, "instance/"+id)
	for _, g := range o.strings("vpc_security_group_ids") {
		in.SecurityGroupIDs = append(in.SecurityGroupIDs, g)
	}
	if o.isUnknown("vpc_security_group_ids") {
		for _, a := range b.refs[r.addr+"\x00vpc_security_group_ids"] {
			if g, ok := b.groups[a]; ok {
				in.SecurityGroupIDs = append(in.SecurityGroupIDs, g.ID)
			}
		}
	}
	in.SecurityGroupIDs = dedupe(in.SecurityGroupIDs)
	// a planned group's id may be a placeholder; a known one stays as AWS spells it
	v, addrs := b.ref(r, "iam_instance_profile")
	if p := lookup(b.profiles, v, addrs); p != nil {
		in.InstanceProfileARN = p.ARN
	} else if p, roles := b.stored.profile(v); p != nil {
		// a profile only the store holds: its roles come with it
		in.InstanceProfileARN = p.ARN
		put(b.profiles, p, "", []string{v, p.ARN})
		for _, role := range roles {
			if b.roles[role.ARN] == nil {
				put(b.roles, role, "", []string{role.Name, role.ARN})
			}
		}
	} else if v != "" {
		in.InstanceProfileARN = b.arn("iam", "", "instance-profile/"+v)
	}
	for _, m := range o.blocks("metadata_options") {
		in.MetadataHTTPTokens = m.str("http_tokens")
	}
	// The public address decides exposure. Terraform knows it only after
	// apply when the subnet assigns it: assumed public then.
	if ip := o.str("public_ip"); ip != "" {
		in.PublicIP = ip
	} else if pub, known := o.boolean("associate_public_ip_address"); pub || (!known && b.planned) || (!known && o.isUnknown("public_ip")) {
		in.PublicIP = "198.51.100.1"
		if !known {
			b.assume("%s public address is unknown until apply: assumed to have one", r.addr)
		}
	}
	if in.SubnetID == "" {
		in.SubnetID = "subnet-tf-" + sanitize(r.addr)
	}
	reg := b.inv.Region(b.opts.Region)
	reg.Instances = append(reg.Instances, in)
	b.own(in.ARN, r.addr)
}

func (b *builder) attachment(r resource) {
	o := r.obj
	switch r.typ {
	case "aws_iam_role_policy":
		v, addrs := b.ref(r, "role")
		role := lookup(b.roles, v, addrs)
		if role == nil {
			role = b.contextRole(v, r.addr)
		}
		role.InlinePolicies = append(role.InlinePolicies, inventory.InlinePolicy{Name: o.str("name"), Document: b.policy(r, "policy", "policy document", openIdentityPolicy)})
		b.own(role.ARN+"#inline/"+o.str("name"), r.addr)
		b.causes(role.ARN, r.addr)
	case "aws_iam_role_policy_attachment":
		v, addrs := b.ref(r, "role")
		role := lookup(b.roles, v, addrs)
		if role == nil {
			role = b.contextRole(v, r.addr)
		}
		arn := b.policyARN(r)
		role.AttachedPolicies = append(role.AttachedPolicies, inventory.AttachedPolicy{ARN: arn, Name: lastSegment(arn)})
		b.causes(role.ARN, r.addr)
	case "aws_iam_instance_profile":
		v, addrs := b.ref(r, "role")
		if role := lookup(b.roles, v, addrs); role != nil {
			p := b.profiles[r.addr]
			p.Roles = append(p.Roles, role.ARN)
			role.InstanceProfiles = append(role.InstanceProfiles, p.ARN)
		} else if v != "" {
			// a role outside the plan (the store's, when it holds it)
			role := b.contextRole(v, r.addr)
			p := b.profiles[r.addr]
			p.Roles = append(p.Roles, role.ARN)
			role.InstanceProfiles = append(role.InstanceProfiles, p.ARN)
		}
	case "aws_s3_bucket_policy":
		bk := b.bucketFor(r)
		bk.Policy = b.policy(r, "policy", "bucket policy", openResourcePolicy(bk.ARN))
		b.causes(bk.ARN, r.addr)
	case "aws_s3_bucket_public_access_block":
		bk := b.bucketFor(r)
		pab := &inventory.PublicAccessBlock{}
		pab.BlockPublicACLs, _ = o.boolean("block_public_acls")
		pab.IgnorePublicACLs, _ = o.boolean("ignore_public_acls")
		pab.BlockPublicPolicy, _ = o.boolean("block_public_policy")
		pab.RestrictPublicBuckets, _ = o.boolean("restrict_public_buckets")
		bk.PublicAccessBlock = pab
		b.causes(bk.ARN, r.addr)
	case "aws_s3_bucket_acl":
		bk := b.bucketFor(r)
		bk.ACL = cannedACL(o.str("acl"))
		b.causes(bk.ARN, r.addr)
	case "aws_vpc_security_group_ingress_rule", "aws_security_group_rule":
		v, addrs := b.ref(r, "security_group_id")
		g := lookup(b.groups, v, addrs)
		if g == nil {
			if v == "" {
				v = placeholder(r.addr)
			}
			g = &inventory.SecurityGroup{ID: v, ARN: b.arn("ec2", b.opts.Region, "security-group/"+v), OwnerID: b.opts.AccountID}
			b.groups[v] = g
		}
		if r.typ == "aws_vpc_security_group_ingress_rule" {
			rule := b.sgRule(r.addr, "", o, "ip_protocol", "cidr_ipv4", "cidr_ipv6")
			g.Ingress = append(g.Ingress, rule)
		} else {
			rule := b.sgRule(r.addr, "", o, "protocol", "cidr_blocks", "ipv6_cidr_blocks")
			if o.str("type") == "egress" {
				g.Egress = append(g.Egress, rule)
			} else {
				g.Ingress = append(g.Ingress, rule)
			}
		}
		b.causes(g.ARN, r.addr)
	case "aws_lambda_permission":
		v, addrs := b.ref(r, "function_name")
		f := lookup(b.funcs, v, addrs)
		if f == nil {
			return
		}
		principal := o.str("principal")
		if o.isUnknown("principal") {
			b.assume("%s principal is unknown until apply: assumed anyone", r.addr)
			principal = "*"
		}
		action := o.str("action")
		if action == "" {
			action = "lambda:InvokeFunction"
		}
		var p string
		if strings.HasSuffix(principal, ".amazonaws.com") {
			p = `{"Service":"` + principal + `"}`
		} else if principal == "*" {
			p = `"*"`
		} else {
			p = `{"AWS":"` + principal + `"}`
		}
		stmt := `{"Sid":"` + sanitize(r.addr) + `","Effect":"Allow","Principal":` + p + `,"Action":"` + action + `","Resource":"` + f.ARN + `"}`
		f.Policy = appendStatement(f.Policy, stmt)
		b.causes(f.ARN, r.addr)
	case "aws_lambda_function_url":
		v, addrs := b.ref(r, "function_name")
		if f := lookup(b.funcs, v, addrs); f != nil {
			url := o.str("function_url")
			if url == "" {
				url = "https://" + sanitize(r.addr) + ".lambda-url." + b.opts.Region + ".on.aws/"
			}
			f.FunctionURLs = append(f.FunctionURLs, inventory.FunctionURL{URL: url, AuthType: o.str("authorization_type")})
			b.own(url, r.addr)
			b.causes(f.ARN, r.addr)
		}
	}
}

// causes records that addr contributes to the node id (an attachment): the
// node keeps its own resource as owner, the attachment is listed too.
func (b *builder) causes(id, addr string) {
	key := id + "#by/" + addr
	b.owners[key] = addr
}

func (b *builder) bucketFor(r resource) *inventory.Bucket {
	v, addrs := b.ref(r, "bucket")
	if bk := lookup(b.buckets, v, addrs); bk != nil {
		return bk
	}
	name := v
	if name == "" {
		name = r.addr
	}
	// a bucket outside the plan: modelled from what the plan says about it
	bk := &inventory.Bucket{Name: name, ARN: "arn:" + b.opts.Partition + ":s3:::" + name, Region: b.opts.Region}
	b.buckets[name] = bk
	return bk
}

// contextRole is a role outside the plan that an attachment names: it is
// modelled with no trust policy (nobody assumes it through the plan).
func (b *builder) contextRole(name, addr string) *inventory.Role {
	if role := b.roles[name]; role != nil && name != "" {
		return role
	}
	if name == "" {
		name = sanitize(addr)
	}
	role := b.stored.role(name)
	if role == nil {
		role = &inventory.Role{Name: name, Path: "/", ARN: b.arn("iam", "", "role/"+name), TrustPolicy: `{"Version":"2012-10-17","Statement":[]}`}
	}
	b.roles[name] = role
	b.roles[role.ARN] = role
	return role
}

func cannedACL(acl string) []inventory.Grant {
	const all = "http://acs.amazonaws.com/groups/global/AllUsers"
	switch acl {
	case "public-read":
		return []inventory.Grant{{GranteeType: "Group", GranteeURI: all, Permission: "READ"}}
	case "public-read-write":
		return []inventory.Grant{{GranteeType: "Group", GranteeURI: all, Permission: "READ"}, {GranteeType: "Group", GranteeURI: all, Permission: "WRITE"}}
	}
	return nil
}

func appendStatement(doc, stmt string) string {
	doc = strings.TrimSpace(doc)
	if doc == "" {
		return `{"Version":"2012-10-17","Statement":[` + stmt + `]}`
	}
	if i := strings.LastIndex(doc, "]"); i > 0 {
		return doc[:i] + "," + stmt + doc[i:]
	}
	return doc
}

// awsManaged holds the AWS managed policies whose attachment the gate
// understands without the store (their documents are public and stable).
var awsManaged = map[string]string{
	"AdministratorAccess":    `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}`,
	"AmazonS3ReadOnlyAccess": `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:Get*","s3:List*","s3:Describe*","s3-object-lambda:Get*","s3-object-lambda:List*"],"Resource":"*"}]}`,
	"AmazonS3FullAccess":     `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:*","s3-object-lambda:*"],"Resource":"*"}]}`,
}

func lastSegment(arn string) string {
	if i := strings.LastIndexByte(arn, '/'); i >= 0 {
		return arn[i+1:]
	}
	return arn
}

func sanitize(s string) string {
	var b strings.Builder
	for _, r := range s {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' {
			b.WriteRune(r)
		} else {
			b.WriteByte('-')
		}
	}
	return b.String()
}

func dedupe(s []string) []string {
	sort.Strings(s)
	out := s[:0]
	for i, v := range s {
		if i == 0 || v != s[i-1] {
			out = append(out, v)
		}
	}
	return out
}

func uniq[T any](m map[string]*T, key func(*T) string) []*T {
	seen := map[*T]bool{}
	var out []*T
	for _, v := range m {
		if !seen[v] {
			seen[v] = true
			out = append(out, v)
		}
	}
	sort.Slice(out, func(i, j int) bool { return key(out[i]) < key(out[j]) })
	return out
}

func uniqueRoles(m map[string]*inventory.Role) []*inventory.Role {
	return uniq(m, func(r *inventory.Role) string { return r.ARN })
}
func uniquePolicies(m map[string]*inventory.ManagedPolicy) []*inventory.ManagedPolicy {
	return uniq(m, func(r *inventory.ManagedPolicy) string { return r.ARN })
}
func uniqueProfiles(m map[string]*inventory.InstanceProfile) []*inventory.InstanceProfile {
	return uniq(m, func(r *inventory.InstanceProfile) string { return r.ARN })
}
func uniqueBuckets(m map[string]*inventory.Bucket) []*inventory.Bucket {
	return uniq(m, func(r *inventory.Bucket) string { return r.ARN })
}
func uniqueGroups(m map[string]*inventory.SecurityGroup) []*inventory.SecurityGroup {
	return uniq(m, func(r *inventory.SecurityGroup) string { return r.ARN })
}
func uniqueFuncs(m map[string]*inventory.LambdaFunction) []*inventory.LambdaFunction {
	return uniq(m, func(r *inventory.LambdaFunction) string { return r.ARN })
}
