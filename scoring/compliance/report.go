package compliance

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/breachpath/breachpath/graph"
	"github.com/breachpath/breachpath/scoring"
)

// Status is a control's outcome.
type Status string

// Control outcomes. A control passes when at least one of its rules ran in
// a collected scope and no open finding of its rules is on record; it is
// not evaluated when no rule evidences it or none of its rules ran.
const (
	StatusPass         Status = "pass"
	StatusFail         Status = "fail"
	StatusNotEvaluated Status = "not_evaluated"
)

// Collected is one scope in the loaded estate and the collector of its
// newest sync (graph.SyncRecord.Collector), which says which rules ran
// there (graph.Rule.Collectors).
type Collected struct {
	Scope     graph.Scope `json:"scope"`
	Collector string      `json:"collector"`
	// FailedAreas are the areas (service, or service/region) that sync
	// could not read: a rule reading them found nothing new there, so a
	// pass covering this scope is incomplete for them.
	FailedAreas []string `json:"failed_areas,omitempty"`
}

// Input is what a report is built from: the framework, the collectors'
// rule registry, the scored queue of the estate's open findings (it says
// which findings sit on attack paths) and what was collected.
type Input struct {
	Framework *Framework
	Rules     []graph.Rule
	Queue     []scoring.Prioritised
	Collected []Collected
	// Truncated is copied from the analysis: the path search ran out of
	// budget, so a finding off every kept path may still be on one.
	Truncated   bool
	GeneratedAt time.Time
}

// Report is a framework's controls with their outcome, the controls whose
// failures sit on attack paths first.
type Report struct {
	Framework   *Framework      `json:"framework"`
	GeneratedAt time.Time       `json:"generated_at"`
	Scopes      []Collected     `json:"scopes"`
	Summary     Summary         `json:"summary"`
	Controls    []ControlResult `json:"controls"`
	// Truncated: the attack-path search behind the ordering was cut short.
	Truncated bool `json:"truncated,omitempty"`
}

// Summary counts the controls by outcome.
type Summary struct {
	Controls     int `json:"controls"`
	Pass         int `json:"pass"`
	Fail         int `json:"fail"`
	NotEvaluated int `json:"not_evaluated"`
	// FailOnPath counts the failing controls with a failure on an attack
	// path.
	FailOnPath int `json:"fail_on_path"`
	// PassRate is pass / (pass + fail) in percent, 0 when nothing was
	// evaluated.
	PassRate float64 `json:"pass_rate"`
}

// ControlResult is one control's outcome and its failing resources.
type ControlResult struct {
	ID     string `json:"id"`
	Title  string `json:"title"`
	Status Status `json:"status"`
	// Reason says why a control was not evaluated, or which of its rules
	// did not run when others did.
	Reason string `json:"reason,omitempty"`
	// Rules are the control's rules that ran in some collected scope;
	// RulesNotRun the ones that did not.
	Rules       []string  `json:"rules,omitempty"`
	RulesNotRun []string  `json:"rules_not_run,omitempty"`
	Failures    []Failure `json:"failures,omitempty"`
	// OnPath counts the failures that sit on an attack path; MaxPriority
	// is the highest queue priority among the failures.
	OnPath      int     `json:"on_path"`
	MaxPriority float64 `json:"max_priority"`
}

// Failure is one open finding that fails a control.
type Failure struct {
	FindingID    string         `json:"finding_id"`
	RuleID       string         `json:"rule_id"`
	Resource     string         `json:"resource"`
	ResourceName string         `json:"resource_name,omitempty"`
	ResourceType string         `json:"resource_type,omitempty"`
	Severity     graph.Severity `json:"severity"`
	Title        string         `json:"title"`
	Evidence     string         `json:"evidence,omitempty"`
	Remediation  string         `json:"remediation,omitempty"`
	Owner        string         `json:"owner,omitempty"`
	OnPath       bool           `json:"on_path"`
	Paths        int            `json:"paths"`
	Priority     float64        `json:"priority"`
	// Stale: the finding's area failed in the last collection, so the
	// finding is the last one seen, not confirmed.
	Stale     bool      `json:"stale,omitempty"`
	FirstSeen time.Time `json:"first_seen,omitzero"`
}

