package identity

import (
	"slices"
	"strings"
	"sync"

	"github.com/breachpath/breachpath/collector/aws/catalog"
	"github.com/breachpath/breachpath/collector/aws/policy"
	"github.com/breachpath/breachpath/graph"
)

// TechHoldsPolicy is the move from a principal to a shared policy it holds (a managed policy,
// attached directly or through a group, or a group's inline policy). Data access a policy grants is drawn once from the policy node instead of once
// per holder, which keeps the graph linear in principals + resources rather than their product
// (thousands of ReadOnlyAccess holders would otherwise each get an edge to every bucket).
const TechHoldsPolicy = "aws.iam.holds-policy"

// Decomposition. For a principal without identity or boundary Deny statements that could touch a
// data action, under SCPs that do not depend on the caller, and a resource whose policy does not
// grant to "*", does not depend on caller keys and does not name this principal, the evaluation
// logic reduces to
//
//	decision(P) = max over P's policies X of decision(X alone)   [min boundary(P) when bounded]
//
// because the identity side is an OR of statements, the SCP/RCP guard and the resource policy's
// denies are the same for every caller, and the boundary only caps the identity side. So each
// policy is evaluated once per resource, and an unbounded holder reaches data through
// holder -> policy -> resource. Bounded holders get direct edges computed from the same cached
// per-policy decisions. Everything else is evaluated in full (fullAccess).

// polInfo caches one policy's own decisions on the decomposable resources.
type polInfo struct {
	acts      catalog.ActionSet // actions its Allow statements may grant somewhere
	dependent bool              // uses variables or principal keys: decided per holder
	denies    bool              // has a Deny that may touch a data action
	denySet   catalog.ActionSet // actions some Deny statement may cover
	grants    []polGrant        // computed once, for non-dependent policies
	computed  bool
}

type polGrant struct {
	ri, ai   int
	decision policy.Decision
	evidence []string
	target   string // the resource the decision was made on (a key pattern for S3 objects)
}

func (b *builder) polInfo(x *policy.Policy) *polInfo {
	if b.pols == nil {
		b.pols = map[*policy.Policy]*polInfo{}
	}
	if pi, ok := b.pols[x]; ok {
		return pi
	}
	probe := policy.Principal{ARN: x.Label, AccountID: b.account, Type: policy.TypeRole, Name: lastName(x.Label), Tags: map[string]string{}}
	yes, maybe := policy.EffectiveActions(probe, policy.PolicySet{Identity: []*policy.Policy{x}}, "")
	yes.Union(maybe)
	pi := &polInfo{acts: yes, dependent: principalDependent(x), denies: b.touchesData(x), denySet: b.denySet(x)}
	b.pols[x] = pi
	return pi
}

// touchesData reports whether a policy has a Deny statement that could cover a data action.
func (b *builder) touchesData(pol *policy.Policy) bool {
	for _, st := range pol.Statements {
		if st.Effect != policy.Deny {
			continue
		}
		for _, act := range dataActions() {
			hit := slices.ContainsFunc(st.Actions, func(pat string) bool { return catalog.Match(pat, act) })
			if hit != st.NotActions {
				return true
			}
		}
	}
	return false
}

// denySet expands the actions of a policy's Deny statements (NotAction complemented).
func (b *builder) denySet(pol *policy.Policy) catalog.ActionSet {
	set := b.cat.NewSet()
	for _, st := range pol.Statements {
		if st.Effect != policy.Deny {
			continue
		}
		s := b.cat.NewSet()
		for _, pat := range st.Actions {
			b.cat.ExpandInto(s, pat)
		}
		if st.NotActions {
			full := b.cat.FullSet()
			full.Minus(s)
			s = full
		}
		set.Union(s)
	}
	return set
}

// dataActions lists every action an access definition uses. Built once: concurrent Builds share it.
var dataActions = sync.OnceValue(func() []string {
	var out []string
	for _, t := range []*resourceType{typeS3, typeKMS, typeSecret, typeSQS, typeSNS, typeECR, typeLambda, typeDynamo, typeRDSInstance, typeRDSCluster, typeRDSSnapshot, typeRDSClusterSnapshot, typeSSMParameter} {
		for _, a := range t.accesses {
			out = append(out, a.actions...)
		}
	}
	return append(out, rdsConnect.actions...)
})

