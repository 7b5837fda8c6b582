// Package transform turns a GCP inventory (Cloud Asset Inventory assets,
// read live or from export files) into one graph.Snapshot per project,
// plus one for the organisation or folder the collection started from:
// the hierarchy, resources, network exposure, principals, IAM with
// inheritance, attacker moves and CIS findings.
//
// docs/gcp-collector.md describes what becomes nodes, edges and findings;
// docs/techniques.md lists the techniques.
package transform

import (
	"cmp"
	"context"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"time"

	"github.com/breachpath/breachpath/collector/gcp/entitlements"
	gcpiam "github.com/breachpath/breachpath/collector/gcp/iam"
	"github.com/breachpath/breachpath/collector/gcp/inventory"
	"github.com/breachpath/breachpath/collector/gcp/roles"
	"github.com/breachpath/breachpath/graph"
	"github.com/breachpath/breachpath/graph/entitlement"
)

// Options tune Transform. The zero value is valid.
type Options struct {
	// Collector names the snapshots' source; "gcp" when empty.
	Collector string
	// Domains are the organisation's own domains: user members outside
	// them become external principals. Empty: the organisation's display
	// name when the organisation was read, else nobody is external.
	Domains []string
	// SensitivityKeys are the label keys read for a classification; when
	// empty, collector/sensitivity's shared rules read the labels.
	SensitivityKeys []string
	// Now is the time key ages are measured at (time.Now when zero).
	Now time.Time
	// Logger receives warnings; slog.Default when nil.
	Logger *slog.Logger
}

// Result is Transform's output.
type Result struct {
	Snapshots []*graph.Snapshot
	// Warnings name what the transform could not use (unknown roles,
	// undecodable assets).
	Warnings []string
}

// builder accumulates one inventory's graph before it is split per scope.
type builder struct {
	ctx   context.Context
	inv   *inventory.Inventory
	opts  Options
	h     *hierarchy
	eval  *gcpiam.Evaluator
	nodes map[string]*graph.Node
	owner map[string]string // node id -> scope id that owns it
	edges []graph.Edge
	// escope is, per edge, the scope whose configuration decided it (the
	// project being evaluated); used when neither endpoint is owned.
	escope    []string
	curScope  string
	findings  map[string]*graph.Finding
	saByEmail map[string]string
	domains   []string
	warnings  []string
	orgPolicy *orgPolicies
	// assets by type, decoded lazily by the parts
	sas         []*inventory.Asset
	instances   []instanceInfo
	byTag       map[string][]int // network tag -> instance indexes
	ownerNodes  map[string]string
	scopedNodes map[string]scopedToken
	now         time.Time
	cat         *roles.Catalog
	saKeys      map[string][]entitlements.Key
	ents        map[string]*entitlement.Entitlements
	tokenOn     map[string][]string
	// roleBindings: custom role name -> its bindings (iam.roles.update).
	roleBindings map[string][]*gcpiam.Binding
	// saGrants: service account id -> the grants on it (instance shells).
	saGrants   map[string]map[string]*gcpiam.Grant
	projGrants map[string]map[string]*gcpiam.Grant // project id -> grants on it
	crossMemo  map[string]string                   // attacker|perms -> project it may deploy in ("" none)
	guards     map[string]*perimeterGuard          // data resource -> perimeter restricting it (nil none)
	usages     map[string]*entitlement.UsageData   // principal -> permission use from the recommender
}

