package transform

import (
	"sort"
	"strconv"
	"strings"

	"github.com/breachpath/breachpath/collector/azure/inventory"
	"github.com/breachpath/breachpath/graph"
)

// Techniques of Internet exposure.
const (
	TechInternetExposed  = "azure.network.internet-exposed"
	TechLBInternetFacing = "azure.network.lb-internet-facing"
	TechLBForward        = "azure.network.lb-forward"
	TechAppGWForward     = "azure.network.appgw-forward"
	TechAppServicePublic = "azure.appservice.public-endpoint"
	TechAKSPublicAPI     = "azure.aks.public-api-server"
)

// nicOpen returns what reaches a NIC from the Internet through the NSGs of
// its subnet and its own (both must admit traffic); ok is false when no NSG
// applies at all, in which case the public IP's SKU decides.
func (b *builder) nicOpen(ni *nicInfo) (openSet, []string, bool) {
	return b.nicOpenFrom(ni, ruleFromInternet)
}

// nicOpenFrom is nicOpen for the sources match accepts.
func (b *builder) nicOpenFrom(ni *nicInfo, match func(*inventory.SecurityRule) bool) (openSet, []string, bool) {
	var sets []openSet
	var nsgs []string
	for _, id := range []string{b.subnetNSG[ni.subnet], ni.nsg} {
		if id == "" {
			continue
		}
		p, ok := b.nsgs[id]
		if !ok {
			// The NSG was not read (its area failed): assume it admits
			// nothing rather than inventing exposure.
			return openSet{ports: map[string]portSet{}}, []string{id}, true
		}
		sets = append(sets, evalNSGFrom(short(id), p, match))
		nsgs = append(nsgs, id)
	}
	if len(sets) == 0 {
		return everything(), nil, false
	}
	out := sets[0]
	for _, s := range sets[1:] {
		out = out.intersect(s)
	}
	return out, nsgs, true
}

// nsgFindingIDs returns the ids of the open-port findings of the NSGs.
func (b *builder) nsgFindingIDs(nsgs []string) []string {
	var out []string
	for _, id := range nsgs {
		for _, rule := range []string{"azure.network.nsg-open-all", "azure.network.nsg-open-ssh", "azure.network.nsg-open-rdp",
			"azure.network.nsg-open-admin-port", "azure.network.nsg-open-udp"} {
			fid := graph.FindingID(rule, id)
			if p := b.parts[b.owner[id]]; p != nil && p.findings[fid] != nil {
				out = append(out, fid)
			}
		}
	}
	return out
}

