package resources

import (
	"slices"
	"strings"
	"testing"

	"github.com/breachpath/breachpath/collector/aws/inventory"
	"github.com/breachpath/breachpath/graph"
)

var peerDBARN = "arn:aws:rds:" + region + ":" + acct + ":db:ledger"

// peeredFixture adds to fixture() a second VPC (10.1.0.0/16) holding a
// database whose group admits the first VPC's block on 5432, joined to the
// first VPC by an active peering with routes on both sides.
func peeredFixture() *inventory.Inventory {
	inv := fixture()
	r := inv.Regional[region]
	r.VPCs = append(r.VPCs, inventory.VPC{ID: "vpc-2", CIDRBlocks: []string{"10.1.0.0/16"}})
	r.Subnets = append(r.Subnets, inventory.Subnet{ID: "subnet-ledger", VPCID: "vpc-2", CIDRBlock: "10.1.2.0/24"})
	r.RouteTables[1].Routes = append(r.RouteTables[1].Routes, inventory.Route{DestinationCIDR: "10.1.0.0/16", VPCPeeringConnectionID: "pcx-1", State: "active"})
	r.RouteTables = append(r.RouteTables, inventory.RouteTable{ID: "rtb-ledger", VPCID: "vpc-2",
		Associations: []inventory.RouteTableAssociation{{Main: true}},
		Routes: []inventory.Route{{DestinationCIDR: "10.1.0.0/16", GatewayID: "local"},
			{DestinationCIDR: "10.0.0.0/16", VPCPeeringConnectionID: "pcx-1", State: "active"}}})
	r.VPCPeerings = []inventory.VPCPeering{{ID: "pcx-1", Status: "active",
		Requester: inventory.PeeringSide{VPCID: "vpc-1", OwnerID: acct, CIDRs: []string{"10.0.0.0/16"}},
		Accepter:  inventory.PeeringSide{VPCID: "vpc-2", OwnerID: acct, CIDRs: []string{"10.1.0.0/16"}}}}
	r.SecurityGroups = append(r.SecurityGroups, inventory.SecurityGroup{ID: "sg-ledger", Name: "ledger", VPCID: "vpc-2",
		Ingress: []inventory.SGRule{{Protocol: "tcp", FromPort: 5432, ToPort: 5432, CIDRs: []string{"10.0.0.0/16"}}}})
	r.NetworkACLs = append(r.NetworkACLs, allowAllNACL("acl-2", "vpc-2", "subnet-ledger"))
	r.DBInstances = append(r.DBInstances, inventory.DBInstance{ID: "ledger", ARN: peerDBARN, Engine: "postgres", EndpointPort: 5432,
		VPCID: "vpc-2", SubnetIDs: []string{"subnet-ledger"}, SecurityGroupIDs: []string{"sg-ledger"}})
	return inv
}

// viaTransitGateway replaces the peering by a transit gateway with both VPCs
// attached, associated with one route table they both propagate into.
func viaTransitGateway(inv *inventory.Inventory) {
	r := inv.Regional[region]
	r.VPCPeerings = nil
	for i := range r.RouteTables {
		for j := range r.RouteTables[i].Routes {
			if rt := &r.RouteTables[i].Routes[j]; rt.VPCPeeringConnectionID != "" {
				rt.VPCPeeringConnectionID, rt.TransitGatewayID = "", "tgw-1"
			}
		}
	}
	r.TransitGateways = []inventory.TransitGateway{{ID: "tgw-1", State: "available"}}
	r.TGWAttachments = []inventory.TGWAttachment{
		{ID: "tgw-attach-a", TransitGatewayID: "tgw-1", ResourceType: "vpc", ResourceID: "vpc-1", State: "available", RouteTableID: "tgw-rtb-1"},
		{ID: "tgw-attach-b", TransitGatewayID: "tgw-1", ResourceType: "vpc", ResourceID: "vpc-2", State: "available", RouteTableID: "tgw-rtb-1"},
	}
	r.TGWRouteTables = []inventory.TGWRouteTable{{ID: "tgw-rtb-1", TransitGatewayID: "tgw-1", Propagations: []string{"tgw-attach-a", "tgw-attach-b"}}}
}

