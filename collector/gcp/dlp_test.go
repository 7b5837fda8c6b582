package gcp_test

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/breachpath/breachpath/collector/gcp"
	"github.com/breachpath/breachpath/collector/gcp/fetch"
	"github.com/breachpath/breachpath/collector/gcp/gcptest"
	"github.com/breachpath/breachpath/collector/gcp/transform"
	"github.com/breachpath/breachpath/collector/sensitivity"
	"github.com/breachpath/breachpath/graph"
	"github.com/breachpath/breachpath/paths"
)

// The lab's function-bucket-5e1f is public (allUsers may read objects),
// unlabelled and neutrally named: no rule makes it a target. dev-blogapp is
// public and labelled internal; the reports dataset (extension) is
// labelled confidential.
var (
	functionBucket = "//storage.googleapis.com/function-bucket-5e1f"
	fileProfile    = func(bucket, score, risk string, infoTypes ...string) map[string]any {
		var its []map[string]any
		for _, it := range infoTypes {
			its = append(its, map[string]any{"infoType": map[string]any{"name": it}})
		}
		return map[string]any{"name": "projects/" + gcptest.ProjectID + "/locations/us/fileStoreDataProfiles/fs-" + bucket,
			"projectId": gcptest.ProjectID, "fileStorePath": "gs://" + bucket, "fullResource": "//storage.googleapis.com/" + bucket,
			"sensitivityScore": map[string]any{"score": score}, "dataRiskLevel": map[string]any{"score": risk},
			"fileStoreInfoTypeSummaries": its, "profileStatus": map[string]any{}}
	}
	tableProfile = func(dataset, table, score string) map[string]any {
		return map[string]any{"name": "organizations/" + gcptest.OrgNumber + "/locations/us/tableDataProfiles/t-" + table,
			"projectDataProfile": "projects/" + gcptest.ProjectID + "/locations/us/projectDataProfiles/p1",
			"datasetProjectId":   gcptest.ProjectID, "datasetId": dataset, "tableId": table,
			"fullResource":     "//bigquery.googleapis.com/projects/" + gcptest.ProjectID + "/datasets/" + dataset + "/tables/" + table,
			"sensitivityScore": map[string]any{"score": score}, "dataRiskLevel": map[string]any{"score": "RISK_MODERATE"},
			"predictedInfoTypes": []map[string]any{{"infoType": map[string]any{"name": "US_SOCIAL_SECURITY_NUMBER"}}}}
	}
)

// collectWithProfiles collects the lab and its extension live with the DLP
// server answering profiles, then applies the default sensitivity rules
// as `breachpath collect` does.
func collectWithProfiles(t *testing.T, profiles []map[string]any, disabled bool, faults ...*gcptest.ServiceFault) (*graph.Graph, *gcp.Run) {
	t.Helper()
	res, pol := gcptest.Lab(gcptest.Published)
	er, ep, members := gcptest.Extension(true)
	srv := gcptest.StartServers(t, append(res, er...), append(pol, ep...), members, nil, faults...)
	srv.Services.DataProfiles, srv.Services.DLPDisabled = profiles, disabled
	env := srv.Env()
	snaps, run, err := gcp.Collect(context.Background(), fetch.Options{
		Parent:         "organizations/" + gcptest.OrgNumber,
		ServiceOptions: fetch.EndpointOptions(func(k string) string { return env[k] }),
		DLPLocations:   []string{"us"},
		RetryBase:      time.Millisecond, MaxAttempts: 2,
	}, transform.Options{})
	if err != nil {
		t.Fatal(err)
	}
	sensitivity.Default().Apply(snaps)
	return graph.AssembleSnapshots(snaps), run
}

// targetReached reports whether a path from the Internet ends at id.
func targetReached(t *testing.T, g *graph.Graph, id string) bool {
	t.Helper()
	res, err := paths.Search(context.Background(), g, paths.Options{MaxDepth: 10})
	if err != nil {
		t.Fatal(err)
	}
	return slices.ContainsFunc(res.Paths, func(p paths.Path) bool { return p.Target == id })
}

