package transform

import (
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/breachpath/breachpath/collector/azure/inventory"
)

// Azure Policy deny effects. Policy is evaluated at request time against
// the resource a request would create or change, so a Deny assignment
// removes the moves that would have to *create* the configuration it
// forbids; it changes nothing that already exists. The transform
// recognises a small set of rule shapes (policyGuardKinds) and lists every
// other assignment as unrecognised rather than guessing at its rule.

// Recognised policy shapes.
const (
	// guardRoleAssignments: Deny on Microsoft.Authorization/roleAssignments,
	// for every role or for the roles a roleDefinitionId condition names
	// (in / equals / like), or for every role but those it allows (notIn /
	// notEquals). Affects azure.authorization.role-assignment-write.
	guardRoleAssignments = "deny-role-assignments"
	// guardNICPublicIP: Deny on network interfaces with a public IP (the
	// built-in "Network interfaces should not have public IPs"). No move of
	// the model creates a public IP; recorded on the subscription.
	guardNICPublicIP = "deny-nic-public-ip"
	// guardBlobPublicAccess: Deny on storage accounts allowing blob public
	// access (the built-in "Storage account public access should be
	// disallowed"). No move of the model turns it on; recorded.
	guardBlobPublicAccess = "deny-blob-public-access"
)

// Built-in roles whose denial makes a role-assignment write fall short of
// taking over the scope (grant itself Owner or User Access Administrator).
const (
	roleOwner                   = "8e3af657-a8ff-443c-a75c-2fe8c4bcb635"
	roleUserAccessAdministrator = "18d7d88d-d35e-4fb5-a5c3-7773c4a72d9d"
)

// policyGuard is one enforced Deny assignment of a recognised shape.
type policyGuard struct {
	kind       string
	assignment string // display name or name, for evidence
	definition string
	scope      string
	notScopes  []string
	// For guardRoleAssignments: roles denied (role definition GUIDs), or
	// with allowList the only roles allowed; all is every role; partial
	// is set when the rule has other conditions (principal type, ...), so
	// only some requests are denied.
	roles     []string
	allowList bool
	all       bool
	partial   bool
}

// policyAssignment, policyDefinition and policySet are the ARM shapes read.
type policyAssignment struct {
	DisplayName        string                         `json:"displayName"`
	PolicyDefinitionID string                         `json:"policyDefinitionId"`
	Scope              string                         `json:"scope"`
	NotScopes          []string                       `json:"notScopes"`
	EnforcementMode    string                         `json:"enforcementMode"`
	Parameters         map[string]struct{ Value any } `json:"parameters"`
}

type policyDefinition struct {
	DisplayName string                                `json:"displayName"`
	Parameters  map[string]struct{ DefaultValue any } `json:"parameters"`
	PolicyRule  struct {
		If   json.RawMessage `json:"if"`
		Then struct {
			Effect string `json:"effect"`
		} `json:"then"`
	} `json:"policyRule"`
}

type policySet struct {
	DisplayName       string                                `json:"displayName"`
	Parameters        map[string]struct{ DefaultValue any } `json:"parameters"`
	PolicyDefinitions []struct {
		PolicyDefinitionID string                         `json:"policyDefinitionId"`
		Parameters         map[string]struct{ Value any } `json:"parameters"`
	} `json:"policyDefinitions"`
}

// policies reads the Azure Policy assignments of every collected
// subscription into guards, and records on each subscription node the
// recognised Deny guards that apply to it ("policy_guards") and the
// assignments whose rule the transform does not recognise
// ("policy_unrecognised").
func (b *builder) policies() {
	b.guards = nil
	var unknown []string
	for _, r := range b.inv.OfType(inventory.TypePolicyAssignment) {
		var a policyAssignment
		if err := r.Decode(&a); err != nil {
			b.warn("policy assignment %s: %v", r.ID, err)
			continue
		}
		name := firstNonEmpty(a.DisplayName, r.Name)
		scope := strings.ToLower(firstNonEmpty(a.Scope, assignmentScope(r.ID)))
		params := func(p string) (any, bool) { v, ok := a.Parameters[p]; return v.Value, ok }
		defs := b.assignedDefinitions(strings.ToLower(a.PolicyDefinitionID), params)
		if len(defs) == 0 {
			unknown = append(unknown, name+" (definition "+short(a.PolicyDefinitionID)+" not read)")
			continue
		}
		for _, d := range defs {
			g, ok := recogniseGuard(d)
			if !ok {
				if len(defs) == 1 {
					unknown = append(unknown, name)
				} else {
					unknown = append(unknown, name+" / "+d.name)
				}
				continue
			}
			if !strings.EqualFold(d.effect, "deny") || strings.EqualFold(a.EnforcementMode, "DoNotEnforce") {
				continue // recognised, not enforced as a Deny: nothing changes
			}
			g.assignment, g.definition, g.scope = name, d.name, scope
			for _, ns := range a.NotScopes {
				g.notScopes = append(g.notScopes, strings.ToLower(ns))
			}
			b.guards = append(b.guards, g)
		}
	}
	for _, s := range b.inv.Subscriptions {
		n := b.nodes["/subscriptions/"+s.ID]
		if n == nil {
			continue
		}
		var on []string
		for _, g := range b.guards {
			if b.guardApplies(&g, "/subscriptions/"+s.ID) || strings.HasPrefix(g.scope, "/subscriptions/"+s.ID+"/") {
				on = append(on, g.kind+": "+g.assignment+" at "+g.scope)
			}
		}
		if len(on) > 0 {
			n.Props["policy_guards"] = union(nil, on)
		}
		if len(unknown) > 0 {
			n.Props["policy_unrecognised"] = union(nil, unknown)
		}
	}
}

