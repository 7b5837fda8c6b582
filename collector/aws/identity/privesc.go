package identity

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/breachpath/breachpath/collector/aws/policy"
	"github.com/breachpath/breachpath/graph"
)

// permCheck is the combined outcome of a technique's permission checks. Its evidence is kept as
// the (shared, read-only) slices it is made of and joined once, by emit, for the edges actually
// drawn: most checks end in no edge or an edge through a policy hub.
type permCheck struct {
	dec   policy.Decision
	n     int
	parts [6][]string
}

// add appends evidence lines; past len(parts) the last part becomes a private copy.
func (c *permCheck) add(lines ...string) {
	if c.n < len(c.parts) {
		c.parts[c.n] = lines
		c.n++
		return
	}
	last := &c.parts[len(c.parts)-1]
	*last = append(slices.Clip(*last), lines...)
}

// evidenceLen counts the evidence lines.
func (c *permCheck) evidenceLen() int {
	n := 0
	for _, p := range c.parts[:c.n] {
		n += len(p)
	}
	return n
}

// and adds one permission's result to c and reports whether the move is still possible.
func (e *escalator) and(c *permCheck, action, resource string, r policy.Result) bool {
	if !granted(r.Decision) {
		c.dec = r.Decision
		return false
	}
	if c.dec == 0 || c.dec == policy.Allowed {
		c.dec = r.Decision
	}
	c.add(e.b.cachedEvidence(action, resource, r)...)
	return true
}

// workload is an inventoried function or instance that runs as a role.
type workload struct {
	arn    string
	region string
	role   *principal
	via    string   // instance profile, for instances
	extra  []string // evidence naming the workload's role, shared by its edges (read-only)
}

// escalation emits ESCALATES_TO edges for every technique in Techniques.
func (b *builder) escalation(ctx context.Context) error {
	e := b.newEscalator()
	// Shared policies first: a workload technique one policy grants on its own is drawn once from
	// the policy node, and its unrestricted holders reach it through aws.iam.holds-policy (see
	// hubs.go; the same decomposition argument holds for these identity-only requests).
	for _, x := range e.hubPolicies() {
		if err := ctx.Err(); err != nil {
			return err
		}
		pa := e.policyAttacker(x)
		e.resetAttacker()
		for _, t := range e.order {
			if hubCategory(t) && e.mayHave(pa, t) {
				e.apply(pa, t)
			}
		}
	}
	// An admin-equivalent principal already holds the administrator node: every escalation
	// from it is implied, and emitting them would only multiply edges.
	var attackers []*principal
	for _, p := range b.principals {
		if !p.admin {
			attackers = append(attackers, p)
		}
	}
	// Principals are independent from here on: workers compute them in parallel, each into its
	// own sink, and the sinks are replayed in principal order, so edges merge exactly as they
	// would sequentially. Batches bound the memory the sinks hold.
	e.prepareShared()
	escs := make([]*escalator, workers(len(attackers)))
	views := make([]*builder, len(escs))
	for w := range escs {
		escs[w] = e.worker()
		views[w] = escs[w].b
	}
	// Workers read no nodes, edges or findings: replays may overlap the next batch.
	return b.ordered(ctx, len(attackers), views, true, func(w, i int) {
		we, p := escs[w], attackers[i]
		we.resetAttacker()
		for _, t := range we.order {
			if we.mayHave(p, t) {
				we.apply(p, t)
			}
		}
	})
}

// prepareShared fills every lazily built cache the workers read (per-technique contexts and role
// pools, per-policy info, request contexts), so that they only read shared state.
func (e *escalator) prepareShared() {
	b := e.b
	for _, t := range e.order {
		if len(t.Services) > 0 {
			e.serviceContext(t)
			e.passPool(t)
		}
	}
	b.preparePolicies()
	b.requestContext(b.globalRegion())
	b.requestContext(b.homeRegion())
	for name := range b.inv.Regional {
		b.requestContext(name)
	}
}

// worker returns an escalator for one escalation worker: shared read-only state, its own
// per-attacker state, decision caches and a builder view that records into a sink.
func (e *escalator) worker() *escalator {
	we := *e
	we.b = e.b.view()
	we.emitted, we.memo, we.passMemo = map[emitKey]bool{}, map[memoKey]memoEntry{}, map[string][]passEntry{}
	we.workMemo = map[workKey][]passEntry{}
	we.hubOK, we.holds, we.findings = map[pairKey]bool{}, map[pairKey]bool{}, map[pairKey][]string{}
	return &we
}

