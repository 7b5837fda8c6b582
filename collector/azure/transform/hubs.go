package transform

import (
	"fmt"
	"hash/fnv"
	"sort"
	"strings"

	"github.com/breachpath/breachpath/collector/azure/inventory"
	"github.com/breachpath/breachpath/collector/azure/rbac"
	"github.com/breachpath/breachpath/graph"
)

// TechHoldsRole is the move from a principal to the shared grant node of a
// role it is assigned at a scope (one node per role definition, scope and
// ABAC condition). What the role allows under the scope is drawn once from
// the grant node instead of once per assignee, so a tenant where hundreds of
// principals hold Contributor at a subscription has principals + resources
// edges rather than their product (the AWS side's aws.iam.holds-policy).
const TechHoldsRole = "azure.authorization.holds-role"

// nativeRoleGrant is the native type of a grant node.
const nativeRoleGrant = "breachpath/azure-role-grant"

// Decomposition. Without deny assignments, a principal's RBAC decision on one
// operation is the OR over its assignments of each assignment's own decision
// (rbac.Evaluator.decide: allowed when any grant allows it; eligible only when
// every allowing grant is; unconditional when any allowing grant is). So each
// (role, scope, condition) is evaluated once and an assignee reaches the
// resources through assignee -> grant -> resource, with eligibility carried on
// the first hop. Two cases are not decomposable and stay per principal:
//   - a principal a deny assignment names (directly, through a group, or
//     Everyone): its decisions depend on who it is;
//   - moves that need several operations or two resources (runbook edit and
//     start, identity assign + VM write): drawn directly when the
//     principal's assignments together allow them and no single grant does.
//
// A (role, scope, condition) held by one assignment only keeps direct edges:
// a hub would add a node and a hop for nothing.

// hubKey identifies a grant node.
func hubKey(a *inventory.RoleAssignment) string {
	return strings.ToLower(a.Scope) + "|" + a.RoleGUID() + "|" + a.Condition
}

// hubID is the node id of a grant: under the scope, named by the role
// definition, and by a hash of the condition when there is one.
func hubID(a *inventory.RoleAssignment) string {
	scope := strings.TrimSuffix(strings.ToLower(a.Scope), "/")
	id := scope + "/providers/microsoft.authorization/roledefinitions/" + a.RoleGUID() + "/grant"
	if a.Condition != "" {
		h := fnv.New64a()
		h.Write([]byte(a.Condition))
		id += fmt.Sprintf("-%016x", h.Sum64())
	}
	return id
}

// grantHubs splits the principals' assignments between shared grant nodes
// and direct evaluation. It returns the hub holders (to be drawn like
// principals) and marks, on each principal holder, the assignments it
// reaches through hubs.
func (b *builder) grantHubs(hs []holder) []holder {
	if b.opts.directGrants {
		return nil
	}
	count := map[string]int{}
	for i := range b.inv.RoleAssignments {
		a := &b.inv.RoleAssignments[i]
		if b.ev.Role(a.RoleGUID()) == nil || b.ev.DenyNames(a.PrincipalID) {
			continue
		}
		count[hubKey(a)]++
	}
	hubs := map[string]*holder{}
	var order []string
	for i := range hs {
		h := &hs[i]
		if b.ev.DenyNames(h.oid) {
			continue
		}
		var keep []string
		h.all = false
		for _, a := range b.ev.Assignments(h.oid) {
			role := b.ev.Role(a.RoleGUID())
			if role == nil || count[hubKey(a)] < 2 {
				keep = append(keep, a.Scope)
				if scopeDepth(a.Scope) == 0 {
					h.all = true
				}
				continue
			}
			k := hubKey(a)
			hub, ok := hubs[k]
			if !ok {
				hub = b.newHub(a, role)
				hubs[k] = hub
				order = append(order, k)
			}
			if h.hubbed == nil {
				h.hubbed = map[*inventory.RoleAssignment]bool{}
			}
			h.hubbed[a] = true
			h.hubs = append(h.hubs, hub.node)
			b.holdsRole(h, a, role, hub.node)
		}
		h.scopes = keep
	}
	sort.Strings(order)
	out := make([]holder, 0, len(order))
	for _, k := range order {
		out = append(out, *hubs[k])
	}
	return out
}

