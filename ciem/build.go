package ciem

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/breachpath/breachpath/graph"
	"github.com/breachpath/breachpath/graph/entitlement"
	"github.com/breachpath/breachpath/paths"
)

// DefaultWindowDays is the default last-accessed window.
const DefaultWindowDays = 90

// Sources supplies what the graph may lack.
type Sources struct {
	// Usage supplies last-accessed data per principal id; it takes
	// precedence over the PropLastAccessed property stored on the node.
	Usage map[string]*entitlement.UsageData
	// Policies writes least-privilege suggestions per cloud. A principal of
	// a cloud without a writer gets none (its row says why).
	Policies map[graph.Cloud]entitlement.PolicyWriter
}

// Options tune Build. The zero value is valid.
type Options struct {
	// Now is the reference time of the window; zero means time.Now.
	Now time.Time
	// LastAccessedDays is the window: permissions and credentials not used
	// for this many days are unused. Zero means DefaultWindowDays.
	LastAccessedDays int
	// Accounts and Principals filter the report (principal ids or names).
	Accounts   []string
	Principals []string
	// Paths are the attack paths to join; nil means Build searches with
	// PathOptions (exposure sources to sensitive targets).
	Paths       *paths.Result
	PathOptions paths.Options
	// Timing, when set, receives how long each stage of Build took (the
	// CLI logs it: docs/benchmarks.md splits the command's time with it).
	Timing *Timing
}

// Timing is how long Build's stages took.
type Timing struct {
	// Search is the move projection and the attack-path search (zero
	// search when Options.Paths was given).
	Search time.Duration
	// Rows is the principals' rows: resources, trust, escalations,
	// admin-equivalence, permissions and usage, suggestion, score.
	Rows time.Duration
	// Order is ordering the rows and the per-account summaries.
	Order time.Duration
}

// FactsRead are the only fact edges Build reads (group membership and
// trust); it reads every attacker move and no finding. A store loads the
// graph for it with LoadFilter.
var FactsRead = []graph.EdgeKind{graph.EdgeMemberOf, graph.EdgeTrusts}

// LoadFilter narrows a store filter (scopes, clouds) to what Build reads:
// every node and attacker move (the attack-path join and admin-equivalence
// search the estate's move graph), group membership and trust, no other
// fact and no finding. docs/ciem.md says why nothing narrower gives the
// same report.
func LoadFilter(f graph.Filter) graph.Filter {
	f.SkipFacts, f.KeepFacts, f.SkipFindings = true, FactsRead, true
	return f
}

// Build computes the CIEM report of every principal in g. It works on a
// stored graph: entitlements and usage come from the nodes' PropEntitlements
// and PropLastAccessed properties (or src.Usage); what is missing is
// reported as unknown.
func Build(ctx context.Context, g *graph.Graph, src Sources, opts Options) (*Report, error) {
	if g == nil {
		return nil, fmt.Errorf("ciem: nil graph")
	}
	if opts.LastAccessedDays < 0 {
		return nil, fmt.Errorf("ciem: last-accessed window of %d days: want a positive number", opts.LastAccessedDays)
	}
	if opts.LastAccessedDays == 0 {
		opts.LastAccessedDays = DefaultWindowDays
	}
	if opts.Now.IsZero() {
		opts.Now = time.Now()
	}
	var timing Timing
	start := time.Now()
	b := &builder{g: g, src: src, opts: opts, cutoff: opts.Now.Add(-time.Duration(opts.LastAccessedDays) * 24 * time.Hour),
		proj: paths.NewProjection(g)}
	b.index()
	if err := b.joinPaths(ctx); err != nil {
		return nil, err
	}
	rowsStart := time.Now()
	timing.Search = rowsStart.Sub(start)
	rep := &Report{GeneratedAt: opts.Now.UTC(), WindowDays: opts.LastAccessedDays, AttackPaths: b.pathCount, PathsTruncated: b.truncated}
	// A row is a large struct (about 650 bytes) and a 1M-resource estate has
	// 200k principals: the rows are allocated once at their number, not
	// grown by doubling (a copy of every row at each step).
	wanted := 0
	for i := range g.Nodes {
		if b.wanted(&g.Nodes[i]) {
			wanted++
		}
	}
	if wanted > 0 {
		rep.Principals = make([]Principal, 0, wanted)
	}
	for i := range g.Nodes {
		n := &g.Nodes[i]
		if !b.wanted(n) {
			continue
		}
		if i%256 == 0 {
			if err := ctx.Err(); err != nil {
				return nil, fmt.Errorf("ciem: %w", err)
			}
		}
		p, err := b.principal(ctx, n, int32(i))
		if err != nil {
			return nil, err
		}
		rep.Principals = append(rep.Principals, p)
	}
	orderStart := time.Now()
	timing.Rows = orderStart.Sub(rowsStart)
	sortRows(rep.Principals)
	rep.Accounts = summarize(rep.Principals)
	timing.Order = time.Since(orderStart)
	if opts.Timing != nil {
		*opts.Timing = timing
	}
	return rep, nil
}

