package fetch_test

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/breachpath/breachpath/collector/gcp/fetch"
	"github.com/breachpath/breachpath/collector/gcp/gcptest"
	"github.com/breachpath/breachpath/collector/gcp/inventory"
	"github.com/breachpath/breachpath/graph"
)

// serviceHarness serves the lab plus its extension: the asset inventory
// holds casRes/casPol, the service APIs svcRes/svcPol (they differ when a
// test makes the inventory lag behind the services).
func serviceHarness(t *testing.T, casRes, casPol, svcRes, svcPol []*inventory.Asset, members map[string][]string, faults ...*gcptest.ServiceFault) *harness {
	t.Helper()
	srv := gcptest.StartServers(t, casRes, casPol, nil, nil)
	svc := gcptest.NewServiceServer(svcRes, svcPol, members, faults...)
	t.Cleanup(svc.Close)
	return &harness{assets: srv.Assets, storage: srv.Storage, services: svc}
}

func labWithExtension(v gcptest.Variant, inGroup bool) (res, pol []*inventory.Asset, members map[string][]string) {
	res, pol = gcptest.Lab(v)
	er, ep, m := gcptest.Extension(inGroup)
	return append(res, er...), append(pol, ep...), m
}

func TestServiceAPIsAddWhatTheAssetInventoryLacks(t *testing.T) {
	res, pol, members := labWithExtension(gcptest.Published, true)
	h := serviceHarness(t, res, pol, res, pol, members)
	inv, err := fetch.Collect(context.Background(), h.options("organizations/"+gcptest.OrgNumber))
	if err != nil {
		t.Fatal(err)
	}
	if len(inv.Coverage.Failed) > 0 {
		t.Fatalf("failed: %+v", inv.Coverage.Failed)
	}
	for _, api := range []string{"compute", "bigquery", "secretmanager", "sql", "cloudfunctions", "run", "container", "cloudkms"} {
		if h.services.Requests[api] == 0 {
			t.Errorf("%s API not called", api)
		}
	}
	// Instance-group members exist only in the Compute Engine API.
	if got := inv.GroupMembers[gcptest.WebGroup]; !slices.Equal(got, []string{gcptest.WebVM}) {
		t.Errorf("members of web-ig = %v, want [%s]", got, gcptest.WebVM)
	}
	// Functions come back in the v2 shape, 1st gen kept as CloudFunction.
	fn := inv.Assets[gcptest.Backend]
	var f inventory.Function
	if fn == nil || fn.Decode(&f) != nil || f.ServiceConfig == nil || fn.AssetType != inventory.TypeFunctionV1 {
		t.Fatalf("backend function = %+v", fn)
	}
	if sa, ingress := f.Identity(); sa != gcptest.AppspotSA || ingress != "ALLOW_ALL" {
		t.Errorf("backend identity %s %s", sa, ingress)
	}
	// getIamPolicy answers replace the listed policies: one binding, not two.
	if p := fn.IAMPolicy; p == nil || len(p.Bindings) != 1 || p.Bindings[0].Members[0] != "allUsers" {
		t.Errorf("backend policy = %+v", p)
	}
	if p := inv.Assets[gcptest.BlogKey].IAMPolicy; p == nil || len(p.Bindings) != 1 {
		t.Errorf("key policy = %+v", p)
	}
	// The secret is named by project number in both sources: one record.
	if a := inv.Assets[gcptest.JWTSecret]; a == nil || a.IAMPolicy == nil {
		t.Errorf("secret = %+v, want its (empty) IAM policy read", a)
	}
	var ds inventory.Dataset
	if err := inv.Assets[gcptest.ReportsDS].Decode(&ds); err != nil || len(ds.Access) != 2 {
		t.Errorf("dataset access %+v (%v)", ds.Access, err)
	}
	// No resource appears twice under the project id and number.
	for name := range inv.Assets {
		alt := strings.Replace(name, "/projects/"+gcptest.ProjectID+"/", "/projects/"+gcptest.ProjectNumber+"/", 1)
		if alt != name && inv.Assets[alt] != nil {
			t.Errorf("%s and %s both present", name, alt)
		}
	}
	var prj struct {
		CommonInstanceMetadata inventory.Metadata `json:"commonInstanceMetadata"`
	}
	if a := inv.Assets["//compute.googleapis.com/projects/"+gcptest.ProjectID]; a == nil || a.Decode(&prj) != nil {
		t.Errorf("compute project not read: %+v", a)
	}
}

