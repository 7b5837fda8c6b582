package resources

import (
	"net/netip"
	"slices"
	"testing"

	"github.com/breachpath/breachpath/collector/aws/inventory"
)

// TestSGRulePortsRendering: an all-traffic rule opens every TCP and UDP
// port, rendered in the AWS notation (the set algebra itself is tested in
// collector/portset).
func TestSGRulePortsRendering(t *testing.T) {
	if got := sgRulePorts("-1", -1, -1).strings(); !slices.Equal(got, []string{"0-65535/tcp", "0-65535/udp"}) {
		t.Errorf("all-traffic rule ports = %v", got)
	}
	if got := sgRulePorts("tcp", 8000, 8080).union(singleTCP(22)).strings(); !slices.Equal(got, []string{"22/tcp", "8000-8080/tcp"}) {
		t.Errorf("tcp rule plus one port = %v", got)
	}
}

func TestNACLFirstMatchingRuleDecides(t *testing.T) {
	acl := &inventory.NetworkACL{Entries: []inventory.ACLEntry{
		{RuleNumber: 300, Protocol: "-1", Allow: true, CIDR: "0.0.0.0/0"},
		{RuleNumber: 100, Protocol: "6", CIDR: "0.0.0.0/0", FromPort: 22, ToPort: 22},
		{RuleNumber: 200, Protocol: "6", Allow: true, CIDR: "198.51.100.0/24", FromPort: 22, ToPort: 22},
	}}
	got, rules := naclDecision(acl, false, mustAddr("198.51.100.7"), protoTCP)
	if got.Has(22) {
		t.Error("rule 100 deny should win over the later allow")
	}
	if !got.Has(443) || !slices.Equal(rules, []int32{300}) {
		t.Errorf("allowed %v by %v", got, rules)
	}
	if got, _ := naclDecision(&inventory.NetworkACL{}, false, mustAddr("1.1.1.1"), protoTCP); len(got) != 0 {
		t.Error("empty ACL must deny (implicit deny)")
	}
}

func mustAddr(s string) netip.Addr { return netip.MustParseAddr(s) }
