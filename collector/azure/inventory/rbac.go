package inventory

import (
	"encoding/json"
	"fmt"
	"strings"
)

// Permission is one permission block of a role definition or deny assignment.
type Permission struct {
	Actions        []string `json:"actions,omitempty"`
	NotActions     []string `json:"notActions,omitempty"`
	DataActions    []string `json:"dataActions,omitempty"`
	NotDataActions []string `json:"notDataActions,omitempty"`
	Condition      string   `json:"condition,omitempty"`
}

// RoleDefinition is an Azure RBAC role definition, built-in or custom.
type RoleDefinition struct {
	// ID is the lower-cased resource id as read; Name is the role GUID.
	ID               string       `json:"id"`
	Name             string       `json:"name"`
	RoleName         string       `json:"roleName"`
	Custom           bool         `json:"custom,omitempty"`
	Permissions      []Permission `json:"permissions"`
	AssignableScopes []string     `json:"assignableScopes,omitempty"`
}

// roleDefinitionJSON reads both shapes: ARM ({"properties": {...}}) and
// `az role definition list` (flattened, with "roleType").
type roleDefinitionJSON struct {
	ID               string       `json:"id"`
	Name             string       `json:"name"`
	RoleName         string       `json:"roleName"`
	RoleType         string       `json:"roleType"`
	Type             string       `json:"type"`
	Permissions      []Permission `json:"permissions"`
	AssignableScopes []string     `json:"assignableScopes"`
}

// FromResource decodes a role definition from an ARM resource record.
func (d *RoleDefinition) FromResource(r *Resource) error {
	var p roleDefinitionJSON
	if err := r.Decode(&p); err != nil {
		return fmt.Errorf("role definition %s: %w", r.ID, err)
	}
	d.fill(r.ID, r.Name, p)
	return nil
}

// UnmarshalRoleDefinition decodes one element of `az role definition list`
// or an ARM role definition.
func UnmarshalRoleDefinition(raw json.RawMessage) (RoleDefinition, error) {
	var top struct {
		roleDefinitionJSON
		Properties *roleDefinitionJSON `json:"properties"`
	}
	if err := json.Unmarshal(raw, &top); err != nil {
		return RoleDefinition{}, fmt.Errorf("role definition: %w", err)
	}
	p := top.roleDefinitionJSON
	if top.Properties != nil {
		p = *top.Properties
	}
	var d RoleDefinition
	d.fill(top.ID, top.Name, p)
	if d.Name == "" {
		return d, fmt.Errorf("role definition without a name (GUID)")
	}
	return d, nil
}

func (d *RoleDefinition) fill(id, name string, p roleDefinitionJSON) {
	d.ID = strings.ToLower(id)
	d.Name = strings.ToLower(name)
	if d.Name == "" {
		d.Name = lastSegment(d.ID)
	}
	d.RoleName = p.RoleName
	rt := p.RoleType
	if rt == "" {
		rt = p.Type
	}
	d.Custom = strings.EqualFold(rt, "CustomRole")
	d.Permissions = p.Permissions
	for _, s := range p.AssignableScopes {
		d.AssignableScopes = append(d.AssignableScopes, strings.ToLower(s))
	}
}

// RoleAssignment is an Azure RBAC role assignment (active, or PIM-eligible).
type RoleAssignment struct {
	ID               string `json:"id"`
	Scope            string `json:"scope"`
	RoleDefinitionID string `json:"roleDefinitionId"`
	// RoleName is the role's display name when the source gave it (az CLI).
	RoleName      string `json:"roleDefinitionName,omitempty"`
	PrincipalID   string `json:"principalId"`
	PrincipalType string `json:"principalType,omitempty"` // User, Group, ServicePrincipal, ForeignGroup
	// Condition is an ABAC condition; the grant holds only when it does.
	Condition string `json:"condition,omitempty"`
	// Eligible marks a PIM-eligible assignment: the principal can activate it.
	Eligible bool `json:"eligible,omitempty"`
}

// RoleGUID returns the role definition's GUID (last id segment).
func (a *RoleAssignment) RoleGUID() string { return lastSegment(a.RoleDefinitionID) }

type roleAssignmentJSON struct {
	Scope              string `json:"scope"`
	RoleDefinitionID   string `json:"roleDefinitionId"`
	RoleDefinitionName string `json:"roleDefinitionName"`
	PrincipalID        string `json:"principalId"`
	PrincipalType      string `json:"principalType"`
	Condition          string `json:"condition"`
}

