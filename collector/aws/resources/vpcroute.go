package resources

import (
	"fmt"
	"net/netip"
	"slices"
	"strings"

	"github.com/breachpath/breachpath/collector/aws/inventory"
	"github.com/breachpath/breachpath/graph"
)

// Technique of a network move that crosses from one VPC into another.
const TechCrossVPCReach = "aws.ec2.cross-vpc-reach"

// vpcLinks indexes what carries traffic between a region's VPCs: peering
// connections, transit gateway attachments and route tables.
type vpcLinks struct {
	peerings  map[string]*inventory.VPCPeering
	tgws      map[string]*inventory.TransitGateway
	atts      map[string]*inventory.TGWAttachment
	tgwTables map[string]*inventory.TGWRouteTable
	// attByVPC maps "tgw-id|vpc-id" to the VPC's attachment.
	attByVPC map[string]*inventory.TGWAttachment
}

func indexLinks(d *inventory.RegionData) *vpcLinks {
	l := &vpcLinks{peerings: map[string]*inventory.VPCPeering{}, tgws: map[string]*inventory.TransitGateway{},
		atts: map[string]*inventory.TGWAttachment{}, tgwTables: map[string]*inventory.TGWRouteTable{},
		attByVPC: map[string]*inventory.TGWAttachment{}}
	for i := range d.VPCPeerings {
		l.peerings[d.VPCPeerings[i].ID] = &d.VPCPeerings[i]
	}
	for i := range d.TransitGateways {
		l.tgws[d.TransitGateways[i].ID] = &d.TransitGateways[i]
	}
	for i := range d.TGWAttachments {
		a := &d.TGWAttachments[i]
		l.atts[a.ID] = a
		if a.ResourceType == "vpc" && attachmentUp(a.State) {
			l.attByVPC[a.TransitGatewayID+"|"+a.ResourceID] = a
		}
	}
	for i := range d.TGWRouteTables {
		l.tgwTables[d.TGWRouteTables[i].ID] = &d.TGWRouteTables[i]
	}
	return l
}

// attachmentUp: only an available attachment (or one being modified)
// carries traffic; pending, rejected and deleted ones do not.
func attachmentUp(state string) bool {
	return state == "" || state == "available" || state == "modifying"
}

// vpcHop is one way traffic crosses between two VPCs, with the facts that
// prove both directions (a TCP connection needs its replies routed back).
type vpcHop struct {
	via      string // pcx-... or tgw-...
	evidence string
	// groupRefs: security-group rules may name groups of the other side
	// (always across a peering in one region; across a transit gateway only
	// with SecurityGroupReferencingSupport on both attachments).
	groupRefs bool
}

// routeFor returns the route a route table uses for the block: the longest
// active route whose destination contains it. Prefix-list destinations
// (gateway endpoints) never carry VPC-to-VPC traffic and are skipped.
func routeFor(rt *inventory.RouteTable, blk netip.Prefix) *inventory.Route {
	if rt == nil {
		return nil
	}
	var best *inventory.Route
	bits := -1
	for i := range rt.Routes {
		r := &rt.Routes[i]
		if r.State == "blackhole" {
			continue
		}
		dst := r.DestinationCIDR
		if dst == "" {
			dst = r.DestinationIPv6CIDR
		}
		p, ok := parsePrefix(dst)
		if !ok || !containsPrefix(p, blk) || p.Bits() <= bits {
			continue
		}
		best, bits = r, p.Bits()
	}
	return best
}

