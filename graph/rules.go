package graph

import (
	"cmp"
	"fmt"
	"slices"
)

// Rule describes one finding rule a collector can emit: the catalogue the
// report side enumerates (compliance reports list every rule, including the
// ones that found nothing) without importing any cloud's collector. Each
// collector exports its own list; collector.Rules joins them.
type Rule struct {
	ID    string `json:"id"`
	Cloud Cloud  `json:"cloud"`
	// Severity is the rule's usual severity; a finding may be raised or
	// lowered by what the collector saw (a conditional grant, a critical
	// escalation).
	Severity Severity `json:"severity"`
	// Title states the condition the rule flags, which is what it checks:
	// a resource passes the rule when the title is not true of it.
	Title       string `json:"title"`
	Remediation string `json:"remediation,omitempty"`
	// Controls are the framework controls the collector cites on every
	// finding of the rule (Finding.Controls; a finding may cite more).
	Controls []string `json:"controls,omitempty"`
	// Source names the collector package that emits the rule.
	Source string `json:"source"`
	// Collectors are the names a sync records (SyncRecord.Collector) when
	// its collection ran the rule: a scope synced by one of them has been
	// checked against the rule, so no finding of it there means a pass.
	Collectors []string `json:"collectors"`
}

// SortRules orders rules by id and merges entries of the same id: the
// first entry's description is kept (so the first source listing a rule
// owns it) and the collectors of all of them are joined. The input is not
// modified.
func SortRules(rules []Rule) []Rule {
	in := slices.Clone(rules)
	slices.SortStableFunc(in, func(a, b Rule) int { return cmp.Compare(a.ID, b.ID) })
	out := in[:0]
	for _, r := range in {
		if n := len(out); n > 0 && out[n-1].ID == r.ID {
			out[n-1].Collectors = append(slices.Clone(out[n-1].Collectors), r.Collectors...)
			slices.Sort(out[n-1].Collectors)
			out[n-1].Collectors = slices.Compact(out[n-1].Collectors)
			continue
		}
		out = append(out, r)
	}
	return out
}

// ValidateRule checks that a collector's catalogue entry describes the
// rule (the registry adds Collectors).
func ValidateRule(r Rule) error {
	switch {
	case r.ID == "":
		return fmt.Errorf("rule with title %q has no id", r.Title)
	case r.Title == "":
		return fmt.Errorf("rule %s has no title", r.ID)
	case !r.Cloud.Valid() || r.Cloud == CloudNone:
		return fmt.Errorf("rule %s has no cloud", r.ID)
	case !r.Severity.Valid():
		return fmt.Errorf("rule %s has invalid severity %d", r.ID, int(r.Severity))
	case r.Source == "":
		return fmt.Errorf("rule %s names no source", r.ID)
	}
	return nil
}
