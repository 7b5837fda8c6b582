package transform

import (
	"context"
	"fmt"
	"testing"

	"github.com/breachpath/breachpath/collector/azure/rbac"
)

// BenchmarkTransformTenant measures the transform of a tenant with vms
// VMs (each with a NIC, an NSG admitting SSH and a system identity holding
// Contributor at its resource group) and accounts storage accounts of five
// containers each, spread over 20 resource groups.
func BenchmarkTransformTenant(b *testing.B) {
	for _, size := range []struct{ vms, accounts int }{{200, 100}, {1000, 400}} {
		b.Run(fmt.Sprintf("vms=%d/accounts=%d", size.vms, size.accounts), func(b *testing.B) {
			var res []map[string]any
			rgOf := func(i int) string { return fmt.Sprintf("/subscriptions/%s/resourcegroups/rg-%d", tsub, i%20) }
			for i := 0; i < size.vms; i++ {
				rg := rgOf(i)
				vm, nic, nsg := fmt.Sprintf("%s/providers/microsoft.compute/virtualmachines/vm-%d", rg, i),
					fmt.Sprintf("%s/providers/microsoft.network/networkinterfaces/nic-%d", rg, i), fmt.Sprintf("%s/providers/microsoft.network/networksecuritygroups/nsg-%d", rg, i)
				res = append(res,
					map[string]any{"id": vm, "type": "Microsoft.Compute/virtualMachines", "identity": map[string]any{"type": "SystemAssigned", "principalId": fmt.Sprintf("p-%d", i)},
						"properties": map[string]any{"networkProfile": map[string]any{"networkInterfaces": []any{map[string]any{"id": nic}}}}},
					map[string]any{"id": nsg, "type": "Microsoft.Network/networkSecurityGroups", "properties": map[string]any{"securityRules": []any{nsgRule("ssh", 100, "Allow", "*", "22")}}},
					map[string]any{"id": nic, "type": "Microsoft.Network/networkInterfaces", "properties": map[string]any{"networkSecurityGroup": map[string]any{"id": nsg}}})
			}
			for i := 0; i < size.accounts; i++ {
				sa := fmt.Sprintf("%s/providers/microsoft.storage/storageaccounts/sa%d", rgOf(i), i)
				res = append(res, map[string]any{"id": sa, "type": "Microsoft.Storage/storageAccounts", "properties": map[string]any{"allowBlobPublicAccess": false}})
				for c := 0; c < 5; c++ {
					res = append(res, map[string]any{"id": fmt.Sprintf("%s/blobservices/default/containers/c%d", sa, c), "type": "Microsoft.Storage/storageAccounts/blobServices/containers",
						"properties": map[string]any{"publicAccess": "None"}})
				}
			}
			inv := tenantOf(b, res...)
			for i := 0; i < size.vms; i++ {
				inv.RoleAssignments = append(inv.RoleAssignments, assignment(fmt.Sprintf("%s/ra/%d", rgOf(i), i), rgOf(i), rbac.RoleContributor, fmt.Sprintf("p-%d", i)))
			}
			b.ResetTimer()
			for n := 0; n < b.N; n++ {
				snaps, _, err := Transform(context.Background(), inv, Options{})
				if err != nil {
					b.Fatal(err)
				}
				if n == 0 {
					edges := 0
					for _, s := range snaps {
						edges += len(s.Edges)
					}
					b.ReportMetric(float64(edges), "edges")
				}
			}
		})
	}
}