// tgwRouteFor returns the attachments a transit gateway route table sends
// the block to: its longest static or propagated route. A VPC attachment
// that propagates into the table contributes its VPC's CIDR blocks; at equal
// length a static route wins. A blackhole route drops the traffic.
func (x *regionIndex) tgwRouteFor(t *inventory.TGWRouteTable, blk netip.Prefix) []string {
	if t == nil {
		return nil
	}
	var best []string
	bits := -1
	consider := func(cidr string, atts []string, blackhole, static bool) {
		p, ok := parsePrefix(cidr)
		if !ok || !containsPrefix(p, blk) {
			return
		}
		if p.Bits() < bits || (p.Bits() == bits && !static) {
			return
		}
		bits = p.Bits()
		best = atts
		if blackhole {
			best = nil
		}
	}
	for _, id := range t.Propagations {
		a := x.links.atts[id]
		if a == nil || a.ResourceType != "vpc" || !attachmentUp(a.State) {
			continue
		}
		if v := x.vpcs[a.ResourceID]; v != nil {
			for _, c := range v.CIDRBlocks {
				consider(c, []string{a.ID}, false, false)
			}
		}
	}
	for _, r := range t.Routes {
		consider(r.DestinationCIDR, r.AttachmentIDs, r.State == "blackhole", r.Type != "propagated")
	}
	return best
}

// crossVPC returns how a member of one VPC reaches a member of another in
// the same region on the wanted ports, and the ports the network ACLs on
// the way let through; false when no route carries the traffic both ways or
// the ACLs stop every port. Every source subnet and address is tried
// against every destination subnet and address; the first pair whose
// routes and ACLs pass is the answer.
func (b *builder) crossVPC(s, d *member, want protoPorts) (vpcHop, protoPorts, bool) {
	if s.vpc == "" || d.vpc == "" || s.vpc == d.vpc {
		return vpcHop{}, protoPorts{}, false
	}
	sx, dx := s.region, d.region
	for _, ss := range s.subnets {
		for _, sb := range blocksIn(sx, ss, s.blocks) {
			for _, ds := range d.subnets {
				for _, db := range blocksIn(dx, ds, d.blocks) {
					h, ok := b.hop(sx, s.vpc, ss, sb, dx, d.vpc, ds, db)
					if !ok {
						continue
					}
					got, ev := naclPass(sx.nacl(ss), sb, dx.nacl(ds), db, want)
					if got.empty() {
						continue
					}
					if ev != "" {
						h.evidence += "; " + ev
					}
					return h, got, true
				}
			}
		}
	}
	return vpcHop{}, protoPorts{}, false
}

// naclPass returns the ports of want that the network ACLs of the source
// subnet (src, for addresses sb) and the destination subnet (dst, db) let
// through both ways, and evidence naming the deciding rules. ACLs are
// stateless: the request needs the source ACL's outbound and the
// destination ACL's inbound rules, the reply the destination ACL's outbound
// and the source ACL's inbound rules on a whole ephemeral port range
// (returnTrafficAllowed). Each side is evaluated at the first address of the
// block (the member's own address when known, else its subnet). A nil ACL
// (not collected) passes everything.
func naclPass(src *inventory.NetworkACL, sb netip.Prefix, dst *inventory.NetworkACL, db netip.Prefix, want protoPorts) (protoPorts, string) {
	if src == nil && dst == nil {
		return want, ""
	}
	var got protoPorts
	var why []string
	for p := proto(0); p < numProtos; p++ {
		if len(want[p]) == 0 {
			continue
		}
		out, outRules := naclDecision(src, true, db.Addr(), p)
		in, inRules := naclDecision(dst, false, sb.Addr(), p)
		back, backRules := naclDecision(dst, true, sb.Addr(), p)
		ret, retRules := naclDecision(src, false, db.Addr(), p)
		pass := want[p].Intersect(out).Intersect(in)
		if len(pass) == 0 || !returnTrafficAllowed(back) || !returnTrafficAllowed(ret) {
			continue
		}
		got[p] = pass
		if src != nil && dst != nil {
			why = append(why, fmt.Sprintf("%s: network ACL %s (source subnet) passes it out by rules %s and the replies in by rules %s; network ACL %s (destination subnet) passes it in by rules %s and the replies out by rules %s",
				p, src.ID, joinInts(outRules), joinInts(retRules), dst.ID, joinInts(inRules), joinInts(backRules)))
		}
	}
	return got, strings.Join(why, "; ")
}

