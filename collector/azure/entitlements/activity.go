package entitlements

import (
	"cmp"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/breachpath/breachpath/collector/azure/inventory"
	"github.com/breachpath/breachpath/collector/azure/rbac"
	"github.com/breachpath/breachpath/graph/entitlement"
)

// UsageSource names the Azure Activity Log in the CIEM report.
const UsageSource = "azure:monitor:activityLog"

// Unobserved is what the Activity Log does not record.
const Unobserved = "reads (GET) or data-plane operations"

// callers maps the Activity Log's caller keys (object ids, user principal
// names, application ids) to principal object ids.
func callers(inv *inventory.Inventory) map[string]string {
	out := map[string]string{}
	for _, u := range inv.Entra.Users {
		id := strings.ToLower(u.ID)
		out[id] = id
		if u.UserPrincipalName != "" {
			out[strings.ToLower(u.UserPrincipalName)] = id
		}
	}
	for _, sp := range inv.Entra.ServicePrincipals {
		id := strings.ToLower(sp.ID)
		out[id] = id
		if sp.AppID != "" {
			out[strings.ToLower(sp.AppID)] = id
		}
	}
	return out
}

// exercisedBy groups the log's operations by principal object id. A caller
// the directory does not name is taken as an object id (the claims carry
// one even when the directory was not read).
func exercisedBy(inv *inventory.Inventory) map[string][]inventory.Exercised {
	out := map[string][]inventory.Exercised{}
	if inv.Activity == nil {
		return out
	}
	ids := callers(inv)
	for key, ex := range inv.Activity.ByCaller {
		oid := ids[key]
		if oid == "" {
			oid = key
		}
		out[oid] = append(out[oid], ex...)
	}
	return out
}

// reachedSubscriptions returns the collected subscriptions a principal's
// grants (own and through groups) reach.
func reachedSubscriptions(inv *inventory.Inventory, ev *rbac.Evaluator, oid string) []string {
	ids := append([]string{oid}, ev.Groups(oid)...)
	seen := map[string]bool{}
	for _, id := range ids {
		for _, a := range ev.Assignments(id) {
			for _, s := range inv.Subscriptions {
				if ev.AppliesTo(a.Scope, "/subscriptions/"+s.ID) || inventory.SubscriptionOf(a.Scope) == strings.ToLower(s.ID) {
					seen[strings.ToLower(s.ID)] = true
				}
			}
		}
	}
	return slices.Sorted(func(yield func(string) bool) {
		for s := range seen {
			if !yield(s) {
				return
			}
		}
	})
}

// activityUsage returns a principal's usage from the Activity Log with a
// verified least-privilege suggestion (or the reason for none), or nil
// and a note when its usage is unknown: the log was not read, or could
// not be read for a subscription its grants reach.
func activityUsage(inv *inventory.Inventory, ev *rbac.Evaluator, oid, name string, e *entitlement.Entitlements, exercised []inventory.Exercised) (*entitlement.UsageData, string) {
	log := inv.Activity
	subs := reachedSubscriptions(inv, ev, oid)
	if len(subs) == 0 {
		return nil, "no collected subscription under its role assignments: Activity Log usage unknown"
	}
	for _, s := range subs {
		if why, failed := log.Failed[s]; failed {
			return nil, fmt.Sprintf("Activity Log of subscription %s unreadable (%s): usage and least-privilege suggestion unknown", s, why)
		}
		if !log.Read[s] {
			return nil, fmt.Sprintf("Activity Log of subscription %s not read: usage and least-privilege suggestion unknown", s)
		}
	}
	u := &entitlement.UsageData{Version: entitlement.Version, Source: UsageSource, CollectedAt: log.To, TrackingDays: inventory.ActivityWindowDays,
		Unobserved: Unobserved}
	for _, s := range e.Services {
		if strings.HasSuffix(s.Service, DataSuffix) {
			u.Services = append(u.Services, entitlement.ServiceUsage{Service: s.Service, NotObservable: true})
			continue
		}
		var last time.Time
		for _, ex := range exercised {
			if slices.ContainsFunc(s.Actions, func(p string) bool { return rbac.Match(p, ex.Action) }) && ex.Last.After(last) {
				last = ex.Last
			}
		}
		switch {
		case !last.IsZero():
			u.Services = append(u.Services, entitlement.ServiceUsage{Service: s.Service, LastAccessed: last})
		case len(s.Actions) > 0 && !slices.ContainsFunc(s.Actions, func(p string) bool { return !isRead(p) }):
			// Only reads: the log cannot say whether they are used.
			u.Services = append(u.Services, entitlement.ServiceUsage{Service: s.Service, NotObservable: true})
		}
	}
	u.Suggestion, u.SuggestionReason = suggest(inv, ev, oid, name, exercised)
	return u, ""
}

