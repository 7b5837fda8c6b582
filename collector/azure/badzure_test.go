package azure

import (
	"testing"

	"github.com/breachpath/breachpath/collector/azure/transform"
	"github.com/breachpath/breachpath/graph"
)

// The BadZure lab (testdata/badzure/README.md): Entra ID attack paths from
// a compromised user or service principal to control of the directory.
const (
	bzTenant = "b4d20000-7e57-4a11-8bad-00000000b42e"
	bzT      = "/tenants/" + bzTenant
	bzAdmin  = bzT + "/administrator"
	bzAU     = "f0000000-0000-4000-8000-000000000001"
)

const (
	bzRG     = "/subscriptions/b4d2c0de-0000-4000-8000-000000000001/resourcegroups/rg-badzure"
	bzSecret = bzRG + "/providers/microsoft.keyvault/vaults/kv-badzure/secrets/client-secret-app-mi-target"
)

// bzMIRoute is BadZure's ManagedIdentityAbuse route from a workload the
// user controls with tech: its system-assigned identity reads the vault
// secret holding app-mi-target's client secret.
func bzMIRoute(tech, workload string) []hop {
	return []hop{
		{graph.EdgeEscalatesTo, tech, workload + "/providers/microsoft.managedidentity/identities/default"},
		// The four identities share one Key Vault Secrets User grant on
		// the vault: one grant node stands for it.
		{graph.EdgeEscalatesTo, transform.TechHoldsRole, bzRG + "/providers/microsoft.keyvault/vaults/kv-badzure/providers/microsoft.authorization/roledefinitions/4633458b-17de-408a-b874-0445c86b69e6/grant"},
		{graph.EdgeReads, transform.TechSecretGet, bzSecret},
		{graph.EdgeUsesIdentity, transform.TechSecretCredential, bzSP("9")},
		{graph.EdgeEscalatesTo, transform.TechRoleManagement, bzAdmin}}
}

func bzUser(n string) string  { return bzT + "/users/a0000000-0000-4000-8000-00000000000" + n }
func bzSP(n string) string    { return bzT + "/serviceprincipals/c0000000-0000-4000-8000-00000000000" + n }
func bzGroup(n string) string { return bzT + "/groups/b0000000-0000-4000-8000-00000000000" + n }
func bzOID(id string) string  { return id[len(id)-36:] }

func loadBadZure(t *testing.T) *lab {
	t.Helper()
	l := loadLab(t, bzTenant, "badzure")
	l.aus = []map[string]any{{"id": bzAU, "displayName": "au-engineering", "isMemberManagementRestricted": false}}
	l.auMembers = map[string][]string{bzAU: {bzOID(bzUser("7"))}}
	return l
}

