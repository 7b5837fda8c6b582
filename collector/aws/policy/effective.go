package policy

import (
	"strings"

	"github.com/breachpath/breachpath/collector/aws/catalog"
)

// EffectiveActions computes, for every catalog action at once, whether the principal is allowed to
// perform it on resource: allowed holds the actions allowed unconditionally, conditional those whose
// outcome depends on unknown context. An empty resource means "on at least one resource": Allow
// statements count whatever their Resource, Deny statements only when they cover every resource
// ("*"). Actions missing from the catalog are not represented; Evaluate handles them by exact match.
//
// It runs on per-statement action bitsets cached in each Policy, so thousands of principals sharing
// managed policies cost a few bitset operations each.
func EffectiveActions(p Principal, set PolicySet, resource string) (allowed, conditional catalog.ActionSet) {
	return EffectiveActionsRequest(Request{Principal: p, Resource: resource}, set)
}

// EffectiveActionsRequest is EffectiveActions with a full request (context, resource account); the
// request's Action is ignored.
func EffectiveActionsRequest(req Request, set PolicySet) (allowed, conditional catalog.ActionSet) {
	c := catalog.Default()
	e := newEvalCtx(&req, &set)
	alg := setAlgebra{c: c}
	denyYes, denyMaybe := c.NewSet(), c.NewSet()

	group := func(kind PolicyKind, pols []*Policy) setPair {
		allow := setPair{}
		for _, p := range pols {
			if p == nil {
				continue
			}
			p.prepare()
			for _, st := range p.Statements {
				m := st.appliesToResource(e, kind, req.Resource)
				if m == no {
					continue
				}
				if st.Effect == Deny {
					denyMaybe.Union(st.actionSet)
					if m == yes {
						denyYes.Union(st.actionSet)
					}
					continue
				}
				allow = alg.addAllow(allow, st.actionSet, m)
			}
		}
		return allow
	}
	in := formulaInputs[setPair]{}
	in.identity = group(KindIdentity, set.Identity)
	if set.Boundary != nil {
		in.boundary, in.hasBoundary = group(KindBoundary, []*Policy{set.Boundary}), true
	}
	if set.Session != nil {
		in.session, in.hasSession = group(KindSession, set.Session), true
	}
	if e.scpApplies() {
		for _, level := range set.SCPs {
			in.scps = append(in.scps, group(KindSCP, level))
		}
	}
	if e.rcpApplies() {
		for _, level := range set.RCPs {
			in.rcps = append(in.rcps, group(KindRCP, level))
		}
	}
	if set.Resource != nil {
		in.hasResource = true
		set.Resource.prepare()
		for _, st := range set.Resource.Statements {
			m := st.appliesToResource(e, KindResource, req.Resource)
			if m == no {
				continue
			}
			if st.Effect == Deny {
				denyMaybe.Union(st.actionSet)
				if m == yes {
					denyYes.Union(st.actionSet)
				}
				continue
			}
			switch e.principalMatch(st) {
			case matchSpecific:
				in.resSpecific = alg.addAllow(in.resSpecific, st.actionSet, m)
			case matchAccount:
				in.resAccount = alg.addAllow(in.resAccount, st.actionSet, m)
			default:
				in.resOther = alg.addAllow(in.resOther, st.actionSet, m)
			}
		}
	}
	allow := combine[setPair](alg, e, in)
	allowed, conditional = alg.materialize(allow)
	allowed.Minus(denyMaybe)
	conditional.Minus(denyYes)
	conditional.Minus(allowed)
	return allowed, conditional
}

// appliesToResource is Statement.applies without the action, with the "any resource" mode.
func (st *Statement) appliesToResource(e *evalCtx, kind PolicyKind, resource string) tri {
	if resource != "" {
		m, _ := st.applies(e, kind)
		return m
	}
	if st.Resources != nil && st.Effect == Deny {
		// A deny limited to some resources does not take the action away everywhere.
		covers := false
		if !st.NotResources {
			for _, r := range st.Resources {
				if r == "*" {
					covers = true
				}
			}
		}
		if !covers {
			return no
		}
	}
	if kind == KindResource && st.Principal != nil && !e.principalApplies(st) {
		return no
	}
	res := yes
	for i := range st.Conditions {
		m, _ := st.Conditions[i].eval(e)
		if m == no {
			return no
		}
		res = min(res, m)
	}
	return res
}