// blocksIn returns the member's blocks that lie in the subnet, or the
// subnet's own block when the member's addresses are unknown there.
func blocksIn(x *regionIndex, subnetID string, blocks []netip.Prefix) []netip.Prefix {
	sub := x.subnets[subnetID]
	if sub == nil {
		return nil
	}
	sp, ok := parsePrefix(sub.CIDRBlock)
	if !ok {
		return nil
	}
	var out []netip.Prefix
	for _, blk := range blocks {
		if containsPrefix(sp, blk) {
			out = append(out, blk)
		}
	}
	if len(out) == 0 {
		out = append(out, sp)
	}
	return out
}

// hop checks one (source subnet, address) -> (destination subnet, address)
// pair: the source subnet's route to the destination and the destination
// subnet's route back must both use the same peering connection, the same
// transit gateway, or two transit gateways joined by a peering attachment,
// and that link must carry the traffic. The two sides may be in different
// regions (inter-region VPC peering, transit gateway peering).
func (b *builder) hop(sx *regionIndex, sVPC, ss string, sb netip.Prefix, dx *regionIndex, dVPC, ds string, db netip.Prefix) (vpcHop, bool) {
	srt, drt := sx.routeTable(ss), dx.routeTable(ds)
	fwd, back := routeFor(srt, db), routeFor(drt, sb)
	if fwd == nil || back == nil {
		return vpcHop{}, false
	}
	switch {
	case fwd.VPCPeeringConnectionID != "" && fwd.VPCPeeringConnectionID == back.VPCPeeringConnectionID:
		pcx := sx.links.peerings[fwd.VPCPeeringConnectionID]
		if pcx == nil || pcx.Status != "active" {
			return vpcHop{}, false
		}
		a, c := pcx.Requester.VPCID, pcx.Accepter.VPCID
		if !(a == sVPC && c == dVPC) && !(a == dVPC && c == sVPC) {
			return vpcHop{}, false
		}
		kind := "peering"
		if sx != dx {
			kind = "inter-region peering (" + sx.name + " - " + dx.name + ")"
		}
		// Security-group references cross a peering only within one region.
		return vpcHop{via: pcx.ID, groupRefs: sx == dx, evidence: fmt.Sprintf(
			"%s %s (active) joins %s and %s: route table %s sends %s to it and route table %s sends %s back",
			kind, pcx.ID, sVPC, dVPC, srt.ID, fwd.DestinationCIDR, drt.ID, back.DestinationCIDR)}, true
	case sx == dx && fwd.TransitGatewayID != "" && fwd.TransitGatewayID == back.TransitGatewayID:
		x := sx
		tgw := fwd.TransitGatewayID
		if !tgwUp(x, tgw) {
			return vpcHop{}, false
		}
		sa, da := x.links.attByVPC[tgw+"|"+sVPC], x.links.attByVPC[tgw+"|"+dVPC]
		if sa == nil || da == nil {
			return vpcHop{}, false
		}
		st, dt := x.links.tgwTables[sa.RouteTableID], x.links.tgwTables[da.RouteTableID]
		if !containsString(x.tgwRouteFor(st, db), da.ID) || !containsString(x.tgwRouteFor(dt, sb), sa.ID) {
			return vpcHop{}, false
		}
		refs := strings.EqualFold(sa.SecurityGroupReferencing, "enable") && strings.EqualFold(da.SecurityGroupReferencing, "enable")
		return vpcHop{via: tgw, groupRefs: refs, evidence: fmt.Sprintf(
			"transit gateway %s: route table %s sends %s to it, attachment %s (table %s) routes %s to attachment %s, whose table %s routes %s back, and route table %s returns %s to it",
			tgw, srt.ID, fwd.DestinationCIDR, sa.ID, st.ID, db, da.ID, dt.ID, sb, drt.ID, back.DestinationCIDR)}, true
	case fwd.TransitGatewayID != "" && back.TransitGatewayID != "" && fwd.TransitGatewayID != back.TransitGatewayID:
		return b.tgwPeeringHop(sx, sVPC, srt, fwd, sb, dx, dVPC, drt, back, db)
	}
	return vpcHop{}, false
}