// isRead reports whether an action pattern grants reads only.
func isRead(p string) bool { return strings.HasSuffix(strings.ToLower(p), "/read") }

// readPatterns returns the reads an allow pattern grants, as patterns:
// "*" -> "*/read"; "Microsoft.Web/sites/*" -> "Microsoft.Web/sites/read"
// (the site itself) and "Microsoft.Web/sites/*/read" (everything under
// it); none when it grants no read.
func readPatterns(p string) []string {
	switch {
	case isRead(p):
		return []string{p}
	case p == "*":
		return []string{"*/read"}
	case strings.HasSuffix(p, "/*") && strings.Count(p, "/") >= 2:
		return []string{strings.TrimSuffix(p, "*") + "read", p + "/read"}
	case strings.HasSuffix(p, "*"):
		return []string{p + "/read"}
	}
	return nil
}

// heldPattern is a read or data pattern a replaced assignment grants.
type heldPattern struct {
	pattern, not string // not: a notActions/notDataActions entry carried along
	data         bool
	from         int // index into the replaced assignments
}

// suggest builds an Azure custom role from the exercised operations:
// its control-plane actions are exactly the exercised ones the principal
// still holds, its assignable scopes the narrowest scope per subscription
// that covers where they were exercised; reads and data actions, which the
// Activity Log does not record, are kept as the replaced assignments
// grant them. The role is verified with the RBAC evaluator (Verify)
// before it is suggested.
func suggest(inv *inventory.Inventory, ev *rbac.Evaluator, oid, name string, exercised []inventory.Exercised) (*entitlement.Suggestion, string) {
	log := inv.Activity
	window := fmt.Sprintf("the Activity Log's last %d days (%s to %s)", inventory.ActivityWindowDays, log.From.UTC().Format(time.DateOnly), log.To.UTC().Format(time.DateOnly))
	// The principal's own assignments that grant control-plane writes are
	// what the suggestion replaces; read-only and data-only ones stay, as
	// their use is not observable, and group assignments are shared.
	var replaced []*inventory.RoleAssignment
	var roles []*inventory.RoleDefinition
	var eligibleOrConditional []string // eligible or conditional assignments: not replaced
	for _, a := range ev.Assignments(oid) {
		r := ev.Role(a.RoleGUID())
		if r == nil {
			continue
		}
		if a.Eligible || a.Condition != "" {
			// A standing role without condition would widen a just-in-time
			// or ABAC-conditioned grant.
			eligibleOrConditional = append(eligibleOrConditional, r.RoleName+" at "+a.Scope)
			continue
		}
		if slices.ContainsFunc(r.Permissions, func(p inventory.Permission) bool {
			return slices.ContainsFunc(p.Actions, func(x string) bool { return !isRead(x) })
		}) {
			replaced = append(replaced, a)
			roles = append(roles, r)
		}
	}
	if len(replaced) == 0 {
		if len(eligibleOrConditional) > 0 {
			return nil, "its own role assignments are PIM-eligible or ABAC-conditioned (" + strings.Join(eligibleOrConditional, "; ") + "): a standing role would widen them; nothing to narrow"
		}
		if len(ev.Groups(oid)) > 0 && len(ev.Assignments(oid)) == 0 {
			return nil, "its role assignments come through groups, which other members share: narrow the groups' assignments instead"
		}
		return nil, "none of its own role assignments grants control-plane writes; reads and data actions are not in the Activity Log, so their use is not observable"
	}
	slices.SortFunc(exercised, func(a, b inventory.Exercised) int {
		return cmp.Or(cmp.Compare(strings.ToLower(a.Action), strings.ToLower(b.Action)), cmp.Compare(a.Scope, b.Scope))
	})
	var held []inventory.Exercised
	var dropped []string
	for _, ex := range exercised {
		if holds(ev, oid, ex.Action, ex.Scope, false) {
			held = append(held, ex)
		} else if !slices.Contains(dropped, ex.Action) {
			dropped = append(dropped, ex.Action)
		}
	}
	if len(held) == 0 && len(exercised) > 0 {
		return nil, fmt.Sprintf("its %d exercised operations in %s are allowed only through PIM-eligible or ABAC-conditioned assignments, or no longer held (%s): a standing role would widen them; nothing to narrow",
			len(exercised), window, strings.Join(dropped, ", "))
	}
	if len(held) == 0 {
		var names []string
		for i, a := range replaced {
			names = append(names, roles[i].RoleName+" at "+a.Scope)
		}
		return nil, fmt.Sprintf("no control-plane write in %s: remove its role assignments that grant writes (%s); reads and data-plane use are not in the Activity Log (not observable), so keep a read-only or data role only if it needs one",
			window, strings.Join(names, "; "))
	}
	actions := exercisedActions(held)
	scopes := assignableScopes(held)
	if missing := notHeld(ev, oid, actions, scopes, false); len(missing) > 0 {
		// Narrower: one assignable scope per exercised scope.
		scopes = nil
		for _, ex := range held {
			if !slices.Contains(scopes, ex.Scope) {
				scopes = append(scopes, ex.Scope)
			}
		}
		slices.Sort(scopes)
		if missing := notHeld(ev, oid, actions, scopes, false); len(missing) > 0 {
			return nil, fmt.Sprintf("the exercised actions are held at different scopes: one custom role would grant %s, which the principal does not hold; narrow its assignments by hand", missing[0])
		}
	}
	// Reads and data actions of the replaced assignments, kept where the
	// principal holds them at every assignable scope; an assignment whose
	// reads or data actions cannot be kept so is not replaced.
	var pats []heldPattern
	for i, r := range roles {
		for _, p := range r.Permissions {
			for _, a := range p.Actions {
				for _, rp := range readPatterns(a) {
					pats = append(pats, heldPattern{pattern: rp, from: i})
				}
			}
			for _, n := range p.NotActions {
				if isRead(n) {
					pats = append(pats, heldPattern{not: n, from: i})
				}
			}
			for _, a := range p.DataActions {
				pats = append(pats, heldPattern{pattern: a, data: true, from: i})
			}
			for _, n := range p.NotDataActions {
				pats = append(pats, heldPattern{not: n, data: true, from: i})
			}
		}
	}
	kept := make([]bool, len(replaced))
	for _, hp := range pats {
		if hp.pattern != "" && len(notHeld(ev, oid, []string{hp.pattern}, scopes, hp.data)) > 0 {
			kept[hp.from] = true
		}
	}
	doc := roleDoc{Name: "breachpath least privilege: " + cmp.Or(name, oid), IsCustom: true,
		Description: "Control-plane actions exercised in " + window + "; reads and data actions as held (not in the Activity Log). Generated by breachpath ciem.",
		Actions:     slices.Clone(actions), NotActions: []string{}, DataActions: []string{}, NotDataActions: []string{}, AssignableScopes: scopes}
	for _, hp := range pats {
		if kept[hp.from] {
			continue
		}
		switch {
		case hp.pattern != "" && hp.data:
			doc.DataActions = appendFold(doc.DataActions, hp.pattern)
		case hp.pattern != "":
			doc.Actions = appendFold(doc.Actions, hp.pattern)
		case hp.data:
			doc.NotDataActions = appendFold(doc.NotDataActions, hp.not)
		default:
			doc.NotActions = appendFold(doc.NotActions, hp.not)
		}
	}
	for _, l := range [][]string{doc.Actions, doc.NotActions, doc.DataActions, doc.NotDataActions} {
		slices.SortFunc(l, func(a, b string) int { return cmp.Compare(strings.ToLower(a), strings.ToLower(b)) })
	}
	buf, err := json.MarshalIndent(doc, "", "  ")
	if err != nil {
		return nil, "policy writer: " + err.Error()
	}
	sug := &entitlement.Suggestion{Policy: string(buf), Actions: append(slices.Clone(doc.Actions), doc.DataActions...)}
	slices.Sort(sug.Actions)
	removed := 0
	for i, a := range replaced {
		if kept[i] {
			continue
		}
		sug.Replaces = append(sug.Replaces, entitlement.Replaced{Grant: roles[i].RoleName, On: a.ID})
		for _, p := range roles[i].Permissions {
			for _, x := range p.Actions {
				if !isRead(x) && !slices.ContainsFunc(actions, func(y string) bool { return strings.EqualFold(x, y) }) {
					removed++
				}
			}
		}
	}
	if len(sug.Replaces) == 0 {
		return nil, "every assignment to replace also grants reads or data actions held only at scopes narrower than where the exercised actions need the role: narrow them by hand"
	}
	sug.Removed = removed
	sug.Notes = append(sug.Notes,
		fmt.Sprintf("%d control-plane actions exercised in %s, at %d scopes; assign the role at %s", len(actions), window, len(scopeSet(held)), strings.Join(scopes, ", ")),
		"reads and data actions are not in the Activity Log (not observable): kept as the replaced assignments grant them ("+strings.Join(heldList(doc), ", ")+")")
	if len(dropped) > 0 {
		sug.Notes = append(sug.Notes, "exercised but no longer held, or held only through a PIM-eligible or conditional assignment, so left out: "+strings.Join(dropped, ", "))
	}
	if len(eligibleOrConditional) > 0 {
		sug.Notes = append(sug.Notes, "PIM-eligible and ABAC-conditioned assignments are kept as they are: "+strings.Join(eligibleOrConditional, "; "))
	}
	for i, a := range replaced {
		if kept[i] {
			sug.Notes = append(sug.Notes, "kept, not replaced: "+roles[i].RoleName+" at "+a.Scope+" (its reads or data actions are held only at narrower scopes)")
		}
	}
	if len(ev.Groups(oid)) > 0 {
		sug.Notes = append(sug.Notes, "assignments through groups are shared with other members and not replaced")
	}
	if err := Verify(ev, inv, oid, sug, held); err != nil {
		return nil, "the suggested role failed verification: " + err.Error()
	}
	sug.Notes = append(sug.Notes, "verified with breachpath's Azure RBAC evaluator: the role grants every exercised action where it was exercised, no other control-plane write or action, and nothing the principal does not already hold at the assignable scopes")
	return sug, ""
}

