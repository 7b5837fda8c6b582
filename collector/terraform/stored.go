package terraform

import (
	"sort"
	"strings"

	"github.com/breachpath/breachpath/collector/aws/inventory"
	"github.com/breachpath/breachpath/graph"
)

// Stored is the stored estate as the plan's builder sees it: the resources
// a plan references without holding them (a role a new policy attaches to,
// a security group a new rule joins, the instance profile a new instance
// runs as, the subnet it lands in) and the sensitive data a changed
// identity policy may reach. They are rebuilt as inventory items from the
// stored nodes and fact edges, identically on both sides of the change, so
// that the unchanged AWS transform draws the moves the change adds between
// planned and stored resources, and only those (the overlay keeps every
// stored node and move as it is).
//
// What the store does not keep is not rebuilt: rules of stored security
// groups, resource policies of stored data, trust policies of stored roles.
// Each side lacks them equally, so they open and close nothing; a stored
// resource policy that would deny what a planned identity policy allows is
// not seen (the gate then reports a path that may not exist: the safe
// error).
type Stored struct {
	nodes  map[string]*graph.Node
	byName map[string][]*graph.Node // native type + "\x00" + name
	out    map[string][]*graph.Edge // facts by source
	in     map[string][]*graph.Edge // facts by target
	// used lists what the builder took, for the assumptions
	used map[string]bool
}

// StoredFacts are the fact edges NewStored reads: load them with the
// stored graph (graph.Filter.KeepFacts).
func StoredFacts() []graph.EdgeKind {
	return []graph.EdgeKind{graph.EdgeMemberOf, graph.EdgeInSubnet, graph.EdgeInNetwork, graph.EdgeProtectedBy,
		graph.EdgeRoutesTo, graph.EdgeProfileContains}
}

// NewStored indexes the resources of one AWS account in a stored graph
// (nil: no store). Other accounts' resources are left out: the plan's
// inventories describe its account only.
func NewStored(g *graph.Graph, account string) *Stored {
	if g == nil {
		return nil
	}
	s := &Stored{nodes: map[string]*graph.Node{}, byName: map[string][]*graph.Node{},
		out: map[string][]*graph.Edge{}, in: map[string][]*graph.Edge{}, used: map[string]bool{}}
	for i := range g.Nodes {
		n := &g.Nodes[i]
		if !strings.HasPrefix(n.ID, "arn:") || nodeAccount(n) != account {
			continue
		}
		s.nodes[n.ID] = n
		if n.NativeType != "" {
			k := n.NativeType + "\x00" + arnName(n.ID)
			s.byName[k] = append(s.byName[k], n)
		}
	}
	facts := map[graph.EdgeKind]bool{}
	for _, k := range StoredFacts() {
		facts[k] = true
	}
	for i := range g.Edges {
		e := &g.Edges[i]
		if facts[e.Kind] {
			s.out[e.From] = append(s.out[e.From], e)
			s.in[e.To] = append(s.in[e.To], e)
		}
	}
	return s
}

// nodeAccount is the account a stored node belongs to: its Account, else
// the one its ARN names.
func nodeAccount(n *graph.Node) string {
	if n.Account != "" {
		return n.Account
	}
	if parts := strings.SplitN(n.ID, ":", 6); len(parts) == 6 {
		return parts[4]
	}
	return ""
}

// arnName is the last path segment of an ARN ("role/team/app" -> "app").
func arnName(arn string) string {
	return lastSegment(lastColon(arn))
}

// byNative finds a stored node by native type and name or id.
func (s *Stored) byNative(native, ref string) *graph.Node {
	if s == nil || ref == "" {
		return nil
	}
	if n := s.nodes[ref]; n != nil && n.NativeType == native {
		return n
	}
	if ns := s.byName[native+"\x00"+ref]; len(ns) == 1 {
		return ns[0]
	}
	return nil
}

func (s *Stored) use(id string) { s.used[id] = true }

// role returns the stored role a plan names by name or ARN.
func (s *Stored) role(ref string) *inventory.Role {
	n := s.byNative("AWS::IAM::Role", ref)
	if n == nil {
		return nil
	}
	s.use(n.ID)
	return &inventory.Role{Name: n.Name, Path: arnPath(n.ID), ARN: n.ID, TrustPolicy: `{"Version":"2012-10-17","Statement":[]}`}
}

// user returns the stored user a plan names by name or ARN.
func (s *Stored) user(ref string) *inventory.User {
	n := s.byNative("AWS::IAM::User", ref)
	if n == nil {
		return nil
	}
	s.use(n.ID)
	return &inventory.User{Name: arnName(n.ID), Path: arnPath(n.ID), ARN: n.ID, Tags: inventory.Tags(n.Tags)}
}

