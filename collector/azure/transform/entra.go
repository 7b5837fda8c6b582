package transform

import (
	"strings"

	"github.com/breachpath/breachpath/collector/azure/inventory"
	"github.com/breachpath/breachpath/graph"
)

// Microsoft Graph application permissions (app role ids) that escalate.
const (
	appRoleRoleManagementRW = "9e3f62cf-ca93-4989-b6ce-bf83c28f9fe8" // RoleManagement.ReadWrite.Directory
	appRoleAppRoleAssignRW  = "06b708a9-e830-4db3-a914-8e69da51d44f" // AppRoleAssignment.ReadWrite.All
	appRoleApplicationRW    = "1bfefb4e-e0b5-418b-a88f-73c46d2cc8e9" // Application.ReadWrite.All
	appRoleGroupMemberRW    = "dbaae8cf-10b5-4b86-a4a1-f871c94c6695" // GroupMember.ReadWrite.All
	appRoleGroupRW          = "62a82d76-70ea-41e2-9197-370581804d09" // Group.ReadWrite.All
	appRoleDirectoryRW      = "19dbc75e-c2e2-444c-a770-ec69d8559fc7" // Directory.ReadWrite.All
)

// Directory role template ids that escalate.
const (
	dirGlobalAdmin           = "62e90394-69f5-4237-9190-012177145e10"
	dirPrivilegedRoleAdmin   = "e8611ab8-c189-46e8-94e1-60213ab1f814"
	dirPrivilegedAuthAdmin   = "7be44c8a-adaf-4e2a-84d6-ab2649e08a13"
	dirApplicationAdmin      = "9b895d92-2cd3-44c7-9d02-a6ac2d5ea5c3"
	dirCloudApplicationAdmin = "158c047a-c907-4556-b7ef-446551a6b5f7"
	dirGroupsAdmin           = "fdd7a751-b60b-444a-984c-02652fe8fa1c"
	dirUserAdmin             = "fe930be7-5e62-47db-91af-98c3a49a38b1"
)

var appRoleNames = map[string]string{
	appRoleRoleManagementRW: "RoleManagement.ReadWrite.Directory", appRoleAppRoleAssignRW: "AppRoleAssignment.ReadWrite.All",
	appRoleApplicationRW: "Application.ReadWrite.All", appRoleGroupMemberRW: "GroupMember.ReadWrite.All",
	appRoleGroupRW: "Group.ReadWrite.All", appRoleDirectoryRW: "Directory.ReadWrite.All",
}

var dirRoleNames = map[string]string{
	dirGlobalAdmin: "Global Administrator", dirPrivilegedRoleAdmin: "Privileged Role Administrator",
	dirPrivilegedAuthAdmin: "Privileged Authentication Administrator", dirApplicationAdmin: "Application Administrator",
	dirCloudApplicationAdmin: "Cloud Application Administrator", dirGroupsAdmin: "Groups Administrator", dirUserAdmin: "User Administrator",
}

// tenantAdminID is the crown-jewel node standing for control of the
// directory (Global Administrator or equivalent).
func (b *builder) tenantAdminID() string { return TenantNodeID(b.tenant) + "/administrator" }

