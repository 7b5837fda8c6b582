package policy

import (
	"slices"
	"strings"

	"github.com/breachpath/breachpath/collector/aws/catalog"
)

// TypeFederatedUser is an STS federated-user session (GetFederationToken); TypeFederated is a
// web-identity or SAML provider principal as named in trust policies.
const TypeFederatedUser = "federated-user"

type keyState uint8

const (
	keyPresent keyState = iota
	keyAbsent
	keyUnknown
)

// evalCtx is the per-request view of the context: caller-supplied keys plus the keys the engine can
// derive from the principal, with a known/unknown distinction for absent keys.
type evalCtx struct {
	req       *Request
	set       *PolicySet
	vals      map[string][]string
	absent    map[string]bool
	tagsKnown bool
}

func newEvalCtx(req *Request, set *PolicySet) *evalCtx {
	e := &evalCtx{vals: make(map[string][]string, len(req.Context)+8), absent: map[string]bool{}}
	e.fill(req, set, nil)
	return e
}

// fill sets the context of one request into e, whose maps are empty. With a scratch (an
// Evaluator's), lower-cased names and derived values come from reused storage instead of
// new allocations; the values are the same.
func (e *evalCtx) fill(req *Request, set *PolicySet, s *scratch) {
	e.req, e.set, e.tagsKnown = req, set, false
	lower := strings.ToLower
	if s != nil {
		lower = s.lower
	}
	for k, v := range req.Context {
		e.vals[lower(k)] = v
	}
	for _, k := range req.AbsentKeys {
		if _, ok := e.vals[lower(k)]; !ok {
			e.absent[lower(k)] = true
		}
	}
	p := &req.Principal
	derive := func(k, v string) {
		if _, ok := e.vals[k]; !ok {
			if v == "" {
				e.absent[k] = true
			} else if s != nil {
				e.vals[k] = s.single(v)
			} else {
				e.vals[k] = []string{v}
			}
		}
	}
	if p.Type == TypeAnonymous || p.Type == TypeService || p.Type == TypeFederated {
		for _, k := range []string{"aws:principalarn", "aws:principalaccount", "aws:username", "aws:userid", "aws:principalorgid"} {
			if _, ok := e.vals[k]; !ok {
				e.absent[k] = true
			}
		}
	} else {
		arn := p.ARN
		if p.SourceARN != "" && p.Type == TypeAssumedRole {
			arn = p.SourceARN // aws:PrincipalArn of a role session is the role's ARN
		}
		derive("aws:principalarn", arn)
		derive("aws:principalaccount", p.AccountID)
		if p.Type == TypeUser {
			derive("aws:username", p.Name)
		} else {
			derive("aws:username", "")
		}
		if p.UserID != "" {
			derive("aws:userid", p.UserID)
		}
		derive("aws:principaltype", principalTypeValue(p.Type))
	}
	if p.Type == TypeService {
		derive("aws:principalisawsservice", "true")
		derive("aws:principalservicename", p.Name)
	} else {
		derive("aws:principalisawsservice", "false")
	}
	if p.Tags != nil {
		e.tagsKnown = true
		for k, v := range p.Tags {
			if s != nil {
				derive(s.tagKey(k), v)
			} else {
				derive("aws:principaltag/"+strings.ToLower(k), v)
			}
		}
	}
	if req.ResourceAccount != "" {
		derive("aws:resourceaccount", req.ResourceAccount)
	}
}

func principalTypeValue(t string) string {
	switch t {
	case TypeUser:
		return "User"
	case TypeRole, TypeAssumedRole:
		return "AssumedRole"
	case TypeRoot:
		return "Account"
	case TypeFederatedUser:
		return "FederatedUser"
	}
	return ""
}

// get returns a key's values and whether it is present, known absent, or unknown.
func (e *evalCtx) get(key string) ([]string, keyState) {
	k := strings.ToLower(key)
	if v, ok := e.vals[k]; ok {
		return v, keyPresent
	}
	if e.absent[k] || e.req.ContextComplete {
		return nil, keyAbsent
	}
	if e.tagsKnown && strings.HasPrefix(k, "aws:principaltag/") {
		return nil, keyAbsent
	}
	if e.req.UntagKeys != nil && e.req.RequestTags == nil {
		if k == "aws:tagkeys" {
			if len(e.req.UntagKeys) == 0 {
				return nil, keyAbsent
			}
			return slices.Sorted(slices.Values(e.req.UntagKeys)), keyPresent
		}
		if strings.HasPrefix(k, "aws:requesttag/") {
			return nil, keyAbsent
		}
	}
	if e.req.RequestTags != nil {
		if k == "aws:tagkeys" {
			keys := make([]string, 0, len(e.req.RequestTags))
			for tk := range e.req.RequestTags {
				keys = append(keys, tk)
			}
			slices.Sort(keys)
			if len(keys) == 0 {
				return nil, keyAbsent
			}
			return keys, keyPresent
		}
		if tag, ok := strings.CutPrefix(k, "aws:requesttag/"); ok {
			for tk, tv := range e.req.RequestTags {
				if strings.EqualFold(tk, tag) {
					return []string{tv}, keyPresent
				}
			}
			return nil, keyAbsent
		}
	}
	if e.req.ResourceTags != nil {
		if _, tag, ok := strings.Cut(k, ":resourcetag/"); ok && !strings.Contains(k[:strings.Index(k, ":")], "/") {
			for tk, tv := range e.req.ResourceTags {
				if strings.EqualFold(tk, tag) {
					return []string{tv}, keyPresent
				}
			}
			return nil, keyAbsent
		}
	}
	return nil, keyUnknown
}