func heldList(doc roleDoc) []string {
	var out []string
	for _, a := range doc.Actions {
		if isRead(a) {
			out = append(out, a)
		}
	}
	out = append(out, doc.DataActions...)
	if len(out) == 0 {
		return []string{"none"}
	}
	return out
}

// appendFold appends v unless l holds it in any case.
func appendFold(l []string, v string) []string {
	if slices.ContainsFunc(l, func(x string) bool { return strings.EqualFold(x, v) }) {
		return l
	}
	return append(l, v)
}

// exercisedActions returns the distinct actions, sorted case-insensitively.
func exercisedActions(ex []inventory.Exercised) []string {
	var out []string
	for _, e := range ex {
		out = appendFold(out, e.Action)
	}
	slices.SortFunc(out, func(a, b string) int { return cmp.Compare(strings.ToLower(a), strings.ToLower(b)) })
	return out
}

func scopeSet(ex []inventory.Exercised) map[string]bool {
	out := map[string]bool{}
	for _, e := range ex {
		out[e.Scope] = true
	}
	return out
}

// holds reports whether the principal holds an operation (or pattern) at a
// scope outright: allowed by an active assignment without an ABAC
// condition, so that a standing unconditional role grants no more.
func holds(ev *rbac.Evaluator, oid, op, scope string, data bool) bool {
	d := ev.Can(oid, op, scope, data)
	return d.Allowed && !d.Conditional
}

