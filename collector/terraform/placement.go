package terraform

import (
	"github.com/breachpath/breachpath/collector/aws/inventory"
)

// placeDatabases puts planned database instances in the subnets of their
// subnet group, and cluster instances in their cluster.
func (b *builder) placeDatabases() {
	for _, p := range b.dbPlaced {
		db, r := p.db, p.r
		if cv, caddrs := b.ref(r, "cluster_identifier"); cv != "" || len(caddrs) > 0 {
			if c := lookup(b.clusters, cv, caddrs); c != nil {
				db.ClusterID = c.ID
				c.Members = appendUnique(c.Members, db.ID)
				if len(db.SecurityGroupIDs) == 0 {
					db.SecurityGroupIDs = c.SecurityGroupIDs
				}
			}
		}
		gv, gaddrs := b.ref(r, "db_subnet_group_name")
		g := lookup(b.subnetGroups, gv, gaddrs)
		if g == nil && db.ClusterID != "" {
			if c := b.clusters[db.ClusterID]; c != nil {
				g = b.subnetGroups[c.SubnetGroup]
			}
		}
		if g != nil {
			db.SubnetGroup = g.name
			db.SubnetIDs = b.subnetRefs(g.r, "subnet_ids")
			b.causesVia(db.ARN, g.r.addr)
		} else {
			db.SubnetGroup = gv
		}
		if len(db.SubnetIDs) == 0 {
			db.SubnetIDs = []string{"subnet-tf-" + sanitize(r.addr)}
		}
	}
}

func (b *builder) causesVia(id, addr string) {
	b.via[id] = appendUnique(b.via[id], addr)
}

// networkContext places every workload in its subnets: planned subnets as
// planned, subnets only the store holds as stored (with their route
// tables), and any other subnet — the plan does not carry the route tables
// of subnets it does not manage, and no store was given or it lacks them —
// as routed to an internet gateway with AWS's default network ACL, the same
// on both sides of the change, so that only the change itself can open or
// close a path (said in the assumptions).
func (b *builder) networkContext(reg *inventory.RegionData) {
	assumed := false
	place := func(subnet string) string {
		if s := b.subnets[subnet]; s != nil {
			return s.VPCID
		}
		if s, rt := b.stored.subnet(subnet); s != nil {
			put(b.subnets, s, "", []string{s.ID})
			if rt != nil {
				if old := b.routeTables[rt.ID]; old != nil {
					// a planned route joins the stored table
					old.Associations = append(old.Associations, rt.Associations...)
					old.Routes = append(rt.Routes, old.Routes...)
					if old.VPCID == "" {
						old.VPCID = rt.VPCID
					}
				} else {
					put(b.routeTables, rt, "", []string{rt.ID})
				}
			}
			return s.VPCID
		}
		assumed = true
		const vpc = "vpc-tf-context"
		s := &inventory.Subnet{ID: subnet, ARN: b.arn("ec2", b.opts.Region, "subnet/"+subnet), VPCID: vpc}
		put(b.subnets, s, "", []string{subnet})
		rt := &inventory.RouteTable{ID: "rtb-tf-" + sanitize(subnet), VPCID: vpc,
			Routes:       []inventory.Route{{DestinationCIDR: "0.0.0.0/0", GatewayID: "igw-tf-context"}},
			Associations: []inventory.RouteTableAssociation{{SubnetID: subnet}}}
		put(b.routeTables, rt, "", []string{rt.ID})
		return vpc
	}
	for i := range reg.Instances {
		in := &reg.Instances[i]
		if vpc := place(in.SubnetID); in.VPCID == "" {
			in.VPCID = vpc
		}
		b.viaNetwork(in.ARN, []string{in.SubnetID})
	}
	for _, db := range uniq(b.dbs, func(d *inventory.DBInstance) string { return d.ARN }) {
		for _, s := range db.SubnetIDs {
			if vpc := place(s); db.VPCID == "" {
				db.VPCID = vpc
			}
		}
		b.viaNetwork(db.ARN, db.SubnetIDs)
	}
	if assumed {
		// the assumed gateway is drawn, so that the graph shows the assumption
		put(b.igws, &inventory.InternetGateway{ID: "igw-tf-context", VPCs: []string{"vpc-tf-context"}}, "", []string{"igw-tf-context"})
		put(b.vpcs, &inventory.VPC{ID: "vpc-tf-context", ARN: b.arn("ec2", b.opts.Region, "vpc/vpc-tf-context"), OwnerID: b.opts.AccountID}, "", []string{"vpc-tf-context"})
		b.assume("the route tables of subnets neither the plan nor the store holds are unknown: those subnets are assumed routed to an internet gateway with the default network ACL")
	}
}

