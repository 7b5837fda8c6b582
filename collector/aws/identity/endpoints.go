package identity

import (
	"context"
	"fmt"
	"maps"
	"strings"

	"github.com/breachpath/breachpath/collector/aws/policy"
	"github.com/breachpath/breachpath/collector/aws/resources"
	"github.com/breachpath/breachpath/graph"
)

// TechEndpointAccess is data access a workload has only because its requests pass a VPC endpoint:
// a resource policy, identity policy, SCP or RCP grants (or stops denying) when aws:SourceVpce,
// aws:SourceVpc, aws:SourceVpcArn or aws:VpcSourceIp match, and the endpoint's own policy lets the
// request through. The same role's credentials used from anywhere else do not get it, so the edge
// starts at the workload, not at the role.
const TechEndpointAccess = "aws.ec2.vpc-endpoint-access"

// vpcSourceKeys are the condition keys only a request through a VPC endpoint carries.
var vpcSourceKeys = []string{"aws:SourceVpce", "aws:SourceVpc", "aws:SourceVpcArn", "aws:VpcSourceIp"}

// endpointAccess draws, for every workload whose requests to a service go through a VPC endpoint
// (resources.EndpointRoute), the access its roles have to that service's resources through the
// endpoint and not from outside it. One mechanism for every service: the route names the service,
// the resource types name theirs (typeSecret is "secretsmanager", typeKMS "kms", ...).
func (b *builder) endpointAccess(ctx context.Context) error {
	for i := range b.opts.EndpointRoutes {
		if i%64 == 0 && ctx.Err() != nil {
			return ctx.Err()
		}
		rt := &b.opts.EndpointRoutes[i]
		var epPol *policy.Policy
		if rt.Policy != "" {
			if epPol = b.parsePolicy(rt.Endpoint+"#policy", rt.Policy); epPol == nil {
				continue // unreadable endpoint policy: what it lets through is unknown
			}
		}
		reqCtx := maps.Clone(b.requestContext(rt.Region))
		reqCtx["aws:SourceVpce"] = []string{rt.EndpointID}
		reqCtx["aws:SourceVpc"] = []string{rt.VPC}
		reqCtx["aws:SourceVpcArn"] = []string{rt.VPCArn}
		if len(rt.SourceIPs) > 0 {
			reqCtx["aws:VpcSourceIp"] = rt.SourceIPs
		}
		for _, role := range rt.Roles {
			p := b.byARN[role]
			if p == nil {
				continue
			}
			if rt.Service == "sts" {
				b.endpointAssumes(rt, p, epPol)
			}
			for _, r := range b.resources {
				if r.region != rt.Region || r.typ.service != rt.Service || !b.vpcKeyed(p, r) {
					continue
				}
				for _, a := range r.accesses {
					b.endpointEdge(rt, p, r, a, epPol, reqCtx)
				}
			}
		}
	}
	return nil
}

// endpointEdge decides one access of one workload's role through the route's endpoint and draws it
// when it is better than the same role's access from outside.
func (b *builder) endpointEdge(rt *resources.EndpointRoute, p *principal, r *dataResource, a access, epPol *policy.Policy, reqCtx map[string][]string) {
	outside, _ := b.evalAccess(p.caller, p.set, r, a)
	if outside.Decision == policy.Allowed {
		return // the role's own edge already says so, wherever it acts from
	}
	inside, target := b.evalAccessIn(p.caller, p.set, r, a, reqCtx, nil)
	if !granted(inside.Decision) || rank(inside.Decision) <= rank(outside.Decision) {
		return
	}
	actions := strings.Join(a.actions, "|")
	ev := append([]string{fmt.Sprintf("%s acts as %s; its %s requests go through endpoint %s", rt.Workload, p.id, rt.Service, rt.EndpointID)},
		rt.Evidence...)
	ev = append(ev, decisionEvidence(actions, target, inside)...)
	ev = append(ev, fmt.Sprintf("from outside the endpoint (aws:SourceVpce/aws:SourceVpc absent) the same request is %s", outside.Decision))
	conditional := inside.Decision == policy.Conditional || !rt.Default
	if epPol == nil {
		ev = append(ev, "endpoint "+rt.EndpointID+" has the default full-access policy")
	} else {
		var best policy.Result
		for _, act := range a.actions {
			res := b.ev.Evaluate(policy.Request{Principal: p.caller, Action: act, Resource: target, ResourceAccount: b.account, Context: reqCtx},
				policy.PolicySet{Resource: epPol})
			if rank(res.Decision) > rank(best.Decision) {
				best = res
			}
		}
		if !granted(best.Decision) {
			return
		}
		conditional = conditional || best.Decision == policy.Conditional
		ev = append(ev, fmt.Sprintf("endpoint policy of %s allows %s on %s: %s", rt.EndpointID, actions, target, best.Decision))
	}
	b.addEdge(graph.Edge{From: rt.Workload, To: r.id, Kind: a.edge, Technique: TechEndpointAccess, Conditional: conditional,
		Evidence: ev, Findings: rt.Findings, Props: graph.Props{"via": []string{rt.Endpoint}, "role": p.id, "service": rt.Service}})
}

