package main

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/breachpath/breachpath/collector/gcp/gcptest"
	"github.com/breachpath/breachpath/collector/gcp/inventory"
	"github.com/breachpath/breachpath/graph"
	"github.com/breachpath/breachpath/graph/embedded"
)

func TestCollectGCPRejectsBadFlagCombinations(t *testing.T) {
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"gcp"}, "exactly one of --organization, --folder, --project"},
		{[]string{"gcp", "--organization", "1", "--project", "p"}, "exactly one of"},
		{[]string{"gcp", "--from-file", "x.json", "--project", "p"}, "--from-file reads no GCP API"},
		{[]string{"gcp", "--from-file", "x.json", "--key-activity"}, "--from-file reads no GCP API"},
		{[]string{"gcp", "--from-file", "x.json", "--scan-config-objects"}, "--from-file reads no GCP API"},
		{[]string{"gcp", "--from-file", "x.json", "--impersonate-service-account", "a@b.iam.gserviceaccount.com"}, "--from-file reads no GCP API"},
		{[]string{"gcp", "--organization", "organizations/1"}, "bare id"},
	}
	for _, tc := range tests {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			_, err := runCollect(t, context.Background(), filepath.Join(t.TempDir(), "bp.db"), tc.args...)
			if !errors.Is(err, errUsage) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want a usage error mentioning %q", err, tc.want)
			}
		})
	}
}

func TestCollectGCPFromExportFilesStoresEveryScope(t *testing.T) {
	files, err := gcptest.WriteExport(t.TempDir(), gcptest.Published)
	if err != nil {
		t.Fatal(err)
	}
	db := filepath.Join(t.TempDir(), "bp.db")
	out, err := runCollect(t, context.Background(), db, "gcp", "--from-file", strings.Join(files, ","))
	if err != nil {
		t.Fatalf("collect gcp --from-file: %v\n%s", err, out)
	}
	for _, want := range []string{"2 scopes", "gcp:" + gcptest.ProjectID, "gcp:organizations/" + gcptest.OrgNumber, "areas not in the import"} {
		if !strings.Contains(out, want) {
			t.Errorf("summary lacks %q:\n%s", want, out)
		}
	}
	st, err := embedded.Open(context.Background(), db)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	g, err := st.Load(context.Background(), graph.Filter{Clouds: []graph.Cloud{graph.CloudGCP}})
	if err != nil {
		t.Fatal(err)
	}
	if n := g.Node(gcptest.JWTSecret); n == nil || n.Stub || !n.CrownJewel {
		t.Errorf("secret = %+v", n)
	}
}

// A live collection whose compute area fails exits partial (code 3) after
// storing everything else.
func TestCollectGCPLiveWithAFailedAreaIsPartial(t *testing.T) {
	res, pol := gcptest.Lab(gcptest.Published)
	as := gcptest.NewAssetServer(res, pol, &gcptest.Fault{Types: []string{inventory.TypeInstance}, Status: 403})
	defer as.Close()
	ss, err := gcptest.NewStorageServer(gcptest.LabBuckets...)
	if err != nil {
		t.Fatal(err)
	}
	defer ss.Stop()
	svc := gcptest.NewServiceServer(res, pol, nil)
	defer svc.Close()
	// Endpoints come from gcloud's own override variables; no flag.
	t.Setenv("CLOUDSDK_API_ENDPOINT_OVERRIDES_CLOUDASSET", as.URL)
	t.Setenv("CLOUDSDK_API_ENDPOINT_OVERRIDES_STORAGE", ss.Endpoint())
	t.Setenv("CLOUDSDK_API_ENDPOINT_OVERRIDES_POLICYANALYZER", as.URL+"/")
	for k, v := range svc.Env() {
		t.Setenv(k, v)
	}
	db := filepath.Join(t.TempDir(), "bp.db")
	out, err := runCollect(t, context.Background(), db, "gcp", "--organization", gcptest.OrgNumber, "--key-activity")
	var pe *partialError
	if !errors.As(err, &pe) {
		t.Fatalf("err = %v, want partial\n%s", err, out)
	}
	if !strings.Contains(out, "failed compute") || !strings.Contains(out, "written") {
		t.Errorf("summary:\n%s", out)
	}
}

func TestCollectGCPTakesEndpointsFromTheEnvironmentNotFlags(t *testing.T) {
	cmd := (&app{}).collectGCPCommand()
	for _, gone := range []string{"asset-endpoint", "storage-endpoint", "policy-analyzer-endpoint"} {
		if cmd.Flags().Lookup(gone) != nil {
			t.Errorf("--%s still exists; CLOUDSDK_API_ENDPOINT_OVERRIDES_<API> replaces it", gone)
		}
	}
	if !strings.Contains(cmd.Long, "CLOUDSDK_API_ENDPOINT_OVERRIDES_COMPUTE") {
		t.Error("help does not name the endpoint variables")
	}
}
