package azure

import (
	"context"
	"encoding/json"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	azfake "github.com/Azure/azure-sdk-for-go/sdk/azcore/fake"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"

	"github.com/breachpath/breachpath/collector/azure/fetch"
	"github.com/breachpath/breachpath/collector/azure/fetch/fetchtest"
	"github.com/breachpath/breachpath/collector/azure/transform"
	"github.com/breachpath/breachpath/graph"
	"github.com/breachpath/breachpath/graph/embedded"
)

const (
	goatTenant = "8a6f4c2e-1b3d-4e5f-a6b7-c8d9e0f1a2b3"
	goatFunc   = goatRG + "/providers/microsoft.web/sites/appazgoat4242-function"
	goatConStr = goatFunc + "/config/appsettings/con_str"
	leakMarker = "value-must-never-be-stored"
)

// goatTenantFakes serves the AzureGoat-shaped tenant through the SDK fakes
// and the REST handlers, with the lab's documented app settings (values
// are markers that must never reach a snapshot) and managed identities in
// the directory.
func goatTenantFakes(t *testing.T) *fetchtest.Tenant {
	t.Helper()
	ten, err := fetchtest.FromExport(goatTenant, filepath.Join("testdata", "azuregoat", "resources.json"), filepath.Join("testdata", "azuregoat", "role-assignments.json"))
	if err != nil {
		t.Fatal(err)
	}
	settings := map[string]string{}
	for _, n := range []string{"WEBSITE_RUN_FROM_PACKAGE", "FUNCTIONS_WORKER_RUNTIME", "JWT_SECRET", "AZ_DB_ENDPOINT", "AZ_DB_PRIMARYKEY", "CON_STR", "CONTAINER_NAME", "AzureWebJobsStorage"} {
		settings[n] = leakMarker + "-" + n
	}
	// The lab's CON_STR is the storage account's connection string (its
	// key a marker that must never be stored).
	settings["CON_STR"] = "DefaultEndpointsProtocol=https;AccountName=appazgoat4242storage;AccountKey=" + leakMarker + "-key;EndpointSuffix=core.windows.net"
	ten.AppSettings[goatFunc] = settings
	ten.AuthEnabled[goatFunc] = false
	ten.Graph["/v1.0/users"] = []map[string]any{{"id": "0d0d0d0d-0000-4000-8000-00000000000a", "displayName": "justin", "userPrincipalName": "justin@azuregoat.example", "userType": "Member", "accountEnabled": true}}
	ten.Graph["/v1.0/servicePrincipals"] = []map[string]any{
		{"id": "11111111-aaaa-4bbb-8ccc-000000000001", "appId": "44444444-aaaa-4bbb-8ccc-000000000004", "displayName": "developerVM4242", "servicePrincipalType": "ManagedIdentity",
			"alternativeNames": []string{"isExplicit=False", "/subscriptions/" + goatSub + "/resourceGroups/azuregoat_app/providers/Microsoft.Compute/virtualMachines/developerVM4242"}},
		{"id": "22222222-aaaa-4bbb-8ccc-000000000002", "appId": "33333333-aaaa-4bbb-8ccc-000000000003", "displayName": "user-assigned-id4242", "servicePrincipalType": "ManagedIdentity",
			"alternativeNames": []string{"isExplicit=True", "/subscriptions/" + goatSub + "/resourceGroups/azuregoat_app/providers/Microsoft.ManagedIdentity/userAssignedIdentities/user-assigned-id4242"}},
	}
	return ten
}

func collectFakes(t *testing.T, ten *fetchtest.Tenant) ([]*graph.Snapshot, *RunSummary) {
	t.Helper()
	snaps, sum, err := Collect(context.Background(), &azfake.TokenCredential{}, CollectOptions{Fetch: fetch.Options{
		Transport: ten.Transport(), Retry: policy.RetryOptions{MaxRetries: 2, RetryDelay: time.Millisecond, MaxRetryDelay: time.Millisecond}}})
	if err != nil {
		t.Fatal(err)
	}
	return snaps, sum
}

