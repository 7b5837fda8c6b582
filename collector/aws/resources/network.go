package resources

import (
	"fmt"
	"net/netip"
	"strings"

	"github.com/breachpath/breachpath/collector/aws/inventory"
	"github.com/breachpath/breachpath/collector/portset"
	"github.com/breachpath/breachpath/graph"
)

// adminPorts are the remote administration ports CIS 5.1-5.3 name.
var adminPorts = []int32{22, 3389}

// highRiskPorts are the ports AWS FSBP EC2.19 treats as high risk.
var highRiskPorts = []int32{20, 21, 22, 23, 25, 110, 135, 143, 445, 1433, 1434, 3000, 3306, 3389, 4333, 5000, 5432,
	5500, 5601, 8080, 8088, 8888, 9200, 9300}

// sgFinding ties a security-group finding to the ports it is about, so that
// an exposure cites only the findings behind its own ports.
type sgFinding struct {
	id    string
	ports protoPorts
}

// network adds VPCs, subnets, routing, gateways, security groups, network
// ACLs, interfaces and Elastic IPs, with their facts and findings.
func (b *builder) network() {
	b.sgFindings = map[string][]sgFinding{}
	b.naclFindings = map[string]string{}
	b.vpcConnectivity()
	for _, x := range b.regions {
		d, r := x.d, x.name
		for _, v := range d.VPCs {
			n := b.resource(orARN(v.ARN, b.ec2ARN(r, "vpc", v.ID)), graph.KindNetwork, "AWS::EC2::VPC", "ec2", r, v.ID, v.Tags)
			n.Props["cidr_blocks"] = v.CIDRBlocks
			n.Props["is_default"] = v.IsDefault
		}
		for _, s := range d.Subnets {
			id := b.subnetID(x, s.ID)
			n := b.resource(id, graph.KindSubnet, "AWS::EC2::Subnet", "ec2", r, s.ID, s.Tags)
			n.Props["cidr_block"] = s.CIDRBlock
			n.Props["availability_zone"] = s.AvailabilityZone
			n.Props["map_public_ip_on_launch"] = s.MapPublicIPOnLaunch
			if vpc := b.vpcID(x, s.VPCID); vpc != "" {
				b.edge(graph.Edge{From: id, To: vpc, Kind: graph.EdgeInNetwork})
			}
		}
		for _, g := range d.InternetGateways {
			id := b.ec2ARN(r, "internet-gateway", g.ID)
			n := b.resource(id, graph.KindGateway, "AWS::EC2::InternetGateway", "ec2", r, g.ID, g.Tags)
			n.Props["gateway_type"] = "internet"
		}
		for _, g := range d.NATGateways {
			id := b.ec2ARN(r, "natgateway", g.ID)
			n := b.resource(id, graph.KindGateway, "AWS::EC2::NatGateway", "ec2", r, g.ID, g.Tags)
			n.Props["gateway_type"] = "nat"
			n.Props["connectivity_type"] = g.ConnectivityType
			if s := b.subnetID(x, g.SubnetID); s != "" {
				b.edge(graph.Edge{From: id, To: s, Kind: graph.EdgeInSubnet})
			}
		}
		for i := range d.RouteTables {
			b.routeTable(x, &d.RouteTables[i])
		}
		for _, sg := range d.SecurityGroups {
			b.securityGroup(x, sg.ID)
		}
		for i := range d.NetworkACLs {
			b.networkACL(x, &d.NetworkACLs[i])
		}
		for _, e := range d.NetworkInterfaces {
			id := b.ec2ARN(r, "network-interface", e.ID)
			n := b.resource(id, graph.KindNetworkInterface, "AWS::EC2::NetworkInterface", "ec2", r, e.ID, e.Tags)
			n.Props["interface_type"] = e.InterfaceType
			n.Props["private_ips"] = e.PrivateIPs
			if e.PublicIP != "" {
				n.Props["public_ip"] = e.PublicIP
			}
			if s := b.subnetID(x, e.SubnetID); s != "" {
				b.edge(graph.Edge{From: id, To: s, Kind: graph.EdgeInSubnet})
			}
			for _, sg := range e.SecurityGroupIDs {
				if sgID := b.sgID(x, sg); sgID != "" {
					b.edge(graph.Edge{From: id, To: sgID, Kind: graph.EdgeProtectedBy})
				}
			}
		}
		for _, e := range d.ElasticIPs {
			id := b.ec2ARN(r, "elastic-ip", e.AllocationID)
			n := b.resource(id, graph.KindPublicEndpoint, "AWS::EC2::EIP", "ec2", r, e.PublicIP, e.Tags)
			n.Props["public_ip"] = e.PublicIP
			if e.NetworkInterfaceID != "" && x.enis[e.NetworkInterfaceID] != nil {
				b.edge(graph.Edge{From: b.ec2ARN(r, "network-interface", e.NetworkInterfaceID), To: id, Kind: graph.EdgeHasEndpoint})
			}
		}
	}
}

