package offline

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/breachpath/breachpath/collector/azure/inventory"
)

// azureHound reads the "data" array of an AzureHound output file: records
// of {"kind": "AZ...", "data": {...}}. ARM-shaped kinds go through
// Inventory.Add; directory kinds fill the Entra lists. Kinds the transform
// does not use are skipped and counted.
func (s *state) azureHound(data json.RawMessage) (int, error) {
	var recs []struct {
		Kind string          `json:"kind"`
		Data json.RawMessage `json:"data"`
	}
	if err := json.Unmarshal(data, &recs); err != nil {
		return 0, fmt.Errorf("azurehound data: %w", err)
	}
	s.areas[inventory.AreaEntra] = true
	e := &s.inv.Entra
	groups := map[string]int{}
	sps := map[string]int{}
	apps := map[string]int{}
	for i, r := range recs {
		if err := s.azureHoundRecord(r.Kind, r.Data, e, groups, sps, apps); err != nil {
			return 0, fmt.Errorf("azurehound record %d (%s): %w", i, r.Kind, err)
		}
	}
	return len(recs), nil
}

// armKinds are AzureHound kinds whose data is an ARM resource.
var armKinds = map[string]bool{
	"AZSubscription": true, "AZResourceGroup": true, "AZManagementGroup": true, "AZVM": true, "AZVMScaleSet": true,
	"AZKeyVault": true, "AZStorageAccount": true, "AZStorageContainer": true, "AZFunctionApp": true, "AZWebApp": true,
	"AZAutomationAccount": true, "AZContainerRegistry": true, "AZManagedCluster": true, "AZLogicApp": true,
}