type escalator struct {
	b         *builder
	users     []string
	roles     []string
	groups    []string
	isTarget  map[string]bool
	svcRoles  map[string][]*principal
	functions []workload
	instances []workload
	trustOf   map[*principal]*roleTrust
	groupByID map[string]*groupInfo
	// order runs techniques with more permissions first; subsumedBy[t] lists the techniques whose
	// permissions strictly include t's with the same target. When one of them already reached a
	// target, t's edge to it is redundant (it holds whenever the larger one does) and is skipped.
	order      []*Technique
	subsumedBy map[*Technique][]*Technique
	emitted    map[emitKey]bool // technique + target, for the current attacker
	// hubEdges records policy-node escalation edges: policy|technique|target -> conditional.
	hubEdges map[hubKey]bool
	hubOK    map[pairKey]bool      // attacker|technique -> may use policy hubs
	holds    map[pairKey]bool      // attacker|policy holds-policy edges drawn
	findings map[pairKey][]string  // attacker|technique -> []string{finding id}
	memo     map[memoKey]memoEntry // action|resource|context -> decision, for the current attacker
	// svcCtx holds, per technique with services, its iam:PassedToService context and that
	// context's cache key, built once instead of once per attacker and role.
	svcCtx map[*Technique]svcContext
	pools  map[*Technique]*passPool
	// techLine is each technique's "technique <catalog id>" evidence line (read-only).
	techLine map[*Technique]string
	// passMemo holds, for the current attacker, its iam:PassRole decisions per service context
	// key, indexed like the pools of that key: the passed-role techniques of one service ask
	// them for every role of the pool, and a slice index is much cheaper than memo's map.
	passMemo map[string][]passEntry
	workMemo map[workKey][]passEntry // the same for workload actions, per action and pool
}

type workKey struct {
	action string
	target Target
}

// passEntry is one memoized PassRole decision (memoEval's, for one role of a pool).
type passEntry struct {
	done bool
	m    memoEntry
}

// The escalator's map keys are structs rather than joined strings: they are looked up millions of
// times on a large account, and building a string per lookup dominated the allocations.
type (
	emitKey struct {
		tech *Technique
		to   string
	}
	hubKey  struct{ policy, tech, to string }
	pairKey struct{ a, b string }
	memoKey struct{ action, resource, extra string }
)

// memoEntry is a memoized decision and, once a technique used it, its evidence lines.
type memoEntry struct {
	res   policy.Result
	ev    []string
	entry *decisionEntry // the shared decision res is, if any (see decomposedEval)
}

// passPool is what a passed-role technique iterates over, the same for every attacker: the roles
// trusting its services, their ids, and the evidence lines naming each role (read-only).
type passPool struct {
	roles  []*principal
	ids    []string
	extras [][]string
	index  map[string][]int // id -> its positions in ids
}

type svcContext struct {
	ctx map[string][]string
	key string
}

// resetAttacker clears the per-attacker state before the next attacker's techniques run.
func (e *escalator) resetAttacker() {
	// clear costs the table's capacity: after a large attacker, start small again.
	for _, m := range []int{len(e.emitted), len(e.memo)} {
		if m > 4096 {
			e.emitted, e.memo = map[emitKey]bool{}, map[memoKey]memoEntry{}
			break
		}
	}
	clear(e.emitted)
	clear(e.memo)
	clear(e.passMemo)
	clear(e.workMemo)
}