// sortRows orders the rows riskiest first: principals on attack paths,
// then by score, then by id. It sorts row numbers and then moves each row
// once to its place (graph.Permute), rather than swapping the large rows
// themselves at every step of the sort.
func sortRows(ps []Principal) {
	order := make([]int32, len(ps))
	for i := range order {
		order[i] = int32(i)
	}
	slices.SortFunc(order, func(i, j int32) int {
		x, y := &ps[i], &ps[j]
		if c := graph.CompareBool(len(y.AttackPaths) > 0, len(x.AttackPaths) > 0); c != 0 {
			return c
		}
		if c := cmp.Compare(y.Score, x.Score); c != 0 {
			return c
		}
		return cmp.Compare(x.ID, y.ID)
	})
	graph.Permute(ps, order)
}

// Principal returns the row of the principal with the given id, or nil.
func (r *Report) Principal(id string) *Principal {
	for i := range r.Principals {
		if r.Principals[i].ID == id {
			return &r.Principals[i]
		}
	}
	return nil
}

type builder struct {
	g      *graph.Graph
	src    Sources
	opts   Options
	cutoff time.Time

	// proj is the move graph the attack paths are searched on; a row reads
	// its principal's moves from it, as node positions (no id lookups), and
	// its trust from trusts (the TRUSTS facts by source, in edge order).
	proj      *paths.Projection
	trusts    map[string][]int32
	assumedBy map[string]map[string]bool
	members   map[string]int
	kinds     map[graph.EdgeKind][]graph.EdgeKind // oneKind
	vias      map[string][]string                 // oneVia
	reach     map[string]paths.AdminReach         // principal -> its chain to an administrator
	scratch   resourceRows                        // edges' working rows
	outs      []outEdge                           // edges' principal's edges
	onPath    map[string][]string
	pathCount int
	truncated bool
}

// index counts members, who assumes each role and the trust facts out of
// each role. The moves out of a principal are not indexed here: they are
// its run of the projection's CSR (out).
func (b *builder) index() {
	b.assumedBy = map[string]map[string]bool{}
	b.members = map[string]int{}
	b.trusts = map[string][]int32{}
	b.kinds, b.vias = map[graph.EdgeKind][]graph.EdgeKind{}, map[string][]string{}
	b.scratch.at = map[string]int{}
	for i := range b.g.Edges {
		e := &b.g.Edges[i]
		switch e.Kind {
		case graph.EdgeAssumes:
			if b.assumedBy[e.To] == nil {
				b.assumedBy[e.To] = map[string]bool{}
			}
			b.assumedBy[e.To][e.From] = true
		case graph.EdgeMemberOf:
			b.members[e.To]++
		case graph.EdgeTrusts:
			b.trusts[e.From] = append(b.trusts[e.From], int32(i))
		}
	}
}

// outEdge is an edge out of a node that the report reads: its index in
// g.Edges and its head's position in g.Nodes.
type outEdge struct{ edge, to int32 }

