package transform

import (
	"net/netip"
	"slices"
	"strings"

	"github.com/breachpath/breachpath/collector/azure/inventory"
	"github.com/breachpath/breachpath/collector/portset"
	"github.com/breachpath/breachpath/graph"
)

// Techniques of network access to PaaS resources (storage, Key Vault,
// SQL, Cosmos DB, App Service, Container Registry).
const (
	// TechPrivateEndpoint: a virtual network reaches a resource through a
	// private endpoint in one of its subnets.
	TechPrivateEndpoint = "azure.network.private-endpoint"
	// TechServiceEndpoint: a workload in a subnet a resource's virtual
	// network rules admit reaches it over the subnet's service endpoint.
	TechServiceEndpoint = "azure.network.service-endpoint"
)

// paasNet is the network access of one PaaS resource, as its own
// configuration states it.
type paasNet struct {
	id string
	// public is set when the public endpoint answers the whole Internet;
	// why says what makes it so, or what restricts it.
	public bool
	// disabled is set when publicNetworkAccess is Disabled: only private
	// endpoints reach the resource.
	disabled bool
	why      string
	// rule is the finding rule raised for an unrestricted public endpoint.
	rule string
	// vnetRules are the subnets the resource's virtual network rules admit
	// (service endpoints), service the endpoint service they need.
	vnetRules []string
	service   string
	ports     []string
	// sqlRules names the SQL virtual network rule admitting each subnet.
	sqlRules map[string]string
}

// subnetInfo is what private access needs about a subnet.
type subnetInfo struct {
	vnet           string
	nsg            string
	peNSGs         bool // privateEndpointNetworkPolicies Enabled: NSGs filter private endpoint traffic
	peRoutes       bool // privateEndpointNetworkPolicies Enabled or RouteTableEnabled: user-defined routes apply to it
	serviceEPs     []string
	serviceEPsRead bool
}

// privateAccess draws how PaaS resources are reached over the network:
// from a virtual network (and, through the peering moves, the networks
// peered with it) through an approved private endpoint in one of its
// subnets, and from workloads in subnets their virtual network rules
// admit. Whether the public endpoint answers the Internet is decided per
// resource by paasNet and gates the moves that need it (anonymous blob
// read, anonymous registry pull); an unrestricted public endpoint raises
// the resource's public-network finding.
func (b *builder) privateAccess() {
	subnets, spaces := b.subnetInfos()
	for _, pn := range b.paasNets() {
		if pn.public && pn.rule != "" {
			b.finding(pn.rule, pn.id, pn.why)
		}
		b.serviceEndpoints(pn, subnets)
	}
	for _, r := range b.inv.OfType(inventory.TypePrivateEndpoint) {
		b.privateEndpoint(r, subnets, spaces)
	}
}

// subnetInfos indexes the subnets of every virtual network read, and the
// address spaces each network sees as "VirtualNetwork" (its own and its
// connected peers').
func (b *builder) subnetInfos() (map[string]*subnetInfo, map[string][]netip.Prefix) {
	subnets := map[string]*subnetInfo{}
	own := map[string][]netip.Prefix{}
	peers := map[string][]string{}
	for _, r := range b.inv.OfType(inventory.TypeVNet) {
		var p inventory.VNetProps
		if r.Decode(&p) != nil {
			continue
		}
		for _, a := range p.AddressSpace.AddressPrefixes {
			if pf, err := netip.ParsePrefix(a); err == nil {
				own[r.ID] = append(own[r.ID], pf)
			}
		}
		for _, pe := range p.Peerings {
			if remote := pe.Properties.RemoteVirtualNetwork.LID(); remote != "" && strings.EqualFold(pe.Properties.PeeringState, "Connected") {
				peers[r.ID] = append(peers[r.ID], remote)
			}
		}
		for _, s := range p.Subnets {
			si := &subnetInfo{vnet: r.ID, nsg: s.Properties.NetworkSecurityGroup.LID(),
				peNSGs:         strings.EqualFold(s.Properties.PrivateEndpointNetworkPolicies, "Enabled") || strings.EqualFold(s.Properties.PrivateEndpointNetworkPolicies, "NetworkSecurityGroupEnabled"),
				peRoutes:       strings.EqualFold(s.Properties.PrivateEndpointNetworkPolicies, "Enabled") || strings.EqualFold(s.Properties.PrivateEndpointNetworkPolicies, "RouteTableEnabled"),
				serviceEPsRead: s.Properties.ServiceEndpoints != nil}
			for _, se := range s.Properties.ServiceEndpoints {
				si.serviceEPs = append(si.serviceEPs, strings.ToLower(se.Service))
			}
			subnets[strings.ToLower(s.ID)] = si
		}
	}
	spaces := map[string][]netip.Prefix{}
	for vnet, sp := range own {
		spaces[vnet] = slices.Clone(sp)
		for _, p := range peers[vnet] {
			spaces[vnet] = append(spaces[vnet], own[p]...)
		}
	}
	return subnets, spaces
}