// entraMoves draws the directory's escalations: group membership changes,
// credential addition to service principals by owners and application
// administrators, directory role management, and the elevation of a
// Global Administrator to User Access Administrator at the root scope.
func (b *builder) entraMoves() {
	e := &b.inv.Entra
	if len(e.Users)+len(e.Groups)+len(e.ServicePrincipals) == 0 && len(e.RoleAssignments)+len(e.AppRoleAssignments) == 0 {
		return
	}
	// Who holds which escalating capability.
	type capab struct {
		why []string
	}
	caps := map[string]map[string]*capab{} // principal node -> capability -> why
	grant := func(oid, capName, why string) {
		pid := b.principal(oid, "")
		if caps[pid] == nil {
			caps[pid] = map[string]*capab{}
		}
		if caps[pid][capName] == nil {
			caps[pid][capName] = &capab{}
		}
		caps[pid][capName].why = append(caps[pid][capName].why, why)
	}
	graphSP := ""
	for _, sp := range e.ServicePrincipals {
		if strings.EqualFold(sp.AppID, inventory.MicrosoftGraphAppID) {
			graphSP = strings.ToLower(sp.ID)
		}
	}
	for _, a := range e.AppRoleAssignments {
		if graphSP != "" && !strings.EqualFold(a.ResourceID, graphSP) {
			continue
		}
		name := appRoleNames[strings.ToLower(a.AppRoleID)]
		switch strings.ToLower(a.AppRoleID) {
		case appRoleRoleManagementRW, appRoleAppRoleAssignRW:
			grant(a.PrincipalID, "tenant", "Microsoft Graph application permission "+name)
		case appRoleApplicationRW:
			grant(a.PrincipalID, "apps", "Microsoft Graph application permission "+name)
		case appRoleGroupMemberRW, appRoleGroupRW, appRoleDirectoryRW:
			grant(a.PrincipalID, "groups", "Microsoft Graph application permission "+name)
		}
	}
	for _, a := range e.RoleAssignments {
		tid := strings.ToLower(a.RoleDefinitionID)
		name := firstNonEmpty(dirRoleNames[tid], e.RoleNames[tid], tid)
		why := "directory role " + name
		if a.Eligible {
			why += " (PIM-eligible)"
		}
		switch tid {
		case dirGlobalAdmin, dirPrivilegedRoleAdmin, dirPrivilegedAuthAdmin:
			grant(a.PrincipalID, "tenant", why)
		case dirApplicationAdmin, dirCloudApplicationAdmin:
			grant(a.PrincipalID, "apps", why)
		case dirGroupsAdmin, dirUserAdmin:
			grant(a.PrincipalID, "groups", why)
		}
	}
	// Privileged principals: worth taking over.
	privileged := map[string]bool{}
	for _, a := range b.inv.RoleAssignments {
		privileged[b.principal(a.PrincipalID, a.PrincipalType)] = true
	}
	for pid := range caps {
		privileged[pid] = true
	}
	hasTenant := false
	for _, m := range caps {
		hasTenant = hasTenant || m["tenant"] != nil
	}
	if hasTenant {
		admin := b.own(tenantKey, graph.Node{ID: b.tenantAdminID(), Kind: graph.KindRole, NativeType: "Microsoft.Graph/directoryRoles",
			Name: "Global Administrator of tenant " + b.tenant, Account: "tenant-" + b.tenant, Region: "global", Service: inventory.AreaEntra, CrownJewel: true})
		for _, s := range b.inv.Subscriptions {
			sa := b.adminNode("/subscriptions/" + s.ID)
			b.move(graph.Edge{From: admin.ID, To: sa, Kind: graph.EdgeEscalatesTo, Technique: TechGlobalAdminElevation, Likelihood: 0.9,
				Evidence: []string{"a Global Administrator can elevate itself to User Access Administrator at the root scope (elevateAccess) and own subscription " + s.ID}})
		}
		b.adminMoves()
	}
	for _, pid := range sortedKeys(caps) {
		for capName, c := range caps[pid] {
			ev := []string{strings.Join(union(nil, c.why), "; ")}
			switch capName {
			case "tenant":
				tech := TechRoleManagement
				if strings.Contains(ev[0], "AppRoleAssignment") {
					tech = TechAppRoleGrant
				}
				b.edge(tenantKey, graph.Edge{From: pid, To: b.tenantAdminID(), Kind: graph.EdgeEscalatesTo, Technique: tech, Likelihood: 0.9, Evidence: ev})
			case "apps":
				for _, sp := range e.ServicePrincipals {
					t := b.principal(sp.ID, "ServicePrincipal")
					if t != pid && privileged[t] && sp.ManagedIdentityResource() == "" {
						b.edge(tenantKey, graph.Edge{From: pid, To: t, Kind: graph.EdgeEscalatesTo, Technique: TechAppAdminCredential, Likelihood: 0.85,
							Evidence: append(ev, "can add a client secret to "+firstNonEmpty(sp.DisplayName, sp.ID)+" and sign in as it")})
					}
				}
			case "groups":
				for _, g := range e.Groups {
					t := b.principal(g.ID, "Group")
					if privileged[t] && !g.IsAssignableToRole {
						b.edge(tenantKey, graph.Edge{From: pid, To: t, Kind: graph.EdgeEscalatesTo, Technique: TechGroupMemberWrite, Likelihood: 0.85,
							Evidence: append(ev, "can add itself to group "+firstNonEmpty(g.DisplayName, g.ID))})
					}
				}
			}
		}
	}
	// Multi-tenant applications owned by another organisation: whoever holds
	// their credentials there signs in here as the service principal.
	for _, sp := range e.ServicePrincipals {
		t := b.principal(sp.ID, "ServicePrincipal")
		owner := strings.ToLower(sp.AppOwnerOrganization)
		if owner == "" || owner == b.tenant || !privileged[t] || sp.ManagedIdentityResource() != "" {
			continue
		}
		ext := "/tenants/" + owner
		b.own(tenantKey, graph.Node{ID: ext, Kind: graph.KindExternalPrincipal, NativeType: "Microsoft.Graph/organization",
			Name: "external tenant " + owner, Account: "tenant-" + b.tenant, Region: "global", Service: inventory.AreaEntra,
			Props: graph.Props{"external_tenant": true}})
		b.edge(tenantKey, graph.Edge{From: ext, To: t, Kind: graph.EdgeAuthenticates, Technique: TechForeignApp, Likelihood: 0.5,
			Evidence: []string{"service principal " + firstNonEmpty(sp.DisplayName, sp.ID) + " is a multi-tenant application registered in tenant " +
				owner + ": its credentials live outside this tenant"}})
	}
	// Owners.
	for _, g := range e.Groups {
		t := b.principal(g.ID, "Group")
		for _, o := range g.Owners {
			b.edge(tenantKey, graph.Edge{From: b.principal(o, ""), To: t, Kind: graph.EdgeEscalatesTo, Technique: TechGroupOwner, Likelihood: 0.9,
				Evidence: []string{"owner of group " + firstNonEmpty(g.DisplayName, g.ID) + " can add members"}})
		}
	}
	spByApp := map[string]string{}
	for _, sp := range e.ServicePrincipals {
		spByApp[strings.ToLower(sp.AppID)] = sp.ID
		t := b.principal(sp.ID, "ServicePrincipal")
		for _, o := range sp.Owners {
			b.edge(tenantKey, graph.Edge{From: b.principal(o, ""), To: t, Kind: graph.EdgeEscalatesTo, Technique: TechOwnerAddCredential, Likelihood: 0.85,
				Evidence: []string{"owner of service principal " + firstNonEmpty(sp.DisplayName, sp.ID) + " can add a credential to it"}})
		}
	}
	for _, app := range e.Applications {
		spID, ok := spByApp[strings.ToLower(app.AppID)]
		if !ok {
			continue
		}
		t := b.principal(spID, "ServicePrincipal")
		for _, o := range app.Owners {
			b.edge(tenantKey, graph.Edge{From: b.principal(o, ""), To: t, Kind: graph.EdgeEscalatesTo, Technique: TechOwnerAddCredential, Likelihood: 0.85,
				Evidence: []string{"owner of application " + firstNonEmpty(app.DisplayName, app.AppID) + " can add a client secret and sign in as its service principal"}})
		}
	}
}
