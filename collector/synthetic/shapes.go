package synthetic

import (
	"strconv"
	"strings"

	"github.com/breachpath/breachpath/graph"
)

// has reports whether the scope's cloud has the logical type.
func (s *scope) has(t rtype) bool { return s.v[t].id != nil }

func o() nodeOpts { return nodeOpts{team: -1} }

func (n nodeOpts) in(region string) nodeOpts            { n.region = region; return n }
func (n nodeOpts) under(parent string) nodeOpts         { n.parent = parent; return n }
func (n nodeOpts) classed(c graph.Sensitivity) nodeOpts { n.class = c; return n }
func (n nodeOpts) jewel() nodeOpts                      { n.crown = true; return n }
func (n nodeOpts) with(p graph.Props) nodeOpts          { n.props = p; return n }
func (n nodeOpts) ownedBy(team int) nodeOpts            { n.team = team; return n }

// skeleton creates the account, its organisation link, networks, keys and
// the shared IAM groups and policies every scope has.
func (s *scope) skeleton() {
	s.accountID = s.v[tAccount].id(s, s.regions[0], s.label, 0)
	s.add(tAccount, s.label, o())
	var orgNode graph.Node
	switch s.cloud {
	case graph.CloudAWS:
		orgNode = graph.Node{ID: s.org.awsOrgNode(), Kind: graph.KindOrganization, Cloud: s.cloud,
			NativeType: "AWS::Organizations::Organization", Name: s.org.awsOrgID, Account: s.org.mgmtAccount,
			Region: "global", Service: "organizations"}
	case graph.CloudAzure:
		orgNode = graph.Node{ID: s.org.azureOrgNode(), Kind: graph.KindOrganization, Cloud: s.cloud,
			NativeType: "Microsoft.Entra/tenants", Name: "northwind.example", Account: s.org.tenantID,
			Region: "global", Service: "entra"}
	case graph.CloudGCP:
		orgNode = graph.Node{ID: s.org.gcpOrgNode(), Kind: graph.KindOrganization, Cloud: s.cloud,
			NativeType: "cloudresourcemanager.googleapis.com/Organization", Name: "northwind.example", Account: s.org.gcpOrgNum,
			Region: "global", Service: "cloudresourcemanager"}
	}
	if s.owner {
		s.snap.Nodes = append(s.snap.Nodes, orgNode)
		s.owned++
	} else {
		s.stub(orgNode)
	}
	s.fact(orgNode.ID, graph.EdgeContains, s.accountID)

	for _, r := range s.regions {
		if s.has(tResourceGroup) {
			s.add(tResourceGroup, s.resourceGroup(r), o().in(r))
		}
		s.nets = append(s.nets, s.network(r))
		key := s.add(tKey, s.name("cmk", s.label), o().in(r).under(s.azParent(tKey, r)))
		s.keys = append(s.keys, key)
	}
	groups := []string{"developers", "operators", "auditors", "data-analysts", "oncall"}
	policies := []string{"read-only", "app-data-access", "deploy", "logging"}
	if s.budget < 500 {
		// tiny estates keep a lean skeleton so planted paths still fit
		groups, policies = groups[:2], policies[:2]
	}
	for _, g := range groups {
		s.groups = append(s.groups, s.add(tGroup, s.globalName(s.label, g), o()))
	}
	for _, p := range policies {
		pol := s.add(tPolicy, s.name(s.label, p), o())
		s.policies = append(s.policies, pol)
	}
	for i, g := range s.groups {
		s.fact(g, graph.EdgePolicyAttached, s.policies[i%len(s.policies)])
		s.fact(g, graph.EdgePolicyAttached, s.policies[(i+1)%len(s.policies)])
	}
}

