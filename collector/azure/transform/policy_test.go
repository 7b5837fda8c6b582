package transform

import (
	"encoding/json"
	"testing"
)

// TestRecogniseGuardShapes checks the documented policy shapes, in the
// form of the built-in definitions and the published samples, and that
// anything else is not recognised.
func TestRecogniseGuardShapes(t *testing.T) {
	cases := []struct {
		name      string
		rule      string
		kind      string // "" = not recognised
		all       bool
		allowList bool
		partial   bool
		roles     int
	}{
		{"built-in: network interfaces should not have public IPs",
			`{"allOf":[{"field":"type","equals":"Microsoft.Network/networkInterfaces"},{"not":{"field":"Microsoft.Network/networkInterfaces/ipconfigurations[*].publicIpAddress.id","notLike":"*"}}]}`,
			guardNICPublicIP, false, false, false, 0},
		{"built-in: storage account public access should be disallowed",
			`{"allOf":[{"field":"type","equals":"Microsoft.Storage/storageAccounts"},{"not":{"field":"Microsoft.Storage/storageAccounts/allowBlobPublicAccess","equals":"false"}}]}`,
			guardBlobPublicAccess, false, false, false, 0},
		{"every role assignment", `{"field":"type","equals":"Microsoft.Authorization/roleAssignments"}`, guardRoleAssignments, true, false, false, 0},
		{"roles in a list", `{"allOf":[{"field":"type","equals":"Microsoft.Authorization/roleAssignments"},{"field":"Microsoft.Authorization/roleAssignments/roleDefinitionId","in":["/providers/Microsoft.Authorization/roleDefinitions/8e3af657-a8ff-443c-a75c-2fe8c4bcb635"]}]}`,
			guardRoleAssignments, false, false, false, 1},
		{"only allowed roles (notIn)", `{"allOf":[{"field":"type","equals":"Microsoft.Authorization/roleAssignments"},{"field":"Microsoft.Authorization/roleAssignments/roleDefinitionId","notIn":["/providers/Microsoft.Authorization/roleDefinitions/acdd72a7-3385-48ef-bd42-f606fba81ae7"]}]}`,
			guardRoleAssignments, false, true, false, 1},
		{"only allowed roles (not in)", `{"allOf":[{"field":"type","equals":"Microsoft.Authorization/roleAssignments"},{"not":{"field":"Microsoft.Authorization/roleAssignments/roleDefinitionId","in":["/providers/Microsoft.Authorization/roleDefinitions/acdd72a7-3385-48ef-bd42-f606fba81ae7"]}}]}`,
			guardRoleAssignments, false, true, false, 1},
		{"role assignments to service principals only (other conditions)", `{"allOf":[{"field":"type","equals":"Microsoft.Authorization/roleAssignments"},{"field":"Microsoft.Authorization/roleAssignments/principalType","equals":"ServicePrincipal"}]}`,
			guardRoleAssignments, true, false, true, 0},
		{"alternatives (anyOf) are not guessed", `{"anyOf":[{"field":"type","equals":"Microsoft.Authorization/roleAssignments"},{"field":"type","equals":"Microsoft.Network/publicIPAddresses"}]}`,
			"", false, false, false, 0},
		{"allowed locations", `{"allOf":[{"field":"location","notIn":["eastus"]}]}`, "", false, false, false, 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			d := &policyDefinition{}
			d.PolicyRule.If = json.RawMessage(c.rule)
			g, ok := recogniseGuard(resolvedDefinition{def: d, effect: "Deny", param: func(string) (any, bool) { return nil, false }})
			if ok != (c.kind != "") || g.kind != c.kind {
				t.Fatalf("recognised %v as %q, want %q", ok, g.kind, c.kind)
			}
			if g.all != c.all || g.allowList != c.allowList || g.partial != c.partial || len(g.roles) != c.roles {
				t.Fatalf("guard %+v", g)
			}
		})
	}
}