func TestDLPDataProfilesMakeUnlabelledStoresTargets(t *testing.T) {
	cases := []struct {
		name       string
		profiles   []map[string]any
		node       string
		wantPath   bool
		wantLevel  graph.Sensitivity
		wantSource string
		wantRule   string
	}{
		{name: "no profile: neutral public bucket is no target", node: functionBucket},
		{name: "high sensitivity file store profile makes the bucket restricted",
			profiles: []map[string]any{fileProfile("function-bucket-5e1f", "SENSITIVITY_HIGH", "RISK_HIGH", "CREDIT_CARD_NUMBER")},
			node:     functionBucket, wantPath: true, wantLevel: graph.SensitivityRestricted,
			wantSource: sensitivity.SourceClassifier, wantRule: "GCP Sensitive Data Protection (dlp_sensitivity=restricted)"},
		{name: "moderate sensitivity makes it confidential",
			profiles: []map[string]any{fileProfile("function-bucket-5e1f", "SENSITIVITY_MODERATE", "RISK_MODERATE", "EMAIL_ADDRESS")},
			node:     functionBucket, wantPath: true, wantLevel: graph.SensitivityConfidential,
			wantSource: sensitivity.SourceClassifier, wantRule: "GCP Sensitive Data Protection (dlp_sensitivity=confidential)"},
		{name: "low sensitivity raises nothing",
			profiles: []map[string]any{fileProfile("function-bucket-5e1f", "SENSITIVITY_LOW", "RISK_LOW")},
			node:     functionBucket},
		// Precedence: a classifier above an explicit lower tag wins and
		// says so; the dataset's label (confidential) is below the
		// table profile's HIGH.
		{name: "table profile above the dataset label wins over the tag",
			profiles: []map[string]any{tableProfile("reports", "q3_customers", "SENSITIVITY_HIGH")},
			node:     gcptest.ReportsDS, wantPath: true, wantLevel: graph.SensitivityRestricted,
			wantSource: sensitivity.SourceClassifier, wantRule: "GCP Sensitive Data Protection (dlp_sensitivity=restricted)"},
		{name: "dataset label above a moderate table profile keeps the tag",
			profiles: []map[string]any{tableProfile("reports", "q3_totals", "SENSITIVITY_MODERATE")},
			node:     gcptest.ReportsDS, wantPath: true, wantLevel: graph.SensitivityConfidential,
			wantSource: sensitivity.SourceTag, wantRule: "tag data-classification=confidential"},
		// The bucket labelled internal: the tag alone makes no target; a
		// HIGH profile raises it over the lower tag.
		{name: "bucket labelled internal stays below the threshold without a profile", node: gcptest.DevBucket,
			wantLevel: graph.SensitivityInternal, wantSource: sensitivity.SourceTag, wantRule: "tag data-classification=internal"},
		{name: "high profile overrides the lower internal label",
			profiles: []map[string]any{fileProfile("dev-blogapp-5e1f", "SENSITIVITY_HIGH", "RISK_HIGH", "US_PASSPORT")},
			node:     gcptest.DevBucket, wantPath: true, wantLevel: graph.SensitivityRestricted,
			wantSource: sensitivity.SourceClassifier, wantRule: "GCP Sensitive Data Protection (dlp_sensitivity=restricted)"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			g, run := collectWithProfiles(t, tc.profiles, false)
			if run.Partial() {
				t.Fatalf("failed: %+v", run.Failed)
			}
			n := g.Node(tc.node)
			if n == nil {
				t.Fatalf("%s not collected", tc.node)
			}
			if got := targetReached(t, g, tc.node); got != tc.wantPath {
				t.Errorf("path to %s = %v, want %v", tc.node, got, tc.wantPath)
			}
			if n.Sensitivity != tc.wantLevel {
				t.Errorf("level = %s, want %s", n.Sensitivity, tc.wantLevel)
			}
			src, _ := n.Props[sensitivity.PropSource].(string)
			rule, _ := n.Props[sensitivity.PropRule].(string)
			if src != tc.wantSource || !strings.EqualFold(rule, tc.wantRule) {
				t.Errorf("why = %q / %q, want %q / %q", src, rule, tc.wantSource, tc.wantRule)
			}
			if len(tc.profiles) > 0 {
				if ev, _ := n.Props["dlp_evidence"].(string); !strings.HasPrefix(ev, "GCP Sensitive Data Protection: ") {
					t.Errorf("dlp_evidence = %q", ev)
				}
			}
		})
	}
}

func TestDLPAreaFailureIsRecordedAndNotEnabledIsNot(t *testing.T) {
	high := []map[string]any{fileProfile("function-bucket-5e1f", "SENSITIVITY_HIGH", "RISK_HIGH")}
	t.Run("API not enabled: no failure, no profile", func(t *testing.T) {
		g, run := collectWithProfiles(t, high, true)
		if run.Partial() {
			t.Fatalf("not enabled counted as a failure: %+v", run.Failed)
		}
		if targetReached(t, g, functionBucket) {
			t.Error("profiles read from a disabled API")
		}
	})
	t.Run("permission denied: the dlp area fails, the rest stands", func(t *testing.T) {
		g, run := collectWithProfiles(t, high, false, &gcptest.ServiceFault{API: "dlp", Status: 403})
		var failed []string
		for _, f := range run.Failed {
			failed = append(failed, f.Service)
		}
		if !slices.Equal(failed, []string{fetch.AreaDLP}) {
			t.Fatalf("failed areas = %v, want only dlp", failed)
		}
		if g.Node(functionBucket) == nil || targetReached(t, g, functionBucket) {
			t.Error("bucket lost, or classified without profiles")
		}
	})
}

// Offline: the profiles array of a list answer, beside the asset export,
// classifies the same bucket.
func TestDLPProfilesImportOffline(t *testing.T) {
	dir := t.TempDir()
	files, err := gcptest.WriteExport(dir, gcptest.Published)
	if err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal([]map[string]any{fileProfile("function-bucket-5e1f", "SENSITIVITY_HIGH", "RISK_HIGH", "CREDIT_CARD_NUMBER")})
	if err != nil {
		t.Fatal(err)
	}
	pf := filepath.Join(dir, "file-store-profiles.json")
	if err := os.WriteFile(pf, b, 0o600); err != nil {
		t.Fatal(err)
	}
	for _, withProfiles := range []bool{false, true} {
		in := files
		if withProfiles {
			in = append(slices.Clone(files), pf)
		}
		snaps, _, err := gcp.FromFiles(context.Background(), in, transform.Options{})
		if err != nil {
			t.Fatal(err)
		}
		sensitivity.Default().Apply(snaps)
		g := graph.AssembleSnapshots(snaps)
		if got := targetReached(t, g, functionBucket); got != withProfiles {
			t.Errorf("with profiles %v: path to the bucket = %v", withProfiles, got)
		}
	}
}