// paasNets reads the network configuration of every PaaS resource with a
// node: public network access, default action, IP and virtual network
// rules.
func (b *builder) paasNets() []*paasNet {
	out := paasOf(b, inventory.TypeStorageAccount, storageNet)
	out = append(out, paasOf(b, inventory.TypeKeyVault, vaultNet)...)
	out = append(out, paasOf(b, inventory.TypeCosmosAccount, cosmosNet)...)
	out = append(out, paasOf(b, inventory.TypeACR, acrNet)...)
	out = append(out, paasOf(b, inventory.TypeSQLServer, b.sqlNet)...)
	b.paas = map[string]*paasNet{}
	for _, pn := range out {
		b.paas[pn.id] = pn
		if n := b.nodes[pn.id]; n != nil {
			n.Props["internet_reachable"] = pn.public
		}
	}
	return out
}

// paasOf decides the network access of every owned resource of a type.
func paasOf[P any](b *builder, typ string, decide func(string, *P) *paasNet) []*paasNet {
	var out []*paasNet
	for _, r := range b.inv.OfType(typ) {
		var p P
		if n, ok := b.nodes[r.ID]; ok && !n.Stub && r.Decode(&p) == nil {
			out = append(out, decide(r.ID, &p))
		}
	}
	return out
}

// vaultNet decides a Key Vault's network access.
func vaultNet(id string, p *inventory.KeyVaultProps) *paasNet {
	pn := &paasNet{id: id, rule: "azure.keyvault.public-network", service: "microsoft.keyvault", ports: []string{"tcp/443"}}
	aclNet(pn, p.PublicNetworkAccess, p.NetworkACLs, "the vault")
	return pn
}

// aclNet decides the network access of a storage account or Key Vault
// from publicNetworkAccess and networkAcls.
func aclNet(pn *paasNet, pna string, a *inventory.NetworkACLs, what string) {
	switch {
	case strings.EqualFold(pna, "Disabled"):
		pn.disabled, pn.why = true, "publicNetworkAccess is Disabled"
	case a == nil || !strings.EqualFold(a.DefaultAction, "Deny"):
		pn.public, pn.why = true, what+" accepts traffic from all networks (networkAcls.defaultAction Allow)"
	default:
		pn.why = "networkAcls.defaultAction is Deny"
		var ips []string
		for _, ip := range a.IPRules {
			ips = append(ips, ip.Value)
			if wideRange(ip.Value) {
				pn.public, pn.why = true, "IP rule "+ip.Value+" admits the Internet"
			}
		}
		for _, vr := range a.VirtualNetworkRules {
			if (vr.State == "" || strings.EqualFold(vr.State, "Succeeded")) && (vr.Action == "" || strings.EqualFold(vr.Action, "Allow")) {
				pn.vnetRules = append(pn.vnetRules, strings.ToLower(vr.ID))
			}
		}
		if pn.public {
			return
		}
		if len(ips) > 0 {
			pn.why += "; IP rules admit only " + strings.Join(ips, ", ")
		}
		if a.Bypass != "" && !strings.EqualFold(a.Bypass, "None") {
			pn.why += "; bypass " + a.Bypass + " (trusted Microsoft services)"
		}
	}
}

// storageNet decides a storage account's network access.
func storageNet(id string, p *inventory.StorageAccountProps) *paasNet {
	pn := &paasNet{id: id, rule: "azure.storage.network-default-allow", service: "microsoft.storage", ports: []string{"tcp/443"}}
	aclNet(pn, p.PublicNetworkAccess, p.NetworkACLs, "the account")
	return pn
}

