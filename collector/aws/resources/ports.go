package resources

import (
	"slices"
	"strconv"
	"strings"
)

// proto is a transport protocol exposure is computed for. ICMP and other
// protocols carry no attack path of interest and are ignored.
type proto uint8

const (
	protoTCP proto = iota
	protoUDP
	numProtos
)

func (p proto) String() string {
	if p == protoUDP {
		return "udp"
	}
	return "tcp"
}

// interval is an inclusive port range.
type interval struct{ lo, hi int32 }

// portSet is a sorted list of disjoint, non-adjacent intervals.
type portSet []interval

var allPorts = portSet{{0, 65535}}

func portRange(lo, hi int32) portSet {
	if lo < 0 || hi < 0 || (lo == 0 && hi == 0) {
		return allPorts
	}
	lo, hi = max(lo, 0), min(hi, 65535)
	if lo > hi {
		return nil
	}
	return portSet{{lo, hi}}
}

func (s portSet) union(t portSet) portSet {
	if len(t) == 0 {
		return s
	}
	all := append(slices.Clone(s), t...)
	slices.SortFunc(all, func(a, b interval) int { return int(a.lo - b.lo) })
	out := portSet{}
	for _, iv := range all {
		if n := len(out); n > 0 && iv.lo <= out[n-1].hi+1 {
			out[n-1].hi = max(out[n-1].hi, iv.hi)
			continue
		}
		out = append(out, iv)
	}
	return out
}

func (s portSet) intersect(t portSet) portSet {
	var out portSet
	for _, a := range s {
		for _, c := range t {
			lo, hi := max(a.lo, c.lo), min(a.hi, c.hi)
			if lo <= hi {
				out = append(out, interval{lo, hi})
			}
		}
	}
	return portSet{}.union(out)
}

func (s portSet) minus(t portSet) portSet {
	out := slices.Clone(s)
	for _, c := range t {
		var next portSet
		for _, a := range out {
			if c.hi < a.lo || c.lo > a.hi {
				next = append(next, a)
				continue
			}
			if a.lo < c.lo {
				next = append(next, interval{a.lo, c.lo - 1})
			}
			if a.hi > c.hi {
				next = append(next, interval{c.hi + 1, a.hi})
			}
		}
		out = next
	}
	return out
}

func (s portSet) covers(lo, hi int32) bool {
	for _, a := range s {
		if a.lo <= lo && a.hi >= hi {
			return true
		}
	}
	return false
}

func (s portSet) contains(p int32) bool { return s.covers(p, p) }

// strings renders the set as "22/tcp", "8000-8080/tcp", "0-65535/udp".
func (s portSet) strings(p proto) []string {
	out := make([]string, 0, len(s))
	for _, a := range s {
		if a.lo == a.hi {
			out = append(out, strconv.Itoa(int(a.lo))+"/"+p.String())
		} else {
			out = append(out, strconv.Itoa(int(a.lo))+"-"+strconv.Itoa(int(a.hi))+"/"+p.String())
		}
	}
	return out
}

// protoPorts maps each protocol to its allowed ports.
type protoPorts [numProtos]portSet

func (p protoPorts) empty() bool {
	for _, s := range p {
		if len(s) > 0 {
			return false
		}
	}
	return true
}

func (p protoPorts) union(q protoPorts) protoPorts {
	for i := range p {
		p[i] = p[i].union(q[i])
	}
	return p
}

func (p protoPorts) intersect(q protoPorts) protoPorts {
	for i := range p {
		p[i] = p[i].intersect(q[i])
	}
	return p
}

func (p protoPorts) strings() []string {
	var out []string
	for i, s := range p {
		out = append(out, s.strings(proto(i))...)
	}
	return out
}

// sgRulePorts returns the ports a security group rule opens. Protocol "-1"
// opens every port of every protocol.
func sgRulePorts(protocol string, from, to int32) protoPorts {
	var pp protoPorts
	switch strings.ToLower(protocol) {
	case "-1", "all":
		pp[protoTCP], pp[protoUDP] = allPorts, allPorts
	case "tcp", "6":
		pp[protoTCP] = sgRange(from, to)
	case "udp", "17":
		pp[protoUDP] = sgRange(from, to)
	}
	return pp
}

func sgRange(from, to int32) portSet {
	if from == -1 || to == -1 {
		return allPorts
	}
	lo, hi := max(from, 0), min(to, 65535)
	if lo > hi {
		return nil
	}
	return portSet{{lo, hi}}
}

// single returns protoPorts holding one TCP port.
func singleTCP(port int32) protoPorts {
	var pp protoPorts
	if port > 0 {
		pp[protoTCP] = portSet{{port, port}}
	}
	return pp
}
