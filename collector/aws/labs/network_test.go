package labs

import (
	sdkaws "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"

	"github.com/breachpath/breachpath/collector/aws/fetch"
	"github.com/breachpath/breachpath/graph"
)

// The network hand-offs of issue 14: a shell on an instance reaches a
// database in another VPC over a peering or a transit gateway, or a bucket
// through an S3 gateway endpoint.
func init() {
	labs = append(labs,
		lab{
			name: "breachpath/ssm-shell-to-database-over-vpc-peering",
			source: "issue 14's classic route (SSM Session Manager onto an instance, then the database of a peered VPC whose " +
				"security group admits the peer CIDR); AWS VPC peering guide: routes on both sides' route tables",
			services: []string{fetch.ServiceEC2, fetch.ServiceRDS},
			build: func(e *estate, variant bool) route {
				// The variant forgets the return route on the database side.
				r, _ := e.peeredDatabase("10.31", "10.32", !variant)
				return r
			},
		},
		lab{
			name: "breachpath/ssm-shell-to-database-over-transit-gateway",
			source: "issue 14: the same route through a transit gateway (AWS Transit Gateway guide: VPC attachments propagating " +
				"into the route table they are associated with, VPC routes to the transit gateway)",
			services: []string{fetch.ServiceEC2, fetch.ServiceRDS},
			build: func(e *estate, variant bool) route {
				u := e.user("ops", map[string]string{"p": doc(allow("ssm:StartSession", "*"))})
				app := e.vpc("10.33.0.0/16", "10.33.1.0/24", false, "")
				dbNet := e.vpc("10.34.0.0/16", "10.34.1.0/24", false, "10.33.0.0/16", 5432)
				inst := e.instance(app, instanceOpts{})
				db := e.publicDatabase("ledger", dbNet, false)
				tgw := e.transitGateway(map[string]string{app.vpc: app.subnet, dbNet.vpc: dbNet.subnet}, !variant)
				e.route(e.mainRouteTable(app.vpc), "10.34.0.0/16", func(in *ec2.CreateRouteInput) { in.TransitGatewayId = s(tgw) })
				e.route(e.mainRouteTable(dbNet.vpc), "10.33.0.0/16", func(in *ec2.CreateRouteInput) { in.TransitGatewayId = s(tgw) })
				return route{from: u, via: []string{inst, db}}
			},
		},
		lab{
			name: "breachpath/ssm-shell-to-database-through-peer-network-acl",
			source: "issue 14's peered route with the database subnet behind a custom network ACL (AWS VPC guide 'Control " +
				"subnet traffic with network ACLs': stateless, rules in order, replies need the ephemeral ports 1024-65535 outbound)",
			services: []string{fetch.ServiceEC2, fetch.ServiceRDS},
			build: func(e *estate, variant bool) route {
				r, dbNet := e.peeredDatabase("10.39", "10.40", true)
				e.databaseACL(dbNet, "10.39.0.0/16", variant)
				return r
			},
		},
		lab{
			name: "breachpath/ssm-shell-to-database-through-subnet-network-acl-in-one-vpc",
			source: "AWS VPC guide 'Control subnet traffic with network ACLs' (a custom ACL on the database subnets: " +
				"stateless, rules in order, replies need ephemeral ports outbound; traffic inside one subnet is not " +
				"filtered) with issue 14's foothold (SSM Session Manager onto an instance in the application subnet)",
			services: []string{fetch.ServiceEC2, fetch.ServiceRDS},
			build: func(e *estate, variant bool) route {
				u := e.user("ops", map[string]string{"p": doc(allow("ssm:StartSession", "*"))})
				dbNet := e.vpc("10.43.0.0/16", "10.43.1.0/24", false, "10.43.0.0/16", 5432)
				db := e.publicDatabase("ledger", dbNet, false)
				appSub, err := e.ec2().CreateSubnet(e.ctx, &ec2.CreateSubnetInput{VpcId: s(dbNet.vpc), CidrBlock: s("10.43.3.0/24"), AvailabilityZone: s(e.rg() + "a")})
				e.check("application subnet", err)
				inst := e.instance(network{vpc: dbNet.vpc, subnet: *appSub.Subnet.SubnetId, sg: e.securityGroup(dbNet.vpc)}, instanceOpts{})
				e.databaseACL(dbNet, "10.43.3.0/24", variant)
				return route{from: u, via: []string{inst, db}}
			},
		},
		lab{
			name: "breachpath/ssm-shell-to-database-over-inter-region-peering",
			source: "issue 14's peered route with the database in another region (AWS VPC peering guide: inter-region " +
				"peering, accepted in the accepter's region, routes on both sides; security-group references do not cross " +
				"regions, so the database's group admits the peer CIDR)",
			services: []string{fetch.ServiceEC2, fetch.ServiceRDS},
			regions:  []string{"us-west-2"},
			build: func(e *estate, variant bool) route {
				u := e.user("ops", map[string]string{"p": doc(allow("ssm:StartSession", "*"))})
				app := e.vpc("10.41.0.0/16", "10.41.1.0/24", false, "")
				inst := e.instance(app, instanceOpts{})
				w := e.inRegion("us-west-2")
				dbNet := w.vpc("10.42.0.0/16", "10.42.1.0/24", false, "10.41.0.0/16", 5432)
				db := w.publicDatabase("archive", dbNet, false)
				out, err := e.ec2().CreateVpcPeeringConnection(e.ctx, &ec2.CreateVpcPeeringConnectionInput{VpcId: s(app.vpc), PeerVpcId: s(dbNet.vpc), PeerRegion: s("us-west-2")})
				e.check("inter-region peering", err)
				pcx := *out.VpcPeeringConnection.VpcPeeringConnectionId
				_, err = w.ec2().AcceptVpcPeeringConnection(e.ctx, &ec2.AcceptVpcPeeringConnectionInput{VpcPeeringConnectionId: s(pcx)})
				e.check("accept inter-region peering", err)
				e.route(e.mainRouteTable(app.vpc), "10.42.0.0/16", func(in *ec2.CreateRouteInput) { in.VpcPeeringConnectionId = s(pcx) })
				if !variant { // the variant forgets the return route in the database's region
					w.route(w.mainRouteTable(dbNet.vpc), "10.41.0.0/16", func(in *ec2.CreateRouteInput) { in.VpcPeeringConnectionId = s(pcx) })
				}
				return route{from: u, via: []string{inst, db}}
			},
		},
		lab{
			name: "breachpath/web-shell-to-bucket-through-s3-gateway-endpoint",
			source: "issue 14: a bucket policy granting everyone s3:GetObject with aws:SourceVpce (AWS S3 guide, 'Restricting access " +
				"to a specific VPC endpoint'); code execution on an internet-facing web instance (CloudGoat rce_web_app style foothold) " +
				"whose subnet routes S3 to that endpoint reads it without any credentials",
			services: []string{fetch.ServiceEC2, fetch.ServiceS3},
			build: func(e *estate, variant bool) route {
				app := e.vpc("10.35.0.0/16", "10.35.1.0/24", true, "0.0.0.0/0", 80)
				inst := e.instance(app, instanceOpts{publicIP: true})
				name := "vpce-only-" + e.account // what e.bucket names it
				epPolicy := doc(map[string]any{"Effect": "Allow", "Principal": "*", "Action": "s3:*", "Resource": []string{"arn:aws:s3:::" + name, "arn:aws:s3:::" + name + "/*"}})
				if variant { // the endpoint policy admits only another bucket
					epPolicy = doc(map[string]any{"Effect": "Allow", "Principal": "*", "Action": "s3:*", "Resource": "arn:aws:s3:::artifacts-elsewhere/*"})
				}
				vpce := e.gatewayEndpoint(app.vpc, app.rt, epPolicy)
				bucket := e.bucket("vpce-only", restricted, doc(map[string]any{
					"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::BUCKET/*",
					"Condition": map[string]any{"StringEquals": map[string]any{"aws:SourceVpce": vpce}}}))
				return route{from: graph.InternetID, via: []string{inst, e.arn("ec2", "vpc-endpoint/"+vpce), bucket}}
			},
		},
	)
}

