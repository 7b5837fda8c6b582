package fetch

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"

	"github.com/breachpath/breachpath/collector/azure/inventory"
)

// entra reads the directory through Microsoft Graph v1.0 REST (paged
// collections, $select of the fields used). Any failed read fails the
// tenant's "entra" area as a whole: a directory read in part would drop
// memberships and owners the store still holds.
func (c *collector) entra(ctx context.Context) {
	if c.opts.SkipEntra {
		c.mu.Lock()
		c.inv.MarkFailed("", inventory.AreaEntra, fmt.Errorf("skipped (--skip-entra)"))
		c.mu.Unlock()
		return
	}
	e, err := c.readEntra(ctx)
	c.mu.Lock()
	defer c.mu.Unlock()
	if err != nil {
		c.inv.MarkFailed("", inventory.AreaEntra, fmt.Errorf("microsoft graph: %w", err))
		c.log.Warn("azure area failed", "area", inventory.AreaEntra, "err", err)
		return
	}
	c.inv.Entra = *e
	c.inv.MarkRead("", inventory.AreaEntra)
}

func (c *collector) readEntra(ctx context.Context) (*inventory.Entra, error) {
	e := &inventory.Entra{RoleNames: map[string]string{}}
	lower := strings.ToLower
	userFields := "id,displayName,userPrincipalName,userType,accountEnabled,createdDateTime"
	readUsers := func(fields string) error {
		e.Users = nil
		return c.graphList(ctx, "/v1.0/users?$select="+fields+"&$top=999", func(raw json.RawMessage) error {
			u, err := inventory.UserFromGraph(raw)
			e.Users = append(e.Users, u)
			return err
		})
	}
	// Sign-in activity needs AuditLog.Read.All and a P1 licence; without
	// them Graph refuses the whole request, so ask again without it.
	e.SignInRead = true
	if err := readUsers(userFields + ",signInActivity"); err != nil {
		e.SignInRead = false
		if st := statusOf(err); st != http.StatusForbidden && st != http.StatusBadRequest {
			return nil, fmt.Errorf("users: %w", err)
		}
		c.inv.Warn("entra: users' sign-in activity unreadable (%v); dormant users are not reported", err)
		if err := readUsers(userFields); err != nil {
			return nil, fmt.Errorf("users: %w", err)
		}
	}
	if err := c.graphList(ctx, "/v1.0/groups?$select=id,displayName,securityEnabled,isAssignableToRole&$top=999", func(raw json.RawMessage) error {
		var g inventory.Group
		if err := json.Unmarshal(raw, &g); err != nil {
			return err
		}
		g.ID = lower(g.ID)
		e.Groups = append(e.Groups, g)
		return nil
	}); err != nil {
		return nil, fmt.Errorf("groups: %w", err)
	}
	if err := forEach(ctx, c.opts.Concurrency, indexes(len(e.Groups)), func(ctx context.Context, i int) error {
		g := &e.Groups[i]
		var err error
		if g.Members, err = c.objectIDs(ctx, "/v1.0/groups/"+escape(g.ID)+"/members?$select=id&$top=999"); err != nil {
			return fmt.Errorf("group %s members: %w", g.ID, err)
		}
		if g.Owners, err = c.objectIDs(ctx, "/v1.0/groups/"+escape(g.ID)+"/owners?$select=id&$top=999"); err != nil {
			return fmt.Errorf("group %s owners: %w", g.ID, err)
		}
		return nil
	}); err != nil {
		return nil, err
	}
	if err := c.graphList(ctx, "/v1.0/servicePrincipals?$select=id,appId,displayName,servicePrincipalType,appOwnerOrganizationId,alternativeNames,accountEnabled,passwordCredentials,keyCredentials&$top=999", func(raw json.RawMessage) error {
		sp, err := inventory.ServicePrincipalFromGraph(raw)
		e.ServicePrincipals = append(e.ServicePrincipals, sp)
		return err
	}); err != nil {
		return nil, fmt.Errorf("service principals: %w", err)
	}
	// Owners only of the tenant's own service principals: Microsoft's
	// first-party ones (thousands) have none the tenant controls.
	if err := forEach(ctx, c.opts.Concurrency, indexes(len(e.ServicePrincipals)), func(ctx context.Context, i int) error {
		sp := &e.ServicePrincipals[i]
		if !strings.EqualFold(sp.AppOwnerOrganization, c.inv.TenantID) || sp.ManagedIdentityResource() != "" {
			return nil
		}
		var err error
		sp.Owners, err = c.objectIDs(ctx, "/v1.0/servicePrincipals/"+escape(sp.ID)+"/owners?$select=id&$top=999")
		return err
	}); err != nil {
		return nil, fmt.Errorf("service principal owners: %w", err)
	}
	c.servicePrincipalSignIns(ctx, e)
	if err := c.graphList(ctx, "/v1.0/applications?$select=id,appId,displayName,passwordCredentials,keyCredentials&$top=999", func(raw json.RawMessage) error {
		a, err := inventory.ApplicationFromGraph(raw)
		e.Applications = append(e.Applications, a)
		return err
	}); err != nil {
		return nil, fmt.Errorf("applications: %w", err)
	}
	if err := forEach(ctx, c.opts.Concurrency, indexes(len(e.Applications)), func(ctx context.Context, i int) error {
		a := &e.Applications[i]
		var err error
		a.Owners, err = c.objectIDs(ctx, "/v1.0/applications/"+escape(a.ID)+"/owners?$select=id&$top=999")
		return err
	}); err != nil {
		return nil, fmt.Errorf("application owners: %w", err)
	}
	if err := c.graphList(ctx, "/v1.0/roleManagement/directory/roleDefinitions?$select=id,displayName,templateId", func(raw json.RawMessage) error {
		var d struct {
			ID          string `json:"id"`
			DisplayName string `json:"displayName"`
			TemplateID  string `json:"templateId"`
		}
		if err := json.Unmarshal(raw, &d); err != nil {
			return err
		}
		e.RoleNames[lower(firstNonEmpty(d.TemplateID, d.ID))] = d.DisplayName
		return nil
	}); err != nil {
		return nil, fmt.Errorf("directory role definitions: %w", err)
	}
	if err := c.graphList(ctx, "/v1.0/roleManagement/directory/roleAssignments", func(raw json.RawMessage) error {
		var a inventory.DirectoryRoleAssignment
		if err := json.Unmarshal(raw, &a); err != nil {
			return err
		}
		a.ID, a.PrincipalID, a.RoleDefinitionID = lower(a.ID), lower(a.PrincipalID), lower(a.RoleDefinitionID)
		e.RoleAssignments = append(e.RoleAssignments, a)
		return nil
	}); err != nil {
		return nil, fmt.Errorf("directory role assignments: %w", err)
	}
	if err := c.graphList(ctx, "/v1.0/roleManagement/directory/roleEligibilityScheduleInstances", func(raw json.RawMessage) error {
		var a inventory.DirectoryRoleAssignment
		if err := json.Unmarshal(raw, &a); err != nil {
			return err
		}
		a.ID, a.PrincipalID, a.RoleDefinitionID, a.Eligible = lower(a.ID), lower(a.PrincipalID), lower(a.RoleDefinitionID), true
		e.RoleAssignments = append(e.RoleAssignments, a)
		return nil
	}); err != nil {
		c.inv.Warn("entra: PIM-eligible directory roles unreadable: %v", err)
	}
	c.administrativeUnits(ctx, e)
	for _, sp := range e.ServicePrincipals {
		if sp.AppID != inventory.MicrosoftGraphAppID {
			continue
		}
		if err := c.graphList(ctx, "/v1.0/servicePrincipals/"+escape(sp.ID)+"/appRoleAssignedTo?$top=999", func(raw json.RawMessage) error {
			var a inventory.AppRoleAssignment
			if err := json.Unmarshal(raw, &a); err != nil {
				return err
			}
			a.ID, a.PrincipalID, a.ResourceID, a.AppRoleID = lower(a.ID), lower(a.PrincipalID), lower(a.ResourceID), lower(a.AppRoleID)
			e.AppRoleAssignments = append(e.AppRoleAssignments, a)
			return nil
		}); err != nil {
			return nil, fmt.Errorf("microsoft graph app role assignments: %w", err)
		}
	}
	return e, nil
}