func TestCrossVPCReachFollowsPeeringAndTransitGatewayRoutes(t *testing.T) {
	tests := []struct {
		name    string
		change  func(inv *inventory.Inventory)
		wantVia string // "" = no reach
	}{
		{"active peering with routes on both sides reaches the peer database", func(*inventory.Inventory) {}, "pcx-1"},
		{"peering not yet accepted carries nothing", func(inv *inventory.Inventory) {
			inv.Regional[region].VPCPeerings[0].Status = "pending-acceptance"
		}, ""},
		{"no route towards the peer on the source side", func(inv *inventory.Inventory) {
			rt := &inv.Regional[region].RouteTables[1]
			rt.Routes = rt.Routes[:2]
		}, ""},
		{"no return route on the peer side", func(inv *inventory.Inventory) {
			rt := &inv.Regional[region].RouteTables[2]
			rt.Routes = rt.Routes[:1]
		}, ""},
		{"return route through another peering", func(inv *inventory.Inventory) {
			inv.Regional[region].RouteTables[2].Routes[1].VPCPeeringConnectionID = "pcx-other"
		}, ""},
		{"blackholed route carries nothing", func(inv *inventory.Inventory) {
			inv.Regional[region].RouteTables[1].Routes[2].State = "blackhole"
		}, ""},
		{"peer group does not admit the source block", func(inv *inventory.Inventory) {
			inv.Regional[region].SecurityGroups[2].Ingress[0].CIDRs = []string{"10.0.9.0/24"}
		}, ""},
		{"group reference across a peering", func(inv *inventory.Inventory) {
			inv.Regional[region].SecurityGroups[2].Ingress[0] = inventory.SGRule{Protocol: "tcp", FromPort: 5432, ToPort: 5432,
				GroupRefs: []inventory.SGRef{{GroupID: "sg-web", VPCID: "vpc-1"}}}
		}, "pcx-1"},
		{"group reference between unconnected VPCs reaches nothing", func(inv *inventory.Inventory) {
			r := inv.Regional[region]
			r.VPCPeerings = nil
			r.SecurityGroups[2].Ingress[0] = inventory.SGRule{Protocol: "tcp", FromPort: 5432, ToPort: 5432,
				GroupRefs: []inventory.SGRef{{GroupID: "sg-web"}}}
		}, ""},
		{"transit gateway with both VPCs attached and propagated", viaTransitGateway, "tgw-1"},
		{"transit gateway route table without the peer's routes", func(inv *inventory.Inventory) {
			viaTransitGateway(inv)
			inv.Regional[region].TGWRouteTables[0].Propagations = []string{"tgw-attach-a"}
		}, ""},
		{"transit gateway static route to the peer attachment", func(inv *inventory.Inventory) {
			viaTransitGateway(inv)
			tt := &inv.Regional[region].TGWRouteTables[0]
			tt.Propagations = []string{"tgw-attach-a"}
			tt.Routes = []inventory.TGWRoute{{DestinationCIDR: "10.1.0.0/16", Type: "static", State: "active", AttachmentIDs: []string{"tgw-attach-b"}}}
		}, "tgw-1"},
		{"transit gateway blackhole route overrides the propagated one", func(inv *inventory.Inventory) {
			viaTransitGateway(inv)
			inv.Regional[region].TGWRouteTables[0].Routes = []inventory.TGWRoute{{DestinationCIDR: "10.1.2.0/24", Type: "static", State: "blackhole"}}
		}, ""},
		{"transit gateway attachment still pending", func(inv *inventory.Inventory) {
			viaTransitGateway(inv)
			inv.Regional[region].TGWAttachments[1].State = "pendingAcceptance"
		}, ""},
		{"group reference across a transit gateway without referencing support", func(inv *inventory.Inventory) {
			viaTransitGateway(inv)
			inv.Regional[region].SecurityGroups[2].Ingress[0] = inventory.SGRule{Protocol: "tcp", FromPort: 5432, ToPort: 5432,
				GroupRefs: []inventory.SGRef{{GroupID: "sg-web"}}}
		}, ""},
		{"group reference across a transit gateway with referencing support", func(inv *inventory.Inventory) {
			viaTransitGateway(inv)
			r := inv.Regional[region]
			for i := range r.TGWAttachments {
				r.TGWAttachments[i].SecurityGroupReferencing = "enable"
			}
			r.SecurityGroups[2].Ingress[0] = inventory.SGRule{Protocol: "tcp", FromPort: 5432, ToPort: 5432,
				GroupRefs: []inventory.SGRef{{GroupID: "sg-web"}}}
		}, "tgw-1"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			inv := peeredFixture()
			tc.change(inv)
			e := crossReach(t, build(t, inv, Options{}), peerDBARN, tc.wantVia)
			if e != nil && len(e.Evidence) < 2 {
				t.Errorf("evidence names the rule and the route: %v", e.Evidence)
			}
		})
	}
}