// joins reports whether a region's copy of a peering attachment joins its
// gateway local to the other one. Each region normally lists the attachment
// under its own gateway with the peer as the resource; a copy listed under
// the peer's gateway (as emulators do) names the same pair.
func joins(a *inventory.TGWAttachment, local, peer string) bool {
	if a.TransitGatewayID == local {
		return a.ResourceID == "" || a.ResourceID == peer
	}
	return a.TransitGatewayID == peer && a.ResourceID == local
}

// tgwUp: a transit gateway that is not available (or being modified)
// carries nothing; one not collected is assumed up (its routes decide).
func tgwUp(x *regionIndex, tgw string) bool {
	g := x.links.tgws[tgw]
	return g == nil || g.State == "" || g.State == "available" || g.State == "modifying"
}

// tgwPeeringHop checks traffic between two transit gateways joined by a
// peering attachment (same or another region, same or another account):
// the source VPC's attachment's table sends the destination to the peering
// attachment; on the other gateway, the table associated with the peering
// attachment sends it to the destination VPC's attachment; and the way back
// mirrors it. Routes over a peering attachment are static only (AWS does not
// propagate across it); tgwRouteFor reads static routes and VPC
// propagations, so a peering attachment is only ever reached by a static
// route.
func (b *builder) tgwPeeringHop(sx *regionIndex, sVPC string, srt *inventory.RouteTable, fwd *inventory.Route, sb netip.Prefix,
	dx *regionIndex, dVPC string, drt *inventory.RouteTable, back *inventory.Route, db netip.Prefix) (vpcHop, bool) {
	sg, dg := fwd.TransitGatewayID, back.TransitGatewayID
	if !tgwUp(sx, sg) || !tgwUp(dx, dg) {
		return vpcHop{}, false
	}
	sa, da := sx.links.attByVPC[sg+"|"+sVPC], dx.links.attByVPC[dg+"|"+dVPC]
	if sa == nil || da == nil {
		return vpcHop{}, false
	}
	st, dt := sx.links.tgwTables[sa.RouteTableID], dx.links.tgwTables[da.RouteTableID]
	for _, pid := range sx.tgwRouteFor(st, db) {
		ps, pd := sx.links.atts[pid], dx.links.atts[pid]
		if ps == nil || pd == nil || ps.ResourceType != "peering" || pd.ResourceType != "peering" ||
			!joins(ps, sg, dg) || !joins(pd, dg, sg) || !attachmentUp(ps.State) || !attachmentUp(pd.State) {
			continue
		}
		pdt, pst := dx.links.tgwTables[pd.RouteTableID], sx.links.tgwTables[ps.RouteTableID]
		if !containsString(dx.tgwRouteFor(pdt, db), da.ID) || !containsString(dx.tgwRouteFor(dt, sb), pid) ||
			!containsString(sx.tgwRouteFor(pst, sb), sa.ID) {
			continue
		}
		return vpcHop{via: pid, evidence: fmt.Sprintf(
			"transit gateway peering %s joins %s (%s) and %s (%s): route table %s sends %s to %s, attachment %s (table %s) routes %s to the peering, "+
				"whose table %s on %s routes it to attachment %s; back, table %s routes %s to the peering, whose table %s on %s routes it to %s, and route table %s returns %s to %s",
			pid, sg, sx.name, dg, dx.name, srt.ID, fwd.DestinationCIDR, sg, sa.ID, st.ID, db, pdt.ID, dg, da.ID,
			dt.ID, sb, pst.ID, sg, sa.ID, drt.ID, back.DestinationCIDR, dg)}, true
	}
	return vpcHop{}, false
}

