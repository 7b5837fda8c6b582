package resources

import (
	"fmt"
	"net/netip"
	"slices"
	"strings"

	"github.com/breachpath/breachpath/collector/aws/inventory"
	"github.com/breachpath/breachpath/collector/aws/policy"
	"github.com/breachpath/breachpath/collector/portset"
	"github.com/breachpath/breachpath/graph"
)

// Techniques of network moves.
const (
	TechInternetExposed = "aws.ec2.internet-exposed"
	TechELBInternet     = "aws.elb.internet-facing"
	TechELBForward      = "aws.elb.forward-to-target"
	TechRDSPublic       = "aws.rds.public-endpoint"
	TechEKSPublic       = "aws.eks.public-endpoint"
	TechLambdaURL       = "aws.lambda.public-function-url"
	TechSGReach         = "aws.ec2.security-group-reach"
	TechSGHub           = "aws.ec2.security-group-members"
	TechSubnetMember    = "aws.ec2.subnet-member"
)

// reachability adds every network move once all nodes exist.
func (b *builder) reachability() {
	cache := map[string]*exposure{}
	for _, m := range b.members {
		n := b.nodes[m.id]
		switch {
		case n.Kind == graph.KindCompute && (m.v4 || m.v6):
			var pubIP []string
			if m.v4 {
				pubIP = append(pubIP, b.flag(RulePublicIP, m.id, defaultSeverity, fmt.Sprintf("instance %s has a public IPv4 address", n.Name)))
			}
			e := b.internetExposure(m.region, reachQuery{sgIDs: m.sgs, subnets: m.subnets, v4: m.v4, v6: m.v6}, cache)
			if e.ok() {
				likelihood := 0.0
				var ev, services []string
				if inst := m.region.instances[arnName(m.id)]; inst != nil {
					var known bool
					ev, services, known = b.exposedServices(m.region, m.id, inst, e.ports)
					if !known {
						likelihood = unknownServiceLikelihood
					}
				}
				edge := b.expose(m.id, TechInternetExposed, e, likelihood, append(pubIP, b.exposureFindings(m.region, e, m.subnets)...), ev...)
				if len(services) > 0 {
					edge.Props["services"] = services
				}
				b.instanceLogins(m.id, e, edge)
			}
		case n.NativeType == "AWS::RDS::DBInstance" && m.v4:
			port, _ := n.Props["port"].(int64)
			if port == 0 {
				continue
			}
			restrict := singleTCP(int32(port))
			e := b.internetExposure(m.region, reachQuery{sgIDs: m.sgs, subnets: m.subnets, v4: true, restrict: &restrict}, cache)
			if e.ok() {
				f := append([]string{graph.FindingID(RuleRDSPublic, m.id)}, b.exposureFindings(m.region, e, m.subnets)...)
				b.expose(m.id, TechRDSPublic, e, 0, f, "PubliclyAccessible=true: the endpoint resolves to a public address")
			}
		}
	}
	for _, lb := range b.lbs {
		b.loadBalancerMoves(lb, cache)
	}
	b.kubeExposureMoves(cache)
	for _, x := range b.regions {
		for i := range x.d.Functions {
			b.functionURLMoves(&x.d.Functions[i])
		}
		for i := range x.d.EKSClusters {
			b.eksMoves(&x.d.EKSClusters[i])
		}
	}
	b.lateral()
	b.applyNetworkPolicies()
}

// exposureFindings returns the security-group and network-ACL findings
// whose ports the exposure uses.
func (b *builder) exposureFindings(x *regionIndex, e *exposure, subnets []string) []string {
	var out []string
	for _, sg := range e.sgs {
		for _, f := range b.sgFindings[b.sgID(x, sg)] {
			if !f.ports.intersect(e.ports).empty() {
				out = append(out, f.id)
			}
		}
	}
	for _, s := range subnets {
		acl := x.nacl(s)
		if acl == nil {
			continue
		}
		fid := b.naclFindings[acl.ID]
		if fid == "" {
			continue
		}
		for _, p := range adminPorts {
			if e.ports[protoTCP].Has(p) || e.ports[protoUDP].Has(p) {
				out = append(out, fid)
				break
			}
		}
	}
	return out
}