func TestCrossVPCHubModeKeepsRoutesPerSource(t *testing.T) {
	inv := peeredFixture()
	r := inv.Regional[region]
	// Three more instances in vpc-1: two in the routed subnet, one in a
	// subnet whose table has no route to the peer.
	r.Subnets = append(r.Subnets, inventory.Subnet{ID: "subnet-iso", VPCID: "vpc-1", CIDRBlock: "10.0.3.0/24"})
	r.RouteTables = append(r.RouteTables, inventory.RouteTable{ID: "rtb-iso", VPCID: "vpc-1",
		Associations: []inventory.RouteTableAssociation{{SubnetID: "subnet-iso"}},
		Routes:       []inventory.Route{{DestinationCIDR: "10.0.0.0/16", GatewayID: "local"}}})
	for _, inst := range []inventory.Instance{
		{ID: "i-a", State: "running", PrivateIP: "10.0.1.20", SubnetID: "subnet-pub", VPCID: "vpc-1"},
		{ID: "i-b", State: "running", PrivateIP: "10.0.1.21", SubnetID: "subnet-pub", VPCID: "vpc-1"},
		{ID: "i-iso", State: "running", PrivateIP: "10.0.3.5", SubnetID: "subnet-iso", VPCID: "vpc-1"},
	} {
		r.Instances = append(r.Instances, inst)
	}
	p := build(t, inv, Options{MaxReachPairs: 1})
	hub := arnOf("security-group", "sg-ledger")
	if e := findEdge(p, arnOf("instance", "i-a"), "REACHES", hub); e == nil || e.Technique != TechCrossVPCReach {
		t.Errorf("routed source -> hub = %+v", e)
	}
	if e := findEdge(p, hub, "REACHES", peerDBARN); e == nil || e.Technique != TechSGHub {
		t.Errorf("hub -> member = %+v", e)
	}
	if e := findEdge(p, arnOf("instance", "i-iso"), "REACHES", hub); e != nil {
		t.Errorf("source without a route enters the hub: %+v", e)
	}
}

func TestRouteTablesPointAtPeeringsGatewaysAndEndpoints(t *testing.T) {
	inv := peeredFixture()
	r := inv.Regional[region]
	r.VPCEndpoints = []inventory.VPCEndpoint{{ID: "vpce-s3", VPCID: "vpc-1", ServiceName: "com.amazonaws.us-east-1.s3", Type: "Gateway",
		State: "available", RouteTableIDs: []string{"rtb-pub"}}}
	r.RouteTables[1].Routes = append(r.RouteTables[1].Routes, inventory.Route{DestinationPrefixListID: "pl-63a5400a", GatewayID: "vpce-s3", State: "active"})
	p := build(t, inv, Options{})
	rtb := arnOf("route-table", "rtb-pub")
	for _, to := range []string{arnOf("vpc-peering-connection", "pcx-1"), arnOf("vpc-endpoint", "vpce-s3")} {
		if findEdge(p, rtb, "ROUTES_TO", to) == nil {
			t.Errorf("no ROUTES_TO %s", to)
		}
	}
	if findEdge(p, arnOf("vpc-peering-connection", "pcx-1"), "IN_NETWORK", arnOf("vpc", "vpc-2")) == nil {
		t.Error("peering does not name the accepter VPC")
	}
}

// setPeerACL replaces the peer VPC's ACL (acl-2) entries, keeping the implicit denies.
func setPeerACL(inv *inventory.Inventory, entries ...inventory.ACLEntry) {
	r := inv.Regional[region]
	for i := range r.NetworkACLs {
		if r.NetworkACLs[i].ID == "acl-2" {
			r.NetworkACLs[i].Entries = append(entries,
				inventory.ACLEntry{RuleNumber: 32767, Protocol: "-1", CIDR: "0.0.0.0/0"},
				inventory.ACLEntry{RuleNumber: 32767, Protocol: "-1", CIDR: "0.0.0.0/0", Egress: true})
		}
	}
}