// vpcConnectivity adds the peering connections, transit gateways and VPC
// endpoints with their facts: which VPCs they join and which route tables
// point at them.
func (b *builder) vpcConnectivity() {
	for _, x := range b.regions {
		r := x.name
		for _, p := range x.d.VPCPeerings {
			id := b.ec2ARN(r, "vpc-peering-connection", p.ID)
			n := b.resource(id, graph.KindGateway, "AWS::EC2::VPCPeeringConnection", "ec2", r, p.ID, p.Tags)
			n.Props["gateway_type"] = "vpc-peering"
			n.Props["status"] = p.Status
			n.Props["requester_vpc"] = p.Requester.VPCID
			n.Props["accepter_vpc"] = p.Accepter.VPCID
			if p.Accepter.OwnerID != "" && p.Accepter.OwnerID != p.Requester.OwnerID {
				n.Props["cross_account"] = true
			}
			for _, side := range []inventory.PeeringSide{p.Requester, p.Accepter} {
				if vpc := b.vpcID(x, side.VPCID); vpc != "" {
					b.edge(graph.Edge{From: id, To: vpc, Kind: graph.EdgeInNetwork})
				}
			}
		}
		for _, g := range x.d.TransitGateways {
			id := orARN(g.ARN, b.ec2ARN(r, "transit-gateway", g.ID))
			n := b.resource(id, graph.KindGateway, "AWS::EC2::TransitGateway", "ec2", r, g.ID, g.Tags)
			n.Props["gateway_type"] = "transit"
			n.Props["state"] = g.State
		}
		for _, a := range x.d.TGWAttachments {
			if a.ResourceType != "vpc" || !attachmentUp(a.State) {
				continue
			}
			g := x.links.tgws[a.TransitGatewayID]
			vpc := b.vpcID(x, a.ResourceID)
			if g == nil || vpc == "" {
				continue
			}
			b.edge(graph.Edge{From: orARN(g.ARN, b.ec2ARN(r, "transit-gateway", g.ID)), To: vpc, Kind: graph.EdgeInNetwork,
				Props: graph.Props{"attachment": a.ID, "route_table": a.RouteTableID}})
		}
		for i := range x.d.VPCEndpoints {
			b.vpcEndpoint(x, &x.d.VPCEndpoints[i])
		}
	}
}

// linkTarget returns the node id of a route's peering connection, transit
// gateway or gateway endpoint, or "" when the route targets none of them
// (or one that was not collected).
func (b *builder) linkTarget(x *regionIndex, route inventory.Route) string {
	switch {
	case route.VPCPeeringConnectionID != "" && x.links.peerings[route.VPCPeeringConnectionID] != nil:
		return b.ec2ARN(x.name, "vpc-peering-connection", route.VPCPeeringConnectionID)
	case route.TransitGatewayID != "" && x.links.tgws[route.TransitGatewayID] != nil:
		g := x.links.tgws[route.TransitGatewayID]
		return orARN(g.ARN, b.ec2ARN(x.name, "transit-gateway", g.ID))
	case strings.HasPrefix(route.GatewayID, "vpce-") && x.endpoints[route.GatewayID] != nil:
		return b.ec2ARN(x.name, "vpc-endpoint", route.GatewayID)
	}
	return ""
}

// crossSource is a member of another VPC that an ingress rule admits, and
// how the rule names it.
type crossSource struct {
	byRef, byCIDR bool
	why           []string // the groups and CIDRs that matched
}

