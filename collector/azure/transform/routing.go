package transform

import (
	"cmp"
	"net/netip"
	"slices"
	"strconv"
	"strings"

	"github.com/breachpath/breachpath/collector/azure/inventory"
	"github.com/breachpath/breachpath/graph"
)

// Techniques of Azure Firewall inbound translation.
const (
	// TechFirewallDNAT: Internet → Azure Firewall on a DNAT rule's
	// public address and port.
	TechFirewallDNAT = "azure.network.firewall-dnat"
	// TechFirewallForward: Azure Firewall → the VM owning the private IP
	// a DNAT rule translates to.
	TechFirewallForward = "azure.network.firewall-forward"
)

// nextHop is the next hop user-defined routes give a subnet's traffic to the
// Internet (0.0.0.0/0 or the Internet service tag).
type nextHop struct {
	kind     string // Internet (no route or a route to Internet), None, VirtualAppliance, VirtualNetworkGateway
	ip       string
	firewall string // the Azure Firewall owning ip, when one does
	route    string // "<route table>/<route>"
}

// firewallInfo is what routing and DNAT need about one Azure Firewall.
type firewallInfo struct {
	id         string
	name       string
	privateIPs []string
	publicIPs  map[string]string // address -> public IP resource id
	vnet       string
	// collections in evaluation order (policy: group priority then
	// collection priority; classic: NAT, network, application, each by
	// priority).
	collections []fwCollection
}

// fwCollection is one rule collection with its evaluation order.
type fwCollection struct {
	name             string
	kind             string // nat, network, application
	action           string // lower-case: dnat, allow, deny
	group, priority  int
	rules            []inventory.FirewallRule
	classicOrPolicyN string // "classic" or the policy's name, for evidence
}

// routing reads route tables and Azure Firewalls (with their policies'
// rule collection groups) and records, per subnet, the next hop of its
// Internet-bound traffic. It runs before exposure, which reads it.
func (b *builder) routing() {
	b.firewalls = map[string]*firewallInfo{}
	b.egressHop = map[string]nextHop{}
	tableHop := map[string]nextHop{}
	tables := map[string]*routeTable{}
	b.subnetTable = map[string]*routeTable{}
	fwByIP := map[string]string{}
	for _, r := range b.inv.OfType(inventory.TypeAzureFirewall) {
		fw := b.azureFirewall(r)
		if fw == nil {
			continue
		}
		b.firewalls[r.ID] = fw
		for _, ip := range fw.privateIPs {
			fwByIP[ip] = r.ID
		}
	}
	for _, r := range b.inv.OfType(inventory.TypeRouteTable) {
		var p inventory.RouteTableProps
		if err := r.Decode(&p); err != nil {
			b.warn("route table %s: %v", r.ID, err)
			continue
		}
		n := b.nodes[r.ID]
		tables[r.ID] = &routeTable{name: r.Name, routes: p.Routes}
		for _, s := range p.Subnets {
			b.subnetTable[s.LID()] = tables[r.ID]
		}
		var def *inventory.Route
		var desc []string
		for i := range p.Routes {
			rt := &p.Routes[i]
			desc = append(desc, rt.Properties.AddressPrefix+" -> "+strings.TrimSpace(rt.Properties.NextHopType+" "+rt.Properties.NextHopIPAddress))
			if pf := strings.TrimSpace(rt.Properties.AddressPrefix); pf == "0.0.0.0/0" || strings.EqualFold(pf, "Internet") {
				def = rt
			}
			if fw := fwByIP[rt.Properties.NextHopIPAddress]; fw != "" && strings.EqualFold(rt.Properties.NextHopType, "VirtualAppliance") {
				b.pendingFacts = append(b.pendingFacts, pendingFact{r.ID, graph.EdgeRoutesTo, fw})
			}
		}
		if n != nil {
			n.Props["routes"] = desc
		}
		if def == nil {
			continue
		}
		h := nextHop{kind: def.Properties.NextHopType, ip: def.Properties.NextHopIPAddress, route: r.Name + "/" + def.Name}
		if strings.EqualFold(h.kind, "VirtualAppliance") {
			h.firewall = fwByIP[h.ip]
		}
		tableHop[r.ID] = h
		for _, s := range p.Subnets {
			b.egressHop[s.LID()] = h
		}
	}
	// Subnets name their route table too (a table read without its subnets
	// list still applies to them).
	for _, r := range b.inv.OfType(inventory.TypeVNet) {
		var p inventory.VNetProps
		if r.Decode(&p) != nil {
			continue
		}
		for _, s := range p.Subnets {
			if t := tables[s.Properties.RouteTable.LID()]; t != nil {
				b.subnetTable[strings.ToLower(s.ID)] = t
			}
			if h, ok := tableHop[s.Properties.RouteTable.LID()]; ok {
				b.egressHop[strings.ToLower(s.ID)] = h
			}
		}
	}
	for subnet, h := range b.egressHop {
		if n := b.nodes[subnet]; n != nil {
			n.Props["internet_egress"] = b.egressOf(subnet, h)
		}
	}
}