func TestNetworkACLsApplyOnPeeredAndTransitGatewayPaths(t *testing.T) {
	in, out := aclIn, aclOut
	tests := []struct {
		name    string
		tgw     bool
		entries []inventory.ACLEntry
		want    bool
	}{
		{"peer ACL admitting 5432 and replies on ephemeral ports", false,
			[]inventory.ACLEntry{in(100, true, "10.0.0.0/16", 5432, 5432), out(100, true, "10.0.0.0/16", 1024, 65535)}, true},
		{"peer ACL without the inbound rule", false,
			[]inventory.ACLEntry{out(100, true, "10.0.0.0/16", 1024, 65535)}, false},
		{"peer ACL letting no reply out (stateless)", false,
			[]inventory.ACLEntry{in(100, true, "10.0.0.0/16", 5432, 5432), out(100, true, "10.0.0.0/16", 5432, 5432)}, false},
		{"replies limited to part of the ephemeral range", false,
			[]inventory.ACLEntry{in(100, true, "10.0.0.0/16", 5432, 5432), out(100, true, "10.0.0.0/16", 1024, 2048)}, false},
		{"lower-numbered deny wins over the allow", false,
			[]inventory.ACLEntry{in(90, false, "10.0.1.0/24", 0, 65535), in(100, true, "10.0.0.0/16", 5432, 5432), out(100, true, "0.0.0.0/0", 0, 65535)}, false},
		{"deny numbered after the allow changes nothing", false,
			[]inventory.ACLEntry{in(100, true, "10.0.0.0/16", 5432, 5432), in(110, false, "10.0.1.0/24", 0, 65535), out(100, true, "0.0.0.0/0", 0, 65535)}, true},
		{"same ACLs across a transit gateway", true,
			[]inventory.ACLEntry{in(100, true, "10.0.0.0/16", 5432, 5432), out(100, true, "10.0.0.0/16", 1024, 65535)}, true},
		{"transit gateway path without the inbound rule", true,
			[]inventory.ACLEntry{out(100, true, "10.0.0.0/16", 1024, 65535)}, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			inv := peeredFixture()
			if tc.tgw {
				viaTransitGateway(inv)
			}
			setPeerACL(inv, tc.entries...)
			checkACLReach(t, build(t, inv, Options{}), peerDBARN, tc.want, "acl-2")
		})
	}
}

const west = "us-west-2"

var westDBARN = "arn:aws:rds:" + west + ":" + acct + ":db:archive"

// westFixture adds to fixture() a VPC in us-west-2 (10.9.0.0/16) holding a
// database whose group admits the first VPC's block on 5432, joined to
// vpc-1 by an active inter-region peering with routes on both sides (each
// region lists the peering, as DescribeVpcPeeringConnections does).
func westFixture() *inventory.Inventory {
	inv := fixture()
	inv.Regions = append(inv.Regions, west)
	e := inv.Regional[region]
	e.RouteTables[1].Routes = append(e.RouteTables[1].Routes, inventory.Route{DestinationCIDR: "10.9.0.0/16", VPCPeeringConnectionID: "pcx-x", State: "active"})
	w := inv.Region(west)
	w.VPCs = []inventory.VPC{{ID: "vpc-w", CIDRBlocks: []string{"10.9.0.0/16"}}}
	w.Subnets = []inventory.Subnet{{ID: "subnet-w", VPCID: "vpc-w", CIDRBlock: "10.9.1.0/24"}}
	w.RouteTables = []inventory.RouteTable{{ID: "rtb-w", VPCID: "vpc-w", Associations: []inventory.RouteTableAssociation{{Main: true}},
		Routes: []inventory.Route{{DestinationCIDR: "10.9.0.0/16", GatewayID: "local"}, {DestinationCIDR: "10.0.0.0/16", VPCPeeringConnectionID: "pcx-x", State: "active"}}}}
	w.SecurityGroups = []inventory.SecurityGroup{{ID: "sg-w", Name: "archive", VPCID: "vpc-w",
		Ingress: []inventory.SGRule{{Protocol: "tcp", FromPort: 5432, ToPort: 5432, CIDRs: []string{"10.0.0.0/16"}}}}}
	w.NetworkACLs = []inventory.NetworkACL{allowAllNACL("acl-w", "vpc-w", "subnet-w")}
	w.DBInstances = []inventory.DBInstance{{ID: "archive", ARN: westDBARN, Engine: "postgres", EndpointPort: 5432,
		VPCID: "vpc-w", SubnetIDs: []string{"subnet-w"}, SecurityGroupIDs: []string{"sg-w"}}}
	pcx := inventory.VPCPeering{ID: "pcx-x", Status: "active",
		Requester: inventory.PeeringSide{VPCID: "vpc-1", OwnerID: acct, Region: region, CIDRs: []string{"10.0.0.0/16"}},
		Accepter:  inventory.PeeringSide{VPCID: "vpc-w", OwnerID: acct, Region: west, CIDRs: []string{"10.9.0.0/16"}}}
	e.VPCPeerings = []inventory.VPCPeering{pcx}
	w.VPCPeerings = []inventory.VPCPeering{pcx}
	return inv
}

