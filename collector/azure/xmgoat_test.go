package azure

import (
	"testing"

	"github.com/breachpath/breachpath/collector/azure/transform"
	"github.com/breachpath/breachpath/graph"
)

// The XMGoat lab (testdata/xmgoat/README.md): five scenarios, each from a
// compromised user or service principal to a storage container, the
// subscription or the directory.
const (
	xmTenant = "7a600000-0000-4000-8000-0000000000aa"
	xmT      = "/tenants/" + xmTenant
	xmSub    = "/subscriptions/7a6e0a70-0000-4000-8000-000000000001"
	xmAdmin  = xmT + "/administrator"
	xmSubAdm = xmSub + "/providers/microsoft.authorization/administrator"
)

func xmRG(n string) string   { return xmSub + "/resourcegroups/xmgoat" + n }
func xmUser(n string) string { return xmT + "/users/10000000-0000-4000-8000-00000000000" + n }
func xmSP(n string) string   { return xmT + "/serviceprincipals/20000000-0000-4000-8000-00000000000" + n }
func xmID(n string) string {
	return xmRG(n) + "/providers/microsoft.managedidentity/userassignedidentities/id" + n
}

var (
	xm1Container = xmRG("1") + "/providers/microsoft.storage/storageaccounts/xmgoat1storage/blobservices/default/containers/xmgoat1-container"
	xm2Secret    = xmRG("2") + "/providers/microsoft.keyvault/vaults/xmgoat2-kv/secrets/us2"
	xm5Container = xmRG("5") + "/providers/microsoft.storage/storageaccounts/xmgoat5/blobservices/default/containers/sensitive-data"
)

// xmRoutes are the documented routes, hop by hop.
var xmRoutes = []struct {
	name   string
	from   string
	target string
	hops   []hop
}{
	{"scenario 1: the app owner resets its credential, runs a command on the VM, uses its user-assigned identity to read the container",
		xmUser("1"), xm1Container, []hop{
			{graph.EdgeEscalatesTo, transform.TechOwnerAddCredential, xmSP("1")},
			{graph.EdgeEscalatesTo, transform.TechRunCommand, xmID("1")},
			{graph.EdgeReads, transform.TechBlobRead, xm1Container}}},
	{"scenario 2: the service principal reads the vault secret holding us2's password; us2 writes role assignments on the subscription",
		xmSP("2"), xmSubAdm, []hop{
			{graph.EdgeReads, transform.TechAccessPolicySecret, xm2Secret},
			{graph.EdgeUsesIdentity, transform.TechSecretCredential, xmUser("2")},
			{graph.EdgeEscalatesTo, transform.TechRoleAssignmentWrite, xmSubAdm}}},
	{"scenario 3: host keys of the function app, its Application Administrator identity, a secret on the Global Administrator app",
		xmUser("3"), xmAdmin, []hop{
			{graph.EdgeEscalatesTo, transform.TechFunctionHostKeys, xmID("3")},
			{graph.EdgeEscalatesTo, transform.TechAppAdminCredential, xmSP("3")},
			{graph.EdgeEscalatesTo, transform.TechRoleManagement, xmAdmin}}},
	{"scenario 4: Kudu commands on the function app, its Application Administrator identity, a secret on the RoleManagement.ReadWrite.Directory app",
		xmUser("4"), xmAdmin, []hop{
			{graph.EdgeEscalatesTo, transform.TechCodeDeploy, xmID("4")},
			{graph.EdgeEscalatesTo, transform.TechAppAdminCredential, xmSP("4")},
			{graph.EdgeEscalatesTo, transform.TechRoleManagement, xmAdmin}}},
	{"scenario 5: the app owner's service principal publishes to the function app and reads the sensitive container as its identity",
		xmUser("5"), xm5Container, []hop{
			{graph.EdgeEscalatesTo, transform.TechOwnerAddCredential, xmSP("5")},
			{graph.EdgeEscalatesTo, transform.TechCodeDeploy, xmID("5")},
			{graph.EdgeReads, transform.TechBlobRead, xm5Container}}},
}

