package transform

import (
	"fmt"
	"net/netip"
	"slices"
	"strings"

	"github.com/breachpath/breachpath/graph"
)

// Techniques of lateral movement inside VPC networks.
const (
	// TechFirewallSource: an instance sends traffic an INGRESS allow rule
	// admits (its address is in the rule's source ranges, or it carries a
	// source tag or runs as a source service account).
	TechFirewallSource = "gcp.compute.firewall-source"
	// TechVPCLateral: the rule lets that traffic reach the instances it
	// targets, on its ports.
	TechVPCLateral = "gcp.compute.vpc-lateral"
)

// lateral draws reach between instances through the firewall rules that
// admit it, with each rule as a hub: source instance -> rule -> target
// instance. A rule with n sources and m targets costs n+m edges, not n*m.
//
// Sources: instances of the rule's network whose internal address is in a
// source range, that carry a source tag or run as a source service
// account; instances of a peered network (ACTIVE peering, either side)
// whose address is in a source range (tags and service accounts do not
// cross a peering). Targets: the instances the rule applies to. A deny
// rule of equal or higher priority that applies to a target and whose
// source ranges cover the allow's (0.0.0.0/0, or the same ranges) removes
// the ports it denies; narrower denies are not subtracted (the edge is
// drawn, a possible over-approximation noted in docs/gcp-collector.md).
func (b *builder) lateral(fws []firewallInfo) {
	peers := b.peerings()
	// Instances by network: a rule only looks at its network's instances
	// and its peers', so the work grows with rules times their networks'
	// sizes, not rules times the organisation.
	byNet := map[string][]*instanceInfo{}
	for j := range b.instances {
		in := &b.instances[j]
		for _, n := range slices.Compact(slices.Sorted(slices.Values(in.networks))) {
			byNet[n] = append(byNet[n], in)
		}
	}
	for i := range fws {
		fw := &fws[i]
		if fw.d.Disabled || (fw.d.Direction != "" && fw.d.Direction != "INGRESS") || len(fw.d.Allowed) == 0 {
			continue
		}
		var srcRanges []netip.Prefix
		for _, r := range fw.d.SourceRanges {
			if pf, err := netip.ParsePrefix(strings.TrimSpace(r)); err == nil && pf.Addr().Is4() {
				srcRanges = append(srcRanges, pf)
			}
		}
		var sources, targets []*instanceInfo
		for _, in := range byNet[fw.network] {
			if ruleApplies(fw, in) {
				targets = append(targets, in)
			}
		}
		if len(targets) == 0 {
			continue
		}
		seen := map[*instanceInfo]bool{}
		for _, n := range append([]string{fw.network}, peers[fw.network]...) {
			for _, in := range byNet[n] {
				if !seen[in] && fw.sourceMatch(in, srcRanges, peers[fw.network]) != "" {
					seen[in] = true
					sources = append(sources, in)
				}
			}
		}
		if len(sources) == 0 || len(targets) == 0 {
			continue
		}
		for _, in := range sources {
			b.move(graph.Edge{From: in.asset.Name, To: fw.asset.Name, Kind: graph.EdgeReaches, Technique: TechFirewallSource, Likelihood: 1,
				Evidence: []string{"traffic from the instance matches rule " + fw.d.Name + ": " + fw.sourceMatch(in, srcRanges, peers[fw.network])}})
		}
		for _, in := range targets {
			ports := lateralPorts(fw, in, fws)
			if len(ports) == 0 {
				continue
			}
			b.move(graph.Edge{From: fw.asset.Name, To: in.asset.Name, Kind: graph.EdgeReaches, Technique: TechVPCLateral, Likelihood: 0.6,
				Evidence: []string{fmt.Sprintf("rule %s (priority %d) admits %s to the instance", fw.d.Name, fw.d.PriorityValue(), strings.Join(ports, ", "))},
				Props:    graph.Props{"ports": ports}})
		}
	}
}

// peerings returns, per network, the networks joined to it by an ACTIVE
// peering (recorded on either side).
func (b *builder) peerings() map[string][]string {
	out := map[string][]string{}
	for id, n := range b.nodes {
		if n.Kind != graph.KindNetwork {
			continue
		}
		peers, _ := n.Props["peered_networks"].([]string)
		for _, p := range peers {
			if !slices.Contains(out[id], p) {
				out[id] = append(out[id], p)
			}
			if !slices.Contains(out[p], id) {
				out[p] = append(out[p], id)
			}
		}
	}
	return out
}

// sourceMatch says why traffic from an instance matches the rule's
// sources, or "" when it does not.
func (fw *firewallInfo) sourceMatch(in *instanceInfo, ranges []netip.Prefix, peered []string) string {
	same := slices.Contains(in.networks, fw.network)
	peer := !same && slices.ContainsFunc(in.networks, func(n string) bool { return slices.Contains(peered, n) })
	if !same && !peer {
		return ""
	}
	for _, r := range ranges {
		for _, ip := range in.ips {
			if r.Contains(ip) {
				if peer {
					return "address " + ip.String() + " in source range " + r.String() + " (peered network)"
				}
				return "address " + ip.String() + " in source range " + r.String()
			}
		}
	}
	if !same {
		return ""
	}
	for _, t := range fw.d.SourceTags {
		if slices.Contains(in.tags, t) {
			return "network tag " + t
		}
	}
	if in.sa != "" && slices.Contains(fw.d.SourceServiceAccounts, in.sa) {
		return "runs as " + in.sa
	}
	return ""
}

// lateralPorts lists the ports the rule opens to the instance from inside,
// minus those a broad enough deny of equal or higher priority blocks.
func lateralPorts(fw *firewallInfo, in *instanceInfo, fws []firewallInfo) []string {
	var out []string
	for _, r := range ranges(fw.d.Allowed) {
		if blockedForSources(fw, in, fws, r) {
			continue
		}
		switch {
		case r.proto == "all":
			out = append(out, "all")
		case r.from == r.to:
			out = append(out, fmt.Sprintf("%s/%d", r.proto, r.from))
		default:
			out = append(out, fmt.Sprintf("%s/%d-%d", r.proto, r.from, r.to))
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// blockedForSources reports whether a deny rule applying to the instance,
// at equal or higher priority, with sources covering the allow's, denies
// the whole port range.
func blockedForSources(fw *firewallInfo, in *instanceInfo, fws []firewallInfo, r portRange) bool {
	for i := range fws {
		dn := &fws[i]
		if len(dn.d.Denied) == 0 || dn.d.Disabled || !ruleApplies(dn, in) || dn.d.PriorityValue() > fw.d.PriorityValue() {
			continue
		}
		broad := dn.public || (len(dn.d.SourceTags) == 0 && len(dn.d.SourceServiceAccounts) == 0 && len(fw.d.SourceTags) == 0 &&
			len(fw.d.SourceServiceAccounts) == 0 && slices.Equal(dn.d.SourceRanges, fw.d.SourceRanges))
		if !broad {
			continue
		}
		for _, d := range ranges(dn.d.Denied) {
			if (d.proto == "all" || d.proto == r.proto) && d.from <= r.from && d.to >= r.to {
				return true
			}
		}
	}
	return false
}
