package identity

import (
	"slices"
	"strconv"
	"strings"
	"unsafe"

	"github.com/breachpath/breachpath/collector/aws/policy"
)

// reasonEvidence renders up to limit reasons with the given effect as "kind policy-label statement".
func reasonEvidence(r policy.Result, effect policy.Effect, limit int) []string {
	var out []string
	for _, rs := range r.Reasons {
		if rs.Effect != effect {
			continue
		}
		if len(out) == limit {
			out = append(out, "...")
			break
		}
		out = append(out, citeReason(rs))
	}
	return out
}

func citeReason(rs policy.Reason) string {
	s := rs.Effect.String() + " " + string(rs.Kind) + " " + rs.PolicyLabel
	if rs.Index >= 0 || rs.Sid != "" {
		s += " " + stmtRef(rs.Sid, rs.Index)
	}
	if rs.Conditional {
		s += " (conditional)"
	}
	return s
}

func stmtRef(sid string, index int) string {
	if sid != "" {
		return "statement " + sid
	}
	return "statement #" + strconv.Itoa(index)
}

// decisionEvidence is the evidence of a granted or conditional request: the action, the granting
// statements and, when conditional, the keys that decide it.
func decisionEvidence(action, resource string, r policy.Result) []string {
	out := []string{action + " on " + resource + ": " + r.Decision.String()}
	out = append(out, reasonEvidence(r, policy.Allow, 3)...)
	if r.Decision == policy.Conditional && len(r.UnresolvedKeys) > 0 {
		out = append(out, "conditional on "+strings.Join(r.UnresolvedKeys, ", "))
	}
	return out
}

// evidenceKey identifies a decision's evidence. Results served from the decision caches share
// their Reasons and UnresolvedKeys arrays, so the arrays' identity (plus action, resource and
// decision) names the evidence text; the cache keeps the arrays reachable, so their addresses
// cannot be reused for other contents, and results are never modified in place.
type evidenceKey struct {
	action, resource string
	decision         policy.Decision
	reasons          *policy.Reason
	nReasons         int
	keys             *string
	nKeys            int
}

// cachedEvidence is decisionEvidence, shared between the edges citing the same decision: on a
// large account the same PassRole or data-access decision backs hundreds of thousands of edges.
// Callers must not modify the returned slice.
func (b *builder) cachedEvidence(action, resource string, r policy.Result) []string {
	k := evidenceKey{action: action, resource: resource, decision: r.Decision,
		reasons: unsafe.SliceData(r.Reasons), nReasons: len(r.Reasons), keys: unsafe.SliceData(r.UnresolvedKeys), nKeys: len(r.UnresolvedKeys)}
	if ev, ok := b.evidence[k]; ok {
		return ev
	}
	// Clipped so that a caller appending to it copies instead of writing into the shared array.
	ev := slices.Clip(decisionEvidence(action, resource, r))
	if b.evidence == nil {
		b.evidence = map[evidenceKey][]string{}
	}
	b.evidence[k] = ev
	return ev
}

// granted reports whether a decision lets the move happen (possibly conditionally).
func granted(d policy.Decision) bool { return d == policy.Allowed || d == policy.Conditional }
