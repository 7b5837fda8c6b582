package transform

import (
	"strings"

	"github.com/breachpath/breachpath/graph"
)

// TechPasswordReset is a directory administrator resetting a user's
// password (or authentication methods) and signing in as the user.
const TechPasswordReset = "azure.entra.password-reset"

// resettable lists, per resetting role, the directory roles a target may
// hold and still have its password reset by that role (Microsoft Entra,
// "Privileged roles and permissions", "Who can reset passwords"; roles
// assigned at tenant scope). A user holding any other role is protected
// from that resetter. The Privileged Authentication Administrator and the
// deprecated Partner Tier2 Support role reset everyone and are not listed; the Global Administrator is drawn as tenant
// control instead.
var resettable = map[string]map[string]bool{
	dirPasswordAdmin: set(dirDirectoryReaders, dirGuestInviter, dirPasswordAdmin),
	dirHelpdeskAdmin: set(dirDirectoryReaders, dirGuestInviter, dirHelpdeskAdmin, dirMessageCenterRead, dirPasswordAdmin, dirReportsReader,
		dirUXSuccessManager, dirUsageSummaryReader),
	dirAuthAdmin: set(dirAuthAdmin, dirDirectoryReaders, dirGuestInviter, dirMessageCenterRead, dirPasswordAdmin, dirReportsReader,
		dirUXSuccessManager, dirUsageSummaryReader),
	dirUserAdmin: set(dirDirectoryReaders, dirGroupsAdmin, dirGuestInviter, dirHelpdeskAdmin, dirMessageCenterRead, dirPasswordAdmin,
		dirReportsReader, dirUserAdmin, dirUXSuccessManager, dirUsageSummaryReader),
	dirPartnerTier1: {}, // non-administrators only
}

func set(v ...string) map[string]bool {
	m := make(map[string]bool, len(v))
	for _, s := range v {
		m[s] = true
	}
	return m
}

// canReset applies the reset hierarchy: whether a holder of role may reset
// the password of user oid, given the roles the user holds and what
// protects it (membership or ownership of a role-assignable group, a role
// scoped to a restricted management unit).
func (d *directory) canReset(role, oid string) bool {
	if role == dirPrivilegedAuthAdmin || role == dirPartnerTier2 {
		return true
	}
	allowed := resettable[role]
	if allowed == nil || d.inRoleGroup[oid] || d.restrictedRole[oid] {
		return false
	}
	for _, r := range d.rolesHeld[oid] {
		if !allowed[r] {
			return false
		}
	}
	return true
}

// passwordResets draws, for every holder of a resetting role, a move to
// each privileged member user it may reset at the role's scope. Guests
// are left out: their password lives in their home directory.
func (b *builder) passwordResets(d *directory) {
	for _, pid := range sortedKeys(d.caps) {
		c := d.caps[pid]["reset"]
		if c == nil {
			continue
		}
		for _, u := range d.e.Users {
			oid := strings.ToLower(u.ID)
			t := b.principal(oid, "User")
			if t == pid || !d.privileged[t] || strings.EqualFold(u.UserType, "Guest") {
				continue
			}
			var why []string
			for _, g := range c.grants {
				if d.inReach(g.scope, oid) && d.canReset(g.role, oid) {
					why = union(why, []string{g.why})
				}
			}
			if len(why) == 0 {
				continue
			}
			name := firstNonEmpty(u.UserPrincipalName, u.DisplayName, u.ID)
			f := b.finding("azure.entra.privesc-password-reset", t, short(pid)+" ("+strings.Join(why, "; ")+") can reset the password of "+name)
			b.edge(tenantKey, graph.Edge{From: pid, To: t, Kind: graph.EdgeEscalatesTo, Technique: TechPasswordReset, Likelihood: 0.75,
				Evidence: []string{strings.Join(why, "; "), "can reset the password of " + name + " and sign in as the user (MFA or Conditional Access may still stand in the way)"},
				Findings: nonEmpty(f)})
		}
	}
}

// nonEmpty returns the non-empty ids.
func nonEmpty(ids ...string) []string {
	var out []string
	for _, id := range ids {
		if id != "" {
			out = append(out, id)
		}
	}
	return out
}
