// Package transform turns one Azure tenant's inventory into snapshots: one
// per subscription (its resources, network reachability, managed
// identities, RBAC moves onto its resources and its findings) and one for
// the tenant's directory (Entra ID users, groups, service principals,
// applications, management groups and the directory's own escalations).
//
// docs/azure-collector.md says what becomes nodes, edges and findings;
// docs/techniques.md lists every technique id drawn here.
package transform

import (
	"cmp"
	"context"
	"fmt"
	"log/slog"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/breachpath/breachpath/collector/azure/inventory"
	"github.com/breachpath/breachpath/collector/azure/rbac"
	"github.com/breachpath/breachpath/graph"
)

// Options tune Transform. The zero value is valid.
type Options struct {
	// Collector names the snapshots' source; "azure" when empty.
	Collector string
	// SensitivityKeys are the tag keys read for a data classification
	// (case-insensitive); when empty, collector/sensitivity's shared rules
	// read the tags.
	SensitivityKeys []string
	// Now is the reference time for expiry checks; zero means CollectedAt.
	Now time.Time
	// Logger receives warnings; slog.Default when nil.
	Logger *slog.Logger
	// directGrants draws every assignee's moves directly, without grant
	// nodes: the reference the tests check grant nodes against.
	directGrants bool
}

// Result says what Transform left out and why.
type Result struct {
	// DroppedEdges counts edges whose endpoint no scope owns or references.
	DroppedEdges int
	// DroppedStubs counts stubs left out because their area failed.
	DroppedStubs int
	Warnings     []string
	// Principals maps Entra object ids to the node ids that stand for them
	// (users, groups, service principals, managed identities).
	Principals map[string]string
}

// TenantScope returns the scope of a tenant's directory snapshot.
func TenantScope(tenantID string) graph.Scope {
	return graph.Scope{Cloud: graph.CloudAzure, ID: "tenant-" + strings.ToLower(tenantID)}
}

// TenantNodeID returns the id of the Entra tenant's Organization node.
func TenantNodeID(tenantID string) string { return "/tenants/" + strings.ToLower(tenantID) }

// AnonymousID is the id of the principal that stands for anonymous access
// to Azure data (public blob containers, anonymous registry pull); the
// synthetic estate uses the same id.
const AnonymousID = "anonymous:azure"

// tenantKey is the builder's key of the tenant's part.
const tenantKey = ""

