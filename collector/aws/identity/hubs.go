package identity

import (
	"strings"

	"github.com/breachpath/breachpath/collector/aws/catalog"
	"github.com/breachpath/breachpath/collector/aws/policy"
	"github.com/breachpath/breachpath/graph"
)

// TechHoldsPolicy is the move from a principal to a shared policy it holds (attached directly or
// through a group). Data access granted by that policy alone is drawn once from the policy node
// instead of once per holder, which keeps the graph linear in principals + resources rather than
// their product (thousands of holders of ReadOnlyAccess would otherwise each get an edge to every
// bucket). It is only drawn for holders the policy's edges are true for: see hubEligible.
const TechHoldsPolicy = "aws.iam.holds-policy"

// hubState caches policy-hub decisions.
type hubState struct {
	eligible map[*principal]bool
	denies   map[*policy.Policy]bool // policy has a Deny that may touch a data action
	results  map[hubKey]policy.Decision
	emitted  map[hubKey]bool
}

type hubKey struct {
	pol  *policy.Policy
	res  int
	kind int
}

// dataActions lists every action an access definition uses.
func dataActions() []string {
	var out []string
	for _, t := range []*resourceType{typeS3, typeKMS, typeSecret, typeSQS, typeSNS, typeECR, typeLambda, typeDynamo, typeRDSInstance, typeRDSCluster} {
		for _, a := range t.accesses {
			out = append(out, a.actions...)
		}
	}
	return append(out, rdsConnect.actions...)
}

// hubEligible: a holder for whom "the policy allows it" implies "the holder may do it". That needs
// no boundary, no identity Deny that could touch a data action, SCPs that do not depend on who the
// caller is, and SCPs that apply (not a service-linked role).
func (b *builder) hubEligible(p *principal) bool {
	h := b.hubs()
	if v, ok := h.eligible[p]; ok {
		return v
	}
	// Principal-dependent allow policies do not matter (hub policies themselves have none and an
	// extra allow cannot take access away); principal-dependent SCPs do, so they disable hubs.
	ok := p.set.Boundary == nil && !p.caller.IsServiceLinkedRole && !b.orgDependent
	for _, pol := range p.set.Identity {
		if !ok {
			break
		}
		ok = !b.touchesData(pol)
	}
	h.eligible[p] = ok
	return ok
}

func (b *builder) hubs() *hubState {
	if b.hub == nil {
		b.hub = &hubState{eligible: map[*principal]bool{}, denies: map[*policy.Policy]bool{}, results: map[hubKey]policy.Decision{}, emitted: map[hubKey]bool{}}
	}
	return b.hub
}

func (b *builder) touchesData(pol *policy.Policy) bool {
	h := b.hubs()
	if v, ok := h.denies[pol]; ok {
		return v
	}
	touches := false
	acts := dataActions()
	for _, st := range pol.Statements {
		if st.Effect != policy.Deny {
			continue
		}
		for _, act := range acts {
			hit := false
			for _, pat := range st.Actions {
				if catalog.Match(pat, act) {
					hit = true
					break
				}
			}
			if hit != st.NotActions {
				touches = true
				break
			}
		}
		if touches {
			break
		}
	}
	h.denies[pol] = touches
	return touches
}

// hubPolicies are the shared policies of p that can act as hubs: managed policies and its groups'
// inline policies, without policy variables.
func (b *builder) hubPolicies(p *principal) []hubRef {
	var out []hubRef
	for _, m := range p.managed {
		if pol := b.managed[m]; pol != nil && !principalDependent(pol) {
			out = append(out, hubRef{pol: pol})
		}
	}
	for _, g := range p.groups {
		for _, pol := range g.policies {
			if !strings.HasPrefix(pol.Label, g.arn+"#inline/") || principalDependent(pol) {
				continue
			}
			out = append(out, hubRef{pol: pol, via: g.arn})
		}
	}
	return out
}

type hubRef struct {
	pol *policy.Policy
	via string // group ARN when held through a group
}

// viaHub reports whether p's access to r is already drawn from one of its policies (and draws the
// p -> policy and policy -> r edges as needed). decision is p's own decision for the access.
func (b *builder) viaHub(p *principal, r *dataResource, ri, ai int, a access, decision policy.Decision) bool {
	if !b.hubEligible(p) {
		return false
	}
	h := b.hubs()
	for _, ref := range b.hubPolicies(p) {
		k := hubKey{pol: ref.pol, res: ri, kind: ai}
		d, ok := h.results[k]
		if !ok {
			caller := policy.Principal{ARN: ref.pol.Label, AccountID: b.account, Type: policy.TypeRole, Name: lastName(ref.pol.Label), Tags: map[string]string{}}
			set := policy.PolicySet{Identity: []*policy.Policy{ref.pol}, SCPs: b.scps, CallerIsManagementAccount: b.mgmt}
			var res policy.Result
			res, _ = b.evalAccess(caller, set, r, a)
			d = res.Decision
			h.results[k] = d
			if granted(d) && b.node(ref.pol.Label) != nil {
				b.addEdge(graph.Edge{From: ref.pol.Label, To: r.id, Kind: a.edge, Technique: accessTechnique(r.typ, a.edge),
					Conditional: d == policy.Conditional, Evidence: decisionEvidence(strings.Join(a.actions, "|"), r.target(a), res)})
				h.emitted[k] = true
			}
		}
		if d != decision || !h.emitted[k] {
			continue
		}
		ev := []string{ref.pol.Label + " attached to " + p.id}
		if ref.via != "" {
			ev = []string{ref.pol.Label + " attached to group " + ref.via + ", of which " + p.id + " is a member"}
		}
		b.addEdge(graph.Edge{From: p.id, To: ref.pol.Label, Kind: graph.EdgeEscalatesTo, Technique: TechHoldsPolicy, Likelihood: 1, Evidence: ev})
		return true
	}
	return false
}
