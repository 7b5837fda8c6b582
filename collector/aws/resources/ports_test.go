package resources

import (
	"net/netip"
	"slices"
	"testing"

	"github.com/breachpath/breachpath/collector/aws/inventory"
)

func TestPortSetAlgebra(t *testing.T) {
	a := portSet{{20, 30}, {80, 80}}
	if got := a.union(portSet{{31, 40}}); !slices.Equal(got, portSet{{20, 40}, {80, 80}}) {
		t.Errorf("union merges adjacent: %v", got)
	}
	if got := a.intersect(portSet{{25, 80}}); !slices.Equal(got, portSet{{25, 30}, {80, 80}}) {
		t.Errorf("intersect: %v", got)
	}
	if got := allPorts.minus(portSet{{22, 22}}); !slices.Equal(got, portSet{{0, 21}, {23, 65535}}) {
		t.Errorf("minus: %v", got)
	}
	if !(portSet{{1024, 65535}}).covers(49152, 65535) || (portSet{{1024, 2000}}).covers(49152, 65535) {
		t.Error("covers")
	}
	if got := sgRulePorts("-1", -1, -1).strings(); !slices.Equal(got, []string{"0-65535/tcp", "0-65535/udp"}) {
		t.Errorf("all-traffic rule ports = %v", got)
	}
}

func TestNACLFirstMatchingRuleDecides(t *testing.T) {
	acl := &inventory.NetworkACL{Entries: []inventory.ACLEntry{
		{RuleNumber: 300, Protocol: "-1", Allow: true, CIDR: "0.0.0.0/0"},
		{RuleNumber: 100, Protocol: "6", CIDR: "0.0.0.0/0", FromPort: 22, ToPort: 22},
		{RuleNumber: 200, Protocol: "6", Allow: true, CIDR: "198.51.100.0/24", FromPort: 22, ToPort: 22},
	}}
	got, rules := naclDecision(acl, false, mustAddr("198.51.100.7"), protoTCP)
	if got.contains(22) {
		t.Error("rule 100 deny should win over the later allow")
	}
	if !got.contains(443) || !slices.Equal(rules, []int32{300}) {
		t.Errorf("allowed %v by %v", got, rules)
	}
	if got, _ := naclDecision(&inventory.NetworkACL{}, false, mustAddr("1.1.1.1"), protoTCP); len(got) != 0 {
		t.Error("empty ACL must deny (implicit deny)")
	}
}

func mustAddr(s string) netip.Addr { return netip.MustParseAddr(s) }
