package azure

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/breachpath/breachpath/ciem"
	"github.com/breachpath/breachpath/collector/azure/fetch/fetchtest"
	"github.com/breachpath/breachpath/graph"
)

const (
	usageOld   = "0d0d0d0d-0000-4000-8000-0000000000b1" // last signed in 200 days ago
	usageBusy  = "0d0d0d0d-0000-4000-8000-0000000000b2" // interactive 200 days ago, non-interactive yesterday
	usageApp   = "0d0d0d0d-0000-4000-8000-0000000000c1" // a service principal with credentials
	usageAppID = "0d0d0d0d-0000-4000-8000-0000000000c2"
)

// usageTenant is the AzureGoat tenant plus two users and an application's
// service principal holding Reader at the subscription, answered in
// Microsoft Graph's documented shapes (user signInActivity, servicePrincipal
// passwordCredentials / keyCredentials).
func usageTenant(t *testing.T, now time.Time) *fetchtest.Tenant {
	ten := goatTenantFakes(t)
	ts := func(days int) string { return now.AddDate(0, 0, -days).Format(time.RFC3339) }
	ten.Graph["/v1.0/users"] = []map[string]any{
		{"id": usageOld, "displayName": "old", "userPrincipalName": "old@azuregoat.example", "userType": "Member", "accountEnabled": true, "createdDateTime": ts(900),
			"signInActivity": map[string]any{"lastSignInDateTime": ts(200), "lastNonInteractiveSignInDateTime": ts(190)}},
		{"id": usageBusy, "displayName": "busy", "userPrincipalName": "busy@azuregoat.example", "userType": "Member", "accountEnabled": true, "createdDateTime": ts(900),
			"signInActivity": map[string]any{"lastSignInDateTime": ts(200), "lastNonInteractiveSignInDateTime": ts(1)}},
	}
	ten.Graph["/v1.0/servicePrincipals"] = append(ten.Graph["/v1.0/servicePrincipals"], map[string]any{
		"id": usageApp, "appId": usageAppID, "displayName": "deployer", "servicePrincipalType": "Application",
		"passwordCredentials": []map[string]any{
			{"keyId": "aaaaaaaa-0000-4000-8000-00000000e001", "displayName": "old-ci", "startDateTime": ts(400), "endDateTime": ts(35)},
			{"keyId": "aaaaaaaa-0000-4000-8000-00000000e002", "displayName": "forever", "startDateTime": ts(10), "endDateTime": now.AddDate(2, 0, 0).Format(time.RFC3339)},
			{"keyId": "aaaaaaaa-0000-4000-8000-00000000e003", "displayName": "rotated", "startDateTime": ts(10), "endDateTime": now.AddDate(0, 0, 80).Format(time.RFC3339)},
		},
		"keyCredentials": []map[string]any{},
	})
	for i, p := range []string{usageOld, usageBusy, usageApp} {
		name := "bbbbbbbb-0000-4000-8000-00000000000" + string(rune('1'+i))
		ten.RoleAssignments = append(ten.RoleAssignments, map[string]any{"id": "/subscriptions/" + goatSub + "/providers/Microsoft.Authorization/roleAssignments/" + name,
			"name": name, "type": "Microsoft.Authorization/roleAssignments",
			"properties": map[string]any{"roleDefinitionId": "/subscriptions/" + goatSub + "/providers/Microsoft.Authorization/roleDefinitions/acdd72a7-3385-48ef-bd42-f606fba81ae7",
				"principalId": p, "principalType": map[bool]string{true: "ServicePrincipal", false: "User"}[p == usageApp], "scope": "/subscriptions/" + goatSub}})
	}
	return ten
}

func usageReport(t *testing.T, ten *fetchtest.Tenant, now time.Time) (*ciem.Report, *RunSummary) {
	t.Helper()
	snaps, sum := collectFakes(t, ten)
	r, err := ciem.Build(context.Background(), graph.AssembleSnapshots(snaps), ciem.Sources{}, ciem.Options{Now: now})
	if err != nil {
		t.Fatal(err)
	}
	return r, sum
}

func principalRow(t *testing.T, r *ciem.Report, kind, oid string) *ciem.Principal {
	t.Helper()
	return reportRow(t, r, "/tenants/"+goatTenant+"/"+kind+"/"+oid)
}

// reportRow returns the row of a principal node (a managed identity's node
// is its resource id).
func reportRow(t *testing.T, r *ciem.Report, id string) *ciem.Principal {
	t.Helper()
	p := r.Principal(id)
	if p == nil {
		t.Fatalf("no CIEM row for %s", id)
	}
	return p
}

func TestCIEMReportsDormantUsersAndExpiredOrLongLivedCredentials(t *testing.T) {
	now := time.Now().UTC()
	r, _ := usageReport(t, usageTenant(t, now), now)
	old, busy := principalRow(t, r, "users", usageOld), principalRow(t, r, "users", usageBusy)
	if len(old.Dormant) != 1 || !strings.Contains(old.Dormant[0].Reason, "not used for") || old.Activity.State != ciem.StateUnused {
		t.Fatalf("old user: dormant %+v, activity %+v; want dormant and unused", old.Dormant, old.Activity)
	}
	if len(busy.Dormant) != 0 || busy.Activity.State != ciem.StateUsed {
		t.Fatalf("busy user (non-interactive sign-in yesterday): dormant %+v, activity %+v; want used", busy.Dormant, busy.Activity)
	}
	app := principalRow(t, r, "serviceprincipals", usageApp)
	notes := strings.Join(app.Notes, "\n")
	for _, want := range []string{"(old-ci) expired on", "(forever) is valid for"} {
		if !strings.Contains(notes, want) {
			t.Errorf("service principal notes %q lack %q", notes, want)
		}
	}
	if strings.Contains(notes, "rotated") {
		t.Errorf("an 90-day credential is reported: %q", notes)
	}
	for _, n := range app.Notes {
		if strings.Contains(n, "e00") && !strings.Contains(n, "…e00") {
			t.Errorf("a credential id is printed unmasked: %q", n)
		}
	}
}

func TestCIEMSaysDormancyIsUnknownWithoutAuditLogRead(t *testing.T) {
	now := time.Now().UTC()
	ten := usageTenant(t, now)
	ten.SignInForbidden = true
	r, sum := usageReport(t, ten, now)
	if !slices.ContainsFunc(sum.Warnings, func(w string) bool { return strings.Contains(w, "sign-in activity unreadable") }) {
		t.Fatalf("warnings %v do not say sign-in activity was unreadable", sum.Warnings)
	}
	old := principalRow(t, r, "users", usageOld)
	if len(old.Dormant) != 0 || old.Activity.State != ciem.StateUnknown {
		t.Fatalf("old user without sign-in data: dormant %+v, activity %+v; want unknown", old.Dormant, old.Activity)
	}
	if !slices.ContainsFunc(old.Notes, func(n string) bool { return strings.Contains(n, "AuditLog.Read.All") }) {
		t.Fatalf("notes %v do not name AuditLog.Read.All", old.Notes)
	}
}