func (b *builder) newEscalator() *escalator {
	e := &escalator{b: b, isTarget: map[string]bool{}, svcRoles: map[string][]*principal{}, trustOf: map[*principal]*roleTrust{},
		groupByID: map[string]*groupInfo{}, subsumedBy: map[*Technique][]*Technique{}, hubEdges: map[hubKey]bool{}, hubOK: map[pairKey]bool{}, holds: map[pairKey]bool{}, findings: map[pairKey][]string{},
		emitted: map[emitKey]bool{}, memo: map[memoKey]memoEntry{}, passMemo: map[string][]passEntry{}, workMemo: map[workKey][]passEntry{}, svcCtx: map[*Technique]svcContext{}, pools: map[*Technique]*passPool{}}
	e.techLine = map[*Technique]string{}
	for i := range Techniques {
		e.order = append(e.order, &Techniques[i])
		e.techLine[&Techniques[i]] = "technique " + Techniques[i].CatalogID
	}
	slices.SortStableFunc(e.order, func(x, y *Technique) int { return len(y.Perms) - len(x.Perms) })
	for _, small := range e.order {
		for _, big := range e.order {
			if big != small && big.Target == small.Target && len(big.Perms) > len(small.Perms) && permSubset(small.Perms, big.Perms) {
				e.subsumedBy[small] = append(e.subsumedBy[small], big)
			}
		}
	}
	for _, p := range b.principals {
		e.isTarget[p.id] = true
		if p.user != nil {
			e.users = append(e.users, p.id)
		} else if !p.role.ServiceLinked {
			e.roles = append(e.roles, p.id)
		}
	}
	for _, g := range b.groups {
		e.groups = append(e.groups, g.arn)
		e.isTarget[g.arn] = true
		e.groupByID[g.arn] = g
	}
	slices.Sort(e.groups)
	for _, rt := range b.trusts {
		e.trustOf[rt.p] = rt
		for _, svc := range rt.services {
			caller := policy.Principal{Type: policy.TypeService, Name: svc, ARN: svc}
			r := b.ev.CanAssume(caller, policy.PolicySet{}, rt.doc, rt.p.id, nil)
			// Conditions such as aws:SourceAccount hold for a workload the attacker creates in this
			// account, so a conditional service trust still counts.
			if granted(r.Decision) && !rt.p.role.ServiceLinked {
				e.svcRoles[svc] = append(e.svcRoles[svc], rt.p)
			}
		}
	}
	for _, name := range slices.Sorted(func(yield func(string) bool) {
		for k := range b.inv.Regional {
			if !yield(k) {
				return
			}
		}
	}) {
		rd := b.inv.Regional[name]
		for _, f := range rd.Functions {
			if r := b.byARN[f.Role]; r != nil {
				e.functions = append(e.functions, workload{arn: f.ARN, region: name, role: r, extra: []string{f.ARN + " runs as " + r.id}})
			}
		}
		for _, in := range rd.Instances {
			if in.InstanceProfileARN == "" {
				continue
			}
			arn := in.ARN
			if arn == "" {
				arn = "arn:" + b.partition + ":ec2:" + name + ":" + b.account + ":instance/" + in.ID
			}
			for _, ip := range b.inv.IAM.InstanceProfiles {
				if ip.ARN != in.InstanceProfileARN {
					continue
				}
				for _, ra := range ip.Roles {
					if r := b.byARN[ra]; r != nil {
						extra := []string{arn + " runs as " + r.id}
						if ip.ARN != "" {
							extra = append(extra, "via instance profile "+ip.ARN)
						}
						e.instances = append(e.instances, workload{arn: arn, region: name, role: r, via: ip.ARN, extra: slices.Clip(extra)})
					}
				}
			}
		}
	}
	return e
}

// mayHave is the cheap prefilter: every required action is allowed (maybe conditionally) somewhere.
func (e *escalator) mayHave(p *principal, t *Technique) bool {
	for _, perm := range t.Perms {
		a, ok := e.b.lookup(perm.Action)
		if !ok {
			continue // not in the catalog: left to Evaluate
		}
		if !p.class.anyYes.Has(a) && !p.class.anyMay.Has(a) {
			return false
		}
	}
	return true
}

// serviceContext returns t's iam:PassedToService request context, built once per technique.
func (e *escalator) serviceContext(t *Technique) svcContext {
	if sc, ok := e.svcCtx[t]; ok {
		return sc
	}
	ctx := map[string][]string{"iam:PassedToService": t.Services}
	sc := svcContext{ctx: ctx, key: contextKey(ctx)}
	e.svcCtx[t] = sc
	return sc
}

// evalOn evaluates one action of p on a resource ARN (IAM requests are global).
func (e *escalator) evalOn(p *principal, action, resource, region string, extra map[string][]string) policy.Result {
	return e.evalOnKey(p, action, resource, region, extra, contextKey(extra))
}

// contextKey is the cache key of extra request context.
func contextKey(extra map[string][]string) string {
	extraKey := ""
	for k, v := range extra {
		extraKey += k + "=" + strings.Join(v, ",") + ";"
	}
	return extraKey
}

