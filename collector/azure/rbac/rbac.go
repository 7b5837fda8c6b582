// Package rbac evaluates Azure role-based access control: which operations a
// principal may perform at a scope, from the role assignments at that scope
// and every scope above it (resource, resource group, subscription,
// management groups, root), its groups' assignments, deny assignments and
// ABAC conditions. The built-in role definitions are embedded
// (data/builtin-roles.json.gz, refreshed by scripts/refresh-azure-roles.sh);
// custom roles come from the inventory.
//
// Decisions are tri-state like the AWS evaluator's: allowed, allowed only
// under a condition the graph cannot resolve (ABAC conditions, conditions on
// a role's permission block), or not allowed.
package rbac

import (
	"bytes"
	"compress/gzip"
	_ "embed"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"sync"

	"github.com/breachpath/breachpath/collector/azure/inventory"
)

//go:embed data/builtin-roles.json.gz
var builtinGz []byte

var (
	builtinOnce  sync.Once
	builtinRoles map[string]*inventory.RoleDefinition
	builtinErr   error
)

// Well-known built-in role GUIDs.
const (
	RoleOwner                     = "8e3af657-a8ff-443c-a75c-2fe8c4bcb635"
	RoleContributor               = "b24988ac-6180-42a0-ab88-20f7382dd24c"
	RoleReader                    = "acdd72a7-3385-48ef-bd42-f606fba81ae7"
	RoleUserAccessAdministrator   = "18d7d88d-d35e-4fb5-a5c3-7773c20a72d9"
	RoleManagedIdentityOperator   = "f1a07417-d97a-45cb-824c-7a7467783830"
	RoleKeyVaultSecretsUser       = "4633458b-17de-408a-b874-0445c86b69e6"
	RoleStorageBlobDataReader     = "2a2b9908-6ea1-4ae2-8e65-a410df84e7d1"
	RoleStorageBlobDataContributo = "ba92f5b4-2d11-453d-a403-e96b0029c9fe"
)

// Builtin returns the embedded built-in role definitions by GUID.
func Builtin() (map[string]*inventory.RoleDefinition, error) {
	builtinOnce.Do(func() {
		zr, err := gzip.NewReader(bytes.NewReader(builtinGz))
		if err != nil {
			builtinErr = fmt.Errorf("azure built-in roles: %w", err)
			return
		}
		var raw []json.RawMessage
		if err := json.NewDecoder(zr).Decode(&raw); err != nil {
			builtinErr = fmt.Errorf("azure built-in roles: %w", err)
			return
		}
		builtinRoles = make(map[string]*inventory.RoleDefinition, len(raw))
		for _, r := range raw {
			d, err := inventory.UnmarshalRoleDefinition(r)
			if err != nil {
				builtinErr = fmt.Errorf("azure built-in roles: %w", err)
				return
			}
			d.ID = "/providers/microsoft.authorization/roledefinitions/" + d.Name
			builtinRoles[d.Name] = &d
		}
	})
	return builtinRoles, builtinErr
}

// Match reports whether an operation matches an action pattern. Azure
// matching is case-insensitive and `*` matches any run of characters,
// slashes included (`*/read`, `Microsoft.Storage/*`).
func Match(pattern, op string) bool {
	return glob(strings.ToLower(pattern), strings.ToLower(op))
}

func glob(p, s string) bool {
	// Iterative glob with backtracking on the last star.
	px, sx, star, mark := 0, 0, -1, 0
	for sx < len(s) {
		switch {
		case px < len(p) && p[px] == '*':
			star, mark = px, sx
			px++
		case px < len(p) && p[px] == s[sx]:
			px++
			sx++
		case star >= 0:
			px = star + 1
			mark++
			sx = mark
		default:
			return false
		}
	}
	for px < len(p) && p[px] == '*' {
		px++
	}
	return px == len(p)
}

// Grants reports whether the permission block grants an operation:
// control-plane operations through actions/notActions, data operations
// through dataActions/notDataActions.
func Grants(p *inventory.Permission, op string, data bool) bool {
	allow, deny := p.Actions, p.NotActions
	if data {
		allow, deny = p.DataActions, p.NotDataActions
	}
	ok := false
	for _, a := range allow {
		if Match(a, op) {
			ok = true
			break
		}
	}
	if !ok {
		return false
	}
	for _, n := range deny {
		if Match(n, op) {
			return false
		}
	}
	return true
}

// Decision is the outcome of one evaluation.
type Decision struct {
	Allowed bool
	// Conditional is set when the grant holds only under an ABAC condition
	// (of the assignment or of the role's permission block).
	Conditional bool
	// Via lists the grants that allow it ("<role> at <scope> (assignment <id>)").
	Via []string
	// Eligible is set when only PIM-eligible assignments grant it: the
	// principal must activate the role first.
	Eligible bool
}

