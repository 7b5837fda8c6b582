package policy

import (
	"github.com/breachpath/breachpath/collector/aws/catalog"
	"sort"
	"strings"
)

// Principal describes the caller of a request.
type Principal struct {
	// ARN of the caller: user ARN, assumed-role session ARN (arn:aws:sts::1:assumed-role/R/s), root
	// ARN, federated-user ARN, or the service name for service principals.
	ARN       string
	AccountID string
	// Type is one of the PrincipalType constants.
	Type string
	// Name is the user name, role name, or service/provider name.
	Name string
	// UserID is the unique id (aws:userid), e.g. "AIDA..." or "AROA...:session".
	UserID string
	// SourceARN is, for role sessions, the IAM role ARN (with path); for federated-user sessions the
	// IAM user who called GetFederationToken. Resource policies naming it match the session.
	SourceARN string
	// Tags are the principal's tags (aws:PrincipalTag/*). nil means unknown; an empty map means none.
	Tags map[string]string
	// IsServiceLinkedRole exempts the principal from SCPs and RCPs.
	IsServiceLinkedRole bool
}

// Principal types.
const (
	TypeUser        = "user"
	TypeRole        = "role"
	TypeAssumedRole = "assumed-role"
	TypeRoot        = "root"
	TypeService     = "service"
	TypeFederated   = "federated"
	TypeAnonymous   = "anonymous"
)

// Request is one API request to evaluate.
type Request struct {
	Principal Principal
	Action    string
	// Resource is the ARN of the resource; "" or "*" for actions without resource-level permissions.
	Resource        string
	ResourceAccount string
	// Context holds known condition keys (matched case-insensitively).
	Context map[string][]string
	// ContextComplete declares that Context holds every key present in the request, so a key not in
	// it is absent (the real AWS behaviour). When false, keys the engine cannot derive are unknown and
	// make conditions depending on them Conditional.
	ContextComplete bool
	// AbsentKeys names keys the caller knows the request does not carry
	// (a request from the Internet has no aws:SourceVpce), without
	// declaring the whole context complete.
	AbsentKeys []string
	// ResourceTags are the tags of the resource, when the caller knows them (nil: unknown). They
	// answer aws:ResourceTag/<key> and the service forms (iam:ResourceTag/<key>, ...): a key
	// the resource does not carry is absent.
	ResourceTags map[string]string
	// RequestTags are the tags the request sets (a create or tag action), when the caller knows
	// them (nil: unknown). They answer aws:RequestTag/<key> (a key not set is absent) and
	// aws:TagKeys (the keys set). An attacker chooses its request's tags: TagChoices lists the
	// sets worth trying.
	RequestTags map[string]string
	// UntagKeys are the tag keys an untag request removes (nil: not an untag request). They answer
	// aws:TagKeys; an untag request sets no tag, so aws:RequestTag/<key> is absent.
	UntagKeys []string
}

// PolicySet holds every policy that applies to one request.
type PolicySet struct {
	// Identity holds the caller's identity policies (user, its groups, or role; managed and inline).
	Identity []*Policy
	// Boundary is the caller's permissions boundary; nil when none.
	Boundary *Policy
	// Session holds session policies (inline and managed, unioned); nil when the session has none.
	Session []*Policy
	// SCPs applying to the caller's account, one slice per level (root, each OU, account); each level
	// must allow. nil when the account is not in an organization with SCPs enabled.
	SCPs [][]*Policy
	// RCPs applying to the resource's account, one slice per level, like SCPs.
	RCPs [][]*Policy
	// Resource is the resource-based policy (bucket policy, key policy, trust policy, ...); nil if none.
	Resource *Policy
	// CallerIsManagementAccount exempts the caller from SCPs (the management account is not subject).
	CallerIsManagementAccount bool
	// ResourceIsManagementAccount exempts the resource from RCPs.
	ResourceIsManagementAccount bool
	// ResourcePolicyRequired is set for resources whose policy must itself allow (KMS key policies,
	// role trust policies): an identity allow alone is not enough, a grant to the account delegates.
	ResourcePolicyRequired bool
}

// Decision is the outcome of an evaluation.
type Decision int

// Decisions. Conditional means the outcome depends on request context that was not supplied.
const (
	ImplicitDeny Decision = iota
	Allowed
	ExplicitDeny
	Conditional
)

// String returns the decision's name.
func (d Decision) String() string {
	switch d {
	case Allowed:
		return "Allowed"
	case ExplicitDeny:
		return "ExplicitDeny"
	case Conditional:
		return "Conditional"
	}
	return "ImplicitDeny"
}

// PolicyKind names the role a policy plays in a PolicySet.
type PolicyKind string

// Policy kinds cited in Reasons.
const (
	KindIdentity PolicyKind = "identity"
	KindBoundary PolicyKind = "boundary"
	KindSession  PolicyKind = "session"
	KindSCP      PolicyKind = "scp"
	KindRCP      PolicyKind = "rcp"
	KindResource PolicyKind = "resource"
)