// Build evaluates every control of the framework.
func Build(in Input) *Report {
	fw := in.Framework
	r := &Report{Framework: fw, GeneratedAt: in.GeneratedAt, Scopes: slices.Clone(in.Collected), Truncated: in.Truncated}
	slices.SortFunc(r.Scopes, func(a, b Collected) int { return cmp.Compare(a.Scope.String(), b.Scope.String()) })
	ran := map[string]bool{}
	for _, rule := range in.Rules {
		for _, c := range in.Collected {
			if c.Scope.Cloud == rule.Cloud && slices.Contains(rule.Collectors, c.Collector) {
				ran[rule.ID] = true
				break
			}
		}
	}
	byRule := map[string][]*scoring.Prioritised{}
	for i := range in.Queue {
		row := &in.Queue[i]
		if row.Finding == nil || !row.Finding.ResolvedAt.IsZero() {
			continue
		}
		byRule[row.Finding.RuleID] = append(byRule[row.Finding.RuleID], row)
	}
	for _, c := range fw.Controls {
		r.Controls = append(r.Controls, evaluate(fw, c, in.Rules, ran, byRule))
	}
	slices.SortStableFunc(r.Controls, compareControls)
	for _, c := range r.Controls {
		r.Summary.Controls++
		switch c.Status {
		case StatusPass:
			r.Summary.Pass++
		case StatusFail:
			r.Summary.Fail++
			if c.OnPath > 0 {
				r.Summary.FailOnPath++
			}
		default:
			r.Summary.NotEvaluated++
		}
	}
	if n := r.Summary.Pass + r.Summary.Fail; n > 0 {
		r.Summary.PassRate = float64(r.Summary.Pass) * 100 / float64(n)
	}
	return r
}

func evaluate(fw *Framework, c Control, rules []graph.Rule, ran map[string]bool, byRule map[string][]*scoring.Prioritised) ControlResult {
	out := ControlResult{ID: c.ID, Title: c.Title}
	direct := c.ruleSet(rules, c.Rules)
	cited := c.ruleSet(rules, c.RulesIfCited)
	citation := fw.CitePrefix + ":" + c.ID
	all := slices.Compact(slices.Sorted(slices.Values(slices.Concat(direct, cited))))
	for _, id := range all {
		if ran[id] {
			out.Rules = append(out.Rules, id)
		} else {
			out.RulesNotRun = append(out.RulesNotRun, id)
		}
	}
	seen := map[string]bool{}
	add := func(row *scoring.Prioritised) {
		f := row.Finding
		if seen[f.ID] {
			return
		}
		seen[f.ID] = true
		out.Failures = append(out.Failures, Failure{FindingID: f.ID, RuleID: f.RuleID, Resource: f.Resource,
			ResourceName: row.ResourceName, ResourceType: row.ResourceType, Severity: f.Severity, Title: f.Title,
			Evidence: f.Evidence, Remediation: f.Remediation, Owner: row.Owner, OnPath: row.OnPath, Paths: row.Paths,
			Priority: row.Priority, Stale: f.Stale, FirstSeen: f.FirstSeen})
	}
	for _, id := range direct {
		for _, row := range byRule[id] {
			add(row)
		}
	}
	for _, id := range cited {
		for _, row := range byRule[id] {
			if slices.Contains(row.Finding.Controls, citation) {
				add(row)
			}
		}
	}
	slices.SortStableFunc(out.Failures, func(a, b Failure) int {
		if a.OnPath != b.OnPath {
			if a.OnPath {
				return -1
			}
			return 1
		}
		return cmp.Or(cmp.Compare(b.Priority, a.Priority), cmp.Compare(b.Severity, a.Severity), cmp.Compare(a.Resource, b.Resource))
	})
	for _, f := range out.Failures {
		if f.OnPath {
			out.OnPath++
		}
		out.MaxPriority = max(out.MaxPriority, f.Priority)
	}
	switch {
	case len(out.Failures) > 0:
		// a finding on record fails the control even where its rule's
		// collector did not run this time (an imported snapshot, a
		// stale area): the failure was seen
		out.Status = StatusFail
	case len(all) == 0:
		out.Status, out.Reason = StatusNotEvaluated, "no finding rule evidences this control"
	case len(out.Rules) == 0:
		out.Status, out.Reason = StatusNotEvaluated, "no collected scope ran its rules ("+strings.Join(all, ", ")+")"
	default:
		out.Status = StatusPass
	}
	if out.Status != StatusNotEvaluated && len(out.RulesNotRun) > 0 {
		out.Reason = strconv.Itoa(len(out.RulesNotRun)) + " of its rules did not run in any collected scope"
	}
	return out
}