// profile returns the stored instance profile a plan names, with its roles.
func (s *Stored) profile(ref string) (*inventory.InstanceProfile, []*inventory.Role) {
	n := s.byNative("AWS::IAM::InstanceProfile", ref)
	if n == nil {
		return nil, nil
	}
	s.use(n.ID)
	p := &inventory.InstanceProfile{Name: arnName(n.ID), Path: arnPath(n.ID), ARN: n.ID}
	var roles []*inventory.Role
	for _, e := range s.out[n.ID] {
		if e.Kind == graph.EdgeProfileContains {
			if r := s.role(e.To); r != nil {
				p.Roles = append(p.Roles, r.ARN)
				r.InstanceProfiles = []string{p.ARN}
				roles = append(roles, r)
			}
		}
	}
	return p, roles
}

// subnet returns a stored subnet with the route table it uses and that
// table's routes to gateways (the ROUTES_TO facts carry destinations).
func (s *Stored) subnet(id string) (*inventory.Subnet, *inventory.RouteTable) {
	n := s.byNative("AWS::EC2::Subnet", id)
	if n == nil {
		return nil, nil
	}
	s.use(n.ID)
	sub := &inventory.Subnet{ID: arnName(n.ID), ARN: n.ID}
	if c, ok := n.Props["cidr_block"].(string); ok {
		sub.CIDRBlock = c
	}
	for _, e := range s.out[n.ID] {
		if e.Kind == graph.EdgeInNetwork {
			sub.VPCID = arnName(e.To)
		}
	}
	for _, e := range s.out[n.ID] {
		if e.Kind != graph.EdgeRoutesTo {
			continue
		}
		if t := s.routeTableNode(e.To, sub.VPCID); t != nil {
			t.Associations = []inventory.RouteTableAssociation{{SubnetID: sub.ID}}
			return sub, t
		}
	}
	return sub, nil
}

// routeTable returns a stored route table by id, with its gateway routes.
func (s *Stored) routeTable(id string) *inventory.RouteTable {
	n := s.byNative("AWS::EC2::RouteTable", id)
	if n == nil {
		return nil
	}
	return s.routeTableNode(n.ID, "")
}

func (s *Stored) routeTableNode(id, vpc string) *inventory.RouteTable {
	n := s.nodes[id]
	if n == nil || n.NativeType != "AWS::EC2::RouteTable" {
		return nil
	}
	s.use(n.ID)
	t := &inventory.RouteTable{ID: arnName(n.ID), VPCID: vpc}
	for _, e := range s.out[n.ID] {
		switch e.Kind {
		case graph.EdgeInNetwork:
			t.VPCID = arnName(e.To)
		case graph.EdgeRoutesTo:
			gw := arnName(e.To)
			dsts, _ := e.Props["destinations"].([]string)
			if len(dsts) == 0 {
				if l, ok := e.Props["destinations"].([]any); ok {
					for _, d := range l {
						if ds, ok := d.(string); ok {
							dsts = append(dsts, ds)
						}
					}
				}
			}
			for _, d := range dsts {
				rt := inventory.Route{GatewayID: gw, State: "active"}
				if strings.HasPrefix(gw, "nat-") {
					rt.GatewayID, rt.NatGatewayID = "", gw
				}
				if strings.Contains(d, ":") {
					rt.DestinationIPv6CIDR = d
				} else {
					rt.DestinationCIDR = d
				}
				t.Routes = append(t.Routes, rt)
			}
		}
	}
	return t
}

// dbMembers returns the stored database instances a security group
// protects, with their public flag, port, subnets and groups as stored.
func (s *Stored) dbMembers(sgARN string) []inventory.DBInstance {
	if s == nil {
		return nil
	}
	var out []inventory.DBInstance
	for _, e := range s.in[sgARN] {
		n := s.nodes[e.From]
		if e.Kind != graph.EdgeProtectedBy || n == nil || n.NativeType != "AWS::RDS::DBInstance" {
			continue
		}
		s.use(n.ID)
		db := inventory.DBInstance{ID: arnName(n.ID), ARN: n.ID, Tags: inventory.Tags(n.Tags), StorageEncrypted: true}
		db.PubliclyAccessible, _ = n.Props["publicly_accessible"].(bool)
		db.Engine, _ = n.Props["engine"].(string)
		switch p := n.Props["port"].(type) {
		case int64:
			db.EndpointPort = int32(p)
		case float64:
			db.EndpointPort = int32(p)
		}
		if enc, ok := n.Props["encrypted"].(bool); ok {
			db.StorageEncrypted = enc
		}
		db.SubnetIDs, db.SecurityGroupIDs = s.placement(n.ID)
		out = append(out, db)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ARN < out[j].ARN })
	return out
}

// placement returns a stored workload's subnets and security groups.
func (s *Stored) placement(id string) (subnets, groups []string) {
	for _, f := range s.out[id] {
		switch f.Kind {
		case graph.EdgeInSubnet:
			subnets = append(subnets, arnName(f.To))
		case graph.EdgeProtectedBy:
			if g := s.nodes[f.To]; g != nil && g.NativeType == "AWS::EC2::SecurityGroup" {
				groups = append(groups, arnName(f.To))
			}
		}
	}
	sort.Strings(subnets)
	sort.Strings(groups)
	return subnets, groups
}