// evalOnKey is evalOn with extra's cache key precomputed (contextKey).
func (e *escalator) evalOnKey(p *principal, action, resource, region string, extra map[string][]string, extraKey string) policy.Result {
	// Techniques of one family ask the same question (PassRole of a role to lambda for three
	// Lambda techniques): answer it once per attacker.
	return e.memoEval(p, action, resource, region, extra, extraKey).res
}

func (e *escalator) memoEval(p *principal, action, resource, region string, extra map[string][]string, extraKey string) memoEntry {
	mk := memoKey{action: action, resource: resource, extra: extraKey}
	if m, ok := e.memo[mk]; ok {
		return m
	}
	var m memoEntry
	m.res, m.entry = e.evalFreshEntry(p, action, resource, region, extra, extraKey)
	e.memo[mk] = m
	return m
}

// andWorkload is andOn for action on workload w (index wi of the target's pool), memoized per
// attacker in slices indexed like the pool: the workload techniques ask the same actions of
// every function and instance.
func (e *escalator) andWorkload(c *permCheck, p *principal, action string, target Target, wi int, w workload) bool {
	k := workKey{action: action, target: target}
	wm := e.workMemo[k]
	if wm == nil {
		n := len(e.functions)
		if target == TargetInstanceRole {
			n = len(e.instances)
		}
		wm = make([]passEntry, n)
		e.workMemo[k] = wm
	}
	pe := &wm[wi]
	if !pe.done {
		pe.m.res, pe.m.entry = e.evalFreshEntry(p, action, w.arn, w.region, nil, "")
		pe.done = true
	}
	return e.andMemo(c, &pe.m, action, w.arn)
}

// andPass is andOn for iam:PassRole of role on the service context sc, memoized in pe.
func (e *escalator) andPass(c *permCheck, p *principal, pe *passEntry, role, region string, sc svcContext) bool {
	if !pe.done {
		pe.m.res, pe.m.entry = e.evalFreshEntry(p, passRole.Action, role, region, sc.ctx, sc.key)
		pe.done = true
	}
	return e.andMemo(c, &pe.m, passRole.Action, role)
}

// andMemo adds a memoized decision to c like and, building the decision's evidence once (on the
// shared decision entry when there is one).
func (e *escalator) andMemo(c *permCheck, m *memoEntry, action, resource string) bool {
	if !granted(m.res.Decision) {
		c.dec = m.res.Decision
		return false
	}
	if c.dec == 0 || c.dec == policy.Allowed {
		c.dec = m.res.Decision
	}
	if m.ev == nil {
		switch {
		case m.entry == nil:
			m.ev = decisionEvidence(action, resource, m.res)
		case m.entry.ev == nil:
			m.entry.ev = slices.Clip(decisionEvidence(action, resource, m.res))
			fallthrough
		default:
			m.ev = m.entry.ev
		}
	}
	c.add(m.ev...)
	return true
}

// passPool returns t's roles with their evidence lines, built once per technique.
func (e *escalator) passPool(t *Technique) *passPool {
	if pp, ok := e.pools[t]; ok {
		return pp
	}
	pp := &passPool{index: map[string][]int{}}
	for _, svc := range t.Services {
		pp.roles = append(pp.roles, e.svcRoles[svc]...)
	}
	trusts := " trusts " + strings.Join(t.Services, ", ")
	for _, r := range pp.roles {
		pp.index[r.id] = append(pp.index[r.id], len(pp.ids))
		pp.ids = append(pp.ids, r.id)
		extra := []string{r.id + trusts}
		if t.Target != TargetPassedRole {
			extra = append(extra, "requires an existing "+t.Services[0]+" workload running as "+r.id+" (not inventoried)")
		}
		if t.NeedsProfile && len(e.b.profiles[r.id]) > 0 {
			extra = append(extra, "instance profile "+e.b.profiles[r.id][0]+" holds "+r.id)
		}
		pp.extras = append(pp.extras, slices.Clip(extra))
	}
	e.pools[t] = pp
	return pp
}

func (e *escalator) evalFresh(p *principal, action, resource, region string, extra map[string][]string, extraKey string) policy.Result {
	r, _ := e.evalFreshEntry(p, action, resource, region, extra, extraKey)
	return r
}