// mainRouteTable returns the id of the VPC's main route table.
func (e *estate) mainRouteTable(vpc string) string {
	out, err := e.ec2().DescribeRouteTables(e.ctx, &ec2.DescribeRouteTablesInput{Filters: []ec2types.Filter{
		{Name: s("vpc-id"), Values: []string{vpc}}, {Name: s("association.main"), Values: []string{"true"}}}})
	e.check("main route table of "+vpc, err)
	if len(out.RouteTables) == 0 {
		e.t.Fatalf("seed: %s has no main route table", vpc)
	}
	return *out.RouteTables[0].RouteTableId
}

func (e *estate) route(table, cidr string, target func(*ec2.CreateRouteInput)) {
	in := &ec2.CreateRouteInput{RouteTableId: s(table), DestinationCidrBlock: s(cidr)}
	target(in)
	_, err := e.ec2().CreateRoute(e.ctx, in)
	e.check("route "+cidr+" in "+table, err)
}

// peering creates and accepts a peering connection between two VPCs.
func (e *estate) peering(requester, accepter string) string {
	out, err := e.ec2().CreateVpcPeeringConnection(e.ctx, &ec2.CreateVpcPeeringConnectionInput{VpcId: s(requester), PeerVpcId: s(accepter)})
	e.check("peering", err)
	id := *out.VpcPeeringConnection.VpcPeeringConnectionId
	_, err = e.ec2().AcceptVpcPeeringConnection(e.ctx, &ec2.AcceptVpcPeeringConnectionInput{VpcPeeringConnectionId: s(id)})
	e.check("accept peering", err)
	return id
}