func (s *state) azureHoundRecord(kind string, data json.RawMessage, e *inventory.Entra, groups, sps, apps map[string]int) error {
	lower := func(v string) string { return strings.ToLower(v) }
	switch {
	case kind == "AZTenant":
		var t struct {
			TenantID string `json:"tenantId"`
		}
		if err := json.Unmarshal(data, &t); err != nil {
			return err
		}
		if s.tenant == "" {
			s.tenant = t.TenantID
		}
	case armKinds[kind]:
		var t struct {
			ID       string `json:"id"`
			TenantID string `json:"tenantId"`
		}
		_ = json.Unmarshal(data, &t)
		if t.TenantID != "" && s.tenant == "" {
			s.tenant = t.TenantID
		}
		if kind == "AZSubscription" {
			var sub struct {
				SubscriptionID string `json:"subscriptionId"`
				DisplayName    string `json:"displayName"`
				TenantID       string `json:"tenantId"`
				State          string `json:"state"`
			}
			if err := json.Unmarshal(data, &sub); err != nil {
				return err
			}
			s.inv.AddSubscription(inventory.Subscription{ID: firstNonEmpty(sub.SubscriptionID, inventory.SubscriptionOf(t.ID)), DisplayName: sub.DisplayName, TenantID: sub.TenantID, State: sub.State})
			return nil
		}
		if kind == "AZManagementGroup" {
			var mg struct {
				Name       string `json:"name"`
				Properties struct {
					DisplayName string `json:"displayName"`
				} `json:"properties"`
			}
			if err := json.Unmarshal(data, &mg); err != nil {
				return err
			}
			s.inv.ManagementGroups = append(s.inv.ManagementGroups, inventory.ManagementGroup{Name: lower(mg.Name), DisplayName: mg.Properties.DisplayName})
			return nil
		}
		if t.ID == "" {
			return fmt.Errorf("no id")
		}
		if err := s.inv.Add(data); err != nil {
			return err
		}
		for _, a := range houndAreas {
			s.areas[a] = true
		}
	case strings.HasSuffix(kind, "RoleAssignment") && kind != "AZRoleAssignment" && kind != "AZAppRoleAssignment":
		// ARM role assignments on a resource: {"roleAssignments"|"assignees": [{"roleAssignment"|"assignee": <ARM>, ...}]}.
		var w struct {
			RoleAssignments []struct {
				RoleAssignment json.RawMessage `json:"roleAssignment"`
			} `json:"roleAssignments"`
			Assignees []struct {
				Assignee json.RawMessage `json:"assignee"`
			} `json:"assignees"`
		}
		if err := json.Unmarshal(data, &w); err != nil {
			return err
		}
		var raws []json.RawMessage
		for _, x := range w.RoleAssignments {
			raws = append(raws, x.RoleAssignment)
		}
		for _, x := range w.Assignees {
			raws = append(raws, x.Assignee)
		}
		for _, raw := range raws {
			a, err := inventory.UnmarshalRoleAssignment(raw)
			if err != nil {
				return err
			}
			if !hasAssignment(s.inv.RoleAssignments, a.ID) {
				s.inv.RoleAssignments = append(s.inv.RoleAssignments, a)
			}
		}
		s.areas[inventory.AreaAuthorization] = true
	case kind == "AZUser":
		u, err := inventory.UserFromGraph(data)
		if err != nil {
			return err
		}
		e.Users = append(e.Users, u)
	case kind == "AZGroup":
		var g struct {
			ID                 string `json:"id"`
			DisplayName        string `json:"displayName"`
			SecurityEnabled    bool   `json:"securityEnabled"`
			IsAssignableToRole bool   `json:"isAssignableToRole"`
		}
		if err := json.Unmarshal(data, &g); err != nil {
			return err
		}
		groupAt(e, groups, lower(g.ID)).DisplayName = g.DisplayName
		gp := groupAt(e, groups, lower(g.ID))
		gp.SecurityEnabled, gp.IsAssignableToRole = g.SecurityEnabled, g.IsAssignableToRole
	case kind == "AZGroupMember" || kind == "AZGroupOwner":
		var w struct {
			GroupID string `json:"groupId"`
			Members []struct {
				Member json.RawMessage `json:"member"`
			} `json:"members"`
			Owners []struct {
				Owner json.RawMessage `json:"owner"`
			} `json:"owners"`
		}
		if err := json.Unmarshal(data, &w); err != nil {
			return err
		}
		g := groupAt(e, groups, lower(w.GroupID))
		for _, m := range w.Members {
			g.Members = append(g.Members, objectID(m.Member))
		}
		for _, o := range w.Owners {
			g.Owners = append(g.Owners, objectID(o.Owner))
		}
	case kind == "AZServicePrincipal":
		sp, err := inventory.ServicePrincipalFromGraph(data)
		if err != nil {
			return err
		}
		p := spAt(e, sps, sp.ID)
		sp.Owners = p.Owners
		*p = sp
	case kind == "AZServicePrincipalOwner":
		var w struct {
			ServicePrincipalID string `json:"servicePrincipalId"`
			Owners             []struct {
				Owner json.RawMessage `json:"owner"`
			} `json:"owners"`
		}
		if err := json.Unmarshal(data, &w); err != nil {
			return err
		}
		p := spAt(e, sps, lower(w.ServicePrincipalID))
		for _, o := range w.Owners {
			p.Owners = append(p.Owners, objectID(o.Owner))
		}
	case kind == "AZApp":
		a, err := inventory.ApplicationFromGraph(data)
		if err != nil {
			return err
		}
		p := appAt(e, apps, a.ID)
		a.Owners = p.Owners
		*p = a
	case kind == "AZAppOwner":
		var w struct {
			AppID  string `json:"appId"`
			Owners []struct {
				Owner json.RawMessage `json:"owner"`
			} `json:"owners"`
		}
		if err := json.Unmarshal(data, &w); err != nil {
			return err
		}
		// AzureHound's appId here is the application's object id.
		p := appAt(e, apps, lower(w.AppID))
		for _, o := range w.Owners {
			p.Owners = append(p.Owners, objectID(o.Owner))
		}
	case kind == "AZRoleAssignment":
		var w struct {
			RoleDefinitionID string `json:"roleDefinitionId"`
			RoleAssignments  []struct {
				ID               string `json:"id"`
				PrincipalID      string `json:"principalId"`
				RoleDefinitionID string `json:"roleDefinitionId"`
				DirectoryScopeID string `json:"directoryScopeId"`
			} `json:"roleAssignments"`
		}
		if err := json.Unmarshal(data, &w); err != nil {
			return err
		}
		for _, a := range w.RoleAssignments {
			e.RoleAssignments = append(e.RoleAssignments, inventory.DirectoryRoleAssignment{ID: lower(a.ID), PrincipalID: lower(a.PrincipalID),
				RoleDefinitionID: lower(firstNonEmpty(a.RoleDefinitionID, w.RoleDefinitionID)), DirectoryScopeID: a.DirectoryScopeID})
		}
	case kind == "AZAppRoleAssignment":
		var a struct {
			ID          string `json:"id"`
			AppRoleID   string `json:"appRoleId"`
			PrincipalID string `json:"principalId"`
			ResourceID  string `json:"resourceId"`
		}
		if err := json.Unmarshal(data, &a); err != nil {
			return err
		}
		e.AppRoleAssignments = append(e.AppRoleAssignments, inventory.AppRoleAssignment{ID: lower(a.ID), PrincipalID: lower(a.PrincipalID),
			ResourceID: lower(a.ResourceID), AppRoleID: lower(a.AppRoleID)})
	case kind == "AZKeyVaultAccessPolicy":
		var ap struct {
			KeyVaultID string `json:"keyVaultId"`
			inventory.AccessPolicy
		}
		if err := json.Unmarshal(data, &ap); err != nil {
			return err
		}
		kv := s.inv.Get(ap.KeyVaultID)
		if kv == nil {
			return nil // the vault itself was not in the file
		}
		var props map[string]any
		_ = kv.Decode(&props)
		if props == nil {
			props = map[string]any{}
		}
		pols, _ := props["accessPolicies"].([]any)
		props["accessPolicies"] = append(pols, ap.AccessPolicy)
		raw, err := json.Marshal(props)
		if err != nil {
			return err
		}
		kv.Properties = raw
	}
	return nil
}

