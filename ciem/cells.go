package ciem

import (
	"fmt"
	"strings"
	"time"
)

// Cell renderers shared by the table, CSV, Markdown and HTML outputs, so
// every format says the same thing (and "unknown" the same way).

// AdminCell says whether the principal is admin-equivalent and how.
func (p *Principal) AdminCell() string {
	switch {
	case p.Admin.Direct:
		return "admin"
	case p.Admin.ViaEscalation && p.Admin.Conditional:
		return "via escalation (conditional)"
	case p.Admin.ViaEscalation:
		return "via escalation"
	case len(p.Admin.Escalations) > 0:
		return "escalation moves"
	}
	return "no"
}

// PermissionsCell is "<total> (<sensitive> sensitive)" or unknown.
func (p *Principal) PermissionsCell() string {
	if !p.EntitlementsKnown {
		return StateUnknown
	}
	return fmt.Sprintf("%d (%d sensitive)", p.Permissions.Total, p.Permissions.Sensitive)
}

// UnusedServicesCell is "<unused>/<services>" or unknown.
func (p *Principal) UnusedServicesCell() string {
	if !p.EntitlementsKnown || !p.Usage.Known {
		return StateUnknown
	}
	return fmt.Sprintf("%d/%d", len(p.Usage.UnusedServices), len(p.Permissions.Services))
}

// UnusedSensitiveCell is the count of unused sensitive permissions or unknown.
func (p *Principal) UnusedSensitiveCell() string {
	if !p.EntitlementsKnown || !p.Usage.Known {
		return StateUnknown
	}
	return fmt.Sprint(p.Usage.UnusedSensitive)
}

// ActivityCell is the activity state with the last activity date.
func (p *Principal) ActivityCell() string {
	if p.Activity.LastActivity.IsZero() {
		return p.Activity.State
	}
	return p.Activity.State + " (" + day(p.Activity.LastActivity) + ")"
}

// WildcardCell lists the wildcard kinds found.
func (p *Principal) WildcardCell() string {
	if !p.EntitlementsKnown {
		return StateUnknown
	}
	seen := map[string]bool{}
	var out []string
	for _, w := range p.Wildcards {
		for _, k := range w.Kinds {
			if !seen[k] {
				seen[k] = true
				out = append(out, k)
			}
		}
	}
	if len(out) == 0 {
		return "-"
	}
	return strings.Join(out, ",")
}

// TrustCell lists outside trust as "<kind>:<account or name>".
func (p *Principal) TrustCell() string {
	if len(p.Trust) == 0 {
		return "-"
	}
	out := make([]string, len(p.Trust))
	for i, t := range p.Trust {
		who := t.Account
		if who == "" || t.Kind == TrustFederated || t.Kind == TrustPublic {
			who = t.Name
		}
		out[i] = t.Kind + ":" + who
	}
	return strings.Join(out, ",")
}

// DormantCell counts dormant credentials.
func (p *Principal) DormantCell() string {
	if len(p.Dormant) == 0 {
		return "-"
	}
	parts := make([]string, len(p.Dormant))
	for i, d := range p.Dormant {
		parts[i] = d.Kind
		if d.ID != "" {
			parts[i] += " " + d.ID
		}
	}
	return strings.Join(parts, ",")
}

// SuggestionCell says whether a least-privilege policy is suggested.
func (p *Principal) SuggestionCell() string {
	if p.Suggestion != nil {
		return fmt.Sprintf("%d actions (-%d)", len(p.Suggestion.Actions), p.Suggestion.Removed)
	}
	return "none: " + p.SuggestionReason
}

// PathsCell counts the attack paths the principal is on.
func (p *Principal) PathsCell() string {
	if len(p.AttackPaths) == 0 {
		return "-"
	}
	return fmt.Sprint(len(p.AttackPaths))
}

// SensitiveDataCell counts the sensitive data stores reached.
func (p *Principal) SensitiveDataCell() string {
	return fmt.Sprintf("%d/%d", len(p.SensitiveData), len(p.Resources))
}

func day(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format("2006-01-02")
}