// transitGateway attaches the VPCs (vpc -> subnet) to a new transit gateway,
// whose default route table they are associated with and, when propagate
// is set, propagate their VPCs' routes into.
func (e *estate) transitGateway(vpcs map[string]string, propagate bool) string {
	c := e.ec2()
	g, err := c.CreateTransitGateway(e.ctx, &ec2.CreateTransitGatewayInput{Options: &ec2types.TransitGatewayRequestOptions{
		DefaultRouteTableAssociation: ec2types.DefaultRouteTableAssociationValueEnable,
		DefaultRouteTablePropagation: ec2types.DefaultRouteTablePropagationValueDisable}})
	e.check("transit gateway", err)
	tgw := *g.TransitGateway.TransitGatewayId
	rtID := g.TransitGateway.Options.AssociationDefaultRouteTableId
	for vpc, subnet := range vpcs {
		a, err := c.CreateTransitGatewayVpcAttachment(e.ctx, &ec2.CreateTransitGatewayVpcAttachmentInput{TransitGatewayId: s(tgw), VpcId: s(vpc), SubnetIds: []string{subnet}})
		e.check("attach "+vpc, err)
		if propagate {
			_, err = c.EnableTransitGatewayRouteTablePropagation(e.ctx, &ec2.EnableTransitGatewayRouteTablePropagationInput{TransitGatewayRouteTableId: rtID,
				TransitGatewayAttachmentId: a.TransitGatewayVpcAttachment.TransitGatewayAttachmentId})
			e.check("propagate "+vpc, err)
		}
	}
	return tgw
}

// gatewayEndpoint creates an S3 gateway endpoint in the route table.
func (e *estate) gatewayEndpoint(vpc, table, policy string) string {
	out, err := e.ec2().CreateVpcEndpoint(e.ctx, &ec2.CreateVpcEndpointInput{VpcId: s(vpc), ServiceName: s("com.amazonaws." + region + ".s3"),
		VpcEndpointType: ec2types.VpcEndpointTypeGateway, RouteTableIds: []string{table}, PolicyDocument: s(policy)})
	e.check("gateway endpoint", err)
	return *out.VpcEndpoint.VpcEndpointId
}

// aclEntry is one allow entry of a network ACL (TCP).
type aclEntry struct {
	rule     int32
	egress   bool
	cidr     string
	from, to int32
}

