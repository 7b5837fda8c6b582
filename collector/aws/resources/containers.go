package resources

import (
	"fmt"
	"slices"
	"strings"

	"github.com/breachpath/breachpath/collector/aws/inventory"
	"github.com/breachpath/breachpath/graph"
)

// Techniques of the container <-> host moves.
const (
	// TechECSHostEscape: a privileged container, or one mounting the Docker
	// socket or a sensitive host path, controls the EC2 container instance
	// it runs on.
	TechECSHostEscape = "aws.ecs.container-escape-to-host"
	// TechECSHostControlsTasks: root on a container instance controls every
	// container on it (docker exec) and their task role credentials.
	TechECSHostControlsTasks = "aws.ecs.host-controls-tasks"
	// TechECSHostIMDS: a container in host network mode, or in bridge mode
	// on a host whose IMDS answers one more hop (IMDSv1, or hop limit 2 or
	// more), reads the host's instance role credentials.
	TechECSHostIMDS = "aws.ecs.host-imds"
)

// hostPaths are host paths whose mount hands a container its host: the
// container runtime's socket, the root file system and the directories that
// hold the host's credentials, configuration or kernel interfaces.
var hostPaths = []string{"/", "/etc", "/root", "/home", "/proc", "/sys", "/dev", "/boot", "/usr", "/var",
	"/var/lib/docker", "/var/run", "/run", "/var/lib/ecs", "/etc/ecs"}

// hostTakeover returns why a task definition's containers control their host, or "".
func hostTakeover(td *inventory.TaskDefinition) (string, bool) {
	var why []string
	privileged := false
	for _, c := range td.Containers {
		if c.Privileged {
			privileged = true
			why = append(why, fmt.Sprintf("container %s is privileged", c.Name))
		}
		for _, m := range c.HostMounts {
			clean := strings.TrimRight(m, "/")
			if clean == "" {
				clean = "/"
			}
			if strings.HasSuffix(clean, ".sock") || slices.Contains(hostPaths, clean) {
				why = append(why, fmt.Sprintf("container %s mounts the host's %s", c.Name, m))
			}
		}
	}
	return strings.Join(why, "; "), privileged
}