func TestBadZureRoutesFoundHopByHop(t *testing.T) {
	routes := []struct {
		name string
		from string
		hops []hop
		// liveOnly: the route needs administrative units, which the
		// AzureHound export does not hold; the import must not find it.
		liveOnly bool
	}{
		{"ApplicationOwnershipAbuse: owner adds a secret to an application whose service principal is Global Administrator", bzUser("1"), []hop{
			{graph.EdgeEscalatesTo, transform.TechOwnerAddCredential, bzSP("1")},
			{graph.EdgeEscalatesTo, transform.TechRoleManagement, bzAdmin}}, false},
		{"ApplicationAdministratorAbuse: tenant-wide Application Administrator adds a secret to an app holding RoleManagement.ReadWrite.Directory", bzUser("2"), []hop{
			{graph.EdgeEscalatesTo, transform.TechAppAdminCredential, bzSP("2")},
			{graph.EdgeEscalatesTo, transform.TechRoleManagement, bzAdmin}}, false},
		{"CloudAppAdministratorAbuse scoped to one application: that application's Global Administrator service principal", bzUser("3"), []hop{
			{graph.EdgeEscalatesTo, transform.TechAppAdminCredential, bzSP("3")},
			{graph.EdgeEscalatesTo, transform.TechRoleManagement, bzAdmin}}, false},
		{"ApplicationAdministratorAbuse through membership of a role-assignable group", bzUser("4"), []hop{
			{graph.EdgeEscalatesTo, transform.TechGroupMember, bzGroup("1")},
			{graph.EdgeEscalatesTo, transform.TechAppAdminCredential, bzSP("2")},
			{graph.EdgeEscalatesTo, transform.TechRoleManagement, bzAdmin}}, false},
		{"ApplicationAdministratorAbuse through ownership of the group", bzUser("5"), []hop{
			{graph.EdgeEscalatesTo, transform.TechGroupOwner, bzGroup("1")},
			{graph.EdgeEscalatesTo, transform.TechAppAdminCredential, bzSP("2")},
			{graph.EdgeEscalatesTo, transform.TechRoleManagement, bzAdmin}}, false},
		{"ApplicationOwnershipAbuse from a service principal: owner of an app holding AppRoleAssignment.ReadWrite.All", bzSP("6"), []hop{
			{graph.EdgeEscalatesTo, transform.TechOwnerAddCredential, bzSP("5")},
			{graph.EdgeEscalatesTo, transform.TechAppRoleGrant, bzAdmin}}, false},
		{"helpdesk scenario: Helpdesk Administrator resets the app owner's password", bzUser("6"), []hop{
			{graph.EdgeEscalatesTo, transform.TechPasswordReset, bzUser("7")},
			{graph.EdgeEscalatesTo, transform.TechOwnerAddCredential, bzSP("7")},
			{graph.EdgeEscalatesTo, transform.TechRoleManagement, bzAdmin}}, false},
		{"ManagedIdentityAbuse (VM to Key Vault): Virtual Machine Contributor runs a command as the VM's identity, which reads the app's client secret", bzUser("9"),
			bzMIRoute(transform.TechRunCommand, bzRG+"/providers/microsoft.compute/virtualmachines/vm-payroll"), false},
		{"ManagedIdentityAbuse (Logic App to Key Vault): Logic App Contributor edits the workflow to act as its identity", bzT + "/users/a0000000-0000-4000-8000-000000000010",
			bzMIRoute(transform.TechLogicAppEdit, bzRG+"/providers/microsoft.logic/workflows/la-invoice-sync"), false},
		{"ManagedIdentityAbuse (Function app to Key Vault): Website Contributor deploys code running as the app's identity", bzT + "/users/a0000000-0000-4000-8000-000000000011",
			bzMIRoute(transform.TechCodeDeploy, bzRG+"/providers/microsoft.web/sites/func-report-gen"), false},
		{"ManagedIdentityAbuse (Automation account to Key Vault): Automation Contributor edits and starts a runbook", bzT + "/users/a0000000-0000-4000-8000-000000000012",
			bzMIRoute(transform.TechRunbookEdit, bzRG+"/providers/microsoft.automation/automationaccounts/aa-patching"), false},
		{"helpdesk scenario with the role scoped to the owner's administrative unit", bzUser("8"), []hop{
			{graph.EdgeEscalatesTo, transform.TechPasswordReset, bzUser("7")},
			{graph.EdgeEscalatesTo, transform.TechOwnerAddCredential, bzSP("7")},
			{graph.EdgeEscalatesTo, transform.TechRoleManagement, bzAdmin}}, true},
	}
	loadBadZure(t).builds(t, func(t *testing.T, g *graph.Graph, how string) {
		for _, r := range routes {
			t.Run(r.name, func(t *testing.T) {
				want := !r.liveOnly || how == "live"
				if got := findPath(t, g, []string{r.from}, bzAdmin, r.hops); got != want {
					t.Fatalf("route found = %v, want %v", got, want)
				}
			})
		}
		for _, f := range []struct{ rule, resource string }{
			{"azure.entra.privesc-app-credential", bzSP("1")}, {"azure.entra.privesc-app-credential", bzSP("2")},
			{"azure.entra.privesc-graph-app-role", bzSP("2")}, {"azure.entra.privesc-graph-app-role", bzSP("5")},
			{"azure.entra.privesc-password-reset", bzUser("7")},
		} {
			if g.Finding(graph.FindingID(f.rule, f.resource)) == nil {
				t.Errorf("finding %s on %s missing", f.rule, f.resource)
			}
		}
	})
}

// helpdeskRoute is BadZure's helpdesk scenario after the initial user.
var helpdeskRoute = []hop{
	{graph.EdgeEscalatesTo, transform.TechPasswordReset, bzUser("7")},
	{graph.EdgeEscalatesTo, transform.TechOwnerAddCredential, bzSP("7")},
	{graph.EdgeEscalatesTo, transform.TechRoleManagement, bzAdmin},
}