// Grant is one role assignment in effect for a principal at a scope.
type Grant struct {
	Assignment *inventory.RoleAssignment
	Role       *inventory.RoleDefinition
	// Through is the group the assignment reaches the principal through, or "".
	Through string
}

// Label describes the grant for evidence.
func (g *Grant) Label() string {
	s := g.Role.RoleName + " at " + g.Assignment.Scope
	if g.Through != "" {
		s += " through group " + g.Through
	}
	if g.Assignment.Eligible {
		s += " (PIM-eligible)"
	}
	return s
}

// Evaluator answers RBAC questions over one tenant's inventory.
type Evaluator struct {
	roles map[string]*inventory.RoleDefinition
	// assignments by principal object id.
	byPrincipal map[string][]*inventory.RoleAssignment
	deny        []inventory.DenyAssignment
	// groupsOf maps a principal object id to the ids of every group it is
	// a member of, transitively.
	groupsOf map[string][]string
	// mgAncestors maps a subscription id to its management group scopes.
	mgAncestors map[string][]string
	// Unknown lists role definition GUIDs assignments reference but no
	// definition describes.
	Unknown []string
}

// New builds an evaluator over the inventory's assignments, the built-in
// roles and the inventory's custom roles (which win over built-ins with
// the same GUID).
func New(inv *inventory.Inventory) (*Evaluator, error) {
	bi, err := Builtin()
	if err != nil {
		return nil, err
	}
	e := &Evaluator{roles: make(map[string]*inventory.RoleDefinition, len(bi)+len(inv.RoleDefinitions)),
		byPrincipal: map[string][]*inventory.RoleAssignment{}, groupsOf: map[string][]string{}, mgAncestors: map[string][]string{}}
	for k, v := range bi {
		e.roles[k] = v
	}
	for i := range inv.RoleDefinitions {
		d := &inv.RoleDefinitions[i]
		e.roles[d.Name] = d
	}
	unknown := map[string]bool{}
	for i := range inv.RoleAssignments {
		a := &inv.RoleAssignments[i]
		e.byPrincipal[a.PrincipalID] = append(e.byPrincipal[a.PrincipalID], a)
		if e.roles[a.RoleGUID()] == nil && !unknown[a.RoleGUID()] {
			unknown[a.RoleGUID()] = true
			e.Unknown = append(e.Unknown, a.RoleGUID())
		}
	}
	sort.Strings(e.Unknown)
	e.deny = inv.DenyAssignments
	e.groupsOf = transitiveGroups(inv.Entra.Groups)
	parents := map[string]string{}
	for _, mg := range inv.ManagementGroups {
		parents[strings.ToLower(mg.Name)] = mg.Parent
	}
	for _, s := range inv.Subscriptions {
		var chain []string
		seen := map[string]bool{}
		for _, a := range s.Ancestors {
			a = strings.ToLower(a)
			if !seen[a] {
				seen[a] = true
				chain = append(chain, inventory.ManagementGroupID(a))
			}
		}
		// Walk up from the last known ancestor through the hierarchy.
		cur := ""
		if len(s.Ancestors) > 0 {
			cur = parents[strings.ToLower(s.Ancestors[len(s.Ancestors)-1])]
		}
		for cur != "" && !seen[cur] {
			seen[cur] = true
			chain = append(chain, inventory.ManagementGroupID(cur))
			cur = parents[cur]
		}
		e.mgAncestors[s.ID] = chain
	}
	return e, nil
}

// Role returns the role definition with the GUID, or nil.
func (e *Evaluator) Role(guid string) *inventory.RoleDefinition {
	return e.roles[strings.ToLower(guid)]
}

// Groups returns the groups a principal belongs to, transitively.
func (e *Evaluator) Groups(principal string) []string { return e.groupsOf[strings.ToLower(principal)] }

// Principals returns every principal id holding an assignment, sorted.
func (e *Evaluator) Principals() []string {
	out := make([]string, 0, len(e.byPrincipal))
	for p := range e.byPrincipal {
		out = append(out, p)
	}
	sort.Strings(out)
	return out
}

// AppliesTo reports whether an assignment at scope reaches the resource (or
// scope) id: the same scope, a scope above it in the id hierarchy, the root
// scope, or a management group above its subscription.
func (e *Evaluator) AppliesTo(scope, id string) bool {
	scope, id = strings.ToLower(scope), strings.ToLower(id)
	if scope == "/" || scope == "" {
		return true
	}
	if id == scope || strings.HasPrefix(id, scope+"/") {
		return true
	}
	if strings.HasPrefix(scope, "/providers/microsoft.management/managementgroups/") {
		for _, mg := range e.mgAncestors[inventory.SubscriptionOf(id)] {
			if mg == scope {
				return true
			}
		}
	}
	return false
}