// networkACL creates a network ACL in the VPC with the allow entries (AWS
// adds the implicit deny) and associates it with the subnets.
func (e *estate) networkACL(vpc string, subnets []string, entries ...aclEntry) string {
	c := e.ec2()
	acl, err := c.CreateNetworkAcl(e.ctx, &ec2.CreateNetworkAclInput{VpcId: s(vpc)})
	e.check("network acl", err)
	id := *acl.NetworkAcl.NetworkAclId
	for _, en := range entries {
		_, err := c.CreateNetworkAclEntry(e.ctx, &ec2.CreateNetworkAclEntryInput{NetworkAclId: s(id), RuleNumber: sdkaws.Int32(en.rule),
			Egress: sdkaws.Bool(en.egress), Protocol: s("6"), RuleAction: ec2types.RuleActionAllow, CidrBlock: s(en.cidr),
			PortRange: &ec2types.PortRange{From: sdkaws.Int32(en.from), To: sdkaws.Int32(en.to)}})
		e.check("network acl entry", err)
	}
	for _, sub := range subnets {
		cur, err := c.DescribeNetworkAcls(e.ctx, &ec2.DescribeNetworkAclsInput{Filters: []ec2types.Filter{{Name: s("association.subnet-id"), Values: []string{sub}}}})
		e.check("network acl of "+sub, err)
		for _, a := range cur.NetworkAcls {
			for _, as := range a.Associations {
				if sdkaws.ToString(as.SubnetId) == sub {
					_, err := c.ReplaceNetworkAclAssociation(e.ctx, &ec2.ReplaceNetworkAclAssociationInput{AssociationId: as.NetworkAclAssociationId, NetworkAclId: s(id)})
					e.check("associate network acl with "+sub, err)
				}
			}
		}
	}
	return id
}

// databaseACL puts the database network's two subnets (publicDatabase's)
// behind a network ACL admitting 5432 from the source block and letting the
// replies out on 1024-65535; with mistake set, the outbound rule mirrors the
// inbound port (the classic stateless mistake: replies are dropped).
func (e *estate) databaseACL(dbNet network, source string, mistake bool) {
	replies := [2]int32{1024, 65535}
	if mistake {
		replies = [2]int32{5432, 5432}
	}
	e.networkACL(dbNet.vpc, []string{dbNet.subnet, e.subnetIn(dbNet.vpc, dbNet.second)},
		aclEntry{100, false, source, 5432, 5432}, aclEntry{100, true, source, replies[0], replies[1]})
}

// subnetIn returns the id of the VPC's subnet with the CIDR block.
func (e *estate) subnetIn(vpc, cidr string) string {
	out, err := e.ec2().DescribeSubnets(e.ctx, &ec2.DescribeSubnetsInput{Filters: []ec2types.Filter{
		{Name: s("vpc-id"), Values: []string{vpc}}, {Name: s("cidr-block"), Values: []string{cidr}}}})
	e.check("subnet "+cidr, err)
	if len(out.Subnets) == 0 {
		e.t.Fatalf("seed: no subnet %s in %s", cidr, vpc)
	}
	return *out.Subnets[0].SubnetId
}

// peeredDatabase seeds issue 14's peered route: a user allowed
// ssm:StartSession, an instance in <app>.0.0/16, a database in <db>.0.0/16
// whose group admits the app VPC on 5432, a peering and the route towards
// the database (and, with back, the return route).
func (e *estate) peeredDatabase(appNet, dbNetPrefix string, back bool) (route, network) {
	u := e.user("ops", map[string]string{"p": doc(allow("ssm:StartSession", "*"))})
	app := e.vpc(appNet+".0.0/16", appNet+".1.0/24", false, "")
	dbNet := e.vpc(dbNetPrefix+".0.0/16", dbNetPrefix+".1.0/24", false, appNet+".0.0/16", 5432)
	inst := e.instance(app, instanceOpts{})
	db := e.publicDatabase("ledger", dbNet, false)
	pcx := e.peering(app.vpc, dbNet.vpc)
	e.route(e.mainRouteTable(app.vpc), dbNetPrefix+".0.0/16", func(in *ec2.CreateRouteInput) { in.VpcPeeringConnectionId = s(pcx) })
	if back {
		e.route(e.mainRouteTable(dbNet.vpc), appNet+".0.0/16", func(in *ec2.CreateRouteInput) { in.VpcPeeringConnectionId = s(pcx) })
	}
	return route{from: u, via: []string{inst, db}}, dbNet
}