func (b *builder) loadBalancerMoves(info lbInfo, cache map[string]*exposure) {
	x, lb := info.region, info.lb
	var listen protoPorts
	for _, l := range lb.Listeners {
		p := protoTCP
		if strings.EqualFold(l.Protocol, "UDP") {
			p = protoUDP
		}
		listen[p] = listen[p].Union(portset.Single(l.Port))
	}
	// A network load balancer without security groups filters nothing and
	// passes client addresses through: its targets' groups decide instead.
	open := len(lb.SecurityGroupIDs) == 0 && lb.Type != "classic"
	if lb.Scheme == "internet-facing" && !listen.empty() {
		e := b.internetExposure(x, reachQuery{sgIDs: lb.SecurityGroupIDs, subnets: lb.SubnetIDs, v4: true, restrict: &listen, openSources: open}, cache)
		if e.ok() {
			b.expose(info.id, TechELBInternet, e, 0, b.exposureFindings(x, e, lb.SubnetIDs), "scheme internet-facing")
		}
	}
	var lbBlocks []netip.Prefix
	for _, s := range lb.SubnetIDs {
		if sub := x.subnets[s]; sub != nil {
			lbBlocks = appendPrefix(lbBlocks, sub.CIDRBlock)
		}
	}
	forward := func(target string, targetSGs []string, port int32, via string) {
		b.edge(graph.Edge{From: info.id, To: target, Kind: graph.EdgeTargets, Props: graph.Props{"via": []string{via}}})
		want := singleTCP(port)
		var admitted protoPorts
		if targetSGs == nil {
			admitted = want // Lambda targets are invoked by the ELB service, not over the VPC
		} else {
			admitted = b.sgAdmits(x, targetSGs, lb.SecurityGroupIDs, lbBlocks, open && lb.Scheme == "internet-facing", want)
		}
		if admitted.empty() {
			return
		}
		b.edge(graph.Edge{From: info.id, To: target, Kind: graph.EdgeReaches, Technique: TechELBForward,
			Evidence: []string{fmt.Sprintf("%s forwards to %s on %s and the target's security groups admit the load balancer", lb.Name, target, strings.Join(admitted.strings(), " "))},
			Props:    graph.Props{"ports": admitted.strings()}})
	}
	tgs := map[string]*inventory.TargetGroup{}
	for i := range x.d.TargetGroups {
		tgs[x.d.TargetGroups[i].ARN] = &x.d.TargetGroups[i]
	}
	for _, l := range lb.Listeners {
		for _, tgARN := range l.TargetGroupARNs {
			tg := tgs[tgARN]
			if tg == nil {
				continue
			}
			for _, t := range tg.Targets {
				port := t.Port
				if port == 0 {
					port = tg.Port
				}
				switch tg.TargetType {
				case "lambda":
					if b.nodes[t.ID] != nil {
						forward(t.ID, nil, port, tg.Name)
					}
				case "ip":
					if pt, ok := b.podIPs[x.name+"|"+t.ID]; ok {
						forward(pt.id, pt.sgs, port, tg.Name+" (pod IP "+t.ID+")")
					} else if m := b.memberByIP(x, t.ID); m != nil {
						forward(m.id, m.sgs, port, tg.Name)
					}
				default:
					if m := b.memberByID(b.instanceID(x, t.ID)); m != nil {
						b.forwardToHost(m, port, tg.Name, forward)
					}
				}
			}
		}
		if l.InstancePort != 0 {
			for _, inst := range lb.InstanceIDs {
				if m := b.memberByID(b.instanceID(x, inst)); m != nil {
					b.forwardToHost(m, l.InstancePort, "classic listener", forward)
				}
			}
		}
	}
}