// exposure draws Internet exposure: VMs with public IPs through their
// NSGs, load balancers and application gateways with public frontends to
// their backends, App Service and Function apps, and AKS API servers.
func (b *builder) exposure() {
	for _, vm := range sortedKeys(b.vmNICs) {
		if _, ok := b.nodes[vm]; !ok {
			continue
		}
		for _, nicID := range b.vmNICs[vm] {
			ni := b.nics[nicID]
			if ni == nil || len(ni.publicIPs) == 0 {
				continue
			}
			open, nsgs, filtered := b.nicOpen(ni)
			var fs []string
			ev := []string{"public IP " + joinShort(ni.publicIPs) + " on " + short(nicID)}
			if !filtered {
				standard := false
				for _, pip := range ni.publicIPs {
					if r := b.pips[pip]; r != nil && strings.EqualFold(r.SKUName(), "Standard") {
						standard = true
					}
				}
				if standard {
					continue // Standard public IPs admit nothing without an NSG allowing it
				}
				fs = append(fs, b.finding("azure.network.public-ip-without-nsg", nicID, "public IP "+joinShort(ni.publicIPs)+" and no NSG on the NIC or its subnet"))
				ev = append(ev, "no NSG on the NIC or its subnet: every port is open")
			} else {
				if open.empty() {
					continue
				}
				fs = append(fs, b.nsgFindingIDs(nsgs)...)
				ev = append(ev, "NSG "+joinShort(nsgs)+" admits "+strings.Join(open.strings(), ", ")+" from Internet ("+strings.Join(open.rules, ", ")+")")
			}
			reply, cond, why := b.ingress(ni.subnet)
			if !reply {
				continue // replies are dropped (route to None) or leave through Azure Firewall, which drops the asymmetric half
			}
			if cond {
				ev = append(ev, why)
			}
			b.internet()
			b.move(graph.Edge{From: graph.InternetID, To: vm, Kind: graph.EdgeExposedTo, Technique: TechInternetExposed, Likelihood: 0.9,
				Evidence: ev, Findings: fs, Props: graph.Props{"ports": open.strings()}, Conditional: cond})
		}
	}
	for _, ss := range sortedKeys(b.scaleSets) {
		for _, ni := range b.scaleSets[ss] {
			if len(ni.publicIPs) == 0 {
				continue
			}
			open, nsgs, filtered := b.nicOpen(ni)
			if !filtered || open.empty() {
				continue // instance public IPs are Standard SKU: closed without an NSG
			}
			reply, cond, why := b.ingress(ni.subnet)
			if !reply {
				continue
			}
			ev := []string{"instances of scale set " + short(ss) + " get public IPs; NSG " + joinShort(nsgs) + " admits " + strings.Join(open.strings(), ", ") + " from Internet"}
			if cond {
				ev = append(ev, why)
			}
			b.internet()
			b.move(graph.Edge{From: graph.InternetID, To: ss, Kind: graph.EdgeExposedTo, Technique: TechInternetExposed, Likelihood: 0.9,
				Evidence: ev, Findings: b.nsgFindingIDs(nsgs), Props: graph.Props{"ports": open.strings()}, Conditional: cond})
		}
	}
	for _, id := range sortedKeys(b.lbs) {
		b.loadBalancer(id, b.lbs[id])
	}
	for _, id := range sortedKeys(b.appgws) {
		b.appGateway(id, b.appgws[id])
	}
	for _, r := range b.inv.OfType(inventory.TypeWebSite) {
		b.webExposure(r)
	}
	for _, id := range sortedKeys(b.aks) {
		p := b.aks[id]
		if p.APIServerAccessProfile != nil && (p.APIServerAccessProfile.EnablePrivateCluster || len(p.APIServerAccessProfile.AuthorizedIPRanges) > 0) {
			continue
		}
		f := b.finding("azure.aks.public-api-server", id, "API server is public with no authorized IP ranges")
		b.internet()
		b.move(graph.Edge{From: graph.InternetID, To: id, Kind: graph.EdgeExposedTo, Technique: TechAKSPublicAPI, Likelihood: 0.5,
			Props: graph.Props{"ports": []string{"tcp/443"}}, Evidence: []string{"API server " + p.FQDN + " answers the Internet"}, Findings: []string{f}})
	}
}

// backendVM returns the VM (or scale set) behind a NIC IP configuration
// id, or "".
func (b *builder) backendVM(ipConfig string) (string, *nicInfo) {
	ipConfig = strings.ToLower(ipConfig)
	if i := strings.Index(ipConfig, "/virtualmachines/"); i > 0 && strings.Contains(ipConfig[:i], "/virtualmachinescalesets/") {
		ss := ipConfig[:i]
		if nis := b.scaleSets[ss]; len(nis) > 0 {
			return ss, nis[0]
		}
		return "", nil
	}
	nic := b.ipConfigNIC[ipConfig]
	ni := b.nics[nic]
	if ni == nil {
		return "", nil
	}
	if ni.vm != "" {
		return ni.vm, ni
	}
	for vm, nics := range b.vmNICs {
		for _, n := range nics {
			if n == nic {
				return vm, ni
			}
		}
	}
	return "", ni
}