// egressOf describes where a subnet's Internet-bound traffic goes.
func (b *builder) egressOf(subnet string, h nextHop) string {
	switch {
	case strings.EqualFold(h.kind, "None"):
		return "dropped: route " + h.route + " sends 0.0.0.0/0 to None"
	case strings.EqualFold(h.kind, "VirtualNetworkGateway"):
		return "forced tunnel: route " + h.route + " sends 0.0.0.0/0 to the virtual network gateway"
	case strings.EqualFold(h.kind, "VirtualAppliance") && h.firewall != "":
		fw := b.firewalls[h.firewall]
		prefix := ""
		if n := b.nodes[subnet]; n != nil {
			prefix, _ = n.Props["address_prefix"].(string)
		}
		if rule, ok := fw.allowsEgress(prefix); ok {
			return "through Azure Firewall " + fw.name + ": allowed by " + rule
		}
		return "through Azure Firewall " + fw.name + ": no rule allows it (denied)"
	case strings.EqualFold(h.kind, "VirtualAppliance"):
		return "through network virtual appliance " + h.ip + " (route " + h.route + "), not inventoried"
	}
	return "direct (route " + h.route + ")"
}

// ingress says what the next hop of a subnet's Internet-bound traffic does
// to connections arriving on a public IP of the subnet's NICs (or through
// a public load balancer): replies follow the route, so an appliance or a
// gateway sees only half of the connection. ok is false when no reply
// returns (None, or an Azure Firewall, which drops the asymmetric
// replies); conditional is set when an appliance not inventoried or a
// gateway decides; ev says why.
func (b *builder) ingress(subnet string) (ok, conditional bool, ev string) {
	h, routed := b.egressHop[subnet]
	if !routed || strings.EqualFold(h.kind, "Internet") {
		return true, false, ""
	}
	switch {
	case strings.EqualFold(h.kind, "None"):
		return false, false, ""
	case strings.EqualFold(h.kind, "VirtualAppliance") && h.firewall != "":
		return false, false, ""
	case strings.EqualFold(h.kind, "VirtualAppliance"):
		return true, true, "route " + h.route + " sends replies to network virtual appliance " + h.ip +
			" (not inventoried): the connection holds only if the appliance passes asymmetric traffic or translates it"
	}
	return true, true, "route " + h.route + " sends replies to the virtual network gateway (forced tunnelling): the connection holds only if the on-premises path returns them"
}

// azureFirewall reads one Azure Firewall and its policy's rule collection
// groups (the base policy's first, as Azure applies them).
func (b *builder) azureFirewall(r *inventory.Resource) *firewallInfo {
	var p inventory.AzureFirewallProps
	if err := r.Decode(&p); err != nil {
		b.warn("azure firewall %s: %v", r.ID, err)
		return nil
	}
	n := b.resource(r, graph.KindGateway, "Microsoft.Network/azureFirewalls", "")
	if n == nil {
		return nil
	}
	fw := &firewallInfo{id: r.ID, name: r.Name, publicIPs: map[string]string{}}
	for _, ipc := range p.IPConfigurations {
		if ip := ipc.Properties.PrivateIPAddress; ip != "" {
			fw.privateIPs = append(fw.privateIPs, ip)
		}
		if s := ipc.Properties.Subnet.LID(); s != "" {
			fw.vnet = vnetOf(s)
			b.pendingFacts = append(b.pendingFacts, pendingFact{r.ID, graph.EdgeInSubnet, s})
		}
		if pip := ipc.Properties.PublicIPAddress.LID(); pip != "" {
			b.pendingFacts = append(b.pendingFacts, pendingFact{r.ID, graph.EdgeHasEndpoint, pip})
			if pr := b.pips[pip]; pr != nil {
				var pp inventory.PublicIPProps
				if pr.Decode(&pp) == nil && pp.IPAddress != "" {
					fw.publicIPs[pp.IPAddress] = pip
				}
			}
		}
	}
	n.Props["private_ips"] = fw.privateIPs
	classic := func(kind string, cs []inventory.FirewallRuleCollection, order int) {
		for i := range cs {
			prio, act, rules := cs[i].Flat()
			fw.collections = append(fw.collections, fwCollection{name: cs[i].Name, kind: kind, action: strings.ToLower(act),
				group: order, priority: prio, rules: rules, classicOrPolicyN: "classic rules"})
		}
	}
	classic("nat", p.NATRuleCollections, 0)
	classic("network", p.NetworkRuleCollections, 1)
	classic("application", p.ApplicationRuleCollections, 2)
	if pol := p.FirewallPolicy.LID(); pol != "" {
		b.pendingFacts = append(b.pendingFacts, pendingFact{r.ID, graph.EdgeProtectedBy, pol})
		fw.collections = append(fw.collections, b.policyCollections(pol, 0)...)
	}
	slices.SortStableFunc(fw.collections, func(a, c fwCollection) int {
		return cmp.Or(cmp.Compare(a.group, c.group), cmp.Compare(kindOrder(a.kind), kindOrder(c.kind)), cmp.Compare(a.priority, c.priority))
	})
	return fw
}

