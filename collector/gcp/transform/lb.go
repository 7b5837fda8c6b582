package transform

import (
	"fmt"
	"net/netip"
	"slices"
	"strings"

	"github.com/breachpath/breachpath/collector/gcp/inventory"
	"github.com/breachpath/breachpath/graph"
)

// gfeRanges are the Google Front End ranges proxy-based load balancers
// (and their health checks) connect to backends from: a backend whose
// firewall does not admit them on the serving port gets no traffic.
var gfeRanges = []netip.Prefix{netip.MustParsePrefix("130.211.0.0/22"), netip.MustParsePrefix("35.191.0.0/16")}

// lbChain is the configuration of the load balancer pieces of a collection,
// keyed by full resource name.
type lbChain struct {
	pools    map[string][]string // target pool -> instances
	proxies  map[string]string   // target proxy -> URL map (HTTP(S)) or backend service (TCP/SSL)
	urlMaps  map[string][]string // URL map -> backend services
	backends map[string]backendService
	groups   map[string]map[string]int64 // instance group -> named ports
}

type backendService struct {
	name, portName, protocol string
	port                     int64
	groups                   []string
}

// rawLB is the union of the load balancer resources' REST fields read here.
type rawLB struct {
	Name      string   `json:"name"`
	Instances []string `json:"instances"` // target pool
	URLMap    string   `json:"urlMap"`    // HTTP(S) proxy
	Service   string   `json:"service"`   // TCP/SSL proxy
	// URL map.
	DefaultService     string `json:"defaultService"`
	DefaultRouteAction *struct {
		WeightedBackendServices []struct {
			BackendService string `json:"backendService"`
		} `json:"weightedBackendServices"`
	} `json:"defaultRouteAction"`
	PathMatchers []struct {
		DefaultService string `json:"defaultService"`
		PathRules      []struct {
			Service string `json:"service"`
		} `json:"pathRules"`
	} `json:"pathMatchers"`
	// Backend service.
	PortName string `json:"portName"`
	Port     int64  `json:"port"`
	Protocol string `json:"protocol"`
	Backends []struct {
		Group string `json:"group"`
	} `json:"backends"`
	// Instance group.
	NamedPorts []struct {
		Name string `json:"name"`
		Port int64  `json:"port"`
	} `json:"namedPorts"`
}

// readLBChain decodes target pools, proxies, URL maps, backend services
// and instance groups.
func (b *builder) readLBChain() *lbChain {
	ch := &lbChain{pools: map[string][]string{}, proxies: map[string]string{}, urlMaps: map[string][]string{},
		backends: map[string]backendService{}, groups: map[string]map[string]int64{}}
	for _, a := range sortedAssets(b.inv) {
		switch a.AssetType {
		case inventory.TypeTargetPool, inventory.TypeTargetHTTPProxy, inventory.TypeTargetHTTPSProxy, inventory.TypeTargetTCPProxy,
			inventory.TypeTargetSSLProxy, inventory.TypeURLMap, inventory.TypeBackendService, inventory.TypeRegionBackendService,
			inventory.TypeInstanceGroup:
		default:
			continue
		}
		var d rawLB
		if err := a.Decode(&d); err != nil {
			b.warn("%v", err)
			continue
		}
		pid := ""
		if p := b.h.projectOf(a); p != nil {
			pid = p.ID
		}
		link := func(s string) string { return inventory.SelfLinkToName(s, pid) }
		switch a.AssetType {
		case inventory.TypeTargetPool:
			for _, i := range d.Instances {
				ch.pools[a.Name] = append(ch.pools[a.Name], link(i))
			}
		case inventory.TypeTargetHTTPProxy, inventory.TypeTargetHTTPSProxy:
			ch.proxies[a.Name] = link(d.URLMap)
		case inventory.TypeTargetTCPProxy, inventory.TypeTargetSSLProxy:
			ch.proxies[a.Name] = link(d.Service)
		case inventory.TypeURLMap:
			svcs := []string{d.DefaultService}
			if d.DefaultRouteAction != nil {
				for _, w := range d.DefaultRouteAction.WeightedBackendServices {
					svcs = append(svcs, w.BackendService)
				}
			}
			for _, pm := range d.PathMatchers {
				svcs = append(svcs, pm.DefaultService)
				for _, pr := range pm.PathRules {
					svcs = append(svcs, pr.Service)
				}
			}
			for _, s := range svcs {
				if n := link(s); n != "" && !slices.Contains(ch.urlMaps[a.Name], n) {
					ch.urlMaps[a.Name] = append(ch.urlMaps[a.Name], n)
				}
			}
		case inventory.TypeBackendService, inventory.TypeRegionBackendService:
			bs := backendService{name: d.Name, portName: d.PortName, port: d.Port, protocol: d.Protocol}
			for _, be := range d.Backends {
				bs.groups = append(bs.groups, link(be.Group))
			}
			ch.backends[a.Name] = bs
		case inventory.TypeInstanceGroup:
			ports := map[string]int64{}
			for _, np := range d.NamedPorts {
				ports[np.Name] = np.Port
			}
			ch.groups[a.Name] = ports
		}
	}
	return ch
}