// evalFreshEntry is evalFresh that also returns the shared decision entry the result is, if any
// (see decomposedEval).
func (e *escalator) evalFreshEntry(p *principal, action, resource, region string, extra map[string][]string, extraKey string) (policy.Result, *decisionEntry) {
	if r, entry, ok := e.b.decomposedEval(p, action, resource, region, extra, extraKey); ok {
		return r, entry
	}
	ctx := e.b.requestContext(region)
	if len(extra) > 0 {
		c := make(map[string][]string, len(ctx)+len(extra))
		for k, v := range ctx {
			c[k] = v
		}
		for k, v := range extra {
			c[k] = v
		}
		ctx = c
	}
	return e.b.ev.Evaluate(policy.Request{Principal: p.caller, Action: action, Resource: resource, ResourceAccount: e.b.account, Context: ctx}, p.set), nil
}

// evalAny decides a creation action, whose resource the attacker names: allowed on some resource.
func (e *escalator) evalAny(p *principal, action string) policy.Result {
	if a, ok := e.b.lookup(action); ok {
		switch {
		case p.class.anyYes.Has(a):
			r := policy.Result{Decision: policy.Allowed}
			r.Reasons = e.allowReasons(p, action)
			return r
		case p.class.anyMay.Has(a):
			r := policy.Result{Decision: policy.Conditional, UnresolvedKeys: []string{"request context of " + action}}
			r.Reasons = e.allowReasons(p, action)
			return r
		}
		return policy.Result{Decision: policy.ImplicitDeny}
	}
	return e.evalOn(p, action, "*", e.b.homeRegion(), nil)
}

func (e *escalator) allowReasons(p *principal, action string) []policy.Reason {
	var out []policy.Reason
	for _, g := range e.b.classGrants(p.class, action) {
		if g.Kind == policy.KindIdentity && g.Effect == policy.Allow {
			out = append(out, policy.Reason{Kind: g.Kind, PolicyLabel: g.PolicyLabel, Sid: g.Sid, Index: g.Index, Effect: g.Effect, Conditional: g.Conditional})
			if len(out) == 2 {
				break
			}
		}
	}
	return out
}

// candidates narrows a pool of target ARNs to those some identity Allow for action could cover.
func (e *escalator) candidates(p *principal, action string, pool []string) []string {
	var exact []string
	scan := false
	grants := e.b.classGrants(p.class, action)
	for _, g := range grants {
		if g.Kind != policy.KindIdentity || g.Effect != policy.Allow {
			continue
		}
		if g.NotResources || g.Resources == nil {
			return pool
		}
		for _, pat := range g.Resources {
			switch {
			case strings.Contains(pat, "${"), pat == "*": // "*" matches every target
				return pool
			case hasWildcard(pat):
				scan = true
			case e.isTarget[pat]:
				exact = append(exact, pat)
			}
		}
	}
	if !scan {
		return slices.Compact(slices.Sorted(slices.Values(exact)))
	}
	// Pools hold thousands of targets: compile the identity Allow patterns once.
	var globs []glob
	for _, g := range grants {
		if g.Kind == policy.KindIdentity && g.Effect == policy.Allow {
			for _, pat := range g.Resources {
				globs = append(globs, newGlob(pat))
			}
		}
	}
	var out []string
	for _, t := range pool {
		if slices.Contains(exact, t) || slices.ContainsFunc(globs, func(g glob) bool { return g.match(t) }) {
			out = append(out, t)
		}
	}
	return out
}

// emit adds an escalation edge and the finding that names the attacker's dangerous permission.
func (e *escalator) emit(p *principal, t *Technique, to string, c permCheck, extra ...string) {
	if to == p.id {
		return
	}
	for _, big := range e.subsumedBy[t] {
		if e.emitted[emitKey{big, to}] {
			return
		}
	}
	e.emitted[emitKey{t, to}] = true
	b := e.b
	conditional := c.dec == policy.Conditional
	if p.kind == graph.KindPolicy {
		e.hubEdges[hubKey{p.id, t.ID, to}] = conditional
	} else if e.viaPolicy(p, t, to, conditional) {
		return
	}
	sev := graph.SeverityHigh
	if to == b.adminNode || (b.byARN[to] != nil && b.byARN[to].admin) {
		sev = graph.SeverityCritical
	}
	fk := pairKey{p.id, t.ID}
	// One finding per attacker and technique (its id depends on nothing else): its edges share
	// one read-only Findings slice.
	fids, ok := e.findings[fk]
	if !ok || sev == graph.SeverityCritical {
		fid := b.addFinding(graph.Finding{RuleID: RulePrivescPrefix + strings.TrimPrefix(t.ID, "aws."), Resource: p.id, Severity: sev,
			Title:       "Privilege escalation: " + t.Summary,
			Evidence:    fmt.Sprintf("%s (%s) holds %s", p.id, t.CatalogID, permList(t)),
			Remediation: "Remove or scope " + permList(t) + " (restrict Resource, add iam:PassedToService / tag conditions, or deny it in a boundary or SCP).",
			FixEffort:   1})
		if !ok {
			fids = []string{fid}
			e.findings[fk] = fids
		}
	}
	ev := make([]string, 0, c.evidenceLen()+len(extra)+1)
	for _, part := range c.parts[:c.n] {
		ev = append(ev, part...)
	}
	ev = append(ev, extra...)
	ev = append(ev, e.techLine[t])
	b.addEdge(graph.Edge{From: p.id, To: to, Kind: graph.EdgeEscalatesTo, Technique: t.ID, Likelihood: t.Likelihood,
		Conditional: c.dec == policy.Conditional, Evidence: ev, Findings: fids})
}

