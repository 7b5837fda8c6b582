package resources

import (
	"fmt"
	"net/netip"
	"strings"

	"github.com/breachpath/breachpath/collector/aws/inventory"
	"github.com/breachpath/breachpath/graph"
)

// Techniques of the workload -> identity moves.
const (
	TechIMDS            = "aws.ec2.imds-credential-theft"
	TechLambdaRole      = "aws.lambda.execution-role"
	TechECSTaskRole     = "aws.ecs.task-role"
	TechECSInjectSecret = "aws.ecs.injected-secret"
)

// member is a resource that sends and receives traffic inside a VPC: the
// unit REACHES edges connect.
type member struct {
	id     string
	region *regionIndex
	vpc    string
	sgs    []string       // security group ids
	blocks []netip.Prefix // its private addresses, or its subnets when the address is unknown
	// exposure inputs
	subnets []string
	v4, v6  bool
	// forwardOnly: a load balancer forwards only from its listeners to its
	// targets' ports (aws.elb.forward-to-target); it is never the source of
	// other lateral moves, since nobody gets code execution on it.
	forwardOnly bool
	// host is set on a container sharing an instance's network stack: it
	// has the host's addresses, so "reaching" the host is reaching itself.
	host string
	// serves, when set, are the only ports the member answers on (an EFS
	// mount target: NFS): moves into it carry those ports at most. Such a
	// member is never the source of a move (nobody runs code on it).
	serves *protoPorts
}

// samePlace reports whether two members share one network stack (a
// bridge- or host-mode container and its host, or two containers on one
// host): traffic between them never crosses a security group.
func samePlace(a, c *member) bool {
	return a.id == c.id || a.host == c.id || c.host == a.id || (a.host != "" && a.host == c.host)
}

func (b *builder) addMember(m member) {
	b.members = append(b.members, m)
	b.memberIndex = nil // rebuilt on the next lookup
}

// lbInfo keeps what exposure and target reasoning need about a load balancer.
type lbInfo struct {
	id     string
	region *regionIndex
	lb     *inventory.LoadBalancer
}

func (b *builder) roleStub(arn string) {
	b.stub(arn, graph.KindRole, "AWS::IAM::Role", "iam")
}

// compute adds instances, load balancers, Lambda functions, EKS clusters and
// ECS task definitions with their facts and workload -> identity moves.
func (b *builder) compute() {
	profiles := map[string][]string{}
	for _, ip := range b.inv.IAM.InstanceProfiles {
		profiles[ip.ARN] = ip.Roles
	}
	for _, x := range b.regions {
		for i := range x.d.Instances {
			b.instance(x, &x.d.Instances[i], profiles)
		}
		for i := range x.d.LoadBalancers {
			b.loadBalancer(x, &x.d.LoadBalancers[i])
		}
		for i := range x.d.Functions {
			b.function(x, &x.d.Functions[i])
		}
		for i := range x.d.EKSClusters {
			b.eksCluster(x, &x.d.EKSClusters[i])
		}
		for i := range x.d.TaskDefinitions {
			b.taskDefinition(x, &x.d.TaskDefinitions[i])
		}
		b.ecsPlacement(x, profiles)
		for i := range x.d.EKSClusters {
			b.eksWorkloads(x, &x.d.EKSClusters[i], profiles)
		}
	}
}

func (b *builder) instanceID(x *regionIndex, id string) string {
	if inst := x.instances[id]; inst != nil {
		return orARN(inst.ARN, b.ec2ARN(x.name, "instance", id))
	}
	return ""
}

