package identity

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/breachpath/breachpath/collector/aws/policy"
	"github.com/breachpath/breachpath/graph"
)

// roleTrust is a role's parsed trust policy and what it names.
type roleTrust struct {
	p        *principal
	doc      *policy.Policy
	services []string
	// delegates is set when the trust names the role's own account (root or id) or "*": every
	// principal of the account is a candidate caller.
	delegates bool
	wildcard  bool
	named     []string // own-account principal ARNs named explicitly
	external  []string // node ids of principals outside the account (external, estate stubs)
	federated []string // provider node ids
	// sessions are own-account principals the trust names by another form than their ARN: a role
	// session (arn:...:sts::<acct>:assumed-role/R/s: whoever acts as R can name its session s, so
	// R is the caller) or the ARN with another path.
	sessions []sessionRef
	specific bool // results differ between members of a class: evaluate per caller
}

// sessionRef is a role session named in a trust policy.
type sessionRef struct {
	role *principal
	arn  string
}

// trust emits TRUSTS facts and ASSUMES moves for every role.
func (b *builder) trust(ctx context.Context) error {
	if a, ok := b.cat.Lookup("sts:AssumeRole"); ok {
		b.assumeIdx = a.Index
	}
	for _, p := range b.principals {
		if p.role == nil {
			continue
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		if rt := b.parseTrust(p); rt != nil {
			b.trusts = append(b.trusts, rt)
		}
	}
	// Roles are independent: each one's ASSUMES edges are computed in parallel and added in role
	// order (see ordered). Parsing stays sequential: it adds facts, nodes and warnings, none of
	// which share a key with what assumeEdges adds, so doing it first changes no merge.
	b.preparePolicies()
	b.tagConditions = b.usesResourceTags()
	b.requestContext(b.globalRegion()) // filled before the workers read it
	views := make([]*builder, workers(len(b.trusts)))
	for w := range views {
		views[w] = b.view()
	}
	// Workers read no nodes, edges or findings (policy nodes come from preparePolicies' record):
	// replays may overlap the next batch.
	return b.ordered(ctx, len(b.trusts), views, true, func(w, i int) { views[w].assumeEdges(b.trusts[i]) })
}

func (b *builder) parseTrust(p *principal) *roleTrust {
	doc := b.parsePolicy(p.id+"#trust", p.role.TrustPolicy)
	if doc == nil {
		return nil
	}
	rt := &roleTrust{p: p, doc: doc, specific: principalDependent(doc)}
	for _, st := range doc.Statements {
		if st.Effect != policy.Allow || st.Principal == nil {
			continue
		}
		if st.NotPrincipal {
			// Allow with NotPrincipal trusts everyone but the listed principals.
			rt.wildcard, rt.delegates = true, true
			b.fact(p.id, b.anonymousNode(), graph.EdgeTrusts, graph.Props{"statement": stmtRef(st.Sid, st.Index), "not_principal": true})
			continue
		}
		ps := st.Principal
		if ps.Wildcard {
			rt.wildcard, rt.delegates = true, true
			b.fact(p.id, b.anonymousNode(), graph.EdgeTrusts, graph.Props{"statement": stmtRef(st.Sid, st.Index)})
		}
		for _, a := range ps.AWS {
			if a == "*" {
				rt.wildcard, rt.delegates = true, true
				b.fact(p.id, b.anonymousNode(), graph.EdgeTrusts, graph.Props{"statement": stmtRef(st.Sid, st.Index)})
				continue
			}
			id, own := b.principalRef(a)
			if id == "" && own && isSSORole(a) {
				// An IAM Identity Center role the collection did not list: keep the trust as a fact.
				id = b.ssoStub(a)
			}
			if id == "" {
				b.warn("trust policy names an unknown principal (deleted, or not an ARN)", "role", p.id, "principal", a)
				continue
			}
			b.fact(p.id, id, graph.EdgeTrusts, graph.Props{"statement": stmtRef(st.Sid, st.Index)})
			switch {
			case own && id == b.rootID(b.account):
				rt.delegates = true
			case own && b.byARN[id] != nil && id != a:
				// A session of the role, or the ARN written with another path: AWS matched it
				// to the principal when the policy was saved.
				rt.sessions = append(rt.sessions, sessionRef{role: b.byARN[id], arn: a})
				rt.specific = true
			case own && b.byARN[id] == nil:
				// A stub (Identity Center role not collected): nothing to evaluate.
			case own:
				rt.named = append(rt.named, id)
				rt.specific = true
			default:
				rt.external = append(rt.external, id)
			}
		}
		rt.services = append(rt.services, ps.Service...)
		for _, f := range ps.Federated {
			id := b.federatedNode(f)
			b.fact(p.id, id, graph.EdgeTrusts, graph.Props{"statement": stmtRef(st.Sid, st.Index)})
			rt.federated = append(rt.federated, f)
		}
	}
	rt.services = slices.Compact(slices.Sorted(slices.Values(rt.services)))
	rt.external = slices.Compact(slices.Sorted(slices.Values(rt.external)))
	rt.federated = slices.Compact(slices.Sorted(slices.Values(rt.federated)))
	if len(rt.services) > 0 {
		n := b.node(p.id)
		n.Props["trusted_services"] = rt.services
		if !rt.delegates && !rt.wildcard && len(rt.named) == 0 && len(rt.external) == 0 && len(rt.federated) == 0 && len(rt.sessions) == 0 {
			// Only AWS services can assume it: not an attacker of its own, reachable only through
			// a workload of those services.
			n.Props[PropServiceOnly] = true
		}
	}
	return rt
}

// PropServiceOnly marks a role whose trust admits only AWS service principals (and service-linked
// roles): no one starts as it; it is reached through a workload that runs as it.
const PropServiceOnly = graph.PropServiceOnly

// isSSORole reports whether an own-account role ARN is an IAM Identity Center (SSO) role.
func isSSORole(arn string) bool {
	return strings.Contains(arn, ":role/aws-reserved/sso.amazonaws.com/") || strings.Contains(arn, "/AWSReservedSSO_")
}

// ssoStub adds a node for an Identity Center role named in a trust policy but not collected.
func (b *builder) ssoStub(arn string) string {
	b.addNode(graph.Node{ID: arn, Kind: graph.KindRole, NativeType: NativeRole, Name: lastName(arn), Account: b.account, Service: "iam",
		Stub: true, Props: graph.Props{"identity_center": true}})
	return arn
}

// principalRef maps a principal named in a policy (ARN or account id) to a node id, creating the
// external or stub node as needed. own reports whether it belongs to this account.
func (b *builder) principalRef(v string) (id string, own bool) {
	if isAccountID(v) {
		v = b.iamARN(v, "root")
	}
	part, svc, _, acct, res, ok := arnParts(v)
	if !ok || acct == "" {
		return "", false
	}
	if acct == b.account {
		if res == "root" {
			return b.rootID(acct), true
		}
		if p, ok := b.byARN[v]; ok {
			return p.id, true
		}
		if p := b.byName(svc, res); p != nil {
			return p.id, true
		}
		return "", true
	}
	kind, native := graph.KindExternalPrincipal, NativeExternalAccount
	switch {
	case res == "root":
	case strings.HasPrefix(res, "role/") || svc == "sts":
		kind, native = graph.KindRole, NativeRole
	case strings.HasPrefix(res, "user/"):
		kind, native = graph.KindUser, NativeUser
	}
	if b.orgAccts[acct] {
		if res == "root" {
			kind, native = graph.KindUser, NativeRoot
		}
		b.addNode(graph.Node{ID: v, Kind: kind, NativeType: native, Name: lastName(v), Account: acct, Service: "iam", Stub: true})
		return v, false
	}
	// Outside the estate: whoever controls that account controls the principal, so it is an
	// exposure source owned by this scope.
	b.addNode(graph.Node{ID: v, Kind: graph.KindExternalPrincipal, NativeType: native, Name: lastName(v), Service: "iam",
		Account: b.account, Props: graph.Props{"external_account": acct, "partition": part}})
	return v, false
}

// byName finds an own-account principal named in a policy by a form other than its ARN: a role
// session (sts assumed-role/<role>/<session>: the role), or a user or role ARN written with
// another path (names are unique in an account whatever the path).
func (b *builder) byName(svc, res string) *principal {
	parts := strings.Split(res, "/")
	if len(parts) < 2 {
		return nil
	}
	kind, name := parts[0], parts[len(parts)-1]
	if svc == "sts" {
		if kind != "assumed-role" || len(parts) != 3 {
			return nil
		}
		kind, name = "role", parts[1]
	}
	for _, p := range b.principals {
		if p.name == name && ((kind == "role" && p.role != nil) || (kind == "user" && p.user != nil)) {
			return p
		}
	}
	return nil
}

func (b *builder) anonymousNode() string {
	b.addNode(graph.Node{ID: AnonymousID, Kind: graph.KindExternalPrincipal, NativeType: NativeAnonymous, Name: "anyone (*)",
		Service: "iam", Stub: true, Props: graph.Props{graph.PropAnonymous: true}})
	return AnonymousID
}

func (b *builder) anyAWSPrincipalNode() string {
	b.addNode(graph.Node{ID: AnyAWSPrincipalID, Kind: graph.KindExternalPrincipal, NativeType: NativeAnyAWSPrincipal,
		Name: "any authenticated AWS principal (any account)", Service: "iam", Stub: true,
		Props: graph.Props{graph.PropAnonymous: true, "any_aws_account": true}})
	return AnyAWSPrincipalID
}

func (b *builder) federatedNode(provider string) string {
	id := provider
	if _, _, _, _, _, ok := arnParts(provider); !ok {
		id = "federated:" + provider
	}
	b.addNode(graph.Node{ID: id, Kind: graph.KindExternalPrincipal, NativeType: NativeFederated, Name: lastName(provider),
		Account: b.account, Service: "iam", Props: graph.Props{"provider": provider}})
	return id
}

// externalCaller builds the evaluation principal for a principal outside this account. Its identity
// policies are not ours to read; an attacker controlling that account grants itself anything, so
// the caller is modelled as that account's root, whose identity side allows everything.
func externalCaller(id string) policy.Principal {
	return policy.Principal{ARN: id, AccountID: arnAccount(id), Type: policy.TypeRoot, Name: lastName(id)}
}

func (b *builder) assumeEdges(rt *roleTrust) {
	role := rt.p
	trustCtx := map[string][]string(nil)
	// Per-class decisions on this role; local because roles run in parallel.
	byClass := map[*class]policy.Result{}
	hub := map[string]policy.Decision{}
	// Internal callers.
	eval := func(c *principal) policy.Result {
		if !rt.specific {
			if r, ok := byClass[c.class]; ok {
				return r
			}
			r := b.canAssume(c.class.rep.caller, c.class.rep.set, rt.doc, role.id, trustCtx)
			byClass[c.class] = r
			return r
		}
		return b.canAssume(c.caller, c.set, rt.doc, role.id, trustCtx)
	}
	try := func(c *principal) {
		if c == role {
			return
		}
		r := eval(c)
		var step *tagStep
		if !granted(r.Decision) {
			// ABAC on the role's tags that fails today holds after the caller retags the role,
			// when it may (iam:TagRole, iam:UntagRole): the tag change is the move's first step.
			if !b.tagConditions {
				return
			}
			var ok bool
			if r, step, ok = b.retagRole(c, rt, trustCtx); !ok {
				return
			}
		}
		if step != nil {
			b.addEdge(b.withTagStep(graph.Edge{From: c.id, To: role.id, Kind: graph.EdgeAssumes, Technique: TechAssumeRole,
				Conditional: r.Decision == policy.Conditional, Evidence: decisionEvidence("sts:AssumeRole", role.id, r)}, c.id, step))
			return
		}
		if rt.delegates && !rt.wildcard && !rt.specific && b.assumeViaPolicy(c, rt, r.Decision, hub) {
			return
		}
		b.addEdge(graph.Edge{From: c.id, To: role.id, Kind: graph.EdgeAssumes, Technique: TechAssumeRole,
			Conditional: r.Decision == policy.Conditional, Evidence: decisionEvidence("sts:AssumeRole", role.id, r)})
	}
	if rt.delegates {
		for _, c := range b.principals {
			// With a delegating trust the caller's own sts:AssumeRole permission decides, except for
			// "*" trusts that grant same-account callers directly.
			if !rt.wildcard && !c.class.anyYes.Has(b.assumeIdx) && !c.class.anyMay.Has(b.assumeIdx) && !slices.Contains(rt.named, c.id) {
				continue
			}
			try(c)
		}
	} else {
		for _, id := range rt.named {
			if c := b.byARN[id]; c != nil {
				try(c)
			}
		}
	}
	// Role sessions the trust names: the role acting under that session name.
	for _, s := range rt.sessions {
		if s.role == nil || s.role == role {
			continue
		}
		caller := s.role.caller
		caller.ARN = s.arn
		note := "trust names " + s.arn + ", which is " + s.role.id
		if strings.Contains(s.arn, ":assumed-role/") {
			caller.Type = policy.TypeAssumedRole
			note = "trust names session " + s.arn + "; whoever acts as " + s.role.id + " chooses its session name"
		}
		r := b.canAssume(caller, s.role.set, rt.doc, role.id, trustCtx)
		if !granted(r.Decision) {
			continue
		}
		ev := append(decisionEvidence("sts:AssumeRole", role.id, r), note)
		b.addEdge(graph.Edge{From: s.role.id, To: role.id, Kind: graph.EdgeAssumes, Technique: TechAssumeRole,
			Conditional: r.Decision == policy.Conditional, Evidence: ev})
	}
	// External and estate principals.
	for _, id := range rt.external {
		caller := externalCaller(id)
		r := b.canAssume(caller, policy.PolicySet{}, rt.doc, role.id, trustCtx)
		if !granted(r.Decision) {
			continue
		}
		e := graph.Edge{From: id, To: role.id, Kind: graph.EdgeAssumes, Technique: TechAssumeRole,
			Conditional: r.Decision == policy.Conditional, Evidence: decisionEvidence("sts:AssumeRole", role.id, r)}
		acct := arnAccount(id)
		if slices.Contains(r.UnresolvedKeys, "sts:externalid") {
			e.Evidence = append(e.Evidence, "requires external id")
		}
		if b.orgAccts[acct] {
			// The caller's own identity policies live in its account's scope and are not evaluated here.
			e.Conditional = true
			e.Evidence = append(e.Evidence, "caller's sts:AssumeRole permission in account "+acct+" not evaluated in this scope")
		} else if !slices.Contains(r.UnresolvedKeys, "sts:externalid") {
			e.Findings = append(e.Findings, b.addFinding(graph.Finding{RuleID: RuleRoleTrustsNoExternalID, Resource: role.id,
				Severity: graph.SeverityHigh, Title: "Role trusts an external account without an external id",
				Evidence:    fmt.Sprintf("trust policy lets %s (account %s, outside the organization) assume the role without an sts:ExternalId condition", id, acct),
				Remediation: "Require sts:ExternalId (third parties) or restrict the trust to specific principals with conditions; remove the trust if unused.",
				FixEffort:   1}))
		}
		b.addEdge(e)
	}
	// Anyone.
	if rt.wildcard {
		r := b.canAssume(policy.Principal{Type: policy.TypeAnonymous, ARN: "*", Name: "*"}, policy.PolicySet{}, rt.doc, role.id, trustCtx)
		if granted(r.Decision) {
			sev := graph.SeverityCritical
			if r.Decision == policy.Conditional {
				sev = graph.SeverityHigh
			}
			fid := b.addFinding(graph.Finding{RuleID: RuleRoleTrustsAnyone, Resource: role.id, Severity: sev,
				Title:       "Role trust policy allows any AWS principal",
				Evidence:    strings.Join(decisionEvidence("sts:AssumeRole", role.id, r), "; "),
				Remediation: `Replace Principal "*" with the accounts or roles that need access, or add aws:PrincipalOrgID / aws:PrincipalAccount conditions.`})
			b.addEdge(graph.Edge{From: b.anonymousNode(), To: role.id, Kind: graph.EdgeAssumes, Technique: TechAssumeRole,
				Conditional: r.Decision == policy.Conditional, Evidence: decisionEvidence("sts:AssumeRole", role.id, r), Findings: []string{fid}})
		}
	}
	// Federated providers.
	for _, f := range rt.federated {
		caller := policy.Principal{Type: policy.TypeFederated, ARN: f, Name: f}
		r := b.canAssume(caller, policy.PolicySet{}, rt.doc, role.id, trustCtx)
		if !granted(r.Decision) {
			continue
		}
		tech, action := TechAssumeRoleWebIdentity, "sts:AssumeRoleWithWebIdentity"
		if strings.Contains(f, ":saml-provider/") {
			tech, action = TechAssumeRoleSAML, "sts:AssumeRoleWithSAML"
		}
		e := graph.Edge{From: b.federatedNode(f), To: role.id, Kind: graph.EdgeAssumes, Technique: tech,
			Conditional: r.Decision == policy.Conditional, Evidence: decisionEvidence(action, role.id, r)}
		if tech == TechAssumeRoleWebIdentity && !subjectScoped(r.UnresolvedKeys) {
			e.Findings = append(e.Findings, b.addFinding(graph.Finding{RuleID: RuleRoleTrustsOIDCUnscoped, Resource: role.id,
				Severity: graph.SeverityHigh, Title: "Role trusts a web-identity provider without a subject condition",
				Evidence:    fmt.Sprintf("trust policy lets tokens from %s assume the role with no condition on the token subject (:sub)", f),
				Remediation: "Add a StringEquals/StringLike condition on <provider>:sub (for GitHub: repo:<org>/<repo>:ref:...) and on :aud."}))
		}
		b.addEdge(e)
	}
}

// subjectScoped reports whether a web-identity decision depends on the token subject.
func subjectScoped(keys []string) bool {
	for _, k := range keys {
		if strings.HasSuffix(k, ":sub") || k == "cognito-identity.amazonaws.com:aud" {
			return true
		}
	}
	return false
}

// assumeViaPolicy draws holder -> policy -> role instead of holder -> role when a shared policy the
// caller holds allows sts:AssumeRole on a role whose trust delegates to the account, and the caller
// has nothing the policy's edge ignores (boundary, a Deny on sts:AssumeRole, SLR exemption,
// caller-dependent SCPs). The decision is then identity-side OR over policies AND the trust side,
// so the policy's edge is exactly true for the holder (see hubs.go).
//
// hub caches, for rt's role, each policy's own sts:AssumeRole decision by policy label.
func (b *builder) assumeViaPolicy(c *principal, rt *roleTrust, decision policy.Decision, hub map[string]policy.Decision) bool {
	if c.set.Boundary != nil || c.caller.IsServiceLinkedRole || b.orgDependent {
		return false
	}
	for _, x := range c.set.Identity {
		if b.polInfo(x).denySet.Has(b.assumeIdx) {
			return false
		}
	}
	for _, x := range c.set.Identity {
		pi := b.polInfo(x)
		if pi.dependent || !pi.acts.Has(b.assumeIdx) || strings.HasPrefix(x.Label, c.id+"#inline/") || !b.policyNode(x) {
			continue
		}
		d, ok := hub[x.Label]
		if !ok {
			probe := policy.Principal{ARN: x.Label, AccountID: b.account, Type: policy.TypeRole, Name: lastName(x.Label), Tags: map[string]string{}}
			set := policy.PolicySet{Identity: []*policy.Policy{x}, SCPs: b.scps, CallerIsManagementAccount: b.mgmt}
			r := b.canAssume(probe, set, rt.doc, rt.p.id, nil)
			d = r.Decision
			hub[x.Label] = d
			if granted(d) {
				b.addEdge(graph.Edge{From: x.Label, To: rt.p.id, Kind: graph.EdgeAssumes, Technique: TechAssumeRole,
					Conditional: d == policy.Conditional, Evidence: decisionEvidence("sts:AssumeRole", rt.p.id, r)})
			}
		}
		if !granted(d) || rank(d) < rank(decision) {
			continue
		}
		ev := x.Label + " attached to " + c.id
		for _, g := range c.groups {
			if slices.Contains(g.policies, x) {
				ev = x.Label + " attached to group " + g.arn + ", of which " + c.id + " is a member"
				break
			}
		}
		b.addEdge(graph.Edge{From: c.id, To: x.Label, Kind: graph.EdgeEscalatesTo, Technique: TechHoldsPolicy, Likelihood: 1, Evidence: []string{ev}})
		return true
	}
	return false
}

// retagRole decides sts:AssumeRole on rt's role once c has retagged the role (iam:TagRole,
// iam:UntagRole), when c may: see builder.chooseTags.
func (b *builder) retagRole(c *principal, rt *roleTrust, ctx map[string][]string) (policy.Result, *tagStep, bool) {
	role := rt.p.id
	region := b.globalRegion()
	if !b.mayRetag(c.caller, c.set, "iam:TagRole", role, region, b.resourceTags(role)) {
		return policy.Result{}, nil, false
	}
	current := b.resourceTags(role)
	if current == nil {
		current = map[string]string{}
	}
	return b.chooseTags(c.caller, c.set, "iam:TagRole", role, region, current, func(tags map[string]string) policy.Result {
		return b.ev.CanAssumeTagged(c.caller, c.set, rt.doc, role, tags, ctx)
	})
}
