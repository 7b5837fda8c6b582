package transform

import (
	"net/netip"
	"slices"
	"strings"

	"github.com/breachpath/breachpath/collector/azure/inventory"
	"github.com/breachpath/breachpath/graph"
)

// Techniques of reach between virtual networks that are not peered with
// each other, through a hub they are both peered with.
const (
	// TechSubnetMember: a workload → its subnet, drawn for subnets whose
	// routes carry traffic through a hub (the hub's decision depends on
	// the source subnet, so the move starts there).
	TechSubnetMember = "azure.network.subnet-member"
	// TechHubTransit: a subnet → a member or private endpoint target of a
	// spoke network it is not peered with, through an appliance, an Azure
	// Firewall or the VPN gateway of a hub both are peered with.
	TechHubTransit = "azure.network.hub-transit"
)

// routeTable is a route table as subnets use it.
type routeTable struct {
	name   string
	routes []inventory.Route
}

// effRoute is the route a subnet uses for a destination: a user-defined
// route or a system route (VnetLocal, VNetPeering, Internet).
type effRoute struct {
	kind   string // VirtualAppliance, VirtualNetworkGateway, None, Internet, VnetLocal, VNetPeering
	ip     string // the appliance's address
	remote string // the peered network of a VNetPeering system route
	name   string // "<table>/<route>" of a user-defined route
}

// routeOf returns the route a subnet of network vn uses for dst: the
// longest prefix of its user-defined routes and the system routes of its
// own and its peers' address spaces; at equal length the user-defined
// route wins, as in Azure. Without any match traffic takes the default
// system route to the Internet.
func (b *builder) routeOf(subnet string, vn *vnetNet, dst netip.Prefix, udr bool) effRoute {
	best, bits := effRoute{kind: "Internet"}, -1
	consider := func(pf netip.Prefix, r effRoute, udr bool) {
		if !pf.IsValid() || pf.Bits() > dst.Bits() || !pf.Contains(dst.Addr()) {
			return
		}
		if pf.Bits() > bits || (pf.Bits() == bits && udr) {
			best, bits = r, pf.Bits()
		}
	}
	if vn != nil {
		for _, pf := range vn.space {
			consider(pf, effRoute{kind: "VnetLocal"}, false)
		}
		for remote := range vn.peers {
			if rv := b.vnets[remote]; rv != nil {
				for _, pf := range rv.space {
					consider(pf, effRoute{kind: "VNetPeering", remote: remote}, false)
				}
			}
		}
	}
	if t := b.subnetTable[subnet]; t != nil && udr {
		for _, r := range t.routes {
			v := strings.TrimSpace(r.Properties.AddressPrefix)
			if strings.EqualFold(v, "Internet") {
				v = "0.0.0.0/0"
			}
			pf, err := netip.ParsePrefix(v)
			if err != nil {
				continue
			}
			consider(pf, effRoute{kind: r.Properties.NextHopType, ip: r.Properties.NextHopIPAddress, name: t.name + "/" + r.Name}, true)
		}
	}
	return best
}

// describe renders a route for evidence.
func (r effRoute) describe() string {
	if r.name == "" {
		return "system route " + r.kind
	}
	return "route " + r.name + " (next hop " + strings.TrimSpace(r.kind+" "+r.ip) + ")"
}

// crossNetwork draws reach between virtual networks: a connected peering
// lets each network reach the other's members and private endpoint
// targets directly (never onward: peering is not transitive), and a
// subnet whose routes send a spoke's addresses to a hub reaches that
// spoke through the hub (transit).
func (b *builder) crossNetwork() {
	for _, d := range b.dests {
		b.peerReach(d)
	}
	b.transit()
}