// Transform builds the snapshots of an inventory.
func Transform(ctx context.Context, inv *inventory.Inventory, opts Options) (*Result, error) {
	if inv == nil {
		return nil, fmt.Errorf("gcp transform: nil inventory")
	}
	cat, err := roles.NewCatalog()
	if err != nil {
		return nil, fmt.Errorf("gcp transform: %w", err)
	}
	b := &builder{ctx: ctx, inv: inv, opts: opts, nodes: map[string]*graph.Node{}, owner: map[string]string{},
		findings: map[string]*graph.Finding{}, saByEmail: map[string]string{}, byTag: map[string][]int{},
		ownerNodes: map[string]string{}, scopedNodes: map[string]scopedToken{}, now: opts.Now, cat: cat,
		saKeys: map[string][]entitlements.Key{}}
	if b.now.IsZero() {
		b.now = time.Now()
	}
	b.h = newHierarchy(inv)
	for _, a := range sortedAssets(inv) {
		if a.AssetType == inventory.TypeRole {
			var r inventory.CustomRole
			if err := a.Decode(&r); err != nil || r.Deleted {
				continue
			}
			if r.Name == "" {
				r.Name = roleNameFromAsset(a.Name)
			}
			cat.AddCustom(&roles.Role{Name: r.Name, Title: r.Title, Stage: r.Stage, Permissions: r.IncludedPermissions})
		}
	}
	b.eval, err = gcpiam.New(cat, trackedPerms)
	if err != nil {
		return nil, fmt.Errorf("gcp transform: %w", err)
	}
	b.domains = opts.Domains
	steps := []func() error{b.hierarchyNodes, b.identities, b.bindings, b.resources, b.network, b.workloads, b.moves, b.objectCredentials, b.rules, b.entitlements}
	for _, step := range steps {
		if err := ctx.Err(); err != nil {
			return nil, fmt.Errorf("gcp transform: %w", err)
		}
		if err := step(); err != nil {
			return nil, fmt.Errorf("gcp transform: %w", err)
		}
	}
	for _, r := range b.eval.UnknownRoles() {
		b.warn("role %s is neither predefined nor a collected custom role; its grants are ignored", r)
	}
	snaps, err := b.split()
	if err != nil {
		return nil, fmt.Errorf("gcp transform: %w", err)
	}
	return &Result{Snapshots: snaps, Warnings: b.warnings}, nil
}

func roleNameFromAsset(name string) string {
	// //iam.googleapis.com/projects/p/roles/x -> projects/p/roles/x
	return strings.TrimPrefix(name, "//iam.googleapis.com/")
}

func sortedAssets(inv *inventory.Inventory) []*inventory.Asset {
	out := make([]*inventory.Asset, 0, len(inv.Assets))
	for _, a := range inv.Assets {
		out = append(out, a)
	}
	slices.SortFunc(out, func(x, y *inventory.Asset) int { return cmp.Compare(x.Name, y.Name) })
	return out
}

func (b *builder) warn(format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	b.warnings = append(b.warnings, msg)
	log := b.opts.Logger
	if log == nil {
		log = slog.Default()
	}
	log.Warn(msg)
}

// scopeOf returns the scope id that owns an asset: its project's id, or
// the root (organisation or folder) for everything above projects.
func (b *builder) scopeOf(a *inventory.Asset) string {
	if p := b.h.projectOf(a); p != nil {
		return p.ID
	}
	return b.rootScope()
}

func (b *builder) rootScope() string {
	if b.h.root == "" {
		return ""
	}
	return strings.TrimPrefix(b.h.root, crmPrefix)
}

// principalScope is the scope that owns the users and groups the
// collection saw: the organisation or folder collected, or the project when
// only one was; "" (stubs) otherwise. Owning them lets the CIEM report
// list them with the entitlements recorded on their nodes.
func (b *builder) principalScope() string {
	if r := b.rootScope(); r != "" {
		return r
	}
	if len(b.h.byNumber) == 1 {
		for _, p := range b.h.byNumber {
			return p.ID
		}
	}
	return ""
}

// addNode adds a node owned by scope ("" for a stub nobody owns) and
// returns the stored copy. An owned node replaces a stub with the same id.
func (b *builder) addNode(n graph.Node, scope string) *graph.Node {
	n.Cloud = graph.CloudGCP
	if n.Props == nil {
		n.Props = graph.Props{}
	}
	if old, ok := b.nodes[n.ID]; ok {
		if !old.Stub || n.Stub {
			return old
		}
	}
	if scope == "" {
		n.Stub = true
	} else {
		n.Stub = false
		b.owner[n.ID] = scope
	}
	b.nodes[n.ID] = &n
	return &n
}