func (e *evalCtx) crossAccount() bool {
	r, p := e.req.ResourceAccount, e.req.Principal.AccountID
	return r != "" && p != "" && r != p
}

func (e *evalCtx) scpApplies() bool {
	p := e.req.Principal
	return len(e.set.SCPs) > 0 && !e.set.CallerIsManagementAccount && !p.IsServiceLinkedRole &&
		p.Type != TypeService && p.Type != TypeAnonymous
}

func (e *evalCtx) rcpApplies() bool {
	return len(e.set.RCPs) > 0 && !e.set.ResourceIsManagementAccount && !e.req.Principal.IsServiceLinkedRole
}

type principalMatchKind uint8

const (
	matchNone principalMatchKind = iota
	matchOther
	matchAccount
	matchSpecific
)

// principalApplies reports whether a resource-policy statement's Principal/NotPrincipal covers the caller.
func (e *evalCtx) principalApplies(st *Statement) bool {
	if st.NotPrincipal {
		// Documented quirk: Deny with NotPrincipal always denies principals that have a boundary.
		if st.Effect == Deny && e.set.Boundary != nil {
			return true
		}
		return !e.notPrincipalExcludes(st.Principal)
	}
	return e.matchPrincipals(st.Principal) != matchNone
}

// principalMatch classifies how an applying Allow statement names the caller.
func (e *evalCtx) principalMatch(st *Statement) principalMatchKind {
	if st.Principal == nil || st.NotPrincipal {
		return matchOther
	}
	return e.matchPrincipals(st.Principal)
}

func (e *evalCtx) matchPrincipals(ps *Principals) principalMatchKind {
	p := &e.req.Principal
	best := matchNone
	if ps.Wildcard {
		best = matchOther
	}
	iam := p.Type != TypeService && p.Type != TypeAnonymous && p.Type != TypeFederated
	for _, a := range ps.AWS {
		switch {
		case !iam:
		case a == p.ARN && (p.Type == TypeUser || p.Type == TypeAssumedRole || p.Type == TypeFederatedUser):
			return matchSpecific
		case a == p.AccountID || a == "arn:aws:iam::"+p.AccountID+":root" || a == p.ARN && p.Type == TypeRoot:
			best = max(best, matchAccount)
		case a == p.ARN || (p.SourceARN != "" && a == p.SourceARN):
			best = max(best, matchOther)
		}
	}
	for _, s := range ps.Service {
		if p.Type == TypeService && (s == p.Name || s == p.ARN) {
			return matchSpecific
		}
	}
	for _, f := range ps.Federated {
		if p.Type == TypeFederated && (f == p.Name || f == p.ARN) {
			return matchSpecific
		}
	}
	for _, c := range ps.CanonicalUser {
		if p.UserID != "" && c == p.UserID {
			return matchSpecific
		}
	}
	return best
}

// notPrincipalExcludes implements NotPrincipal's documented matching: a caller is excluded only when
// its own ARN (or its role's ARN for a session) AND its account are both listed, because AWS also
// evaluates the account as a principal of the request.
func (e *evalCtx) notPrincipalExcludes(ps *Principals) bool {
	if ps.Wildcard {
		return true
	}
	p := &e.req.Principal
	if p.Type == TypeService || p.Type == TypeFederated || p.Type == TypeAnonymous {
		return e.matchPrincipals(ps) == matchSpecific
	}
	self, account := false, false
	for _, a := range ps.AWS {
		switch {
		case a == p.AccountID || a == "arn:aws:iam::"+p.AccountID+":root":
			account = true
			if p.Type == TypeRoot {
				self = true
			}
		case a == p.ARN || (p.SourceARN != "" && a == p.SourceARN):
			self = true
		}
	}
	return self && account
}

func catalogMatch(pattern, action string) bool {
	return catalog.Match(pattern, action)
}
