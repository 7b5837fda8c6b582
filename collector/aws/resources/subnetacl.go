package resources

import (
	"net/netip"
	"slices"
	"strings"
)

// withinVPC returns the ports of want that the network ACLs let through
// both ways between s and d, two members of one VPC, and evidence naming
// the deciding rules. Traffic between two addresses of one subnet never
// leaves it, so no ACL applies; between subnets the source subnet's ACL
// (outbound, then inbound for the replies) and the destination's
// (inbound, then outbound for the replies on an ephemeral range) decide,
// as on peered paths (naclPass). A member in several subnets (a database's
// subnet group, a load balancer) or with several addresses passes what any
// of its placements passes. Unknown subnets pass everything.
func (b *builder) withinVPC(x *regionIndex, s, d *member, want protoPorts) (protoPorts, string) {
	if len(s.subnets) == 0 || len(d.subnets) == 0 {
		return want, ""
	}
	for _, ss := range s.subnets {
		if slices.Contains(d.subnets, ss) {
			return want, ""
		}
		for _, ds := range d.subnets {
			if x.nacl(ss) == nil && x.nacl(ds) == nil {
				return want, "" // neither ACL collected: nothing to decide (and no per-address work)
			}
		}
	}
	var got protoPorts
	var why []string
	for _, ss := range s.subnets {
		sblocks := blocksIn(x, ss, s.blocks)
		if len(sblocks) == 0 {
			return want, "" // subnet not in the inventory: its ACL is unknown
		}
		for _, sb := range sblocks {
			for _, ds := range d.subnets {
				dblocks := blocksIn(x, ds, d.blocks)
				if len(dblocks) == 0 {
					return want, ""
				}
				for _, db := range dblocks {
					p, ev := naclPass(x.nacl(ss), sb, x.nacl(ds), db, want)
					if p.empty() {
						continue
					}
					got = got.union(p)
					if ev != "" && len(why) < 2 {
						why = append(why, "from "+ss+" to "+ds+": "+ev)
					}
				}
			}
		}
	}
	return got, strings.Join(why, "; ")
}

// subnetSide is a member standing for a whole subnet: the place a hub edge
// starts from or leads to when its sources or targets are many.
func subnetSide(x *regionIndex, subnetID string) *member {
	m := &member{subnets: []string{subnetID}}
	if sub := x.subnets[subnetID]; sub != nil {
		if p, ok := parsePrefix(sub.CIDRBlock); ok {
			m.blocks = []netip.Prefix{p}
		}
	}
	return m
}

// aclToAny returns the ports of want the network ACLs pass from s to at
// least one of the subnets (hub edges: which member behind the hub is
// reached is decided by the hub's own edges).
func (b *builder) aclToAny(x *regionIndex, s *member, subnets []string, want protoPorts) protoPorts {
	var got protoPorts
	for _, sub := range subnets {
		p, _ := b.withinVPC(x, s, subnetSide(x, sub), want)
		got = got.union(p)
	}
	return got
}

// aclFromAny returns the ports of want the network ACLs pass to d from at
// least one of the subnets.
func (b *builder) aclFromAny(x *regionIndex, subnets []string, d *member, want protoPorts) protoPorts {
	var got protoPorts
	for _, sub := range subnets {
		p, _ := b.withinVPC(x, subnetSide(x, sub), d, want)
		got = got.union(p)
	}
	return got
}

// memberSubnets returns the distinct subnets of the members.
func (b *builder) memberSubnets(idx []int) []string {
	var out []string
	for _, i := range idx {
		for _, s := range b.members[i].subnets {
			if !slices.Contains(out, s) {
				out = append(out, s)
			}
		}
	}
	return out
}
