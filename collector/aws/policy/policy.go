// Package policy parses AWS IAM policy documents and evaluates requests against them with the
// documented AWS evaluation logic (explicit deny, SCPs, RCPs, resource-based policies, permissions
// boundaries, session policies), reporting results that depend on unknown request context as
// Conditional instead of guessing. See docs/policy-evaluation.md for the exact rules.
package policy

import (
	"strings"
	"sync"

	"github.com/breachpath/breachpath/collector/aws/catalog"
)

// Effect is a statement's effect.
type Effect uint8

// Statement effects.
const (
	Allow Effect = iota + 1
	Deny
)

// String returns "Allow" or "Deny".
func (e Effect) String() string {
	if e == Deny {
		return "Deny"
	}
	return "Allow"
}

// Policy is a parsed policy document. Label is set by the caller (for example a managed policy ARN or
// "inline:user/alice/s3-read") so that evaluation results can cite where a permission comes from.
type Policy struct {
	Label      string
	Version    string
	ID         string
	Statements []*Statement

	// Expanded action bitsets are computed once per policy, on first use by EffectiveActions.
	once sync.Once
}

// variables reports whether policy variables are substituted: only the 2012-10-17 language has them;
// in older documents `${...}` is literal text.
func (p *Policy) variables() bool { return p.Version == "2012-10-17" }

// Statement is one statement of a policy.
type Statement struct {
	// Index is the statement's position in the document (0-based).
	Index  int
	Sid    string
	Effect Effect
	// Actions holds Action or NotAction patterns; NotActions tells which.
	Actions    []string
	NotActions bool
	// Resources holds Resource or NotResource patterns; nil when the element is absent (trust policies).
	Resources    []string
	NotResources bool
	// Principal holds Principal or NotPrincipal; nil when absent (identity policies).
	Principal    *Principals
	NotPrincipal bool
	Conditions   []Condition

	lowerActions []string
	resPatterns  []pattern

	// Filled lazily by Policy.prepare for EffectiveActions.
	actionSet      catalog.ActionSet // actions covered (NotAction already complemented)
	unknownActions []string          // literal actions not in the catalog
	// bitsetExact: for every catalog action, actionSet.Has equals matchesAction. True unless a
	// pattern is one catalog expansion ignores but globbing does not: no ':' (e.g. "s3*"; only
	// "*" expands), or non-ASCII text (expansion lower-cases Unicode, matching folds ASCII only).
	bitsetExact bool
}

// Principals is the content of a Principal or NotPrincipal element.
type Principals struct {
	// Wildcard is true for "*" or {"AWS": "*"}: everyone, including anonymous callers.
	Wildcard      bool
	AWS           []string
	Service       []string
	Federated     []string
	CanonicalUser []string
}

// Condition is one operator/key pair of a Condition block; its Values are ORed.
type Condition struct {
	// Operator as written, e.g. "ForAnyValue:StringLikeIfExists".
	Operator string
	Key      string
	Values   []string

	op       operator
	patterns []pattern // Values compiled for variable substitution and wildcards
}

// UnknownActions lists the policy's action strings (without wildcards or with a wildcard matching
// nothing) that the catalog does not know, so callers can report typos or very new actions.
func (p *Policy) UnknownActions() []string {
	p.prepare()
	var out []string
	for _, st := range p.Statements {
		out = append(out, st.unknownActions...)
	}
	return out
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}

// prepare expands every statement's actions against the default catalog, once.
func (p *Policy) prepare() {
	p.once.Do(func() {
		c := catalog.Default()
		for _, st := range p.Statements {
			set := c.NewSet()
			for _, a := range st.Actions {
				if !c.ExpandInto(set, a) {
					st.unknownActions = append(st.unknownActions, a)
				}
			}
			if st.NotActions {
				full := c.FullSet()
				full.Minus(set)
				set = full
			}
			st.actionSet = set
			st.bitsetExact = true
			for _, a := range st.lowerActions {
				if (a != "*" && !strings.Contains(a, ":")) || !isASCII(a) {
					st.bitsetExact = false
				}
			}
		}
	})
}
