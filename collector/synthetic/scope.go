package synthetic

import (
	"math/rand/v2"
	"strconv"
	"strings"
	"time"

	"github.com/breachpath/breachpath/graph"
)

// org holds what every scope of the one synthetic organisation shares.
type org struct {
	seed        int64
	mgmtAccount string // AWS management account
	awsOrgID    string // o-xxxxxxxxxx
	tenantID    string // Entra tenant
	gcpOrgNum   string // numeric GCP organisation id
	base        time.Time
	// noStoreTruth: Options.NoStoreTruth, no record of the data stores
	noStoreTruth bool
}

func (o *org) awsOrgNode() string {
	return "arn:aws:organizations::" + o.mgmtAccount + ":organization/" + o.awsOrgID
}
func (o *org) azureOrgNode() string { return "/tenants/" + o.tenantID }
func (o *org) gcpOrgNode() string {
	return "//cloudresourcemanager.googleapis.com/organizations/" + o.gcpOrgNum
}

// team is an owning team; its email goes into the owner tag.
type team struct{ name, email string }

var teams = []team{
	{"payments", "payments-team@northwind.example"},
	{"identity", "identity-team@northwind.example"},
	{"data-platform", "data-platform@northwind.example"},
	{"web", "web-team@northwind.example"},
	{"mobile", "mobile-backend@northwind.example"},
	{"ml", "ml-platform@northwind.example"},
	{"sre", "sre-oncall@northwind.example"},
	{"analytics", "analytics@northwind.example"},
	{"growth", "growth-eng@northwind.example"},
	{"security", "secops@northwind.example"},
}

var envs = []string{"prod", "staging", "dev"}

var classNames = []string{"", "public", "internal", "confidential", "restricted"}

var regionsOf = map[graph.Cloud][]string{
	graph.CloudAWS:   {"us-east-1", "us-west-2", "eu-west-1", "eu-central-1", "ap-southeast-2"},
	graph.CloudAzure: {"eastus", "westeurope", "northeurope", "uksouth"},
	graph.CloudGCP:   {"us-central1", "europe-west1", "asia-northeast1", "us-east4"},
}

// netInfo is the network skeleton of one region of a scope.
type netInfo struct {
	region       string
	network      string
	public       []string // subnets routed to the Internet
	private      []string
	sgWeb, sgApp string // firewall rule sets
	sgDB, sgMgmt string
	nat          string
}

// storeRef is a background data store and its logical type.
type storeRef struct {
	id string
	t  rtype
}

// scope builds the snapshot of one account, subscription or project. It is
// only ever touched by one goroutine at a time.
type scope struct {
	idx     int
	cloud   graph.Cloud
	acct    string // account id, subscription guid, project id
	label   string // team-env, used in names
	team    int
	env     string
	regions []string
	org     *org
	v       *[numTypes]spec
	rng     *rand.Rand
	seq     uint64
	budget  int // owned nodes this scope should end with
	owner   bool

	snap      *graph.Snapshot
	owned     int
	stubs     map[string]bool
	accountID string
	tagCache  map[tagKey]map[string]string
	nets      []netInfo
	keys      []string // encryption keys
	policies  []string // shared managed policies
	groups    []string
	// bg* hold background nodes: moves may leave bgPrincipals and enter
	// bgStores. Nothing reachable from an exposure source is ever in
	// bgPrincipals, which is what keeps background moves off attack paths.
	bgPrincipals []string
	bgStores     []storeRef
	bgVMs        []string
	bgUsers      []string
	bgRoles      []string
	// stores records every data store's planted classification (the
	// sensitivity ground truth), in creation order.
	stores []StoreTruth
}

type tagKey struct {
	team  int
	env   string
	class graph.Sensitivity
}

func newScope(o *org, idx int, cloud graph.Cloud, team int, env string, budget int) *scope {
	s := &scope{
		idx: idx, cloud: cloud, team: team, env: env, org: o, budget: budget,
		v:        vocab[cloud],
		rng:      rand.New(rand.NewPCG(uint64(o.seed), mix64(uint64(idx)+1))),
		stubs:    map[string]bool{},
		tagCache: map[tagKey]map[string]string{},
	}
	s.label = teams[team].name + "-" + env
	s.snap = &graph.Snapshot{
		Scope:       graph.Scope{Cloud: cloud},
		CollectedAt: o.base,
		Collector:   "synthetic",
	}
	// the skeleton, planted paths and decoys are small: the scope's full
	// capacity is allocated when it is filled (Stream.Snapshot), so that a
	// streamed estate holds only the scopes being filled and synced
	return s
}

// token returns a fresh id token unique across the whole estate.
func (s *scope) token() uint64 {
	s.seq++
	return mix64(uint64(s.idx)<<36 | s.seq ^ uint64(s.org.seed)<<1)
}

// uniq returns a short suffix unique within the scope for names. It is
// decimal: base-36 letters would spell words ("hr", "tax", "pii") that the
// sensitivity name rules read, and the generator's record of what each
// store's name means (sensitivity.go) would no longer be the whole truth.
func (s *scope) uniq() string {
	s.seq++
	return strconv.FormatUint(s.seq, 10)
}

func (s *scope) resourceGroup(region string) string {
	return "rg-" + s.label + "-" + region
}

func (s *scope) pick(list []string) string { return list[s.rng.IntN(len(list))] }

// tags returns a shared, read-only tag map for the combination.
func (s *scope) tags(team int, env string, class graph.Sensitivity) map[string]string {
	k := tagKey{team, env, class}
	if m, ok := s.tagCache[k]; ok {
		return m
	}
	m := map[string]string{"owner": teams[team].email, "env": env}
	if class != graph.SensitivityNone {
		m["data-classification"] = classNames[class]
	}
	s.tagCache[k] = m
	return m
}

