// Package entitlements computes the CIEM entitlements of Azure principals
// (users, groups, service principals, managed identities) from their RBAC
// role assignments — direct and through groups, at every scope — and
// writes least-privilege custom role definitions. The documents are
// recorded on the principals' nodes (graph/entitlement) so that
// `breachpath ciem` works on the stored graph.
//
// Azure has no embedded operations catalogue here (the provider-operations
// list is not in the reference data), so a service's counts are counts of
// the role permission patterns that grant it ("Microsoft.Storage/*" is one
// pattern, with All set), not of concrete operations.
package entitlements

import (
	"cmp"
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/breachpath/breachpath/collector/azure/inventory"
	"github.com/breachpath/breachpath/collector/azure/rbac"
	"github.com/breachpath/breachpath/graph/entitlement"
)

// DataSuffix marks the data-plane half of a provider namespace in service
// names ("Microsoft.Storage/data"): dataActions, not actions.
const DataSuffix = "/data"

// Analyze returns the entitlements of every principal holding role
// assignments (directly or through a group), keyed by node id, and, when
// the Activity Log was read, the users', service principals' and managed
// identities' usage with a verified least-privilege suggestion (groups do
// not act; a principal whose subscriptions' logs failed has none: its
// usage is unknown, and a note says why). nodeOf maps an Entra object id
// to its node id.
func Analyze(inv *inventory.Inventory, nodeOf func(objectID string) string, now time.Time) (map[string]*entitlement.Entitlements, map[string]*entitlement.UsageData, error) {
	ev, err := rbac.New(inv)
	if err != nil {
		return nil, nil, err
	}
	holders := map[string]bool{}
	for _, a := range inv.RoleAssignments {
		holders[a.PrincipalID] = true
	}
	members := map[string][]string{} // group -> direct members
	for _, g := range inv.Entra.Groups {
		members[strings.ToLower(g.ID)] = g.Members
	}
	// Principals reached through groups hold the groups' grants.
	for g := range holders {
		for _, m := range members[g] {
			holders[strings.ToLower(m)] = true
		}
	}
	creds := credentials(inv, now)
	isGroup := map[string]bool{}
	for _, g := range inv.Entra.Groups {
		isGroup[strings.ToLower(g.ID)] = true
	}
	names := principalNames(inv)
	exercised := exercisedBy(inv)
	out := map[string]*entitlement.Entitlements{}
	usage := map[string]*entitlement.UsageData{}
	for oid := range holders {
		node := nodeOf(oid)
		if node == "" {
			continue
		}
		e := build(ev, inv, oid)
		if inv.Activity != nil && !isGroup[oid] {
			u, note := activityUsage(inv, ev, oid, names[oid], e, exercised[oid])
			if u != nil {
				usage[node] = u
			} else {
				e.Notes = append(e.Notes, note)
			}
		}
		if c, ok := creds[oid]; ok {
			e.Credentials = c.creds
			e.CreatedAt = c.created
			e.Notes = append(e.Notes, c.notes...)
		}
		if strings.Contains(node, "/providers/microsoft.managedidentity/") {
			e.Notes = append(e.Notes, "managed identity: no long-lived credential; tokens are issued to the workloads it is attached to")
		}
		out[node] = e
	}
	return out, usage, nil
}

// principalNames maps object ids to display names (user principal names
// for users).
func principalNames(inv *inventory.Inventory) map[string]string {
	out := map[string]string{}
	for _, u := range inv.Entra.Users {
		out[strings.ToLower(u.ID)] = cmp.Or(u.UserPrincipalName, u.DisplayName)
	}
	for _, sp := range inv.Entra.ServicePrincipals {
		out[strings.ToLower(sp.ID)] = sp.DisplayName
	}
	return out
}

// grant is one assignment reaching the principal.
type grant struct {
	a    *inventory.RoleAssignment
	role *inventory.RoleDefinition
	via  string
}

