package terraform

import (
	"github.com/breachpath/breachpath/collector/aws/inventory"
)

// VPC networking: what decides whether a subnet is reachable from the
// Internet (a default route to an attached internet gateway).

// netID returns a network resource's id: known, else a placeholder with the
// prefix AWS gives the kind (the transform recognises an internet gateway
// by its "igw-" prefix).
func netID(r resource, prefix string) string {
	if id := r.obj.str("id"); id != "" && !r.obj.isUnknown("id") {
		return id
	}
	return prefix + "-tf-" + sanitize(r.addr)
}

func (b *builder) primaryNetwork(r resource) {
	o := r.obj
	switch r.typ {
	case "aws_vpc":
		v := &inventory.VPC{ID: netID(r, "vpc"), OwnerID: b.opts.AccountID, Tags: o.tags()}
		if c := o.str("cidr_block"); c != "" {
			v.CIDRBlocks = []string{c}
		}
		v.ARN = b.arn("ec2", b.opts.Region, "vpc/"+v.ID)
		put(b.vpcs, v, r.addr, []string{v.ID})
		b.own(v.ARN, r.addr)
		b.netOwner[v.ID] = r.addr
	case "aws_subnet":
		s := &inventory.Subnet{ID: netID(r, "subnet"), CIDRBlock: o.str("cidr_block"), AvailabilityZone: o.str("availability_zone"), Tags: o.tags()}
		s.MapPublicIPOnLaunch, _ = o.boolean("map_public_ip_on_launch")
		s.ARN = b.arn("ec2", b.opts.Region, "subnet/"+s.ID)
		put(b.subnets, s, r.addr, []string{s.ID})
		b.own(s.ARN, r.addr)
		b.netOwner[s.ID] = r.addr
	case "aws_internet_gateway":
		g := &inventory.InternetGateway{ID: netID(r, "igw"), Tags: o.tags()}
		put(b.igws, g, r.addr, []string{g.ID})
		b.own(b.arn("ec2", b.opts.Region, "internet-gateway/"+g.ID), r.addr)
		b.netOwner[g.ID] = r.addr
	case "aws_nat_gateway":
		g := &inventory.NATGateway{ID: netID(r, "nat"), ConnectivityType: o.str("connectivity_type"), State: "available", Tags: o.tags()}
		put(b.nats, g, r.addr, []string{g.ID})
		b.own(b.arn("ec2", b.opts.Region, "natgateway/"+g.ID), r.addr)
		b.netOwner[g.ID] = r.addr
	case "aws_route_table":
		t := &inventory.RouteTable{ID: netID(r, "rtb"), Tags: o.tags()}
		put(b.routeTables, t, r.addr, []string{t.ID})
		b.own(b.arn("ec2", b.opts.Region, "route-table/"+t.ID), r.addr)
		b.netOwner[t.ID] = r.addr
	}
}

// attachNetwork resolves the references between network resources, after
// every primary one is known.
func (b *builder) attachNetwork(r resource) {
	o := r.obj
	switch r.typ {
	case "aws_subnet":
		s := b.subnets[r.addr]
		s.VPCID = b.vpcRef(r, "vpc_id")
	case "aws_internet_gateway":
		g := b.igws[r.addr]
		if v := b.vpcRef(r, "vpc_id"); v != "" {
			g.VPCs = appendUnique(g.VPCs, v)
		}
	case "aws_internet_gateway_attachment":
		v, addrs := b.ref(r, "internet_gateway_id")
		g := lookup(b.igws, v, addrs)
		if g == nil {
			if v == "" {
				return
			}
			g = &inventory.InternetGateway{ID: v}
			put(b.igws, g, "", []string{v})
		}
		if vpc := b.vpcRef(r, "vpc_id"); vpc != "" {
			g.VPCs = appendUnique(g.VPCs, vpc)
		}
		b.netCause(g.ID, r.addr)
	case "aws_nat_gateway":
		g := b.nats[r.addr]
		g.SubnetID = b.subnetRef(r, "subnet_id")
		if s := b.subnets[g.SubnetID]; s != nil {
			g.VPCID = s.VPCID
		}
	case "aws_route_table":
		t := b.routeTables[r.addr]
		t.VPCID = b.vpcRef(r, "vpc_id")
		for i, rt := range o.blocks("route") {
			t.Routes = append(t.Routes, b.route(r, rt, i))
		}
	case "aws_route":
		t := b.routeTableFor(r, "route_table_id")
		if t == nil {
			return
		}
		t.Routes = append(t.Routes, b.route(r, o, -1))
		b.netCause(t.ID, r.addr)
	case "aws_route_table_association":
		t := b.routeTableFor(r, "route_table_id")
		if t == nil {
			return
		}
		if s := b.subnetRef(r, "subnet_id"); s != "" {
			t.Associations = append(t.Associations, inventory.RouteTableAssociation{SubnetID: s})
			b.netCause(s, r.addr)
		}
		b.netCause(t.ID, r.addr)
	case "aws_main_route_table_association":
		t := b.routeTableFor(r, "route_table_id")
		if t == nil {
			return
		}
		t.Associations = append(t.Associations, inventory.RouteTableAssociation{Main: true})
		if t.VPCID == "" {
			t.VPCID = b.vpcRef(r, "vpc_id")
		}
		b.netCause(t.ID, r.addr)
	}
}

