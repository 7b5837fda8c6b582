package main

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/breachpath/breachpath/ciem"
	"github.com/breachpath/breachpath/collector/gcp/gcptest"
	"github.com/breachpath/breachpath/graph/entitlement"
)

var (
	ciemAuthDetails  = filepath.Join("..", "..", "ciem", "aws", "testdata", "authdetails.json")
	ciemLastAccessed = filepath.Join("..", "..", "ciem", "aws", "testdata", "last-accessed.json")
)

// runCIEM runs `ciem <args>` on a fresh app and returns stdout.
func runCIEM(t *testing.T, db string, args ...string) (string, error) {
	t.Helper()
	return runSub(t, context.Background(), db, (*app).ciemCommand, args...)
}

func TestCIEMRejectsBadFlags(t *testing.T) {
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"--format", "xml"}, "--format"},
		{[]string{"--last-accessed-days", "0"}, "--last-accessed-days"},
		{[]string{"--last-accessed-days", "401"}, "--last-accessed-days"},
		{[]string{"--from-file", "x.json", "--scope", "aws:111122223333"}, "--from-file reads no store"},
		{[]string{"--now", "yesterday"}, "--now"},
	}
	for _, tc := range tests {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			_, err := runCIEM(t, filepath.Join(t.TempDir(), "bp.db"), tc.args...)
			if !errors.Is(err, errUsage) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want a usage error mentioning %q", err, tc.want)
			}
		})
	}
}

func TestCIEMFromFileSaysUnknownWithoutLastAccessed(t *testing.T) {
	out, err := runCIEM(t, filepath.Join(t.TempDir(), "bp.db"), "--from-file", ciemAuthDetails, "--format", "json", "--now", "2026-11-25T00:00:00Z")
	if err != nil {
		t.Fatal(err)
	}
	var rep ciem.Report
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, out)
	}
	if len(rep.Principals) == 0 {
		t.Fatal("no principals")
	}
	for _, p := range rep.Principals {
		if p.Usage.Known || p.Suggestion != nil {
			t.Errorf("%s: usage known or suggestion without last-accessed data", p.ID)
		}
	}
	if rep.Principals[0].Name != "break-glass" || len(rep.Principals[0].AttackPaths) == 0 {
		t.Errorf("first row %s (paths %v), want break-glass on its attack paths", rep.Principals[0].Name, rep.Principals[0].AttackPaths)
	}
}

func TestCIEMFromFileWithLastAccessedAndFilters(t *testing.T) {
	out, err := runCIEM(t, filepath.Join(t.TempDir(), "bp.db"), "--from-file", ciemAuthDetails, "--last-accessed", ciemLastAccessed,
		"--format", "csv", "--principal", "carol", "--principal", "arn:aws:iam::111122223333:user/automation/reporting", "--now", "2026-11-25T00:00:00Z")
	if err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(strings.NewReader(out)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 3 {
		t.Fatalf("%d rows, want the header, carol and reporting:\n%s", len(rows), out)
	}
	col := map[string]int{}
	for i, h := range rows[0] {
		col[h] = i
	}
	for _, r := range rows[1:] {
		switch r[col["name"]] {
		case "carol":
			if !strings.Contains(r[col["suggestion"]], `"lambda:GetFunction"`) || r[col["usage_known"]] != "true" {
				t.Errorf("carol: suggestion %q usage_known %s", r[col["suggestion"]], r[col["usage_known"]])
			}
		case "reporting":
			if r[col["suggestion"]] != "" || r[col["unused_services"]] != "1/1" || r[col["activity"]] != ciem.StateUnused {
				t.Errorf("reporting: %v", r)
			}
		default:
			t.Errorf("unexpected row %v", r)
		}
	}
	if _, err := runCIEM(t, filepath.Join(t.TempDir(), "bp.db"), "--from-file", ciemAuthDetails, "--principal", "nobody"); err == nil {
		t.Error("an unknown --principal is not an error")
	}
}

func TestCIEMHTMLToFile(t *testing.T) {
	file := filepath.Join(t.TempDir(), "ciem.html")
	if _, err := runCIEM(t, filepath.Join(t.TempDir(), "bp.db"), "--from-file", ciemAuthDetails, "--format", "html", "-o", file); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(b, []byte("<!DOCTYPE html>")) || !bytes.Contains(b, []byte("<svg")) {
		t.Fatalf("not the HTML report: %.200s", b)
	}
}

// TestCIEMOnTheStore reads the report from the store that `collect aws
// --from-file` filled. The collector does not record entitlements yet, so
// permissions are unknown while admin, escalation and trust come from the graph.
func TestCIEMOnTheStore(t *testing.T) {
	db := filepath.Join(t.TempDir(), "bp.db")
	if _, err := runCollect(t, context.Background(), db, "aws", "--from-file", ciemAuthDetails); err != nil {
		t.Fatal(err)
	}
	out, err := runCIEM(t, db, "--format", "json")
	if err != nil {
		t.Fatal(err)
	}
	var rep ciem.Report
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatal(err)
	}
	var alice *ciem.Principal
	for i := range rep.Principals {
		if rep.Principals[i].Name == "alice" {
			alice = &rep.Principals[i]
		}
	}
	if alice == nil || !alice.Admin.Direct || alice.Usage.Known {
		t.Fatalf("alice from the store: %+v", alice)
	}
	if _, err := runCIEM(t, db, "--scope", "aws:999999999999"); err != nil {
		t.Fatalf("empty scope: %v", err)
	}
}

// The GCPGoat lab imported from export files with the recommender's policy
// insights (`gcloud recommender insights list --format=json`): `ciem
// --format json` shows the Owner service account a custom role of exactly
// the permissions it exercised, replacing roles/owner on the project.
func TestCIEMGCPInsightsSuggestExercisedPermissions(t *testing.T) {
	dir := t.TempDir()
	files, err := gcptest.WriteExport(dir, gcptest.Published)
	if err != nil {
		t.Fatal(err)
	}
	ins, err := json.Marshal(gcptest.LabInsights()[gcptest.ProjectID])
	if err != nil {
		t.Fatal(err)
	}
	insFile := filepath.Join(dir, "insights.json")
	if err := os.WriteFile(insFile, ins, 0o600); err != nil {
		t.Fatal(err)
	}
	db := filepath.Join(dir, "bp.db")
	args := []string{"gcp"}
	for _, f := range append(files, insFile) {
		args = append(args, "--from-file", f)
	}
	if _, err := runCollect(t, context.Background(), db, args...); err != nil {
		t.Fatal(err)
	}
	out, err := runCIEM(t, db, "--format", "json", "--now", "2026-12-06T00:00:00Z")
	if err != nil {
		t.Fatal(err)
	}
	var rep ciem.Report
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("not JSON: %v", err)
	}
	p := rep.Principal(gcptest.AdminSAID)
	if p == nil || p.Suggestion == nil {
		t.Fatalf("admin service account: %+v", p)
	}
	want := []string{"resourcemanager.projects.setIamPolicy", "secretmanager.versions.access"}
	if !slices.Equal(p.Suggestion.Actions, want) ||
		!slices.Contains(p.Suggestion.Replaces, entitlement.Replaced{Grant: "roles/owner", On: gcptest.Project}) {
		t.Errorf("suggestion actions %v replaces %+v, want %v replacing roles/owner on %s", p.Suggestion.Actions, p.Suggestion.Replaces, want, gcptest.Project)
	}
}
