package resources

import (
	"fmt"
	"maps"
	"net/netip"
	"slices"
	"strings"

	"github.com/breachpath/breachpath/collector/aws/inventory"
	"github.com/breachpath/breachpath/graph"
)

// sgSource is a broad public source block one security group rule admits.
type sgSource struct {
	prefix netip.Prefix
	ports  protoPorts
	sg     string
}

// exposure is the result of evaluating internet reachability of a set of
// security groups in a set of subnets.
type exposure struct {
	ports    protoPorts
	evidence []string
	// sgs lists the security groups whose public rules admit the exposed ports.
	sgs []string
}

func (e *exposure) ok() bool { return !e.ports.empty() }

// reachQuery describes one resource's network position.
type reachQuery struct {
	sgIDs   []string
	subnets []string
	v4, v6  bool // the resource has a public IPv4 / IPv6 address
	// restrict, when set, limits the result to these ports (load balancer
	// listeners, the database port).
	restrict *protoPorts
	// openSources treats the resource as admitting every source (a network
	// load balancer without security groups filters nothing itself).
	openSources bool
}

func (q reachQuery) key() string {
	sgs := slices.Clone(q.sgIDs)
	slices.Sort(sgs)
	subs := slices.Clone(q.subnets)
	slices.Sort(subs)
	r := ""
	if q.restrict != nil {
		r = strings.Join(q.restrict.strings(), ",")
	}
	return fmt.Sprintf("%s|%s|%t|%t|%s|%t", strings.Join(sgs, ","), strings.Join(subs, ","), q.v4, q.v6, r, q.openSources)
}

// internetExposure decides on which ports the Internet reaches a resource.
// All must hold, per address family: the resource has a public address of
// that family; its subnet's route table (explicit association or the VPC's
// main table) has an active default route (0.0.0.0/0 or ::/0) to an
// internet gateway attached to the VPC; a security group admits a broad
// public source block on the port; and the subnet's network ACL, evaluated
// in rule-number order with the implicit deny, admits that source inbound
// on the port and lets replies out on a whole ephemeral range. A resource in
// several subnets is exposed through any of them.
func (b *builder) internetExposure(x *regionIndex, q reachQuery, cache map[string]*exposure) *exposure {
	k := q.key()
	if e, ok := cache[k]; ok {
		return e
	}
	res := &exposure{}
	sgSeen := map[string]bool{}
	for _, subnet := range q.subnets {
		rt := x.routeTable(subnet)
		igw4, igw6 := defaultRoutes(x, rt)
		acl := x.nacl(subnet)
		for _, fam := range []struct {
			v6      bool
			enabled bool
			igw     string
		}{{false, q.v4, igw4}, {true, q.v6, igw6}} {
			if !fam.enabled || fam.igw == "" {
				continue
			}
			srcs := b.publicSources(x, q, fam.v6)
			if len(srcs) == 0 {
				continue
			}
			got, inRules, outRules, sgs := evalSources(srcs, acl, fam.v6)
			if q.restrict != nil {
				got = got.intersect(*q.restrict)
			}
			if got.empty() {
				continue
			}
			res.ports = res.ports.union(got)
			dst := "0.0.0.0/0"
			if fam.v6 {
				dst = "::/0"
			}
			res.evidence = append(res.evidence, fmt.Sprintf("route table %s of subnet %s routes %s to %s", rtID(rt), subnet, dst, fam.igw))
			if acl != nil {
				res.evidence = append(res.evidence, fmt.Sprintf("network ACL %s admits the source inbound (rules %s) and replies outbound (rules %s)",
					acl.ID, joinInts(inRules), joinInts(outRules)))
			}
			for _, sg := range sgs {
				if !sgSeen[sg] {
					sgSeen[sg] = true
					res.sgs = append(res.sgs, sg)
				}
			}
		}
	}
	for _, sg := range res.sgs {
		res.evidence = append(res.evidence, fmt.Sprintf("security group %s admits a public source on %s", sg, strings.Join(res.ports.strings(), " ")))
	}
	if q.openSources && res.ok() {
		res.evidence = append(res.evidence, "the load balancer has no security group: every source reaches its listeners")
	}
	cache[k] = res
	return res
}

func rtID(rt *inventory.RouteTable) string {
	if rt == nil {
		return "(none)"
	}
	return rt.ID
}

// defaultRoutes returns the internet gateways the table's active IPv4 and
// IPv6 default routes point at ("" when none).
func defaultRoutes(x *regionIndex, rt *inventory.RouteTable) (v4, v6 string) {
	if rt == nil {
		return "", ""
	}
	for _, r := range rt.Routes {
		if !strings.HasPrefix(r.GatewayID, "igw-") || strings.EqualFold(r.State, "blackhole") {
			continue
		}
		if igw, known := x.igws[r.GatewayID]; known && !slices.Contains(igw.VPCs, rt.VPCID) {
			continue // detached gateway: the route is a blackhole in practice
		}
		if r.DestinationCIDR == "0.0.0.0/0" {
			v4 = r.GatewayID
		}
		if r.DestinationIPv6CIDR == "::/0" {
			v6 = r.GatewayID
		}
	}
	return v4, v6
}

