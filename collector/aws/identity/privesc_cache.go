package identity

import (
	"slices"
	"strings"

	"github.com/breachpath/breachpath/collector/aws/policy"
)

// The escalation rules ask the same questions many times: techniques of one family need the same
// permission (iam:PassRole of one role to lambda for three Lambda techniques), and every attacker
// asks about every role of a pool. This file answers them once per attacker (attackerMemo) or
// once per account (passPool, svcContext), and turns decisions into evidence once.

// attackerMemo is the current attacker's state, cleared between attackers.
type attackerMemo struct {
	decisions map[memoKey]memoEntry // action|resource|context -> decision
	// pass holds iam:PassRole decisions per service context key, indexed like the pools of that
	// key: the passed-role techniques of one service ask them for every role of the pool, and a
	// slice index is much cheaper than a map.
	pass map[string][]passEntry
	work map[workKey][]passEntry // the same for workload actions, per action and pool
	// anyTags holds creation decisions taken with request tags the attacker chose, per action.
	anyTags map[string]anyChoice
}

// anyChoice is a creation action decided with the request tags the attacker chose.
type anyChoice struct {
	res      policy.Result
	evidence []string
}

func newAttackerMemo() attackerMemo {
	return attackerMemo{decisions: map[memoKey]memoEntry{}, pass: map[string][]passEntry{}, work: map[workKey][]passEntry{}, anyTags: map[string]anyChoice{}}
}

// reset clears the memo before the next attacker's techniques run.
func (m *attackerMemo) reset() {
	// clear costs the table's capacity: after a large attacker, start small again.
	if len(m.decisions) > 4096 {
		m.decisions = map[memoKey]memoEntry{}
	}
	clear(m.decisions)
	clear(m.pass)
	clear(m.work)
	clear(m.anyTags)
}

type (
	memoKey struct{ action, resource, extra string }
	workKey struct {
		action string
		target Target
	}
)

// memoEntry is a memoized decision and, once a technique used it, its evidence lines.
type memoEntry struct {
	res   policy.Result
	ev    []string
	entry *decisionEntry // the shared decision res is, if any (see decomposedEval)
}

// passEntry is one memoized decision for one member of a pool (memoEval's).
type passEntry struct {
	done bool
	m    memoEntry
}

// passPool is what a service-role technique iterates over, the same for every attacker: the roles
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

// permCheck is the combined outcome of a technique's permission checks. Its evidence is kept as
// the (shared, read-only) slices it is made of and joined once, by emit, for the edges actually
// drawn: most checks end in no edge or an edge through a policy hub.
type permCheck struct {
	dec   policy.Decision
	n     int
	parts [6][]string
	// tag is the tag change the move needs first (ABAC), if any: emit draws it as the move's
	// first step (builder.withTagStep).
	tag *tagStep
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

// serviceContext returns t's iam:PassedToService request context, built once per technique.
func (e *escalator) serviceContext(t *Technique) svcContext {
	if sc, ok := e.tg.svcCtx[t]; ok {
		return sc
	}
	ctx := map[string][]string{"iam:PassedToService": t.Services}
	sc := svcContext{ctx: ctx, key: contextKey(ctx)}
	e.tg.svcCtx[t] = sc
	return sc
}

// evalOn evaluates one action of p on a resource ARN (IAM requests are global), once per attacker.
func (e *escalator) evalOn(p *principal, action, resource, region string, extra map[string][]string) policy.Result {
	return e.memoEval(p, action, resource, region, extra, contextKey(extra)).res
}

// contextKey is the cache key of extra request context.
func contextKey(extra map[string][]string) string {
	extraKey := ""
	for k, v := range extra {
		extraKey += k + "=" + strings.Join(v, ",") + ";"
	}
	return extraKey
}

func (e *escalator) memoEval(p *principal, action, resource, region string, extra map[string][]string, extraKey string) memoEntry {
	mk := memoKey{action: action, resource: resource, extra: extraKey}
	if m, ok := e.memo.decisions[mk]; ok {
		return m
	}
	var m memoEntry
	m.res, m.entry = e.evalFreshEntry(p, action, resource, region, extra, extraKey)
	e.memo.decisions[mk] = m
	return m
}

// andWorkload is and for action on workload w (index wi of the target's pool), memoized per
// attacker in slices indexed like the pool: the workload techniques ask the same actions of
// every function and instance.
func (e *escalator) andWorkload(c *permCheck, p *principal, action string, target Target, wi int, w workload) bool {
	k := workKey{action: action, target: target}
	wm := e.memo.work[k]
	if wm == nil {
		wm = make([]passEntry, len(e.workloads(target)))
		e.memo.work[k] = wm
	}
	pe := &wm[wi]
	if !pe.done {
		pe.m.res, pe.m.entry = e.evalFreshEntry(p, action, w.arn, w.region, nil, "")
		pe.done = true
	}
	return e.andMemo(c, &pe.m, action, w.arn)
}

// passMemo returns the attacker's iam:PassRole memo for the pools of service context sc.
func (e *escalator) passMemo(sc svcContext, n int) []passEntry {
	pm := e.memo.pass[sc.key]
	if len(pm) != n {
		pm = make([]passEntry, n)
		e.memo.pass[sc.key] = pm
	}
	return pm
}

// andPass is and for iam:PassRole of role on the service context sc, memoized in pe.
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
	if pp, ok := e.tg.pools[t]; ok {
		return pp
	}
	pp := &passPool{index: map[string][]int{}}
	for _, svc := range t.Services {
		pp.roles = append(pp.roles, e.tg.svcRoles[svc]...)
	}
	trusts := " trusts " + strings.Join(t.Services, ", ")
	for _, r := range pp.roles {
		pp.index[r.id] = append(pp.index[r.id], len(pp.ids))
		pp.ids = append(pp.ids, r.id)
		extra := []string{r.id + trusts}
		switch t.Target {
		case TargetUninventoriedRole:
			extra = append(extra, "requires an existing "+t.Services[0]+" workload running as "+r.id+" (not inventoried)")
		case TargetPassedToExisting:
			extra = append(extra, "requires an existing "+t.Services[0]+" workload to reconfigure (not inventoried)")
		}
		if t.needs(PreInstanceProfile) && len(e.b.profiles[r.id]) > 0 {
			extra = append(extra, "instance profile "+e.b.profiles[r.id][0]+" holds "+r.id)
		}
		pp.extras = append(pp.extras, slices.Clip(extra))
	}
	e.tg.pools[t] = pp
	return pp
}

