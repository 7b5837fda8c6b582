package transform

import (
	"strings"

	"github.com/breachpath/breachpath/collector/azure/inventory"
)

// Directory role template ids read by the password reset hierarchy
// (Microsoft Entra "Who can reset passwords").
const (
	dirAuthAdmin          = "c4e39bd9-1100-46d3-8c65-fb160da0071f"
	dirHelpdeskAdmin      = "729827e3-9c14-49f7-bb1b-9608f156bbb8"
	dirPasswordAdmin      = "966707d0-3269-4727-9be2-8c3a10f19b9d"
	dirDirectoryReaders   = "88d8e3e3-8f55-4a1e-953a-9b9898b8876b"
	dirGuestInviter       = "95e79109-95c0-4d8e-aee3-d01accf2d47b"
	dirMessageCenterRead  = "790c1fb9-7f7d-4f88-86a1-ef1f95c05c1b"
	dirReportsReader      = "4a5d8f65-41da-4de4-8968-e035b65339cf"
	dirUsageSummaryReader = "75934031-6c7e-415a-99d7-48dbd49e875e"
	dirUXSuccessManager   = "27460883-1df1-4691-b032-3b79643e5e63"
	// The deprecated partner support roles: Tier2 resets everyone's
	// password (Global Administrators included), Tier1 non-administrators'.
	dirPartnerTier1 = "4ba39ca4-527c-499a-b93d-d9b492c50246"
	dirPartnerTier2 = "e00e864a-17c5-4a4b-9c06-f5b95a8d5bd8"
)

// dirScope is where a directory role assignment applies: the whole tenant
// ("/"), an administrative unit ("/administrativeUnits/<id>"), or one
// directory object ("/<object id>", an application for the application
// administrator roles).
type dirScope struct {
	kind string // tenant, au, object
	id   string
}

func parseDirScope(s string) dirScope {
	s = strings.ToLower(strings.TrimSpace(s))
	switch {
	case s == "" || s == "/":
		return dirScope{kind: "tenant"}
	case strings.HasPrefix(s, "/administrativeunits/"):
		return dirScope{kind: "au", id: strings.TrimPrefix(s, "/administrativeunits/")}
	}
	return dirScope{kind: "object", id: strings.TrimPrefix(s, "/")}
}

// dirGrant is one reason a principal holds a capability: a directory role
// assignment (at its scope) or a Microsoft Graph application permission
// (tenant-wide).
type dirGrant struct {
	why   string
	scope dirScope
	role  string // the directory role template id; "" for a Graph permission
}

// dirCap is what a principal may do with one capability, and why.
type dirCap struct {
	grants []dirGrant
	// graphPermission is set when a Microsoft Graph application
	// permission grants it; graphRoleGrant when that permission is
	// AppRoleAssignment.ReadWrite.All (it grants itself the rest).
	graphPermission, graphRoleGrant bool
}

func (c *dirCap) whys() []string {
	var out []string
	for _, g := range c.grants {
		out = union(out, []string{g.why})
	}
	return out
}

// whysFor returns the reasons whose scope passes in.
func (c *dirCap) whysFor(in func(dirScope) bool) []string {
	var out []string
	for _, g := range c.grants {
		if in(g.scope) {
			out = union(out, []string{g.why})
		}
	}
	return out
}

// directory is the transform's view of the directory's delegated
// administration: who holds which capability at which scope, who is worth
// taking over, and what protects a user from a password reset.
type directory struct {
	e *inventory.Entra
	// caps maps a principal node to its capabilities (tenant, apps,
	// groups, reset) and their grants.
	caps map[string]map[string]*dirCap
	// privileged principals (nodes) are worth taking over: they hold
	// Azure role assignments or directory capabilities, own or belong to
	// something that does.
	privileged map[string]bool
	auMembers  map[string]map[string]bool
	// restrictedAUs lists, per object id, the restricted management units
	// it belongs to: only roles scoped to one of those units may change it.
	restrictedAUs map[string][]string
	// rolesHeld lists the directory role template ids each user holds,
	// directly or through a role-assignable group, active or eligible.
	rolesHeld map[string][]string
	// inRoleGroup marks users who are members or owners of a
	// role-assignable group (only Privileged Authentication and Global
	// Administrators may reset them).
	inRoleGroup map[string]bool
	// restrictedRole marks users holding a role scoped to a restricted
	// management unit.
	restrictedRole map[string]bool
	appObject      map[string]string // application object id -> app id
}