// peerReach draws reach to d from every network d's network is peered
// with, its NSGs evaluated for the peer's address space.
func (b *builder) peerReach(d *netDest) {
	vn := b.vnets[d.vnet]
	if vn == nil {
		return
	}
	for _, remote := range sortedKeys(vn.peers) {
		if _, ok := b.nodes[remote]; !ok {
			continue
		}
		var space []netip.Prefix
		if rv := b.vnets[remote]; rv != nil {
			if rv.peers[d.vnet].noAccess {
				continue // the peer's side refuses its VMs access to this network
			}
			space = rv.space
		}
		open, nsgs, filtered := d.open(ruleFromVNet(space))
		if open.empty() {
			continue
		}
		ev := []string{"peering " + vn.peers[remote].name + " (Connected) joins " + short(d.vnet) + " and " + short(remote)}
		if filtered {
			ev = append(ev, "NSG "+joinShort(nsgs)+" admits "+strings.Join(open.strings(), ", ")+" from the peered network")
		}
		tech, lk := TechVNetPeering, 0.6
		if d.pe != "" {
			tech, lk = TechPrivateEndpoint, 0.9
			ev = append(ev, d.via+" in subnet "+short(d.subnet)+" serves "+short(d.node))
		}
		b.move(graph.Edge{From: remote, To: d.node, Kind: graph.EdgeReaches, Technique: tech, Likelihood: lk,
			Evidence: ev, Props: graph.Props{"ports": open.strings()}})
	}
}

// transitSource is a subnet whose traffic may leave through a hub.
type transitSource struct {
	id     string
	vnet   *vnetNet
	prefix netip.Prefix
}

// transit draws, for every routed subnet S of a network A and every
// destination d in a network B that A is not peered with, reach S → d
// when traffic is really forwarded through a hub H peered with both:
//   - S's route for d's address is a user-defined route to a virtual
//     appliance whose address is in H, H's peering to B allows forwarded
//     traffic, and the route of d's subnet back to S goes to the same
//     appliance (replies that bypass it are dropped). An inventoried Azure
//     Firewall decides by its network rules (the ports they allow, less
//     what the NSGs deny); an appliance not inventoried leaves the move
//     conditional;
//   - or S's route is to the virtual network gateway, A and B both use H's
//     gateway (useRemoteGateways on their side, allowGatewayTransit on
//     H's) and d's subnet routes S back to the gateway: conditional, as the
//     gateway's own forwarding is not read.
func (b *builder) transit() {
	fwByIP := map[string]*firewallInfo{}
	for _, id := range sortedKeys(b.firewalls) {
		for _, ip := range b.firewalls[id].privateIPs {
			fwByIP[ip] = b.firewalls[id]
		}
	}
	var sources []transitSource
	for _, subnet := range sortedKeys(b.subnetTable) {
		vn := b.vnets[vnetOf(subnet)]
		n := b.nodes[subnet]
		if vn == nil || n == nil || n.Stub {
			continue
		}
		v, _ := n.Props["address_prefix"].(string)
		pf, err := netip.ParsePrefix(strings.Split(v, ",")[0])
		if err != nil {
			continue
		}
		sources = append(sources, transitSource{id: subnet, vnet: vn, prefix: pf})
	}
	byVNet := map[string][]*netDest{}
	for _, d := range b.dests {
		byVNet[d.vnet] = append(byVNet[d.vnet], d)
	}
	for _, s := range sources {
		drawn := false
		// Only networks two peerings away (peers of the subnet's peers) can
		// be reached through a hub; the rest are never looked at.
		far := map[string]bool{}
		for hub := range s.vnet.peers {
			if hv := b.vnets[hub]; hv != nil {
				for spoke := range hv.peers {
					far[spoke] = true
				}
			}
		}
		for _, vnet := range sortedKeys(far) {
			for _, d := range byVNet[vnet] {
				if b.transitMove(s, d, fwByIP) {
					drawn = true
				}
			}
		}
		if !drawn {
			continue
		}
		for _, ws := range b.workloadsIn(s.id) {
			b.move(graph.Edge{From: ws, To: s.id, Kind: graph.EdgeReaches, Technique: TechSubnetMember, Likelihood: 1,
				Evidence: []string{short(ws) + " is in subnet " + short(s.id) + " of " + short(s.vnet.id)}})
		}
	}
}

