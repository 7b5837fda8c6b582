package resources

import (
	"net/netip"
	"slices"
	"strconv"
	"strings"

	"github.com/breachpath/breachpath/collector/aws/inventory"
)

// nonPublic lists address ranges that are not reachable from the Internet
// (RFC 1918, CGNAT, loopback, link-local, multicast, reserved, IPv6 ULA,
// link-local and multicast). A source block inside one of them never counts
// as the Internet.
var nonPublic = func() []netip.Prefix {
	var out []netip.Prefix
	for _, s := range []string{
		"0.0.0.0/8", "10.0.0.0/8", "100.64.0.0/10", "127.0.0.0/8", "169.254.0.0/16", "172.16.0.0/12",
		"192.168.0.0/16", "224.0.0.0/4", "240.0.0.0/4",
		"::/8", "fc00::/7", "fe80::/10", "ff00::/8",
	} {
		out = append(out, netip.MustParsePrefix(s))
	}
	return out
}()

func parsePrefix(s string) (netip.Prefix, bool) {
	p, err := netip.ParsePrefix(strings.TrimSpace(s))
	if err != nil {
		if a, err2 := netip.ParseAddr(strings.TrimSpace(s)); err2 == nil {
			return netip.PrefixFrom(a, a.BitLen()), true
		}
		return netip.Prefix{}, false
	}
	return p.Masked(), true
}

// containsPrefix reports whether outer contains all of inner.
func containsPrefix(outer, inner netip.Prefix) bool {
	return outer.Addr().Is4() == inner.Addr().Is4() && outer.Bits() <= inner.Bits() && outer.Contains(inner.Addr())
}

func isPublicBlock(p netip.Prefix) bool {
	for _, np := range nonPublic {
		if containsPrefix(np, p) {
			return false
		}
	}
	return true
}

// leaves partitions root into blocks that every prefix in splits either
// contains entirely or does not touch, so that any rule evaluated at a
// block's first address holds for the whole block. CIDR blocks nest or are
// disjoint, so the partition has at most len(splits)*bits leaves.
func leaves(root netip.Prefix, splits []netip.Prefix, visit func(netip.Prefix)) {
	var inside []netip.Prefix
	for _, s := range splits {
		if s.Bits() > root.Bits() && containsPrefix(root, s) {
			inside = append(inside, s)
		}
	}
	if len(inside) == 0 || root.Bits() >= root.Addr().BitLen() {
		visit(root)
		return
	}
	lo := netip.PrefixFrom(root.Addr(), root.Bits()+1)
	hiAddr := setBit(root.Addr(), root.Bits())
	hi := netip.PrefixFrom(hiAddr, root.Bits()+1)
	leaves(lo, inside, visit)
	leaves(hi, inside, visit)
}

// setBit returns a with bit i (0 = most significant) set.
func setBit(a netip.Addr, i int) netip.Addr {
	if a.Is4() {
		b := a.As4()
		b[i/8] |= 0x80 >> (i % 8)
		return netip.AddrFrom4(b)
	}
	b := a.As16()
	b[i/8] |= 0x80 >> (i % 8)
	return netip.AddrFrom16(b)
}

// naclProto maps a NACL entry's protocol to the protocols it matches.
func naclMatches(protocol string, p proto) bool {
	switch protocol {
	case "-1", "all":
		return true
	case "6", "tcp":
		return p == protoTCP
	case "17", "udp":
		return p == protoUDP
	}
	return false
}

// naclDecision evaluates a network ACL for traffic between addr and the
// subnet in one direction: rules in ascending rule number, the first rule
// matching a port decides it, everything left falls to the implicit deny.
// It returns the allowed ports and the numbers of the allow rules that
// decided them. A nil ACL allows everything (AWS's default ACL does; the
// inventory lacks an ACL only when the VPC area was not read).
func naclDecision(acl *inventory.NetworkACL, egress bool, addr netip.Addr, p proto) (portSet, []int32) {
	if acl == nil {
		return allPorts, nil
	}
	entries := slices.Clone(acl.Entries)
	slices.SortFunc(entries, func(a, b inventory.ACLEntry) int { return int(a.RuleNumber - b.RuleNumber) })
	remaining := allPorts
	var allowed portSet
	var rules []int32
	for _, e := range entries {
		if e.Egress != egress || !naclMatches(e.Protocol, p) {
			continue
		}
		cidr := e.CIDR
		if addr.Is6() {
			cidr = e.IPv6CIDR
		}
		pfx, ok := parsePrefix(cidr)
		if !ok || pfx.Addr().Is4() != addr.Is4() || !pfx.Contains(addr) {
			continue
		}
		r := remaining.Intersect(naclPorts(e, p))
		if len(r) == 0 {
			continue
		}
		if e.Allow {
			allowed = allowed.Union(r)
			rules = append(rules, e.RuleNumber)
		}
		remaining = remaining.Minus(r)
		if len(remaining) == 0 {
			break
		}
	}
	return allowed, rules
}

func naclPorts(e inventory.ACLEntry, p proto) portSet {
	if e.Protocol == "-1" || e.Protocol == "all" {
		return allPorts
	}
	return portRange(e.FromPort, e.ToPort)
}

// returnTrafficAllowed reports whether outbound rules let replies reach a
// client: they must cover a whole common ephemeral range, Linux's
// 32768-60999 or the IANA/Windows 49152-65535 (1024-65535 covers both).
func returnTrafficAllowed(out portSet) bool {
	return out.Covers(49152, 65535) || out.Covers(32768, 60999)
}

func naclSplits(acl *inventory.NetworkACL, v6 bool) []netip.Prefix {
	if acl == nil {
		return nil
	}
	var out []netip.Prefix
	for _, e := range acl.Entries {
		c := e.CIDR
		if v6 {
			c = e.IPv6CIDR
		}
		if p, ok := parsePrefix(c); ok {
			out = append(out, p)
		}
	}
	return out
}

func joinInts(v []int32) string {
	s := make([]string, len(v))
	for i, n := range v {
		s[i] = strconv.Itoa(int(n))
	}
	return strings.Join(s, ",")
}