func build(ev *rbac.Evaluator, inv *inventory.Inventory, oid string) *entitlement.Entitlements {
	var gs []grant
	ids := append([]string{oid}, ev.Groups(oid)...)
	for i := range inv.RoleAssignments {
		a := &inv.RoleAssignments[i]
		for j, id := range ids {
			if a.PrincipalID != id {
				continue
			}
			role := ev.Role(a.RoleGUID())
			if role == nil {
				continue
			}
			via := ""
			if j > 0 {
				via = id
			}
			gs = append(gs, grant{a: a, role: role, via: via})
		}
	}
	sort.Slice(gs, func(i, j int) bool { return gs[i].a.ID < gs[j].a.ID })
	e := &entitlement.Entitlements{}
	svcs := map[string]*entitlement.ServiceEntitlement{}
	seen := map[string]map[string]bool{}
	for si, g := range gs {
		kind := entitlement.SourceIdentity
		if g.via != "" {
			kind = entitlement.SourceGroup
		}
		cond := g.a.Condition != ""
		stmt := g.a.Scope
		if g.a.Eligible {
			stmt += " (PIM-eligible)"
		}
		e.Sources = append(e.Sources, entitlement.Source{Kind: kind, Policy: g.a.ID, PolicyName: g.role.RoleName, Statement: stmt, Via: g.via, Conditional: cond})
		var wild entitlement.Wildcard
		for _, p := range g.role.Permissions {
			pc := cond || p.Condition != ""
			for _, set := range []struct {
				patterns, not []string
				data          bool
			}{{p.Actions, p.NotActions, false}, {p.DataActions, p.NotDataActions, true}} {
				for _, pat := range set.patterns {
					svc := serviceOf(pat, set.data)
					s := svcs[svc]
					if s == nil {
						s = &entitlement.ServiceEntitlement{Service: svc, Levels: map[entitlement.AccessLevel]int{}}
						svcs[svc] = s
						seen[svc] = map[string]bool{}
					}
					if !slices.Contains(s.Sources, si) {
						s.Sources = append(s.Sources, si)
					}
					if seen[svc][strings.ToLower(pat)] {
						continue
					}
					seen[svc][strings.ToLower(pat)] = true
					lvl := levelOf(pat, set.data)
					if pc {
						s.Conditional++
					} else {
						s.Levels[lvl]++
						s.Total++
					}
					if pat == "*" || strings.HasSuffix(pat, "/*") && strings.Count(pat, "/") == 1 {
						s.All = true
					}
					s.Actions = append(s.Actions, pat)
					if sensitive(pat, lvl, set.data) {
						s.Sensitive++
						s.SensitiveActions = append(s.SensitiveActions, pat)
					}
					switch {
					case pat == "*":
						wild.Kinds = appendOnce(wild.Kinds, entitlement.WildcardAllActions)
						wild.Patterns = appendOnce(wild.Patterns, pat)
					case strings.HasSuffix(pat, "/*"):
						wild.Kinds = appendOnce(wild.Kinds, entitlement.WildcardService)
						wild.Patterns = appendOnce(wild.Patterns, pat)
					}
				}
				if len(set.not) > 0 && slices.Contains(set.patterns, "*") {
					wild.Kinds = appendOnce(wild.Kinds, entitlement.WildcardNotAction)
				}
			}
		}
		if len(wild.Kinds) > 0 {
			wild.Policy, wild.PolicyName, wild.Statement, wild.Via, wild.Conditional = g.a.ID, g.role.RoleName, stmt, g.via, cond
			if broadScope(g.a.Scope) {
				wild.Kinds = appendOnce(wild.Kinds, entitlement.WildcardResource)
			}
			e.Wildcards = append(e.Wildcards, wild)
		}
	}
	for _, s := range svcs {
		sort.Strings(s.Actions)
		sort.Strings(s.SensitiveActions)
		if len(s.SensitiveActions) > entitlement.MaxListedActions {
			s.SensitiveActions, s.SensitiveTruncated = s.SensitiveActions[:entitlement.MaxListedActions], true
		}
		e.Services = append(e.Services, *s)
	}
	slices.SortFunc(e.Services, func(a, b entitlement.ServiceEntitlement) int { return cmp.Compare(a.Service, b.Service) })
	return e
}

// broadScope reports whether a scope is a subscription, a management group
// or the root: a wildcard there reaches every resource of a subscription.
func broadScope(scope string) bool {
	return scope == "/" || strings.HasPrefix(scope, "/providers/microsoft.management/") || inventory.ResourceGroupOf(scope) == ""
}

// serviceOf returns the service a pattern grants: its provider namespace
// (data patterns get DataSuffix), "*" for the all-actions pattern.
func serviceOf(pat string, data bool) string {
	ns, _, _ := strings.Cut(pat, "/")
	if ns == "*" || ns == "" {
		ns = "*"
	}
	if data {
		return ns + DataSuffix
	}
	return ns
}