func TestBadZureOneChangeRemovesTheRoute(t *testing.T) {
	const (
		authAdmin    = "c4e39bd9-1100-46d3-8c65-fb160da0071f"
		reportsRead  = "4a5d8f65-41da-4de4-8968-e035b65339cf"
		unprivileged = "/d0000000-0000-4000-8000-000000000008"
	)
	variants := []struct {
		name   string
		from   string
		change func(t *testing.T, l *lab)
		// stays: the one change keeps the route (a change the reset
		// hierarchy allows).
		stays bool
		// reset: the variant is of the helpdesk route.
		reset bool
	}{
		{"the owner no longer owns the application", bzUser("1"), func(t *testing.T, l *lab) {
			l.drop(t, "AZAppOwner", "appId", "d0000000-0000-4000-8000-000000000001")
		}, false, false},
		{"Application Administrator scoped to an unprivileged application", bzUser("2"), func(t *testing.T, l *lab) {
			l.roleAssignment(t, bzOID(bzUser("2")))["directoryScopeId"] = unprivileged
		}, false, false},
		{"Cloud Application Administrator scoped to an unprivileged application", bzUser("3"), func(t *testing.T, l *lab) {
			l.roleAssignment(t, bzOID(bzUser("3")))["directoryScopeId"] = unprivileged
		}, false, false},
		{"the member leaves the group", bzUser("4"), func(t *testing.T, l *lab) {
			l.drop(t, "AZGroupMember", "groupId", bzOID(bzGroup("1")))
		}, false, false},
		{"the group owner is removed", bzUser("5"), func(t *testing.T, l *lab) {
			l.drop(t, "AZGroupOwner", "groupId", bzOID(bzGroup("1")))
		}, false, false},
		{"the VM's identity may not read the vault's secrets", bzUser("9"), func(t *testing.T, l *lab) {
			l.dropAssignment(t, "c0000000-0000-4000-8000-0000000000f1")
		}, false, false},
		{"the Logic App's identity may not read the vault's secrets", bzT + "/users/a0000000-0000-4000-8000-000000000010", func(t *testing.T, l *lab) {
			l.dropAssignment(t, "c0000000-0000-4000-8000-0000000000f2")
		}, false, false},
		{"the Function app's identity may not read the vault's secrets", bzT + "/users/a0000000-0000-4000-8000-000000000011", func(t *testing.T, l *lab) {
			l.dropAssignment(t, "c0000000-0000-4000-8000-0000000000f3")
		}, false, false},
		{"the Automation account's identity may not read the vault's secrets", bzT + "/users/a0000000-0000-4000-8000-000000000012", func(t *testing.T, l *lab) {
			l.dropAssignment(t, "c0000000-0000-4000-8000-0000000000f4")
		}, false, false},
		{"the pipeline no longer owns the application", bzSP("6"), func(t *testing.T, l *lab) {
			l.drop(t, "AZAppOwner", "appId", "d0000000-0000-4000-8000-000000000005")
		}, false, false},
		{"the app owner is an Authentication Administrator (out of a Helpdesk Administrator's reach)", bzUser("6"), func(t *testing.T, l *lab) {
			l.addRole(authAdmin, bzOID(bzUser("7")), "/")
		}, false, true},
		{"the app owner is a Reports Reader (a Helpdesk Administrator may still reset it)", bzUser("6"), func(t *testing.T, l *lab) {
			l.addRole(reportsRead, bzOID(bzUser("7")), "/")
		}, true, true},
		{"the app owner is a member of a role-assignable group", bzUser("6"), func(t *testing.T, l *lab) {
			l.Data = append(l.Data,
				map[string]any{"kind": "AZGroup", "data": map[string]any{"id": "b0000000-0000-4000-8000-000000000002", "displayName": "grp-tier0", "securityEnabled": true, "isAssignableToRole": true}},
				map[string]any{"kind": "AZGroupMember", "data": map[string]any{"groupId": "b0000000-0000-4000-8000-000000000002",
					"members": []any{map[string]any{"member": map[string]any{"@odata.type": "#microsoft.graph.user", "id": bzOID(bzUser("7"))}}}}})
		}, false, true},
	}
	for _, v := range variants {
		t.Run(v.name, func(t *testing.T) {
			l := loadBadZure(t)
			v.change(t, l)
			l.builds(t, func(t *testing.T, g *graph.Graph, _ string) {
				if v.reset {
					// Other users the Helpdesk Administrator may reset still
					// lead on (ellen owns a privileged application too): the
					// documented route is the one that must go.
					if got := findPath(t, g, []string{v.from}, bzAdmin, helpdeskRoute); got != v.stays {
						t.Fatalf("helpdesk route found = %v, want %v", got, v.stays)
					}
					return
				}
				if got := leadsTo(t, g, v.from, bzAdmin); got != v.stays {
					t.Fatalf("%s reaches the tenant administrator = %v, want %v", v.from, got, v.stays)
				}
			})
		})
	}
}

// The administrative-unit variants run on the live collector only: the
// offline AzureHound import carries no administrative units.
func TestBadZureAdministrativeUnitScopeLive(t *testing.T) {
	variants := []struct {
		name   string
		change func(l *lab)
		from   string
		want   bool
	}{
		{"the owner leaves the unit: the unit-scoped Helpdesk Administrator loses the route", func(l *lab) {
			l.auMembers[bzAU] = nil
		}, bzUser("8"), false},
		{"the unit restricts management: the tenant-wide Helpdesk Administrator loses the route", func(l *lab) {
			l.aus[0]["isMemberManagementRestricted"] = true
		}, bzUser("6"), false},
		{"the unit restricts management: the unit-scoped Helpdesk Administrator keeps it", func(l *lab) {
			l.aus[0]["isMemberManagementRestricted"] = true
		}, bzUser("8"), true},
	}
	for _, v := range variants {
		t.Run(v.name, func(t *testing.T) {
			l := loadBadZure(t)
			v.change(l)
			if got := findPath(t, l.live(t), []string{v.from}, bzAdmin, helpdeskRoute); got != v.want {
				t.Fatalf("helpdesk route from %s found = %v, want %v", v.from, got, v.want)
			}
		})
	}
}
