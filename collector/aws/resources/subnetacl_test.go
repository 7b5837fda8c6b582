package resources

import (
	"slices"
	"testing"

	"github.com/breachpath/breachpath/collector/aws/inventory"
)

// withSubnetACLs gives subnet-pub (the web tier, 10.0.1.0/24) and
// subnet-priv (the database, 10.0.2.0/24) of fixture() their own network
// ACLs with the given entries and the implicit final denies.
func withSubnetACLs(inv *inventory.Inventory, pub, priv []inventory.ACLEntry) {
	deny := []inventory.ACLEntry{{RuleNumber: 32767, Protocol: "-1", CIDR: "0.0.0.0/0"}, {RuleNumber: 32767, Protocol: "-1", CIDR: "0.0.0.0/0", Egress: true}}
	r := inv.Regional[region]
	r.NetworkACLs = []inventory.NetworkACL{
		{ID: "acl-pub", VPCID: "vpc-1", SubnetIDs: []string{"subnet-pub"}, Entries: append(slices.Clone(pub), deny...)},
		{ID: "acl-priv", VPCID: "vpc-1", SubnetIDs: []string{"subnet-priv"}, Entries: append(slices.Clone(priv), deny...)},
	}
}

func TestNetworkACLsApplyBetweenSubnetsOfOneVPC(t *testing.T) {
	in, out := aclIn, aclOut
	all := func(n int32, egress bool) inventory.ACLEntry {
		return inventory.ACLEntry{RuleNumber: n, Protocol: "-1", Allow: true, CIDR: "0.0.0.0/0", Egress: egress}
	}
	openPub := []inventory.ACLEntry{all(100, false), all(100, true)}
	tests := []struct {
		name      string
		pub, priv []inventory.ACLEntry
		want      bool
	}{
		{"database subnet admits 5432 and lets replies out on ephemeral ports", openPub,
			[]inventory.ACLEntry{in(100, true, "10.0.1.0/24", 5432, 5432), out(100, true, "10.0.1.0/24", 1024, 65535)}, true},
		{"database subnet without the inbound rule", openPub,
			[]inventory.ACLEntry{out(100, true, "10.0.1.0/24", 1024, 65535)}, false},
		{"database subnet letting no reply out (stateless)", openPub,
			[]inventory.ACLEntry{in(100, true, "10.0.1.0/24", 5432, 5432), out(100, true, "10.0.1.0/24", 5432, 5432)}, false},
		{"lower-numbered deny of the web subnet wins", openPub,
			[]inventory.ACLEntry{in(90, false, "10.0.1.0/24", 0, 65535), all(100, false), all(100, true)}, false},
		{"web subnet not letting the request out", []inventory.ACLEntry{all(100, false), out(100, true, "10.0.2.0/24", 443, 443)},
			[]inventory.ACLEntry{all(100, false), all(100, true)}, false},
		{"web subnet not letting the replies in", []inventory.ACLEntry{in(100, true, "0.0.0.0/0", 22, 443), all(100, true)},
			[]inventory.ACLEntry{all(100, false), all(100, true)}, false},
		{"both subnets allowing the request and the replies", []inventory.ACLEntry{in(100, true, "10.0.2.0/24", 1024, 65535), out(100, true, "10.0.2.0/24", 5432, 5432)},
			[]inventory.ACLEntry{in(100, true, "10.0.1.0/24", 5432, 5432), out(100, true, "10.0.1.0/24", 32768, 60999)}, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			inv := fixture()
			withSubnetACLs(inv, tc.pub, tc.priv)
			checkACLReach(t, build(t, inv, Options{}), dbARN, tc.want, "acl-priv")
		})
	}
}

// TestSameSubnetTrafficIsNotSubjectToNetworkACLs: an ACL denying everything
// does not stop two instances of its own subnet from talking.
func TestSameSubnetTrafficIsNotSubjectToNetworkACLs(t *testing.T) {
	inv := fixture()
	withSubnetACLs(inv, nil, nil)
	r := inv.Regional[region]
	r.Instances = append(r.Instances, inventory.Instance{ID: "i-app", State: "running", PrivateIP: "10.0.1.20", SubnetID: "subnet-pub",
		VPCID: "vpc-1", SecurityGroupIDs: []string{"sg-db"}})
	p := build(t, inv, Options{})
	if e := findEdge(p, webID, "REACHES", arnOf("instance", "i-app")); e == nil || !slices.Contains(ports(e), "5432/tcp") {
		t.Errorf("web -> app in the same subnet = %+v, want 5432/tcp", e)
	}
	if e := findEdge(p, webID, "REACHES", dbARN); e != nil {
		t.Errorf("web -> database in another subnet through deny-all ACLs: %+v", e)
	}
}

// TestHubModeAppliesNetworkACLsPerSide: above MaxReachPairs the moves go
// through the security group's hub; an ACL stopping everything into the
// database subnet removes the hub's edge to the database.
func TestHubModeAppliesNetworkACLsPerSide(t *testing.T) {
	for _, tc := range []struct {
		name string
		priv []inventory.ACLEntry
		want bool
	}{
		{"database subnet open", []inventory.ACLEntry{{RuleNumber: 100, Protocol: "-1", Allow: true, CIDR: "0.0.0.0/0"},
			{RuleNumber: 100, Protocol: "-1", Allow: true, CIDR: "0.0.0.0/0", Egress: true}}, true},
		{"database subnet closed", nil, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			inv := fixture()
			withSubnetACLs(inv, []inventory.ACLEntry{{RuleNumber: 100, Protocol: "-1", Allow: true, CIDR: "0.0.0.0/0"},
				{RuleNumber: 100, Protocol: "-1", Allow: true, CIDR: "0.0.0.0/0", Egress: true}}, tc.priv)
			r := inv.Regional[region]
			r.Instances = append(r.Instances, inventory.Instance{ID: "i-web2", State: "running", PrivateIP: "10.0.1.11", SubnetID: "subnet-pub",
				VPCID: "vpc-1", SecurityGroupIDs: []string{"sg-web"}})
			p := build(t, inv, Options{MaxReachPairs: 1})
			hub := arnOf("security-group", "sg-db")
			if findEdge(p, webID, "REACHES", dbARN) != nil {
				t.Fatal("pairwise edge emitted above the bound")
			}
			if got := findEdge(p, hub, "REACHES", dbARN) != nil; got != tc.want {
				t.Errorf("hub -> database = %v, want %v", got, tc.want)
			}
		})
	}
}