func (b *builder) instance(x *regionIndex, inst *inventory.Instance, profiles map[string][]string) {
	if inst.State == "terminated" {
		return
	}
	r := x.name
	id := b.instanceID(x, inst.ID)
	n := b.resource(id, graph.KindCompute, "AWS::EC2::Instance", "ec2", r, inst.ID, inst.Tags)
	imdsV1 := strings.EqualFold(inst.MetadataHTTPTokens, "optional") && !strings.EqualFold(inst.MetadataHTTPEndpoint, "disabled")
	n.Props["imds_v1"] = imdsV1
	n.Props[graph.PropIdentifiers] = []string{inst.ID}
	n.Props["state"] = inst.State
	n.Props["instance_type"] = inst.InstanceType
	n.Props["private_ip"] = inst.PrivateIP
	if inst.PublicIP != "" {
		n.Props["public_ip"] = inst.PublicIP
	}
	var imdsFinding string
	if imdsV1 {
		imdsFinding = b.flag(RuleIMDSv1, id, defaultSeverity, fmt.Sprintf("instance %s has MetadataOptions.HttpTokens=optional", inst.ID))
	}

	// Network position: every attached interface; the instance fields
	// stand in when the interfaces were not listed.
	m := member{id: id, region: x, vpc: inst.VPCID}
	enis := x.enisByInst[inst.ID]
	for _, eniID := range inst.NetworkInterfaces {
		if e := x.enis[eniID]; e != nil && e.AttachedInstance != inst.ID {
			enis = append(enis, e)
		}
	}
	publicIPs := map[string]bool{}
	for _, e := range enis {
		b.edge(graph.Edge{From: id, To: b.ec2ARN(r, "network-interface", e.ID), Kind: graph.EdgeHasInterface})
		m.sgs = append(m.sgs, e.SecurityGroupIDs...)
		m.subnets = appendUnique(m.subnets, e.SubnetID)
		for _, ip := range e.PrivateIPs {
			m.blocks = appendAddr(m.blocks, ip)
		}
		for _, ip := range e.IPv6Addresses {
			m.blocks = appendAddr(m.blocks, ip)
			m.v6 = true
		}
		if e.PublicIP != "" {
			publicIPs[e.PublicIP] = true
		}
		for _, eip := range x.eipByENI[e.ID] {
			publicIPs[eip.PublicIP] = true
		}
	}
	if len(enis) == 0 {
		m.sgs = inst.SecurityGroupIDs
		m.subnets = appendUnique(nil, inst.SubnetID)
		m.blocks = appendAddr(nil, inst.PrivateIP)
	}
	if inst.PublicIP != "" {
		publicIPs[inst.PublicIP] = true
	}
	eipIPs := map[string]string{}
	for _, eip := range x.eipByInst[inst.ID] {
		publicIPs[eip.PublicIP] = true
		eipIPs[eip.PublicIP] = b.ec2ARN(r, "elastic-ip", eip.AllocationID)
	}
	for _, e := range enis {
		for _, eip := range x.eipByENI[e.ID] {
			eipIPs[eip.PublicIP] = b.ec2ARN(r, "elastic-ip", eip.AllocationID)
		}
	}
	for ip := range publicIPs {
		ep := eipIPs[ip]
		if ep == "" {
			ep = b.publicIPID(r, ip)
			pn := b.node(graph.Node{ID: ep, Kind: graph.KindPublicEndpoint, NativeType: "AWS::EC2::Instance.PublicIp",
				Name: ip, Service: "ec2", Region: r})
			pn.Props["public_ip"] = ip
			b.edge(graph.Edge{From: b.accountID(), To: ep, Kind: graph.EdgeContains})
		}
		b.edge(graph.Edge{From: id, To: ep, Kind: graph.EdgeHasEndpoint})
	}
	m.v4 = len(publicIPs) > 0
	for _, s := range m.subnets {
		if sid := b.subnetID(x, s); sid != "" {
			b.edge(graph.Edge{From: id, To: sid, Kind: graph.EdgeInSubnet})
		}
	}
	for _, sg := range m.sgs {
		if sgID := b.sgID(x, sg); sgID != "" {
			b.edge(graph.Edge{From: id, To: sgID, Kind: graph.EdgeProtectedBy})
		}
	}
	m.sgs = uniqueStrings(m.sgs)
	b.addMember(m)

	if inst.InstanceProfileARN == "" {
		return
	}
	b.stub(inst.InstanceProfileARN, graph.KindInstanceProfile, "AWS::IAM::InstanceProfile", "iam")
	b.edge(graph.Edge{From: id, To: inst.InstanceProfileARN, Kind: graph.EdgeRunsAs})
	roles, known := profiles[inst.InstanceProfileARN]
	if !known {
		b.log.Debug("instance profile not in the IAM inventory; no role to link", "instance", inst.ID, "profile", inst.InstanceProfileARN)
		return
	}
	for _, role := range roles {
		b.roleStub(role)
		e := graph.Edge{
			From: id, To: role, Kind: graph.EdgeUsesIdentity, Technique: TechIMDS, Likelihood: 0.6,
			Evidence: []string{
				fmt.Sprintf("%s -[RUNS_AS]-> %s", id, inst.InstanceProfileARN),
				fmt.Sprintf("instance profile %s contains role %s", inst.InstanceProfileARN, role),
			},
		}
		if imdsV1 {
			// IMDSv1 answers a plain GET, so a server-side request forgery
			// in any app on the host yields the role's credentials.
			e.Likelihood = 0.9
			e.Evidence = append(e.Evidence, "IMDSv1 enabled (HttpTokens=optional): an SSRF suffices")
			e.Findings = []string{imdsFinding}
		} else {
			e.Evidence = append(e.Evidence, "IMDSv2 required: needs code execution on the instance")
		}
		b.edge(e)
	}
}