// viaTGWPeering replaces the inter-region peering by two transit gateways
// (tgw-e in us-east-1, tgw-w in us-west-2), each with its VPC attached, joined
// by the peering attachment tgw-attach-p with static routes both ways.
func viaTGWPeering(inv *inventory.Inventory) {
	e, w := inv.Regional[region], inv.Regional[west]
	e.VPCPeerings, w.VPCPeerings = nil, nil
	e.RouteTables[1].Routes[len(e.RouteTables[1].Routes)-1] = inventory.Route{DestinationCIDR: "10.9.0.0/16", TransitGatewayID: "tgw-e", State: "active"}
	w.RouteTables[0].Routes[1] = inventory.Route{DestinationCIDR: "10.0.0.0/16", TransitGatewayID: "tgw-w", State: "active"}
	e.TransitGateways = []inventory.TransitGateway{{ID: "tgw-e", State: "available"}}
	w.TransitGateways = []inventory.TransitGateway{{ID: "tgw-w", State: "available"}}
	e.TGWAttachments = []inventory.TGWAttachment{
		{ID: "tgw-attach-e", TransitGatewayID: "tgw-e", ResourceType: "vpc", ResourceID: "vpc-1", State: "available", RouteTableID: "tgw-rtb-e"},
		{ID: "tgw-attach-p", TransitGatewayID: "tgw-e", ResourceType: "peering", ResourceID: "tgw-w", State: "available", RouteTableID: "tgw-rtb-e"},
	}
	w.TGWAttachments = []inventory.TGWAttachment{
		{ID: "tgw-attach-w", TransitGatewayID: "tgw-w", ResourceType: "vpc", ResourceID: "vpc-w", State: "available", RouteTableID: "tgw-rtb-w"},
		{ID: "tgw-attach-p", TransitGatewayID: "tgw-w", ResourceType: "peering", ResourceID: "tgw-e", State: "available", RouteTableID: "tgw-rtb-w"},
	}
	e.TGWRouteTables = []inventory.TGWRouteTable{{ID: "tgw-rtb-e", TransitGatewayID: "tgw-e", Propagations: []string{"tgw-attach-e"},
		Routes: []inventory.TGWRoute{{DestinationCIDR: "10.9.0.0/16", Type: "static", State: "active", AttachmentIDs: []string{"tgw-attach-p"}}}}}
	w.TGWRouteTables = []inventory.TGWRouteTable{{ID: "tgw-rtb-w", TransitGatewayID: "tgw-w", Propagations: []string{"tgw-attach-w"},
		Routes: []inventory.TGWRoute{{DestinationCIDR: "10.0.0.0/16", Type: "static", State: "active", AttachmentIDs: []string{"tgw-attach-p"}}}}}
}