// forwardToHost forwards to an instance target, or to the containers that
// answer on that host port (bridge or host network mode) when ECS placed
// any there, or to the EKS workloads a Kubernetes NodePort there forwards
// to: the load balancer's traffic lands in the container, not on the host.
func (b *builder) forwardToHost(m *member, port int32, via string, forward func(string, []string, int32, string)) {
	tds := b.hostPorts[fmt.Sprintf("%s|%d", m.id, port)]
	if len(tds) == 0 {
		forward(m.id, m.sgs, port, via)
		return
	}
	for _, td := range tds {
		forward(td, m.sgs, port, via+" (container port on "+arnName(m.id)+")")
	}
}

func (b *builder) memberByID(id string) *member {
	if b.memberIndex == nil {
		b.memberIndex = make(map[string]int, len(b.members))
		for i := range b.members {
			b.memberIndex[b.members[i].id] = i
		}
	}
	if i, ok := b.memberIndex[id]; ok && id != "" {
		return &b.members[i]
	}
	return nil
}

func (b *builder) memberByIP(x *regionIndex, ip string) *member {
	a, err := netip.ParseAddr(ip)
	if err != nil {
		return nil
	}
	for i := range b.members {
		m := &b.members[i]
		if m.region != x {
			continue
		}
		for _, blk := range m.blocks {
			if blk.Bits() == a.BitLen() && blk.Addr() == a {
				return m
			}
		}
	}
	return nil
}

// sgAdmits returns the ports of want that the target groups admit from a
// source with the given groups and address blocks (or, when public is set,
// from broad public sources).
func (b *builder) sgAdmits(x *regionIndex, targetSGs, srcSGs []string, srcBlocks []netip.Prefix, public bool, want protoPorts) protoPorts {
	var got protoPorts
	for _, id := range targetSGs {
		sg := x.sgs[id]
		if sg == nil {
			continue
		}
		got = got.union(rulesAdmit(b, sg.Ingress, srcSGs, srcBlocks, public, want))
	}
	return got
}

// rulesAdmit evaluates security-group rules (ingress or egress) against a
// peer named by its groups and address blocks.
func rulesAdmit(b *builder, rules []inventory.SGRule, peerSGs []string, peerBlocks []netip.Prefix, public bool, want protoPorts) protoPorts {
	var got protoPorts
	for _, r := range rules {
		ports := sgRulePorts(r.Protocol, r.FromPort, r.ToPort).intersect(want)
		if ports.empty() {
			continue
		}
		match := false
		for _, ref := range r.GroupRefs {
			if slices.Contains(peerSGs, ref.GroupID) {
				match = true
			}
		}
		for _, c := range append(slices.Clone(r.CIDRs), r.IPv6CIDRs...) {
			p, ok := parsePrefix(c)
			if !ok {
				continue
			}
			if public && b.broadPublic(p) {
				match = true
			}
			for _, blk := range peerBlocks {
				if containsPrefix(p, blk) {
					match = true
				}
			}
		}
		if match {
			got = got.union(ports)
		}
	}
	return got
}

func (b *builder) functionURLMoves(f *inventory.LambdaFunction) {
	for _, u := range f.FunctionURLs {
		if !strings.EqualFold(u.AuthType, "NONE") {
			continue
		}
		fid := b.flag(RuleLambdaURLNoAuth, f.ARN, defaultSeverity, fmt.Sprintf("function URL %s has AuthType NONE", u.URL))
		e := &exposure{evidence: []string{fmt.Sprintf("function URL %s has AuthType NONE", u.URL)}}
		e.ports[protoTCP] = portset.Single(443)
		likelihood := 0.0
		if !publicInvokePolicy(f.Policy, f.ARN) {
			// AWS also requires a resource policy granting
			// lambda:InvokeFunctionUrl to "*"; without one (or unreadable)
			// the URL answers 403, so the move is a coin flip at best.
			likelihood = 0.3
			e.evidence = append(e.evidence, "no resource policy statement seen granting lambda:InvokeFunctionUrl to everyone")
		} else {
			e.evidence = append(e.evidence, "resource policy grants lambda:InvokeFunctionUrl to everyone")
		}
		b.expose(f.ARN, TechLambdaURL, e, likelihood, []string{fid})
	}
}

