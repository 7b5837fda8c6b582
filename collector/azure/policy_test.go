package azure

import (
	"strings"
	"testing"

	"github.com/breachpath/breachpath/collector/azure/transform"
	"github.com/breachpath/breachpath/graph"
)

const (
	goatSubID  = "/subscriptions/" + goatSub
	denyDefID  = goatSubID + "/providers/Microsoft.Authorization/policyDefinitions/deny-privileged-role-assignments"
	denySetID  = goatSubID + "/providers/Microsoft.Authorization/policySetDefinitions/guardrails"
	assignID   = goatSubID + "/providers/Microsoft.Authorization/policyAssignments/deny-privileged-roles"
	ownerRole  = "/providers/Microsoft.Authorization/roleDefinitions/8e3af657-a8ff-443c-a75c-2fe8c4bcb635"
	uaaRole    = "/providers/Microsoft.Authorization/roleDefinitions/18d7d88d-d35e-4fb5-a5c3-7773c4a72d9d"
	locationID = "/providers/Microsoft.Authorization/policyDefinitions/e56962a6-4747-49cd-b67b-bf8b01975c4c"
)

// policyRows are a custom "deny privileged role assignments" definition
// (the shape of the published Azure Policy samples restricting role
// assignments: type roleAssignments and roleDefinitionId in a parameter
// list, effect a parameter defaulting to Audit), an initiative holding it,
// the built-in "Allowed locations" definition (a shape the transform does
// not recognise) and an assignment of the custom definition at the
// subscription with effect Deny.
func policyRows() hsRows {
	base := func(id, name, typ string, p map[string]any) map[string]any {
		return map[string]any{"id": id, "name": name, "type": typ, "subscriptionId": goatSub, "tenantId": goatTenant, "properties": p}
	}
	def := base(denyDefID, "deny-privileged-role-assignments", "Microsoft.Authorization/policyDefinitions", map[string]any{
		"displayName": "Deny privileged role assignments", "policyType": "Custom", "mode": "All",
		"parameters": map[string]any{
			"effect": map[string]any{"type": "String", "defaultValue": "Audit", "allowedValues": []any{"Audit", "Deny", "Disabled"}},
			"roles":  map[string]any{"type": "Array", "defaultValue": []any{ownerRole, uaaRole}}},
		"policyRule": map[string]any{
			"if": map[string]any{"allOf": []any{
				map[string]any{"field": "type", "equals": "Microsoft.Authorization/roleAssignments"},
				map[string]any{"field": "Microsoft.Authorization/roleAssignments/roleDefinitionId", "in": "[parameters('roles')]"}}},
			"then": map[string]any{"effect": "[parameters('effect')]"}}})
	set := base(denySetID, "guardrails", "Microsoft.Authorization/policySetDefinitions", map[string]any{
		"displayName": "Guardrails", "policyType": "Custom",
		"parameters": map[string]any{"effect": map[string]any{"type": "String", "defaultValue": "Deny"}},
		"policyDefinitions": []any{
			map[string]any{"policyDefinitionId": denyDefID, "parameters": map[string]any{"effect": map[string]any{"value": "[parameters('effect')]"}}},
			map[string]any{"policyDefinitionId": locationID, "parameters": map[string]any{"listOfAllowedLocations": map[string]any{"value": []any{"eastus"}}}}}})
	loc := map[string]any{"id": locationID, "name": "e56962a6-4747-49cd-b67b-bf8b01975c4c", "type": "Microsoft.Authorization/policyDefinitions", "properties": map[string]any{
		"displayName": "Allowed locations", "policyType": "BuiltIn", "mode": "Indexed",
		"parameters": map[string]any{"listOfAllowedLocations": map[string]any{"type": "Array"}},
		"policyRule": map[string]any{"if": map[string]any{"allOf": []any{
			map[string]any{"field": "location", "notIn": "[parameters('listOfAllowedLocations')]"},
			map[string]any{"field": "location", "notEquals": "global"}}}, "then": map[string]any{"effect": "deny"}}}}
	asg := base(assignID, "deny-privileged-roles", "Microsoft.Authorization/policyAssignments", map[string]any{
		"displayName": "Deny privileged role assignments", "policyDefinitionId": denyDefID, "scope": goatSubID,
		"enforcementMode": "Default", "parameters": map[string]any{"effect": map[string]any{"value": "Deny"}}})
	return hsRows{def, set, loc, asg}
}