func (b *builder) loadBalancer(id string, p *inventory.LBProps) {
	public := map[string]string{} // frontend config id -> public IP id
	for _, fe := range p.FrontendIPConfigurations {
		if pip := fe.Properties.PublicIPAddress.LID(); pip != "" {
			public[strings.ToLower(fe.ID)] = pip
		}
	}
	if len(public) == 0 {
		return
	}
	pools := map[string][]string{}
	for _, bp := range p.BackendAddressPools {
		for _, ipc := range bp.Properties.BackendIPConfigurations {
			pools[strings.ToLower(bp.ID)] = append(pools[strings.ToLower(bp.ID)], ipc.LID())
		}
	}
	type fwd struct {
		frontPort, backPort int
		proto               string
		targets             []string
		rule                string
	}
	var fwds []fwd
	for _, r := range p.LoadBalancingRules {
		if _, ok := public[r.Properties.FrontendIPConfiguration.LID()]; !ok {
			continue
		}
		fwds = append(fwds, fwd{r.Properties.FrontendPort, r.Properties.BackendPort, strings.ToLower(r.Properties.Protocol),
			pools[r.Properties.BackendAddressPool.LID()], r.Name})
	}
	for _, r := range p.InboundNatRules {
		if _, ok := public[r.Properties.FrontendIPConfiguration.LID()]; !ok || r.Properties.BackendIPConfiguration == nil {
			continue
		}
		fwds = append(fwds, fwd{r.Properties.FrontendPort, r.Properties.BackendPort, strings.ToLower(r.Properties.Protocol),
			[]string{r.Properties.BackendIPConfiguration.LID()}, r.Name})
	}
	if len(fwds) == 0 {
		return
	}
	var front []string
	for _, f := range fwds {
		front = append(front, protoOf(f.proto)+"/"+strconv.Itoa(f.frontPort))
	}
	b.internet()
	b.move(graph.Edge{From: graph.InternetID, To: id, Kind: graph.EdgeExposedTo, Technique: TechLBInternetFacing, Likelihood: 0.9,
		Props: graph.Props{"ports": union(nil, front)}, Evidence: []string{"public frontend " + joinShort(sortedValues(public)) + " with rules on " + strings.Join(union(nil, front), ", ")}})
	for _, f := range fwds {
		for _, ipc := range f.targets {
			vm, ni := b.backendVM(ipc)
			if vm == "" || ni == nil {
				continue
			}
			b.fact(id, graph.EdgeTargets, vm)
			// NSGs see the client's address for load-balanced traffic.
			open, nsgs, filtered := b.nicOpen(ni)
			proto := protoOf(f.proto)
			if filtered && !hasPort(open.ports[proto], f.backPort) {
				continue
			}
			port := proto + "/" + strconv.Itoa(f.backPort)
			ev := []string{"rule " + f.rule + " forwards " + strconv.Itoa(f.frontPort) + " to " + port + " on " + short(vm)}
			if filtered {
				ev = append(ev, "NSG "+joinShort(nsgs)+" admits "+port+" from Internet")
			}
			reply, cond, why := b.ingress(ni.subnet)
			if !reply {
				continue // the backend's replies are dropped or leave through Azure Firewall (asymmetric)
			}
			if cond {
				ev = append(ev, why)
			}
			b.move(graph.Edge{From: id, To: vm, Kind: graph.EdgeReaches, Technique: TechLBForward, Likelihood: 0.9,
				Props: graph.Props{"ports": []string{port}}, Evidence: ev, Findings: b.nsgFindingIDs(nsgs), Conditional: cond})
		}
	}
}

func protoOf(p string) string {
	if strings.EqualFold(p, "udp") {
		return "udp"
	}
	return "tcp"
}