func permList(t *Technique) string {
	names := make([]string, len(t.Perms))
	for i, pm := range t.Perms {
		names[i] = pm.Action
	}
	return strings.Join(names, " + ")
}

func (e *escalator) apply(p *principal, t *Technique) {
	b := e.b
	admin := b.adminNode
	global := b.globalRegion()
	switch t.Target {
	case TargetSelfPolicy:
		if !p.maxAdmin {
			return
		}
		for _, m := range p.managed {
			if isAWSManagedARN(m) {
				continue // AWS-managed policies cannot be changed by customers
			}
			var c permCheck
			if e.and(&c, t.Perms[0].Action, m, e.evalOn(p, t.Perms[0].Action, m, global, nil)) {
				e.emit(p, t, admin, c, "policy "+m+" is attached to "+p.id)
			}
		}
	case TargetSelf:
		roleTech := strings.Contains(t.Perms[0].Action, "Role")
		if (roleTech && p.role == nil) || (!roleTech && p.user == nil) || !p.maxAdmin {
			return
		}
		var c permCheck
		if e.and(&c, t.Perms[0].Action, p.id, e.evalOn(p, t.Perms[0].Action, p.id, global, nil)) {
			e.emit(p, t, admin, c)
		}
	case TargetSelfGroup:
		if p.user == nil || !p.maxAdmin {
			return
		}
		for _, g := range p.groups {
			var c permCheck
			if e.and(&c, t.Perms[0].Action, g.arn, e.evalOn(p, t.Perms[0].Action, g.arn, global, nil)) {
				e.emit(p, t, admin, c, p.id+" is a member of "+g.arn)
			}
		}
	case TargetGroup:
		if p.user == nil {
			return
		}
		for _, ga := range e.candidates(p, t.Perms[0].Action, e.groups) {
			g := e.groupByID[ga]
			if g == nil || len(g.policies) == 0 || slices.Contains(p.groups, g) {
				continue
			}
			var c permCheck
			if e.and(&c, t.Perms[0].Action, ga, e.evalOn(p, t.Perms[0].Action, ga, global, nil)) {
				e.emit(p, t, ga, c)
			}
		}
	case TargetUser, TargetUserMod:
		for _, ua := range e.candidates(p, t.Perms[0].Action, e.users) {
			u := b.byARN[ua]
			if u == nil || u == p || !e.userPrecondition(t, u) {
				continue
			}
			if c, ok := e.allOn(p, t, u.id, global); ok {
				if t.Target == TargetUserMod {
					e.emit(p, t, admin, c, "then act as "+u.id)
					return // one intermediate user is enough
				} else {
					e.emit(p, t, u.id, c)
				}
			}
		}
	case TargetRole, TargetAssumableRoleMod, TargetTrustRoleMod:
		first := t.Perms[0]
		pool := e.roles
		if first.On == OnPolicy {
			pool = e.rolesWithCustomerPolicies()
		} else {
			pool = e.candidates(p, first.Action, pool)
		}
		for _, ra := range pool {
			r := b.byARN[ra]
			if r == nil || r == p {
				continue
			}
			if t.Target != TargetRole && (!r.maxAdmin || r.admin) {
				// Making an admin role admin gains nothing over assuming it; a capped role cannot become admin.
				continue
			}
			c, ok := e.roleChecks(p, t, r, global)
			if !ok {
				continue
			}
			if t.Target == TargetRole {
				e.emit(p, t, r.id, c)
			} else {
				// One intermediate role is enough to reach the administrator; more would only pile
				// evidence onto the same edge.
				e.emit(p, t, admin, c, "then act as "+r.id)
				return
			}
		}
	case TargetPassedRole, TargetUninventoriedRole:
		pp := e.passPool(t)
		if len(pp.roles) == 0 {
			return
		}
		var base permCheck
		for _, perm := range t.Perms {
			if perm.On == OnAny && !e.and(&base, perm.Action, "*", e.evalAny(p, perm.Action)) {
				return
			}
		}
		var passable []bool // by pool index; nil: every role
		if t.Target == TargetPassedRole {
			if cand := e.candidates(p, passRole.Action, pp.ids); len(cand) != len(pp.ids) || (len(cand) > 0 && &cand[0] != &pp.ids[0]) {
				passable = make([]bool, len(pp.ids))
				for _, id := range cand {
					for _, i := range pp.index[id] {
						passable[i] = true
					}
				}
			}
		}
		sc := e.serviceContext(t)
		// Pools of one service context list the same roles in the same order.
		var pm []passEntry
		if t.Target == TargetPassedRole {
			pm = e.passMemo[sc.key]
			if len(pm) != len(pp.roles) {
				pm = make([]passEntry, len(pp.roles))
				e.passMemo[sc.key] = pm
			}
		}
		for i, r := range pp.roles {
			if r == p || (t.NeedsProfile && len(b.profiles[r.id]) == 0) {
				continue
			}
			c := base // parts are shared read-only slices: base stays intact
			if t.Target == TargetPassedRole {
				if passable != nil && !passable[i] {
					continue
				}
				if !e.andPass(&c, p, &pm[i], r.id, global, sc) {
					continue
				}
			} else {
				c.dec = policy.Conditional
			}
			e.emit(p, t, r.id, c, pp.extras[i]...)
		}
	case TargetFunctionRole, TargetInstanceRole:
		pool := e.functions
		if t.Target == TargetInstanceRole {
			pool = e.instances
		}
		for wi, w := range pool {
			if w.role == p {
				continue
			}
			var c permCheck
			ok := true
			for _, perm := range t.Perms {
				if perm.On == OnAny {
					ok = e.and(&c, perm.Action, "*", e.evalAny(p, perm.Action))
				} else {
					ok = e.andWorkload(&c, p, perm.Action, t.Target, wi, w)
				}
				if !ok {
					break
				}
			}
			if !ok {
				continue
			}
			e.emit(p, t, w.role.id, c, w.extra...)
		}
	}
}