// levelOf classifies a pattern by its operation suffix.
func levelOf(pat string, data bool) entitlement.AccessLevel {
	l := strings.ToLower(pat)
	switch {
	case strings.HasPrefix(l, "microsoft.authorization/") && !strings.HasSuffix(l, "/read"):
		return entitlement.LevelPermissions
	case l == "*":
		return entitlement.LevelPermissions
	case strings.HasSuffix(l, "/read"):
		return entitlement.LevelRead
	case strings.HasSuffix(l, "/write"), strings.HasSuffix(l, "/delete"), strings.HasSuffix(l, "/action"), strings.HasSuffix(l, "/*"):
		if data && strings.HasSuffix(l, "/action") && (strings.Contains(l, "getsecret") || strings.Contains(l, "decrypt")) {
			return entitlement.LevelRead
		}
		return entitlement.LevelWrite
	}
	return entitlement.LevelUnknown
}

// sensitive reports whether a pattern changes or discloses: writes,
// permission management, data reads, and control-plane actions that hand
// out keys or run code.
func sensitive(pat string, lvl entitlement.AccessLevel, data bool) bool {
	if lvl == entitlement.LevelWrite || lvl == entitlement.LevelPermissions || data {
		return true
	}
	l := strings.ToLower(pat)
	return strings.Contains(l, "listkeys") || strings.Contains(l, "runcommand")
}

func appendOnce(l []string, v string) []string {
	if slices.Contains(l, v) {
		return l
	}
	return append(l, v)
}

type principalCreds struct {
	creds   []entitlement.Credential
	created time.Time
	notes   []string
}

// LongLivedCredential is the lifetime beyond which a service principal or
// application secret or certificate is reported as long-lived.
const LongLivedCredential = 365 * 24 * time.Hour

// signInNote explains unknown user dormancy.
const signInNote = "sign-in activity not readable (Microsoft Graph AuditLog.Read.All and an Entra ID P1 licence are needed): whether this user is dormant is unknown"

// credentials returns credential metadata per object id: users' sign-in
// (the later of signInActivity's interactive and non-interactive sign-ins;
// usage known only when sign-in activity was read), service principals'
// and applications' secrets and certificates (usage unknown: sign-ins per
// credential are not read) with notes on expired and long-lived ones.
func credentials(inv *inventory.Inventory, now time.Time) map[string]principalCreds {
	out := map[string]principalCreds{}
	for i := range inv.Entra.Users {
		u := &inv.Entra.Users[i]
		c := entitlement.Credential{Kind: entitlement.CredentialPassword, Active: u.AccountEnabled == nil || *u.AccountEnabled,
			UsageKnown: inv.Entra.SignInRead, LastUsed: u.LastActivity(), Created: u.Created}
		pc := principalCreds{creds: []entitlement.Credential{c}, created: u.Created}
		if !inv.Entra.SignInRead {
			pc.notes = append(pc.notes, signInNote)
		}
		out[strings.ToLower(u.ID)] = pc
	}
	apps := map[string][]inventory.Credential{}
	for _, a := range inv.Entra.Applications {
		apps[strings.ToLower(a.AppID)] = a.Credentials
	}
	read := inv.Entra.ServicePrincipalSignInRead
	for _, sp := range inv.Entra.ServicePrincipals {
		var pc principalCreds
		owned := len(sp.Credentials)
		// With the sign-in report read, a credential was last presented no
		// later than the service principal's last sign-in as a client
		// (the report is per application, not per credential): one
		// unused for the window is certainly dormant.
		for i, c := range append(slices.Clone(sp.Credentials), apps[strings.ToLower(sp.AppID)]...) {
			pc.creds = append(pc.creds, entitlement.Credential{Kind: entitlement.CredentialAccessKey, ID: mask(c.KeyID), Active: c.End.IsZero() || c.End.After(now),
				Created: c.Start, UsageKnown: read, LastUsed: sp.LastClientSignIn})
			where := "service principal"
			if i >= owned {
				where = "application"
			}
			if n := credentialNote(c, where, now); n != "" {
				pc.notes = append(pc.notes, n)
			}
		}
		// The service principal (a managed identity has no credential of
		// its own) acted when it last signed in: tokens it was issued.
		if read {
			pc.creds = append(pc.creds, entitlement.Credential{Kind: entitlement.CredentialSignIn, Active: sp.AccountEnabled == nil || *sp.AccountEnabled,
				UsageKnown: true, LastUsed: sp.LastSignIn})
		} else {
			pc.notes = append(pc.notes, spSignInNote)
		}
		out[strings.ToLower(sp.ID)] = pc
	}
	return out
}