// out returns the edges out of the node at position ni that the report
// reads (readsOut) and whose head is loaded, in edge order: its moves from
// the projection (which holds every move whose ends are loaded, in edge
// order within a node) merged with its trust facts, appended to res.
func (b *builder) out(ni int32, res []outEdge) []outEdge {
	lo, hi := b.proj.Out(ni)
	trusts := b.trusts[b.g.Nodes[ni].ID]
	k, j := lo, 0
	for k < hi || j < len(trusts) {
		if j == len(trusts) || (k < hi && b.proj.Edge[k] < trusts[j]) {
			if ei := b.proj.Edge[k]; readsOut(b.g.Edges[ei].Kind) {
				res = append(res, outEdge{ei, b.proj.Targets[k]})
			}
			k++
			continue
		}
		if to, ok := b.g.NodeIndex(b.g.Edges[trusts[j]].To); ok {
			res = append(res, outEdge{trusts[j], to})
		}
		j++
	}
	return res
}

// readsOut reports whether the report reads edges of the kind out of a
// principal or a policy it holds.
func readsOut(k graph.EdgeKind) bool {
	switch k {
	case graph.EdgeReads, graph.EdgeWrites, graph.EdgeAdministers, graph.EdgeDecrypts, graph.EdgeEscalatesTo, graph.EdgeTrusts, graph.EdgeAssumes:
		return true
	}
	return false
}

// isAdminNode reports whether the collector marked the node as (standing for)
// an administrator of its scope.
func isAdminNode(n *graph.Node) bool {
	v, _ := n.Props["admin"].(bool)
	return v
}

func (b *builder) joinPaths(ctx context.Context) error {
	res := b.opts.Paths
	if res == nil {
		var err error
		res, err = b.proj.Search(ctx, b.opts.PathOptions)
		if err != nil {
			return fmt.Errorf("ciem: attack paths: %w", err)
		}
	}
	b.onPath = map[string][]string{}
	b.pathCount, b.truncated = len(res.Paths), res.Truncated
	for _, p := range res.Paths {
		seen := map[string]bool{}
		for _, h := range p.Hops {
			for _, id := range []string{h.From, h.To} {
				if !seen[id] {
					seen[id] = true
					b.onPath[id] = append(b.onPath[id], p.ID)
				}
			}
		}
	}
	return nil
}

// wanted selects the principals of the report: users, groups, roles and
// service accounts owned by a scope, minus synthetic stand-ins.
func (b *builder) wanted(n *graph.Node) bool {
	switch n.Kind {
	case graph.KindUser, graph.KindGroup, graph.KindRole, graph.KindServiceAccount:
	default:
		return false
	}
	if n.Stub {
		return false
	}
	if s, _ := n.Props["synthetic"].(bool); s {
		return false
	}
	if len(b.opts.Accounts) > 0 && !slices.Contains(b.opts.Accounts, n.Account) {
		return false
	}
	if len(b.opts.Principals) > 0 && !slices.Contains(b.opts.Principals, n.ID) && !slices.Contains(b.opts.Principals, n.Name) {
		return false
	}
	return true
}

func (b *builder) principal(ctx context.Context, n *graph.Node, ni int32) (Principal, error) {
	p := Principal{ID: n.ID, Name: n.Name, Kind: n.Kind, NativeType: n.NativeType, Cloud: n.Cloud, Account: n.Account,
		AttackPaths: b.onPath[n.ID], Members: b.members[n.ID]}
	ent, err := entitlement.DecodeWith(n, b.g.Node)
	if err != nil {
		return p, err
	}
	usage := b.src.Usage[n.ID]
	if usage == nil {
		if usage, err = entitlement.DecodeUsage(n); err != nil {
			return p, err
		}
	}
	b.edges(n, ni, &p)
	if err := b.admin(ctx, n, &p); err != nil {
		return p, err
	}
	keep := b.permissions(ent, usage, &p)
	b.activity(n, ent, usage, &p)
	b.suggest(ent, usage, keep, &p)
	score(&p, b.g, ent != nil, usage != nil)
	return p, nil
}

