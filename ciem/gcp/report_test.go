// Package gcp_test runs the CIEM report end to end over the GCP collector:
// the GCPGoat lab organisation imported from Cloud Asset Inventory export
// files, the report built from the snapshots alone.
package gcp_test

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/breachpath/breachpath/ciem"
	"github.com/breachpath/breachpath/collector"
	gcpcollector "github.com/breachpath/breachpath/collector/gcp"
	"github.com/breachpath/breachpath/collector/gcp/entitlements"
	"github.com/breachpath/breachpath/collector/gcp/fetch"
	"github.com/breachpath/breachpath/collector/gcp/gcptest"
	"github.com/breachpath/breachpath/collector/gcp/transform"
	"github.com/breachpath/breachpath/graph"
	"github.com/breachpath/breachpath/graph/entitlement"
)

// The CIEM report lists the lab's GCP principals from the stored graph
// alone: what their bindings grant through inheritance, basic roles
// flagged, and who reaches project ownership by escalation.
func TestLabPrincipalsInTheCIEMReport(t *testing.T) {
	files, err := gcptest.WriteExport(t.TempDir(), gcptest.Published)
	if err != nil {
		t.Fatal(err)
	}
	snaps, _, err := gcpcollector.FromFiles(context.Background(), files, transform.Options{})
	if err != nil {
		t.Fatal(err)
	}
	var nodes []graph.Node
	var edges []graph.Edge
	var findings []graph.Finding
	for _, s := range snaps {
		nodes, edges, findings = append(nodes, s.Nodes...), append(edges, s.Edges...), append(findings, s.Findings...)
	}
	g := graph.Assemble(nodes, edges, findings)
	rep, err := ciem.Build(context.Background(), g, ciem.Sources{Policies: collector.PolicyWriters()}, ciem.Options{Now: time.Now()})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		id          string
		kind        graph.Kind
		basicRole   string
		adminDirect bool
		adminEsc    bool
	}{
		{gcptest.AdminSAID, graph.KindServiceAccount, "roles/owner", false, true},
		{gcptest.DefaultSAID, graph.KindServiceAccount, "roles/editor", false, true},
		{gcptest.AppspotSAID, graph.KindServiceAccount, "roles/editor", false, true},
		{"//cloudidentity.googleapis.com/users/owner@" + gcptest.Domain, graph.KindUser, "roles/owner", false, true},
	}
	for _, tc := range tests {
		t.Run(tc.id, func(t *testing.T) {
			p := rep.Principal(tc.id)
			if p == nil {
				t.Fatal("not in the report")
			}
			if p.Cloud != graph.CloudGCP || p.Kind != tc.kind || !p.EntitlementsKnown {
				t.Fatalf("row = cloud %s kind %s known %v", p.Cloud, p.Kind, p.EntitlementsKnown)
			}
			if !slices.ContainsFunc(p.Wildcards, func(w entitlement.Wildcard) bool {
				return w.PolicyName == tc.basicRole && slices.Contains(w.Kinds, entitlements.WildcardBasicRole)
			}) {
				t.Errorf("basic role %s not flagged: %+v", tc.basicRole, p.Wildcards)
			}
			if p.Permissions.Total < 1000 {
				t.Errorf("permissions total %d: a basic role grants thousands", p.Permissions.Total)
			}
			if p.Admin.Direct != tc.adminDirect || p.Admin.ViaEscalation != tc.adminEsc {
				t.Errorf("admin = %+v", p.Admin)
			}
		})
	}
	// Key usage from Policy Analyzer: both user-managed keys are dormant.
	for id, reason := range map[string]string{gcptest.AdminSAID: "not used for", gcptest.DefaultSAID: "never used"} {
		p := rep.Principal(id)
		if p == nil || len(p.Dormant) != 1 || !strings.Contains(p.Dormant[0].Reason, reason) || p.Dormant[0].Kind != entitlement.CredentialAccessKey {
			t.Errorf("%s dormant credentials = %+v, want one key %q", id, p.Dormant, reason)
		}
	}
	for _, p := range rep.Principals {
		if p.Cloud == graph.CloudGCP && (p.ID == gcptest.OwnerNode || len(p.ID) > len(gcptest.DefaultSAID) && p.ID[:len(gcptest.DefaultSAID)] == gcptest.DefaultSAID && p.ID != gcptest.DefaultSAID) {
			t.Errorf("synthetic node %s reported as a principal", p.ID)
		}
	}
}

func TestLeastPrivilegeCustomRole(t *testing.T) {
	w := entitlements.DefaultPolicyWriter()
	s, err := w.LeastPrivilege([]entitlement.Keep{{Service: "storage", Actions: []string{"storage.objects.get", "storage.objects.list"}}}, 40)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(s.Actions, []string{"storage.objects.get", "storage.objects.list"}) || s.Removed != 40 {
		t.Fatalf("suggestion = %+v", s)
	}
	all, err := w.LeastPrivilege([]entitlement.Keep{{Service: "secretmanager", All: true, Except: []string{"secretmanager.secrets.delete"}}}, 0)
	if err != nil || len(all.Actions) < 5 || slices.Contains(all.Actions, "secretmanager.secrets.delete") {
		t.Fatalf("all-of-service suggestion = %+v, %v", all, err)
	}
}