// decomposable reports whether p's data access can be computed from per-policy decisions.
func (b *builder) decomposable(p *principal) bool {
	if b.orgDependent || p.caller.IsServiceLinkedRole {
		return false
	}
	for _, x := range p.set.Identity {
		if b.polInfo(x).denies {
			return false
		}
	}
	return p.set.Boundary == nil || !b.polInfo(p.set.Boundary).denies
}

// mayGrant is the cheap prefilter of a policy for one access on one target.
func (b *builder) mayGrant(pi *polInfo, x *policy.Policy, caller policy.Principal, a access, targets []string) bool {
	for _, act := range a.actions {
		if idx, ok := b.lookup(act); ok && !pi.acts.Has(idx) {
			continue
		}
		for _, g := range policy.Grants(caller, policy.PolicySet{Identity: []*policy.Policy{x}}, act) {
			if g.Effect != policy.Allow {
				continue
			}
			if g.NotResources || g.Resources == nil {
				return true
			}
			for _, pat := range g.Resources {
				if strings.Contains(pat, "${") || slices.ContainsFunc(targets, func(t string) bool { return globMatch(pat, t) }) {
					return true
				}
			}
		}
	}
	return false
}

// policyDecisions evaluates policy x alone (as caller's only identity policy, with the SCPs, RCPs
// and resource policy) on every decomposable resource it may grant, returning the granted ones.
func (b *builder) policyDecisions(x *policy.Policy, caller policy.Principal) []polGrant {
	pi := b.polInfo(x)
	set := policy.PolicySet{Identity: []*policy.Policy{x}, SCPs: b.scps, CallerIsManagementAccount: b.mgmt}
	var out []polGrant
	for ri, r := range b.resources {
		// A resource naming principals of the account is still decomposable for everyone it does
		// not name: its statements for others never match them (the probe is never named).
		if r.dependent || r.direct || r.named[caller.ARN] {
			continue
		}
		for ai, a := range r.accesses {
			if !b.mayGrant(pi, x, caller, a, r.targets(a)) {
				continue
			}
			res, target := b.evalAccess(caller, set, r, a)
			if granted(res.Decision) {
				out = append(out, polGrant{ri: ri, ai: ai, decision: res.Decision, target: target,
					evidence: decisionEvidence(strings.Join(a.actions, "|"), target, res)})
			}
		}
	}
	return out
}

// sharedDecisions returns a non-dependent policy's grants, computing them (and drawing the
// policy -> resource edges) once.
func (b *builder) sharedDecisions(x *policy.Policy) []polGrant {
	pi := b.polInfo(x)
	if pi.computed {
		return pi.grants
	}
	pi.computed = true
	probe := policy.Principal{ARN: x.Label, AccountID: b.account, Type: policy.TypeRole, Name: lastName(x.Label), Tags: map[string]string{}}
	pi.grants = b.policyDecisions(x, probe)
	if b.node(x.Label) != nil {
		for _, g := range pi.grants {
			r := b.resources[g.ri]
			a := r.accesses[g.ai]
			b.addEdge(graph.Edge{From: x.Label, To: r.id, Kind: a.edge, Technique: accessTechnique(r.typ, a.edge),
				Conditional: g.decision == policy.Conditional, Evidence: g.evidence})
		}
	}
	return pi.grants
}

// prepareDecomposed computes what decomposedAccess(p) will ask of the shared caches, in the
// order it asks: the decisions of p's shared policies and, when p is bounded, whether its
// boundary covers them.
func (b *builder) prepareDecomposed(p *principal) {
	for _, x := range p.set.Identity {
		if b.polInfo(x).dependent {
			continue
		}
		if grants := b.sharedDecisions(x); len(grants) > 0 && p.set.Boundary != nil {
			b.boundaryCovers(p, x, grants)
		}
	}
}