// evalFreshEntry decides a request without the attacker memo, and returns the shared decision
// entry the result is, if any (see decomposedEval).
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
	return e.b.ev.Evaluate(policy.Request{Principal: p.caller, Action: action, Resource: resource, ResourceTags: e.b.resourceTags(resource), ResourceAccount: e.b.account, Context: ctx}, p.set), nil
}

// andAny is and for a creation action (evalAny), citing the request tags the attacker chose
// when they decided it.
func (e *escalator) andAny(c *permCheck, p *principal, action string) bool {
	res, ev := e.evalAnyTagged(p, action)
	if !e.and(c, action, "*", res) {
		return false
	}
	c.add(ev...)
	return true
}

// evalAnyTagged is evalAny, except that a creation action whose request carries tags
// (catalog.Action.RequestTags) and which is only conditionally allowed is decided again with the
// request tags the attacker chooses (policy.TagChoices over the values its conditions name): the
// attacker writes the request, so aws:RequestTag/<key> and aws:TagKeys are its choice, not
// unknown. The evidence names the tags chosen.
func (e *escalator) evalAnyTagged(p *principal, action string) (policy.Result, []string) {
	res := e.evalAny(p, action)
	if res.Decision != policy.Conditional {
		return res, nil
	}
	if a, ok := e.b.lookup(action); !ok || !e.b.cat.Action(a).RequestTags {
		return res, nil
	}
	if ch, ok := e.memo.anyTags[action]; ok {
		if ch.evidence == nil {
			return res, nil
		}
		return ch.res, ch.evidence
	}
	// Only the request's tags are the attacker's to choose: other unknown keys keep it conditional
	// whatever the tags (the choices below then decide nothing better).
	values := tagValues(p.caller, &p.set)
	if len(values) == 0 {
		e.memo.anyTags[action] = anyChoice{}
		return res, nil
	}
	// Every choice is decided; the best one is the answer (no choice granted: no move).
	best := policy.Result{Decision: policy.ImplicitDeny}
	var chosen map[string]string
	ctx := e.b.requestContext(e.b.homeRegion())
	for _, change := range policy.TagChoices(values, maxTagChoices) {
		r := e.b.ev.Evaluate(policy.Request{Principal: p.caller, Action: action, Resource: "*", RequestTags: change, ResourceAccount: e.b.account, Context: ctx}, p.set)
		if chosen == nil || rank(r.Decision) > rank(best.Decision) {
			best, chosen = r, change
			if r.Decision == policy.Allowed {
				break
			}
		}
	}
	var ev []string
	switch {
	case best.Decision == policy.Allowed && len(chosen) > 0:
		ev = []string{"request tags chosen by the attacker for " + action + ": " + formatTags(chosen)}
	case best.Decision == policy.Allowed:
		ev = []string{"request tags chosen by the attacker for " + action + ": none"}
	case best.Decision == policy.Conditional:
		// still conditional whatever the tags (another unknown key): the tags explain nothing
		e.memo.anyTags[action] = anyChoice{}
		return res, nil
	default:
		ev = []string{"no request tags the attacker may choose make " + action + " allowed"}
	}
	e.memo.anyTags[action] = anyChoice{res: best, evidence: ev}
	return best, ev
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
			case e.tg.isTarget[pat]:
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