// objectIDs lists the ids of a directory object collection.
func (c *collector) objectIDs(ctx context.Context, path string) ([]string, error) {
	var out []string
	err := c.graphList(ctx, path, func(raw json.RawMessage) error {
		var o struct {
			ID string `json:"id"`
		}
		if err := json.Unmarshal(raw, &o); err != nil {
			return err
		}
		out = append(out, strings.ToLower(o.ID))
		return nil
	})
	return out, err
}

func indexes(n int) []int {
	out := make([]int, n)
	for i := range out {
		out[i] = i
	}
	return out
}

func firstNonEmpty(v ...string) string {
	for _, s := range v {
		if s != "" {
			return s
		}
	}
	return ""
}

// servicePrincipalSignIns reads Microsoft Graph's (beta)
// reports/servicePrincipalSignInActivities onto the service principals by
// application id. It needs AuditLog.Read.All (and an Entra ID P1 licence);
// without it, or on any other failure, service principals' dormancy stays
// unknown: the directory itself is still read.
func (c *collector) servicePrincipalSignIns(ctx context.Context, e *inventory.Entra) {
	byApp := map[string]inventory.ServicePrincipalSignIn{}
	err := c.graphList(ctx, "/beta/reports/servicePrincipalSignInActivities", func(raw json.RawMessage) error {
		a, err := inventory.ServicePrincipalSignInFromGraph(raw)
		if err != nil {
			return err
		}
		byApp[a.AppID] = a
		return nil
	})
	if err != nil {
		why := "the read failed"
		if st := statusOf(err); st == http.StatusForbidden || st == http.StatusUnauthorized {
			why = "Microsoft Graph AuditLog.Read.All and an Entra ID P1 licence are needed"
		}
		c.inv.Warn("entra: service principals' sign-in activity unreadable (%s: %v); dormant service principals and managed identities are not reported", why, err)
		return
	}
	for i := range e.ServicePrincipals {
		sp := &e.ServicePrincipals[i]
		if a, ok := byApp[sp.AppID]; ok {
			sp.LastSignIn, sp.LastClientSignIn = a.Last, a.LastClient
		}
	}
	e.ServicePrincipalSignInRead = true
}