// resourceNode adds the node of an asset, owned by its scope.
func (b *builder) resourceNode(a *inventory.Asset, kind graph.Kind, service, name string, labels map[string]string) *graph.Node {
	region := ""
	if a.Resource != nil {
		region = a.Resource.Location
	}
	if region == "" {
		region = "global"
	}
	account := ""
	if p := b.h.projectOf(a); p != nil {
		account = p.ID
	}
	n := graph.Node{ID: a.Name, Kind: kind, NativeType: a.AssetType, Name: name, Account: account, Region: region,
		Service: service, Tags: labels}
	n.Sensitivity = b.labelSensitivity(labels)
	return b.addNode(n, b.scopeOf(a))
}

// fact adds a fact edge.
func (b *builder) fact(from string, kind graph.EdgeKind, to string) {
	b.edges = append(b.edges, graph.Edge{From: from, To: to, Kind: kind})
	b.escope = append(b.escope, b.curScope)
}

// move adds an attacker-move edge.
func (b *builder) move(e graph.Edge) {
	if e.From == e.To {
		return
	}
	b.perimeterCheck(&e)
	slices.Sort(e.Evidence)
	e.Evidence = slices.Compact(e.Evidence)
	b.edges = append(b.edges, e)
	b.escope = append(b.escope, b.curScope)
}

// hierarchyNodes adds the organisation, folders and projects with their
// CONTAINS facts.
func (b *builder) hierarchyNodes() error {
	root := b.rootScope()
	for _, a := range sortedAssets(b.inv) {
		switch a.AssetType {
		case inventory.TypeOrganization:
			var d inventory.Organization
			if err := a.Decode(&d); err != nil {
				b.warn("%v", err)
			}
			name := d.DisplayName
			if name == "" {
				name = strings.TrimPrefix(a.Name, crmPrefix)
			}
			if len(b.domains) == 0 && d.DisplayName != "" && strings.Contains(d.DisplayName, ".") {
				b.domains = []string{strings.ToLower(d.DisplayName)}
			}
			b.addNode(graph.Node{ID: a.Name, Kind: graph.KindOrganization, NativeType: a.AssetType, Name: name,
				Account: strings.TrimPrefix(a.Name, crmPrefix+"organizations/"), Region: "global", Service: "cloudresourcemanager"}, root)
		case inventory.TypeFolder:
			var d inventory.Folder
			if err := a.Decode(&d); err != nil {
				b.warn("%v", err)
			}
			name := d.DisplayName
			if name == "" {
				name = strings.TrimPrefix(a.Name, crmPrefix)
			}
			b.addNode(graph.Node{ID: a.Name, Kind: graph.KindOrgUnit, NativeType: a.AssetType, Name: name, Region: "global",
				Service: "cloudresourcemanager"}, root)
		}
	}
	// Ancestors named but not read are stubs; every link is a CONTAINS fact.
	link := func(parent, child string) {
		if _, ok := b.nodes[parent]; !ok {
			kind, typ := graph.KindOrgUnit, inventory.TypeFolder
			if strings.HasPrefix(parent, crmPrefix+"organizations/") {
				kind, typ = graph.KindOrganization, inventory.TypeOrganization
			}
			b.addNode(graph.Node{ID: parent, Kind: kind, NativeType: typ, Name: strings.TrimPrefix(parent, crmPrefix),
				Region: "global", Service: "cloudresourcemanager"}, "")
		}
		b.fact(parent, graph.EdgeContains, child)
	}
	for full, ups := range b.parents() {
		if len(ups) > 0 {
			link(ups[0], full)
		}
	}
	for _, p := range b.projects() {
		name := p.ID
		n := graph.Node{ID: p.Name, Kind: graph.KindAccount, NativeType: inventory.TypeProject, Name: name, Account: p.ID,
			Region: "global", Service: "cloudresourcemanager", Tags: p.Labels,
			Props: graph.Props{"project_number": p.Number, "project_id": p.ID}}
		b.addNode(n, p.ID)
		if len(p.Ancestors) > 0 {
			link(p.Ancestors[0], p.Name)
		}
	}
	b.orgPolicy = newOrgPolicies(b)
	// The constraints in force on each project, as properties of its node.
	for _, p := range b.projects() {
		n := b.nodes[p.Name]
		chain := b.h.projectChain(p)
		for prop, c := range map[string]string{"org_policy_public_access_prevention": ConstraintPublicAccessPrevention,
			"org_policy_disable_sa_key_creation": ConstraintDisableKeyCreation, "org_policy_require_os_login": ConstraintRequireOsLogin} {
			enf, _ := b.orgPolicy.Enforced(chain, c)
			n.Props[prop] = enf
		}
		for prop, c := range map[string]string{"org_policy_allowed_member_domains": ConstraintAllowedDomains,
			"org_policy_vm_external_ip_access": ConstraintVMExternalIP} {
			if lp := b.orgPolicy.List(chain, c); lp != nil {
				vals := nonNil(lp.AllowedValues)
				if lp.AllValues != "" {
					vals = append(vals, "all:"+strings.ToLower(lp.AllValues))
				}
				n.Props[prop] = vals
			}
		}
	}
	return nil
}

