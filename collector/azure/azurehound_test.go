package azure

import (
	"path/filepath"
	"testing"

	"github.com/breachpath/breachpath/collector/azure/transform"
	"github.com/breachpath/breachpath/graph"
)

func TestAzureHoundImportDrawsDirectoryAndRBACEscalations(t *testing.T) {
	const (
		tenant = "/tenants/8a6f4c2e-1b3d-4e5f-a6b7-c8d9e0f1a2b3"
		alice  = tenant + "/users/aaaaaaaa-1111-4111-8111-000000000001"
		bob    = tenant + "/users/aaaaaaaa-1111-4111-8111-000000000002"
		group  = tenant + "/groups/bbbbbbbb-2222-4222-8222-000000000001"
		bot    = tenant + "/serviceprincipals/cccccccc-3333-4333-8333-000000000001"
		admin  = tenant + "/administrator"
		vm     = "/subscriptions/5f1c3a52-7c55-4f4b-9d5e-1c0a7e6b9a11/resourcegroups/rg-ops/providers/microsoft.compute/virtualmachines/ops-vm"
		vmID   = vm + "/providers/microsoft.managedidentity/identities/default"
	)
	g, sum := importGraph(t, []string{filepath.Join("testdata", "azurehound.json")})
	if len(sum.Warnings) > 0 {
		t.Fatalf("warnings: %v", sum.Warnings)
	}
	if len(sum.Files) != 1 || sum.Files[0].Format != "azurehound" {
		t.Fatalf("files = %+v", sum.Files)
	}
	routes := []struct {
		name    string
		from    string
		to      string
		hops    []hop
		present bool
	}{
		{"app owner adds a secret to a service principal holding RoleManagement.ReadWrite.Directory", bob, admin, []hop{
			{graph.EdgeEscalatesTo, transform.TechOwnerAddCredential, bot},
			{graph.EdgeEscalatesTo, transform.TechRoleManagement, admin}}, true},
		{"a foreign tenant's multi-tenant app holds Contributor: it runs commands on the VM", "/tenants/99999999-9999-4999-8999-999999999999", vmID, []hop{
			{graph.EdgeAuthenticates, transform.TechForeignApp, tenant + "/serviceprincipals/cccccccc-3333-4333-8333-0000000000ee"},
			{graph.EdgeEscalatesTo, transform.TechRunCommand, vmID}}, true},
		{"group member runs a command on the VM its group may manage", alice, vmID, []hop{
			{graph.EdgeEscalatesTo, transform.TechGroupMember, group},
			{graph.EdgeEscalatesTo, transform.TechRunCommand, vmID}}, true},
	}
	for _, r := range routes {
		t.Run(r.name, func(t *testing.T) {
			if got := findPath(t, g, []string{r.from}, r.to, r.hops); got != r.present {
				t.Fatalf("route found = %v, want %v", got, r.present)
			}
		})
	}
	if n := g.Node(alice); n == nil || n.Props["last_sign_in"] != "2026-11-01T10:00:00Z" {
		t.Fatalf("alice = %+v", n)
	}
}