func (b *builder) vpcID(x *regionIndex, id string) string {
	v := x.vpcs[id]
	if v == nil {
		return ""
	}
	return orARN(v.ARN, b.ec2ARN(x.name, "vpc", id))
}

func (b *builder) subnetID(x *regionIndex, id string) string {
	s := x.subnets[id]
	if s == nil {
		return ""
	}
	return orARN(s.ARN, b.ec2ARN(x.name, "subnet", id))
}

func (b *builder) sgID(x *regionIndex, id string) string {
	sg := x.sgs[id]
	if sg == nil {
		return ""
	}
	return orARN(sg.ARN, b.ec2ARN(x.name, "security-group", id))
}

func (b *builder) naclID(x *regionIndex, id string) string {
	return b.ec2ARN(x.name, "network-acl", id)
}

func (b *builder) routeTable(x *regionIndex, t *inventory.RouteTable) {
	r := x.name
	id := b.ec2ARN(r, "route-table", t.ID)
	b.resource(id, graph.KindRouteTable, "AWS::EC2::RouteTable", "ec2", r, t.ID, t.Tags)
	if vpc := b.vpcID(x, t.VPCID); vpc != "" {
		b.edge(graph.Edge{From: id, To: vpc, Kind: graph.EdgeInNetwork})
	}
	for _, a := range t.Associations {
		if s := b.subnetID(x, a.SubnetID); s != "" {
			b.edge(graph.Edge{From: s, To: id, Kind: graph.EdgeRoutesTo, Props: graph.Props{"association": "explicit"}})
		}
	}
	if x.mainRT[t.VPCID] == t {
		// Subnets without an explicit association use the main table.
		for _, s := range x.d.Subnets {
			if s.VPCID == t.VPCID && x.rtBySubnet[s.ID] == nil {
				b.edge(graph.Edge{From: b.subnetID(x, s.ID), To: id, Kind: graph.EdgeRoutesTo, Props: graph.Props{"association": "main"}})
			}
		}
	}
	for _, route := range t.Routes {
		gw := ""
		switch {
		case strings.HasPrefix(route.GatewayID, "igw-") && x.igws[route.GatewayID] != nil:
			gw = b.ec2ARN(r, "internet-gateway", route.GatewayID)
		case route.NatGatewayID != "":
			gw = b.ec2ARN(r, "natgateway", route.NatGatewayID)
		default:
			gw = b.linkTarget(x, route)
		}
		if gw == "" || b.nodes[gw] == nil {
			continue
		}
		dst := route.DestinationCIDR
		if dst == "" {
			dst = route.DestinationIPv6CIDR
		}
		if dst == "" {
			dst = route.DestinationPrefixListID
		}
		e := b.edge(graph.Edge{From: id, To: gw, Kind: graph.EdgeRoutesTo, Props: graph.Props{"destinations": []string{dst}}})
		if prev, _ := e.Props["destinations"].([]string); !containsString(prev, dst) {
			e.Props["destinations"] = append(prev, dst)
		}
	}
}