// assignmentScope derives an assignment's scope from its id.
func assignmentScope(id string) string {
	id = strings.ToLower(id)
	if i := strings.Index(id, "/providers/microsoft.authorization/policyassignments/"); i >= 0 {
		return id[:i]
	}
	return ""
}

// resolvedDefinition is a policy definition with its effect resolved for
// one assignment, and its parameters resolver.
type resolvedDefinition struct {
	name   string
	def    *policyDefinition
	effect string
	param  func(string) (any, bool)
}

var paramRef = regexp.MustCompile(`(?i)^\[parameters\('([^']+)'\)\]$`)

// assignedDefinitions returns the definitions an assignment applies (one,
// or an initiative's members) with their parameters resolved through the
// assignment, the initiative and the definitions' defaults.
func (b *builder) assignedDefinitions(id string, assigned func(string) (any, bool)) []resolvedDefinition {
	r := b.inv.Get(id)
	if r == nil {
		return nil
	}
	if r.Type == inventory.TypePolicySetDefinition {
		var s policySet
		if r.Decode(&s) != nil {
			return nil
		}
		setParam := func(p string) (any, bool) {
			if v, ok := assigned(p); ok {
				return v, true
			}
			d, ok := s.Parameters[p]
			return d.DefaultValue, ok && d.DefaultValue != nil
		}
		var out []resolvedDefinition
		for _, m := range s.PolicyDefinitions {
			member := m
			memberParam := func(p string) (any, bool) {
				v, ok := member.Parameters[p]
				if !ok {
					return nil, false
				}
				if str, isStr := v.Value.(string); isStr {
					if ref := paramRef.FindStringSubmatch(str); ref != nil {
						return setParam(ref[1])
					}
				}
				return v.Value, true
			}
			out = append(out, b.assignedDefinitions(strings.ToLower(member.PolicyDefinitionID), memberParam)...)
		}
		return out
	}
	var d policyDefinition
	if r.Decode(&d) != nil {
		return nil
	}
	param := func(p string) (any, bool) {
		if v, ok := assigned(p); ok {
			return v, true
		}
		dv, ok := d.Parameters[p]
		return dv.DefaultValue, ok && dv.DefaultValue != nil
	}
	effect := d.PolicyRule.Then.Effect
	if ref := paramRef.FindStringSubmatch(effect); ref != nil {
		v, _ := param(ref[1])
		effect, _ = v.(string)
	}
	return []resolvedDefinition{{name: firstNonEmpty(d.DisplayName, r.Name), def: &d, effect: effect, param: param}}
}

// condLeaf is one field condition of a policy rule.
type condLeaf struct {
	field   string
	op      string
	values  []string
	negated bool
}

// leaves flattens a policy rule's if-condition (allOf / anyOf / not) into
// its field conditions; anyOf is reported so that callers can refuse it.
func leaves(raw json.RawMessage, negated bool, param func(string) (any, bool), out *[]condLeaf, anyOf *bool) {
	var node map[string]json.RawMessage
	if json.Unmarshal(raw, &node) != nil {
		return
	}
	for _, k := range []string{"allOf", "anyOf"} {
		var subs []json.RawMessage
		if v, ok := node[k]; ok && json.Unmarshal(v, &subs) == nil {
			if k == "anyOf" {
				*anyOf = true
			}
			for _, s := range subs {
				leaves(s, negated, param, out, anyOf)
			}
		}
	}
	if v, ok := node["not"]; ok {
		leaves(v, !negated, param, out, anyOf)
	}
	var field string
	if v, ok := node["field"]; !ok || json.Unmarshal(v, &field) != nil {
		return
	}
	for op, v := range node {
		if op == "field" {
			continue
		}
		var val any
		if json.Unmarshal(v, &val) != nil {
			continue
		}
		if s, ok := val.(string); ok {
			if ref := paramRef.FindStringSubmatch(s); ref != nil {
				val, _ = param(ref[1])
			}
		}
		*out = append(*out, condLeaf{field: strings.ToLower(field), op: strings.ToLower(op), values: stringsOf(val), negated: negated})
	}
}

