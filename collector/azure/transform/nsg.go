package transform

import (
	"fmt"
	"net/netip"
	"sort"
	"strconv"
	"strings"

	"github.com/breachpath/breachpath/collector/azure/inventory"
	"github.com/breachpath/breachpath/collector/portset"
)

// portSet is the cloud-agnostic port-range set; allPorts every port.
type portSet = portset.Set

var allPorts = portset.All

// hasPort reports whether port p is in s. p is an int from the ARM JSON, so
// a number outside 0-65535 (which no set holds) is checked before it is
// narrowed.
func hasPort(s portSet, p int) bool {
	return p >= 0 && p <= portset.Max && s.Has(int32(p))
}

// portStrings renders the set as "proto/port" or "proto/lo-hi" ("proto/*" for all).
func portStrings(s portSet, proto string) []string {
	if s.IsAll() {
		return []string{proto + "/*"}
	}
	var out []string
	for _, r := range s {
		if r.Lo == r.Hi {
			out = append(out, proto+"/"+strconv.Itoa(int(r.Lo)))
		} else {
			out = append(out, fmt.Sprintf("%s/%d-%d", proto, r.Lo, r.Hi))
		}
	}
	return out
}

// parsePorts parses an NSG port range ("22", "1000-2000", "*").
func parsePorts(v string) portSet {
	v = strings.TrimSpace(v)
	if v == "" {
		return nil
	}
	if v == "*" {
		return allPorts
	}
	lo, hi, isRange := strings.Cut(v, "-")
	a, err := strconv.Atoi(strings.TrimSpace(lo))
	if err != nil {
		return nil
	}
	c := a
	if isRange {
		if c, err = strconv.Atoi(strings.TrimSpace(hi)); err != nil {
			return nil
		}
	}
	return portset.Span(a, c)
}

// protos are the transport protocols exposure is computed for.
var protos = []string{"tcp", "udp"}

// openSet is what an NSG (or a pair of them) admits from the Internet.
type openSet struct {
	ports map[string]portSet // by protocol
	// rules names the Allow rules that admit something ("nsg/rule").
	rules []string
}

func (o openSet) empty() bool {
	for _, p := range o.ports {
		if len(p) > 0 {
			return false
		}
	}
	return true
}

func (o openSet) strings() []string {
	var out []string
	for _, p := range protos {
		out = append(out, portStrings(o.ports[p], p)...)
	}
	return out
}

func everything() openSet {
	return openSet{ports: map[string]portSet{"tcp": allPorts, "udp": allPorts}}
}

func (o openSet) intersect(t openSet) openSet {
	out := openSet{ports: map[string]portSet{}, rules: union(o.rules, t.rules)}
	for _, p := range protos {
		out.ports[p] = o.ports[p].Intersect(t.ports[p])
	}
	return out
}

// internetPrefix reports whether a source prefix covers the whole Internet.
func internetPrefix(v string) bool {
	switch strings.ToLower(strings.TrimSpace(v)) {
	case "*", "internet", "any", "0.0.0.0/0", "0.0.0.0", "::/0", "0.0.0.0/0,::/0":
		return true
	}
	return false
}

func ruleFromInternet(r *inventory.SecurityRule) bool {
	if len(r.Properties.SourceApplicationSecurityGroups) > 0 {
		return false
	}
	if internetPrefix(r.Properties.SourceAddressPrefix) {
		return true
	}
	for _, p := range r.Properties.SourceAddressPrefixes {
		if internetPrefix(p) {
			return true
		}
	}
	return false
}

// ruleFromVNet returns a matcher for traffic from inside a virtual
// network (or a network peered with it) with the given address space: the
// VirtualNetwork service tag, any source, application security groups
// (their members are NICs of the network) and prefixes that overlap the
// address space.
func ruleFromVNet(space []netip.Prefix) func(*inventory.SecurityRule) bool {
	one := func(v string) bool {
		v = strings.ToLower(strings.TrimSpace(v))
		switch v {
		case "*", "any", "virtualnetwork":
			return true
		}
		p, err := netip.ParsePrefix(v)
		if err != nil {
			if a, aerr := netip.ParseAddr(v); aerr == nil {
				p = netip.PrefixFrom(a, a.BitLen())
			} else {
				return false
			}
		}
		for _, s := range space {
			if s.Overlaps(p) {
				return true
			}
		}
		return false
	}
	return func(r *inventory.SecurityRule) bool {
		if len(r.Properties.SourceApplicationSecurityGroups) > 0 || one(r.Properties.SourceAddressPrefix) {
			return true
		}
		for _, p := range r.Properties.SourceAddressPrefixes {
			if one(p) {
				return true
			}
		}
		return false
	}
}