// kindOrder is the order Azure Firewall evaluates rule kinds in: DNAT,
// then network, then application rules.
func kindOrder(k string) int {
	switch k {
	case "nat":
		return 0
	case "network":
		return 1
	}
	return 2
}

// policyCollections returns a firewall policy's rule collections (its base
// policy's first), adding the policy node.
func (b *builder) policyCollections(policy string, depth int) []fwCollection {
	r := b.inv.Get(policy)
	if r == nil || depth > 4 {
		return nil
	}
	var p inventory.FirewallPolicyProps
	if r.Decode(&p) != nil {
		return nil
	}
	b.resource(r, graph.KindFirewallRules, "Microsoft.Network/firewallPolicies", "")
	var out []fwCollection
	if base := p.BasePolicy.LID(); base != "" {
		out = append(out, b.policyCollections(base, depth+1)...)
	}
	for _, g := range b.inv.OfType(inventory.TypeFirewallPolicyRCG) {
		if inventory.Parent(g.ID) != r.ID {
			continue
		}
		var gp inventory.RuleCollectionGroupProps
		if err := g.Decode(&gp); err != nil {
			b.warn("rule collection group %s: %v", g.ID, err)
			continue
		}
		for i := range gp.RuleCollections {
			prio, act, rules := gp.RuleCollections[i].Flat()
			kind := "network"
			if strings.Contains(strings.ToLower(gp.RuleCollections[i].RuleCollectionType), "nat") {
				kind = "nat"
			} else if len(rules) > 0 && strings.EqualFold(rules[0].RuleType, "ApplicationRule") {
				kind = "application"
			}
			out = append(out, fwCollection{name: g.Name + "/" + gp.RuleCollections[i].Name, kind: kind, action: strings.ToLower(act),
				group: 100000*(depth+1) + gp.Priority, priority: prio, rules: rules, classicOrPolicyN: "policy " + r.Name})
		}
	}
	return out
}

// addressCovers reports whether a firewall rule address ("*", a CIDR, an
// address or a service tag) covers every address of prefix.
func addressCovers(addr string, prefix netip.Prefix) bool {
	a := strings.TrimSpace(addr)
	if a == "*" || strings.EqualFold(a, "Internet") || a == "0.0.0.0/0" {
		return true
	}
	p, err := netip.ParsePrefix(a)
	if err != nil {
		ip, aerr := netip.ParseAddr(a)
		if aerr != nil {
			return false
		}
		p = netip.PrefixFrom(ip, ip.BitLen())
	}
	return prefix.IsValid() && p.Bits() <= prefix.Bits() && p.Contains(prefix.Addr())
}

// allowsEgress reports whether the firewall lets a subnet's traffic out to
// any Internet destination: the first rule (in evaluation order) whose
// sources cover the subnet and whose destinations are any address or any
// FQDN decides, and names it.
func (fw *firewallInfo) allowsEgress(subnetPrefix string) (string, bool) {
	src, err := netip.ParsePrefix(subnetPrefix)
	if err != nil {
		return "", false
	}
	for _, c := range fw.collections {
		if c.kind == "nat" {
			continue
		}
		for _, r := range c.rules {
			if !slices.ContainsFunc(r.SourceAddresses, func(a string) bool { return addressCovers(a, src) }) {
				continue
			}
			anyDst := slices.ContainsFunc(r.DestinationAddresses, func(a string) bool { return addressCovers(a, netip.MustParsePrefix("0.0.0.0/0")) }) ||
				slices.Contains(r.TargetFQDNs, "*") || slices.Contains(r.DestinationFQDNs, "*")
			if !anyDst {
				continue
			}
			what := c.classicOrPolicyN + " " + c.name + "/" + r.Name
			if ports := strings.Join(r.DestinationPorts, ","); ports != "" {
				what += " (ports " + ports + ")"
			}
			return what, c.action == "allow"
		}
	}
	return "", false
}