func TestReachAcrossRegionsFollowsInterRegionPeeringAndTGWPeering(t *testing.T) {
	tests := []struct {
		name    string
		change  func(inv *inventory.Inventory)
		wantVia string
	}{
		{"inter-region peering with routes on both sides", func(*inventory.Inventory) {}, "pcx-x"},
		{"no return route in the other region", func(inv *inventory.Inventory) {
			rt := &inv.Regional[west].RouteTables[0]
			rt.Routes = rt.Routes[:1]
		}, ""},
		{"inter-region peering still pending", func(inv *inventory.Inventory) {
			inv.Regional[region].VPCPeerings[0].Status = "pending-acceptance"
		}, ""},
		{"security-group reference across regions does not match", func(inv *inventory.Inventory) {
			inv.Regional[west].SecurityGroups[0].Ingress[0] = inventory.SGRule{Protocol: "tcp", FromPort: 5432, ToPort: 5432,
				GroupRefs: []inventory.SGRef{{GroupID: "sg-web"}}}
		}, ""},
		{"other region's network ACL drops the replies", func(inv *inventory.Inventory) {
			acl := &inv.Regional[west].NetworkACLs[0]
			acl.Entries = []inventory.ACLEntry{{RuleNumber: 100, Protocol: "6", Allow: true, CIDR: "10.0.0.0/16", FromPort: 5432, ToPort: 5432},
				{RuleNumber: 100, Protocol: "6", Allow: true, CIDR: "10.0.0.0/16", FromPort: 5432, ToPort: 5432, Egress: true}}
		}, ""},
		{"transit gateway peering with static routes both ways", viaTGWPeering, "tgw-attach-p"},
		{"transit gateway peering listed under the requester's gateway in both regions", func(inv *inventory.Inventory) {
			viaTGWPeering(inv)
			a := &inv.Regional[west].TGWAttachments[1]
			a.TransitGatewayID, a.ResourceID = "tgw-e", "tgw-w"
		}, "tgw-attach-p"},
		{"peering attachment to a third gateway", func(inv *inventory.Inventory) {
			viaTGWPeering(inv)
			inv.Regional[west].TGWAttachments[1].ResourceID = "tgw-other"
		}, ""},
		{"transit gateway peering without the static route back", func(inv *inventory.Inventory) {
			viaTGWPeering(inv)
			inv.Regional[west].TGWRouteTables[0].Routes = nil
		}, ""},
		{"transit gateway peering attachment pending acceptance", func(inv *inventory.Inventory) {
			viaTGWPeering(inv)
			inv.Regional[west].TGWAttachments[1].State = "pendingAcceptance"
		}, ""},
		{"transit gateway peering whose remote table does not reach the VPC", func(inv *inventory.Inventory) {
			viaTGWPeering(inv)
			w := inv.Regional[west]
			w.TGWAttachments[1].RouteTableID = "tgw-rtb-p"
			w.TGWRouteTables = append(w.TGWRouteTables, inventory.TGWRouteTable{ID: "tgw-rtb-p", TransitGatewayID: "tgw-w"})
		}, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			inv := westFixture()
			tc.change(inv)
			crossReach(t, build(t, inv, Options{}), westDBARN, tc.wantVia)
		})
	}
}

// crossReach checks the web instance's cross-VPC reach to the database on
// 5432 through wantVia ("" = no reach) and returns the edge.
func crossReach(t *testing.T, p *Part, db, wantVia string) *graph.Edge {
	t.Helper()
	e := findEdge(p, webID, "REACHES", db)
	if wantVia == "" {
		if e != nil {
			t.Fatalf("reach without a working route: %+v", e)
		}
		return nil
	}
	if e == nil || e.Technique != TechCrossVPCReach || !slices.Equal(ports(e), []string{"5432/tcp"}) {
		t.Fatalf("web -> %s = %+v", db, e)
	}
	if via, _ := e.Props["via"].([]string); !slices.Equal(via, []string{wantVia}) {
		t.Errorf("via = %v, want %s", e.Props["via"], wantVia)
	}
	return e
}

// aclIn and aclOut are TCP network ACL entries, inbound and outbound.
func aclIn(n int32, allow bool, cidr string, from, to int32) inventory.ACLEntry {
	return inventory.ACLEntry{RuleNumber: n, Protocol: "6", Allow: allow, CIDR: cidr, FromPort: from, ToPort: to}
}

func aclOut(n int32, allow bool, cidr string, from, to int32) inventory.ACLEntry {
	e := aclIn(n, allow, cidr, from, to)
	e.Egress = true
	return e
}

// checkACLReach checks the web instance's move to the database on 5432
// (present or not, as want) and that its evidence names the deciding ACL.
func checkACLReach(t *testing.T, p *Part, db string, want bool, acl string) {
	t.Helper()
	e := findEdge(p, webID, "REACHES", db)
	if (e != nil) != want {
		t.Fatalf("web -> database = %+v, want %v", e, want)
	}
	if e == nil {
		return
	}
	if !slices.Equal(ports(e), []string{"5432/tcp"}) {
		t.Errorf("ports %v", ports(e))
	}
	if !slices.ContainsFunc(e.Evidence, func(s string) bool { return strings.Contains(s, "network ACL "+acl) }) {
		t.Errorf("evidence does not name the ACL rules: %v", e.Evidence)
	}
}
