package transform

import (
	"strings"

	"github.com/breachpath/breachpath/collector/azure/inventory"
	"github.com/breachpath/breachpath/collector/azure/rbac"
	"github.com/breachpath/breachpath/graph"
)

// principals adds the directory's users, groups and service principals
// (owned by the tenant's snapshot), group membership, and one Policy node
// per role assignment attached to its principal.
func (b *builder) principals() {
	t := b.tenant
	for _, u := range b.inv.Entra.Users {
		id := "/tenants/" + t + "/users/" + strings.ToLower(u.ID)
		n := b.own(tenantKey, graph.Node{ID: id, Kind: graph.KindUser, NativeType: "Microsoft.Graph/users",
			Name: firstNonEmpty(u.UserPrincipalName, u.DisplayName, u.ID), Account: "tenant-" + t, Region: "global", Service: inventory.AreaEntra,
			Props: graph.Props{"object_id": strings.ToLower(u.ID), "user_type": u.UserType}})
		if u.AccountEnabled != nil {
			n.Props["enabled"] = *u.AccountEnabled
		}
		if !u.LastSignIn.IsZero() {
			n.Props["last_sign_in"] = u.LastSignIn.UTC().Format("2006-01-02T15:04:05Z")
		}
		if strings.EqualFold(u.UserType, "Guest") {
			n.Props["guest"] = true
		}
		b.principalIDs[strings.ToLower(u.ID)] = id
	}
	for _, g := range b.inv.Entra.Groups {
		id := "/tenants/" + t + "/groups/" + strings.ToLower(g.ID)
		b.own(tenantKey, graph.Node{ID: id, Kind: graph.KindGroup, NativeType: "Microsoft.Graph/groups", Name: firstNonEmpty(g.DisplayName, g.ID),
			Account: "tenant-" + t, Region: "global", Service: inventory.AreaEntra,
			Props: graph.Props{"object_id": strings.ToLower(g.ID), "role_assignable": g.IsAssignableToRole}})
		b.principalIDs[strings.ToLower(g.ID)] = id
	}
	for _, sp := range b.inv.Entra.ServicePrincipals {
		oid := strings.ToLower(sp.ID)
		if res := sp.ManagedIdentityResource(); res != "" {
			id, native, area := res, "Microsoft.ManagedIdentity/userAssignedIdentities", inventory.AreaManagedIdentity
			if a := inventory.AreaOf(typeOfID(res)); a != inventory.AreaManagedIdentity {
				// A system-assigned identity lives and dies with its
				// resource: its stub is of the resource's area, so that
				// when that area failed the stub is left out and the
				// store keeps the identity and its moves stale instead
				// of replacing it with a stub that has none.
				id, native, area = inventory.SystemIdentityID(res), nativeSystemIdentity, a
			}
			if _, ok := b.principalIDs[oid]; !ok {
				b.principalIDs[oid] = id
				b.stub(graph.Node{ID: id, Kind: graph.KindServiceAccount, NativeType: native,
					Name: sp.DisplayName, Account: inventory.SubscriptionOf(id), Service: area})
			}
			continue
		}
		id := "/tenants/" + t + "/serviceprincipals/" + oid
		n := b.own(tenantKey, graph.Node{ID: id, Kind: graph.KindServiceAccount, NativeType: "Microsoft.Graph/servicePrincipals",
			Name: firstNonEmpty(sp.DisplayName, sp.AppID), Account: "tenant-" + t, Region: "global", Service: inventory.AreaEntra,
			Props: graph.Props{"object_id": oid, "app_id": strings.ToLower(sp.AppID), "sp_type": sp.Type}})
		if sp.AppOwnerOrganization != "" && !strings.EqualFold(sp.AppOwnerOrganization, t) {
			n.Props["external_app"] = true
		}
		if len(sp.Credentials) > 0 {
			n.Props["credentials"] = int64(len(sp.Credentials))
		}
		b.principalIDs[oid] = id
	}
	for _, g := range b.inv.Entra.Groups {
		gid := b.principalIDs[strings.ToLower(g.ID)]
		for _, m := range g.Members {
			mid := b.principal(m, "")
			b.fact(mid, graph.EdgeMemberOf, gid)
			b.edge(tenantKey, graph.Edge{From: mid, To: gid, Kind: graph.EdgeEscalatesTo, Technique: TechGroupMember, Likelihood: 1,
				Evidence: []string{"member of group " + firstNonEmpty(g.DisplayName, g.ID) + ": holds its role assignments"}})
		}
	}
	for i := range b.inv.RoleAssignments {
		b.roleAssignment(&b.inv.RoleAssignments[i])
	}
	for i := range b.inv.RoleDefinitions {
		d := &b.inv.RoleDefinitions[i]
		if !d.Custom {
			continue
		}
		b.customRole(d)
	}
}

// typeOfID derives the lower-cased ARM type of an id.
func typeOfID(id string) string { return inventory.TypeOf(id) }