// ecsPlacement adds where task definitions run on EC2 container instances
// and what that gives: escapes to the host, the host's control of its
// containers, the host's network position and its instance role via IMDS.
// Tasks with their own interface (awsvpc) become network members of their
// own. It runs after instances and task definitions exist.
func (b *builder) ecsPlacement(x *regionIndex, profiles map[string][]string) {
	tds := map[string]*inventory.TaskDefinition{}
	byFamily := map[string]*inventory.TaskDefinition{}
	for i := range x.d.TaskDefinitions {
		td := &x.d.TaskDefinitions[i]
		if td.ARN == "" {
			continue
		}
		tds[td.ARN] = td
		byFamily[td.Family] = td
	}
	resolve := func(arn string) *inventory.TaskDefinition {
		if td := tds[arn]; td != nil {
			return td
		}
		// Another revision of a collected family: the latest revision
		// stands in (only the latest of each family is read).
		fam := arnName(arn)
		if i := strings.LastIndex(fam, ":"); i > 0 {
			fam = fam[:i]
		}
		return byFamily[fam]
	}
	type placement struct {
		hosts map[string]string // instance node id -> evidence
		order []string
	}
	placed := map[string]*placement{}
	place := func(td *inventory.TaskDefinition, host, why string) {
		p := placed[td.ARN]
		if p == nil {
			p = &placement{hosts: map[string]string{}}
			placed[td.ARN] = p
		}
		if _, ok := p.hosts[host]; !ok {
			p.hosts[host] = why
			p.order = append(p.order, host)
		}
	}
	for ci := range x.d.ECSClusters {
		cl := &x.d.ECSClusters[ci]
		cid := cl.ARN
		n := b.resource(cid, graph.KindCluster, "AWS::ECS::Cluster", "ecs", x.name, cl.Name, cl.Tags)
		n.Props["container_instances"] = int64(len(cl.ContainerInstances))
		hostOf := map[string]string{}
		var active []string
		for _, c := range cl.ContainerInstances {
			id := b.instanceID(x, c.EC2InstanceID)
			if id == "" || b.nodes[id] == nil {
				continue
			}
			hostOf[c.ARN] = id
			b.edge(graph.Edge{From: cid, To: id, Kind: graph.EdgeContains, Props: graph.Props{"container_instance": c.ARN}})
			if c.Status == "" || strings.EqualFold(c.Status, "ACTIVE") {
				active = append(active, id)
			}
		}
		for _, t := range cl.Tasks {
			td := resolve(t.TaskDefinitionARN)
			if td == nil {
				continue
			}
			if host := hostOf[t.ContainerInstanceARN]; host != "" {
				place(td, host, fmt.Sprintf("task %s of %s runs on container instance %s", arnName(t.ARN), t.TaskDefinitionARN, host))
			}
			if t.ENI != "" || len(t.PrivateIPs) > 0 {
				b.taskInterface(x, td, t)
			}
		}
		for _, s := range cl.Services {
			td := resolve(s.TaskDefinitionARN)
			if td == nil {
				continue
			}
			if len(s.SubnetIDs) > 0 {
				b.serviceInterface(x, td, s)
			}
			if strings.EqualFold(s.LaunchType, "FARGATE") || strings.EqualFold(s.LaunchType, "EXTERNAL") {
				continue
			}
			// The scheduler may place the service's tasks on any active
			// container instance of the cluster.
			for _, host := range active {
				place(td, host, fmt.Sprintf("service %s of cluster %s may place %s on container instance %s", s.Name, cl.Name, s.TaskDefinitionARN, host))
			}
		}
	}
	for _, td := range x.d.TaskDefinitions {
		p := placed[td.ARN]
		if p == nil {
			continue
		}
		b.placeOnHosts(x, &td, p.order, p.hosts, profiles)
	}
}

// placeOnHosts draws the moves of one task definition on its hosts.
func (b *builder) placeOnHosts(x *regionIndex, td *inventory.TaskDefinition, hosts []string, why map[string]string, profiles map[string][]string) {
	escape, privileged := hostTakeover(td)
	var fid string
	if escape != "" {
		var controls []string
		if privileged {
			controls = append(controls, "AWS-FSBP:ECS.4")
		}
		fid = b.flag(RuleECSHostAccess, td.ARN, defaultSeverity, escape, controls...)
	}
	mode := td.NetworkMode
	if mode == "" {
		mode = "bridge" // the default on EC2 container instances
	}
	shares := mode == "bridge" || mode == "host"
	var share member
	for _, host := range hosts {
		b.edge(graph.Edge{From: host, To: td.ARN, Kind: graph.EdgeContains, Props: graph.Props{"network_mode": mode}, Evidence: []string{why[host]}})
		if escape != "" {
			b.edge(graph.Edge{From: td.ARN, To: host, Kind: graph.EdgeEscalatesTo, Technique: TechECSHostEscape, Likelihood: 0.85,
				Evidence: []string{escape, why[host]}, Findings: []string{fid}})
		}
		b.edge(graph.Edge{From: host, To: td.ARN, Kind: graph.EdgeEscalatesTo, Technique: TechECSHostControlsTasks, Likelihood: 0.8,
			Evidence: []string{"root on the container instance controls its containers (docker exec) and their task role credentials", why[host]}})
		m := b.memberByID(host)
		if !shares || m == nil {
			continue
		}
		if share.id == "" {
			share = member{id: td.ARN, region: x, vpc: m.vpc, host: host}
		}
		if m.vpc == share.vpc {
			share.sgs = unionSorted(share.sgs, m.sgs)
			share.subnets = unionSorted(share.subnets, m.subnets)
			share.blocks = append(share.blocks, m.blocks...)
		}
		for _, c := range td.Containers {
			for _, port := range c.HostPorts {
				if b.hostPorts == nil {
					b.hostPorts = map[string][]string{}
				}
				k := fmt.Sprintf("%s|%d", host, port)
				if !slices.Contains(b.hostPorts[k], td.ARN) {
					b.hostPorts[k] = append(b.hostPorts[k], td.ARN)
				}
			}
		}
		b.hostIMDS(x, td.ARN, host, mode == "host", "bridge mode", TechECSHostIMDS, profiles)
	}
	if share.id != "" && b.memberByID(td.ARN) == nil {
		b.addMember(share)
	}
}