func TestLiveAzureGoatTenantFindsTheDocumentedRoutesHopByHop(t *testing.T) {
	ten := goatTenantFakes(t)
	snaps, sum := collectFakes(t, ten)
	if sum.Partial() {
		t.Fatalf("partial collection: %+v", sum.Scopes)
	}
	g := graph.AssembleSnapshots(snaps)
	routes := []struct {
		name    string
		sources []string
		target  string
		hops    []hop
	}{
		{"internet to the function app, then the storage connection string in its settings",
			[]string{graph.InternetID}, goatConStr, []hop{
				{graph.EdgeExposedTo, transform.TechAppServicePublic, goatFunc},
				{graph.EdgeReads, transform.TechWorkloadSetting, goatConStr}}},
		{"internet to the function app, the storage connection string in its settings, the account's containers with its key",
			[]string{graph.InternetID}, goatVMC, []hop{
				{graph.EdgeExposedTo, transform.TechAppServicePublic, goatFunc},
				{graph.EdgeReads, transform.TechWorkloadSetting, goatConStr},
				{graph.EdgeReads, transform.TechStorageConnectionString, goatVMC}}},
		{"internet to the VM over SSH, its managed identity, a storage container through the account keys",
			[]string{graph.InternetID}, goatVMC, []hop{
				{graph.EdgeExposedTo, transform.TechInternetExposed, goatVM},
				{graph.EdgeUsesIdentity, transform.TechVMIdentity, goatVMI},
				{graph.EdgeReads, transform.TechStorageListKeys, goatVMC}}},
		{"runbook edit to the Owner identity, then role assignment writes",
			[]string{graph.InternetID}, goatAdm, []hop{
				{graph.EdgeExposedTo, transform.TechInternetExposed, goatVM},
				{graph.EdgeUsesIdentity, transform.TechVMIdentity, goatVMI},
				{graph.EdgeEscalatesTo, transform.TechRunbookEdit, goatMI},
				{graph.EdgeEscalatesTo, transform.TechRoleAssignmentWrite, goatAdm}}},
	}
	for _, r := range routes {
		t.Run(r.name, func(t *testing.T) {
			if !findPath(t, g, r.sources, r.target, r.hops) {
				t.Fatal("route not found hop by hop")
			}
		})
	}
	raw, err := json.Marshal(snaps)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(raw), leakMarker) {
		t.Fatal("an app setting value reached a snapshot")
	}
	if ten.Seen["subscriptions"] == 0 || ten.Seen["web"] == 0 || ten.Seen["entra"] == 0 || ten.Seen["storage"] == 0 {
		t.Fatalf("fakes not all exercised: %v", ten.Seen)
	}
}

func TestLiveAzureGoatWithSSHClosedHasNoRouteThroughTheVM(t *testing.T) {
	ten := goatTenantFakes(t)
	nsg := ten.Row("/subscriptions/" + goatSub + "/resourceGroups/azuregoat_app/providers/Microsoft.Network/networkSecurityGroups/SecGroupNet4242")
	rules := nsg["properties"].(map[string]any)["securityRules"].([]any)
	rules[0].(map[string]any)["properties"].(map[string]any)["sourceAddressPrefix"] = "203.0.113.0/24"
	snaps, _ := collectFakes(t, ten)
	g := graph.AssembleSnapshots(snaps)
	for _, target := range []string{goatVMC, goatAdm} {
		if findPath(t, g, []string{graph.InternetID}, target, []hop{{graph.EdgeExposedTo, transform.TechInternetExposed, goatVM},
			{graph.EdgeUsesIdentity, transform.TechVMIdentity, goatVMI}, {graph.EdgeReads, transform.TechStorageListKeys, goatVMC}}) {
			t.Fatalf("route to %s still found", target)
		}
	}
	for i := range g.Edges {
		if e := &g.Edges[i]; e.From == graph.InternetID && e.To == goatVM {
			t.Fatalf("the VM is still exposed: %+v", e)
		}
	}
}

