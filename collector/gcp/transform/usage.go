package transform

import (
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/breachpath/breachpath/collector/gcp/inventory"
	"github.com/breachpath/breachpath/graph/entitlement"
)

// UsageSource names the IAM recommender insights in the CIEM report.
const UsageSource = "gcp:recommender:google.iam.policy.Insight"

// binding is one role a principal holds on one resource.
type binding struct{ member, role, resource string }

// usage builds a principal's permission use from the recommender's policy
// insights, or nil when it cannot be known: some binding lies outside the
// projects whose insights were read (a folder or the organisation, whose
// insights are not listed), no insight was read at all, or none covers
// any of its bindings.
//
// Each insight covers one binding: every permission of the role is
// tracked, the exercised and inferred ones count as used at the insight's
// refresh time. A binding with no insight (the recommender skips new
// bindings, custom roles and some members) leaves its services used and
// untracked, so the report keeps them rather than calling them unused.
func (b *builder) usage(bindings []binding) *entitlement.UsageData {
	if len(b.inv.InsightProjects) == 0 || len(bindings) == 0 {
		return nil
	}
	for _, bd := range bindings {
		p := b.projectOfResource(bd.resource)
		if p == nil || !(b.inv.InsightProjects[p.ID] || b.inv.InsightProjects[p.Number]) {
			return nil
		}
	}
	type svcState struct {
		untracked bool
		last      time.Time
		actions   map[string]time.Time
	}
	svcs := map[string]*svcState{}
	get := func(perm string) *svcState {
		name := service(perm)
		s := svcs[name]
		if s == nil {
			s = &svcState{actions: map[string]time.Time{}}
			svcs[name] = s
		}
		return s
	}
	// Without an insight for any of its bindings nothing is known of the
	// principal's use (the recommender lists no insight for bindings it
	// did not analyse), so usage stays unknown rather than "all used".
	if !slices.ContainsFunc(bindings, func(bd binding) bool { return b.insightFor(bd) != nil }) {
		return nil
	}
	tracking := 90
	for _, bd := range bindings {
		r, ok := b.cat.Lookup(bd.role)
		if !ok {
			continue
		}
		in := b.insightFor(bd)
		if in == nil {
			for _, perm := range r.Permissions {
				get(perm).untracked = true
			}
			continue
		}
		at, _ := time.Parse(time.RFC3339, in.LastRefreshTime)
		if at.IsZero() {
			at = b.inv.CollectedAt
		}
		if d, err := strconv.Atoi(strings.TrimSuffix(in.ObservationPeriod, "s")); err == nil && d > 0 {
			tracking = min(tracking, d/86400)
		}
		used := in.Used()
		for _, perm := range r.Permissions {
			s := get(perm)
			if _, seen := s.actions[perm]; !seen {
				s.actions[perm] = time.Time{}
			}
			if slices.Contains(used, perm) {
				s.actions[perm] = at
				if at.After(s.last) {
					s.last = at
				}
			}
		}
	}
	u := &entitlement.UsageData{Version: entitlement.Version, Source: UsageSource, CollectedAt: b.inv.CollectedAt, TrackingDays: tracking}
	names := make([]string, 0, len(svcs))
	for n := range svcs {
		names = append(names, n)
	}
	slices.Sort(names)
	for _, n := range names {
		s := svcs[n]
		if s.untracked {
			// Use unknown: counted as used now, actions untracked, so kept.
			u.Services = append(u.Services, entitlement.ServiceUsage{Service: n, LastAccessed: b.inv.CollectedAt})
			continue
		}
		// Every permission of the service's roles is tracked: only the
		// used ones are listed (an Editor's thousands of unused ones would
		// not fit the node property), which lets the report keep exactly
		// them however many the role grants.
		su := entitlement.ServiceUsage{Service: n, LastAccessed: s.last, ActionLevel: true, Exhaustive: true}
		acts := make([]string, 0, len(s.actions))
		for a, at := range s.actions {
			if !at.IsZero() {
				acts = append(acts, a)
			}
		}
		slices.Sort(acts)
		for _, a := range acts {
			su.Actions = append(su.Actions, entitlement.ActionUsage{Action: a, LastAccessed: s.actions[a]})
		}
		u.Services = append(u.Services, su)
	}
	return u
}

// service is a permission's service ("storage.objects.get" -> "storage"),
// as collector/gcp/entitlements names them.
func service(perm string) string {
	s, _, _ := strings.Cut(perm, ".")
	return s
}

// projectOfResource returns the project a bound resource belongs to.
func (b *builder) projectOfResource(res string) *project {
	if p := b.h.byNumber[strings.TrimPrefix(res, projectPrefix)]; p != nil && strings.HasPrefix(res, projectPrefix) {
		return p
	}
	if a := b.inv.Assets[res]; a != nil {
		return b.h.projectOf(a)
	}
	return nil
}

// insightFor returns the insight of one binding, or nil.
func (b *builder) insightFor(bd binding) *inventory.PolicyInsight {
	for i := range b.inv.Insights {
		in := &b.inv.Insights[i]
		if in.Content.Role != bd.role || in.Content.Member != inventory.NormalizeMember(bd.member) {
			continue
		}
		for _, t := range in.TargetResources {
			if b.h.canonical(t) == bd.resource {
				return in
			}
		}
	}
	return nil
}