// viaNetwork attributes to a workload the network resources that decide
// whether its subnets reach the Internet: the subnets, their route tables
// (explicit, else their VPC's main table) and the routes' gateways.
func (b *builder) viaNetwork(id string, subnets []string) {
	mainRT := map[string]*inventory.RouteTable{}
	bySubnet := map[string]*inventory.RouteTable{}
	for _, t := range uniq(b.routeTables, func(t *inventory.RouteTable) string { return t.ID }) {
		for _, a := range t.Associations {
			if a.Main {
				mainRT[t.VPCID] = t
			}
			if a.SubnetID != "" {
				bySubnet[a.SubnetID] = t
			}
		}
	}
	add := func(netID string) {
		if a := b.netOwner[netID]; a != "" {
			b.causesVia(id, a)
		}
		for _, a := range b.netCauses[netID] {
			b.causesVia(id, a)
		}
	}
	for _, s := range subnets {
		add(s)
		t := bySubnet[s]
		if t == nil {
			if sub := b.subnets[s]; sub != nil {
				t = mainRT[sub.VPCID]
			}
		}
		if t == nil {
			continue
		}
		add(t.ID)
		for _, r := range t.Routes {
			if r.GatewayID != "" {
				add(r.GatewayID)
			}
		}
	}
}

// writeBack puts the builder's resources into the inventory.
func (b *builder) writeBack(reg *inventory.RegionData) {
	for _, u := range uniq(b.users, func(u *inventory.User) string { return u.ARN }) {
		b.inv.IAM.Users = append(b.inv.IAM.Users, *u)
	}
	for _, g := range uniq(b.iamGroups, func(g *inventory.Group) string { return g.ARN }) {
		b.inv.IAM.Groups = append(b.inv.IAM.Groups, *g)
	}
	// group policy changes are attributed to the members, whose moves they change
	for _, gc := range b.groupCauses {
		for _, u := range b.inv.IAM.Users {
			for _, g := range u.Groups {
				if g == gc[0] {
					b.causesVia(u.ARN, gc[1])
				}
			}
		}
	}
	for _, db := range uniq(b.dbs, func(d *inventory.DBInstance) string { return d.ARN }) {
		reg.DBInstances = append(reg.DBInstances, *db)
	}
	for _, c := range uniq(b.clusters, func(c *inventory.DBCluster) string { return c.ARN }) {
		reg.DBClusters = append(reg.DBClusters, *c)
	}
	for _, s := range uniq(b.secrets, func(s *inventory.Secret) string { return s.ARN }) {
		reg.Secrets = append(reg.Secrets, *s)
	}
	for _, k := range uniq(b.keys, func(k *inventory.KMSKey) string { return k.ARN }) {
		reg.KMSKeys = append(reg.KMSKeys, *k)
	}
	for _, q := range uniq(b.queues, func(q *inventory.Queue) string { return q.ARN }) {
		reg.Queues = append(reg.Queues, *q)
	}
	for _, t := range uniq(b.topics, func(t *inventory.Topic) string { return t.ARN }) {
		reg.Topics = append(reg.Topics, *t)
	}
	for _, v := range uniq(b.vpcs, func(v *inventory.VPC) string { return v.ID }) {
		reg.VPCs = append(reg.VPCs, *v)
	}
	for _, s := range uniq(b.subnets, func(s *inventory.Subnet) string { return s.ID }) {
		reg.Subnets = append(reg.Subnets, *s)
	}
	for _, g := range uniq(b.igws, func(g *inventory.InternetGateway) string { return g.ID }) {
		reg.InternetGateways = append(reg.InternetGateways, *g)
	}
	for _, g := range uniq(b.nats, func(g *inventory.NATGateway) string { return g.ID }) {
		reg.NATGateways = append(reg.NATGateways, *g)
	}
	for _, t := range uniq(b.routeTables, func(t *inventory.RouteTable) string { return t.ID }) {
		reg.RouteTables = append(reg.RouteTables, *t)
	}
}