// notHeld returns "<action> at <scope>" for each action the principal does
// not hold (holds) at each scope.
func notHeld(ev *rbac.Evaluator, oid string, actions, scopes []string, data bool) []string {
	var out []string
	for _, s := range scopes {
		for _, a := range actions {
			if !holds(ev, oid, a, s, data) {
				out = append(out, a+" at "+s)
			}
		}
	}
	return out
}

// assignableScopes returns, per subscription, the narrowest scope that
// covers every scope an action was exercised at (a management-group scope
// stands for itself).
func assignableScopes(ex []inventory.Exercised) []string {
	by := map[string][]string{}
	for _, e := range ex {
		key := inventory.SubscriptionOf(e.Scope)
		if key == "" {
			key = e.Scope
		}
		by[key] = append(by[key], e.Scope)
	}
	var out []string
	for _, scopes := range by {
		out = append(out, CommonScope(scopes))
	}
	slices.Sort(out)
	return out
}

// CommonScope returns the narrowest ARM scope (root, management group,
// subscription, resource group or resource) that contains every scope.
func CommonScope(scopes []string) string {
	if len(scopes) == 0 {
		return "/"
	}
	first := segments(scopes[0])
	n := len(first)
	for _, s := range scopes[1:] {
		seg := segments(s)
		i := 0
		for i < n && i < len(seg) && seg[i] == first[i] {
			i++
		}
		n = i
	}
	best := 0
	for _, b := range boundaries(first) {
		if b <= n {
			best = b
		}
	}
	if best == 0 {
		return "/"
	}
	return "/" + strings.Join(first[:best], "/")
}

func segments(scope string) []string {
	s := strings.Trim(strings.ToLower(scope), "/")
	if s == "" {
		return nil
	}
	return strings.Split(s, "/")
}

// boundaries lists the segment counts at which an ARM id is itself a
// scope: /subscriptions/s (2), /resourceGroups/rg (4), then each
// /providers/ns/type/name (+4) and each nested type/name (+2); a
// management group is /providers/microsoft.management/managementgroups/name.
func boundaries(seg []string) []int {
	var out []int
	i := 0
	switch {
	case len(seg) >= 2 && seg[0] == "subscriptions":
		i = 2
		out = append(out, i)
		if len(seg) >= 4 && seg[2] == "resourcegroups" {
			i = 4
			out = append(out, i)
		}
	case len(seg) >= 4 && seg[0] == "providers" && seg[1] == "microsoft.management":
		return []int{4}
	default:
		return nil
	}
	for i < len(seg) {
		if seg[i] == "providers" {
			i += 4
		} else {
			i += 2
		}
		if i <= len(seg) {
			out = append(out, i)
		}
	}
	return out
}