// administrativeUnits reads the directory's administrative units and their
// direct members (AdministrativeUnit.Read.All, part of Directory.Read.All).
// A failure leaves them unread: directory roles scoped to a unit then grant
// nothing in the graph (unresolved), and the rest of the directory stands.
func (c *collector) administrativeUnits(ctx context.Context, e *inventory.Entra) {
	var aus []inventory.AdministrativeUnit
	err := c.graphList(ctx, "/v1.0/directory/administrativeUnits?$select=id,displayName,isMemberManagementRestricted&$top=999", func(raw json.RawMessage) error {
		var au inventory.AdministrativeUnit
		if err := json.Unmarshal(raw, &au); err != nil {
			return err
		}
		au.ID = strings.ToLower(au.ID)
		aus = append(aus, au)
		return nil
	})
	if err == nil {
		err = forEach(ctx, c.opts.Concurrency, indexes(len(aus)), func(ctx context.Context, i int) error {
			var err error
			aus[i].Members, err = c.objectIDs(ctx, "/v1.0/directory/administrativeUnits/"+escape(aus[i].ID)+"/members?$select=id&$top=999")
			if err != nil {
				return fmt.Errorf("administrative unit %s members: %w", aus[i].ID, err)
			}
			return nil
		})
	}
	if err != nil {
		c.inv.Warn("entra: administrative units unreadable (%v); directory roles scoped to an administrative unit are left unresolved", err)
		return
	}
	e.AdministrativeUnits, e.AdministrativeUnitsRead = aus, true
}