// crossEdges adds the moves of one ingress rule of t from members of other
// VPCs: a source reaches a target only when crossVPC finds a route pair that
// carries the traffic both ways, the rule names the source by a CIDR (or by
// its group where the link passes group references), and the source's own
// egress allows the ports. When the pairs exceed MaxReachPairs, a source
// that reaches every target enters through t's node as a hub instead.
func (b *builder) crossEdges(x *regionIndex, t *inventory.SecurityGroup, targets []int, cross map[int]*crossSource, ports protoPorts) {
	if len(cross) == 0 {
		return
	}
	srcs := make([]int, 0, len(cross))
	for i := range cross {
		if !b.members[i].forwardOnly && b.members[i].serves == nil {
			srcs = append(srcs, i)
		}
	}
	slices.Sort(srcs)
	hubMode := len(srcs)*len(targets) > b.opts.MaxReachPairs
	hub := b.sgID(x, t.ID)
	hubUsed := false
	for _, si := range srcs {
		s, c := &b.members[si], cross[si]
		type pair struct {
			ti    int
			hop   vpcHop
			ports protoPorts
		}
		var got []pair
		for _, ti := range targets {
			d := &b.members[ti]
			if samePlace(s, d) {
				continue
			}
			p := b.egressPorts(x, s, d, ports)
			if p.empty() {
				continue
			}
			h, p, ok := b.crossVPC(s, d, p)
			if !ok || (!c.byCIDR && !h.groupRefs) {
				continue
			}
			got = append(got, pair{ti, h, p})
		}
		evidence := fmt.Sprintf("security group %s admits %s on %s", t.ID, strings.Join(c.why, ", "), strings.Join(ports.strings(), " "))
		if hubMode && len(got) == len(targets) && hub != "" {
			hubUsed = true
			b.edge(graph.Edge{From: s.id, To: hub, Kind: graph.EdgeReaches, Technique: TechCrossVPCReach,
				Evidence: []string{evidence, got[0].hop.evidence}, Props: graph.Props{"ports": got[0].ports.strings(), "via": []string{got[0].hop.via}}})
			continue
		}
		for _, g := range got {
			e := b.edge(graph.Edge{From: s.id, To: b.members[g.ti].id, Kind: graph.EdgeReaches, Technique: TechCrossVPCReach,
				Evidence: []string{evidence, g.hop.evidence}, Props: graph.Props{"ports": g.ports.strings()}})
			if prev, _ := e.Props["via"].([]string); !containsString(prev, g.hop.via) {
				e.Props["via"] = append(prev, g.hop.via)
			}
		}
	}
	if hubUsed {
		for _, ti := range targets {
			b.edge(graph.Edge{From: hub, To: b.members[ti].id, Kind: graph.EdgeReaches, Technique: TechSGHub,
				Evidence: []string{fmt.Sprintf("%s is a member of security group %s", b.members[ti].id, t.ID)},
				Props:    graph.Props{"ports": ports.strings()}})
		}
	}
}

// vpcEndpoint adds a VPC endpoint: a gateway endpoint is reached through
// the route tables that list it; an interface endpoint has network
// interfaces in subnets, protected by security groups.
func (b *builder) vpcEndpoint(x *regionIndex, ep *inventory.VPCEndpoint) {
	id := b.ec2ARN(x.name, "vpc-endpoint", ep.ID)
	n := b.resource(id, graph.KindGateway, "AWS::EC2::VPCEndpoint", "ec2", x.name, ep.ID, ep.Tags)
	n.Props["gateway_type"] = "vpc-endpoint"
	n.Props["endpoint_type"] = ep.Type
	n.Props["service_name"] = ep.ServiceName
	n.Props["state"] = ep.State
	n.Props["has_policy"] = ep.Policy != ""
	if vpc := b.vpcID(x, ep.VPCID); vpc != "" {
		b.edge(graph.Edge{From: id, To: vpc, Kind: graph.EdgeInNetwork})
	}
	for _, s := range ep.SubnetIDs {
		if sid := b.subnetID(x, s); sid != "" {
			b.edge(graph.Edge{From: id, To: sid, Kind: graph.EdgeInSubnet})
		}
	}
	for _, sg := range ep.SecurityGroupIDs {
		if sgID := b.sgID(x, sg); sgID != "" {
			b.edge(graph.Edge{From: id, To: sgID, Kind: graph.EdgeProtectedBy})
		}
	}
}

// interRegionLinks reports whether any collected VPC peering joins two
// regions or any transit gateway has a peering attachment: only then are
// members of one region sources of another region's rules.
func (b *builder) interRegionLinks() bool {
	for _, x := range b.regions {
		for _, p := range x.d.VPCPeerings {
			if p.Requester.Region != "" && p.Accepter.Region != "" && p.Requester.Region != p.Accepter.Region {
				return true
			}
		}
		for _, a := range x.d.TGWAttachments {
			if a.ResourceType == "peering" {
				return true
			}
		}
	}
	return false
}