// hostIMDS adds the workload -> host role move when the host's metadata
// service answers the workload: on the host's network stack (ECS host
// mode, a hostNetwork pod) always; behind one more hop (ECS bridge mode, a
// pod on the VPC CNI's veth) only when IMDSv1 is allowed or the IMDSv2
// hop limit is 2 or more.
func (b *builder) hostIMDS(x *regionIndex, from, host string, hostNetwork bool, hop, tech string, profiles map[string][]string) {
	inst := x.instances[arnName(host)]
	if inst == nil || inst.InstanceProfileARN == "" || strings.EqualFold(inst.MetadataHTTPEndpoint, "disabled") {
		return
	}
	v1 := strings.EqualFold(inst.MetadataHTTPTokens, "optional")
	var why string
	switch {
	case hostNetwork:
		why = "on the host's network stack: the workload reaches 169.254.169.254"
	case v1:
		why = hop + " on a host allowing IMDSv1: the workload reaches 169.254.169.254 through the extra hop"
	case inst.MetadataHopLimit >= 2:
		why = fmt.Sprintf("%s on a host whose IMDSv2 hop limit is %d: the token answer reaches the workload", hop, inst.MetadataHopLimit)
	default:
		return // IMDSv2 with hop limit 1 does not answer through the extra hop
	}
	likelihood := 0.7
	if v1 || hostNetwork {
		likelihood = 0.8
	}
	for _, role := range profiles[inst.InstanceProfileARN] {
		b.roleStub(role)
		b.edge(graph.Edge{From: from, To: role, Kind: graph.EdgeUsesIdentity, Technique: tech, Likelihood: likelihood,
			Evidence: []string{why, fmt.Sprintf("host %s has instance profile %s with role %s", inst.ID, inst.InstanceProfileARN, role)}})
	}
}

// taskInterface makes an awsvpc task's own interface a network member of
// its task definition: its address, subnet and the interface's groups.
func (b *builder) taskInterface(x *regionIndex, td *inventory.TaskDefinition, t inventory.ECSTask) {
	m := b.memberByID(td.ARN)
	if m == nil {
		b.addMember(member{id: td.ARN, region: x})
		m = b.memberByID(td.ARN)
	}
	if e := x.enis[t.ENI]; e != nil {
		m.sgs = unionSorted(m.sgs, e.SecurityGroupIDs)
		if m.vpc == "" {
			m.vpc = e.VPCID
		}
	}
	if s := x.subnets[t.SubnetID]; s != nil {
		m.subnets = appendUnique(m.subnets, t.SubnetID)
		if m.vpc == "" {
			m.vpc = s.VPCID
		}
	}
	for _, ip := range t.PrivateIPs {
		m.blocks = appendAddr(m.blocks, ip)
	}
}

// serviceInterface makes an awsvpc service's network configuration a
// network member of its task definition: the tasks get interfaces in those
// subnets with those groups (addresses unknown: the subnets stand in).
func (b *builder) serviceInterface(x *regionIndex, td *inventory.TaskDefinition, s inventory.ECSService) {
	m := b.memberByID(td.ARN)
	if m == nil {
		b.addMember(member{id: td.ARN, region: x})
		m = b.memberByID(td.ARN)
	}
	m.sgs = unionSorted(m.sgs, s.SecurityGroupIDs)
	for _, id := range s.SubnetIDs {
		sub := x.subnets[id]
		if sub == nil {
			continue
		}
		if m.vpc == "" {
			m.vpc = sub.VPCID
		}
		m.subnets = appendUnique(m.subnets, id)
		m.blocks = appendPrefix(m.blocks, sub.CIDRBlock)
	}
}