// The asset inventory is eventually consistent: when it still shows
// developer-vm with the compute scope the instance no longer has, the
// Compute Engine API's answer is the one kept.
func TestServiceDetailWinsOverALaggingAssetInventory(t *testing.T) {
	casRes, casPol := gcptest.Lab(gcptest.Published)
	svcRes, svcPol := gcptest.Lab(gcptest.DevVMWithoutComputeScope)
	h := serviceHarness(t, casRes, casPol, svcRes, svcPol, nil)
	inv, err := fetch.Collect(context.Background(), h.options("projects/"+gcptest.ProjectID))
	if err != nil {
		t.Fatal(err)
	}
	var in inventory.Instance
	if err := inv.Assets[gcptest.DeveloperVM].Decode(&in); err != nil {
		t.Fatal(err)
	}
	for _, s := range in.ServiceAccounts[0].Scopes {
		if strings.HasSuffix(s, "/compute") {
			t.Errorf("developer-vm still has scope %s from the asset inventory", s)
		}
	}
	if got := inv.Assets[gcptest.DeveloperVM].Ancestors; len(got) != 3 {
		t.Errorf("hierarchy lost in the merge: ancestors %v", got)
	}
}

func TestEachServiceFamilyFailsAloneAndIsKeptStale(t *testing.T) {
	apiArea := map[string]string{"compute": "compute", "bigquery": "bigquery", "secretmanager": "secretmanager", "sql": "sqladmin",
		"cloudfunctions": "cloudfunctions", "run": "run", "container": "container", "cloudkms": "cloudkms", "iam": "iam-deny",
		"accesscontextmanager": "accesscontextmanager", "recommender": "recommender"}
	type tc struct {
		name       string
		fault      gcptest.ServiceFault
		wantFailed []string
		retried    bool
	}
	var tests []tc
	for api, area := range apiArea {
		tests = append(tests,
			tc{api + " unavailable fails its area after the retry budget", gcptest.ServiceFault{API: api, Status: 503}, []string{area}, true},
			tc{api + " throttled recovers within the retry budget", gcptest.ServiceFault{API: api, Status: 429, Times: 2}, nil, true},
			tc{api + " permission denied fails its area without retry", gcptest.ServiceFault{API: api, Status: 403}, []string{area}, false})
	}
	slices.SortFunc(tests, func(a, b tc) int { return strings.Compare(a.name, b.name) })
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res, pol, members := labWithExtension(gcptest.Published, true)
			f := tc.fault
			h := serviceHarness(t, res, pol, res, pol, members, &f)
			opts := h.options("organizations/" + gcptest.OrgNumber)
			opts.KeyActivity = true // also the recommender's insights
			inv, err := fetch.Collect(context.Background(), opts)
			if err != nil {
				t.Fatal(err)
			}
			if got := failedServices(inv.Coverage); !slices.Equal(got, tc.wantFailed) {
				t.Fatalf("failed areas %v, want %v (%+v)", got, tc.wantFailed, inv.Coverage.Failed)
			}
			if (inv.Stats.Retries > 0) != tc.retried {
				t.Errorf("retries %d, want retried=%v", inv.Stats.Retries, tc.retried)
			}
			for _, area := range apiArea {
				read := slices.ContainsFunc(inv.Coverage.Read, func(a graph.Area) bool { return a.Service == area })
				if read == slices.Contains(tc.wantFailed, area) {
					t.Errorf("area %s read=%v", area, read)
				}
			}
			if len(tc.wantFailed) > 0 && !strings.Contains(inv.Coverage.Failed[0].Error, "API") {
				t.Errorf("error %q does not name the API", inv.Coverage.Failed[0].Error)
			}
		})
	}
}

func TestEndpointOverridesFollowGcloudAndNeverSendTokensInClearText(t *testing.T) {
	env := map[string]string{
		"CLOUDSDK_API_ENDPOINT_OVERRIDES_COMPUTE":    "http://127.0.0.1:1/compute/v1/",
		"CLOUDSDK_API_ENDPOINT_OVERRIDES_CLOUDASSET": "https://cloudasset-psc.p.googleapis.com/",
		"CLOUDSDK_API_ENDPOINT_OVERRIDES_SQL":        " ",
	}
	got := fetch.EndpointOptions(func(k string) string { return env[k] })
	if len(got) != 2 {
		t.Fatalf("options for %d APIs, want 2 (compute, cloudasset): %v", len(got), got)
	}
	if len(got[fetch.APICompute]) != 2 {
		t.Errorf("http override: %d options, want endpoint and no credentials", len(got[fetch.APICompute]))
	}
	if len(got[fetch.APIAsset]) != 1 {
		t.Errorf("https override: %d options, want the endpoint only (credentials kept)", len(got[fetch.APIAsset]))
	}
	if vars := fetch.EndpointVariables(); !slices.Contains(vars, "CLOUDSDK_API_ENDPOINT_OVERRIDES_SQL") || len(vars) != len(fetch.APIs) {
		t.Errorf("variables %v", vars)
	}
}