func TestXMGoatRoutesFoundHopByHop(t *testing.T) {
	loadLab(t, xmTenant, "xmgoat").builds(t, func(t *testing.T, g *graph.Graph, _ string) {
		for _, r := range xmRoutes {
			t.Run(r.name, func(t *testing.T) {
				if !findPath(t, g, []string{r.from}, r.target, r.hops) {
					t.Fatal("route not found hop by hop")
				}
			})
		}
		for _, f := range []struct{ rule, resource string }{
			{"azure.authorization.privesc-identity-code", xmRG("3") + "/providers/microsoft.web/sites/xmgoat3"},
			{"azure.authorization.privesc-identity-code", xmRG("4") + "/providers/microsoft.web/sites/sc4-windows-function-app"},
			{"azure.keyvault.secret-holds-principal-credential", xm2Secret},
			{"azure.entra.privesc-app-credential", xmSP("1")},
			{"azure.entra.privesc-graph-app-role", xmSP("4")},
		} {
			if g.Finding(graph.FindingID(f.rule, f.resource)) == nil {
				t.Errorf("finding %s on %s missing", f.rule, f.resource)
			}
		}
	})
}

func TestXMGoatOneChangeRemovesTheRoute(t *testing.T) {
	dropAction := func(t *testing.T, l *lab, role, action string) {
		t.Helper()
		perm := l.roleDefinition(t, role)["permissions"].([]any)[0].(map[string]any)
		var kept []any
		for _, a := range perm["actions"].([]any) {
			if a != action {
				kept = append(kept, a)
			}
		}
		if len(kept) == len(perm["actions"].([]any)) {
			t.Fatalf("%s does not grant %s", role, action)
		}
		perm["actions"] = kept
	}
	variants := []struct {
		name   string
		route  int
		change func(t *testing.T, l *lab)
	}{
		{"scenario 1: the service principal may not run commands on the VM", 0, func(t *testing.T, l *lab) {
			l.dropAssignment(t, "20000000-0000-4000-8000-000000000001")
		}},
		{"scenario 2: the vault's access policy for the service principal removed", 1, func(t *testing.T, l *lab) {
			l.row(t, "xmgoat2-kv")["properties"].(map[string]any)["accessPolicies"] = []any{}
		}},
		{"scenario 2: the secret is named after nobody", 1, func(t *testing.T, l *lab) {
			r := l.row(t, "us2")
			r["name"], r["id"] = "db-backup", xmRG("2")+"/providers/Microsoft.KeyVault/vaults/xmgoat2-kv/secrets/db-backup"
		}},
		{"scenario 3: the custom role no longer lists the host keys", 2, func(t *testing.T, l *lab) {
			dropAction(t, l, "Update Function Code Scenario 3", "microsoft.web/sites/host/listkeys/action")
		}},
		{"scenario 4: the custom role no longer grants the SCM site", 3, func(t *testing.T, l *lab) {
			dropAction(t, l, "Generate JWT Token to SCM-1", "Microsoft.Web/sites/publish/Action")
		}},
		{"scenario 5: the user no longer owns the application", 4, func(t *testing.T, l *lab) {
			l.drop(t, "AZAppOwner", "appId", "30000000-0000-4000-8000-000000000005")
			l.drop(t, "AZServicePrincipalOwner", "servicePrincipalId", "20000000-0000-4000-8000-000000000005")
		}},
	}
	for _, v := range variants {
		t.Run(v.name, func(t *testing.T) {
			l := loadLab(t, xmTenant, "xmgoat")
			v.change(t, l)
			r := xmRoutes[v.route]
			l.builds(t, func(t *testing.T, g *graph.Graph, _ string) {
				if leadsTo(t, g, r.from, r.target) {
					t.Fatalf("%s still reaches %s", r.from, r.target)
				}
			})
		})
	}
}