// houndAreas are the resource areas AzureHound reads.
var houndAreas = []string{inventory.AreaResources, inventory.AreaCompute, inventory.AreaKeyVault, inventory.AreaStorage, inventory.AreaWeb,
	inventory.AreaAutomation, inventory.AreaLogic, inventory.AreaContainerRegistry, inventory.AreaContainerService}

func hasAssignment(as []inventory.RoleAssignment, id string) bool {
	for _, a := range as {
		if a.ID == id {
			return true
		}
	}
	return false
}

func objectID(raw json.RawMessage) string {
	var o struct {
		ID string `json:"id"`
	}
	_ = json.Unmarshal(raw, &o)
	return strings.ToLower(o.ID)
}

func groupAt(e *inventory.Entra, idx map[string]int, id string) *inventory.Group {
	if i, ok := idx[id]; ok {
		return &e.Groups[i]
	}
	e.Groups = append(e.Groups, inventory.Group{ID: id})
	idx[id] = len(e.Groups) - 1
	return &e.Groups[len(e.Groups)-1]
}

func spAt(e *inventory.Entra, idx map[string]int, id string) *inventory.ServicePrincipal {
	if i, ok := idx[id]; ok {
		return &e.ServicePrincipals[i]
	}
	e.ServicePrincipals = append(e.ServicePrincipals, inventory.ServicePrincipal{ID: id})
	idx[id] = len(e.ServicePrincipals) - 1
	return &e.ServicePrincipals[len(e.ServicePrincipals)-1]
}

func appAt(e *inventory.Entra, idx map[string]int, id string) *inventory.Application {
	if i, ok := idx[id]; ok {
		return &e.Applications[i]
	}
	e.Applications = append(e.Applications, inventory.Application{ID: id})
	idx[id] = len(e.Applications) - 1
	return &e.Applications[len(e.Applications)-1]
}

func firstNonEmpty(v ...string) string {
	for _, s := range v {
		if s != "" {
			return s
		}
	}
	return ""
}