// With the IAM recommender's policy insights (read live with
// --key-activity), the report knows which of a principal's permissions
// were used in 90 days: the App Engine account, an Editor that only read
// its functions and wrote logs, has every other service unused.
// insightReport collects the lab from local servers answering the
// documented API shapes, with the recommender's policy insights, and builds
// the CIEM report.
func insightReport(t *testing.T) *ciem.Report {
	t.Helper()
	res, pol := gcptest.Lab(gcptest.Published)
	srv := gcptest.StartServers(t, res, pol, nil, nil)
	srv.Services.Insights = gcptest.LabInsights()
	env := srv.Env()
	snaps, run, err := gcpcollector.Collect(context.Background(), fetch.Options{
		Parent:         "organizations/" + gcptest.OrgNumber,
		ServiceOptions: fetch.EndpointOptions(func(k string) string { return env[k] }),
		KeyActivity:    true,
		RetryBase:      time.Millisecond, MaxAttempts: 2,
	}, transform.Options{Now: time.Date(2026, 12, 6, 0, 0, 0, 0, time.UTC)})
	if err != nil {
		t.Fatal(err)
	}
	if len(run.Failed) > 0 {
		t.Fatalf("failed %+v", run.Failed)
	}
	var nodes []graph.Node
	var edges []graph.Edge
	for _, s := range snaps {
		nodes, edges = append(nodes, s.Nodes...), append(edges, s.Edges...)
	}
	rep, err := ciem.Build(context.Background(), graph.Assemble(nodes, edges, nil), ciem.Sources{Policies: collector.PolicyWriters()},
		ciem.Options{Now: time.Date(2026, 12, 6, 0, 0, 0, 0, time.UTC)})
	if err != nil {
		t.Fatal(err)
	}
	return rep
}

func TestRecommenderInsightsMakePermissionUseKnown(t *testing.T) {
	rep := insightReport(t)
	p := rep.Principal(gcptest.AppspotSAID)
	if p == nil || !p.Usage.Known || p.Usage.Source != transform.UsageSource {
		t.Fatalf("usage = %+v", p)
	}
	if !slices.Contains(p.Usage.UsedServices, "cloudfunctions") || !slices.Contains(p.Usage.UsedServices, "logging") ||
		slices.Contains(p.Usage.UsedServices, "compute") {
		t.Errorf("used services %v, want cloudfunctions and logging, not compute", p.Usage.UsedServices)
	}
	if !slices.Contains(p.Usage.UnusedServices, "compute") || p.Usage.UnusedActions < 1000 {
		t.Errorf("unused services %v (%d actions), want compute among thousands of unused permissions", p.Usage.UnusedServices, p.Usage.UnusedActions)
	}
	// The owner user has no insight: its binding's use is unknown, so
	// nothing of it is called unused.
	if o := rep.Principal("//cloudidentity.googleapis.com/users/owner@" + gcptest.Domain); o != nil && len(o.Usage.UnusedServices) > 0 {
		t.Errorf("owner user has unused services %v without an insight", o.Usage.UnusedServices)
	}
}

// With policy insights, a principal holding a basic role gets a custom role
// of exactly the permissions its insights say were exercised, however many
// the role grants; it names the bindings it replaces, and our own IAM
// evaluator confirms it grants exactly those permissions. Without an
// insight there is no suggestion, and the row says why.
func TestInsightsSuggestCustomRolesOfTheExercisedPermissions(t *testing.T) {
	rep := insightReport(t)
	owner := "//cloudidentity.googleapis.com/users/owner@" + gcptest.Domain
	tests := []struct {
		name     string
		id       string
		want     []string // nil: no suggestion
		replaces entitlement.Replaced
		reason   string
	}{
		{"owner service account keeps what it exercised", gcptest.AdminSAID,
			[]string{"resourcemanager.projects.setIamPolicy", "secretmanager.versions.access"},
			entitlement.Replaced{Grant: "roles/owner", On: gcptest.Project}, ""},
		{"editor service account keeps what it exercised", gcptest.AppspotSAID,
			[]string{"cloudfunctions.functions.get", "logging.logEntries.create"},
			entitlement.Replaced{Grant: "roles/editor", On: gcptest.Project}, ""},
		{"owner user without an insight gets none", owner, nil, entitlement.Replaced{}, "no last-accessed data"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := rep.Principal(tc.id)
			if p == nil {
				t.Fatal("not in the report")
			}
			if tc.want == nil {
				if p.Suggestion != nil || !strings.Contains(p.SuggestionReason, tc.reason) {
					t.Fatalf("suggestion %+v, reason %q; want none with %q", p.Suggestion, p.SuggestionReason, tc.reason)
				}
				return
			}
			s := p.Suggestion
			if s == nil {
				t.Fatalf("no suggestion: %s", p.SuggestionReason)
			}
			if !slices.Equal(s.Actions, tc.want) {
				t.Errorf("actions %v, want exactly %v", s.Actions, tc.want)
			}
			if !slices.Contains(s.Replaces, tc.replaces) {
				t.Errorf("replaces %+v, want %+v", s.Replaces, tc.replaces)
			}
			if s.Removed < 1000 {
				t.Errorf("removed %d: a basic role's thousands of unused permissions should go", s.Removed)
			}
			if err := entitlements.Verify(s, tc.want); err != nil {
				t.Error(err)
			}
		})
	}
}