// cosmosNet decides a Cosmos DB account's network access.
func cosmosNet(id string, p *inventory.CosmosProps) *paasNet {
	pn := &paasNet{id: id, rule: "azure.cosmosdb.public-network", service: "microsoft.azurecosmosdb", ports: []string{"tcp/443"}}
	switch {
	case strings.EqualFold(p.PublicNetworkAccess, "Disabled"):
		pn.disabled, pn.why = true, "publicNetworkAccess is Disabled"
	case len(p.IPRules) == 0 && !p.IsVirtualNetworkFilterEnabled:
		pn.public, pn.why = true, "the account accepts traffic from all networks (no IP or virtual network rules)"
	default:
		pn.why = "IP and virtual network rules restrict the account"
		for _, ip := range p.IPRules {
			if wideRange(ip.IPAddressOrRange) {
				pn.public, pn.why = true, "IP rule "+ip.IPAddressOrRange+" admits the Internet"
			}
		}
		if p.IsVirtualNetworkFilterEnabled {
			for _, vr := range p.VirtualNetworkRules {
				pn.vnetRules = append(pn.vnetRules, strings.ToLower(vr.ID))
			}
		}
	}
	return pn
}

// acrNet decides a container registry's network access.
func acrNet(id string, p *inventory.ACRProps) *paasNet {
	pn := &paasNet{id: id, rule: "azure.acr.public-network", ports: []string{"tcp/443"}}
	switch {
	case strings.EqualFold(p.PublicNetworkAccess, "Disabled"):
		pn.disabled, pn.why = true, "publicNetworkAccess is Disabled"
	case p.NetworkRuleSet == nil || !strings.EqualFold(p.NetworkRuleSet.DefaultAction, "Deny"):
		pn.public, pn.why = true, "the registry accepts traffic from all networks"
	default:
		pn.why = "networkRuleSet.defaultAction is Deny"
		for _, ip := range p.NetworkRuleSet.IPRules {
			if wideRange(ip.Value) {
				pn.public, pn.why = true, "IP rule "+ip.Value+" admits the Internet"
			}
		}
	}
	return pn
}

// sqlNet decides a SQL server's network access: publicNetworkAccess
// Disabled leaves only private endpoints (firewall and virtual network
// rules are then ignored); otherwise the server's firewall rules admit
// address ranges (one of /8 or wider counts as the Internet; 0.0.0.0 -
// 0.0.0.0 admits Azure services, drawn by sqlFirewallRule) and its
// virtual network rules admit subnets with the Microsoft.Sql service
// endpoint. The Internet exposure itself and its findings are drawn by
// sqlFirewallRule.
func (b *builder) sqlNet(id string, p *inventory.SQLServerProps) *paasNet {
	pn := &paasNet{id: id, service: "microsoft.sql", ports: []string{"tcp/1433"}, sqlRules: map[string]string{}}
	if strings.EqualFold(p.PublicNetworkAccess, "Disabled") {
		pn.disabled, pn.why = true, "publicNetworkAccess is Disabled"
		return pn
	}
	pn.why = "only the server's firewall and virtual network rules admit callers"
	for _, r := range b.inv.OfType(inventory.TypeSQLFirewallRule) {
		var fp inventory.SQLFirewallRuleProps
		if inventory.Parent(r.ID) != id || r.Decode(&fp) != nil {
			continue
		}
		start, err1 := netip.ParseAddr(fp.StartIPAddress)
		end, err2 := netip.ParseAddr(fp.EndIPAddress)
		if err1 == nil && err2 == nil && !(start.IsUnspecified() && end.IsUnspecified()) && rangeSize(start, end) >= 1<<24 {
			pn.public, pn.why = true, "firewall rule "+r.Name+" admits "+fp.StartIPAddress+"-"+fp.EndIPAddress
		}
	}
	for _, r := range b.inv.OfType(inventory.TypeSQLVNetRule) {
		var vp inventory.SQLVNetRuleProps
		if inventory.Parent(r.ID) != id || r.Decode(&vp) != nil || vp.VirtualNetworkSubnetID == "" {
			continue
		}
		if vp.State != "" && !strings.EqualFold(vp.State, "Ready") {
			continue // InProgress, Failed, Deleting, Unknown: admits nothing yet
		}
		sn := strings.ToLower(vp.VirtualNetworkSubnetID)
		pn.vnetRules = append(pn.vnetRules, sn)
		pn.sqlRules[sn] = r.Name
	}
	return pn
}

// netTargets returns what network reach to a resource reaches: a SQL
// server's databases (every database is served on the server's endpoint;
// the server itself when none was read), else the resource.
func (b *builder) netTargets(id string) []string {
	if dbs := b.sqlServers[id]; len(dbs) > 0 {
		return dbs
	}
	return []string{id}
}