// lbTarget is one instance a forwarding rule sends traffic to, with the
// chain that proves it and the port the backend serves on.
type lbTarget struct {
	instance string
	port     int64
	chain    []string
	proxied  bool // proxy-based: traffic comes from the Google Front End ranges
}

// targets follows a forwarding rule to its instances: target pool ->
// instances; target proxy -> URL map -> backend services -> instance
// groups -> members; or the rule's own backend service.
func (ch *lbChain) targets(inv *inventory.Inventory, target, ruleBackend string) []lbTarget {
	var out []lbTarget
	short := inventory.LastSegment
	if insts, ok := ch.pools[target]; ok {
		for _, i := range insts {
			out = append(out, lbTarget{instance: i, chain: []string{"target pool " + short(target)}})
		}
		return out
	}
	var services []string
	var chain []string
	proxied := false
	switch {
	case ch.proxies[target] != "":
		proxied = true
		chain = append(chain, "target proxy "+short(target))
		next := ch.proxies[target]
		if svcs, ok := ch.urlMaps[next]; ok {
			chain = append(chain, "URL map "+short(next))
			services = svcs
		} else {
			services = []string{next}
		}
	case ruleBackend != "":
		services = []string{ruleBackend}
	}
	for _, s := range services {
		bs, ok := ch.backends[s]
		if !ok {
			continue
		}
		for _, g := range bs.groups {
			port := bs.port
			if p, ok := ch.groups[g][bs.portName]; ok && bs.portName != "" {
				port = p
			}
			if port == 0 {
				port = map[string]int64{"HTTPS": 443, "HTTP2": 443, "SSL": 443}[bs.protocol]
				if port == 0 {
					port = 80
				}
			}
			for _, m := range inv.GroupMembers[g] {
				out = append(out, lbTarget{instance: m, port: port, proxied: proxied,
					chain: append(slices.Clone(chain), "backend service "+bs.name, "instance group "+short(g))})
			}
		}
	}
	return out
}