func stringsOf(v any) []string {
	switch x := v.(type) {
	case string:
		return []string{x}
	case []any:
		var out []string
		for _, e := range x {
			out = append(out, fmt.Sprint(e))
		}
		return out
	case nil:
		return nil
	}
	return []string{fmt.Sprint(v)}
}

// recogniseGuard matches a definition against the recognised shapes.
func recogniseGuard(d resolvedDefinition) (policyGuard, bool) {
	var ls []condLeaf
	anyOf := false
	leaves(d.def.PolicyRule.If, false, d.param, &ls, &anyOf)
	typeIs := func(t string) bool {
		return slices.ContainsFunc(ls, func(l condLeaf) bool {
			return l.field == "type" && !l.negated && (l.op == "equals" || l.op == "like") && slices.ContainsFunc(l.values, func(v string) bool { return strings.EqualFold(v, t) })
		})
	}
	has := func(frag string) bool {
		return slices.ContainsFunc(ls, func(l condLeaf) bool { return strings.Contains(l.field, frag) })
	}
	switch {
	case anyOf:
		return policyGuard{}, false // alternatives: which request is denied depends on more than one shape
	case typeIs("Microsoft.Authorization/roleAssignments"):
		g := policyGuard{kind: guardRoleAssignments, all: true}
		for _, l := range ls {
			switch {
			case l.field == "type":
			case strings.HasSuffix(l.field, "roleassignments/roledefinitionid"):
				g.all = false
				for _, v := range l.values {
					g.roles = append(g.roles, strings.ToLower(short(v)))
				}
				inList := l.op == "in" || l.op == "equals" || l.op == "like"
				g.allowList = inList == l.negated // "not in" / notIn / notEquals: the list is what is allowed
			default:
				g.partial = true
			}
		}
		return g, true
	case typeIs("Microsoft.Network/networkInterfaces") && has("publicipaddress.id"):
		return policyGuard{kind: guardNICPublicIP}, true
	case has("microsoft.storage/storageaccounts/allowblobpublicaccess"):
		return policyGuard{kind: guardBlobPublicAccess}, true
	}
	return policyGuard{}, false
}

// guardApplies reports whether a guard's assignment covers a scope: its
// scope is the scope or above it (management groups through the
// subscription's ancestry) and no notScope covers it.
func (b *builder) guardApplies(g *policyGuard, scope string) bool {
	scope = strings.ToLower(scope)
	under := func(s string) bool { return scope == s || strings.HasPrefix(scope, s+"/") }
	covered := under(g.scope)
	if !covered && strings.HasPrefix(g.scope, "/providers/microsoft.management/managementgroups/") {
		if sub := b.inv.Subscription(inventory.SubscriptionOf(scope)); sub != nil {
			mg := short(g.scope)
			covered = slices.ContainsFunc(sub.Ancestors, func(a string) bool { return strings.EqualFold(a, mg) }) || strings.EqualFold(mg, b.tenant)
		}
	}
	if !covered {
		return false
	}
	return !slices.ContainsFunc(g.notScopes, under)
}

// roleWriteGuard decides what the enforced Deny guards do to a
// role-assignment write at scope: absent when every role assignment
// there is denied; conditional (with why) when Owner or User Access
// Administrator cannot be assigned, or when a guard denies only some
// requests (other conditions).
func (b *builder) roleWriteGuard(scope string) (absent, conditional bool, why string) {
	var notes []string
	for i := range b.guards {
		g := &b.guards[i]
		if g.kind != guardRoleAssignments || !b.guardApplies(g, scope) {
			continue
		}
		denied := func(role string) bool {
			if g.all {
				return true
			}
			return slices.Contains(g.roles, role) != g.allowList
		}
		cite := "policy assignment " + g.assignment + " (" + g.definition + ") at " + g.scope
		switch {
		case g.partial && (denied(roleOwner) || denied(roleUserAccessAdministrator)):
			conditional = true
			notes = append(notes, cite+" denies some role assignments (conditions beyond the role)")
		case g.all || (g.allowList && len(g.roles) == 0):
			return true, false, cite + " denies every role assignment"
		case denied(roleOwner) && denied(roleUserAccessAdministrator):
			conditional = true
			notes = append(notes, cite+" denies assigning Owner and User Access Administrator: only other roles remain assignable")
		case denied(roleOwner) || denied(roleUserAccessAdministrator):
			conditional = true
			notes = append(notes, cite+" denies assigning Owner or User Access Administrator (the other still grants role assignments)")
		}
	}
	return false, conditional, strings.Join(notes, "; ")
}