// setPair is a three-valued action set: yes ⊆ maybe. A nil-set pair with full=true stands for "every
// action" without materializing it; the zero value is the empty set.
type setPair struct {
	full       bool
	yes, maybe catalog.ActionSet
}

type setAlgebra struct{ c *catalog.Catalog }

func (a setAlgebra) all() setPair  { return setPair{full: true} }
func (a setAlgebra) none() setPair { return setPair{} }

func (a setAlgebra) isEmpty(p setPair) bool { return !p.full && p.maybe == nil }

func (a setAlgebra) and(x, y setPair) setPair {
	switch {
	case x.full:
		return y
	case y.full:
		return x
	case a.isEmpty(x) || a.isEmpty(y):
		return setPair{}
	}
	r := setPair{yes: x.yes.Clone(), maybe: x.maybe.Clone()}
	r.yes.Intersect(y.yes)
	r.maybe.Intersect(y.maybe)
	return r
}

func (a setAlgebra) or(x, y setPair) setPair {
	switch {
	case x.full || a.isEmpty(y):
		return x
	case y.full || a.isEmpty(x):
		return y
	}
	r := setPair{yes: x.yes.Clone(), maybe: x.maybe.Clone()}
	r.yes.Union(y.yes)
	r.maybe.Union(y.maybe)
	return r
}

// addAllow adds a statement's actions to an allow accumulator in place (the accumulator is owned).
func (a setAlgebra) addAllow(acc setPair, actions catalog.ActionSet, m tri) setPair {
	if acc.maybe == nil {
		acc.yes, acc.maybe = a.c.NewSet(), a.c.NewSet()
	}
	acc.maybe.Union(actions)
	if m == yes {
		acc.yes.Union(actions)
	}
	return acc
}

func (a setAlgebra) materialize(p setPair) (yes, maybe catalog.ActionSet) {
	switch {
	case p.full:
		return a.c.FullSet(), a.c.NewSet()
	case p.maybe == nil:
		return a.c.NewSet(), a.c.NewSet()
	}
	return p.yes.Clone(), p.maybe.Clone()
}

// Grant is a statement that grants or denies an action, with its resource scope, so callers can
// intersect it with concrete resource ARNs (then confirm each pair with Evaluate).
type Grant struct {
	Kind        PolicyKind
	PolicyLabel string
	Sid         string
	Index       int
	Effect      Effect
	// Resources are the statement's Resource (or NotResource when NotResources) patterns with policy
	// variables substituted where the principal determines them; nil when the statement has none.
	Resources    []string
	NotResources bool
	Conditional  bool
}

// Grants lists the statements of the caller's identity, boundary, session and resource policies that
// cover action, in that order. It answers "on which resources does this principal get X".
func Grants(p Principal, set PolicySet, action string) []Grant {
	req := Request{Principal: p, Action: action}
	e := newEvalCtx(&req, &set)
	act := strings.ToLower(action)
	var out []Grant
	add := func(kind PolicyKind, pols []*Policy) {
		for _, pol := range pols {
			if pol == nil {
				continue
			}
			for _, st := range pol.Statements {
				if !st.matchesAction(act) {
					continue
				}
				m := st.appliesToResource(e, kind, "")
				if m == no && st.Effect == Allow {
					continue
				}
				if st.Effect == Deny {
					// Keep resource-scoped denies: the caller needs them to subtract.
					if kind == KindResource && st.Principal != nil && !e.principalApplies(st) {
						continue
					}
					m = yes
					for i := range st.Conditions {
						if r, _ := st.Conditions[i].eval(e); r != yes {
							m = min(m, r)
						}
					}
					if m == no {
						continue
					}
				}
				g := Grant{Kind: kind, PolicyLabel: pol.Label, Sid: st.Sid, Index: st.Index, Effect: st.Effect, NotResources: st.NotResources, Conditional: m == maybe}
				for i := range st.resPatterns {
					if enc, ok, _ := st.resPatterns[i].resolve(e); ok {
						g.Resources = append(g.Resources, decodeWild(enc))
					} else {
						g.Resources = append(g.Resources, st.resPatterns[i].raw)
					}
				}
				out = append(out, g)
			}
		}
	}
	add(KindIdentity, set.Identity)
	add(KindBoundary, []*Policy{set.Boundary})
	add(KindSession, set.Session)
	add(KindResource, []*Policy{set.Resource})
	return out
}