// edges fills resources, trust and escalation moves from the graph.
func (b *builder) edges(n *graph.Node, ni int32, p *Principal) {
	// rows are collected in the builder's scratch (reused from principal to
	// principal) and copied once, at their number, into the row
	res := &b.scratch
	clear(res.at)
	res.rows = res.rows[:0]
	outs := b.out(ni, b.outs[:0]) // reused: a held policy's are its own
	b.outs = outs
	b.dataEdges(outs, "", res)
	for _, o := range outs {
		e, t := &b.g.Edges[o.edge], &b.g.Nodes[o.to]
		switch e.Kind {
		case graph.EdgeEscalatesTo:
			if t.Kind == graph.KindPolicy {
				// A move onto a shared policy node means "holds this policy": the
				// collector draws the policy's data access once, from the policy.
				pouts := b.out(o.to, nil)
				b.dataEdges(pouts, display(t), res)
				b.policyEscalations(t, pouts, p)
				continue
			}
			p.Admin.Escalations = append(p.Admin.Escalations, e.Technique+" -> "+display(t))
		case graph.EdgeTrusts:
			if tr, ok := trustOf(n, t, e); ok {
				tr.CanAssume = b.assumedBy[n.ID][t.ID]
				p.Trust = append(p.Trust, tr)
			}
		}
	}
	for i := range res.rows {
		slices.Sort(res.rows[i].Access)
		slices.Sort(res.rows[i].Via)
	}
	// Ordered most sensitive first, then by id (a row per resource, so the
	// order is total): the row numbers are sorted and each row copied once
	// into the principal's own list, at its number.
	if len(res.rows) > 0 {
		order := res.order[:0]
		for i := range res.rows {
			order = append(order, int32(i))
		}
		slices.SortFunc(order, func(i, j int32) int {
			x, y := &res.rows[i], &res.rows[j]
			if c := cmp.Compare(sensRank(y), sensRank(x)); c != 0 {
				return c
			}
			return cmp.Compare(x.ID, y.ID)
		})
		p.Resources = make([]ResourceAccess, len(order))
		for k, i := range order {
			p.Resources[k] = res.rows[i]
		}
		res.order = order
	}
	// Sorted by sensitivity (a crown jewel as restricted), the sensitive
	// stores, confidential and above, are a prefix of the resources: the
	// row shares it rather than copying it (a report is read-only).
	k := 0
	for k < len(p.Resources) && sensRank(&p.Resources[k]) >= int(graph.SensitivityConfidential) {
		k++
	}
	if k > 0 {
		p.SensitiveData = p.Resources[:k:k]
	}
	slices.Sort(p.Admin.Escalations)
	slices.SortFunc(p.Trust, func(x, y Trust) int { return cmp.Compare(x.Principal, y.Principal) })
}

// policyEscalations lists the escalations a shared policy node draws for
// its holders (an Azure grant node's run-command onto a VM's identity);
// outs are the policy's edges (out).
func (b *builder) policyEscalations(pol *graph.Node, outs []outEdge, p *Principal) {
	for _, o := range outs {
		e, t := &b.g.Edges[o.edge], &b.g.Nodes[o.to]
		if e.Kind != graph.EdgeEscalatesTo || t.Kind == graph.KindPolicy {
			continue
		}
		if esc := e.Technique + " -> " + display(t) + " (policy " + display(pol) + ")"; !slices.Contains(p.Admin.Escalations, esc) {
			p.Admin.Escalations = append(p.Admin.Escalations, esc)
		}
	}
}

