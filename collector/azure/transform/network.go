package transform

import (
	"strings"

	"github.com/breachpath/breachpath/collector/azure/inventory"
	"github.com/breachpath/breachpath/graph"
)

// nicInfo is what exposure needs to know about one network interface.
type nicInfo struct {
	id     string
	nsg    string
	subnet string
	// publicIPs are the public IP resources on the NIC's IP configurations.
	publicIPs []string
	ipConfigs []string
	vm        string
	// ips are the NIC's private addresses.
	ips []string
}

// network adds virtual networks, subnets, NSGs, NICs, public IPs, route
// tables, NAT gateways, load balancers and application gateways with their
// placement facts.
func (b *builder) network() {
	b.nics = map[string]*nicInfo{}
	b.ipConfigNIC = map[string]string{}
	b.subnetNSG = map[string]string{}
	for _, r := range b.inv.OfType(inventory.TypeVNet) {
		var p inventory.VNetProps
		if err := r.Decode(&p); err != nil {
			b.warn("virtual network %s: %v", r.ID, err)
			continue
		}
		n := b.resource(r, graph.KindNetwork, "Microsoft.Network/virtualNetworks", "")
		if n == nil {
			continue
		}
		n.Props["address_space"] = p.AddressSpace.AddressPrefixes
		for _, s := range p.Subnets {
			sid := strings.ToLower(s.ID)
			sub := &inventory.Resource{ID: sid, Name: s.Name, Type: inventory.TypeSubnet, Location: r.Location}
			sn := b.resource(sub, graph.KindSubnet, "Microsoft.Network/virtualNetworks/subnets", r.ID)
			if sn == nil {
				continue
			}
			sn.Props["address_prefix"] = firstNonEmpty(s.Properties.AddressPrefix, strings.Join(s.Properties.AddressPrefixes, ","))
			b.fact(sid, graph.EdgeInNetwork, r.ID)
			if nsg := s.Properties.NetworkSecurityGroup.LID(); nsg != "" {
				b.subnetNSG[sid] = nsg
				b.pendingFacts = append(b.pendingFacts, pendingFact{sid, graph.EdgeProtectedBy, nsg})
			}
			if rt := s.Properties.RouteTable.LID(); rt != "" {
				b.pendingFacts = append(b.pendingFacts, pendingFact{sid, graph.EdgeRoutesTo, rt})
			}
			if nat := s.Properties.NATGateway.LID(); nat != "" {
				b.pendingFacts = append(b.pendingFacts, pendingFact{sid, graph.EdgeRoutesTo, nat})
			}
		}
		for _, pe := range p.Peerings {
			if remote := pe.Properties.RemoteVirtualNetwork.LID(); remote != "" && strings.EqualFold(pe.Properties.PeeringState, "Connected") {
				n.Props["peered_with"] = append(stringList(n.Props["peered_with"]), remote)
			}
		}
	}
	for _, r := range b.inv.OfType(inventory.TypeNSG) {
		var p inventory.NSGProps
		if err := r.Decode(&p); err != nil {
			b.warn("network security group %s: %v", r.ID, err)
			continue
		}
		n := b.resource(r, graph.KindFirewallRules, "Microsoft.Network/networkSecurityGroups", "")
		if n == nil {
			continue
		}
		n.Props["rules"] = int64(len(p.SecurityRules))
		b.nsgs[r.ID] = &p
		b.nsgFindings(r, &p)
	}
	for _, r := range b.inv.OfType(inventory.TypeRouteTable) {
		b.resource(r, graph.KindRouteTable, "Microsoft.Network/routeTables", "")
	}
	for _, r := range b.inv.OfType(inventory.TypeNATGateway) {
		b.resource(r, graph.KindGateway, "Microsoft.Network/natGateways", "")
	}
	for _, r := range b.inv.OfType(inventory.TypePublicIP) {
		var p inventory.PublicIPProps
		if err := r.Decode(&p); err != nil {
			b.warn("public IP %s: %v", r.ID, err)
			continue
		}
		n := b.resource(r, graph.KindPublicEndpoint, "Microsoft.Network/publicIPAddresses", "")
		if n == nil {
			continue
		}
		n.Props["ip_address"] = p.IPAddress
		if p.DNSSettings != nil {
			n.Props["fqdn"] = p.DNSSettings.FQDN
		}
		n.Props["sku"] = r.SKUName()
		b.pips[r.ID] = r
	}
	for _, r := range b.inv.OfType(inventory.TypeNIC) {
		var p inventory.NICProps
		if err := r.Decode(&p); err != nil {
			b.warn("network interface %s: %v", r.ID, err)
			continue
		}
		n := b.resource(r, graph.KindNetworkInterface, "Microsoft.Network/networkInterfaces", "")
		if n == nil {
			continue
		}
		ni := &nicInfo{id: r.ID, nsg: p.NetworkSecurityGroup.LID(), vm: p.VirtualMachine.LID()}
		for _, ipc := range p.IPConfigurations {
			ipcID := strings.ToLower(ipc.ID)
			ni.ipConfigs = append(ni.ipConfigs, ipcID)
			b.ipConfigNIC[ipcID] = r.ID
			if s := ipc.Properties.Subnet.LID(); s != "" && ni.subnet == "" {
				ni.subnet = s
			}
			if pip := ipc.Properties.PublicIPAddress.LID(); pip != "" {
				ni.publicIPs = append(ni.publicIPs, pip)
				b.pendingFacts = append(b.pendingFacts, pendingFact{r.ID, graph.EdgeHasEndpoint, pip})
			}
			if ipc.Properties.PrivateIPAddress != "" {
				n.Props["private_ip"] = ipc.Properties.PrivateIPAddress
				ni.ips = append(ni.ips, ipc.Properties.PrivateIPAddress)
			}
		}
		if ni.subnet != "" {
			b.pendingFacts = append(b.pendingFacts, pendingFact{r.ID, graph.EdgeInSubnet, ni.subnet})
		}
		if ni.nsg != "" {
			b.pendingFacts = append(b.pendingFacts, pendingFact{r.ID, graph.EdgeProtectedBy, ni.nsg})
		}
		b.nics[r.ID] = ni
	}
	for _, r := range b.inv.OfType(inventory.TypeLoadBalancer) {
		var p inventory.LBProps
		if err := r.Decode(&p); err != nil {
			b.warn("load balancer %s: %v", r.ID, err)
			continue
		}
		if n := b.resource(r, graph.KindLoadBalancer, "Microsoft.Network/loadBalancers", ""); n != nil {
			b.lbs[r.ID] = &p
			for _, fe := range p.FrontendIPConfigurations {
				if pip := fe.Properties.PublicIPAddress.LID(); pip != "" {
					b.pendingFacts = append(b.pendingFacts, pendingFact{r.ID, graph.EdgeHasEndpoint, pip})
				}
			}
		}
	}
	for _, r := range b.inv.OfType(inventory.TypeAppGateway) {
		var p inventory.AppGatewayProps
		if err := r.Decode(&p); err != nil {
			b.warn("application gateway %s: %v", r.ID, err)
			continue
		}
		if n := b.resource(r, graph.KindLoadBalancer, "Microsoft.Network/applicationGateways", ""); n != nil {
			b.appgws[r.ID] = &p
			n.Props["waf_enabled"] = (p.WAF != nil && p.WAF.Enabled) || p.FirewallPolicy.LID() != ""
			for _, fe := range p.FrontendIPConfigurations {
				if pip := fe.Properties.PublicIPAddress.LID(); pip != "" {
					b.pendingFacts = append(b.pendingFacts, pendingFact{r.ID, graph.EdgeHasEndpoint, pip})
				}
			}
		}
	}
}

// pendingFact is a fact whose target may be read later in the transform;
// flushFacts adds those whose both ends exist.
type pendingFact struct {
	from string
	kind graph.EdgeKind
	to   string
}

func (b *builder) flushFacts() {
	for _, f := range b.pendingFacts {
		if _, ok := b.nodes[f.from]; !ok {
			continue
		}
		if _, ok := b.nodes[f.to]; !ok {
			continue
		}
		b.fact(f.from, f.kind, f.to)
	}
	b.pendingFacts = nil
}

func stringList(v any) []string {
	l, _ := v.([]string)
	return l
}
