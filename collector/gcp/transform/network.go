package transform

import (
	"fmt"
	"net/netip"
	"slices"
	"strconv"
	"strings"

	"github.com/breachpath/breachpath/collector/gcp/inventory"
	"github.com/breachpath/breachpath/graph"
)

// instanceInfo is an instance with what the network and identity parts need.
type instanceInfo struct {
	asset    *inventory.Asset
	d        inventory.Instance
	project  *project
	networks []string // full names
	external bool
	tags     []string
	sa       string // service account email, "" when none
	scopes   []string
	osLogin  bool         // OS Login enabled (instance, project metadata or org policy)
	blockPrj bool         // block-project-ssh-keys
	ips      []netip.Addr // internal addresses, one per interface
}

// firewallInfo is a firewall rule with its evaluated pieces.
type firewallInfo struct {
	asset   *inventory.Asset
	d       inventory.FirewallRule
	network string
	public  bool // a source range covers the whole Internet
}

// network adds VPC networks, subnets, firewall rules, instances and the
// Internet exposure of instances, load balancers, Cloud SQL and GKE.
func (b *builder) network() error {
	var fws []firewallInfo
	for _, a := range sortedAssets(b.inv) {
		if !a.HasData() {
			continue
		}
		p := b.h.projectOf(a)
		pid := ""
		if p != nil {
			pid = p.ID
		}
		switch a.AssetType {
		case inventory.TypeNetwork:
			var d inventory.Network
			if err := a.Decode(&d); err != nil {
				b.warn("%v", err)
				continue
			}
			n := b.resourceNode(a, graph.KindNetwork, "compute", d.Name, nil)
			n.Props["auto_create_subnetworks"] = d.AutoCreateSubnetworks
			var peers []string
			for _, pr := range d.Peerings {
				if pr.State == "" || pr.State == "ACTIVE" {
					peers = append(peers, inventory.SelfLinkToName(pr.Network, pid))
				}
			}
			if len(peers) > 0 {
				n.Props["peered_networks"] = peers
			}
			if p != nil {
				b.fact(p.Name, graph.EdgeContains, a.Name)
			}
		case inventory.TypeSubnetwork:
			var d inventory.Subnetwork
			if err := a.Decode(&d); err != nil {
				b.warn("%v", err)
				continue
			}
			n := b.resourceNode(a, graph.KindSubnet, "compute", d.Name, nil)
			n.Region = orDefault(inventory.LastSegment(d.Region), n.Region)
			n.Props["cidr"] = d.IPCidrRange
			n.Props["private_google_access"] = d.PrivateIPGoogleAccess
			b.fact(a.Name, graph.EdgeInNetwork, inventory.SelfLinkToName(d.Network, pid))
		case inventory.TypeFirewall:
			var d inventory.FirewallRule
			if err := a.Decode(&d); err != nil {
				b.warn("%v", err)
				continue
			}
			fw := firewallInfo{asset: a, d: d, network: inventory.SelfLinkToName(d.Network, pid)}
			for _, r := range d.SourceRanges {
				if isInternet(r) {
					fw.public = true
				}
			}
			n := b.resourceNode(a, graph.KindFirewallRules, "compute", d.Name, nil)
			n.Props["priority"] = int64(d.PriorityValue())
			n.Props["direction"] = orDefault(d.Direction, "INGRESS")
			n.Props["disabled"] = d.Disabled
			n.Props["source_ranges"] = nonNil(d.SourceRanges)
			n.Props["allowed"] = portSpecs(d.Allowed)
			if len(d.Denied) > 0 {
				n.Props["denied"] = portSpecs(d.Denied)
			}
			if len(d.TargetTags) > 0 {
				n.Props["target_tags"] = d.TargetTags
			}
			if len(d.TargetServiceAccounts) > 0 {
				n.Props["target_service_accounts"] = d.TargetServiceAccounts
			}
			b.fact(a.Name, graph.EdgeInNetwork, fw.network)
			fws = append(fws, fw)
		case inventory.TypeInstance:
			b.instance(a, p)
		}
	}
	// Edges to networks not read would dangle: add them as stubs.
	for _, e := range b.edges {
		if e.Kind == graph.EdgeInNetwork && b.nodes[e.To] == nil && e.To != "" {
			b.addNode(graph.Node{ID: e.To, Kind: graph.KindNetwork, NativeType: inventory.TypeNetwork, Name: inventory.LastSegment(e.To),
				Service: "compute", Region: "global"}, "")
		}
	}
	b.exposeInstances(fws)
	b.loadBalancers(fws)
	b.lateral(fws)
	return nil
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

func portSpecs(ps []inventory.PortSpec) []string {
	var out []string
	for _, p := range ps {
		if len(p.Ports) == 0 {
			out = append(out, strings.ToLower(p.IPProtocol))
			continue
		}
		for _, port := range p.Ports {
			out = append(out, strings.ToLower(p.IPProtocol)+":"+port)
		}
	}
	return out
}

// isInternet reports whether a source range covers the whole Internet.
func isInternet(r string) bool {
	pf, err := netip.ParsePrefix(strings.TrimSpace(r))
	return err == nil && pf.Bits() == 0
}

// instance adds one Compute Engine instance, its placement and identity facts.
func (b *builder) instance(a *inventory.Asset, p *project) {
	var d inventory.Instance
	if err := a.Decode(&d); err != nil {
		b.warn("%v", err)
		return
	}
	pid := ""
	if p != nil {
		pid = p.ID
	}
	n := b.resourceNode(a, graph.KindCompute, "compute", d.Name, d.Labels)
	if z := inventory.LastSegment(d.Zone); z != "" {
		n.Region = z
	}
	info := instanceInfo{asset: a, d: d, project: p, tags: d.Tags.Items}
	for _, ni := range d.NetworkInterfaces {
		net := inventory.SelfLinkToName(ni.Network, pid)
		info.networks = append(info.networks, net)
		if ip, err := netip.ParseAddr(ni.NetworkIP); err == nil {
			info.ips = append(info.ips, ip)
		}
		if sub := inventory.SelfLinkToName(ni.Subnetwork, pid); sub != "" {
			b.fact(a.Name, graph.EdgeInSubnet, sub)
		}
		if len(ni.AccessConfigs) > 0 {
			info.external = true
			for _, ac := range ni.AccessConfigs {
				if ac.NatIP != "" {
					n.Props["external_ip"] = ac.NatIP
				}
			}
		}
	}
	if len(d.ServiceAccounts) > 0 {
		info.sa = strings.ToLower(d.ServiceAccounts[0].Email)
		info.scopes = d.ServiceAccounts[0].Scopes
	}
	// OS Login: instance metadata wins over project metadata; the org
	// policy compute.requireOsLogin forces it.
	prjMeta := b.projectMetadata(p)
	osl, set := d.Metadata.Get("enable-oslogin")
	if !set {
		osl, _ = prjMeta.Get("enable-oslogin")
	}
	info.osLogin = strings.EqualFold(osl, "true")
	if p != nil {
		if enf, _ := b.orgPolicy.Enforced(b.h.projectChain(p), ConstraintRequireOsLogin); enf {
			info.osLogin = true
		}
	}
	blk, _ := d.Metadata.Get("block-project-ssh-keys")
	info.blockPrj = strings.EqualFold(blk, "true")
	serial, _ := d.Metadata.Get("serial-port-enable")
	// Startup scripts and custom metadata are readable by anyone who can
	// describe the instance, and by every process on it.
	meta := map[string]string{}
	for _, it := range d.Metadata.Items {
		if it.Value != nil && it.Key != "ssh-keys" && it.Key != "sshKeys" {
			meta[it.Key] = *it.Value
		}
	}
	n.Props["os_login"] = info.osLogin
	n.Props["block_project_ssh_keys"] = info.blockPrj
	n.Props["serial_port_enabled"] = strings.EqualFold(serial, "true") || serial == "1"
	n.Props["can_ip_forward"] = d.CanIPForward
	n.Props["external"] = info.external
	if len(info.tags) > 0 {
		n.Props["network_tags"] = info.tags
	}
	if info.sa != "" {
		n.Props["service_account"] = info.sa
		n.Props["scopes"] = nonNil(info.scopes)
	}
	if p != nil {
		b.fact(p.Name, graph.EdgeContains, a.Name)
	}
	b.plaintextSecrets(a.Name, "gcp.compute.metadata-secret", "metadata key", meta)
	idx := len(b.instances)
	b.instances = append(b.instances, info)
	for _, t := range info.tags {
		b.byTag[t] = append(b.byTag[t], idx)
	}
}

// projectMetadata returns the project's common instance metadata, read
// from the Compute Engine project asset when present.
func (b *builder) projectMetadata(p *project) inventory.Metadata {
	if p == nil {
		return inventory.Metadata{}
	}
	a := b.inv.Assets["//compute.googleapis.com/projects/"+p.ID]
	if a == nil {
		return inventory.Metadata{}
	}
	var d struct {
		CommonInstanceMetadata inventory.Metadata `json:"commonInstanceMetadata"`
	}
	_ = a.Decode(&d)
	return d.CommonInstanceMetadata
}

// ruleApplies reports whether a firewall rule applies to an instance.
func ruleApplies(fw *firewallInfo, in *instanceInfo) bool {
	if fw.d.Disabled || (fw.d.Direction != "" && fw.d.Direction != "INGRESS") {
		return false
	}
	if !slices.Contains(in.networks, fw.network) {
		return false
	}
	if len(fw.d.TargetTags) > 0 {
		for _, t := range fw.d.TargetTags {
			if slices.Contains(in.tags, t) {
				return true
			}
		}
		return false
	}
	if len(fw.d.TargetServiceAccounts) > 0 {
		return slices.Contains(fw.d.TargetServiceAccounts, in.sa)
	}
	return true
}

// portRange is an inclusive TCP/UDP range; all protocols when proto is "all".
type portRange struct {
	proto    string
	from, to int
}

func ranges(ps []inventory.PortSpec) []portRange {
	var out []portRange
	for _, p := range ps {
		proto := strings.ToLower(p.IPProtocol)
		if proto == "6" {
			proto = "tcp"
		}
		if proto == "17" {
			proto = "udp"
		}
		if proto != "tcp" && proto != "udp" && proto != "all" {
			continue
		}
		if len(p.Ports) == 0 {
			out = append(out, portRange{proto, 0, 65535})
			continue
		}
		for _, s := range p.Ports {
			lo, hi, _ := strings.Cut(s, "-")
			a, err1 := strconv.Atoi(lo)
			z := a
			var err2 error
			if hi != "" {
				z, err2 = strconv.Atoi(hi)
			}
			if err1 != nil || err2 != nil || a > z {
				continue
			}
			out = append(out, portRange{proto, a, z})
		}
	}
	return out
}

func (r portRange) covers(proto string, port int) bool {
	return (r.proto == "all" || r.proto == proto) && port >= r.from && port <= r.to
}

// notablePorts are the ports exposure reports by name; a range is
// reported by its bounds.
var notablePorts = []int{22, 3389, 80, 443, 8080, 3306, 5432, 6379, 9200, 27017}

// exposeInstances draws Internet -> instance for instances with an
// external address that a rule admits from 0.0.0.0/0 and no
// higher-priority deny blocks.
func (b *builder) exposeInstances(fws []firewallInfo) {
	for i := range b.instances {
		in := &b.instances[i]
		var allows, denies []*firewallInfo
		for j := range fws {
			fw := &fws[j]
			if !fw.public || !ruleApplies(fw, in) {
				continue
			}
			if len(fw.d.Allowed) > 0 {
				allows = append(allows, fw)
				b.fact(in.asset.Name, graph.EdgeProtectedBy, fw.asset.Name)
			}
			if len(fw.d.Denied) > 0 {
				denies = append(denies, fw)
			}
		}
		if !in.external || len(allows) == 0 {
			continue
		}
		var ports []string
		var evidence, findings []string
		seen := map[string]bool{}
		for _, fw := range allows {
			added := false
			for _, r := range ranges(fw.d.Allowed) {
				cands := []int{r.from}
				for _, np := range notablePorts {
					if r.covers(r.proto, np) && r.proto != "all" {
						cands = append(cands, np)
					}
				}
				for _, port := range cands {
					proto := r.proto
					if proto == "all" {
						proto = "tcp"
					}
					if denied(denies, fw.d.PriorityValue(), proto, port) {
						continue
					}
					key := fmt.Sprintf("%s/%d", proto, port)
					if !seen[key] {
						seen[key] = true
						ports = append(ports, key)
					}
					added = true
				}
			}
			if added {
				evidence = append(evidence, fmt.Sprintf("firewall %s (priority %d) allows %s from %s", fw.d.Name, fw.d.PriorityValue(),
					strings.Join(portSpecs(fw.d.Allowed), ","), strings.Join(fw.d.SourceRanges, ",")))
				findings = append(findings, b.firewallFindings(fw)...)
			}
		}
		if len(ports) == 0 {
			continue
		}
		slices.Sort(ports)
		evidence = append(evidence, "instance has an external IP in an access config")
		b.internetNode()
		b.move(graph.Edge{From: graph.InternetID, To: in.asset.Name, Kind: graph.EdgeExposedTo, Technique: "gcp.compute.internet-exposed",
			Evidence: evidence, Findings: findings, Props: graph.Props{"ports": ports}})
		if f := b.finding("gcp.compute.public-ip", in.asset.Name, "external IP "+fmt.Sprint(b.nodes[in.asset.Name].Props["external_ip"])); f != "" {
			_ = f
		}
	}
}

// denied reports whether a deny rule of equal or higher priority (lower
// number) blocks a port from the Internet. At equal priority deny wins.
func denied(denies []*firewallInfo, prio int, proto string, port int) bool {
	for _, d := range denies {
		if d.d.PriorityValue() > prio {
			continue
		}
		for _, r := range ranges(d.d.Denied) {
			if r.covers(proto, port) {
				return true
			}
		}
	}
	return false
}

func (b *builder) internetNode() {
	if _, ok := b.nodes[graph.InternetID]; !ok {
		b.nodes[graph.InternetID] = &graph.Node{ID: graph.InternetID, Kind: graph.KindInternet, Name: "Internet", Stub: true,
			Region: "global", Service: "internet"}
	}
}