// decomposedAccess draws p's access to the decomposable resources.
func (b *builder) decomposedAccess(p *principal) {
	type best struct {
		decision policy.Decision
		evidence []string
		target   string
	}
	var direct map[accessKey]best
	addDirect := func(g polGrant) {
		if direct == nil {
			direct = map[accessKey]best{}
		}
		k := accessKey{res: g.ri, kind: g.ai}
		if cur, ok := direct[k]; !ok || rank(g.decision) > rank(cur.decision) {
			direct[k] = best{g.decision, g.evidence, g.target}
		}
	}
	bounded := p.set.Boundary != nil
	via := map[string]string{}
	for _, g := range p.groups {
		for _, pol := range g.policies {
			via[pol.Label] = g.arn
		}
	}
	for _, x := range p.set.Identity {
		pi := b.polInfo(x)
		if pi.dependent {
			for _, g := range b.policyDecisions(x, p.caller) {
				addDirect(g)
			}
			continue
		}
		grants := b.sharedDecisions(x)
		if len(grants) == 0 {
			continue
		}
		// Own inline policies are held by one principal only: a hub would add an edge, not save one.
		if (!bounded || b.boundaryCovers(p, x, grants)) && b.policyNode(x) && !strings.HasPrefix(x.Label, p.id+"#inline/") {
			ev := x.Label + " attached to " + p.id
			if g := via[x.Label]; g != "" {
				ev = x.Label + " attached to group " + g + ", of which " + p.id + " is a member"
			}
			b.addEdge(graph.Edge{From: p.id, To: x.Label, Kind: graph.EdgeEscalatesTo, Technique: TechHoldsPolicy, Likelihood: 1, Evidence: []string{ev}})
			continue
		}
		for _, g := range grants {
			addDirect(g)
		}
	}
	if len(direct) == 0 {
		return
	}
	keys := make([]accessKey, 0, len(direct))
	for k := range direct {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(x, y accessKey) int {
		if x.res != y.res {
			return x.res - y.res
		}
		return x.kind - y.kind
	})
	for _, k := range keys {
		d := direct[k]
		r := b.resources[k.res]
		a := r.accesses[k.kind]
		decision, evidence := d.decision, d.evidence
		if bounded {
			// The boundary caps the identity side: evaluate it as the only identity policy, without
			// SCPs or resource policy (those are already in the per-policy decision).
			res := b.ev.Evaluate(policy.Request{Principal: p.caller, Action: a.actions[0], Resource: d.target, ResourceTags: r.tags, ResourceAccount: b.account,
				Context: b.requestContext(r.region)}, policy.PolicySet{Identity: []*policy.Policy{p.set.Boundary}})
			for _, act := range a.actions[1:] {
				if res.Decision == policy.Allowed {
					break
				}
				alt := b.ev.Evaluate(policy.Request{Principal: p.caller, Action: act, Resource: d.target, ResourceTags: r.tags, ResourceAccount: b.account,
					Context: b.requestContext(r.region)}, policy.PolicySet{Identity: []*policy.Policy{p.set.Boundary}})
				if rank(alt.Decision) > rank(res.Decision) {
					res = alt
				}
			}
			if !granted(res.Decision) {
				continue
			}
			if res.Decision == policy.Conditional {
				decision = policy.Conditional
			}
			evidence = append(slices.Clone(evidence), "within boundary "+p.set.Boundary.Label)
		}
		b.addEdge(graph.Edge{From: p.id, To: r.id, Kind: a.edge, Technique: accessTechnique(r.typ, a.edge),
			Conditional: decision == policy.Conditional, Evidence: evidence})
	}
}

// decisionKey caches one policy's decision on one request.
type decisionKey struct {
	pol      *policy.Policy
	action   string
	resource string
	extra    string
	part     decisionPart
}

// decisionPart tells what a cached decision is of: the policy, its Deny statements alone, or a
// boundary evaluated as the only identity policy.
type decisionPart uint8

const (
	partPolicy decisionPart = iota
	partDeny
	partBoundary
)

// decisionEntry is a cached decision and, once an edge cited it, its evidence (decisionEvidence
// of the key's action and resource; shared, read-only).
type decisionEntry struct {
	res policy.Result
	ev  []string
}