// dataEdges adds the READS / WRITES / ADMINISTERS / DECRYPTS moves among
// outs, the edges out of a principal or of a policy it holds (named by
// policy), to res.
func (b *builder) dataEdges(outs []outEdge, policy string, res *resourceRows) {
	for _, o := range outs {
		e := &b.g.Edges[o.edge]
		switch e.Kind {
		case graph.EdgeReads, graph.EdgeWrites, graph.EdgeAdministers, graph.EdgeDecrypts:
		default:
			continue
		}
		t := &b.g.Nodes[o.to]
		if t.Kind.IsPrincipal() || isAdminNode(t) {
			continue // admin-equivalence is reported under Admin
		}
		i, ok := res.at[t.ID]
		if !ok {
			i = len(res.rows)
			res.at[t.ID] = i
			res.rows = append(res.rows, ResourceAccess{ID: t.ID, Name: t.Name, Kind: t.Kind, Sensitivity: t.Sensitivity, CrownJewel: t.CrownJewel, Conditional: true})
		}
		r := &res.rows[i]
		switch {
		case r.Access == nil:
			r.Access = b.oneKind(e.Kind)
		case !slices.Contains(r.Access, e.Kind):
			r.Access = append(r.Access, e.Kind)
		}
		via := e.Technique
		if policy != "" {
			via += " (policy " + policy + ")"
		}
		switch {
		case via == "":
		case r.Via == nil:
			r.Via = b.oneVia(via)
		case !slices.Contains(r.Via, via):
			r.Via = append(r.Via, via)
		}
		r.Conditional = r.Conditional && e.Conditional
	}
}

// resourceRows collects a principal's resources, one row per resource.
type resourceRows struct {
	at    map[string]int // resource id -> its row
	rows  []ResourceAccess
	order []int32 // the rows' order, reused
}

// oneKind and oneVia return a shared one-element list: most resources are
// reached one way, and a 1M-resource estate's report has about 1.4M
// resource rows. The lists are full (length = capacity), so adding a
// second element copies them, and a one-element list sorts in place
// without a write; a report is read-only.
func (b *builder) oneKind(k graph.EdgeKind) []graph.EdgeKind {
	l, ok := b.kinds[k]
	if !ok {
		l = []graph.EdgeKind{k}
		b.kinds[k] = l
	}
	return l
}

func (b *builder) oneVia(via string) []string {
	l, ok := b.vias[via]
	if !ok {
		l = []string{via}
		b.vias[via] = l
	}
	return l
}

func sensRank(r *ResourceAccess) int {
	if r.CrownJewel {
		return int(graph.SensitivityRestricted)
	}
	return int(r.Sensitivity)
}

func display(n *graph.Node) string {
	if n.Name != "" && n.Name != n.ID {
		return n.Name
	}
	return n.ID
}

// trustOf classifies a TRUSTS edge: only principals outside the role's
// account count (same-account trust is not CIEM's concern here).
func trustOf(role, t *graph.Node, e *graph.Edge) (Trust, bool) {
	st, _ := e.Props["statement"].(string)
	tr := Trust{Principal: t.ID, Name: t.Name, Account: t.Account, Statement: st}
	switch {
	case t.IsAnonymous():
		tr.Kind = TrustPublic
	case t.Kind == graph.KindExternalPrincipal:
		tr.Kind = TrustExternal
		if _, ok := t.Props["provider"]; ok {
			tr.Kind = TrustFederated
		}
		if a, ok := t.Props["external_account"].(string); ok {
			tr.Account = a
		}
	case t.Account != "" && t.Account != role.Account:
		tr.Kind = TrustCrossAccount
	default:
		return tr, false
	}
	return tr, true
}

// admin fills admin-equivalence: direct (the collector's admin mark) or through a chain of
// identity moves to an administrator, as paths.AdminReachers defines it (the escalation-to-admin
// query uses the same definition, so both list the same principals).
func (b *builder) admin(ctx context.Context, n *graph.Node, p *Principal) error {
	p.Admin.Direct = isAdminNode(n)
	if p.Admin.Direct {
		return nil
	}
	if b.reach == nil {
		rs, err := paths.AdminReachers(ctx, b.g, paths.DefaultAdminHops)
		if err != nil {
			return fmt.Errorf("ciem: who can reach admin: %w", err)
		}
		b.reach = make(map[string]paths.AdminReach, len(rs))
		for _, r := range rs {
			b.reach[r.Principal] = r
		}
	}
	r, ok := b.reach[n.ID]
	if !ok {
		return nil
	}
	p.Admin.ViaEscalation = true
	p.Admin.Conditional = r.Conditional
	p.Admin.Path = slices.Clone(r.Chain)
	return nil
}