// directory builds the capabilities from directory role assignments and
// Microsoft Graph application permissions.
func (b *builder) directory() *directory {
	e := &b.inv.Entra
	d := &directory{e: e, caps: map[string]map[string]*dirCap{}, privileged: map[string]bool{}, auMembers: map[string]map[string]bool{},
		restrictedAUs: map[string][]string{}, rolesHeld: map[string][]string{}, inRoleGroup: map[string]bool{}, restrictedRole: map[string]bool{},
		appObject: map[string]string{}}
	for _, a := range e.Applications {
		d.appObject[strings.ToLower(a.ID)] = strings.ToLower(a.AppID)
	}
	for _, au := range e.AdministrativeUnits {
		id := strings.ToLower(au.ID)
		d.auMembers[id] = map[string]bool{}
		for _, m := range au.Members {
			m = strings.ToLower(m)
			d.auMembers[id][m] = true
			if au.Restricted {
				d.restrictedAUs[m] = append(d.restrictedAUs[m], id)
			}
		}
	}
	restricted := map[string]bool{}
	for _, au := range e.AdministrativeUnits {
		restricted[strings.ToLower(au.ID)] = au.Restricted
	}
	grant := func(oid, capName string, g dirGrant) *dirCap {
		pid := b.principal(oid, "")
		if d.caps[pid] == nil {
			d.caps[pid] = map[string]*dirCap{}
		}
		c := d.caps[pid][capName]
		if c == nil {
			c = &dirCap{}
			d.caps[pid][capName] = c
		}
		c.grants = append(c.grants, g)
		return c
	}
	graphSP := ""
	for _, sp := range e.ServicePrincipals {
		if strings.EqualFold(sp.AppID, inventory.MicrosoftGraphAppID) {
			graphSP = strings.ToLower(sp.ID)
		}
	}
	tenant := dirScope{kind: "tenant"}
	for _, a := range e.AppRoleAssignments {
		if graphSP != "" && !strings.EqualFold(a.ResourceID, graphSP) {
			continue
		}
		role := strings.ToLower(a.AppRoleID)
		g := dirGrant{why: "Microsoft Graph application permission " + appRoleNames[role], scope: tenant}
		switch role {
		case appRoleRoleManagementRW, appRoleAppRoleAssignRW:
			c := grant(a.PrincipalID, "tenant", g)
			c.graphPermission = true
			c.graphRoleGrant = c.graphRoleGrant || role == appRoleAppRoleAssignRW
		case appRoleApplicationRW:
			grant(a.PrincipalID, "apps", g).graphPermission = true
		case appRoleGroupMemberRW, appRoleGroupRW, appRoleDirectoryRW:
			grant(a.PrincipalID, "groups", g).graphPermission = true
		}
	}
	groups := map[string]*inventory.Group{}
	for i := range e.Groups {
		groups[strings.ToLower(e.Groups[i].ID)] = &e.Groups[i]
	}
	for _, a := range e.RoleAssignments {
		tid := strings.ToLower(a.RoleDefinitionID)
		name := firstNonEmpty(dirRoleNames[tid], e.RoleNames[tid], tid)
		s := parseDirScope(a.DirectoryScopeID)
		why := "directory role " + name
		switch s.kind {
		case "au":
			why += " over administrative unit " + s.id
		case "object":
			why += " scoped to object " + s.id
		}
		if a.Eligible {
			why += " (PIM-eligible)"
		}
		g := dirGrant{why: why, scope: s, role: tid}
		// Who holds the role: the principal, or every member of the
		// role-assignable group it is assigned to.
		holders := []string{strings.ToLower(a.PrincipalID)}
		if grp := groups[strings.ToLower(a.PrincipalID)]; grp != nil {
			holders = grp.Members
		}
		for _, h := range holders {
			d.rolesHeld[h] = union(d.rolesHeld[h], []string{tid})
			if s.kind == "au" && restricted[s.id] {
				d.restrictedRole[h] = true
			}
		}
		switch tid {
		case dirGlobalAdmin, dirPrivilegedRoleAdmin:
			// Tenant-wide only: neither role can be scoped lower.
			if s.kind == "tenant" {
				grant(a.PrincipalID, "tenant", g)
			}
		case dirPrivilegedAuthAdmin:
			if s.kind == "tenant" {
				grant(a.PrincipalID, "tenant", g)
			}
			grant(a.PrincipalID, "reset", g)
		case dirApplicationAdmin, dirCloudApplicationAdmin:
			if s.kind != "au" {
				grant(a.PrincipalID, "apps", g)
			}
		case dirGroupsAdmin:
			grant(a.PrincipalID, "groups", g)
		case dirUserAdmin:
			grant(a.PrincipalID, "groups", g)
			grant(a.PrincipalID, "reset", g)
		case dirAuthAdmin, dirHelpdeskAdmin, dirPasswordAdmin, dirPartnerTier1, dirPartnerTier2:
			grant(a.PrincipalID, "reset", g)
		}
	}
	for _, g := range e.Groups {
		if !g.IsAssignableToRole {
			continue
		}
		for _, m := range append(append([]string{}, g.Members...), g.Owners...) {
			d.inRoleGroup[strings.ToLower(m)] = true
		}
	}
	d.markPrivileged(b)
	return d
}