// decomposedEval decides action on resource for p from per-policy decisions when p has no Deny
// that could cover the action and SCPs do not depend on the caller (see the decomposition note
// above); ok is false when p must be evaluated in full. Identity-only requests (no resource policy).
//
// entry is the cached per-policy decision the result is, unchanged, if any: its evidence can be
// computed once and shared by every attacker the decision answers.
func (b *builder) decomposedEval(p *principal, action, resource, region string, extra map[string][]string, extraKey string) (res policy.Result, entry *decisionEntry, ok bool) {
	idx, known := b.lookup(action)
	if !known || b.orgDependent || p.caller.IsServiceLinkedRole {
		return policy.Result{}, nil, false
	}
	if b.decisions == nil {
		b.decisions = map[decisionKey]*decisionEntry{}
	}
	ctx := func() map[string][]string {
		base := b.requestContext(region)
		if len(extra) == 0 {
			return base
		}
		c := make(map[string][]string, len(base)+len(extra))
		for k, v := range base {
			c[k] = v
		}
		for k, v := range extra {
			c[k] = v
		}
		return c
	}
	best := policy.Result{Decision: policy.ImplicitDeny}
	var bestEntry *decisionEntry
	for _, x := range p.set.Identity {
		pi := b.polInfo(x)
		if !pi.acts.Has(idx) {
			continue
		}
		set := policy.PolicySet{Identity: []*policy.Policy{x}, SCPs: b.scps, CallerIsManagementAccount: b.mgmt}
		var r policy.Result
		var re *decisionEntry
		if pi.dependent {
			r = b.ev.Evaluate(policy.Request{Principal: p.caller, Action: action, Resource: resource, ResourceTags: b.resourceTags(resource), ResourceAccount: b.account, Context: ctx()}, set)
		} else {
			k := decisionKey{pol: x, action: action, resource: resource, extra: extraKey}
			var ok bool
			if re, ok = b.decisions[k]; !ok {
				probe := policy.Principal{ARN: x.Label, AccountID: b.account, Type: policy.TypeRole, Name: lastName(x.Label), Tags: map[string]string{}}
				re = &decisionEntry{res: b.ev.Evaluate(policy.Request{Principal: probe, Action: action, Resource: resource, ResourceTags: b.resourceTags(resource), ResourceAccount: b.account, Context: ctx()}, set)}
				b.decisions[k] = re
			}
			r = re.res
		}
		if rank(r.Decision) > rank(best.Decision) {
			best, bestEntry = r, re
			if r.Decision == policy.Allowed {
				break
			}
		}
	}
	// Identity denies apply whichever policy allows: evaluate the Deny statements on their own
	// (cached per policy when they do not depend on the caller) and apply them to the best allow.
	if granted(best.Decision) {
		for _, x := range p.set.Identity {
			pi := b.polInfo(x)
			if !pi.denySet.Has(idx) {
				continue
			}
			dp := b.denyPart(x)
			dk := decisionKey{pol: dp, action: action, resource: resource, extra: extraKey, part: partDeny}
			var dr policy.Result
			if de, ok := b.decisions[dk]; ok {
				dr = de.res
			} else {
				dr = b.ev.Evaluate(policy.Request{Principal: p.caller, Action: action, Resource: resource, ResourceTags: b.resourceTags(resource), ResourceAccount: b.account, Context: ctx()},
					policy.PolicySet{Identity: []*policy.Policy{dp}})
				if !principalDependent(dp) {
					b.decisions[dk] = &decisionEntry{res: dr}
				}
			}
			for _, rs := range dr.Reasons {
				if rs.Effect != policy.Deny {
					continue
				}
				if !rs.Conditional {
					return policy.Result{Decision: policy.ExplicitDeny, Reasons: dr.Reasons}, nil, true
				}
				bestEntry = nil
				best.Decision = policy.Conditional
				best.UnresolvedKeys = append(slices.Clone(best.UnresolvedKeys), dr.UnresolvedKeys...)
				best.Reasons = append(slices.Clone(best.Reasons), rs)
			}
		}
	}
	if !granted(best.Decision) || p.set.Boundary == nil {
		return best, bestEntry, true
	}
	bk := decisionKey{pol: p.set.Boundary, action: action, resource: resource, extra: extraKey, part: partBoundary}
	be, ok := b.decisions[bk]
	if !ok || p.set.Boundary == nil || principalDependent(p.set.Boundary) {
		be = &decisionEntry{res: b.ev.Evaluate(policy.Request{Principal: p.caller, Action: action, Resource: resource, ResourceTags: b.resourceTags(resource), ResourceAccount: b.account, Context: ctx()},
			policy.PolicySet{Identity: []*policy.Policy{p.set.Boundary}})}
		b.decisions[bk] = be
	}
	bd := be.res
	if !granted(bd.Decision) {
		return bd, nil, true
	}
	if bd.Decision == policy.Conditional {
		best.Decision = policy.Conditional
		best.UnresolvedKeys = append(slices.Clone(best.UnresolvedKeys), bd.UnresolvedKeys...)
	}
	best.Reasons = append(slices.Clone(best.Reasons), policy.Reason{Kind: policy.KindBoundary, PolicyLabel: p.set.Boundary.Label, Effect: policy.Allow, Index: -1})
	return best, nil, true
}