// TechAssumeRoleViaEndpoint is sts:AssumeRole that only a request through an STS interface endpoint
// gets: the role's trust policy (or the caller's identity policy, an SCP) admits the caller only
// when aws:SourceVpce, aws:SourceVpc, aws:SourceVpcArn or aws:VpcSourceIp match. The same
// credentials used from anywhere else are refused (the keys are absent there), so the edge starts
// at the workload whose STS requests go through the endpoint, not at its role.
const TechAssumeRoleViaEndpoint = "aws.sts.assume-role-via-vpc-endpoint"

// endpointAssumes draws workload -> role ASSUMES for the roles p (a role the route's workload runs
// as) may assume through the route's STS endpoint and not from outside it.
func (b *builder) endpointAssumes(rt *resources.EndpointRoute, p *principal, epPol *policy.Policy) {
	// The trust step decides from outside with no request context (assumeEdges' trustCtx); the
	// request through the endpoint differs from it by the endpoint's keys only.
	inCtx := map[string][]string{"aws:SourceVpce": {rt.EndpointID}, "aws:SourceVpc": {rt.VPC}, "aws:SourceVpcArn": {rt.VPCArn}}
	if len(rt.SourceIPs) > 0 {
		inCtx["aws:VpcSourceIp"] = rt.SourceIPs
	}
	for _, tr := range b.trusts {
		if tr.p == p || !b.vpcKeyedSet(p, tr.doc) {
			continue
		}
		outside := b.canAssume(p.caller, p.set, tr.doc, tr.p.id, nil)
		if outside.Decision == policy.Allowed {
			continue // the role's own ASSUMES edge already says so, wherever it acts from
		}
		inside := b.canAssume(p.caller, p.set, tr.doc, tr.p.id, inCtx)
		if !granted(inside.Decision) || rank(inside.Decision) <= rank(outside.Decision) {
			continue
		}
		ev := append([]string{fmt.Sprintf("%s acts as %s; its sts requests go through endpoint %s", rt.Workload, p.id, rt.EndpointID)}, rt.Evidence...)
		ev = append(ev, decisionEvidence("sts:AssumeRole", tr.p.id, inside)...)
		ev = append(ev, fmt.Sprintf("from outside the endpoint (aws:SourceVpce/aws:SourceVpc absent) the same request is %s", outside.Decision))
		conditional := inside.Decision == policy.Conditional || !rt.Default
		if epPol == nil {
			ev = append(ev, "endpoint "+rt.EndpointID+" has the default full-access policy")
		} else {
			res := b.ev.Evaluate(policy.Request{Principal: p.caller, Action: "sts:AssumeRole", Resource: tr.p.id, ResourceAccount: b.account, Context: inCtx},
				policy.PolicySet{Resource: epPol})
			if !granted(res.Decision) {
				continue
			}
			conditional = conditional || res.Decision == policy.Conditional
			ev = append(ev, fmt.Sprintf("endpoint policy of %s allows sts:AssumeRole on %s: %s", rt.EndpointID, tr.p.id, res.Decision))
		}
		b.addEdge(graph.Edge{From: rt.Workload, To: tr.p.id, Kind: graph.EdgeAssumes, Technique: TechAssumeRoleViaEndpoint, Conditional: conditional,
			Evidence: ev, Findings: rt.Findings, Props: graph.Props{"via": []string{rt.Endpoint}, "role": p.id, "service": rt.Service}})
	}
}

// testsVPCKey reports whether a policy has a condition on a VPC source key (cached).
func (b *builder) testsVPCKey(x *policy.Policy) bool {
	if x == nil {
		return false
	}
	if b.vpcKeyCache == nil {
		b.vpcKeyCache = map[*policy.Policy]bool{}
	}
	if v, ok := b.vpcKeyCache[x]; ok {
		return v
	}
	v := false
	for _, st := range x.Statements {
		for _, c := range st.Conditions {
			for _, k := range vpcSourceKeys {
				if strings.EqualFold(c.Key, k) {
					v = true
				}
			}
		}
	}
	b.vpcKeyCache[x] = v
	return v
}

// vpcKeyed reports whether any policy deciding p's access to r tests a VPC source key: otherwise
// the request through an endpoint is decided exactly as the one from outside.
func (b *builder) vpcKeyed(p *principal, r *dataResource) bool {
	return b.vpcKeyedSet(p, r.policy)
}

// vpcKeyedSet is vpcKeyed for a request on a resource whose policy is res (a bucket policy, a
// role's trust policy; nil for none).
func (b *builder) vpcKeyedSet(p *principal, res *policy.Policy) bool {
	keyed := b.testsVPCKey
	if keyed(res) || keyed(p.set.Boundary) {
		return true
	}
	for _, list := range [][]*policy.Policy{p.set.Identity, p.set.Session} {
		for _, x := range list {
			if keyed(x) {
				return true
			}
		}
	}
	for _, levels := range [][][]*policy.Policy{p.set.SCPs, b.scps, b.rcps} {
		for _, level := range levels {
			for _, x := range level {
				if keyed(x) {
					return true
				}
			}
		}
	}
	return false
}