// newHub adds the grant node of an assignment's (role, scope, condition).
func (b *builder) newHub(a *inventory.RoleAssignment, role *inventory.RoleDefinition) *holder {
	id := hubID(a)
	key := b.scopeKey(a.Scope)
	acct := key
	if key == tenantKey {
		acct = "tenant-" + b.tenant
	}
	props := graph.Props{"role": role.RoleName, "role_id": a.RoleGUID(), "scope": strings.ToLower(a.Scope), "conditional": a.Condition != ""}
	b.own(key, graph.Node{ID: id, Kind: graph.KindPolicy, NativeType: nativeRoleGrant, Name: role.RoleName + " at " + short(a.Scope),
		Account: acct, Region: "global", Service: inventory.AreaAuthorization, Props: props})
	// The grant evaluates as one anonymous assignment of the role at the
	// scope: eligibility belongs to each assignee's hop onto it.
	g := &rbac.Grant{Assignment: &inventory.RoleAssignment{ID: id, Scope: strings.ToLower(a.Scope), RoleDefinitionID: a.RoleDefinitionID,
		RoleName: role.RoleName, Condition: a.Condition}, Role: role}
	h := &holder{node: id, hub: g, scopes: []string{strings.ToLower(a.Scope)}, all: scopeDepth(a.Scope) == 0}
	return h
}

// holdsRole draws assignee -> grant node for one assignment, carrying the
// assignment's id, its PIM eligibility and the findings on it.
func (b *builder) holdsRole(h *holder, a *inventory.RoleAssignment, role *inventory.RoleDefinition, hub string) {
	lk := 1.0
	ev := []string{"role assignment " + a.ID + ": " + role.RoleName + " at " + a.Scope}
	if a.Eligible {
		ev = append(ev, "PIM-eligible only: the principal must activate the role first")
		lk = 0.7
	}
	var fs []string
	for _, rule := range []string{"azure.authorization.workload-privileged-role", "azure.authorization.guest-privileged-role"} {
		if f := graph.FindingID(rule, a.ID); b.hasFinding(a.ID, f) {
			fs = append(fs, f)
		}
	}
	// An eligible-only grant counts as conditional, as rbac's decisions do.
	b.move(graph.Edge{From: h.node, To: hub, Kind: graph.EdgeEscalatesTo, Technique: TechHoldsRole, Likelihood: lk, Evidence: ev, Findings: fs,
		Conditional: a.Eligible})
}

// comboMoves draws, for a principal reaching grant nodes, the moves that
// need several operations or two resources when its assignments together
// allow them but no single grant node (nor its direct grants) drew them:
// e.g. runbooks/write from one role and jobs/write from another.
func (b *builder) comboMoves(h holder) {
	full := holder{oid: h.oid, node: h.node, all: true}
	viaHub := func(tech, to string) bool {
		for _, hub := range h.hubs {
			if b.hubMoved[hub+"|"+tech+"|"+strings.ToLower(to)] {
				return true
			}
		}
		return false
	}
	for _, w := range sortedKeys(b.identitiesOf) {
		t := typeOfID(w)
		for _, esc := range escalations[t] {
			if len(esc.ops) < 2 || b.decide(h, w, esc.ops).Allowed {
				continue
			}
			d := b.decide(full, w, esc.ops)
			if !d.Allowed {
				continue
			}
			for _, mi := range b.identitiesOf[w] {
				if mi != h.node && !viaHub(esc.tech, mi) {
					b.grantMove(h, mi, graph.EdgeEscalatesTo, esc.tech, esc.lk, d, esc.what+" "+short(w)+", which runs as "+short(strings.TrimSuffix(mi, "/providers/microsoft.managedidentity/identities/default")))
				}
			}
			if t == inventory.TypeAutomationAccount {
				for _, s := range b.autoSecrets[w] {
					if !viaHub(esc.tech, s) {
						b.grantMove(h, s, graph.EdgeReads, esc.tech, esc.lk, d, esc.what+" "+short(w)+" and print its variables")
					}
				}
			}
		}
	}
	writable, checked := "", false
	for _, r := range b.uamis {
		if _, ok := b.owner[r.ID]; !ok || r.ID == h.node || viaHub(TechOperatorAssign, r.ID) {
			continue
		}
		d := b.decide(full, r.ID, []op{act("Microsoft.ManagedIdentity/userAssignedIdentities/assign/action")})
		if !d.Allowed {
			continue
		}
		if !checked {
			writable, checked = b.writableVM(full), true
		}
		if writable != "" {
			d.Via = append(d.Via, "and can write VM "+short(writable)+" to attach it")
			b.grantMove(h, r.ID, graph.EdgeEscalatesTo, TechOperatorAssign, 0.6, d, "assign "+r.Name+" to a VM it controls")
		}
	}
}