// markPrivileged finds the principals worth taking over: holders of Azure
// role assignments or directory capabilities, then, until nothing
// changes, owners of privileged applications, service principals and
// groups, and members of privileged groups.
func (d *directory) markPrivileged(b *builder) {
	for _, a := range b.inv.RoleAssignments {
		d.privileged[b.principal(a.PrincipalID, a.PrincipalType)] = true
	}
	for pid := range d.caps {
		d.privileged[pid] = true
	}
	spByApp := map[string]string{}
	for _, sp := range d.e.ServicePrincipals {
		spByApp[strings.ToLower(sp.AppID)] = b.principal(sp.ID, "ServicePrincipal")
	}
	type ctl struct{ from, to string }
	var controls []ctl
	for _, sp := range d.e.ServicePrincipals {
		for _, o := range sp.Owners {
			controls = append(controls, ctl{b.principal(o, ""), b.principal(sp.ID, "ServicePrincipal")})
		}
	}
	for _, app := range d.e.Applications {
		if t, ok := spByApp[strings.ToLower(app.AppID)]; ok {
			for _, o := range app.Owners {
				controls = append(controls, ctl{b.principal(o, ""), t})
			}
		}
	}
	for _, g := range d.e.Groups {
		t := b.principal(g.ID, "Group")
		for _, o := range append(append([]string{}, g.Owners...), g.Members...) {
			controls = append(controls, ctl{b.principal(o, ""), t})
		}
	}
	for changed := true; changed; {
		changed = false
		for _, c := range controls {
			if d.privileged[c.to] && !d.privileged[c.from] {
				d.privileged[c.from], changed = true, true
			}
		}
	}
}

// inReach reports whether a role at scope s may change object oid: a
// tenant-wide role unless the object is in a restricted management unit;
// a unit-scoped role for the unit's direct members (when units were read);
// an object-scoped role for that object.
func (d *directory) inReach(s dirScope, oid string) bool {
	oid = strings.ToLower(oid)
	restricted := d.restrictedAUs[oid]
	switch s.kind {
	case "tenant":
		return len(restricted) == 0
	case "au":
		return d.auMembers[s.id][oid]
	}
	return s.id == oid && len(restricted) == 0
}

// appInScope reports whether an application administrator role at scope s
// covers the service principal: tenant-wide, or scoped to the service
// principal or to its application object.
func (d *directory) appInScope(s dirScope, sp inventory.ServicePrincipal) bool {
	switch s.kind {
	case "tenant":
		return true
	case "object":
		return s.id == strings.ToLower(sp.ID) || (d.appObject[s.id] != "" && d.appObject[s.id] == strings.ToLower(sp.AppID))
	}
	return false
}