func nameOr(name, id string) string {
	if name != "" {
		return name
	}
	return id
}

// permissions overlays usage on the entitlements and returns, per used
// service, the actions a least-privilege policy keeps (nil when a service's
// actions were not recorded).
func (b *builder) permissions(ent *entitlement.Entitlements, usage *entitlement.UsageData, p *Principal) map[string]*entitlement.Keep {
	if ent == nil {
		p.Usage.Reason = "no entitlements recorded for this principal (collected without the CIEM analyser)"
		return nil
	}
	p.EntitlementsKnown = true
	p.Sources = ent.Sources
	p.Wildcards = ent.Wildcards
	p.Notes = append(p.Notes, ent.Notes...)
	p.Permissions.Levels = map[entitlement.AccessLevel]int{}
	byService := map[string]*entitlement.ServiceUsage{}
	if usage != nil {
		p.Usage.Known = true
		p.Usage.Source = usage.Source
		for i := range usage.Services {
			byService[usage.Services[i].Service] = &usage.Services[i]
		}
	} else {
		p.Usage.Reason = "no last-accessed data: usage unknown, not unused"
	}
	keep := map[string]*entitlement.Keep{}
	for _, s := range ent.Services {
		v := ServiceView{Service: s.Service, Levels: s.Levels, Total: s.Total, Sensitive: s.Sensitive, Conditional: s.Conditional, All: s.All, State: StateUnknown}
		for _, si := range s.Sources {
			if si >= 0 && si < len(ent.Sources) {
				v.Sources = append(v.Sources, ent.Sources[si])
			}
		}
		p.Permissions.Total += s.Total
		p.Permissions.Sensitive += s.Sensitive
		for l, c := range s.Levels {
			p.Permissions.Levels[l] += c
		}
		if su := byService[s.Service]; su != nil && su.NotObservable {
			// The source cannot see this service's use: neither used nor
			// unused, and never counted as unused permissions.
			v.NotObservable = true
			p.Permissions.Services = append(p.Permissions.Services, v)
			continue
		}
		if usage != nil {
			su := byService[s.Service]
			if su != nil {
				v.LastAccessed = su.LastAccessed
			}
			if su == nil || su.LastAccessed.IsZero() || su.LastAccessed.Before(b.cutoff) {
				v.State = StateUnused
				v.UnusedSensitive = s.Sensitive
				p.Usage.UnusedServices = append(p.Usage.UnusedServices, s.Service)
				p.Usage.UnusedActions += s.Total
			} else {
				v.State = StateUsed
				p.Usage.UsedServices = append(p.Usage.UsedServices, s.Service)
				var unused int
				keep[s.Service], unused = b.keepActions(s, su, &v)
				p.Usage.UnusedActions += unused
			}
			p.Usage.UnusedSensitive += v.UnusedSensitive
		}
		p.Permissions.Services = append(p.Permissions.Services, v)
	}
	return keep
}

// keepActions splits a used service's allowed actions into kept and unused.
// Without action-level data every allowed action is kept; with it, tracked
// actions not used in the window are dropped and untracked ones kept (their
// use is unknown). When the source tracks every allowed action
// (Exhaustive), the used ones are kept whether or not the allowed names
// were recorded. nil means the allowed actions were not recorded. The
// count is the allowed actions known to be unused.
func (b *builder) keepActions(s entitlement.ServiceEntitlement, su *entitlement.ServiceUsage, v *ServiceView) (*entitlement.Keep, int) {
	v.ActionLevel = su.ActionLevel
	if su.ActionLevel && su.Exhaustive {
		return b.keepUsed(s, su, v)
	}
	k := &entitlement.Keep{Service: s.Service, All: s.All && s.Actions == nil}
	if !k.All {
		if s.Actions == nil {
			return nil, 0
		}
		k.Actions = s.Actions
	}
	if !su.ActionLevel {
		return k, 0
	}
	sensitive := map[string]bool{}
	for _, a := range s.SensitiveActions {
		sensitive[strings.ToLower(a)] = true
	}
	unused := map[string]bool{}
	for _, a := range su.Actions {
		if a.LastAccessed.IsZero() || a.LastAccessed.Before(b.cutoff) {
			unused[strings.ToLower(a.Action)] = true
		}
	}
	if k.All {
		// Every tracked action is allowed: the unused ones are excluded.
		for _, a := range su.Actions {
			if unused[strings.ToLower(a.Action)] {
				k.Except = append(k.Except, a.Action)
			}
		}
		v.UnusedActions = slices.Sorted(slices.Values(k.Except))
	} else {
		k.Actions = nil
		for _, a := range s.Actions {
			if unused[strings.ToLower(a)] {
				v.UnusedActions = append(v.UnusedActions, a)
				continue
			}
			k.Actions = append(k.Actions, a)
		}
		slices.Sort(v.UnusedActions)
	}
	for _, a := range v.UnusedActions {
		if sensitive[strings.ToLower(a)] {
			v.UnusedSensitive++
		}
	}
	return k, len(v.UnusedActions)
}