// destPrefix is the address a destination is reached at: its first
// private address, or its subnet's prefix when none is known.
func (b *builder) destPrefix(d *netDest) (netip.Prefix, bool) {
	for _, ip := range d.ips {
		if a, err := netip.ParseAddr(ip); err == nil {
			return netip.PrefixFrom(a, a.BitLen()), true
		}
	}
	if n := b.nodes[d.subnet]; n != nil {
		v, _ := n.Props["address_prefix"].(string)
		if pf, err := netip.ParsePrefix(strings.Split(v, ",")[0]); err == nil {
			return pf, true
		}
	}
	return netip.Prefix{}, false
}

// transitMove draws S → d through a hub when the routes, peerings and
// the hub's firewall let the traffic through; it reports whether it drew.
func (b *builder) transitMove(s transitSource, d *netDest, fwByIP map[string]*firewallInfo) bool {
	if d.vnet == s.vnet.id {
		return false
	}
	if _, peered := s.vnet.peers[d.vnet]; peered {
		return false // the peering itself carries the traffic (peerReach)
	}
	dv := b.vnets[d.vnet]
	dst, ok := b.destPrefix(d)
	if dv == nil || !ok {
		return false
	}
	out := b.routeOf(s.id, s.vnet, dst, true)
	back := b.routeOf(d.subnet, dv, s.prefix, !d.noUDR)
	var hub string
	var fw *firewallInfo
	conditional := false
	ev := []string{"subnet " + short(s.id) + " sends " + dst.String() + " by " + out.describe()}
	switch {
	case strings.EqualFold(out.kind, "VirtualAppliance"):
		ip, err := netip.ParseAddr(out.ip)
		if err != nil {
			return false
		}
		for _, remote := range sortedKeys(s.vnet.peers) {
			if rv := b.vnets[remote]; rv != nil && slices.ContainsFunc(rv.space, func(p netip.Prefix) bool { return p.Contains(ip) }) {
				hub = remote
			}
		}
		if hub == "" {
			return false // the appliance is in no network the subnet's network is peered with
		}
		if !strings.EqualFold(back.kind, "VirtualAppliance") {
			return false // replies take another path: the appliance sees half a connection (a private endpoint's, unless its subnet's network policies apply routes)
		}
		fw = fwByIP[out.ip]
		if back.ip != out.ip && (fw == nil || !slices.Contains(fw.privateIPs, back.ip)) {
			return false
		}
		hl, ok := b.vnets[hub].peers[d.vnet]
		if !ok || !hl.forwarded {
			return false // the hub's peering to the destination refuses forwarded traffic
		}
		ev = append(ev, "appliance "+out.ip+" is in hub "+short(hub)+", reached over peering "+s.vnet.peers[hub].name,
			"the hub forwards it: peering "+hl.name+" allows forwarded traffic into "+short(d.vnet),
			"subnet "+short(d.subnet)+" returns "+s.prefix.String()+" by "+back.describe())
		if fw == nil {
			conditional = true
			ev = append(ev, "network virtual appliance "+out.ip+" is not inventoried: the move holds only if it forwards the traffic")
		}
	case strings.EqualFold(out.kind, "VirtualNetworkGateway"):
		for _, remote := range sortedKeys(s.vnet.peers) {
			if s.vnet.peers[remote].useRemoteGateways {
				hub = remote
			}
		}
		hv := b.vnets[hub]
		if hv == nil || !hv.peers[s.vnet.id].gatewayTransit || !hv.peers[d.vnet].gatewayTransit || !dv.peers[hub].useRemoteGateways {
			return false
		}
		if !strings.EqualFold(back.kind, "VirtualNetworkGateway") {
			return false
		}
		conditional = true
		ev = append(ev, "both networks use the gateway of "+short(hub)+" (useRemoteGateways, allowGatewayTransit)",
			"subnet "+short(d.subnet)+" returns "+s.prefix.String()+" by "+back.describe(),
			"the gateway's forwarding between spokes is not read: the move holds only if it passes the traffic")
	default:
		return false
	}
	open, nsgs, filtered := d.open(ruleFromVNet([]netip.Prefix{s.prefix}))
	if fw != nil {
		v := fw.networkAllows(s.prefix, dst)
		switch {
		case !v.allowed.empty():
			open = open.intersect(v.allowed)
			ev = append(ev, "Azure Firewall "+fw.name+" allows "+strings.Join(v.allowed.strings(), ", ")+" by "+strings.Join(v.rules, ", "))
		case !v.maybe.empty():
			open, conditional = open.intersect(v.maybe), true
			ev = append(ev, "Azure Firewall "+fw.name+" may allow "+strings.Join(v.maybe.strings(), ", ")+" by "+strings.Join(v.maybeRules, ", ")+
				", which name IP groups whose members are not read: the move holds only if the groups hold these addresses")
		default:
			return false
		}
	}
	if open.empty() {
		return false
	}
	if filtered {
		ev = append(ev, "NSG "+joinShort(nsgs)+" admits "+strings.Join(open.strings(), ", ")+" from "+s.prefix.String())
	}
	if d.pe != "" {
		ev = append(ev, d.via+" in subnet "+short(d.subnet)+" serves "+short(d.node))
	}
	props := graph.Props{"ports": open.strings(), "hub": hub}
	if fw != nil {
		props["via"] = fw.id
	}
	b.move(graph.Edge{From: s.id, To: d.node, Kind: graph.EdgeReaches, Technique: TechHubTransit, Likelihood: 0.7,
		Evidence: ev, Props: props, Conditional: conditional})
	return true
}