// FromResource decodes a role assignment (or eligibility instance) record.
func (a *RoleAssignment) FromResource(r *Resource) error {
	var p roleAssignmentJSON
	if err := r.Decode(&p); err != nil {
		return fmt.Errorf("role assignment %s: %w", r.ID, err)
	}
	a.fill(r.ID, p)
	a.Eligible = r.Type == TypeRoleEligibility
	if a.PrincipalID == "" || a.RoleDefinitionID == "" {
		return fmt.Errorf("role assignment %s: no principal or role definition", r.ID)
	}
	return nil
}

// UnmarshalRoleAssignment decodes one element of `az role assignment list`
// (flattened) or an ARM role assignment.
func UnmarshalRoleAssignment(raw json.RawMessage) (RoleAssignment, error) {
	var top struct {
		ID string `json:"id"`
		roleAssignmentJSON
		Properties *roleAssignmentJSON `json:"properties"`
	}
	if err := json.Unmarshal(raw, &top); err != nil {
		return RoleAssignment{}, fmt.Errorf("role assignment: %w", err)
	}
	p := top.roleAssignmentJSON
	if top.Properties != nil {
		p = *top.Properties
	}
	var a RoleAssignment
	a.fill(top.ID, p)
	if a.PrincipalID == "" || a.RoleDefinitionID == "" {
		return a, fmt.Errorf("role assignment %s: no principal or role definition", top.ID)
	}
	return a, nil
}

func (a *RoleAssignment) fill(id string, p roleAssignmentJSON) {
	a.ID = strings.ToLower(id)
	a.Scope = NormalizeScope(p.Scope)
	if a.Scope == "" {
		// The assignment's id is "<scope>/providers/Microsoft.Authorization/roleAssignments/<guid>".
		if i := strings.LastIndex(a.ID, "/providers/microsoft.authorization/"); i >= 0 {
			a.Scope = NormalizeScope(a.ID[:i])
		}
	}
	a.RoleDefinitionID = strings.ToLower(p.RoleDefinitionID)
	a.RoleName = p.RoleDefinitionName
	a.PrincipalID = strings.ToLower(p.PrincipalID)
	a.PrincipalType = p.PrincipalType
	a.Condition = p.Condition
}

// NormalizeScope lower-cases a scope and maps the root scope to "/".
func NormalizeScope(s string) string {
	s = strings.ToLower(strings.TrimRight(s, "/"))
	if s == "" {
		return ""
	}
	return s
}

// DenyAssignment is an Azure deny assignment.
type DenyAssignment struct {
	ID          string       `json:"id"`
	Scope       string       `json:"scope"`
	Permissions []Permission `json:"permissions"`
	// Principals the deny applies to; the all-zero GUID means everyone.
	Principals        []string `json:"principals"`
	ExcludePrincipals []string `json:"excludePrincipals,omitempty"`
	NoChildScopes     bool     `json:"doNotApplyToChildScopes,omitempty"`
}

// EveryonePrincipal is the principal id a deny assignment uses for "everyone".
const EveryonePrincipal = "00000000-0000-0000-0000-000000000000"

// FromResource decodes a deny assignment record.
func (d *DenyAssignment) FromResource(r *Resource) error {
	var p struct {
		Scope       string       `json:"scope"`
		Permissions []Permission `json:"permissions"`
		Principals  []struct {
			ID string `json:"id"`
		} `json:"principals"`
		ExcludePrincipals []struct {
			ID string `json:"id"`
		} `json:"excludePrincipals"`
		DoNotApplyToChildScopes bool `json:"doNotApplyToChildScopes"`
	}
	if err := r.Decode(&p); err != nil {
		return fmt.Errorf("deny assignment %s: %w", r.ID, err)
	}
	d.ID = r.ID
	d.Scope = NormalizeScope(p.Scope)
	d.Permissions = p.Permissions
	d.NoChildScopes = p.DoNotApplyToChildScopes
	for _, x := range p.Principals {
		d.Principals = append(d.Principals, strings.ToLower(x.ID))
	}
	for _, x := range p.ExcludePrincipals {
		d.ExcludePrincipals = append(d.ExcludePrincipals, strings.ToLower(x.ID))
	}
	return nil
}