func ruleProto(r *inventory.SecurityRule, proto string) bool {
	p := strings.ToLower(r.Properties.Protocol)
	return p == "*" || p == proto
}

func rulePorts(r *inventory.SecurityRule) portSet {
	out := parsePorts(r.Properties.DestinationPortRange)
	for _, v := range r.Properties.DestinationPortRanges {
		out = out.Union(parsePorts(v))
	}
	return out
}

// evalNSG returns what the NSG admits inbound from the Internet: rules in
// priority order, the first rule matching a port decides it; anything no
// rule allows is denied (DenyAllInBound, explicit or implied).
func evalNSG(name string, p *inventory.NSGProps) openSet {
	return evalNSGFrom(name, p, ruleFromInternet)
}

// defaultRules are the inbound default rules every NSG has; a record that
// omits them (some exports do) is evaluated with them.
var defaultRules = func() []inventory.SecurityRule {
	mk := func(name string, prio int, access, src string) inventory.SecurityRule {
		var r inventory.SecurityRule
		r.Name = name
		r.Properties.Priority, r.Properties.Direction, r.Properties.Access = prio, "Inbound", access
		r.Properties.Protocol, r.Properties.SourceAddressPrefix, r.Properties.DestinationPortRange = "*", src, "*"
		return r
	}
	return []inventory.SecurityRule{mk("AllowVnetInBound", 65000, "Allow", "VirtualNetwork"),
		mk("AllowAzureLoadBalancerInBound", 65001, "Allow", "AzureLoadBalancer"), mk("DenyAllInBound", 65500, "Deny", "*")}
}()

// evalNSGFrom is evalNSG for the sources match accepts.
func evalNSGFrom(name string, p *inventory.NSGProps, match func(*inventory.SecurityRule) bool) openSet {
	defaults := p.DefaultSecurityRules
	if len(defaults) == 0 {
		defaults = defaultRules
	}
	rules := append(append([]inventory.SecurityRule{}, p.SecurityRules...), defaults...)
	sort.SliceStable(rules, func(i, j int) bool { return rules[i].Properties.Priority < rules[j].Properties.Priority })
	out := openSet{ports: map[string]portSet{}}
	for _, proto := range protos {
		var decided, allowed portSet
		for i := range rules {
			r := &rules[i]
			if !strings.EqualFold(r.Properties.Direction, "Inbound") || !ruleProto(r, proto) || !match(r) {
				continue
			}
			ports := rulePorts(r).Minus(decided)
			if len(ports) == 0 {
				continue
			}
			if strings.EqualFold(r.Properties.Access, "Allow") {
				allowed = allowed.Union(ports)
				out.rules = union(out.rules, []string{name + "/" + r.Name})
			}
			decided = decided.Union(ports)
		}
		out.ports[proto] = allowed
	}
	return out
}

// nsgFindings flags Internet-open administration and database ports.
func (b *builder) nsgFindings(r *inventory.Resource, p *inventory.NSGProps) {
	open := evalNSG(r.Name, p)
	if open.empty() {
		return
	}
	ev := "inbound from Internet/Any: " + strings.Join(open.strings(), ", ") + " (rules " + strings.Join(open.rules, ", ") + ")"
	tcp := open.ports["tcp"]
	switch {
	case tcp.IsAll():
		b.finding("azure.network.nsg-open-all", r.ID, ev)
	default:
		if hasPort(tcp, 22) {
			b.finding("azure.network.nsg-open-ssh", r.ID, ev)
		}
		if hasPort(tcp, 3389) {
			b.finding("azure.network.nsg-open-rdp", r.ID, ev)
		}
		for _, port := range adminPorts {
			if hasPort(tcp, port) {
				b.finding("azure.network.nsg-open-admin-port", r.ID, ev)
				break
			}
		}
	}
	if len(open.ports["udp"]) > 0 {
		b.finding("azure.network.nsg-open-udp", r.ID, ev)
	}
}

// adminPorts are database and remote-administration ports other than SSH
// and RDP that should never face the Internet.
var adminPorts = []int{23, 445, 1433, 1521, 3306, 5432, 5985, 5986, 6379, 9200, 27017}