func containsString(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// securityGroup adds the group, its placement and its findings.
func (b *builder) securityGroup(x *regionIndex, sgID string) {
	sg := x.sgs[sgID]
	r := x.name
	id := b.sgID(x, sgID)
	n := b.resource(id, graph.KindFirewallRules, "AWS::EC2::SecurityGroup", "ec2", r, sg.Name, sg.Tags)
	n.Props["group_id"] = sg.ID
	n.Props["ingress_rules"] = int64(len(sg.Ingress))
	n.Props["egress_rules"] = int64(len(sg.Egress))
	if vpc := b.vpcID(x, sg.VPCID); vpc != "" {
		b.edge(graph.Edge{From: id, To: vpc, Kind: graph.EdgeInNetwork})
	}
	if sg.Name == "default" && (len(sg.Ingress) > 0 || len(sg.Egress) > 0) {
		b.flag(RuleDefaultSG, id, defaultSeverity,
			fmt.Sprintf("default security group %s of %s has %d inbound and %d outbound rules", sg.ID, sg.VPCID, len(sg.Ingress), len(sg.Egress)))
	}
	for _, fam := range []struct {
		v6   bool
		name string
	}{{false, "0.0.0.0/0"}, {true, "::/0"}} {
		var open protoPorts
		for _, rule := range sg.Ingress {
			cidrs := rule.CIDRs
			if fam.v6 {
				cidrs = rule.IPv6CIDRs
			}
			for _, c := range cidrs {
				if p, ok := parsePrefix(c); ok && b.broadPublic(p) {
					open = open.union(sgRulePorts(rule.Protocol, rule.FromPort, rule.ToPort))
				}
			}
		}
		if open.empty() {
			continue
		}
		b.sgPortFindings(id, sg.ID, open, fam.v6, fam.name)
	}
}

func (b *builder) sgPortFindings(nodeID, groupID string, open protoPorts, v6 bool, src string) {
	var admin, risky protoPorts
	var controls []string
	for p := proto(0); p < numProtos; p++ {
		for _, port := range adminPorts {
			if open[p].Has(port) {
				admin[p] = admin[p].Union(portset.Single(port))
				switch port {
				case 22:
					controls = append(controls, "AWS-FSBP:EC2.13")
				case 3389:
					controls = append(controls, "AWS-FSBP:EC2.14")
				}
			}
		}
		for _, port := range highRiskPorts {
			if open[p].Has(port) && !admin[p].Has(port) {
				risky[p] = risky[p].Union(portset.Single(port))
			}
		}
	}
	if !admin.empty() {
		if v6 {
			controls = append(controls, "CIS-AWS-3.0:5.3", "AWS-FSBP:EC2.54")
		} else {
			controls = append(controls, "CIS-AWS-3.0:5.2", "AWS-FSBP:EC2.53")
		}
		controls = append(controls, "AWS-FSBP:EC2.19")
		sev := graph.SeverityHigh
		if open[protoTCP].Covers(0, 65535) {
			sev = graph.SeverityCritical
		}
		fid := b.flag(RuleSGAdminPorts, nodeID, sev,
			fmt.Sprintf("security group %s allows %s on %s", groupID, src, strings.Join(admin.strings(), " ")), controls...)
		b.sgFindings[nodeID] = append(b.sgFindings[nodeID], sgFinding{fid, admin})
	}
	if !risky.empty() {
		fid := b.flag(RuleSGHighRiskPorts, nodeID, defaultSeverity,
			fmt.Sprintf("security group %s allows %s on %s", groupID, src, strings.Join(risky.strings(), " ")))
		b.sgFindings[nodeID] = append(b.sgFindings[nodeID], sgFinding{fid, risky})
	}
	var other protoPorts
	for p := proto(0); p < numProtos; p++ {
		rest := open[p]
		for _, port := range append(append([]int32{}, highRiskPorts...), 80, 443) {
			rest = rest.Minus(portset.Single(port))
		}
		other[p] = rest
	}
	if !other.empty() {
		fid := b.flag(RuleSGUnrestricted, nodeID, defaultSeverity,
			fmt.Sprintf("security group %s allows %s on %s", groupID, src, strings.Join(other.strings(), " ")))
		b.sgFindings[nodeID] = append(b.sgFindings[nodeID], sgFinding{fid, other})
	}
}

// networkACL adds the ACL, the subnets it protects and its findings.
func (b *builder) networkACL(x *regionIndex, acl *inventory.NetworkACL) {
	id := b.naclID(x, acl.ID)
	n := b.resource(id, graph.KindNetworkACL, "AWS::EC2::NetworkAcl", "ec2", x.name, acl.ID, acl.Tags)
	n.Props["is_default"] = acl.IsDefault
	if vpc := b.vpcID(x, acl.VPCID); vpc != "" {
		b.edge(graph.Edge{From: id, To: vpc, Kind: graph.EdgeInNetwork})
	}
	for _, s := range acl.SubnetIDs {
		if sid := b.subnetID(x, s); sid != "" {
			b.edge(graph.Edge{From: sid, To: id, Kind: graph.EdgeProtectedBy})
		}
	}
	var open protoPorts
	for _, v6 := range []bool{false, true} {
		open = open.union(naclPublicIngress(acl, v6))
	}
	var admin []string
	for _, port := range adminPorts {
		for p := proto(0); p < numProtos; p++ {
			if open[p].Has(port) {
				admin = append(admin, fmt.Sprintf("%d/%s", port, p))
			}
		}
	}
	if len(admin) > 0 {
		b.naclFindings[acl.ID] = b.flag(RuleNACLAdminPorts, id, defaultSeverity,
			fmt.Sprintf("network ACL %s admits public sources inbound on %s", acl.ID, strings.Join(admin, " ")))
	}
}

// naclPublicIngress returns the ports the ACL admits inbound from some
// public address.
func naclPublicIngress(acl *inventory.NetworkACL, v6 bool) protoPorts {
	root := netip.MustParsePrefix("0.0.0.0/0")
	if v6 {
		root = netip.MustParsePrefix("::/0")
	}
	splits := append(naclSplits(acl, v6), nonPublic...)
	var got protoPorts
	leaves(root, splits, func(leaf netip.Prefix) {
		if !isPublicBlock(leaf) {
			return
		}
		for p := proto(0); p < numProtos; p++ {
			in, _ := naclDecision(acl, false, leaf.Addr(), p)
			got[p] = got[p].Union(in)
		}
	})
	return got
}