func (e *escalator) userPrecondition(t *Technique, u *principal) bool {
	keys := len(u.cred.keys)
	switch t.CatalogID {
	case "iam-002", "iam-015", "iam-018":
		return keys < 2 // AWS allows two keys per user
	case "iam-003":
		return keys >= 2
	case "iam-004":
		return !u.cred.console
	case "iam-006":
		return u.cred.console
	}
	if t.Target == TargetUserMod {
		return u.maxAdmin && !u.admin
	}
	return true
}

// allOn checks every permission of t on one target principal.
func (e *escalator) allOn(p *principal, t *Technique, target, region string) (permCheck, bool) {
	var c permCheck
	for _, perm := range t.Perms {
		if !e.and(&c, perm.Action, target, e.evalOn(p, perm.Action, target, region, nil)) {
			return c, false
		}
	}
	if t.Target == TargetUserMod {
		u := e.b.byARN[target]
		if u == nil || !u.maxAdmin || u.admin {
			return c, false
		}
	}
	return c, true
}

// roleChecks evaluates a role technique's permissions: on the role, on a customer-managed policy
// attached to it, and sts:AssumeRole through the role's trust policy.
func (e *escalator) roleChecks(p *principal, t *Technique, r *principal, region string) (permCheck, bool) {
	var c permCheck
	for _, perm := range t.Perms {
		switch {
		case perm.Action == "sts:AssumeRole":
			rt := e.trustOf[r]
			if rt == nil || !e.and(&c, perm.Action, r.id, e.b.ev.CanAssume(p.caller, p.set, rt.doc, r.id, nil)) {
				return c, false
			}
		case perm.On == OnPolicy:
			found := false
			for _, m := range r.managed {
				if isAWSManagedARN(m) {
					continue
				}
				res := e.evalOn(p, perm.Action, m, region, nil)
				if granted(res.Decision) {
					e.and(&c, perm.Action, m, res)
					c.add("policy " + m + " is attached to " + r.id)
					found = true
					break
				}
			}
			if !found {
				return c, false
			}
		default:
			if !e.and(&c, perm.Action, r.id, e.evalOn(p, perm.Action, r.id, region, nil)) {
				return c, false
			}
		}
	}
	return c, true
}