func (b *builder) parents() map[string][]string { return b.h.parents }

// projects returns the projects sorted by id.
func (b *builder) projects() []*project {
	out := make([]*project, 0, len(b.h.byNumber))
	for _, p := range b.h.byNumber {
		out = append(out, p)
	}
	slices.SortFunc(out, func(x, y *project) int { return cmp.Compare(x.ID, y.ID) })
	return out
}

// identities adds service accounts, their keys and custom roles.
func (b *builder) identities() error {
	for _, a := range sortedAssets(b.inv) {
		if a.AssetType != inventory.TypeServiceAccount {
			continue
		}
		var d inventory.ServiceAccount
		if err := a.Decode(&d); err != nil {
			b.warn("%v", err)
			continue
		}
		email := strings.ToLower(d.Email)
		if email == "" {
			email = strings.ToLower(inventory.LastSegment(a.Name))
		}
		b.saByEmail[email] = a.Name
		n := b.resourceNode(a, graph.KindServiceAccount, "iam", email, nil)
		n.Region = "global"
		n.Props["email"] = email
		n.Props["disabled"] = d.Disabled
		if isDefaultComputeSA(email) {
			n.Props["default_compute_sa"] = true
		}
		b.sas = append(b.sas, a)
		if p := b.h.projectOf(a); p != nil {
			b.fact(p.Name, graph.EdgeContains, a.Name)
		}
	}
	for _, a := range sortedAssets(b.inv) {
		if a.AssetType != inventory.TypeSAKey {
			continue
		}
		var k inventory.ServiceAccountKey
		if err := a.Decode(&k); err != nil || k.KeyType != "USER_MANAGED" || k.Disabled {
			continue
		}
		// .../serviceAccounts/<email>/keys/<id>
		saName, _, ok := strings.Cut(a.Name, "/keys/")
		if !ok {
			continue
		}
		sa, ok := b.nodes[saName]
		if !ok {
			continue
		}
		keys, _ := sa.Props["user_managed_keys"].(int64)
		sa.Props["user_managed_keys"] = keys + 1
		created, _ := time.Parse(time.RFC3339, k.ValidAfterTime)
		key := entitlements.Key{ID: inventory.LastSegment(a.Name), Created: created, Disabled: k.Disabled}
		if b.inv.KeyActivityProjects[saProject(saName)] {
			key.UsageKnown, key.LastUsed = true, b.inv.KeyLastUsed[a.Name]
			if !key.LastUsed.IsZero() {
				sa.Props["key_last_used"] = key.LastUsed.UTC().Format(time.RFC3339)
			}
		}
		b.saKeys[saName] = append(b.saKeys[saName], key)
		if t, err := time.Parse(time.RFC3339, k.ValidAfterTime); err == nil {
			age := int64(b.now.Sub(t).Hours() / 24)
			if old, _ := sa.Props["oldest_key_age_days"].(int64); age > old {
				sa.Props["oldest_key_age_days"] = age
			}
		}
	}
	return nil
}

func isDefaultComputeSA(email string) bool {
	return strings.HasSuffix(email, "-compute@developer.gserviceaccount.com")
}