// Reason cites one statement that matched the request.
type Reason struct {
	Kind        PolicyKind
	PolicyLabel string
	Sid         string
	Index       int
	Effect      Effect
	// Conditional is true when the statement applies only if its unresolved conditions hold.
	Conditional bool
}

// Result is the outcome of Evaluate.
type Result struct {
	Decision Decision
	// UnresolvedKeys are the context keys that made the decision Conditional (lower-case, sorted).
	UnresolvedKeys []string
	// Reasons lists every statement that matched (definitely or conditionally), in evaluation order.
	Reasons []Reason
}

// Evaluate decides a request with the AWS evaluation logic; see docs/policy-evaluation.md.
func Evaluate(req Request, set PolicySet) Result {
	return evaluate(newEvalCtx(&req, &set), map[string]bool{}, strings.ToLower(req.Action))
}

// evaluate decides e's request; unresolved is an empty scratch set, act the lower-cased action.
func evaluate(e *evalCtx, unresolved map[string]bool, act string) Result {
	set := e.set
	var r Result
	// A catalog action is matched against each statement's prepared action bitset: one bit test
	// instead of globbing every pattern of large managed policies (see Statement.bitsetExact).
	idx, inCatalog := catalogIndex(act)

	group := func(kind PolicyKind, pols []*Policy) (allow, deny tri) {
		for _, p := range pols {
			if p == nil {
				continue
			}
			if inCatalog {
				p.prepare()
			}
			for _, st := range p.Statements {
				if !st.matchesActionAt(act, idx, inCatalog) {
					continue
				}
				m, keys := st.applies(e, kind)
				if m == no {
					continue
				}
				for _, k := range keys {
					unresolved[k] = true
				}
				r.Reasons = append(r.Reasons, Reason{Kind: kind, PolicyLabel: p.Label, Sid: st.Sid, Index: st.Index, Effect: st.Effect, Conditional: m == maybe})
				if st.Effect == Deny {
					deny = max(deny, m)
				} else {
					allow = max(allow, m)
				}
			}
		}
		return allow, deny
	}
	in := formulaInputs[tri]{}
	var deny tri
	var a, d tri
	a, d = group(KindIdentity, set.Identity)
	in.identity, deny = a, max(deny, d)
	if set.Boundary != nil {
		a, d = group(KindBoundary, []*Policy{set.Boundary})
		in.boundary, in.hasBoundary, deny = a, true, max(deny, d)
	}
	if set.Session != nil {
		a, d = group(KindSession, set.Session)
		in.session, in.hasSession, deny = a, true, max(deny, d)
	}
	if e.scpApplies() {
		for _, level := range set.SCPs {
			a, d = group(KindSCP, level)
			in.scps, deny = append(in.scps, a), max(deny, d)
		}
	}
	if e.rcpApplies() {
		for _, level := range set.RCPs {
			a, d = group(KindRCP, level)
			in.rcps, deny = append(in.rcps, a), max(deny, d)
		}
	}
	if set.Resource != nil {
		in.hasResource = true
		if inCatalog {
			set.Resource.prepare()
		}
		for _, st := range set.Resource.Statements {
			if !st.matchesActionAt(act, idx, inCatalog) {
				continue
			}
			m, keys := st.applies(e, KindResource)
			if m == no {
				continue
			}
			for _, k := range keys {
				unresolved[k] = true
			}
			r.Reasons = append(r.Reasons, Reason{Kind: KindResource, PolicyLabel: set.Resource.Label, Sid: st.Sid, Index: st.Index, Effect: st.Effect, Conditional: m == maybe})
			if st.Effect == Deny {
				deny = max(deny, m)
				continue
			}
			switch e.principalMatch(st) {
			case matchSpecific:
				in.resSpecific = max(in.resSpecific, m)
			case matchAccount:
				in.resAccount = max(in.resAccount, m)
			default:
				in.resOther = max(in.resOther, m)
			}
		}
	}
	allow := combine[tri](triAlgebra{}, e, in)
	switch {
	case deny == yes:
		r.Decision = ExplicitDeny
	case allow == no:
		r.Decision = ImplicitDeny
	case allow == yes && deny == no:
		r.Decision = Allowed
	default:
		r.Decision = Conditional
		for k := range unresolved {
			r.UnresolvedKeys = append(r.UnresolvedKeys, k)
		}
		sort.Strings(r.UnresolvedKeys)
	}
	return r
}

// formulaInputs are the per-policy-type allow values the evaluation formula combines.
type formulaInputs[T any] struct {
	identity              T
	boundary, session     T
	hasBoundary           bool
	hasSession            bool
	scps, rcps            []T
	hasResource           bool
	resSpecific, resOther T // resource-policy allows naming the caller's own ARN / anything else
	resAccount            T // resource-policy allows naming the caller's account (delegation to IAM)
}

// algebra is the three-valued logic the formula runs on: a single tri for Evaluate, a pair of action
// bitsets for EffectiveActions. Sharing the formula keeps both paths consistent.
type algebra[T any] interface {
	and(a, b T) T
	or(a, b T) T
	all() T
	none() T
}