// loadBalancers draws Internet -> external forwarding rule, and forwarding
// rule -> each instance it serves, with the backend port: through a target
// pool, or through target proxy -> URL map -> backend service -> instance
// group members (members come from the Compute Engine API; an offline
// import has none). A proxied backend must admit the Google Front End
// ranges on its port, a passthrough one the Internet.
func (b *builder) loadBalancers(fws []firewallInfo) {
	ch := b.readLBChain()
	byName := map[string]*instanceInfo{}
	for i := range b.instances {
		byName[b.instances[i].asset.Name] = &b.instances[i]
	}
	for _, a := range sortedAssets(b.inv) {
		if a.AssetType != inventory.TypeForwardingRule && a.AssetType != inventory.TypeGlobalFwdRule {
			continue
		}
		var d inventory.ForwardingRule
		if err := a.Decode(&d); err != nil {
			continue
		}
		if !strings.HasPrefix(d.LoadBalancingScheme, "EXTERNAL") {
			continue
		}
		pid := ""
		if p := b.h.projectOf(a); p != nil {
			pid = p.ID
		}
		n := b.resourceNode(a, graph.KindLoadBalancer, "compute", d.Name, nil)
		n.Props["ip_address"] = d.IPAddress
		n.Props["port_range"] = d.PortRange
		n.Props["scheme"] = d.LoadBalancingScheme
		b.internetNode()
		ports := d.Ports
		if len(ports) == 0 && d.PortRange != "" {
			ports = []string{d.PortRange}
		}
		b.move(graph.Edge{From: graph.InternetID, To: a.Name, Kind: graph.EdgeExposedTo, Technique: "gcp.compute.external-load-balancer",
			Evidence: []string{"forwarding rule " + d.Name + " is " + d.LoadBalancingScheme + " on " + d.IPAddress}, Props: graph.Props{"ports": nonNil(ports)}})
		for _, t := range ch.targets(b.inv, inventory.SelfLinkToName(d.Target, pid), inventory.SelfLinkToName(d.BackendService, pid)) {
			in := byName[t.instance]
			if in == nil {
				continue
			}
			evidence := []string{"forwarding rule " + d.Name + " -> " + strings.Join(t.chain, " -> ") + " lists the instance"}
			edgePorts := nonNil(ports)
			if t.port != 0 {
				edgePorts = []string{fmt.Sprintf("tcp/%d", t.port)}
				sources := gfeRanges
				if !t.proxied {
					sources = []netip.Prefix{netip.MustParsePrefix("0.0.0.0/0")}
				}
				fw := admitting(fws, in, sources, "tcp", int(t.port))
				if fw == nil {
					continue // the backend is unhealthy and gets no traffic
				}
				evidence = append(evidence, fmt.Sprintf("firewall %s admits tcp/%d from %s", fw.d.Name, t.port, prefixes(sources)))
			}
			b.fact(a.Name, graph.EdgeTargets, t.instance)
			b.move(graph.Edge{From: a.Name, To: t.instance, Kind: graph.EdgeReaches, Technique: "gcp.compute.load-balancer-forward",
				Evidence: evidence, Props: graph.Props{"ports": edgePorts}})
		}
	}
}

func prefixes(ps []netip.Prefix) string {
	var out []string
	for _, p := range ps {
		out = append(out, p.String())
	}
	return strings.Join(out, ",")
}

// admitting returns an INGRESS allow rule applying to the instance whose
// source ranges cover every given source on the port, unless a deny rule
// of equal or higher priority covering those sources blocks the port.
func admitting(fws []firewallInfo, in *instanceInfo, sources []netip.Prefix, proto string, port int) *firewallInfo {
	covers := func(fw *firewallInfo) bool {
		for _, src := range sources {
			ok := false
			for _, r := range fw.d.SourceRanges {
				if pf, err := netip.ParsePrefix(strings.TrimSpace(r)); err == nil && pf.Bits() <= src.Bits() && pf.Contains(src.Addr()) {
					ok = true
				}
			}
			if !ok {
				return false
			}
		}
		return true
	}
	var best *firewallInfo
	for i := range fws {
		fw := &fws[i]
		if len(fw.d.Allowed) == 0 || !ruleApplies(fw, in) || !covers(fw) {
			continue
		}
		if !slices.ContainsFunc(ranges(fw.d.Allowed), func(r portRange) bool { return r.covers(proto, port) }) {
			continue
		}
		if best == nil || fw.d.PriorityValue() < best.d.PriorityValue() {
			best = fw
		}
	}
	if best == nil {
		return nil
	}
	for i := range fws {
		dn := &fws[i]
		if len(dn.d.Denied) == 0 || !ruleApplies(dn, in) || !covers(dn) || dn.d.PriorityValue() > best.d.PriorityValue() {
			continue
		}
		if slices.ContainsFunc(ranges(dn.d.Denied), func(r portRange) bool { return r.covers(proto, port) }) {
			return nil
		}
	}
	return best
}