// publicInvokePolicy reports whether the function policy lets anonymous
// callers invoke the function URL.
func publicInvokePolicy(doc, arn string) bool {
	if doc == "" {
		return false
	}
	pol, err := policy.Parse([]byte(doc))
	if err != nil {
		return false
	}
	res := policy.Evaluate(policy.Request{
		Principal: policy.Principal{Type: policy.TypeAnonymous},
		Action:    "lambda:InvokeFunctionUrl", Resource: arn, ResourceAccount: arnAccount(arn),
		Context: map[string][]string{"lambda:FunctionUrlAuthType": {"NONE"}},
	}, policy.PolicySet{Resource: pol})
	return res.Decision == policy.Allowed
}

func (b *builder) eksMoves(c *inventory.EKSCluster) {
	if !c.EndpointPublicAccess {
		return
	}
	cidrs := c.PublicAccessCIDRs
	if len(cidrs) == 0 {
		cidrs = []string{"0.0.0.0/0"} // the API's default when none are set
	}
	var broad []string
	for _, s := range cidrs {
		if p, ok := parsePrefix(s); ok && b.broadPublic(p) {
			broad = append(broad, s)
		}
	}
	sev := graph.SeverityMedium
	if len(broad) > 0 {
		sev = graph.SeverityHigh
	}
	fid := b.flag(RuleEKSPublic, c.ARN, sev, fmt.Sprintf("cluster %s endpoint is public to %s", c.Name, strings.Join(cidrs, ", ")))
	if len(broad) == 0 {
		return
	}
	e := &exposure{evidence: []string{fmt.Sprintf("endpointPublicAccess=true with publicAccessCidrs %s", strings.Join(broad, ", "))}}
	e.ports[protoTCP] = portset.Single(443)
	b.expose(c.ARN, TechEKSPublic, e, 0.5, []string{fid}, "the Kubernetes API still requires credentials; exposure enables credential attacks and API exploits")
}

// lateral adds REACHES moves from security-group rules. A rule of group T
// admitting group S (or a private block) lets every member of S (or every
// member whose address is in the block, same VPC) reach every member of T
// on the rule's ports, provided the source's own egress rules allow it.
// When one rule would connect more than MaxReachPairs pairs, it is
// expressed through T's node as a hub (sources -> T -> members).
func (b *builder) lateral() {
	interRegion := b.interRegionLinks()
	for _, x := range b.regions {
		var idx, remote []int
		sgMembers := map[string][]int{}
		for i := range b.members {
			m := &b.members[i]
			if m.region != x {
				// Members of other regions are CIDR sources only, and only when an
				// inter-region peering or transit gateway peering exists.
				if interRegion && m.vpc != "" {
					remote = append(remote, i)
				}
				continue
			}
			idx = append(idx, i)
			for _, sg := range m.sgs {
				sgMembers[sg] = append(sgMembers[sg], i)
			}
		}
		for si := range x.d.SecurityGroups {
			t := &x.d.SecurityGroups[si]
			targets := sgMembers[t.ID]
			if len(targets) == 0 {
				continue
			}
			for _, r := range t.Ingress {
				ports := sgRulePorts(r.Protocol, r.FromPort, r.ToPort)
				if ports.empty() {
					continue
				}
				src := map[int]bool{}
				// cross holds sources in other VPCs; they reach only where
				// routes carry the traffic (crossEdges decides).
				cross := map[int]*crossSource{}
				crossOf := func(i int) *crossSource {
					if cross[i] == nil {
						cross[i] = &crossSource{}
					}
					return cross[i]
				}
				var why []string
				var cidrs []netip.Prefix
				for _, ref := range r.GroupRefs {
					if ref.UserID != "" && ref.UserID != b.account {
						continue
					}
					for _, i := range sgMembers[ref.GroupID] {
						if m := &b.members[i]; m.vpc != "" && t.VPCID != "" && m.vpc != t.VPCID {
							c := crossOf(i)
							c.byRef = true
							c.why = appendUnique(c.why, ref.GroupID)
							continue
						}
						src[i] = true
					}
					why = append(why, ref.GroupID)
				}
				for _, c := range append(slices.Clone(r.CIDRs), r.IPv6CIDRs...) {
					p, ok := parsePrefix(c)
					if !ok {
						continue
					}
					hit := false
					for _, i := range idx {
						m := &b.members[i]
						for _, blk := range m.blocks {
							if !containsPrefix(p, blk) {
								continue
							}
							if m.vpc == t.VPCID {
								src[i] = true
								hit = true
							} else if m.vpc != "" {
								cs := crossOf(i)
								cs.byCIDR = true
								cs.why = appendUnique(cs.why, c)
							}
							break
						}
					}
					for _, i := range remote {
						for _, blk := range b.members[i].blocks {
							if containsPrefix(p, blk) {
								cs := crossOf(i)
								cs.byCIDR = true
								cs.why = appendUnique(cs.why, c)
								break
							}
						}
					}
					if hit {
						why = append(why, c)
						cidrs = append(cidrs, p)
					}
				}
				for i := range src {
					if b.members[i].forwardOnly || b.members[i].serves != nil {
						delete(src, i)
					}
				}
				plain, served := splitServed(b.members, targets)
				if len(plain) > 0 {
					b.crossEdges(x, t, plain, cross, ports)
					if len(src) > 0 {
						b.reachEdges(x, t, plain, sortedIdx(src), ports, cidrs, strings.Join(why, ", "))
					}
				}
				// A member serving fixed ports (an EFS mount target) is reached on
				// those only; one whose file system's policy decides who mounts is
				// recorded for the identity part instead of drawn.
				for _, ti := range served {
					p := ports.intersect(*b.members[ti].serves)
					if p.empty() {
						continue
					}
					if info := b.efs[b.members[ti].id]; info != nil && !info.open {
						b.gatedReachEdges(x, t, ti, sortedIdx(src), p, strings.Join(why, ", "))
						continue
					}
					b.crossEdges(x, t, []int{ti}, cross, p)
					if len(src) > 0 {
						b.reachEdges(x, t, []int{ti}, sortedIdx(src), p, cidrs, strings.Join(why, ", "))
					}
				}
			}
		}
	}
}