// combine is the allow side of the evaluation logic (explicit denies are applied by the caller).
func combine[T any](alg algebra[T], e *evalCtx, in formulaInputs[T]) T {
	guard := alg.all() // SCPs and RCPs: every level must allow
	for _, l := range in.scps {
		guard = alg.and(guard, l)
	}
	for _, l := range in.rcps {
		guard = alg.and(guard, l)
	}
	p := e.req.Principal
	switch p.Type {
	case TypeAnonymous, TypeService:
		// No identity policies exist: only the resource policy can grant.
		return alg.and(guard, alg.or(in.resSpecific, alg.or(in.resOther, in.resAccount)))
	}
	// Boundaries and session policies cap identity policies (and resource grants to a role ARN).
	limits := alg.all()
	if in.hasBoundary {
		limits = alg.and(limits, in.boundary)
	}
	if in.hasSession {
		limits = alg.and(limits, in.session)
	}
	ident := in.identity
	if p.Type == TypeRoot {
		// The root user is allowed everything in its own account by default.
		ident = alg.all()
	}
	identPath := alg.and(ident, limits)
	if e.crossAccount() {
		// Both sides must allow: the caller's account (identity chain) and the resource's policy.
		return alg.and(guard, alg.and(identPath, alg.or(in.resSpecific, alg.or(in.resOther, in.resAccount))))
	}
	// Same account: a grant to the caller's own user/session ARN stands alone (not capped by a
	// boundary or session policy); a grant to the role ARN, "*" or others is capped by them; a grant
	// to the account delegates to the identity policies and adds nothing.
	resPath := alg.or(in.resSpecific, alg.and(in.resOther, limits))
	if in.hasResource && e.set.ResourcePolicyRequired {
		// The resource policy itself must allow; a grant to the account means "identity policies decide".
		return alg.and(guard, alg.or(resPath, alg.and(in.resAccount, identPath)))
	}
	if e.set.ResourcePolicyRequired {
		return alg.none()
	}
	return alg.and(guard, alg.or(identPath, resPath))
}

type triAlgebra struct{}

func (triAlgebra) and(a, b tri) tri { return min(a, b) }
func (triAlgebra) or(a, b tri) tri  { return max(a, b) }
func (triAlgebra) all() tri         { return yes }
func (triAlgebra) none() tri        { return no }

// catalogIndex returns the catalog index of a lower-cased action name.
func catalogIndex(act string) (int32, bool) {
	a, ok := catalog.Default().Lookup(act)
	return a.Index, ok
}

// matchesActionAt is matchesAction for an action that may be in the catalog (idx, inCatalog),
// answered from the prepared bitset when that gives the same answer (bitsetExact); the policy
// must be prepared when inCatalog.
func (st *Statement) matchesActionAt(act string, idx int32, inCatalog bool) bool {
	if inCatalog && st.bitsetExact {
		return st.actionSet.Has(idx)
	}
	return st.matchesAction(act)
}

// matchesAction reports whether the statement's Action/NotAction covers the lower-cased action.
func (st *Statement) matchesAction(act string) bool {
	hit := false
	for _, a := range st.lowerActions {
		if a == "*" || catalogMatch(a, act) {
			hit = true
			break
		}
	}
	return hit != st.NotActions
}

// applies evaluates everything but the action: resource, principal and conditions.
func (st *Statement) applies(e *evalCtx, kind PolicyKind) (tri, []string) {
	var keys []string
	res := yes
	if st.Resources != nil {
		m, k := st.matchResource(e, e.req.Resource)
		if k != "" {
			keys = append(keys, k)
		}
		res = m
		if res == no {
			return no, nil
		}
	}
	if kind == KindResource && st.Principal != nil {
		if !e.principalApplies(st) {
			return no, nil
		}
	}
	for i := range st.Conditions {
		c := &st.Conditions[i]
		m, k := c.eval(e)
		if m == no {
			return no, nil
		}
		if k != "" {
			keys = append(keys, k)
		}
		res = min(res, m)
	}
	return res, keys
}

// matchResource matches the statement's Resource/NotResource against one resource ARN.
func (st *Statement) matchResource(e *evalCtx, resource string) (tri, string) {
	if resource == "" {
		resource = "*"
	}
	hit := no
	unknown := ""
	for i := range st.resPatterns {
		enc, ok, unk := st.resPatterns[i].resolve(e)
		if unk != "" {
			hit, unknown = max(hit, maybe), unk
			continue
		}
		if !ok {
			continue
		}
		if arnMatch(enc, resource) {
			hit = yes
			break
		}
	}
	if st.NotResources {
		switch hit {
		case yes:
			return no, ""
		case no:
			return yes, ""
		}
	}
	if hit == maybe {
		return maybe, unknown
	}
	return hit, ""
}

// tri is a three-valued truth: no < maybe < yes, so AND is min and OR is max.
type tri int8

const (
	no tri = iota
	maybe
	yes
)

func boolTri(b bool) tri {
	if b {
		return yes
	}
	return no
}