func (b *builder) appGateway(id string, p *inventory.AppGatewayProps) {
	public := map[string]bool{}
	for _, fe := range p.FrontendIPConfigurations {
		if fe.Properties.PublicIPAddress.LID() != "" {
			public[strings.ToLower(fe.ID)] = true
		}
	}
	ports := map[string]int{}
	for _, fp := range p.FrontendPorts {
		ports[strings.ToLower(fp.ID)] = fp.Properties.Port
	}
	listeners := map[string]int{}
	for _, l := range p.HTTPListeners {
		if public[l.Properties.FrontendIPConfiguration.LID()] {
			listeners[strings.ToLower(l.ID)] = ports[l.Properties.FrontendPort.LID()]
		}
	}
	if len(listeners) == 0 {
		return
	}
	var front []string
	for _, port := range listeners {
		front = append(front, "tcp/"+strconv.Itoa(port))
	}
	b.internet()
	b.move(graph.Edge{From: graph.InternetID, To: id, Kind: graph.EdgeExposedTo, Technique: TechLBInternetFacing, Likelihood: 0.9,
		Props: graph.Props{"ports": union(nil, front)}, Evidence: []string{"public listeners on " + strings.Join(union(nil, front), ", ")}})
	pools := map[string][]string{} // pool id -> backend node ids
	for _, bp := range p.BackendAddressPools {
		pid := strings.ToLower(bp.ID)
		for _, ipc := range bp.Properties.BackendIPConfigurations {
			if vm, _ := b.backendVM(ipc.ID); vm != "" {
				pools[pid] = append(pools[pid], vm)
			}
		}
		for _, a := range bp.Properties.BackendAddresses {
			if site := b.siteByHost(a.FQDN); site != "" {
				pools[pid] = append(pools[pid], site)
			}
		}
	}
	for _, rr := range p.RequestRoutingRules {
		port, ok := listeners[rr.Properties.HTTPListener.LID()]
		if !ok {
			continue
		}
		for _, target := range pools[rr.Properties.BackendAddressPool.LID()] {
			b.fact(id, graph.EdgeTargets, target)
			b.move(graph.Edge{From: id, To: target, Kind: graph.EdgeReaches, Technique: TechAppGWForward, Likelihood: 0.85,
				Props:    graph.Props{"ports": []string{"tcp/" + strconv.Itoa(port)}},
				Evidence: []string{"routing rule " + rr.Name + " sends listener port " + strconv.Itoa(port) + " to " + short(target)}})
		}
	}
}

// siteByHost returns the web app whose default host name is fqdn, or "".
func (b *builder) siteByHost(fqdn string) string {
	if fqdn == "" {
		return ""
	}
	for _, r := range b.inv.OfType(inventory.TypeWebSite) {
		var p inventory.WebSiteProps
		_ = r.Decode(&p)
		if strings.EqualFold(p.DefaultHostName, fqdn) {
			return r.ID
		}
	}
	return ""
}

// webExposure draws Internet exposure of an App Service or Function app
// reachable from anywhere: public network access not disabled and no
// access restriction that limits callers.
func (b *builder) webExposure(r *inventory.Resource) {
	n, ok := b.nodes[r.ID]
	if !ok || n.Stub {
		return
	}
	var p inventory.WebSiteProps
	_ = r.Decode(&p)
	if strings.EqualFold(p.PublicNetworkAccess, "Disabled") {
		return
	}
	if p.SiteConfig != nil {
		for _, rule := range p.SiteConfig.IPSecurityRestrictions {
			if strings.EqualFold(rule.Action, "Allow") && !internetPrefix(rule.IPAddress) && !strings.EqualFold(rule.IPAddress, "Any") {
				return // callers limited to named addresses or service tags
			}
		}
	}
	ports := []string{"tcp/443"}
	if !p.HTTPSOnly {
		ports = append(ports, "tcp/80")
	}
	ev := []string{firstNonEmpty(p.DefaultHostName, r.Name) + " accepts requests from the Internet (no access restrictions)"}
	var fs []string
	lk := 0.8
	if r.AuthEnabled != nil && !*r.AuthEnabled {
		fs = append(fs, b.finding("azure.appservice.auth-disabled", r.ID, "App Service Authentication is disabled"))
		ev = append(ev, "App Service Authentication disabled: requests reach the code unauthenticated")
		lk = 0.9
	}
	b.internet()
	b.move(graph.Edge{From: graph.InternetID, To: r.ID, Kind: graph.EdgeExposedTo, Technique: TechAppServicePublic, Likelihood: lk,
		Props: graph.Props{"ports": ports}, Evidence: ev, Findings: fs})
}

func joinShort(ids []string) string {
	out := make([]string, len(ids))
	for i, id := range ids {
		out[i] = short(id)
	}
	return strings.Join(out, ", ")
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func sortedValues(m map[string]string) []string {
	out := make([]string, 0, len(m))
	for _, v := range m {
		out = append(out, v)
	}
	sort.Strings(out)
	return out
}
