package resources

import (
	"strconv"
	"strings"

	"github.com/breachpath/breachpath/collector/portset"
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

// portSet is the cloud-agnostic port-range set; allPorts every port.
type portSet = portset.Set

var allPorts = portset.All

// portRange is an ACL entry's ports: a negative bound or 0-0 means every port.
func portRange(lo, hi int32) portSet {
	if lo < 0 || hi < 0 || (lo == 0 && hi == 0) {
		return allPorts
	}
	return portset.Span(int(lo), int(hi))
}

// portStrings renders the set as "22/tcp", "8000-8080/tcp", "0-65535/udp".
func portStrings(s portSet, p proto) []string {
	out := make([]string, 0, len(s))
	for _, a := range s {
		if a.Lo == a.Hi {
			out = append(out, strconv.Itoa(int(a.Lo))+"/"+p.String())
		} else {
			out = append(out, strconv.Itoa(int(a.Lo))+"-"+strconv.Itoa(int(a.Hi))+"/"+p.String())
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
		p[i] = p[i].Union(q[i])
	}
	return p
}

func (p protoPorts) intersect(q protoPorts) protoPorts {
	for i := range p {
		p[i] = p[i].Intersect(q[i])
	}
	return p
}

func (p protoPorts) strings() []string {
	var out []string
	for i, s := range p {
		out = append(out, portStrings(s, proto(i))...)
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
	return portset.Span(int(from), int(to))
}

// single returns protoPorts holding one TCP port.
func singleTCP(port int32) protoPorts {
	var pp protoPorts
	if port > 0 {
		pp[protoTCP] = portset.Single(port)
	}
	return pp
}
