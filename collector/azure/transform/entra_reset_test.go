package transform

import (
	"testing"

	"github.com/breachpath/breachpath/collector/azure/inventory"
	"github.com/breachpath/breachpath/graph"
)

// TestPasswordResetFollowsMicrosoftsHierarchy checks the reset move against
// rows of Microsoft's "Who can reset passwords" table: the resetter's role
// against the roles its target holds, and what protects a target (a
// role-assignable group, guests, a unit the role does not cover).
func TestPasswordResetFollowsMicrosoftsHierarchy(t *testing.T) {
	const (
		admin  = "aaaaaaaa-0000-4000-8000-000000000001"
		target = "aaaaaaaa-0000-4000-8000-000000000002"
		group  = "bbbbbbbb-0000-4000-8000-000000000001"
		au     = "cccccccc-0000-4000-8000-000000000001"
		sp     = "dddddddd-0000-4000-8000-000000000001"
	)
	cases := []struct {
		name        string
		resetter    string
		scope       string
		targetRoles []string
		inRoleGroup bool
		guest       bool
		auMember    bool
		restricted  bool
		want        bool
	}{
		{name: "Helpdesk Administrator resets a user with no admin role", resetter: dirHelpdeskAdmin, want: true},
		{name: "Helpdesk Administrator resets another Helpdesk Administrator", resetter: dirHelpdeskAdmin, targetRoles: []string{dirHelpdeskAdmin}, want: true},
		{name: "Helpdesk Administrator may not reset an Authentication Administrator", resetter: dirHelpdeskAdmin, targetRoles: []string{dirAuthAdmin}},
		{name: "Helpdesk Administrator may not reset an Application Administrator", resetter: dirHelpdeskAdmin, targetRoles: []string{dirApplicationAdmin}},
		{name: "Password Administrator may not reset a Helpdesk Administrator", resetter: dirPasswordAdmin, targetRoles: []string{dirHelpdeskAdmin}},
		{name: "Password Administrator resets a Directory Reader", resetter: dirPasswordAdmin, targetRoles: []string{dirDirectoryReaders}, want: true},
		{name: "Authentication Administrator resets another Authentication Administrator", resetter: dirAuthAdmin, targetRoles: []string{dirAuthAdmin}, want: true},
		{name: "Authentication Administrator may not reset a Helpdesk Administrator", resetter: dirAuthAdmin, targetRoles: []string{dirHelpdeskAdmin}},
		{name: "User Administrator resets a Groups Administrator", resetter: dirUserAdmin, targetRoles: []string{dirGroupsAdmin}, want: true},
		{name: "User Administrator may not reset an Authentication Administrator", resetter: dirUserAdmin, targetRoles: []string{dirAuthAdmin}},
		{name: "User Administrator may not reset a Global Administrator", resetter: dirUserAdmin, targetRoles: []string{dirGlobalAdmin}},
		{name: "Privileged Authentication Administrator resets a Global Administrator", resetter: dirPrivilegedAuthAdmin, targetRoles: []string{dirGlobalAdmin}, want: true},
		{name: "Partner Tier2 Support resets a Global Administrator", resetter: dirPartnerTier2, targetRoles: []string{dirGlobalAdmin}, want: true},
		{name: "Partner Tier1 Support resets a user with no admin role", resetter: dirPartnerTier1, want: true},
		{name: "Partner Tier1 Support may not reset a Directory Reader", resetter: dirPartnerTier1, targetRoles: []string{dirDirectoryReaders}},
		{name: "a member of a role-assignable group is out of a User Administrator's reach", resetter: dirUserAdmin, inRoleGroup: true},
		{name: "a member of a role-assignable group is in a Privileged Authentication Administrator's reach", resetter: dirPrivilegedAuthAdmin, inRoleGroup: true, want: true},
		{name: "guests are never reset here", resetter: dirPrivilegedAuthAdmin, guest: true},
		{name: "a unit-scoped Helpdesk Administrator resets the unit's members", resetter: dirHelpdeskAdmin, scope: "/administrativeUnits/" + au, auMember: true, want: true},
		{name: "a unit-scoped Helpdesk Administrator does not reset others", resetter: dirHelpdeskAdmin, scope: "/administrativeUnits/" + au},
		{name: "a restricted unit's member is out of a tenant-wide role's reach", resetter: dirHelpdeskAdmin, auMember: true, restricted: true},
		{name: "a restricted unit's member is in reach of a role scoped to the unit", resetter: dirHelpdeskAdmin, scope: "/administrativeUnits/" + au, auMember: true, restricted: true, want: true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			inv := tenantOf(t)
			inv.MarkRead("", inventory.AreaEntra)
			e := &inv.Entra
			userType := "Member"
			if c.guest {
				userType = "Guest"
			}
			e.Users = []inventory.User{{ID: admin, UserPrincipalName: "admin@x.example"}, {ID: target, UserPrincipalName: "target@x.example", UserType: userType}}
			// The target owns a privileged service principal: worth a reset.
			e.ServicePrincipals = []inventory.ServicePrincipal{{ID: sp, AppID: sp, DisplayName: "deploy", Owners: []string{target}}}
			e.RoleAssignments = []inventory.DirectoryRoleAssignment{{ID: "r0", PrincipalID: sp, RoleDefinitionID: dirPrivilegedRoleAdmin, DirectoryScopeID: "/"},
				{ID: "r1", PrincipalID: admin, RoleDefinitionID: c.resetter, DirectoryScopeID: c.scope}}
			for i, r := range c.targetRoles {
				e.RoleAssignments = append(e.RoleAssignments, inventory.DirectoryRoleAssignment{ID: "t" + string(rune('a'+i)), PrincipalID: target, RoleDefinitionID: r, DirectoryScopeID: "/"})
			}
			if c.inRoleGroup {
				e.Groups = []inventory.Group{{ID: group, IsAssignableToRole: true, Members: []string{target}}}
			}
			e.AdministrativeUnitsRead = true
			unit := inventory.AdministrativeUnit{ID: au, Restricted: c.restricted}
			if c.auMember {
				unit.Members = []string{target}
			}
			e.AdministrativeUnits = []inventory.AdministrativeUnit{unit}
			edges := edgesOf(t, inv)
			_, got := edges["/tenants/tenant-a/users/"+admin+" "+string(graph.EdgeEscalatesTo)+" /tenants/tenant-a/users/"+target+" "+TechPasswordReset]
			if got != c.want {
				t.Fatalf("reset move = %v, want %v", got, c.want)
			}
		})
	}
}