// bindings loads every IAM policy into the evaluator (dataset ACLs too),
// with convenience members resolved against the project policies.
func (b *builder) bindings() error {
	for _, a := range sortedAssets(b.inv) {
		name := b.h.canonical(a.Name)
		if a.IAMPolicy != nil {
			for _, bd := range a.IAMPolicy.Bindings {
				ib := &gcpiam.Binding{Resource: name, Role: bd.Role, Members: bd.Members}
				if bd.Condition != nil && bd.Condition.Expression != "" {
					ib.Conditional, ib.Condition = true, cmp.Or(bd.Condition.Title, bd.Condition.Expression)
				}
				b.eval.Add(ib)
			}
		}
		if a.AssetType == inventory.TypeBucket {
			b.defaultObjectACL(a, name)
		}
		if a.AssetType == inventory.TypeDataset && a.IAMPolicy == nil {
			var d inventory.Dataset
			if err := a.Decode(&d); err == nil {
				for _, acl := range d.Access {
					if m, role := datasetMember(acl); m != "" {
						b.eval.Add(&gcpiam.Binding{Resource: name, Role: role, Members: []string{m}})
					}
				}
			}
		}
	}
	b.denies()
	b.eval.Expand = func(m string) []string {
		kind, proj, _ := strings.Cut(m, ":")
		p := b.h.byID[proj]
		if p == nil {
			p = b.h.byNumber[proj]
		}
		if p == nil {
			return nil
		}
		role := map[string]string{"projectOwner": roles.Owner, "projectEditor": roles.Editor, "projectViewer": roles.Viewer}[kind]
		var out []string
		for _, bd := range b.eval.Bindings(p.Name) {
			if bd.Role == role && !bd.Conditional {
				out = append(out, bd.Members...)
			}
		}
		return out
	}
	return nil
}

// datasetMember converts a legacy dataset ACL entry to a member and role.
func datasetMember(a inventory.DatasetAccess) (member, role string) {
	role = map[string]string{"READER": "roles/bigquery.dataViewer", "WRITER": "roles/bigquery.dataEditor",
		"OWNER": "roles/bigquery.dataOwner"}[a.Role]
	if role == "" {
		if strings.HasPrefix(a.Role, "roles/") {
			role = a.Role
		} else {
			return "", ""
		}
	}
	switch {
	case a.UserByEmail != "":
		if strings.HasSuffix(a.UserByEmail, "gserviceaccount.com") {
			return "serviceAccount:" + a.UserByEmail, role
		}
		return "user:" + a.UserByEmail, role
	case a.GroupByEmail != "":
		return "group:" + a.GroupByEmail, role
	case a.Domain != "":
		return "domain:" + a.Domain, role
	case a.SpecialGroup == "allAuthenticatedUsers":
		return "allAuthenticatedUsers", role
	case a.IAMMember != "":
		return a.IAMMember, role
	}
	return "", ""
}