// wideRange reports whether an IP rule value admits (about) the whole
// Internet: a prefix of /8 or wider.
func wideRange(v string) bool {
	if internetPrefix(v) {
		return true
	}
	p, err := netip.ParsePrefix(strings.TrimSpace(v))
	return err == nil && p.Addr().Is4() && p.Bits() <= 8
}

// serviceEndpoints draws reach from the workloads of every subnet a
// resource's virtual network rules admit, when the subnet has the
// service's endpoint (or its endpoints were not read).
func (b *builder) serviceEndpoints(pn *paasNet, subnets map[string]*subnetInfo) {
	for _, sn := range pn.vnetRules {
		si := subnets[sn]
		if si != nil && si.serviceEPsRead && pn.service != "" && !slices.Contains(si.serviceEPs, pn.service) {
			continue // the rule names a subnet without the service endpoint: it admits nothing
		}
		rule := "virtual network rule of " + short(pn.id)
		if name := pn.sqlRules[sn]; name != "" {
			rule = "virtual network rule " + name + " of SQL server " + short(pn.id)
		}
		for _, ws := range b.workloadsIn(sn) {
			for _, target := range b.netTargets(pn.id) {
				b.move(graph.Edge{From: ws, To: target, Kind: graph.EdgeReaches, Technique: TechServiceEndpoint, Likelihood: 0.9,
					Props:    graph.Props{"ports": pn.ports},
					Evidence: []string{rule + " admits subnet " + short(sn) + " of " + short(vnetOf(sn)) + " (service endpoint); " + short(ws) + " is in it"}})
			}
		}
	}
}

// workloadsIn returns the VMs, scale sets and VNet-integrated web apps
// with a network interface (or integration) in a subnet.
func (b *builder) workloadsIn(subnet string) []string {
	var out []string
	for _, vm := range sortedKeys(b.vmNICs) {
		if _, ok := b.owner[vm]; !ok {
			continue
		}
		for _, nic := range b.vmNICs[vm] {
			if ni := b.nics[nic]; ni != nil && ni.subnet == subnet {
				out = append(out, vm)
				break
			}
		}
	}
	for _, ss := range sortedKeys(b.scaleSets) {
		for _, ni := range b.scaleSets[ss] {
			if ni.subnet == subnet {
				out = append(out, ss)
				break
			}
		}
	}
	for _, r := range b.inv.OfType(inventory.TypeWebSite) {
		var p inventory.WebSiteProps
		if _, ok := b.owner[r.ID]; ok && r.Decode(&p) == nil && strings.EqualFold(p.VirtualNetworkSubnetID, subnet) {
			out = append(out, r.ID)
		}
	}
	return union(nil, out)
}

// privateLinkPorts maps a private link sub-resource (group id) to the port
// its private endpoint serves.
func privateLinkPorts(groups []string) []string {
	var out []string
	for _, g := range groups {
		switch strings.ToLower(g) {
		case "sqlserver":
			out = append(out, "tcp/1433")
		case "cassandra":
			out = append(out, "tcp/10350")
		case "mongodb":
			out = append(out, "tcp/10255")
		default:
			out = append(out, "tcp/443")
		}
	}
	if len(out) == 0 {
		out = []string{"tcp/443"}
	}
	return union(nil, out)
}