// keepUsed keeps exactly the actions an exhaustive source saw used in the
// window: every other allowed action was tracked and is unused, so the
// kept set does not depend on how many the grants allow (a basic role's
// thousands are not stored by name).
func (b *builder) keepUsed(s entitlement.ServiceEntitlement, su *entitlement.ServiceUsage, v *ServiceView) (*entitlement.Keep, int) {
	k := &entitlement.Keep{Service: s.Service}
	for _, a := range su.Actions {
		if !a.LastAccessed.IsZero() && !a.LastAccessed.Before(b.cutoff) {
			k.Actions = append(k.Actions, a.Action)
		}
	}
	slices.Sort(k.Actions)
	k.Actions = slices.Compact(k.Actions)
	used := map[string]bool{}
	for _, a := range k.Actions {
		used[strings.ToLower(a)] = true
	}
	for _, a := range s.Actions {
		if !used[strings.ToLower(a)] {
			v.UnusedActions = append(v.UnusedActions, a)
		}
	}
	slices.Sort(v.UnusedActions)
	// Sensitive actions kept: exact when their names were recorded, else
	// every kept action counts as sensitive (unused sensitive is then a
	// lower bound, never an overstatement).
	keptSensitive := len(k.Actions)
	if !s.SensitiveTruncated && len(s.SensitiveActions) == s.Sensitive {
		keptSensitive = 0
		for _, a := range s.SensitiveActions {
			if used[strings.ToLower(a)] {
				keptSensitive++
			}
		}
	}
	v.UnusedSensitive = max(s.Sensitive-keptSensitive, 0)
	return k, max(s.Total-len(k.Actions), 0)
}