// split distributes nodes, edges and findings to one snapshot per scope.
//
// A node belongs to the scope that owns it; other scopes that reference it
// get a stub. A fact or workload edge belongs to its source's scope; an
// IAM-decided move (ASSUMES, ESCALATES_TO, READS, WRITES, ADMINISTERS,
// DECRYPTS) to its target's, because the target's policy decides it — so a
// failed area of that scope keeps the edge stale. An endpoint nobody owns
// (users, the Internet) gives the edge to the other endpoint's scope.
func (b *builder) split() ([]*graph.Snapshot, error) {
	snaps := map[string]*graph.Snapshot{}
	get := func(scope string) *graph.Snapshot {
		s, ok := snaps[scope]
		if !ok {
			collector := cmp.Or(b.opts.Collector, "gcp")
			s = &graph.Snapshot{Scope: graph.Scope{Cloud: graph.CloudGCP, ID: scope}, CollectedAt: b.inv.CollectedAt,
				Collector: collector, Coverage: graph.Coverage{Read: slices.Clone(b.inv.Coverage.Read), Failed: slices.Clone(b.inv.Coverage.Failed)}}
			snaps[scope] = s
		}
		return s
	}
	for _, p := range b.projects() {
		get(p.ID)
	}
	present := map[string]map[string]bool{}
	put := func(scope, id string) {
		if present[scope] == nil {
			present[scope] = map[string]bool{}
		}
		if present[scope][id] {
			return
		}
		present[scope][id] = true
		n := *b.nodes[id]
		if b.owner[id] != scope {
			n.Stub = true
		}
		n.Props = cloneProps(n.Props)
		get(scope).Nodes = append(get(scope).Nodes, n)
	}
	ids := make([]string, 0, len(b.nodes))
	for id := range b.nodes {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	for _, id := range ids {
		if s := b.owner[id]; s != "" {
			put(s, id)
		}
	}
	iamMove := map[graph.EdgeKind]bool{graph.EdgeAssumes: true, graph.EdgeEscalatesTo: true, graph.EdgeReads: true,
		graph.EdgeWrites: true, graph.EdgeAdministers: true, graph.EdgeDecrypts: true}
	cited := map[string]map[string]bool{} // finding id -> scopes whose edges cite it
	for i, e := range b.edges {
		if b.nodes[e.From] == nil || b.nodes[e.To] == nil {
			continue
		}
		first, second := b.owner[e.From], b.owner[e.To]
		if iamMove[e.Kind] {
			first, second = second, first
		}
		scope := cmp.Or(first, second, b.escope[i])
		if scope == "" {
			continue // between two nodes nobody owns, decided outside any scope
		}
		put(scope, e.From)
		put(scope, e.To)
		s := get(scope)
		s.Edges = append(s.Edges, e)
		for _, f := range e.Findings {
			if fd := b.findings[f]; fd != nil {
				put(scope, fd.Resource)
				if cited[f] == nil {
					cited[f] = map[string]bool{}
				}
				cited[f][scope] = true
			}
		}
	}
	// A finding lives with its resource's scope and, so that the moves it
	// enables can cite it, in every scope holding such a move (a user's
	// privilege-escalation finding, which no scope owns, only there).
	for _, id := range sortedKeys(b.findings) {
		f := b.findings[id]
		scopes := map[string]bool{}
		if s := b.owner[f.Resource]; s != "" {
			scopes[s] = true
		}
		for s := range cited[id] {
			scopes[s] = true
		}
		for s := range scopes {
			put(s, f.Resource)
			get(s).Findings = append(get(s).Findings, *f)
		}
	}
	var out []*graph.Snapshot
	for _, s := range snaps {
		if s.Scope.ID == "" {
			continue
		}
		normalise(s)
		owned := map[string]*entitlement.Entitlements{}
		used := map[string]*entitlement.UsageData{}
		for i := range s.Nodes {
			if e := b.ents[s.Nodes[i].ID]; e != nil && !s.Nodes[i].Stub {
				owned[s.Nodes[i].ID] = e
				if u := b.usages[s.Nodes[i].ID]; u != nil {
					used[s.Nodes[i].ID] = u
				}
			}
		}
		if err := entitlement.Annotate(s.Nodes, owned, used); err != nil {
			return nil, fmt.Errorf("scope %s: %w", s.Scope, err)
		}
		if err := s.Validate(); err != nil {
			return nil, fmt.Errorf("scope %s: %w", s.Scope, err)
		}
		out = append(out, s)
	}
	slices.SortFunc(out, func(x, y *graph.Snapshot) int { return cmp.Compare(x.Scope.ID, y.Scope.ID) })
	return out, nil
}

// normalise merges duplicate edges (as loading would: graph.Assemble),
// drops citations of findings the scope does not hold, adds the Internet
// stub and sorts everything.
func normalise(s *graph.Snapshot) {
	g := graph.Assemble(s.Nodes, s.Edges, s.Findings)
	s.Nodes, s.Edges, s.Findings = g.Nodes, g.Edges, g.Findings
	have := map[string]bool{}
	for _, f := range s.Findings {
		have[f.ID] = true
	}
	for i := range s.Edges {
		s.Edges[i].Findings = slices.DeleteFunc(s.Edges[i].Findings, func(f string) bool { return !have[f] })
	}
	need := map[string]bool{}
	for _, e := range s.Edges {
		if e.From == graph.InternetID {
			need[graph.InternetID] = true
		}
	}
	// The store keeps a stale edge only while both its ends remain in the
	// scope: the stored exposures and everybody grants of the nodes a
	// failed area keeps stale start at these shared stubs, so without them
	// a failed compute or storage read would drop those edges and report
	// the attack paths through them closed, for what it could not see.
	if len(s.Coverage.Failed) > 0 {
		need[graph.InternetID], need[AllUsersID], need[AllAuthenticatedUsersID] = true, true, true
	}
	for _, id := range sortedKeys(need) {
		if slices.ContainsFunc(s.Nodes, func(n graph.Node) bool { return n.ID == id }) {
			continue
		}
		n := graph.Node{ID: graph.InternetID, Kind: graph.KindInternet, Name: "Internet", Region: "global", Service: "internet"}
		if id != graph.InternetID {
			n = everybody(id)
		}
		n.Stub = true
		s.Nodes = append(s.Nodes, n)
	}
	slices.SortFunc(s.Nodes, func(x, y graph.Node) int { return cmp.Compare(x.ID, y.ID) })
}

func cloneProps(p graph.Props) graph.Props {
	if len(p) == 0 {
		return nil
	}
	out := make(graph.Props, len(p))
	for k, v := range p {
		out[k] = v
	}
	return out
}

// entitlements computes, for every principal node a scope owns, what its
// bindings grant anywhere in the inventory (graph/entitlement), for the
// CIEM report, with permission use from the IAM recommender's insights
// where they were read (usage); elsewhere the report says usage unknown.
func (b *builder) entitlements() error {
	an := entitlements.NewAnalyzer(b.cat)
	grants := map[string][]entitlements.Grant{}
	held := map[string][]binding{}
	for _, res := range b.eval.Resources() {
		for _, bd := range b.eval.Bindings(res) {
			for _, m := range bd.Members {
				id := b.principal(m)
				if id == "" {
					continue
				}
				grants[id] = append(grants[id], entitlements.Grant{Resource: res, Role: bd.Role, Condition: bd.Condition, Conditional: bd.Conditional})
				held[id] = append(held[id], binding{member: m, role: bd.Role, resource: res})
			}
		}
	}
	b.usages = map[string]*entitlement.UsageData{}
	b.ents = map[string]*entitlement.Entitlements{}
	for id, n := range b.nodes {
		if n.Stub || b.owner[id] == "" {
			continue
		}
		switch n.Kind {
		case graph.KindUser, graph.KindGroup, graph.KindServiceAccount:
		default:
			continue
		}
		if s, _ := n.Props["synthetic"].(bool); s {
			continue
		}
		e := an.Entitlements(grants[id], b.saKeys[id])
		b.ents[id] = e
		if u := b.usage(held[id]); u != nil {
			b.usages[id] = u
		}
	}
	return nil
}

// denies loads the IAM deny policies: each rule subtracts its permissions
// from its principals' grants on the attachment point and below
// (exception principals and permissions excepted). Principal sets other
// than everyone, a user, a group or a service account are not matched
// (warned), and group membership is not read: a deny on a group removes
// grants made to that group, not to its members' own bindings.
func (b *builder) denies() {
	for _, p := range b.inv.DenyPolicies {
		att, err := p.AttachmentPoint()
		if err != nil {
			b.warn("%v", err)
			continue
		}
		att = b.h.canonical(att)
		for _, r := range p.Rules {
			if r.DenyRule == nil {
				continue
			}
			d := &gcpiam.Deny{Resource: att, Policy: p.Name}
			for _, pr := range r.DenyRule.DeniedPrincipals {
				if m, ok := inventory.DenyPrincipal(pr); ok {
					d.Principals = append(d.Principals, m)
				} else {
					b.warn("deny policy %s: principal %s not matched (only everyone, users, groups and service accounts are)", p.Name, pr)
				}
			}
			for _, pr := range r.DenyRule.ExceptionPrincipals {
				if m, ok := inventory.DenyPrincipal(pr); ok {
					d.Except = append(d.Except, m)
				}
			}
			conv := func(ps []string) []string {
				var out []string
				for _, q := range ps {
					out = append(out, inventory.DenyPermission(q))
				}
				return out
			}
			d.Perms = b.eval.DenyMask(conv(r.DenyRule.DeniedPermissions)) &^ b.eval.DenyMask(conv(r.DenyRule.ExceptionPermissions))
			if c := r.DenyRule.DenialCondition; c != nil && c.Expression != "" {
				d.Conditional, d.Condition = true, cmp.Or(c.Title, c.Expression)
			}
			if d.Perms != 0 && len(d.Principals) > 0 {
				b.eval.AddDeny(d)
			}
		}
	}
}
