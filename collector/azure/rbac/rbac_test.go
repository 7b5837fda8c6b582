package rbac

import (
	"testing"
	"time"

	"github.com/breachpath/breachpath/collector/azure/inventory"
)

func TestMatchFollowsAzureWildcardRules(t *testing.T) {
	cases := []struct {
		pattern, op string
		want        bool
	}{
		{"*", "Microsoft.Authorization/roleAssignments/write", true},
		{"*/read", "Microsoft.Storage/storageAccounts/read", true},
		{"*/read", "Microsoft.Storage/storageAccounts/listKeys/action", false},
		{"Microsoft.Authorization/*/Write", "microsoft.authorization/roleassignments/write", true},
		{"Microsoft.Storage/*", "Microsoft.Storage/storageAccounts/listkeys/action", true},
		{"Microsoft.Storage/*", "Microsoft.Compute/virtualMachines/read", false},
		{"Microsoft.KeyVault/vaults/secrets/*", "Microsoft.KeyVault/vaults/secrets/getSecret/action", true},
	}
	for _, c := range cases {
		if got := Match(c.pattern, c.op); got != c.want {
			t.Errorf("Match(%q, %q) = %v, want %v", c.pattern, c.op, got, c.want)
		}
	}
}

const (
	sub = "00000000-0000-0000-0000-0000000000aa"
	rg  = "/subscriptions/" + sub + "/resourcegroups/app"
	sa  = rg + "/providers/microsoft.storage/storageaccounts/data"
)

func assign(id, scope, role, principal string) inventory.RoleAssignment {
	return inventory.RoleAssignment{ID: id, Scope: scope, RoleDefinitionID: "/providers/microsoft.authorization/roledefinitions/" + role, PrincipalID: principal}
}

func TestEvaluatorDecisionsByRoleScopeGroupDenyAndCondition(t *testing.T) {
	inv := inventory.New("tenant", time.Time{})
	inv.AddSubscription(inventory.Subscription{ID: sub, Ancestors: []string{"prod"}})
	inv.ManagementGroups = []inventory.ManagementGroup{{Name: "prod", Parent: "root"}, {Name: "root"}}
	inv.Entra.Groups = []inventory.Group{{ID: "g-ops", Members: []string{"g-inner"}}, {ID: "g-inner", Members: []string{"u-nested"}}}
	inv.RoleAssignments = []inventory.RoleAssignment{
		assign("a1", rg, RoleContributor, "p-contrib"),
		assign("a2", "/providers/microsoft.management/managementgroups/root", RoleOwner, "p-mg-owner"),
		assign("a3", rg, RoleUserAccessAdministrator, "g-ops"),
		assign("a4", sa, RoleStorageBlobDataReader, "p-reader"),
		assign("a5", sa, RoleStorageBlobDataReader, "p-abac"),
		assign("a6", "/subscriptions/"+sub+"/resourcegroups/other", RoleOwner, "p-elsewhere"),
		assign("a7", rg, RoleOwner, "p-denied"),
	}
	inv.RoleAssignments[4].Condition = "@Resource[Microsoft.Storage/storageAccounts/blobServices/containers:name] StringEquals 'logs'"
	inv.DenyAssignments = []inventory.DenyAssignment{{ID: "d1", Scope: rg, Principals: []string{"p-denied"},
		Permissions: []inventory.Permission{{Actions: []string{"Microsoft.Authorization/roleAssignments/write"}}}}}
	e, err := New(inv)
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name, principal, op, id string
		data                    bool
		want, conditional       bool
	}{
		{"contributor cannot write role assignments", "p-contrib", "Microsoft.Authorization/roleAssignments/write", sa, false, false, false},
		{"contributor lists storage keys", "p-contrib", "Microsoft.Storage/storageAccounts/listKeys/action", sa, false, true, false},
		{"contributor has no data actions", "p-contrib", "Microsoft.Storage/storageAccounts/blobServices/containers/blobs/read", sa, true, false, false},
		{"owner at a management group above the subscription", "p-mg-owner", "Microsoft.Authorization/roleAssignments/write", sa, false, true, false},
		{"nested group member inherits user access administrator", "u-nested", "Microsoft.Authorization/roleAssignments/write", sa, false, true, false},
		{"data reader reads blobs", "p-reader", "Microsoft.Storage/storageAccounts/blobServices/containers/blobs/read", sa, true, true, false},
		{"abac condition makes the grant conditional", "p-abac", "Microsoft.Storage/storageAccounts/blobServices/containers/blobs/read", sa, true, true, true},
		{"assignment in a sibling resource group does not apply", "p-elsewhere", "Microsoft.Storage/storageAccounts/listKeys/action", sa, false, false, false},
		{"deny assignment wins over owner", "p-denied", "Microsoft.Authorization/roleAssignments/write", sa, false, false, false},
		{"deny assignment leaves other actions", "p-denied", "Microsoft.Storage/storageAccounts/listKeys/action", sa, false, true, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			d := e.Can(c.principal, c.op, c.id, c.data)
			if d.Allowed != c.want || (c.want && d.Conditional != c.conditional) {
				t.Fatalf("Can = %+v, want allowed=%v conditional=%v", d, c.want, c.conditional)
			}
		})
	}
}

func TestBuiltinRolesEmbedded(t *testing.T) {
	bi, err := Builtin()
	if err != nil {
		t.Fatal(err)
	}
	if len(bi) < 900 {
		t.Fatalf("built-in roles: %d, want the full catalogue", len(bi))
	}
	if r := bi[RoleKeyVaultSecretsUser]; r == nil || !Grants(&r.Permissions[0], "Microsoft.KeyVault/vaults/secrets/getSecret/action", true) {
		t.Fatalf("Key Vault Secrets User does not grant getSecret: %+v", r)
	}
}