func TestAzurePolicyDenyMakesTheRoleAssignmentEscalationConditionalOrAbsent(t *testing.T) {
	escalation := []hop{
		{graph.EdgeExposedTo, transform.TechInternetExposed, goatVM},
		{graph.EdgeUsesIdentity, transform.TechVMIdentity, goatVMI},
		{graph.EdgeEscalatesTo, transform.TechRunbookEdit, goatMI},
		{graph.EdgeEscalatesTo, transform.TechRoleAssignmentWrite, goatAdm}}
	assignment := func(rs hsRows) map[string]any { return props(rs[len(rs)-1]) }
	cases := []struct {
		name        string
		change      func(*testing.T, hsRows)
		found       bool
		conditional bool
		unknown     string // a fragment of the subscription's policy_unrecognised
	}{
		{name: "no policy: the escalation holds", change: nil, found: true},
		{name: "Deny on Owner and User Access Administrator: the last hop is conditional", change: func(*testing.T, hsRows) {}, found: true, conditional: true},
		{name: "the same definition assigned with effect Audit changes nothing",
			change: func(_ *testing.T, rs hsRows) {
				assignment(rs)["parameters"] = map[string]any{"effect": map[string]any{"value": "Audit"}}
			}, found: true},
		{name: "enforcement mode DoNotEnforce changes nothing",
			change: func(_ *testing.T, rs hsRows) { assignment(rs)["enforcementMode"] = "DoNotEnforce" }, found: true},
		{name: "the resource group excluded (notScopes) changes nothing",
			change: func(_ *testing.T, rs hsRows) {
				assignment(rs)["notScopes"] = []any{goatSubID + "/resourceGroups/azuregoat_app"}
			}, found: true},
		{name: "Deny on every role assignment: the escalation is gone",
			change: func(_ *testing.T, rs hsRows) {
				rule := props(rs[0])["policyRule"].(map[string]any)["if"].(map[string]any)
				rule["allOf"] = rule["allOf"].([]any)[:1]
			}, found: false},
		{name: "through an initiative: its Deny member applies, Allowed locations is listed as unrecognised",
			change: func(_ *testing.T, rs hsRows) {
				a := assignment(rs)
				a["policyDefinitionId"], a["parameters"] = denySetID, map[string]any{}
			}, found: true, conditional: true, unknown: "Deny privileged role assignments / Allowed locations"},
		{name: "an assignment of a shape the transform does not know is listed, not guessed",
			change: func(_ *testing.T, rs hsRows) {
				a := assignment(rs)
				a["policyDefinitionId"], a["displayName"], a["parameters"] = locationID, "Allowed locations", map[string]any{"listOfAllowedLocations": map[string]any{"value": []any{"eastus"}}}
			}, found: true, unknown: "Allowed locations"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			change := func(t *testing.T, rs hsRows) hsRows {
				if c.change == nil {
					return rs
				}
				pr := policyRows()
				c.change(t, pr)
				return append(rs, pr...)
			}
			for src, g := range labGraphs(t, "azuregoat", goatTenant, change) {
				if got := routeFound(t, g, []string{graph.InternetID}, goatAdm, escalation); got != c.found {
					t.Fatalf("%s: escalation found %v, want %v", src, got, c.found)
				}
				if !c.found {
					continue
				}
				var cond bool
				var ev []string
				for i := range g.Edges {
					if e := &g.Edges[i]; e.To == goatAdm && e.Technique == transform.TechRoleAssignmentWrite {
						cond = cond || e.Conditional
						ev = append(ev, e.Evidence...)
					}
				}
				if cond != c.conditional {
					t.Errorf("%s: role-assignment write conditional %v, want %v (evidence %v)", src, cond, c.conditional, ev)
				}
				if c.conditional && !strings.Contains(strings.Join(ev, " "), "Deny privileged role assignments") {
					t.Errorf("%s: evidence does not cite the policy: %v", src, ev)
				}
				sub := g.Node(goatSubID)
				got, _ := sub.Props["policy_unrecognised"].([]string)
				if c.unknown != "" && !strings.Contains(strings.Join(got, ","), c.unknown) {
					t.Errorf("%s: policy_unrecognised %v lacks %q", src, got, c.unknown)
				}
			}
		})
	}
}