// dnat draws Internet exposure through every DNAT rule of every firewall
// that admits any source: Internet → firewall on the rule's public
// address and port, firewall → the VM owning the translated private
// address when its NSGs admit the translated port from the firewall's
// network (Azure Firewall source-translates DNAT traffic to its own
// private address).
func (b *builder) dnat() {
	owners := b.privateIPOwners()
	for _, id := range sortedKeys(b.firewalls) {
		fw := b.firewalls[id]
		var space []netip.Prefix
		if vr := b.inv.Get(fw.vnet); vr != nil {
			var vp inventory.VNetProps
			if vr.Decode(&vp) == nil {
				for _, a := range vp.AddressSpace.AddressPrefixes {
					if pf, err := netip.ParsePrefix(a); err == nil {
						space = append(space, pf)
					}
				}
			}
		}
		for _, c := range fw.collections {
			if c.kind != "nat" || (c.action != "dnat" && c.action != "") {
				continue
			}
			for _, r := range c.rules {
				if !slices.ContainsFunc(r.SourceAddresses, func(a string) bool { return addressCovers(a, netip.MustParsePrefix("0.0.0.0/0")) || wideRange(a) }) {
					continue
				}
				port, err := strconv.Atoi(strings.TrimSpace(r.TranslatedPort))
				if err != nil || r.TranslatedAddress == "" {
					continue
				}
				proto := "tcp"
				for _, p := range append(protoNames(r.Protocols), r.IPProtocols...) {
					if strings.EqualFold(p, "UDP") {
						proto = "udp"
					}
				}
				var front []string
				for _, d := range r.DestinationAddresses {
					for _, dp := range r.DestinationPorts {
						front = append(front, d+":"+dp)
					}
				}
				fid := b.finding("azure.network.firewall-dnat-any-source", id, "DNAT rule "+c.name+"/"+r.Name+" admits any source to "+strings.Join(front, ", ")+" -> "+r.TranslatedAddress+":"+r.TranslatedPort)
				var frontPorts []string
				for _, dp := range r.DestinationPorts {
					frontPorts = append(frontPorts, proto+"/"+dp)
				}
				b.internet()
				b.move(graph.Edge{From: graph.InternetID, To: id, Kind: graph.EdgeExposedTo, Technique: TechFirewallDNAT, Likelihood: 0.9,
					Props:    graph.Props{"ports": union(nil, frontPorts)},
					Evidence: []string{"DNAT rule " + c.name + "/" + r.Name + " (" + c.classicOrPolicyN + ") on " + fw.name + " accepts any source on " + strings.Join(front, ", ")},
					Findings: []string{fid}})
				vm, ni := owners[r.TranslatedAddress], b.nics[b.ipConfigNIC[owners["nic:"+r.TranslatedAddress]]]
				if vm == "" {
					continue
				}
				if ni == nil {
					ni = b.nicOf(vm, r.TranslatedAddress)
				}
				ev := []string{"DNAT rule " + c.name + "/" + r.Name + " translates " + strings.Join(front, ", ") + " to " + r.TranslatedAddress + ":" + r.TranslatedPort + " (" + short(vm) + ")"}
				if ni != nil {
					open, nsgs, filtered := b.nicOpenFrom(ni, ruleFromVNet(space))
					if filtered && !hasPort(open.ports[proto], port) {
						continue
					}
					if filtered {
						ev = append(ev, "NSG "+joinShort(nsgs)+" admits "+proto+"/"+strconv.Itoa(port)+" from the firewall's network (DNAT traffic arrives from the firewall's private address)")
					}
				}
				b.fact(id, graph.EdgeTargets, vm)
				b.move(graph.Edge{From: id, To: vm, Kind: graph.EdgeReaches, Technique: TechFirewallForward, Likelihood: 0.9,
					Props: graph.Props{"ports": []string{proto + "/" + strconv.Itoa(port)}}, Evidence: ev, Findings: []string{fid}})
			}
		}
	}
}

// protoNames returns the names of a rule's protocols.
func protoNames(ps []inventory.FirewallProtocol) []string {
	out := make([]string, 0, len(ps))
	for _, p := range ps {
		out = append(out, p.Type)
	}
	return out
}

// privateIPOwners maps private IP addresses of NICs to the VM (or scale
// set) owning the NIC, and "nic:<ip>" to the NIC's IP configuration id.
func (b *builder) privateIPOwners() map[string]string {
	out := map[string]string{}
	for _, r := range b.inv.OfType(inventory.TypeNIC) {
		var p inventory.NICProps
		if r.Decode(&p) != nil {
			continue
		}
		for _, ipc := range p.IPConfigurations {
			ip := ipc.Properties.PrivateIPAddress
			if ip == "" {
				continue
			}
			if vm, _ := b.backendVM(ipc.ID); vm != "" {
				out[ip] = vm
				out["nic:"+ip] = strings.ToLower(ipc.ID)
			}
		}
	}
	return out
}

// nicOf returns the NIC of a VM holding a private address, or nil.
func (b *builder) nicOf(vm, _ string) *nicInfo {
	for _, nic := range b.vmNICs[vm] {
		if ni := b.nics[nic]; ni != nil {
			return ni
		}
	}
	return nil
}