// fwVerdict is what a firewall's network rules say about one flow.
type fwVerdict struct {
	// allowed are the ports rules allow for certain, by the rules named.
	allowed openSet
	rules   []string
	// maybe are ports that rules naming IP groups (whose members are not
	// read) might allow, by the rules named in maybeRules.
	maybe      openSet
	maybeRules []string
}

// networkAllows evaluates the firewall's network rules (in evaluation
// order; per port the first matching rule decides, and anything no rule
// allows is denied) for traffic from src to dst. A rule whose sources or
// destinations are IP groups may match or not: the ports it would allow
// are reported apart, and it decides nothing for the rules after it.
// Application rules (FQDN targets) do not decide network reach here.
func (fw *firewallInfo) networkAllows(src, dst netip.Prefix) fwVerdict {
	v := fwVerdict{allowed: openSet{ports: map[string]portSet{}}, maybe: openSet{ports: map[string]portSet{}}}
	// match says whether a rule side covers p: for certain, or perhaps
	// (through IP groups).
	match := func(addrs, groups []string, p netip.Prefix) (sure, perhaps bool) {
		if slices.ContainsFunc(addrs, func(a string) bool { return addressCovers(a, p) }) {
			return true, true
		}
		return false, len(groups) > 0
	}
	for _, proto := range protos {
		var decided, allowed, maybe portSet
		for _, c := range fw.collections {
			if c.kind != "network" {
				continue
			}
			for _, r := range c.rules {
				if !fwProto(r, proto) {
					continue
				}
				srcSure, srcMaybe := match(r.SourceAddresses, r.SourceIPGroups, src)
				dstSure, dstMaybe := match(r.DestinationAddresses, r.DestinationIPGroups, dst)
				if !srcMaybe || !dstMaybe {
					continue
				}
				var ports portSet
				for _, p := range r.DestinationPorts {
					ports = ports.Union(parsePorts(p))
				}
				ports = ports.Minus(decided)
				if len(ports) == 0 {
					continue
				}
				name := c.classicOrPolicyN + " " + c.name + "/" + r.Name
				if !srcSure || !dstSure {
					if c.action == "allow" {
						maybe = maybe.Union(ports)
						v.maybeRules = union(v.maybeRules, []string{name})
					}
					continue
				}
				if c.action == "allow" {
					allowed = allowed.Union(ports)
					v.rules = union(v.rules, []string{name})
				}
				decided = decided.Union(ports)
			}
		}
		v.allowed.ports[proto] = allowed
		v.maybe.ports[proto] = maybe.Minus(allowed)
	}
	return v
}

// fwProto reports whether a network rule covers a transport protocol.
func fwProto(r inventory.FirewallRule, proto string) bool {
	for _, p := range append(protoNames(r.Protocols), r.IPProtocols...) {
		if strings.EqualFold(p, "Any") || strings.EqualFold(p, proto) {
			return true
		}
	}
	return false
}