// statusRank orders outcomes: failures first, then passes, then the
// controls nothing evaluated.
func statusRank(s Status) int {
	switch s {
	case StatusFail:
		return 0
	case StatusPass:
		return 1
	}
	return 2
}

// compareControls puts failing controls with failures on attack paths
// first (most on-path failures, then highest priority), then the other
// failing controls (highest priority, then most failures), then passing
// and unevaluated controls in catalogue order.
func compareControls(a, b ControlResult) int {
	if c := cmp.Compare(statusRank(a.Status), statusRank(b.Status)); c != 0 || a.Status != StatusFail {
		if c != 0 {
			return c
		}
		return compareIDs(a.ID, b.ID)
	}
	if (a.OnPath > 0) != (b.OnPath > 0) {
		if a.OnPath > 0 {
			return -1
		}
		return 1
	}
	return cmp.Or(cmp.Compare(b.OnPath, a.OnPath), cmp.Compare(b.MaxPriority, a.MaxPriority),
		cmp.Compare(len(b.Failures), len(a.Failures)), compareIDs(a.ID, b.ID))
}

// compareIDs orders control ids by their numeric parts ("1.2" < "1.10",
// "AC-2" < "AC-10"), falling back to text.
func compareIDs(a, b string) int {
	pa, pb := idParts(a), idParts(b)
	for i := 0; i < len(pa) && i < len(pb); i++ {
		na, ea := strconv.Atoi(pa[i])
		nb, eb := strconv.Atoi(pb[i])
		var c int
		if ea == nil && eb == nil {
			c = cmp.Compare(na, nb)
		} else {
			c = cmp.Compare(pa[i], pb[i])
		}
		if c != 0 {
			return c
		}
	}
	return cmp.Compare(len(pa), len(pb))
}

func idParts(s string) []string {
	return strings.FieldsFunc(s, func(r rune) bool { return r == '.' || r == '-' || r == '(' || r == ')' || r == ':' })
}

// CollectedFrom lists the scopes the filter selects with the collector of
// each one's newest sync, read from the store's sync history.
func CollectedFrom(ctx context.Context, st graph.Store, filter graph.Filter) ([]Collected, error) {
	hist, err := st.History(ctx, graph.Scope{})
	if err != nil {
		return nil, fmt.Errorf("read sync history: %w", err)
	}
	newest := map[graph.Scope]graph.SyncRecord{}
	for _, h := range hist {
		if cur, ok := newest[h.Scope]; !ok || h.CollectedAt.After(cur.CollectedAt) {
			newest[h.Scope] = h
		}
	}
	var out []Collected
	for sc, h := range newest {
		if len(filter.Scopes) > 0 && !slices.Contains(filter.Scopes, sc) {
			continue
		}
		if len(filter.Clouds) > 0 && !slices.Contains(filter.Clouds, sc.Cloud) {
			continue
		}
		c := Collected{Scope: sc, Collector: h.Collector}
		for _, f := range h.Coverage.Failed {
			area := f.Service
			if f.Region != "" {
				area += "/" + f.Region
			}
			c.FailedAreas = append(c.FailedAreas, area)
		}
		slices.Sort(c.FailedAreas)
		c.FailedAreas = slices.Compact(c.FailedAreas)
		out = append(out, c)
	}
	slices.SortFunc(out, func(a, b Collected) int { return cmp.Compare(a.Scope.String(), b.Scope.String()) })
	return out, nil
}