// publicSources lists the broad public blocks the resource's security
// groups admit, per rule.
func (b *builder) publicSources(x *regionIndex, q reachQuery, v6 bool) []sgSource {
	if q.openSources {
		all := "0.0.0.0/0"
		if v6 {
			all = "::/0"
		}
		p, _ := parsePrefix(all)
		var pp protoPorts
		pp[protoTCP], pp[protoUDP] = allPorts, allPorts
		return []sgSource{{prefix: p, ports: pp, sg: ""}}
	}
	var out []sgSource
	for _, id := range q.sgIDs {
		sg := x.sgs[id]
		if sg == nil {
			continue
		}
		for _, r := range sg.Ingress {
			cidrs := r.CIDRs
			if v6 {
				cidrs = r.IPv6CIDRs
			}
			for _, c := range cidrs {
				p, ok := parsePrefix(c)
				if !ok || !b.broadPublic(p) {
					continue
				}
				pp := sgRulePorts(r.Protocol, r.FromPort, r.ToPort)
				if pp.empty() {
					continue
				}
				out = append(out, sgSource{prefix: p, ports: pp, sg: sg.ID})
			}
		}
	}
	return out
}

// broadPublic reports whether a source block stands for the Internet: its
// prefix is shorter than the configured limit and it is not entirely
// private or reserved space.
func (b *builder) broadPublic(p netip.Prefix) bool {
	limit := b.opts.BroadPrefixV4
	if p.Addr().Is6() && !p.Addr().Is4In6() {
		limit = b.opts.BroadPrefixV6
	}
	return p.Bits() < limit && isPublicBlock(p)
}

// evalSources intersects what the security-group sources admit with what
// the network ACL admits (both directions) for every homogeneous public
// block of the sources.
func evalSources(srcs []sgSource, acl *inventory.NetworkACL, v6 bool) (got protoPorts, inRules, outRules []int32, sgs []string) {
	var splits []netip.Prefix
	splits = append(splits, naclSplits(acl, v6)...)
	splits = append(splits, nonPublic...)
	var roots []netip.Prefix
	for _, s := range srcs {
		splits = append(splits, s.prefix)
		roots = append(roots, s.prefix)
	}
	roots = maximal(roots)
	sgSet := map[string]bool{}
	inSet, outSet := map[int32]bool{}, map[int32]bool{}
	for _, root := range roots {
		leaves(root, splits, func(leaf netip.Prefix) {
			if !isPublicBlock(leaf) {
				return
			}
			var sgAllowed protoPorts
			var contributors []sgSource
			for _, s := range srcs {
				if containsPrefix(s.prefix, leaf) {
					sgAllowed = sgAllowed.union(s.ports)
					contributors = append(contributors, s)
				}
			}
			if sgAllowed.empty() {
				return
			}
			addr := leaf.Addr()
			for p := proto(0); p < numProtos; p++ {
				if len(sgAllowed[p]) == 0 {
					continue
				}
				in, ir := naclDecision(acl, false, addr, p)
				out, or := naclDecision(acl, true, addr, p)
				if !returnTrafficAllowed(out) {
					continue
				}
				ports := sgAllowed[p].Intersect(in)
				if len(ports) == 0 {
					continue
				}
				got[p] = got[p].Union(ports)
				for _, n := range ir {
					inSet[n] = true
				}
				for _, n := range or {
					outSet[n] = true
				}
				for _, c := range contributors {
					if len(c.ports[p].Intersect(ports)) > 0 && c.sg != "" {
						sgSet[c.sg] = true
					}
				}
			}
		})
	}
	return got, sortedInts(inSet), sortedInts(outSet), slices.Sorted(maps.Keys(sgSet))
}

// maximal drops blocks contained in another block of the list.
func maximal(ps []netip.Prefix) []netip.Prefix {
	var out []netip.Prefix
	for i, p := range ps {
		keep := true
		for j, q := range ps {
			if i != j && containsPrefix(q, p) && (q.Bits() < p.Bits() || j < i) {
				keep = false
				break
			}
		}
		if keep {
			out = append(out, p)
		}
	}
	return out
}

func sortedInts(m map[int32]bool) []int32 {
	out := make([]int32, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// expose adds the Internet -EXPOSED_TO-> target move for an exposure.
func (b *builder) expose(target, technique string, e *exposure, likelihood float64, findings []string, evidence ...string) *graph.Edge {
	b.internetNode()
	return b.edge(graph.Edge{
		From: graph.InternetID, To: target, Kind: graph.EdgeExposedTo, Technique: technique,
		Likelihood: likelihood, Evidence: append(slices.Clone(e.evidence), evidence...), Findings: findings,
		Props: graph.Props{"ports": e.ports.strings()},
	})
}

func (b *builder) internetNode() {
	b.node(graph.Node{ID: graph.InternetID, Kind: graph.KindInternet, Name: "Internet", Stub: true, Cloud: graph.CloudNone})
}