// activity decides whether the principal acted in the window, from its
// credentials' last use and its recorded service use.
func (b *builder) activity(n *graph.Node, ent *entitlement.Entitlements, usage *entitlement.UsageData, p *Principal) {
	var creds []entitlement.Credential
	var created time.Time
	if ent != nil {
		creds, created = ent.Credentials, ent.CreatedAt
	}
	known := usage != nil && usage.Unobserved == ""
	var last time.Time
	for _, c := range creds {
		if !c.UsageKnown {
			continue
		}
		known = true
		if c.LastUsed.After(last) {
			last = c.LastUsed
		}
		if c.Kind == entitlement.CredentialSession || !c.Active {
			continue
		}
		switch {
		case c.LastUsed.IsZero() && (c.Created.IsZero() || c.Created.Before(b.cutoff)):
			p.Dormant = append(p.Dormant, CredentialRow{Kind: c.Kind, ID: c.ID, Created: c.Created, Reason: "active, never used"})
		case !c.LastUsed.IsZero() && c.LastUsed.Before(b.cutoff):
			p.Dormant = append(p.Dormant, CredentialRow{Kind: c.Kind, ID: c.ID, Created: c.Created, LastUsed: c.LastUsed,
				Reason: fmt.Sprintf("active, not used for %d days", int(b.opts.Now.Sub(c.LastUsed).Hours()/24))})
		}
	}
	if usage != nil {
		var used time.Time
		for _, s := range usage.Services {
			if !s.NotObservable && s.LastAccessed.After(used) {
				used = s.LastAccessed
			}
		}
		// A source blind to some kinds of use knows the principal acted
		// only when it saw it act in the window.
		if usage.Unobserved != "" && !used.IsZero() && !used.Before(b.cutoff) {
			known = true
		}
		if used.After(last) {
			last = used
		}
	}
	p.Activity.LastActivity = last
	switch {
	case !known:
		p.Activity.State = StateUnknown
		p.Activity.Reason = "no credential last-use or last-accessed data"
		if usage != nil && usage.Unobserved != "" {
			p.Activity.Reason = "no recorded use in the window, but " + usage.Source + " does not record " + usage.Unobserved + ", and no sign-in data says otherwise"
		}
		if n.Kind == graph.KindGroup {
			p.Activity.Reason = "groups do not act themselves; no last-accessed data for the group"
		}
	case !last.IsZero() && !last.Before(b.cutoff):
		p.Activity.State = StateUsed
	case !created.IsZero() && !created.Before(b.cutoff):
		p.Activity.State = StateNew
		p.Activity.Reason = "created inside the window"
	default:
		p.Activity.State = StateUnused
		if last.IsZero() {
			p.Activity.Reason = "no recorded use"
		} else {
			p.Activity.Reason = fmt.Sprintf("last used %d days ago", int(b.opts.Now.Sub(last).Hours()/24))
		}
	}
}

func (b *builder) suggest(ent *entitlement.Entitlements, usage *entitlement.UsageData, keep map[string]*entitlement.Keep, p *Principal) {
	switch {
	case ent == nil:
		p.SuggestionReason = "no entitlements recorded: nothing to reduce"
		return
	case ent.Unmanaged != "":
		p.SuggestionReason = ent.Unmanaged
		return
	case usage == nil:
		p.SuggestionReason = "no last-accessed data: a policy built without knowing what is used would break the principal"
		return
	case usage.Suggestion != nil:
		// Computed and verified by the collector (entitlement.UsageData).
		sug := *usage.Suggestion
		p.Suggestion = &sug
		return
	case usage.SuggestionReason != "":
		p.SuggestionReason = usage.SuggestionReason
		return
	case len(p.Usage.UsedServices) == 0:
		p.SuggestionReason = fmt.Sprintf("nothing used in the last %d days: remove the principal's permissions (or the principal) rather than narrow them", b.opts.LastAccessedDays)
		return
	}
	w := b.src.Policies[p.Cloud]
	if w == nil {
		p.SuggestionReason = fmt.Sprintf("no policy writer for cloud %q", p.Cloud)
		return
	}
	var keeps []entitlement.Keep
	kept := 0
	for _, svc := range p.Usage.UsedServices {
		k := keep[svc]
		if k == nil {
			p.SuggestionReason = fmt.Sprintf("the allowed actions of %s were not recorded; re-collect with last-accessed data", svc)
			return
		}
		for _, s := range p.Permissions.Services {
			if s.Service != svc {
				continue
			}
			if k.All {
				kept += s.Total - len(k.Except)
			} else {
				kept += len(k.Actions)
			}
		}
		if k.All || len(k.Actions) > 0 {
			keeps = append(keeps, *k)
		}
	}
	if len(keeps) == 0 {
		p.SuggestionReason = "every used service's tracked actions are unused in the window"
		return
	}
	sug, err := w.LeastPrivilege(keeps, max(p.Permissions.Total-kept, 0))
	if err != nil {
		p.SuggestionReason = "policy writer: " + err.Error()
		return
	}
	// The suggestion stands in for the principal's own grants (group and
	// resource policies are shared with others, so they stay).
	for _, src := range ent.Sources {
		r := entitlement.Replaced{Grant: src.PolicyName, On: src.Policy}
		if src.Kind == entitlement.SourceIdentity && !slices.Contains(sug.Replaces, r) {
			sug.Replaces = append(sug.Replaces, r)
		}
	}
	p.Suggestion = sug
}