func sortedIdx(m map[int]bool) []int {
	out := make([]int, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// reachEdges adds the moves of one ingress rule of t. In hub mode a source
// whose egress is unrestricted and whose whole subnet lies in one of the
// rule's CIDRs enters through its subnet (source -> subnet -> t -> members):
// every such member of that subnet is a source of the rule, so the subnet
// edge is exact, and a CIDR rule over many subnets costs one edge per subnet
// instead of one per source.
func (b *builder) reachEdges(x *regionIndex, t *inventory.SecurityGroup, targets, sources []int, ports protoPorts, cidrs []netip.Prefix, why string) {
	evidence := fmt.Sprintf("security group %s admits %s on %s", t.ID, why, strings.Join(ports.strings(), " "))
	egress := func(src, dst *member) protoPorts { return b.egressPorts(x, src, dst, ports) }
	if len(sources)*len(targets) <= b.opts.MaxReachPairs {
		for _, si := range sources {
			s := &b.members[si]
			for _, ti := range targets {
				d := &b.members[ti]
				if samePlace(s, d) {
					continue
				}
				p := egress(s, d)
				if p.empty() {
					continue
				}
				p, aclWhy := b.withinVPC(x, s, d, p)
				if p.empty() {
					continue
				}
				ev := []string{evidence}
				if aclWhy != "" {
					ev = append(ev, aclWhy)
				}
				b.edge(graph.Edge{From: s.id, To: d.id, Kind: graph.EdgeReaches, Technique: TechSGReach,
					Evidence: ev, Props: graph.Props{"ports": p.strings()}})
			}
		}
		return
	}
	hub := b.sgID(x, t.ID)
	first := &b.members[targets[0]]
	hubEvidence := fmt.Sprintf("%d sources x %d members: expressed through the security group", len(sources), len(targets))
	// Network ACLs between subnets decide per side here: a source (or its
	// subnet) sends what passes to some target subnet, a target receives what
	// passes from some source subnet.
	targetSubnets, sourceSubnets := b.memberSubnets(targets), b.memberSubnets(sources)
	viaSubnet := map[string]bool{}
	if b.subnetMember == nil {
		b.subnetMember = map[string]bool{}
	}
	for _, si := range sources {
		s := &b.members[si]
		if subnets := b.coveredSubnets(x, s, cidrs); len(subnets) > 0 && b.openEgress(x, s) {
			for _, raw := range subnets {
				sub := b.subnetID(x, raw)
				// Both edges repeat across sources and rules: add each once.
				if k := s.id + "|" + sub; !b.subnetMember[k] {
					b.subnetMember[k] = true
					b.edge(graph.Edge{From: s.id, To: sub, Kind: graph.EdgeReaches, Technique: TechSubnetMember,
						Evidence: []string{fmt.Sprintf("%s sits in %s and its security groups allow all egress", s.id, sub)}})
				}
				if !viaSubnet[sub] {
					viaSubnet[sub] = true
					if p := b.aclToAny(x, subnetSide(x, raw), targetSubnets, ports); !p.empty() {
						b.edge(graph.Edge{From: sub, To: hub, Kind: graph.EdgeReaches, Technique: TechSGReach,
							Evidence: []string{evidence, hubEvidence}, Props: graph.Props{"ports": p.strings()}})
					}
				}
			}
			continue
		}
		p := b.aclToAny(x, s, targetSubnets, egress(s, first))
		if p.empty() {
			continue
		}
		b.edge(graph.Edge{From: s.id, To: hub, Kind: graph.EdgeReaches, Technique: TechSGReach,
			Evidence: []string{evidence, hubEvidence},
			Props:    graph.Props{"ports": p.strings()}})
	}
	for _, ti := range targets {
		p := b.aclFromAny(x, sourceSubnets, &b.members[ti], ports)
		if p.empty() {
			continue
		}
		b.edge(graph.Edge{From: hub, To: b.members[ti].id, Kind: graph.EdgeReaches, Technique: TechSGHub,
			Evidence: []string{fmt.Sprintf("%s is a member of security group %s", b.members[ti].id, t.ID)},
			Props:    graph.Props{"ports": p.strings()}})
	}
}

// egressPorts returns the ports of want that the source's own security
// groups let it send to the destination.
func (b *builder) egressPorts(x *regionIndex, src, dst *member, want protoPorts) protoPorts {
	if len(src.sgs) == 0 {
		return want
	}
	var got protoPorts
	for _, id := range src.sgs {
		if sg := x.sgs[id]; sg != nil {
			got = got.union(rulesAdmit(b, sg.Egress, dst.sgs, dst.blocks, false, want))
			// An egress rule to 0.0.0.0/0 admits every destination.
			got = got.union(rulesAdmit(b, sg.Egress, nil, []netip.Prefix{netip.MustParsePrefix("0.0.0.0/32")}, false, want))
		} else {
			got = want // group not in the inventory: assume the default allow-all egress
		}
	}
	return got
}

// coveredSubnets returns the ids of the member's subnets whose whole IPv4
// block lies inside one of the CIDRs.
func (b *builder) coveredSubnets(x *regionIndex, m *member, cidrs []netip.Prefix) []string {
	var out []string
	for _, id := range m.subnets {
		sub := x.subnets[id]
		if sub == nil {
			continue
		}
		blk, ok := parsePrefix(sub.CIDRBlock)
		if !ok {
			continue
		}
		for _, c := range cidrs {
			if containsPrefix(c, blk) {
				out = append(out, id)
				break
			}
		}
	}
	return out
}

// openEgress reports whether the member may send anything anywhere: no
// groups known, a group missing from the inventory (AWS's default egress is
// allow-all), or a group with an all-traffic egress rule to 0.0.0.0/0.
func (b *builder) openEgress(x *regionIndex, m *member) bool {
	if len(m.sgs) == 0 {
		return true
	}
	for _, id := range m.sgs {
		sg := x.sgs[id]
		if sg == nil {
			return true
		}
		for _, r := range sg.Egress {
			if r.Protocol != "-1" && r.Protocol != "all" {
				continue
			}
			if slices.Contains(r.CIDRs, "0.0.0.0/0") {
				return true
			}
		}
	}
	return false
}