func (e *escalator) rolesWithCustomerPolicies() []string {
	var out []string
	for _, id := range e.roles {
		r := e.b.byARN[id]
		if slices.ContainsFunc(r.managed, func(m string) bool { return !isAWSManagedARN(m) }) {
			out = append(out, id)
		}
	}
	return out
}

// permSubset reports whether every permission of small is in big.
func permSubset(small, big []Perm) bool {
	for _, s := range small {
		if !slices.Contains(big, s) {
			return false
		}
	}
	return true
}

// hubCategory: techniques whose targets do not depend on who the attacker is (workload roles),
// which a policy node can hold on behalf of its holders.
func hubCategory(t *Technique) bool {
	return t.Category == NewPassRole || t.Category == ExistingPassRole
}

// hubPolicies lists the shared, caller-independent policies held by at least one principal.
func (e *escalator) hubPolicies() []*policy.Policy {
	seen := map[*policy.Policy]bool{}
	var out []*policy.Policy
	for _, p := range e.b.principals {
		if p.admin {
			continue
		}
		for _, x := range p.set.Identity {
			if seen[x] || strings.HasPrefix(x.Label, p.id+"#inline/") || e.b.polInfo(x).dependent || e.b.node(x.Label) == nil {
				continue
			}
			seen[x] = true
			out = append(out, x)
		}
	}
	return out
}

// policyAttacker is a pseudo-principal holding only policy x (under the SCPs).
func (e *escalator) policyAttacker(x *policy.Policy) *principal {
	b := e.b
	probe := policy.Principal{ARN: x.Label, AccountID: b.account, Type: policy.TypeRole, Name: lastName(x.Label), Tags: map[string]string{}}
	pa := &principal{id: x.Label, kind: graph.KindPolicy, name: lastName(x.Label), caller: probe,
		set: policy.PolicySet{Identity: []*policy.Policy{x}, SCPs: b.scps, CallerIsManagementAccount: b.mgmt}}
	c := &class{key: "policy|" + x.Label, rep: pa, access: map[accessKey]accessResult{}, grants: map[string][]policy.Grant{}}
	c.anyYes, c.anyMay = policy.EffectiveActionsRequest(policy.Request{Principal: probe, Context: b.requestContext(b.homeRegion())}, pa.set)
	pa.class = c
	return pa
}

// viaPolicy draws p -> policy when a policy p holds already reaches target with technique t at
// least as surely, and p has nothing (boundary, deny, SLR exemption) that the policy's edge ignores.
func (e *escalator) viaPolicy(p *principal, t *Technique, target string, conditional bool) bool {
	b := e.b
	if !hubCategory(t) {
		return false
	}
	ek := pairKey{p.id, t.ID}
	eligible, known := e.hubOK[ek]
	if !known {
		eligible = p.set.Boundary == nil && !p.caller.IsServiceLinkedRole && !b.orgDependent
		for _, x := range p.set.Identity {
			ds := b.polInfo(x).denySet
			for _, pm := range t.Perms {
				if a, ok := b.lookup(pm.Action); !ok || ds.Has(a) {
					eligible = false
				}
			}
		}
		e.hubOK[ek] = eligible
	}
	if !eligible {
		return false
	}
	for _, x := range p.set.Identity {
		hubCond, ok := e.hubEdges[hubKey{x.Label, t.ID, target}]
		if !ok || (hubCond && !conditional) {
			continue
		}
		hk := pairKey{p.id, x.Label}
		if e.holds[hk] {
			return true
		}
		e.holds[hk] = true
		ev := x.Label + " attached to " + p.id
		for _, g := range p.groups {
			if slices.Contains(g.policies, x) {
				ev = x.Label + " attached to group " + g.arn + ", of which " + p.id + " is a member"
				break
			}
		}
		b.addEdge(graph.Edge{From: p.id, To: x.Label, Kind: graph.EdgeEscalatesTo, Technique: TechHoldsPolicy, Likelihood: 1, Evidence: []string{ev}})
		return true
	}
	return false
}