// privateEndpoint adds a private endpoint and draws reach from its
// virtual network to every resource an approved connection links it to.
// NSGs of the endpoint's subnet filter that traffic only when the subnet's
// privateEndpointNetworkPolicies is Enabled; the sources they are matched
// against are the network's and its connected peers' address spaces.
func (b *builder) privateEndpoint(r *inventory.Resource, subnets map[string]*subnetInfo, spaces map[string][]netip.Prefix) {
	var p inventory.PrivateEndpointProps
	if err := r.Decode(&p); err != nil {
		b.warn("private endpoint %s: %v", r.ID, err)
		return
	}
	n := b.resource(r, graph.KindNetworkInterface, "Microsoft.Network/privateEndpoints", "")
	if n == nil {
		return
	}
	subnet := p.Subnet.LID()
	vnet := vnetOf(subnet)
	var ips []string
	for _, d := range p.CustomDNSConfigs {
		ips = append(ips, d.IPAddresses...)
	}
	n.Props["private_ips"] = union(nil, ips)
	if _, ok := b.nodes[subnet]; ok {
		b.fact(r.ID, graph.EdgeInSubnet, subnet)
	}
	var statuses []string
	for _, c := range append(slices.Clone(p.PrivateLinkServiceConnections), p.ManualPrivateLinkServiceConnections...) {
		target := strings.ToLower(c.Properties.PrivateLinkServiceID)
		status := "Approved"
		if c.Properties.State != nil && c.Properties.State.Status != "" {
			status = c.Properties.State.Status
		}
		statuses = append(statuses, status)
		tn, ok := b.nodes[target]
		if !ok || tn.Stub {
			continue
		}
		b.fact(r.ID, graph.EdgeTargets, target)
		if !strings.EqualFold(status, "Approved") {
			continue // a pending, rejected or disconnected connection carries no traffic
		}
		if _, ok := b.nodes[vnet]; !ok {
			continue
		}
		ports := privateLinkPorts(c.Properties.GroupIDs)
		for _, to := range b.netTargets(target) {
			b.dests = append(b.dests, b.peDest(r.Name, to, subnet, union(nil, ips), ports, c.Properties.GroupIDs, subnets[subnet]))
		}
		ev := []string{"private endpoint " + r.Name + " in subnet " + short(subnet) + " of " + short(vnet) + " connects to " +
			strings.Join(c.Properties.GroupIDs, ", ") + " of " + short(target) + " (connection " + c.Name + ", " + status + ")"}
		si := subnets[subnet]
		var fs []string
		if si != nil && si.peNSGs && si.nsg != "" {
			nsg, ok := b.nsgs[si.nsg]
			if !ok {
				continue // the NSG was not read: assume it admits nothing rather than inventing reach
			}
			open := evalNSGFrom(short(si.nsg), nsg, ruleFromVNet(spaces[vnet]))
			var admitted []string
			for _, port := range ports {
				if proto, num, ok := splitPort(port); ok && hasPort(open.ports[proto], num) {
					admitted = append(admitted, port)
				}
			}
			if len(admitted) == 0 {
				continue
			}
			ports = admitted
			ev = append(ev, "privateEndpointNetworkPolicies Enabled: NSG "+short(si.nsg)+" admits "+strings.Join(admitted, ", ")+" from the network")
		} else if si != nil && si.nsg != "" {
			ev = append(ev, "privateEndpointNetworkPolicies not Enabled: NSG "+short(si.nsg)+" of the subnet does not filter the endpoint")
		}
		for _, to := range b.netTargets(target) {
			b.move(graph.Edge{From: vnet, To: to, Kind: graph.EdgeReaches, Technique: TechPrivateEndpoint, Likelihood: 0.9,
				Props: graph.Props{"ports": ports}, Evidence: ev, Findings: fs})
		}
	}
	n.Props["connection_status"] = union(nil, statuses)
}

// splitPort parses "tcp/443".
func splitPort(v string) (string, int, bool) {
	proto, port, ok := strings.Cut(v, "/")
	if !ok {
		return "", 0, false
	}
	ps := parsePorts(port)
	if len(ps) != 1 || ps[0].Lo != ps[0].Hi {
		return "", 0, false
	}
	return proto, int(ps[0].Lo), true
}

// peDest is a private endpoint connection as a destination reached from
// other networks (peered, or through a hub): the NSG of the endpoint's
// subnet filters it only when the subnet's network policies are on, and
// only the sub-resource's ports are served.
func (b *builder) peDest(pe, target, subnet string, ips, ports, groups []string, si *subnetInfo) *netDest {
	served := openSet{ports: map[string]portSet{}}
	for _, p := range ports {
		if proto, num, ok := splitPort(p); ok {
			served.ports[proto] = served.ports[proto].Union(portset.Single(int32(num)))
		}
	}
	d := &netDest{node: target, vnet: vnetOf(subnet), subnet: subnet, ips: ips, pe: pe, noUDR: si == nil || !si.peRoutes,
		via: "private endpoint " + pe + " (" + strings.Join(groups, ", ") + ")"}
	d.open = func(match func(*inventory.SecurityRule) bool) (openSet, []string, bool) {
		if si == nil || !si.peNSGs || si.nsg == "" {
			return served, nil, false
		}
		nsg, ok := b.nsgs[si.nsg]
		if !ok {
			return openSet{ports: map[string]portSet{}}, []string{si.nsg}, true
		}
		return served.intersect(evalNSGFrom(short(si.nsg), nsg, match)), []string{si.nsg}, true
	}
	return d
}
