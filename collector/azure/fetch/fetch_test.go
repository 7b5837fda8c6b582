package fetch_test

import (
	"context"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	azfake "github.com/Azure/azure-sdk-for-go/sdk/azcore/fake"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"

	"github.com/breachpath/breachpath/collector/azure/fetch"
	"github.com/breachpath/breachpath/collector/azure/fetch/fetchtest"
	"github.com/breachpath/breachpath/collector/azure/inventory"
)

const (
	sub  = "5f1c3a52-7c55-4f4b-9d5e-1c0a7e6b9a11"
	site = "/subscriptions/" + sub + "/resourcegroups/azuregoat_app/providers/microsoft.web/sites/appazgoat4242-function"
)

func tenant(t *testing.T) *fetchtest.Tenant {
	t.Helper()
	dir := filepath.Join("..", "testdata", "azuregoat")
	ten, err := fetchtest.FromExport("8a6f4c2e-1b3d-4e5f-a6b7-c8d9e0f1a2b3", filepath.Join(dir, "resources.json"), filepath.Join(dir, "role-assignments.json"))
	if err != nil {
		t.Fatal(err)
	}
	ten.AppSettings[site] = map[string]string{"CON_STR": "x", "FUNCTIONS_WORKER_RUNTIME": "python"}
	return ten
}

func collect(t *testing.T, ten *fetchtest.Tenant, opts fetch.Options) *inventory.Inventory {
	t.Helper()
	opts.Transport = ten.Transport()
	opts.Retry = policy.RetryOptions{MaxRetries: 1, RetryDelay: time.Millisecond, MaxRetryDelay: time.Millisecond}
	inv, err := fetch.Collect(context.Background(), &azfake.TokenCredential{}, opts)
	if err != nil {
		t.Fatal(err)
	}
	return inv
}

func failedAreas(inv *inventory.Inventory, scope string) []string {
	var out []string
	if c := inv.Coverage[scope]; c != nil {
		for _, f := range c.Failed {
			out = append(out, f.Service)
		}
	}
	return out
}

func TestCollectReadsEveryAreaOfTheTenant(t *testing.T) {
	inv := collect(t, tenant(t), fetch.Options{})
	if f := failedAreas(inv, sub); len(f) > 0 {
		t.Fatalf("failed areas: %v", f)
	}
	// Every subscription area (entra is the tenant's) and the Activity Log.
	if got := len(inv.Coverage[sub].Read); got != len(inventory.Areas)-1+1 || !inv.Activity.Read[sub] {
		t.Fatalf("areas read = %d (%v), activity log read %v, want every subscription area", got, inv.Coverage[sub].Read, inv.Activity.Read)
	}
	if inv.Get(site) == nil || strings.Join(inv.Get(site).AppSettingNames, ",") == "" {
		t.Fatalf("app setting names not read: %+v", inv.Get(site))
	}
	if len(inv.OfType(inventory.TypeBlobContainer)) != 4 || len(inv.RoleAssignments) != 2 {
		t.Fatalf("containers %d, role assignments %d", len(inv.OfType(inventory.TypeBlobContainer)), len(inv.RoleAssignments))
	}
	if inv.Stats.APICalls == 0 {
		t.Fatal("no API call counted")
	}
}

func TestCollectAreaFailures(t *testing.T) {
	cases := []struct {
		name       string
		fail       map[string]int
		failPath   map[string]int
		scope      string
		wantFailed []string
		warning    string
	}{
		{name: "directory refused fails the tenant's entra area only", fail: map[string]int{"entra": http.StatusForbidden},
			scope: "", wantFailed: []string{"entra"}},
		{name: "storage containers throttled fail the storage area", failPath: map[string]int{"/containers": http.StatusTooManyRequests},
			scope: sub, wantFailed: []string{"storage"}},
		{name: "app settings forbidden (Reader) are a warning, not a failure", failPath: map[string]int{"/config/appsettings/list": http.StatusForbidden},
			scope: sub, warning: "names skipped"},
		{name: "private endpoints throttled fail the network area, and compute whose exposure depends on it", failPath: map[string]int{"/privateEndpoints": http.StatusTooManyRequests},
			scope: sub, wantFailed: []string{"network", "compute"}},
		{name: "firewall policies refused fail the network area", failPath: map[string]int{"/firewallPolicies": http.StatusForbidden},
			scope: sub, wantFailed: []string{"network", "compute"}},
		{name: "route tables unreadable fail the network area", failPath: map[string]int{"/routeTables": http.StatusInternalServerError},
			scope: sub, wantFailed: []string{"network", "compute"}},
		{name: "policy assignments throttled fail the policy area only", failPath: map[string]int{"/policyAssignments": http.StatusTooManyRequests},
			scope: sub, wantFailed: []string{"policy"}},
		{name: "role assignments unreadable fail authorization", failPath: map[string]int{"/roleAssignments": http.StatusInternalServerError},
			scope: sub, wantFailed: []string{"authorization"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ten := tenant(t)
			for k, v := range c.fail {
				ten.Fail[k] = v
			}
			for k, v := range c.failPath {
				ten.FailPath[k] = v
			}
			inv := collect(t, ten, fetch.Options{})
			if got := strings.Join(failedAreas(inv, c.scope), ","); got != strings.Join(c.wantFailed, ",") {
				t.Fatalf("failed areas = %q, want %q", got, strings.Join(c.wantFailed, ","))
			}
			if c.warning != "" && !strings.Contains(strings.Join(inv.Warnings, "\n"), c.warning) {
				t.Fatalf("warnings %v lack %q", inv.Warnings, c.warning)
			}
			for _, area := range c.wantFailed {
				for _, r := range inv.Resources {
					if inventory.AreaOf(r.Type) == area && r.SubscriptionID == c.scope {
						t.Fatalf("resource %s of failed area %s kept in the inventory", r.ID, area)
					}
				}
			}
		})
	}
}

func TestCollectOnlyAsksForRequestedSubscriptions(t *testing.T) {
	ten := tenant(t)
	_, err := fetch.Collect(context.Background(), &azfake.TokenCredential{}, fetch.Options{Transport: ten.Transport(), Subscriptions: []string{"00000000-0000-0000-0000-000000000000"}})
	if err == nil || !strings.Contains(err.Error(), "none of the subscriptions") {
		t.Fatalf("err = %v", err)
	}
}

func TestCancelledCollectionIsPartial(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	ten := tenant(t)
	_, err := fetch.Collect(ctx, &azfake.TokenCredential{}, fetch.Options{Transport: ten.Transport()})
	if err == nil {
		t.Fatal("a cancelled collection must fail")
	}
}