// network builds one region's network: VPC/VNet/VPC network, subnets, route
// tables, gateways and the standard firewall rule sets.
func (s *scope) network(r string) netInfo {
	n := netInfo{region: r}
	vnetName := "vpc-" + s.label + "-" + r
	n.network = s.add(tNetwork, vnetName, o().in(r))
	var igw, nat string
	if s.has(tGateway) {
		igw = s.add(tGateway, s.name("igw", s.label), o().in(r))
		s.fact(igw, graph.EdgeInNetwork, n.network)
	}
	nat = s.add(tNAT, s.name("nat", s.label), o().in(r))
	n.nat = nat
	s.fact(nat, graph.EdgeInNetwork, n.network)
	if igw == "" {
		igw = nat // Azure and GCP route to the Internet through the platform; NAT stands in
	}
	subParent := ""
	if s.cloud == graph.CloudAzure {
		subParent = vnetName + "/subnets/"
	}
	var nacl string
	if s.has(tNACL) {
		nacl = s.add(tNACL, s.name("acl", s.label), o().in(r))
		s.fact(nacl, graph.EdgeInNetwork, n.network)
	}
	tiers := []string{"public-a", "public-b", "private-a", "private-b", "data-a"}
	if s.budget < 500 {
		tiers = []string{"public-a", "private-a", "data-a"}
	}
	for _, tier := range tiers {
		sub := s.add(tSubnet, s.label+"-"+tier, o().in(r).under(subParent))
		s.fact(sub, graph.EdgeInNetwork, n.network)
		if nacl != "" {
			s.fact(sub, graph.EdgeProtectedBy, nacl)
		}
		if strings.HasPrefix(tier, "public") {
			n.public = append(n.public, sub)
			s.fact(sub, graph.EdgeRoutesTo, igw)
		} else {
			n.private = append(n.private, sub)
			s.fact(sub, graph.EdgeRoutesTo, nat)
		}
	}
	for _, rt := range []struct{ name, gw string }{{"public", igw}, {"private", nat}} {
		rtb := s.add(tRouteTable, s.name("rt", s.label, rt.name), o().in(r))
		s.fact(rtb, graph.EdgeInNetwork, n.network)
		s.fact(rtb, graph.EdgeRoutesTo, rt.gw)
	}
	fw := func(tier string) string {
		id := s.add(tFirewall, s.name(s.fwPrefix(), s.label, tier), o().in(r))
		s.fact(id, graph.EdgeInNetwork, n.network)
		return id
	}
	n.sgWeb, n.sgApp, n.sgDB, n.sgMgmt = fw("web"), fw("app"), fw("db"), fw("mgmt")
	return n
}

func (s *scope) fwPrefix() string {
	switch s.cloud {
	case graph.CloudAzure:
		return "nsg"
	case graph.CloudGCP:
		return "fw"
	}
	return "sg"
}

// net returns the network of a random region of the scope.
func (s *scope) net() *netInfo { return &s.nets[s.rng.IntN(len(s.nets))] }

// vm creates a virtual machine with its interface, placed in a public or
// private subnet and protected by fw (a fresh rule set when fw is empty is
// the caller's job). It returns the VM id.
func (s *scope) vm(n *netInfo, name string, public bool, fw string, props graph.Props) string {
	subnets := n.private
	if public {
		subnets = n.public
	}
	sub := subnets[s.rng.IntN(len(subnets))]
	id := s.add(tVM, name, o().in(n.region).with(props))
	s.fact(id, graph.EdgeInSubnet, sub)
	s.fact(id, graph.EdgeProtectedBy, fw)
	if s.has(tNIC) {
		nic := s.add(tNIC, name+"-nic", o().in(n.region))
		s.fact(id, graph.EdgeHasInterface, nic)
		s.fact(nic, graph.EdgeInSubnet, sub)
		s.fact(nic, graph.EdgeProtectedBy, fw)
	}
	if public {
		ip := s.add(tPublicIP, name+"-ip", o().in(n.region))
		s.fact(id, graph.EdgeHasEndpoint, ip)
	}
	return id
}