// spSignInNote explains unknown service principal dormancy.
const spSignInNote = "service principal sign-in activity not readable (Microsoft Graph reports/servicePrincipalSignInActivities needs AuditLog.Read.All and an Entra ID P1 licence): whether this service principal or managed identity is dormant is unknown"

// credentialNote describes an expired or long-lived credential, or "".
func credentialNote(c inventory.Credential, where string, now time.Time) string {
	name := where + " " + c.Kind + " " + mask(c.KeyID)
	if c.DisplayName != "" {
		name += " (" + c.DisplayName + ")"
	}
	day := func(t time.Time) string { return t.UTC().Format(time.DateOnly) }
	switch {
	case c.End.IsZero():
		return name + " has no end date: long-lived"
	case !c.End.After(now):
		return name + " expired on " + day(c.End) + " and is still registered: remove it"
	case !c.Start.IsZero() && c.End.Sub(c.Start) > LongLivedCredential:
		return fmt.Sprintf("%s is valid for %d days (%s to %s): long-lived, over %d days", name, int(c.End.Sub(c.Start).Hours()/24),
			day(c.Start), day(c.End), int(LongLivedCredential.Hours()/24))
	}
	return ""
}

func mask(id string) string {
	if len(id) <= 4 {
		return id
	}
	return "…" + id[len(id)-4:]
}

// PolicyWriter writes least-privilege Azure custom role definitions: the
// kept action patterns as actions, the kept data patterns (services ending
// in DataSuffix) as dataActions. The assignable scope is left for the
// operator ("<scope>"), since a suggestion is reviewed before use.
type PolicyWriter struct{}

type roleDoc struct {
	Name             string   `json:"Name"`
	IsCustom         bool     `json:"IsCustom"`
	Description      string   `json:"Description"`
	Actions          []string `json:"Actions"`
	NotActions       []string `json:"NotActions"`
	DataActions      []string `json:"DataActions"`
	NotDataActions   []string `json:"NotDataActions"`
	AssignableScopes []string `json:"AssignableScopes"`
}

// LeastPrivilege implements entitlement.PolicyWriter.
func (PolicyWriter) LeastPrivilege(keep []entitlement.Keep, removed int) (*entitlement.Suggestion, error) {
	doc := roleDoc{Name: "least-privilege (breachpath suggestion)", IsCustom: true, NotActions: []string{}, NotDataActions: []string{},
		Description: "Grants what the principal used; review and set AssignableScopes before creating it.", AssignableScopes: []string{"<scope>"},
		Actions: []string{}, DataActions: []string{}}
	var all []string
	for _, k := range keep {
		data := strings.HasSuffix(k.Service, DataSuffix)
		ns := strings.TrimSuffix(k.Service, DataSuffix)
		if ns == "" || strings.ContainsAny(ns, " \t") {
			return nil, fmt.Errorf("service %q: not a provider namespace", k.Service)
		}
		acts := k.Actions
		if k.All {
			if ns == "*" {
				return nil, fmt.Errorf("service %q: a least-privilege role cannot keep every action of every provider", k.Service)
			}
			acts = []string{ns + "/*"}
			if len(k.Except) > 0 {
				if data {
					doc.NotDataActions = append(doc.NotDataActions, k.Except...)
				} else {
					doc.NotActions = append(doc.NotActions, k.Except...)
				}
			}
		}
		for _, a := range acts {
			if a == "*" || !strings.EqualFold(strings.SplitN(a, "/", 2)[0], ns) {
				return nil, fmt.Errorf("action %q is not in service %q", a, k.Service)
			}
		}
		if data {
			doc.DataActions = append(doc.DataActions, acts...)
		} else {
			doc.Actions = append(doc.Actions, acts...)
		}
		all = append(all, acts...)
	}
	sort.Strings(doc.Actions)
	sort.Strings(doc.DataActions)
	sort.Strings(all)
	buf, err := json.MarshalIndent(doc, "", "  ")
	if err != nil {
		return nil, err
	}
	return &entitlement.Suggestion{Policy: string(buf), Actions: slices.Compact(all), Removed: removed}, nil
}
