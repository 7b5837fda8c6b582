package azure

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/breachpath/breachpath/ciem"
	"github.com/breachpath/breachpath/collector/azure/fetch/fetchtest"
	"github.com/breachpath/breachpath/collector/azure/inventory"
	"github.com/breachpath/breachpath/graph/entitlement"
)

// The AzureGoat tenant's identities: the VM's system-assigned identity
// holds Contributor on the resource group, the user-assigned one Owner.
const (
	goatVMIdentity    = "11111111-aaaa-4bbb-8ccc-000000000001"
	goatVMIdentityApp = "44444444-aaaa-4bbb-8ccc-000000000004"
	goatUAIdentity    = "22222222-aaaa-4bbb-8ccc-000000000002"
	goatUAIdentityApp = "33333333-aaaa-4bbb-8ccc-000000000003"
	goatUANode        = goatRG + "/providers/microsoft.managedidentity/userassignedidentities/user-assigned-id4242"
	webOps            = "0d0d0d0d-0000-4000-8000-0000000000f1"
	webOpsRA          = "bbbbbbbb-0000-4000-8000-0000000000f2"
	goatStorage       = "/subscriptions/" + goatSub + "/resourceGroups/azuregoat_app/providers/Microsoft.Storage/storageAccounts/appazgoat4242storage"
	goatVMCased       = "/subscriptions/" + goatSub + "/resourceGroups/azuregoat_app/providers/Microsoft.Compute/virtualMachines/developerVM4242"
	activityPath      = "/providers/Microsoft.Insights/eventtypes/management/values"
	oidClaim          = "http://schemas.microsoft.com/identity/claims/objectidentifier"
)

// activityEvent is one Activity Log record in the documented EventData shape.
func activityEvent(at time.Time, status, action, scope, oid, caller string) map[string]any {
	e := map[string]any{"eventTimestamp": at.Format(time.RFC3339), "status": map[string]any{"value": status},
		"category": map[string]any{"value": "Administrative"}, "caller": caller, "resourceId": scope,
		"operationName": map[string]any{"value": action}, "authorization": map[string]any{"action": action, "scope": scope}}
	if strings.Contains(action, "listKeys") {
		// Some events carry no authorization scope: the resource id stands in.
		e["authorization"] = map[string]any{"action": action}
	}
	if oid != "" {
		e["claims"] = map[string]any{oidClaim: oid}
	}
	return e
}

// activityTenant is the AzureGoat tenant with a Storage Blob Data Reader
// grant for the VM identity on the storage account and an Activity Log in
// which that identity started the VM and listed the storage account's keys
// (once identified by its object id claim, once only by its application
// id as caller); an operation that only started, and one older than the
// 90-day window, do not count. The user-assigned identity did nothing.
func activityTenant(t *testing.T, now time.Time) *fetchtest.Tenant {
	ten := goatTenantFakes(t)
	name := "bbbbbbbb-0000-4000-8000-0000000000d1"
	ten.RoleAssignments = append(ten.RoleAssignments, map[string]any{"id": goatStorage + "/providers/Microsoft.Authorization/roleAssignments/" + name,
		"name": name, "type": "Microsoft.Authorization/roleAssignments",
		"properties": map[string]any{"roleDefinitionId": "/subscriptions/" + goatSub + "/providers/Microsoft.Authorization/roleDefinitions/2a2b9908-6ea1-4ae2-8e65-a410df84e7d1",
			"principalId": goatVMIdentity, "principalType": "ServicePrincipal", "scope": goatStorage}})
	// A user holding Website Contributor on the resource group, known to
	// the log only by its user principal name.
	ten.Graph["/v1.0/users"] = append(ten.Graph["/v1.0/users"], map[string]any{"id": webOps, "displayName": "web ops",
		"userPrincipalName": "webops@azuregoat.example", "userType": "Member", "accountEnabled": true})
	ten.RoleAssignments = append(ten.RoleAssignments, map[string]any{"id": goatRG + "/providers/Microsoft.Authorization/roleAssignments/" + webOpsRA,
		"name": webOpsRA, "type": "Microsoft.Authorization/roleAssignments",
		"properties": map[string]any{"roleDefinitionId": "/subscriptions/" + goatSub + "/providers/Microsoft.Authorization/roleDefinitions/de139f84-1756-47ae-9be6-808fbbe84772",
			"principalId": webOps, "principalType": "User", "scope": goatRG}})
	day := func(d int) time.Time { return now.AddDate(0, 0, -d) }
	ten.ActivityLog = map[string][]map[string]any{goatSub: {
		activityEvent(day(7), "Succeeded", "Microsoft.Web/sites/restart/action", goatRG+"/providers/Microsoft.Web/sites/appazgoat4242-function", "", "WebOps@azuregoat.example"),
		activityEvent(day(3), "Started", "Microsoft.Compute/virtualMachines/start/action", goatVMCased, goatVMIdentity, goatVMIdentityApp),
		activityEvent(day(3), "Succeeded", "Microsoft.Compute/virtualMachines/start/action", goatVMCased, goatVMIdentity, goatVMIdentityApp),
		activityEvent(day(20), "Succeeded", "Microsoft.Storage/storageAccounts/listKeys/action", goatStorage, "", goatVMIdentityApp),
		activityEvent(day(30), "Started", "Microsoft.Compute/virtualMachines/delete", goatVMCased, goatVMIdentity, goatVMIdentityApp),
		activityEvent(day(120), "Succeeded", "Microsoft.Network/networkSecurityGroups/write", goatRG+"/providers/Microsoft.Network/networkSecurityGroups/old", goatVMIdentity, goatVMIdentityApp),
	}}
	return ten
}

