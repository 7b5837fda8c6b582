package identity

import (
	"strconv"
	"strings"

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

// granted reports whether a decision lets the move happen (possibly conditionally).
func granted(d policy.Decision) bool { return d == policy.Allowed || d == policy.Conditional }