func (b *builder) loadBalancer(x *regionIndex, lb *inventory.LoadBalancer) {
	r := x.name
	native := "AWS::ElasticLoadBalancingV2::LoadBalancer"
	if lb.Type == "classic" {
		native = "AWS::ElasticLoadBalancing::LoadBalancer"
	}
	id := lb.ARN
	if id == "" {
		id = "arn:" + b.partition + ":elasticloadbalancing:" + r + ":" + b.account + ":loadbalancer/" + lb.Name
	}
	// Service is the collector area ("elb"), not the ARN service: the
	// store keeps nodes stale by matching it against failed areas.
	n := b.resource(id, graph.KindLoadBalancer, native, "elb", r, lb.Name, lb.Tags)
	n.Props["scheme"] = lb.Scheme
	n.Props["type"] = lb.Type
	n.Props["dns_name"] = lb.DNSName
	for _, s := range lb.SubnetIDs {
		if sid := b.subnetID(x, s); sid != "" {
			b.edge(graph.Edge{From: id, To: sid, Kind: graph.EdgeInSubnet})
		}
	}
	for _, sg := range lb.SecurityGroupIDs {
		if sgID := b.sgID(x, sg); sgID != "" {
			b.edge(graph.Edge{From: id, To: sgID, Kind: graph.EdgeProtectedBy})
		}
	}
	b.lbs = append(b.lbs, lbInfo{id: id, region: x, lb: lb})
	m := member{id: id, region: x, vpc: lb.VPCID, sgs: lb.SecurityGroupIDs, subnets: lb.SubnetIDs, forwardOnly: true}
	for _, s := range lb.SubnetIDs {
		if sub := x.subnets[s]; sub != nil {
			m.blocks = appendPrefix(m.blocks, sub.CIDRBlock)
		}
	}
	b.addMember(m)
}

func (b *builder) function(x *regionIndex, f *inventory.LambdaFunction) {
	r := x.name
	id := f.ARN
	n := b.resource(id, graph.KindFunction, "AWS::Lambda::Function", "lambda", r, f.Name, f.Tags)
	n.Props["runtime"] = f.Runtime
	n.Props["package_type"] = f.PackageType
	if f.Role != "" {
		b.roleStub(f.Role)
		b.edge(graph.Edge{From: id, To: f.Role, Kind: graph.EdgeRunsAs})
		b.edge(graph.Edge{
			From: id, To: f.Role, Kind: graph.EdgeUsesIdentity, Technique: TechLambdaRole, Likelihood: 0.8,
			Evidence: []string{fmt.Sprintf("function %s runs as %s; its code reads the role's credentials from the environment", f.Name, f.Role)},
		})
	}
	if k := b.keys.resolve(r, f.KMSKeyARN); k != "" {
		b.edge(graph.Edge{From: id, To: k, Kind: graph.EdgeEncryptedBy})
	}
	for _, u := range f.FunctionURLs {
		ep := b.node(graph.Node{ID: u.URL, Kind: graph.KindPublicEndpoint, NativeType: "AWS::Lambda::Url", Name: u.URL,
			Service: "lambda", Region: r})
		ep.Props["auth_type"] = u.AuthType
		b.edge(graph.Edge{From: b.accountID(), To: u.URL, Kind: graph.EdgeContains})
		b.edge(graph.Edge{From: id, To: u.URL, Kind: graph.EdgeHasEndpoint})
	}
	if f.VPC != nil && len(f.VPC.SubnetIDs) > 0 {
		m := member{id: id, region: x, vpc: f.VPC.VPCID, sgs: f.VPC.SecurityGroupIDs, subnets: f.VPC.SubnetIDs}
		for _, s := range f.VPC.SubnetIDs {
			if sid := b.subnetID(x, s); sid != "" {
				b.edge(graph.Edge{From: id, To: sid, Kind: graph.EdgeInSubnet})
			}
			if sub := x.subnets[s]; sub != nil {
				m.blocks = appendPrefix(m.blocks, sub.CIDRBlock)
				// The subnets' VPC is the function's: the configuration's VpcId
				// can disagree (moto answers a placeholder), the subnets cannot.
				if sub.VPCID != "" {
					m.vpc = sub.VPCID
				}
			}
		}
		for _, sg := range f.VPC.SecurityGroupIDs {
			if sgID := b.sgID(x, sg); sgID != "" {
				b.edge(graph.Edge{From: id, To: sgID, Kind: graph.EdgeProtectedBy})
			}
		}
		b.addMember(m)
	}
}