// principal returns the node id of a directory object, adding a stub typed
// by the assignment's principalType when the directory did not describe it.
func (b *builder) principal(objectID, principalType string) string {
	oid := strings.ToLower(objectID)
	if id, ok := b.principalIDs[oid]; ok {
		return id
	}
	kind, seg, native := graph.KindServiceAccount, "principals", "Microsoft.Graph/directoryObjects"
	switch strings.ToLower(principalType) {
	case "user":
		kind, seg, native = graph.KindUser, "users", "Microsoft.Graph/users"
	case "group", "foreigngroup":
		kind, seg, native = graph.KindGroup, "groups", "Microsoft.Graph/groups"
	case "serviceprincipal":
		seg, native = "serviceprincipals", "Microsoft.Graph/servicePrincipals"
	}
	id := "/tenants/" + b.tenant + "/" + seg + "/" + oid
	b.stub(graph.Node{ID: id, Kind: kind, NativeType: native, Name: oid, Account: "tenant-" + b.tenant, Region: "global", Service: inventory.AreaEntra})
	b.principalIDs[oid] = id
	return id
}

// roleAssignment adds the assignment's Policy node and its findings.
func (b *builder) roleAssignment(a *inventory.RoleAssignment) {
	role := b.ev.Role(a.RoleGUID())
	name := a.RoleName
	if role != nil {
		name = role.RoleName
	}
	key := b.scopeKey(a.Scope)
	native := "Microsoft.Authorization/roleAssignments"
	if a.Eligible {
		native = "Microsoft.Authorization/roleEligibilityScheduleInstances"
	}
	pid := b.principal(a.PrincipalID, a.PrincipalType)
	acct := key
	if key == tenantKey {
		acct = "tenant-" + b.tenant
	}
	n := b.own(key, graph.Node{ID: a.ID, Kind: graph.KindPolicy, NativeType: native, Name: firstNonEmpty(name, a.RoleGUID()) + " for " + short(pid),
		Account: acct, Region: "global", Service: inventory.AreaAuthorization,
		Props: graph.Props{"role": firstNonEmpty(name, a.RoleGUID()), "role_id": a.RoleGUID(), "scope": a.Scope, "principal_id": a.PrincipalID,
			"principal_type": a.PrincipalType, "conditional": a.Condition != "", "eligible": a.Eligible}})
	_ = n
	b.fact(pid, graph.EdgePolicyAttached, a.ID)
	if role == nil {
		return
	}
	pn := b.nodes[pid]
	workload := pn != nil && pn.Kind == graph.KindServiceAccount
	privileged := rbacPrivileged(role)
	if workload && privileged && scopeDepth(a.Scope) <= 2 {
		b.finding("azure.authorization.workload-privileged-role", a.ID, role.RoleName+" assigned to "+short(pid)+" at "+a.Scope)
	}
	if scopeDepth(a.Scope) <= 1 && (a.RoleGUID() == rbac.RoleOwner || a.RoleGUID() == rbac.RoleUserAccessAdministrator) && pn != nil && pn.Props["guest"] == true {
		b.finding("azure.authorization.guest-privileged-role", a.ID, role.RoleName+" assigned to guest "+pn.Name+" at "+a.Scope)
	}
}

// scopeDepth is 0 for the root and management groups, 1 for a
// subscription, 2 for a resource group, 3 for a resource.
func scopeDepth(scope string) int {
	switch {
	case scope == "/" || strings.HasPrefix(scope, "/providers/microsoft.management/"):
		return 0
	case inventory.ResourceGroupOf(scope) == "":
		return 1
	case strings.Contains(scope, "/providers/"):
		return 3
	}
	return 2
}

// rbacPrivileged reports whether a role can change access or run code
// everywhere: Owner, Contributor, User Access Administrator, or any role
// that grants role assignment writes or every action.
func rbacPrivileged(d *inventory.RoleDefinition) bool {
	for i := range d.Permissions {
		p := &d.Permissions[i]
		if rbac.Grants(p, "Microsoft.Authorization/roleAssignments/write", false) || rbac.Grants(p, "Microsoft.Compute/virtualMachines/runCommand/action", false) {
			return true
		}
	}
	return false
}

// customRole adds a custom role definition as a Role node and flags
// custom roles that grant every action.
func (b *builder) customRole(d *inventory.RoleDefinition) {
	key := tenantKey
	for _, s := range d.AssignableScopes {
		if k := b.scopeKey(s); k != tenantKey {
			key = k
			break
		}
	}
	acct := key
	if key == tenantKey {
		acct = "tenant-" + b.tenant
	}
	id := d.ID
	if id == "" {
		id = "/providers/microsoft.authorization/roledefinitions/" + d.Name
	}
	b.own(key, graph.Node{ID: id, Kind: graph.KindRole, NativeType: "Microsoft.Authorization/roleDefinitions", Name: d.RoleName,
		Account: acct, Region: "global", Service: inventory.AreaAuthorization, Props: graph.Props{"custom": true, "assignable_scopes": d.AssignableScopes}})
	for _, p := range d.Permissions {
		for _, a := range p.Actions {
			if a == "*" {
				b.finding("azure.authorization.custom-owner-role", id, "custom role "+d.RoleName+" grants actions '*' at "+strings.Join(d.AssignableScopes, ", "))
			}
		}
	}
}