type azureRole struct {
	Actions, NotActions, DataActions, AssignableScopes []string
}

func TestCIEMSuggestsAzureCustomRoleFromTheActivityLog(t *testing.T) {
	now := time.Now().UTC()
	for _, tc := range []struct {
		name string
		tune func(*fetchtest.Tenant)
	}{
		{"one page", func(*fetchtest.Tenant) {}},
		{"one event per page", func(ten *fetchtest.Tenant) { ten.ActivityPageSize = 1 }},
		{"throttled twice with Retry-After, then answered", func(ten *fetchtest.Tenant) { ten.Throttle = map[string]int{activityPath: 2} }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ten := activityTenant(t, now)
			tc.tune(ten)
			r, sum := usageReport(t, ten, now)
			if sum.Partial() {
				t.Fatalf("partial collection: %+v", sum.Scopes)
			}
			if len(ten.ActivityFilters) == 0 || !strings.Contains(ten.ActivityFilters[0], "eventTimestamp ge '"+now.AddDate(0, 0, -90).Format("2006-01-02")) {
				t.Fatalf("activity log filters %q do not ask for the last 90 days", ten.ActivityFilters)
			}
			vm := reportRow(t, r, goatVMI)
			if vm.Suggestion == nil {
				t.Fatalf("VM identity: no suggestion (%s); notes %v", vm.SuggestionReason, vm.Notes)
			}
			var role azureRole
			if err := json.Unmarshal([]byte(vm.Suggestion.Policy), &role); err != nil {
				t.Fatal(err)
			}
			wantActions := []string{"*/read", "Microsoft.Compute/virtualMachines/start/action", "Microsoft.Storage/storageAccounts/listKeys/action"}
			if !slices.Equal(role.Actions, wantActions) || len(role.NotActions) != 0 {
				t.Fatalf("actions %v not %v, not actions %v: want the exercised actions and the held reads", role.Actions, wantActions, role.NotActions)
			}
			if !slices.Equal(role.AssignableScopes, []string{goatRG}) {
				t.Fatalf("assignable scopes %v, want the resource group covering the VM and the storage account", role.AssignableScopes)
			}
			if !slices.Equal(vm.Suggestion.Replaces, []entitlement.Replaced{{Grant: "Contributor",
				On: "/subscriptions/" + goatSub + "/resourcegroups/azuregoat_app/providers/microsoft.authorization/roleassignments/aaaaaaaa-0000-4000-8000-000000000001"}}) {
				t.Fatalf("replaces %+v, want the Contributor assignment only", vm.Suggestion.Replaces)
			}
			notes := strings.Join(vm.Suggestion.Notes, "\n")
			for _, want := range []string{"not observable", "kept, not replaced: Storage Blob Data Reader", "verified with breachpath's Azure RBAC evaluator", "last 90 days"} {
				if !strings.Contains(notes, want) {
					t.Errorf("suggestion notes lack %q:\n%s", want, notes)
				}
			}
			dataSeen := false
			for _, s := range vm.Permissions.Services {
				if s.Service == "Microsoft.Storage/data" {
					dataSeen = true
					if !s.NotObservable || s.State != ciem.StateUnknown {
						t.Errorf("data service %+v: want not observable, state unknown", s)
					}
				}
			}
			if !dataSeen || !vm.Usage.Known || vm.Activity.State != ciem.StateUsed {
				t.Fatalf("VM identity: data service listed %v, usage %+v, activity %+v; want usage known and used", dataSeen, vm.Usage, vm.Activity)
			}
			web := principalRow(t, r, "users", webOps)
			if web.Suggestion == nil {
				t.Fatalf("user: no suggestion (%s)", web.SuggestionReason)
			}
			var webRole azureRole
			if err := json.Unmarshal([]byte(web.Suggestion.Policy), &webRole); err != nil {
				t.Fatal(err)
			}
			for _, a := range webRole.Actions {
				if !strings.HasSuffix(a, "/read") && a != "Microsoft.Web/sites/restart/action" {
					t.Errorf("user role grants %s, which was not exercised", a)
				}
			}
			if !slices.Contains(webRole.Actions, "Microsoft.Web/sites/restart/action") || !slices.Contains(webRole.Actions, "Microsoft.Web/sites/read") ||
				!slices.Equal(webRole.AssignableScopes, []string{goatFunc}) || len(web.Suggestion.Replaces) != 1 || web.Suggestion.Replaces[0].Grant != "Website Contributor" {
				t.Fatalf("user role %+v replacing %+v: want the restart and the site's reads at the function app, replacing Website Contributor", webRole, web.Suggestion.Replaces)
			}
			ua := reportRow(t, r, goatUANode)
			if ua.Suggestion != nil || !strings.Contains(ua.SuggestionReason, "no control-plane write in the Activity Log's last 90 days") ||
				!strings.Contains(ua.SuggestionReason, "remove its role assignments that grant writes (Owner at ") {
				t.Fatalf("idle user-assigned identity: suggestion %+v, reason %q; want removal with the window stated", ua.Suggestion, ua.SuggestionReason)
			}
			if tc.name == "throttled twice with Retry-After, then answered" && ten.Seen[inventory.AreaActivityLog] < 3 {
				t.Fatalf("activity log requests %d: the throttled ones were not retried", ten.Seen[inventory.AreaActivityLog])
			}
		})
	}
}