func (b *builder) eksCluster(x *regionIndex, c *inventory.EKSCluster) {
	r := x.name
	id := c.ARN
	n := b.resource(id, graph.KindCluster, "AWS::EKS::Cluster", "eks", r, c.Name, c.Tags)
	n.Props["endpoint_public_access"] = c.EndpointPublicAccess
	n.Props["endpoint_private_access"] = c.EndpointPrivateAccess
	n.Props["public_access_cidrs"] = c.PublicAccessCIDRs
	n.Props["version"] = c.Version
	if c.RoleARN != "" {
		// The cluster role is used by the control plane, not by workloads,
		// so it is a fact only.
		b.roleStub(c.RoleARN)
		b.edge(graph.Edge{From: id, To: c.RoleARN, Kind: graph.EdgeRunsAs})
	}
	m := member{id: id, region: x, vpc: c.VPCID, sgs: c.SecurityGroupIDs, subnets: c.SubnetIDs}
	for _, s := range c.SubnetIDs {
		if sid := b.subnetID(x, s); sid != "" {
			b.edge(graph.Edge{From: id, To: sid, Kind: graph.EdgeInSubnet})
		}
		if sub := x.subnets[s]; sub != nil {
			m.blocks = appendPrefix(m.blocks, sub.CIDRBlock)
		}
	}
	for _, sg := range c.SecurityGroupIDs {
		if sgID := b.sgID(x, sg); sgID != "" {
			b.edge(graph.Edge{From: id, To: sgID, Kind: graph.EdgeProtectedBy})
		}
	}
	b.addMember(m)
}

func (b *builder) taskDefinition(x *regionIndex, td *inventory.TaskDefinition) {
	r := x.name
	id := td.ARN
	n := b.resource(id, graph.KindContainer, "AWS::ECS::TaskDefinition", "ecs", r, fmt.Sprintf("%s:%d", td.Family, td.Revision), td.Tags)
	n.Props["network_mode"] = td.NetworkMode
	var privileged bool
	var images []string
	for _, c := range td.Containers {
		privileged = privileged || c.Privileged
		images = append(images, c.Image)
	}
	n.Props["privileged"] = privileged
	n.Props["images"] = images
	if td.TaskRoleARN != "" {
		b.roleStub(td.TaskRoleARN)
		b.edge(graph.Edge{From: id, To: td.TaskRoleARN, Kind: graph.EdgeRunsAs, Props: graph.Props{"role": "task"}})
		b.edge(graph.Edge{
			From: id, To: td.TaskRoleARN, Kind: graph.EdgeUsesIdentity, Technique: TechECSTaskRole, Likelihood: 0.8,
			Evidence: []string{fmt.Sprintf("task definition %s:%d has task role %s (credentials at the container credentials endpoint)", td.Family, td.Revision, td.TaskRoleARN)},
		})
	}
	if td.ExecutionRoleARN != "" && td.ExecutionRoleARN != td.TaskRoleARN {
		// The execution role is used by the ECS agent (image pulls, secret
		// injection), not reachable from the container: a fact only.
		b.roleStub(td.ExecutionRoleARN)
		b.edge(graph.Edge{From: id, To: td.ExecutionRoleARN, Kind: graph.EdgeRunsAs, Props: graph.Props{"role": "execution"}})
	}
	b.pendingSecretRefs = append(b.pendingSecretRefs, secretRef{from: id, td: td})
}

// secretRef remembers a task definition whose injected secrets are linked
// once every secret node exists.
type secretRef struct {
	from string
	td   *inventory.TaskDefinition
}

func appendUnique(list []string, s string) []string {
	if s == "" || containsString(list, s) {
		return list
	}
	return append(list, s)
}

func uniqueStrings(list []string) []string {
	var out []string
	for _, s := range list {
		out = appendUnique(out, s)
	}
	return out
}

func appendAddr(list []netip.Prefix, ip string) []netip.Prefix {
	a, err := netip.ParseAddr(ip)
	if err != nil {
		return list
	}
	return append(list, netip.PrefixFrom(a, a.BitLen()))
}

func appendPrefix(list []netip.Prefix, cidr string) []netip.Prefix {
	if p, ok := parsePrefix(cidr); ok {
		return append(list, p)
	}
	return list
}