// boundaryCovers reports whether p's boundary allows, unconditionally, every access policy x
// grants on its own: then min(decision(x), boundary) = decision(x) for all of them and the
// holder can use the policy node like an unbounded holder. Cached per (boundary, policy).
func (b *builder) boundaryCovers(p *principal, x *policy.Policy, grants []polGrant) bool {
	bd := p.set.Boundary
	if b.covers == nil {
		b.covers = map[[2]*policy.Policy]bool{}
	}
	k := [2]*policy.Policy{bd, x}
	if v, ok := b.covers[k]; ok {
		return v
	}
	ok := true
	for _, g := range grants {
		r := b.resources[g.ri]
		a := r.accesses[g.ai]
		allowed := false
		for _, act := range a.actions {
			res := b.ev.Evaluate(policy.Request{Principal: p.caller, Action: act, Resource: g.target, ResourceTags: r.tags, ResourceAccount: b.account,
				Context: b.requestContext(r.region)}, policy.PolicySet{Identity: []*policy.Policy{bd}})
			if res.Decision == policy.Allowed {
				allowed = true
				break
			}
		}
		if !allowed {
			ok = false
			break
		}
	}
	b.covers[k] = ok
	return ok
}

// denyPart returns a policy holding only x's Deny statements (same label), cached.
func (b *builder) denyPart(x *policy.Policy) *policy.Policy {
	if b.denyParts == nil {
		b.denyParts = map[*policy.Policy]*policy.Policy{}
	}
	if d, ok := b.denyParts[x]; ok {
		return d
	}
	d := &policy.Policy{Label: x.Label, Version: x.Version, ID: x.ID}
	for _, st := range x.Statements {
		if st.Effect == policy.Deny {
			d.Statements = append(d.Statements, st)
		}
	}
	b.denyParts[x] = d
	return d
}

// preparePolicies computes polInfo for every policy a principal holds, so that parallel workers
// only read b.pols, and records which of them have a node (see policyNode).
func (b *builder) preparePolicies() {
	b.polNodes = map[*policy.Policy]bool{}
	for _, p := range b.principals {
		for _, x := range p.set.Identity {
			b.polInfo(x)
			b.polNodes[x] = b.node(x.Label) != nil
		}
		if p.set.Boundary != nil {
			b.polInfo(p.set.Boundary)
		}
	}
}

// policyNode reports whether policy x has a node. Parallel workers ask it while the builder's
// nodes are being written by a replay, so it answers from the record preparePolicies made just
// before they started; no phase that runs workers adds policy nodes (they all come from facts),
// so the record is what b.node would say.
func (b *builder) policyNode(x *policy.Policy) bool {
	if has, ok := b.polNodes[x]; ok {
		return has
	}
	return b.node(x.Label) != nil
}