// Transform builds the snapshots of every subscription in the inventory and,
// when the directory or the management groups were read (or failed), the
// tenant's directory snapshot.
func Transform(ctx context.Context, inv *inventory.Inventory, opts Options) ([]*graph.Snapshot, *Result, error) {
	if inv == nil {
		return nil, nil, fmt.Errorf("azure transform: nil inventory")
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.Collector == "" {
		opts.Collector = "azure"
	}
	if opts.Now.IsZero() {
		opts.Now = inv.CollectedAt
	}
	ev, err := rbac.New(inv)
	if err != nil {
		return nil, nil, fmt.Errorf("azure transform: %w", err)
	}
	b := &builder{inv: inv, opts: opts, ev: ev, tenant: inv.TenantID, res: &Result{},
		parts: map[string]*part{}, nodes: map[string]*graph.Node{}, owner: map[string]string{},
		nsgs: map[string]*inventory.NSGProps{}, pips: map[string]*inventory.Resource{}, lbs: map[string]*inventory.LBProps{},
		appgws: map[string]*inventory.AppGatewayProps{}, vmNICs: map[string][]string{}, aks: map[string]*inventory.AKSProps{}, scaleSets: map[string][]*nicInfo{}, identitiesOf: map[string][]string{},
		secretSettings: map[string][]string{}, adminScopes: map[string]bool{}}
	for _, g := range ev.Unknown {
		b.warn("role assignments reference role definition %s, which neither the built-in catalogue nor the inventory describes; they were ignored", g)
	}
	steps := []func(){b.hierarchy, b.network, b.routing, b.compute, b.data, b.connectionStrings, b.principals, b.exposure, b.dnat, b.lateral, b.privateAccess, b.crossNetwork, b.identityMoves, b.policies, b.rbacMoves, b.entraMoves, b.objectCredentials, b.purview, b.sensitivity}
	for _, step := range steps {
		if err := ctx.Err(); err != nil {
			return nil, nil, fmt.Errorf("azure transform: %w", err)
		}
		step()
	}
	snaps := b.snapshots()
	for _, s := range snaps {
		if err := s.Validate(); err != nil {
			return nil, nil, fmt.Errorf("azure transform %s: %w", s.Scope, err)
		}
	}
	b.res.Warnings = append(b.res.Warnings, inv.Warnings...)
	b.res.Principals = b.principalIDs
	for _, w := range b.res.Warnings {
		opts.Logger.Warn(w)
	}
	return snaps, b.res, nil
}

// part is what one scope's snapshot accumulates.
type part struct {
	edges    map[graph.EdgeKey]*graph.Edge
	findings map[string]*graph.Finding
}

type builder struct {
	inv    *inventory.Inventory
	opts   Options
	ev     *rbac.Evaluator
	tenant string
	res    *Result
	parts  map[string]*part
	// nodes holds every owned node and every stub the builder made up
	// (principals nobody owns); owner maps an owned node to its scope key.
	nodes map[string]*graph.Node
	owner map[string]string
	// principals maps an Entra object id to its node id.
	principalIDs map[string]string
	// subsIn lists subscription ids collected, for quick tests.
	subsIn map[string]bool
	// adminScopes are the scopes whose administrator node exists.
	adminScopes map[string]bool
	// identitiesOf maps a workload resource id to its managed identity node ids.
	identitiesOf map[string][]string
	// secretSettings maps a workload id to the Secret nodes of its settings.
	secretSettings map[string][]string

	// Network state shared by the network, compute and exposure steps.
	nics         map[string]*nicInfo
	ipConfigNIC  map[string]string // NIC IP configuration id -> NIC id
	subnetNSG    map[string]string
	nsgs         map[string]*inventory.NSGProps
	pips         map[string]*inventory.Resource
	lbs          map[string]*inventory.LBProps
	appgws       map[string]*inventory.AppGatewayProps
	pendingFacts []pendingFact
	// firewalls are the Azure Firewalls read; egressHop the next hop of
	// each routed subnet's Internet-bound traffic (routing.go).
	firewalls map[string]*firewallInfo
	// guards are the enforced Azure Policy Deny assignments of recognised
	// shapes (policy.go).
	guards    []policyGuard
	egressHop map[string]nextHop
	// vnets indexes virtual networks and their peerings; dests are the
	// members and private endpoint targets reached inside them; subnetTable
	// maps a subnet to its route table (lateral.go, transit.go).
	vnets       map[string]*vnetNet
	dests       []*netDest
	subnetTable map[string]*routeTable
	// paas is the network access of each PaaS resource (private.go); reach
	// and places index who the network lets in (netgate.go).
	paas   map[string]*paasNet
	reach  map[string]map[string]string
	places map[string]map[string]string
	// vmNICs maps a VM id to its NIC ids; workloads lists compute nodes.
	vmNICs map[string][]string
	aks    map[string]*inventory.AKSProps
	// scaleSets holds each scale set's network profile.
	scaleSets map[string][]*nicInfo
	// Data state for the RBAC step.
	storage map[string]*storageInfo
	vaults  map[string]*vaultInfo
	// privilegedIDs are the principal nodes holding Azure role
	// assignments, directory roles or Graph permissions (lazily built).
	privilegedIDs map[string]bool
	sqlServers    map[string][]string // server id -> database ids
	// Lists the RBAC step reads once rather than per principal.
	cosmos, acrs, uamis []*inventory.Resource
	autoSecrets         map[string][]string // Automation account -> its variable secrets
	// hubMoved records the moves grant nodes drew ("hub|technique|to"), so a
	// principal draws a combined move directly only when no grant node did.
	hubMoved map[string]bool
}

func (b *builder) warn(format string, args ...any) {
	b.res.Warnings = append(b.res.Warnings, fmt.Sprintf(format, args...))
}

func (b *builder) part(key string) *part {
	p := b.parts[key]
	if p == nil {
		p = &part{edges: map[graph.EdgeKey]*graph.Edge{}, findings: map[string]*graph.Finding{}}
		b.parts[key] = p
	}
	return p
}

// scopeKey returns the key of the part a resource id belongs to: its
// subscription when collected, else the tenant's.
func (b *builder) scopeKey(id string) string {
	if s := inventory.SubscriptionOf(id); s != "" && b.subsIn[s] {
		return s
	}
	return tenantKey
}

// own adds an owned node to the scope key's part and returns it.
func (b *builder) own(key string, n graph.Node) *graph.Node {
	n.ID = strings.ToLower(n.ID)
	if n.Cloud == "" {
		n.Cloud = graph.CloudAzure
	}
	if n.Props == nil {
		n.Props = graph.Props{}
	}
	if old, ok := b.nodes[n.ID]; ok && !old.Stub {
		return old
	}
	b.part(key)
	nn := n
	b.nodes[n.ID] = &nn
	b.owner[n.ID] = key
	return &nn
}

// stub records a node nobody in this collection owns (a principal of the
// directory when the directory was not read, the Internet, anonymous).
func (b *builder) stub(n graph.Node) *graph.Node {
	n.ID = strings.ToLower(n.ID)
	if old, ok := b.nodes[n.ID]; ok {
		return old
	}
	if n.Cloud == "" && n.Kind != graph.KindInternet {
		n.Cloud = graph.CloudAzure
	}
	n.Stub = true
	nn := n
	b.nodes[n.ID] = &nn
	return &nn
}

// edge adds an edge to the part of the given key; parallel copies merge.
func (b *builder) edge(key string, e graph.Edge) {
	e.From, e.To = strings.ToLower(e.From), strings.ToLower(e.To)
	if e.From == "" || e.To == "" || e.From == e.To {
		return
	}
	p := b.part(key)
	k := e.Key()
	if old, ok := p.edges[k]; ok {
		old.Evidence = union(old.Evidence, e.Evidence)
		old.Findings = union(old.Findings, e.Findings)
		old.Likelihood = max(old.Likelihood, e.Likelihood)
		old.Conditional = old.Conditional && e.Conditional
		if ports, ok := e.Props["ports"].([]string); ok {
			if old.Props == nil {
				old.Props = graph.Props{}
			}
			prev, _ := old.Props["ports"].([]string)
			old.Props["ports"] = union(prev, ports)
		}
		return
	}
	e.Evidence = union(nil, e.Evidence)
	e.Findings = union(nil, e.Findings)
	p.edges[k] = &e
}

// fact adds a fact edge to the part owning from (or to, when from is not owned).
func (b *builder) fact(from string, kind graph.EdgeKind, to string) {
	b.edge(b.keyFor(from, to), graph.Edge{From: from, To: to, Kind: kind})
}

// keyFor picks the part an edge between two nodes belongs to: the one that
// owns the target when it is owned (moves onto a subscription's resources
// live with them), else the source's.
func (b *builder) keyFor(from, to string) string {
	if k, ok := b.owner[strings.ToLower(to)]; ok {
		return k
	}
	if k, ok := b.owner[strings.ToLower(from)]; ok {
		return k
	}
	return tenantKey
}

// move adds an attacker-move edge.
func (b *builder) move(e graph.Edge) { b.edge(b.keyFor(e.From, e.To), e) }

// finding records a finding on an owned node and returns its id.
func (b *builder) finding(rule, resource, evidence string) string {
	resource = strings.ToLower(resource)
	r, ok := rules[rule]
	if !ok {
		b.warn("azure transform: finding of unknown rule %s left out", rule) // a programming error; tests assert no warnings
		return ""
	}
	key, owned := b.owner[resource]
	if !owned {
		return ""
	}
	id := graph.FindingID(rule, resource)
	p := b.part(key)
	if f, ok := p.findings[id]; ok {
		if evidence != "" && !strings.Contains(f.Evidence, evidence) {
			f.Evidence += "; " + evidence
		}
		return id
	}
	p.findings[id] = &graph.Finding{ID: id, RuleID: rule, Resource: resource, Severity: r.severity, Title: r.title,
		Evidence: evidence, Remediation: r.remediation, Controls: slices.Clone(r.controls), FixEffort: r.effort}
	return id
}

// snapshots assembles one snapshot per part, with stubs for every endpoint
// the part references but does not own.
func (b *builder) snapshots() []*graph.Snapshot {
	keys := make([]string, 0, len(b.parts))
	for k := range b.parts {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var out []*graph.Snapshot
	for _, key := range keys {
		if key == tenantKey && !b.tenantCollected() {
			if n := len(b.parts[key].edges); n > 0 {
				b.res.DroppedEdges += n
			}
			continue
		}
		out = append(out, b.snapshot(key))
	}
	return out
}

func (b *builder) tenantCollected() bool {
	c := b.inv.Coverage[tenantKey]
	return c != nil && (len(c.Read) > 0 || len(c.Failed) > 0)
}

func (b *builder) coverage(key string) graph.Coverage {
	c := b.inv.Coverage[key]
	if c == nil {
		return graph.Coverage{}
	}
	return graph.Coverage{Read: slices.Clone(c.Read), Failed: slices.Clone(c.Failed)}
}

func (b *builder) snapshot(key string) *graph.Snapshot {
	p := b.part(key)
	scope := graph.Scope{Cloud: graph.CloudAzure, ID: key}
	if key == tenantKey {
		scope = TenantScope(b.tenant)
	}
	s := &graph.Snapshot{Scope: scope, CollectedAt: b.inv.CollectedAt, Collector: b.opts.Collector, Coverage: b.coverage(key)}
	present := map[string]bool{}
	for id, n := range b.nodes {
		if b.owner[id] == key && !n.Stub {
			s.Nodes = append(s.Nodes, *n)
			present[id] = true
		}
	}
	dropped := map[string]bool{}
	addStub := func(id string) bool {
		if present[id] {
			return true
		}
		if dropped[id] {
			return false
		}
		n, ok := b.nodes[id]
		if !ok {
			dropped[id] = true
			return false
		}
		st := graph.Node{ID: n.ID, Kind: n.Kind, Cloud: n.Cloud, NativeType: n.NativeType, Name: n.Name, Account: n.Account,
			Region: n.Region, Service: n.Service, Stub: true, CrownJewel: n.CrownJewel, Sensitivity: n.Sensitivity}
		if n.IsAnonymous() {
			st.Props = graph.Props{graph.PropAnonymous: true}
		}
		// A stub of an area that failed in this scope would replace the
		// node the store keeps; leave it (and its edges) out instead.
		if st.Service != "" && s.Coverage.FailedFor(st.Service, st.Region) {
			dropped[id] = true
			b.res.DroppedStubs++
			return false
		}
		s.Nodes = append(s.Nodes, st)
		present[id] = true
		return true
	}
	fids := map[string]bool{}
	for _, f := range p.findings {
		fids[f.ID] = true
	}
	// The stored edges from the shared stubs (Internet exposure, anonymous
	// reads) into the nodes a failed area keeps stale are kept stale only
	// while both their ends remain in the scope: without the stubs, a
	// failed network or storage read would drop them and report every
	// attack path through them closed, for what the collection could not
	// see.
	if len(s.Coverage.Failed) > 0 {
		addStub(b.internet())
		addStub(b.anonymous())
	}
	for _, e := range p.edges {
		if !addStub(e.From) || !addStub(e.To) {
			if !dropped[e.From] && !dropped[e.To] {
				b.res.DroppedEdges++
			}
			continue
		}
		ee := *e
		ee.Findings = slices.DeleteFunc(slices.Clone(ee.Findings), func(f string) bool { return !fids[f] })
		s.Edges = append(s.Edges, ee)
	}
	for _, f := range p.findings {
		s.Findings = append(s.Findings, *f)
	}
	slices.SortFunc(s.Nodes, func(a, c graph.Node) int { return cmp.Compare(a.ID, c.ID) })
	slices.SortFunc(s.Edges, func(a, c graph.Edge) int { return a.Key().Compare(c.Key()) })
	slices.SortFunc(s.Findings, func(a, c graph.Finding) int { return cmp.Compare(a.ID, c.ID) })
	return s
}

func union(a, b []string) []string {
	out := append(slices.Clone(a), b...)
	out = slices.DeleteFunc(out, func(s string) bool { return s == "" })
	if len(out) == 0 {
		return nil
	}
	slices.Sort(out)
	return slices.Compact(out)
}