// route reads one route (an aws_route resource, or a route block when i >= 0).
func (b *builder) route(r resource, o object, i int) inventory.Route {
	dst, dst6 := "destination_cidr_block", "destination_ipv6_cidr_block"
	where := r.addr
	if i >= 0 {
		dst, dst6 = "cidr_block", "ipv6_cidr_block"
		where = r.addr + " route"
	}
	rt := inventory.Route{DestinationCIDR: o.str(dst), DestinationIPv6CIDR: o.str(dst6), State: "active"}
	if o.isUnknown(dst) {
		b.assume("%s destination is unknown until apply: assumed 0.0.0.0/0", where)
		rt.DestinationCIDR = "0.0.0.0/0"
	}
	gw := o.str("gateway_id")
	if gw == "" || o.isUnknown("gateway_id") {
		if i < 0 {
			v, addrs := b.ref(r, "gateway_id")
			if g := lookup(b.igws, v, addrs); g != nil {
				gw = g.ID
			}
		} else {
			// a route block's references are the route_table's "route" expression
			for _, a := range b.refs[r.addr+"\x00route"] {
				if g, ok := b.igws[a]; ok {
					gw = g.ID
				}
			}
		}
	}
	rt.GatewayID = gw
	nat := o.str("nat_gateway_id")
	if nat == "" && i < 0 {
		v, addrs := b.ref(r, "nat_gateway_id")
		if g := lookup(b.nats, v, addrs); g != nil {
			nat = g.ID
		}
	}
	rt.NatGatewayID = nat
	return rt
}

func (b *builder) vpcRef(r resource, attr string) string {
	v, addrs := b.ref(r, attr)
	if vpc := lookup(b.vpcs, v, addrs); vpc != nil {
		return vpc.ID
	}
	return v
}

func (b *builder) subnetRef(r resource, attr string) string {
	v, addrs := b.ref(r, attr)
	if s := lookup(b.subnets, v, addrs); s != nil {
		return s.ID
	}
	return v
}

// subnetRefs resolves a list of subnet ids, through the configuration when
// unknown.
func (b *builder) subnetRefs(r resource, attr string) []string {
	return b.refList(r, attr, func(a string) string {
		if s := b.subnets[a]; s != nil {
			return s.ID
		}
		return ""
	})
}

func (b *builder) routeTableFor(r resource, attr string) *inventory.RouteTable {
	v, addrs := b.ref(r, attr)
	if t := lookup(b.routeTables, v, addrs); t != nil {
		return t
	}
	if v == "" {
		return nil
	}
	// a route table outside the plan: the store's, when it has it
	t := b.stored.routeTable(v)
	if t == nil {
		t = &inventory.RouteTable{ID: v}
	}
	put(b.routeTables, t, "", []string{v})
	return t
}

// netCause records that addr changes the routing of the network resource
// id (a subnet, route table or gateway): every workload placed behind it
// is attributed to addr.
func (b *builder) netCause(id, addr string) {
	b.netCauses[id] = appendUnique(b.netCauses[id], addr)
}