// TestThrottledAreaIsKeptStale syncs a full collection, then one in which
// Resource Graph throttles every network query: the network area fails,
// its rows stay in the store flagged stale, and the Internet route to the
// VM survives (stale) instead of silently disappearing.
func TestThrottledAreaIsKeptStale(t *testing.T) {
	ctx := context.Background()
	st, err := embedded.Open(ctx, filepath.Join(t.TempDir(), "bp.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	full, _ := collectFakes(t, goatTenantFakes(t))
	for _, s := range full {
		if _, err := st.Sync(ctx, s); err != nil {
			t.Fatal(err)
		}
	}
	ten := goatTenantFakes(t)
	ten.Fail["network"] = http.StatusTooManyRequests
	throttled, sum := collectFakes(t, ten)
	if !sum.Partial() {
		t.Fatal("a throttled area must make the run partial")
	}
	var failed []string
	for _, s := range sum.Scopes {
		for _, f := range RealFailures(s.Failed) {
			failed = append(failed, f.Service+": "+f.Error)
		}
	}
	if len(failed) != 2 || !strings.HasPrefix(failed[0], "network: ") || !strings.Contains(failed[0], "429") ||
		!strings.HasPrefix(failed[1], "compute: ") {
		t.Fatalf("failures = %v, want the network area throttled (429) and compute kept with it", failed)
	}
	if ten.Seen["network"] < 3 {
		t.Fatalf("network requests = %d, want the call retried", ten.Seen["network"])
	}
	for _, s := range throttled {
		if _, err := st.Sync(ctx, s); err != nil {
			t.Fatal(err)
		}
	}
	g, err := st.Load(ctx, graph.Filter{})
	if err != nil {
		t.Fatal(err)
	}
	nsg := goatRG + "/providers/microsoft.network/networksecuritygroups/secgroupnet4242"
	if n := g.Node(nsg); n == nil || !n.Stale {
		t.Fatalf("NSG after a throttled network area = %+v, want kept and stale", n)
	}
	if n := g.Node(goatVM); n == nil || !n.Stale {
		t.Fatalf("VM (its exposure depends on the network) = %+v, want kept and stale", n)
	}
	if n := g.Node(goatSA); n == nil || n.Stale {
		t.Fatalf("storage account (its area was read) = %+v, want fresh", n)
	}
	exposed := false
	for i := range g.Edges {
		if e := &g.Edges[i]; e.From == graph.InternetID && e.To == goatVM && e.Kind == graph.EdgeExposedTo {
			exposed = true
		}
	}
	if !exposed {
		t.Fatal("the Internet exposure of the VM disappeared with the throttled network area")
	}
}

func TestLiveAzureGoatConnectionStringNeedsSharedKeys(t *testing.T) {
	ten := goatTenantFakes(t)
	// The one change: the storage account refuses shared keys, so the key
	// in CON_STR opens nothing.
	acct := ten.Row(goatSA)
	acct["properties"].(map[string]any)["allowSharedKeyAccess"] = false
	snaps, _ := collectFakes(t, ten)
	g := graph.AssembleSnapshots(snaps)
	for _, e := range g.Edges {
		if e.Technique == transform.TechStorageConnectionString {
			t.Errorf("connection string move drawn with shared keys off: %s -> %s", e.From, e.To)
		}
	}
	if !findPath(t, g, []string{graph.InternetID}, goatConStr, []hop{
		{graph.EdgeExposedTo, transform.TechAppServicePublic, goatFunc},
		{graph.EdgeReads, transform.TechWorkloadSetting, goatConStr}}) {
		t.Fatal("the setting itself is still readable from the function app")
	}
}