// GrantsAt returns the assignments in effect for a principal at a scope,
// directly or through its groups, with their role definitions. Assignments
// to unknown roles are skipped.
func (e *Evaluator) GrantsAt(principal, scope string) []Grant {
	principal = strings.ToLower(principal)
	var out []Grant
	add := func(p, through string) {
		for _, a := range e.byPrincipal[p] {
			if !e.AppliesTo(a.Scope, scope) {
				continue
			}
			d := e.roles[a.RoleGUID()]
			if d == nil {
				continue
			}
			out = append(out, Grant{Assignment: a, Role: d, Through: through})
		}
	}
	add(principal, "")
	for _, g := range e.groupsOf[principal] {
		add(g, g)
	}
	return out
}

// Assignments returns the principal's own role assignments (not its groups').
func (e *Evaluator) Assignments(principal string) []*inventory.RoleAssignment {
	return e.byPrincipal[strings.ToLower(principal)]
}

// DenyNames reports whether any deny assignment names the principal,
// directly, through one of its groups, or as Everyone (exclusions are not
// considered: the answer is "its decisions may depend on who it is").
func (e *Evaluator) DenyNames(principal string) bool {
	principal = strings.ToLower(principal)
	ids := append([]string{principal}, e.groupsOf[principal]...)
	for i := range e.deny {
		if matchesAny(e.deny[i].Principals, ids) {
			return true
		}
	}
	return false
}

// DirectGrantsAt is GrantsAt without the principal's groups: the grants
// of the principal's own assignments only (group grants are drawn once, on
// the group, and reached through membership).
func (e *Evaluator) DirectGrantsAt(principal, scope string) []Grant {
	var out []Grant
	for _, a := range e.byPrincipal[strings.ToLower(principal)] {
		if !e.AppliesTo(a.Scope, scope) {
			continue
		}
		if d := e.roles[a.RoleGUID()]; d != nil {
			out = append(out, Grant{Assignment: a, Role: d})
		}
	}
	return out
}

// Can evaluates whether a principal may perform an operation on a resource
// (or scope) id. data selects the data plane (dataActions).
func (e *Evaluator) Can(principal, op, id string, data bool) Decision {
	return e.decide(principal, id, e.GrantsAt(principal, id), op, data)
}

// CanWith evaluates an operation over precomputed grants (GrantsAt).
func (e *Evaluator) CanWith(principal, id string, grants []Grant, op string, data bool) Decision {
	return e.decide(principal, id, grants, op, data)
}

func (e *Evaluator) decide(principal, id string, grants []Grant, op string, data bool) Decision {
	var d Decision
	active, unconditional := false, false
	for i := range grants {
		g := &grants[i]
		for j := range g.Role.Permissions {
			p := &g.Role.Permissions[j]
			if !Grants(p, op, data) {
				continue
			}
			d.Via = append(d.Via, g.Label())
			if !g.Assignment.Eligible {
				active = true
			}
			if p.Condition == "" && g.Assignment.Condition == "" {
				if !g.Assignment.Eligible {
					unconditional = true
				}
			}
			break
		}
	}
	if len(d.Via) == 0 {
		return Decision{}
	}
	if e.denied(principal, op, id, data) {
		return Decision{}
	}
	d.Allowed = true
	d.Eligible = !active
	d.Conditional = !unconditional
	sort.Strings(d.Via)
	return d
}

// denied reports whether a deny assignment blocks the operation.
func (e *Evaluator) denied(principal, op, id string, data bool) bool {
	principal = strings.ToLower(principal)
	ids := append([]string{principal}, e.groupsOf[principal]...)
	for i := range e.deny {
		da := &e.deny[i]
		if da.NoChildScopes {
			if !strings.EqualFold(da.Scope, id) {
				continue
			}
		} else if !e.AppliesTo(da.Scope, id) {
			continue
		}
		if !matchesAny(da.Principals, ids) || matchesAny(da.ExcludePrincipals, ids) {
			continue
		}
		for j := range da.Permissions {
			if Grants(&da.Permissions[j], op, data) {
				return true
			}
		}
	}
	return false
}

func matchesAny(list, ids []string) bool {
	for _, p := range list {
		if p == inventory.EveryonePrincipal {
			return true
		}
		for _, id := range ids {
			if p == id {
				return true
			}
		}
	}
	return false
}

// transitiveGroups maps every member id to all groups it belongs to,
// directly or through nested groups.
func transitiveGroups(groups []inventory.Group) map[string][]string {
	direct := map[string][]string{}
	for _, g := range groups {
		gid := strings.ToLower(g.ID)
		for _, m := range g.Members {
			direct[strings.ToLower(m)] = append(direct[strings.ToLower(m)], gid)
		}
	}
	out := map[string][]string{}
	for m := range direct {
		seen := map[string]bool{}
		stack := append([]string(nil), direct[m]...)
		for len(stack) > 0 {
			g := stack[len(stack)-1]
			stack = stack[:len(stack)-1]
			if seen[g] {
				continue
			}
			seen[g] = true
			stack = append(stack, direct[g]...)
		}
		for g := range seen {
			out[m] = append(out[m], g)
		}
		sort.Strings(out[m])
	}
	return out
}
