package api

import (
	"context"
	"encoding/json"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/breachpath/breachpath/collector/azure/entitlements"
	"github.com/breachpath/breachpath/collector/azure/inventory"
	"github.com/breachpath/breachpath/collector/azure/rbac"
	"github.com/breachpath/breachpath/graph"
	"github.com/breachpath/breachpath/graph/entitlement"
)

// azureCIEMSnapshot is one Azure service principal holding Contributor on
// a resource group and Storage Blob Data Reader on a storage account, with
// an Activity Log in which it started a VM: its node carries the
// entitlements, the Activity Log usage and the verified suggestion the
// Azure collector records.
func azureCIEMSnapshot(t *testing.T) (*graph.Snapshot, string) {
	t.Helper()
	const sub = "00000000-0000-4000-8000-0000000000aa"
	rg := "/subscriptions/" + sub + "/resourcegroups/app"
	inv := inventory.New("tenant-a", ciemNow)
	inv.AddSubscription(inventory.Subscription{ID: sub})
	inv.Entra.ServicePrincipals = []inventory.ServicePrincipal{{ID: "sp-deployer", AppID: "app-deployer", DisplayName: "deployer"}}
	inv.RoleAssignments = []inventory.RoleAssignment{
		{ID: rg + "/providers/microsoft.authorization/roleassignments/ra-1", Scope: rg, RoleDefinitionID: "/x/" + rbac.RoleContributor, PrincipalID: "sp-deployer"},
		{ID: rg + "/providers/microsoft.storage/storageaccounts/st/providers/microsoft.authorization/roleassignments/ra-2", Scope: rg + "/providers/microsoft.storage/storageaccounts/st",
			RoleDefinitionID: "/x/" + rbac.RoleStorageBlobDataReader, PrincipalID: "sp-deployer"},
	}
	inv.Activity = inventory.NewActivityLog(ciemNow.AddDate(0, 0, -90), ciemNow)
	inv.Activity.Read[sub] = true
	inv.Activity.Record("app-deployer", "Microsoft.Compute/virtualMachines/start/action", rg+"/providers/microsoft.compute/virtualmachines/vm", ciemNow.AddDate(0, 0, -2))
	id := "/tenants/tenant-a/serviceprincipals/sp-deployer"
	ents, usage, err := entitlements.Analyze(inv, func(oid string) string { return "/tenants/tenant-a/serviceprincipals/" + oid }, ciemNow)
	if err != nil {
		t.Fatal(err)
	}
	nodes := []graph.Node{{ID: id, Kind: graph.KindServiceAccount, Cloud: graph.CloudAzure, Account: "tenant-a", Name: "deployer", Service: "entra"}}
	if err := entitlement.Annotate(nodes, ents, usage); err != nil {
		t.Fatal(err)
	}
	return &graph.Snapshot{Scope: graph.Scope{Cloud: graph.CloudAzure, ID: "tenant-a"}, CollectedAt: ciemNow, Collector: "test", Nodes: nodes}, id
}

func TestCIEMServesAzureActivityLogSuggestionsAsDocumented(t *testing.T) {
	st := smallStore(t)
	snap, id := azureCIEMSnapshot(t)
	if _, err := st.Sync(context.Background(), snap); err != nil {
		t.Fatal(err)
	}
	_, c := newServer(t, Config{Store: &countingStore{Store: st}, Now: func() time.Time { return ciemNow }, Rate: 1e6, Burst: 1e6})
	// Every answer is validated against api/openapi.yaml by the client.
	a := c.get("/api/v1/ciem/principals/" + url.PathEscape(id))
	if a.status != 200 {
		t.Fatalf("status %d: %.400s", a.status, a.body)
	}
	var got CIEMPrincipal
	a.decode(t, &got)
	p := got.Principal
	if p.Suggestion == nil || len(p.Suggestion.Replaces) != 1 || p.Suggestion.Replaces[0].Grant != "Contributor" {
		t.Fatalf("suggestion %+v (reason %q): want a custom role replacing the Contributor assignment", p.Suggestion, p.SuggestionReason)
	}
	var role struct{ Actions, AssignableScopes []string }
	if err := json.Unmarshal([]byte(p.Suggestion.Policy), &role); err != nil {
		t.Fatal(err)
	}
	if strings.Join(role.Actions, ",") != "*/read,Microsoft.Compute/virtualMachines/start/action" ||
		strings.Join(role.AssignableScopes, ",") != "/subscriptions/00000000-0000-4000-8000-0000000000aa/resourcegroups/app/providers/microsoft.compute/virtualmachines/vm" {
		t.Fatalf("role %+v: want the exercised action and the held reads at the VM", role)
	}
	notObservable := false
	for _, s := range p.Permissions.Services {
		notObservable = notObservable || (s.Service == "Microsoft.Storage/data" && s.NotObservable)
	}
	if !notObservable {
		t.Fatalf("services %+v: the data-plane service is not flagged not observable", p.Permissions.Services)
	}
	for _, format := range []string{"", "?format=csv", "?format=markdown", "?format=html"} {
		if a := c.get("/api/v1/ciem" + format); a.status != 200 || !strings.Contains(string(a.body), "Microsoft.Compute/virtualMachines/start/action") {
			t.Errorf("report %q: status %d, or the suggestion is missing", format, a.status)
		}
	}
}