// members returns the stored instances a security group protects, with
// their public address, subnets and groups as stored.
func (s *Stored) members(sgARN string) []inventory.Instance {
	if s == nil {
		return nil
	}
	var out []inventory.Instance
	for _, e := range s.in[sgARN] {
		n := s.nodes[e.From]
		if e.Kind != graph.EdgeProtectedBy || n == nil || n.NativeType != "AWS::EC2::Instance" {
			continue
		}
		s.use(n.ID)
		in := inventory.Instance{ID: arnName(n.ID), ARN: n.ID, State: "running", Tags: inventory.Tags(n.Tags)}
		if ip, ok := n.Props["public_ip"].(string); ok {
			in.PublicIP = ip
		}
		if ip, ok := n.Props["private_ip"].(string); ok {
			in.PrivateIP = ip
		}
		var subnets []string
		subnets, in.SecurityGroupIDs = s.placement(n.ID)
		if len(subnets) > 0 {
			in.SubnetID = subnets[0]
		}
		out = append(out, in)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ARN < out[j].ARN })
	return out
}

// groupMembers returns the names of the stored users in a group.
func (s *Stored) groupMembers(groupARN string) []string {
	if s == nil {
		return nil
	}
	var out []string
	for _, e := range s.in[groupARN] {
		if e.Kind == graph.EdgeMemberOf {
			out = append(out, arnName(e.From))
		}
	}
	sort.Strings(out)
	return out
}

// addTargets adds to the builder what a changed plan needs from the store:
// the members (instances, database instances) of stored security groups
// the plan adds rules to, the
// members of stored groups whose policies change, and — when the plan
// changes identity policies — the stored sensitive data they may reach.
func (s *Stored) addTargets(b *builder) {
	if s == nil {
		return
	}
	reg := b.inv.Region(b.opts.Region)
	have := map[string]bool{}
	for _, in := range reg.Instances {
		have[in.ARN] = true
	}
	for _, g := range uniqueGroups(b.groups) {
		if b.owners[g.ARN] != "" {
			continue // planned: its members are planned too
		}
		for _, in := range s.members(g.ARN) {
			if !have[in.ARN] {
				have[in.ARN] = true
				reg.Instances = append(reg.Instances, in)
			}
		}
		for _, db := range s.dbMembers(g.ARN) {
			if lookup(b.dbs, db.ARN, nil) == nil {
				put(b.dbs, &db, "", []string{db.ARN, db.ID})
			}
		}
	}
	for _, gc := range b.groupCauses {
		g := b.iamGroups[gc[0]]
		if g == nil {
			continue
		}
		for _, name := range s.groupMembers(g.ARN) {
			u := b.userNamed(name, "")
			u.Groups = appendUnique(u.Groups, g.Name)
		}
	}
	if !b.principalsInPlan {
		return
	}
	for _, n := range s.sortedNodes() {
		if !n.CrownJewel && n.Sensitivity == graph.SensitivityNone {
			continue
		}
		if b.owners[n.ID] != "" {
			continue
		}
		region := n.Region
		if region == "" {
			region = b.opts.Region
		}
		name := arnName(n.ID)
		tags := inventory.Tags(n.Tags)
		switch n.NativeType {
		case "AWS::S3::Bucket":
			if lookup(b.buckets, n.ID, nil) == nil {
				put(b.buckets, &inventory.Bucket{Name: name, ARN: n.ID, Region: region, Tags: tags}, "", []string{n.ID, name})
			}
		case "AWS::SecretsManager::Secret":
			if lookup(b.secrets, n.ID, nil) == nil {
				put(b.secrets, &inventory.Secret{Name: n.Name, ARN: n.ID, Tags: tags}, "", []string{n.ID})
			}
		case "AWS::KMS::Key":
			if lookup(b.keys, n.ID, nil) == nil {
				put(b.keys, &inventory.KMSKey{ID: name, ARN: n.ID, KeyManager: "CUSTOMER", KeyState: "Enabled", Enabled: true, Tags: tags}, "", []string{n.ID})
			}
		case "AWS::SQS::Queue":
			if lookup(b.queues, n.ID, nil) == nil {
				put(b.queues, &inventory.Queue{Name: name, ARN: n.ID, Tags: tags}, "", []string{n.ID})
			}
		case "AWS::SNS::Topic":
			if lookup(b.topics, n.ID, nil) == nil {
				put(b.topics, &inventory.Topic{Name: name, ARN: n.ID, Tags: tags}, "", []string{n.ID})
			}
		case "AWS::DynamoDB::Table":
			reg.Tables = append(reg.Tables, inventory.DynamoDBTable{Name: name, ARN: n.ID, Tags: tags})
		default:
			continue
		}
		s.use(n.ID)
	}
}

func (s *Stored) sortedNodes() []*graph.Node {
	out := make([]*graph.Node, 0, len(s.nodes))
	for _, n := range s.nodes {
		out = append(out, n)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}

// arnPath is an IAM ARN's path ("role/team/app" -> "/team/").
func arnPath(arn string) string {
	res := lastColon(arn)
	parts := strings.Split(res, "/")
	if len(parts) <= 2 {
		return "/"
	}
	return "/" + strings.Join(parts[1:len(parts)-1], "/") + "/"
}