func TestCIEMSaysUsageIsUnknownWhenTheActivityLogCannotBeRead(t *testing.T) {
	now := time.Now().UTC()
	for _, tc := range []struct {
		name   string
		status int
	}{{"refused (no Reader on the subscription)", 403}, {"throttled past every retry", 429}, {"failing", 500}} {
		t.Run(tc.name, func(t *testing.T) {
			ten := activityTenant(t, now)
			ten.FailPath = map[string]int{activityPath: tc.status}
			r, sum := usageReport(t, ten, now)
			failed := false
			for _, s := range sum.Scopes {
				for _, f := range s.Failed {
					failed = failed || f.Service == inventory.AreaActivityLog
				}
			}
			if !failed {
				t.Fatalf("the activity log failure is not in the summary: %+v", sum.Scopes)
			}
			for _, oid := range []string{goatVMI, goatUANode} {
				p := reportRow(t, r, oid)
				if p.Suggestion != nil || strings.Contains(p.SuggestionReason, "remove") || p.Usage.Known {
					t.Fatalf("%s: suggestion %+v, reason %q, usage %+v; want usage unknown, never removal", oid, p.Suggestion, p.SuggestionReason, p.Usage)
				}
				if !slices.ContainsFunc(p.Notes, func(n string) bool { return strings.Contains(n, "Activity Log of subscription "+goatSub+" unreadable") }) {
					t.Fatalf("%s: notes %v do not say the Activity Log was unreadable", oid, p.Notes)
				}
			}
		})
	}
}