// nodeOpts carries the optional parts of a new node.
type nodeOpts struct {
	region string
	parent string // Azure parent path ("kv-x/secrets/"), prepended to the id name
	class  graph.Sensitivity
	crown  bool
	team   int // -1: the scope's team
	env    string
	props  graph.Props
	// tags replaces the data-classification tag with other conventions
	// (owner and env are kept); tagLevel and tagCause are what the
	// generator planted with them (level, "key=value"), for the truth.
	tags     map[string]string
	tagLevel graph.Sensitivity
	tagCause string
	// inherited: class is the level the collector derived (a snapshot
	// inherits its source's), with no tag saying it.
	inherited bool
	// classifier is a cloud classifier's result planted in props[classifierProp].
	classifier     graph.Sensitivity
	classifierProp string
}

// add creates an owned node of logical type t and its CONTAINS edge, and
// returns its id.
func (s *scope) add(t rtype, name string, o nodeOpts) string {
	sp := &s.v[t]
	region := o.region
	if region == "" {
		region = s.regions[0]
	}
	idRegion := region
	if sp.global {
		region = "global"
	}
	id := sp.id(s, idRegion, o.parent+name, s.token())
	team := o.team
	if team < 0 {
		team = s.team
	}
	env := o.env
	if env == "" {
		env = s.env
	}
	tags := s.tags(team, env, o.class)
	switch {
	case o.tags != nil:
		tags = map[string]string{"owner": teams[team].email, "env": env}
		for k, v := range o.tags {
			tags[k] = v
		}
	case o.inherited:
		tags = s.tags(team, env, graph.SensitivityNone)
	}
	s.snap.Nodes = append(s.snap.Nodes, graph.Node{
		ID: id, Kind: sp.kind, Cloud: s.cloud, NativeType: sp.native, Name: name,
		Account: s.acct, Region: region, Service: sp.service, Sensitivity: o.class,
		CrownJewel: o.crown, Tags: tags, Props: o.props,
	})
	s.owned++
	if sp.kind.IsDataStore() && !s.org.noStoreTruth {
		s.stores = append(s.stores, s.plantedStore(id, sp.kind, name, o))
	}
	if t != tAccount {
		parent := s.accountID
		if s.cloud == graph.CloudAzure && !sp.global && t != tResourceGroup {
			parent = s.v[tResourceGroup].id(s, idRegion, s.resourceGroup(idRegion), 0)
		}
		s.fact(parent, graph.EdgeContains, id)
	}
	return id
}

// stub adds a reference to a node this scope does not own, once.
func (s *scope) stub(n graph.Node) {
	if s.stubs[n.ID] {
		return
	}
	s.stubs[n.ID] = true
	n.Stub = true
	s.snap.Nodes = append(s.snap.Nodes, n)
}

func (s *scope) fact(from string, k graph.EdgeKind, to string) {
	s.snap.Edges = append(s.snap.Edges, graph.Edge{From: from, To: to, Kind: k})
}

// mv is a move edge under construction.
type mv struct {
	kind       graph.EdgeKind
	technique  string
	likelihood float64
	evidence   []string
	findings   []string
	props      graph.Props
}

// move adds an attacker move.
func (s *scope) move(from, to string, m mv) {
	s.snap.Edges = append(s.snap.Edges, graph.Edge{
		From: from, To: to, Kind: m.kind, Technique: m.technique, Likelihood: m.likelihood,
		Evidence: m.evidence, Findings: m.findings, Props: m.props,
	})
}

// finding records a finding of a catalogued rule on a resource and returns
// its id.
func (s *scope) finding(rule, resource, evidence string) string {
	r, ok := rules[rule]
	if !ok {
		panic("synthetic: rule " + rule + " missing from the catalogue") // programming error, caught by tests
	}
	id := graph.FindingID(rule, resource)
	effort := r.effort
	if s.rng.IntN(3) == 0 && effort < 8 {
		effort++
	}
	first := s.org.base.Add(-time.Duration(1+s.rng.IntN(180)) * 24 * time.Hour)
	s.snap.Findings = append(s.snap.Findings, graph.Finding{
		ID: id, RuleID: rule, Resource: resource, Severity: r.severity, Title: r.title,
		Evidence: evidence, Remediation: r.remediation, Controls: r.controls, FixEffort: float64(effort),
		FirstSeen: first, LastSeen: s.org.base,
	})
	return id
}

// name builds a readable resource name unique within the scope.
func (s *scope) name(parts ...string) string {
	return strings.Join(parts, "-") + "-" + s.uniq()
}

// globalName builds a name unique across the estate (S3 and GCS bucket
// names, Google accounts).
func (s *scope) globalName(parts ...string) string {
	return strings.Join(parts, "-") + "-" + strconv.Itoa(s.idx) + "x" + s.uniq() // decimal, as uniq
}

// azParent returns the Azure parent path of a child resource type in a region.
func (s *scope) azParent(t rtype, region string) string {
	if s.cloud != graph.CloudAzure {
		return ""
	}
	short := strings.ReplaceAll(s.label, "-", "")
	if len(short) > 14 {
		short = short[:14]
	}
	switch t {
	case tBucket:
		return "st" + short + strconv.Itoa(s.idx%1000) + "/blobservices/default/containers/"
	case tDatabase:
		return "sql-" + s.label + "-" + region + "/databases/"
	case tQueue:
		return "sb-" + s.label + "-" + region + "/queues/"
	case tTopic:
		return "sb-" + s.label + "-" + region + "/topics/"
	case tSecret:
		return "kv-" + short + "/secrets/"
	case tKey:
		return "kv-" + short + "/keys/"
	}
	return ""
}
