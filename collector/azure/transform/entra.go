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
// administrators, password resets by authentication and user
// administrators (entra_reset.go), directory role management, and the
// elevation of a Global Administrator to User Access Administrator at the
// root scope. Each directory role counts at its assignment's scope: the
// tenant, an administrative unit (its direct members) or one application.
func (b *builder) entraMoves() {
	e := &b.inv.Entra
	if len(e.Users)+len(e.Groups)+len(e.ServicePrincipals) == 0 && len(e.RoleAssignments)+len(e.AppRoleAssignments) == 0 {
		return
	}
	d := b.directory()
	caps := d.caps
	privileged := d.privileged
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
		for _, capName := range sortedKeys(caps[pid]) {
			c := caps[pid][capName]
			switch capName {
			case "tenant":
				tech := TechRoleManagement
				if c.graphRoleGrant {
					tech = TechAppRoleGrant
				}
				var fs []string
				if c.graphPermission {
					fs = append(fs, b.finding("azure.entra.privesc-graph-app-role", pid, strings.Join(c.whys(), "; ")))
				}
				b.edge(tenantKey, graph.Edge{From: pid, To: b.tenantAdminID(), Kind: graph.EdgeEscalatesTo, Technique: tech, Likelihood: 0.9,
					Evidence: []string{strings.Join(c.whys(), "; ")}, Findings: nonEmpty(fs...)})
			case "apps":
				for _, sp := range e.ServicePrincipals {
					t := b.principal(sp.ID, "ServicePrincipal")
					if t == pid || !privileged[t] || sp.ManagedIdentityResource() != "" {
						continue
					}
					why := c.whysFor(func(s dirScope) bool { return d.appInScope(s, sp) })
					if len(why) == 0 {
						continue
					}
					ev := []string{strings.Join(why, "; "), "can add a client secret to " + firstNonEmpty(sp.DisplayName, sp.ID) + " and sign in as it"}
					f := b.finding("azure.entra.privesc-app-credential", t, short(pid)+" ("+strings.Join(why, "; ")+") can add a credential")
					b.edge(tenantKey, graph.Edge{From: pid, To: t, Kind: graph.EdgeEscalatesTo, Technique: TechAppAdminCredential, Likelihood: 0.85,
						Evidence: ev, Findings: nonEmpty(f)})
				}
			case "groups":
				for _, g := range e.Groups {
					t := b.principal(g.ID, "Group")
					if !privileged[t] || g.IsAssignableToRole {
						continue
					}
					why := c.whysFor(func(s dirScope) bool { return d.inReach(s, g.ID) })
					if len(why) == 0 {
						continue
					}
					b.edge(tenantKey, graph.Edge{From: pid, To: t, Kind: graph.EdgeEscalatesTo, Technique: TechGroupMemberWrite, Likelihood: 0.85,
						Evidence: []string{strings.Join(why, "; "), "can add itself to group " + firstNonEmpty(g.DisplayName, g.ID)}})
				}
			}
		}
	}
	b.passwordResets(d)
	b.secretCredentials(d)
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
				Evidence: []string{"owner of service principal " + firstNonEmpty(sp.DisplayName, sp.ID) + " can add a credential to it"},
				Findings: b.ownerFinding(t, privileged, o)})
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
				Evidence: []string{"owner of application " + firstNonEmpty(app.DisplayName, app.AppID) + " can add a client secret and sign in as its service principal"},
				Findings: b.ownerFinding(t, privileged, o)})
		}
	}
}

// ownerFinding flags a privileged service principal whose owner can add a
// credential to it, and returns the finding's id for the move.
func (b *builder) ownerFinding(sp string, privileged map[string]bool, owner string) []string {
	if !privileged[sp] {
		return nil
	}
	return nonEmpty(b.finding("azure.entra.privesc-app-credential", sp, "owner "+short(b.principal(owner, ""))+" can add a credential"))
}