// identity gives a workload its identity the way the cloud does it (an
// instance profile holding a role, a managed identity, a service account),
// with an attached policy, and returns the identity id.
func (s *scope) identity(workload, name, region string, mode runMode) (id, policy string) {
	idName := name
	if s.cloud == graph.CloudGCP && len(idName) > 28 {
		idName = idName[:24] + s.uniq() // service account ids are at most 30 characters
	}
	id = s.add(tIdentity, idName, o().in(region))
	policy = s.add(tPolicy, s.name(name, "policy"), o().in(region))
	s.fact(id, graph.EdgePolicyAttached, policy)
	if workload != "" && mode != noRun {
		if mode == runProfile && s.has(tProfile) {
			prof := s.add(tProfile, name, o())
			s.fact(workload, graph.EdgeRunsAs, prof)
			s.fact(prof, graph.EdgeProfileContains, id)
		} else {
			s.fact(workload, graph.EdgeRunsAs, id)
		}
	}
	return id, policy
}

// runMode says how a workload gets its identity.
type runMode int

const (
	noRun      runMode = iota // identity not attached to a workload
	runDirect                 // RUNS_AS the identity (Lambda role, managed identity, service account)
	runProfile                // through an instance profile where the cloud has them (EC2)
)

// nodeCopy returns a copy of a node this scope added recently.
func (s *scope) nodeCopy(id string) graph.Node {
	for i := len(s.snap.Nodes) - 1; i >= 0; i-- {
		if s.snap.Nodes[i].ID == id {
			return s.snap.Nodes[i]
		}
	}
	panic("synthetic: node " + id + " not in scope") // programming error
}

// store creates a data store of type t with its classification tag and
// encryption key and returns its id.
func (s *scope) store(t rtype, n *netInfo, base string, class graph.Sensitivity, crown bool) string {
	return s.storeEnc(t, n, base, class, crown, true)
}

// storeEnc is store with the encryption at rest stated: databases carry the
// "encrypted" property the real collectors set, and an unencrypted store has
// no ENCRYPTED_BY key.
func (s *scope) storeEnc(t rtype, n *netInfo, base string, class graph.Sensitivity, crown, encrypted bool) string {
	opts := o().classed(class)
	if crown {
		opts = opts.jewel()
	}
	return s.storeOpts(t, n, base, opts, encrypted)
}

// storeOpts is storeEnc with the node options given (other tag
// conventions, classifier results, inherited levels).
func (s *scope) storeOpts(t rtype, n *netInfo, base string, opts nodeOpts, encrypted bool) string {
	name := base
	if t == tBucket {
		name = s.globalName(base)
	} else {
		name = s.name(base)
	}
	opts = opts.in(n.region).under(s.azParent(t, n.region))
	if t == tDatabase || t == tTable {
		if opts.props == nil {
			opts.props = graph.Props{}
		}
		opts.props["encrypted"] = encrypted
	}
	id := s.add(t, name, opts)
	if encrypted && (t != tTopic && t != tQueue || s.rng.IntN(2) == 0) {
		s.fact(id, graph.EdgeEncryptedBy, s.keys[s.rng.IntN(len(s.keys))])
	}
	if t == tDatabase {
		s.fact(id, graph.EdgeInSubnet, n.private[len(n.private)-1])
		s.fact(id, graph.EdgeProtectedBy, n.sgDB)
	}
	return id
}

// firewall creates a dedicated rule set (the "launch-wizard-3" security
// group a misconfiguration usually lives on).
func (s *scope) firewall(n *netInfo, name string) string {
	id := s.add(tFirewall, s.name(name), o().in(n.region))
	s.fact(id, graph.EdgeInNetwork, n.network)
	return id
}

func port(p int64) graph.Props { return graph.Props{"port": p, "protocol": "tcp"} }

func itoa(i int) string { return strconv.Itoa(i) }
