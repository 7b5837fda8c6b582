package identity

import (
	"context"
	"fmt"
	"maps"
	"strings"

	"github.com/breachpath/breachpath/collector/aws/catalog"
	"github.com/breachpath/breachpath/collector/aws/policy"
	"github.com/breachpath/breachpath/collector/aws/resources"
	"github.com/breachpath/breachpath/graph"
)

// endpointEscalation draws the escalation moves a workload has only because its requests to one
// service pass a VPC endpoint: its role's identity policies, boundary or SCPs allow (or stop
// denying) an escalation's permission when aws:SourceVpce, aws:SourceVpc, aws:SourceVpcArn or
// aws:VpcSourceIp match. The escalation step decided every move from outside any endpoint; here
// each technique is run again for the role with the route's keys on its requests to the route's
// service (policy.Evaluator.Through), and each target only that run reaches (or reaches more
// surely) becomes a move from the workload.
func (b *builder) endpointEscalation(ctx context.Context) error {
	var e *escalator
	for i := range b.opts.EndpointRoutes {
		if err := ctx.Err(); err != nil {
			return err
		}
		rt := &b.opts.EndpointRoutes[i]
		var epPol *policy.Policy
		if rt.Policy != "" {
			if epPol = b.parsePolicy(rt.Endpoint+"#policy", rt.Policy); epPol == nil {
				continue
			}
		}
		for _, role := range rt.Roles {
			p := b.byARN[role]
			if p == nil || p.admin || p.caller.IsServiceLinkedRole || !b.vpcKeyedSet(p, nil) {
				continue
			}
			if e == nil {
				e = b.newEscalator()
				e.prepareShared()
			}
			b.escalateThrough(e, rt, p, epPol)
		}
	}
	return nil
}

// routeKeys are the condition keys a request through the route's endpoint carries.
func routeKeys(rt *resources.EndpointRoute) map[string][]string {
	keys := map[string][]string{"aws:SourceVpce": {rt.EndpointID}, "aws:SourceVpc": {rt.VPC}, "aws:SourceVpcArn": {rt.VPCArn}}
	if len(rt.SourceIPs) > 0 {
		keys["aws:VpcSourceIp"] = rt.SourceIPs
	}
	return keys
}

// escalateThrough runs every technique for p from inside rt's endpoint and from outside, and draws
// from the workload the moves only the first has.
func (b *builder) escalateThrough(e *escalator, rt *resources.EndpointRoute, p *principal, epPol *policy.Policy) {
	keys := routeKeys(rt)
	// The inside run's prefilter: the actions p may have with the keys present.
	shadow := *p
	inCtx := maps.Clone(b.requestContext(b.homeRegion()))
	maps.Copy(inCtx, keys)
	cl := &class{key: "endpoint|" + rt.EndpointID + "|" + p.id, rep: &shadow, access: map[accessKey]accessResult{}, grants: map[string][]policy.Grant{}}
	inGlobal := maps.Clone(b.requestContext(b.globalRegion()))
	maps.Copy(inGlobal, keys)
	inYes, inMay := policy.EffectiveActionsRequest(policy.Request{Principal: p.caller, Context: inCtx}, p.set)
	inStar, _ := policy.EffectiveActionsRequest(policy.Request{Principal: p.caller, Resource: "*", Context: inGlobal}, p.set)
	// Only the route's service sees the keys: its actions take the inside sets, others keep p's.
	svc := b.serviceActions(rt.Service)
	mix := func(out, in catalog.ActionSet) catalog.ActionSet {
		m := out.Clone()
		m.Minus(svc)
		in = in.Clone()
		in.Intersect(svc)
		m.Union(in)
		return m
	}
	cl.anyYes, cl.anyMay, cl.starYes = mix(p.class.anyYes, inYes), mix(p.class.anyMay, inMay), mix(p.class.starYes, inStar)
	shadow.class = cl
	with := b.captureEscalations(e, &shadow, nil, map[string]map[string][]string{rt.Service: keys})
	if len(with) == 0 {
		return
	}
	best := map[string]bool{} // per target: reached from outside unconditionally (true) or only conditionally
	for _, x := range b.captureEscalations(e, p, nil, nil) {
		best[x.to] = best[x.to] || !x.conditional
	}
	drawn := map[string]bool{}
	for _, x := range with {
		if sure, ok := best[x.to]; (ok && (sure || x.conditional)) || drawn[x.to+"|"+x.tech.ID] || x.to == p.id {
			continue
		}
		conditional := x.conditional || !rt.Default
		ev := append([]string{fmt.Sprintf("%s acts as %s; its %s requests go through endpoint %s", rt.Workload, p.id, rt.Service, rt.EndpointID)},
			rt.Evidence...)
		if epPol == nil {
			ev = append(ev, "endpoint "+rt.EndpointID+" has the default full-access policy")
		} else {
			d, ok := b.endpointPolicyPasses(epPol, p, x, rt.Service, keys)
			if !ok {
				continue
			}
			conditional = conditional || d == policy.Conditional
			ev = append(ev, fmt.Sprintf("endpoint policy of %s allows the technique's %s actions: %s", rt.EndpointID, rt.Service, d))
		}
		ev = append(ev, x.evidence...)
		ev = append(ev, "from outside the endpoint (aws:SourceVpce/aws:SourceVpc absent) "+p.id+" has no such move", e.cat.line[x.tech])
		drawn[x.to+"|"+x.tech.ID] = true
		sev := graph.SeverityHigh
		if x.to == b.adminNode || (b.byARN[x.to] != nil && b.byARN[x.to].admin) {
			sev = graph.SeverityCritical
		}
		b.addEdge(graph.Edge{From: rt.Workload, To: x.to, Kind: graph.EdgeEscalatesTo, Technique: x.tech.ID, Likelihood: x.tech.Likelihood,
			Conditional: conditional, Evidence: ev, Findings: append(e.finding(p, x.tech, sev), rt.Findings...),
			Props: graph.Props{"via": []string{rt.Endpoint}, "role": p.id, "service": rt.Service}})
	}
}

// endpointPolicyPasses decides the endpoint's policy on the technique's permissions that go to
// the endpoint's service (on the move's target and on "*"): every one must pass.
func (b *builder) endpointPolicyPasses(epPol *policy.Policy, p *principal, x capturedEdge, service string, keys map[string][]string) (policy.Decision, bool) {
	worst := policy.Allowed
	for _, perm := range x.tech.Perms {
		if svc, _, _ := strings.Cut(strings.ToLower(perm.Action), ":"); svc != service {
			continue
		}
		var best policy.Result
		for _, res := range []string{x.to, "*"} {
			r := b.ev.Evaluate(policy.Request{Principal: p.caller, Action: perm.Action, Resource: res, ResourceAccount: b.account, Context: keys},
				policy.PolicySet{Resource: epPol})
			if rank(r.Decision) > rank(best.Decision) {
				best = r
			}
		}
		if !granted(best.Decision) {
			return best.Decision, false
		}
		if best.Decision == policy.Conditional {
			worst = policy.Conditional
		}
	}
	return worst, true
}

// serviceActions is the set of the catalog's actions of one service prefix.
func (b *builder) serviceActions(service string) catalog.ActionSet {
	set := b.cat.NewSet()
	for _, a := range b.cat.Actions() {
		if strings.EqualFold(a.Service, service) {
			set.Set(a.Index)
		}
	}
	return set
}