func TestCIEMFlagsDormantServicePrincipalsFromSignInActivity(t *testing.T) {
	now := time.Now().UTC()
	ts := func(days int) string { return now.AddDate(0, 0, -days).Format(time.RFC3339) }
	signIns := []map[string]any{
		{"id": goatVMIdentityApp, "appId": goatVMIdentityApp, "lastSignInActivity": map[string]any{"lastSignInDateTime": ts(1)},
			"applicationAuthenticationClientSignInActivity": map[string]any{"lastSignInDateTime": ts(1)}},
		{"id": goatUAIdentityApp, "appId": goatUAIdentityApp, "lastSignInActivity": map[string]any{"lastSignInDateTime": ts(200)},
			"applicationAuthenticationClientSignInActivity": map[string]any{"lastSignInDateTime": ts(200)}},
		{"id": usageAppID, "appId": usageAppID, "lastSignInActivity": map[string]any{"lastSignInDateTime": ts(5)},
			"applicationAuthenticationClientSignInActivity": map[string]any{"lastSignInDateTime": ts(200)},
			"delegatedResourceSignInActivity":               map[string]any{"lastSignInDateTime": ts(5)}},
	}
	t.Run("read", func(t *testing.T) {
		ten := usageTenant(t, now)
		ten.ServicePrincipalSignIns = signIns
		r, _ := usageReport(t, ten, now)
		if vm := reportRow(t, r, goatVMI); vm.Activity.State != ciem.StateUsed {
			t.Errorf("VM identity signed in yesterday: activity %+v, want used", vm.Activity)
		}
		if ua := reportRow(t, r, goatUANode); ua.Activity.State != ciem.StateUnused || len(ua.Dormant) != 1 ||
			ua.Dormant[0].Kind != entitlement.CredentialSignIn || !strings.Contains(ua.Dormant[0].Reason, "not used for 200 days") {
			t.Errorf("user-assigned identity last signed in 200 days ago: activity %+v, dormant %+v; want unused, its sign-in dormant", ua.Activity, ua.Dormant)
		}
		// The deployer app signed in as a resource 5 days ago but last
		// presented its own credentials 200 days ago: its active secrets
		// are dormant.
		app := principalRow(t, r, "serviceprincipals", usageApp)
		var ids []string
		for _, d := range app.Dormant {
			if d.Kind == entitlement.CredentialSignIn {
				t.Errorf("deployer signed in 5 days ago, yet its sign-in is dormant: %+v", d)
			}
			if !strings.Contains(d.Reason, "not used for 200 days") {
				t.Errorf("dormant credential %+v: want not used for 200 days", d)
			}
			ids = append(ids, d.ID)
		}
		if len(ids) != 2 || app.Activity.State != ciem.StateUsed {
			t.Fatalf("deployer: dormant %v (want its 2 active secrets), activity %+v (want used: it signed in 5 days ago)", ids, app.Activity)
		}
	})
	t.Run("without AuditLog.Read.All", func(t *testing.T) {
		ten := usageTenant(t, now)
		ten.ServicePrincipalSignIns = signIns
		ten.ServicePrincipalSignInForbidden = true
		r, sum := usageReport(t, ten, now)
		if !slices.ContainsFunc(sum.Warnings, func(w string) bool { return strings.Contains(w, "service principals' sign-in activity unreadable") }) {
			t.Fatalf("warnings %v do not say service principal sign-in activity was unreadable", sum.Warnings)
		}
		for _, p := range []*ciem.Principal{reportRow(t, r, goatUANode), principalRow(t, r, "serviceprincipals", usageApp)} {
			oid := p.ID
			if p.Activity.State != ciem.StateUnknown || len(p.Dormant) != 0 {
				t.Errorf("%s: activity %+v, dormant %+v; want unknown and none", oid, p.Activity, p.Dormant)
			}
			if !slices.ContainsFunc(p.Notes, func(n string) bool {
				return strings.Contains(n, "AuditLog.Read.All") && strings.Contains(n, "dormant is unknown")
			}) {
				t.Errorf("%s: notes %v do not name AuditLog.Read.All", oid, p.Notes)
			}
		}
	})
}
