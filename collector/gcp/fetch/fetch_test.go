package fetch_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"google.golang.org/api/option"

	"github.com/breachpath/breachpath/collector/gcp/fetch"
	"github.com/breachpath/breachpath/collector/gcp/gcptest"
	"github.com/breachpath/breachpath/collector/gcp/inventory"
	"github.com/breachpath/breachpath/graph"
)

// harness runs fetch.Collect with the real asset and storage clients
// against the local Cloud Asset API server and fake-gcs-server.
type harness struct {
	assets   *gcptest.AssetServer
	storage  *gcptest.StorageServer
	services *gcptest.ServiceServer
}

func newHarness(t *testing.T, buckets []string, faults ...*gcptest.Fault) *harness {
	t.Helper()
	res, pol := gcptest.Lab(gcptest.Published)
	as := gcptest.NewAssetServer(res, pol, faults...)
	t.Cleanup(as.Close)
	ss, err := gcptest.NewStorageServer(buckets...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(ss.Stop)
	svc := gcptest.NewServiceServer(res, pol, nil)
	t.Cleanup(svc.Close)
	return &harness{assets: as, storage: ss, services: svc}
}

// options points every client at the local servers, as the
// CLOUDSDK_API_ENDPOINT_OVERRIDES_<API> variables would.
func (h *harness) options(parent string) fetch.Options {
	env := h.services.Env()
	env["CLOUDSDK_API_ENDPOINT_OVERRIDES_CLOUDASSET"] = h.assets.URL
	env["CLOUDSDK_API_ENDPOINT_OVERRIDES_STORAGE"] = h.storage.Endpoint()
	env["CLOUDSDK_API_ENDPOINT_OVERRIDES_POLICYANALYZER"] = h.assets.URL + "/"
	return fetch.Options{
		Parent:         parent,
		ServiceOptions: fetch.EndpointOptions(func(k string) string { return env[k] }),
		PageSize:       4, // several pages per area
		RetryBase:      time.Millisecond,
		MaxAttempts:    3,
	}
}

func failedServices(cov graph.Coverage) []string {
	var out []string
	for _, f := range cov.Failed {
		out = append(out, f.Service)
	}
	slices.Sort(out)
	return out
}

func TestCollectReadsEveryAreaAndPolicyThroughTheRESTClient(t *testing.T) {
	h := newHarness(t, gcptest.LabBuckets)
	inv, err := fetch.Collect(context.Background(), h.options("organizations/"+gcptest.OrgNumber))
	if err != nil {
		t.Fatal(err)
	}
	if len(inv.Coverage.Failed) > 0 {
		t.Fatalf("failed: %+v", inv.Coverage.Failed)
	}
	res, pol := gcptest.Lab(gcptest.Published)
	for _, want := range res {
		got := inv.Assets[want.Name]
		if got == nil || !got.HasData() {
			t.Errorf("resource %s missing", want.Name)
			continue
		}
		if !slices.Equal(got.Ancestors, want.Ancestors) {
			t.Errorf("%s ancestors %v, want %v", want.Name, got.Ancestors, want.Ancestors)
		}
	}
	for _, want := range pol {
		got := inv.Assets[want.Name]
		if got == nil || got.IAMPolicy == nil || len(got.IAMPolicy.Bindings) != len(want.IAMPolicy.Bindings) {
			t.Errorf("policy of %s = %+v, want %d bindings", want.Name, got, len(want.IAMPolicy.Bindings))
		}
	}
	var inst inventory.Instance
	if err := inv.Assets[gcptest.DeveloperVM].Decode(&inst); err != nil || len(inst.ServiceAccounts) != 1 || len(inst.ServiceAccounts[0].Scopes) == 0 {
		t.Errorf("developer-vm decoded as %+v (%v)", inst, err)
	}
	if inv.Stats.APICalls < len(fetch.Areas) {
		t.Errorf("api calls %d, want at least one per area", inv.Stats.APICalls)
	}
}

// The asset inventory lags behind: a bucket created minutes ago is only in
// the Storage API, and must not be missing (the store would delete it).
func TestCollectAddsBucketsTheAssetInventoryHasNotCaughtUpWith(t *testing.T) {
	h := newHarness(t, append(slices.Clone(gcptest.LabBuckets), "fresh-exports-5e1f"))
	inv, err := fetch.Collect(context.Background(), h.options("projects/"+gcptest.ProjectID))
	if err != nil {
		t.Fatal(err)
	}
	a := inv.Assets["//storage.googleapis.com/fresh-exports-5e1f"]
	if a == nil || !a.HasData() || !slices.Contains(a.Ancestors, "projects/"+gcptest.ProjectNumber) {
		t.Fatalf("fresh bucket = %+v", a)
	}
	// Buckets the inventory has keep its richer data (labels).
	var b inventory.Bucket
	if err := inv.Assets[gcptest.DevBucket].Decode(&b); err != nil || b.Labels["data-classification"] != "internal" {
		t.Errorf("dev bucket data replaced: %+v", b)
	}
}

func TestCollectRecordsFailedAreasAndReadsTheRest(t *testing.T) {
	computeTypes := []string{inventory.TypeInstance}
	tests := []struct {
		name       string
		fault      *gcptest.Fault
		wantFailed []string
		retried    bool
	}{
		{"throttled area recovers within the retry budget", &gcptest.Fault{Types: computeTypes, Status: 429, Times: 2}, nil, true},
		{"unavailable area fails after the retry budget", &gcptest.Fault{Types: computeTypes, Status: 503}, []string{"compute"}, true},
		{"permission denied is not retried", &gcptest.Fault{Types: []string{inventory.TypeSecret}, Status: 403}, []string{"secretmanager"}, false},
		{"IAM policy listing failure fails every area", &gcptest.Fault{Policies: true, Status: 503}, []string{"*"}, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, gcptest.LabBuckets, tc.fault)
			inv, err := fetch.Collect(context.Background(), h.options("organizations/"+gcptest.OrgNumber))
			if err != nil {
				t.Fatal(err)
			}
			if got := failedServices(inv.Coverage); !slices.Equal(got, tc.wantFailed) {
				t.Fatalf("failed areas %v, want %v (%+v)", got, tc.wantFailed, inv.Coverage.Failed)
			}
			if (inv.Stats.Retries > 0) != tc.retried {
				t.Errorf("retries %d, want retried=%v", inv.Stats.Retries, tc.retried)
			}
			for _, area := range []string{"iam", "storage", "cloudfunctions"} {
				if !slices.Contains(tc.wantFailed, "*") && !slices.ContainsFunc(inv.Coverage.Read, func(a graph.Area) bool { return a.Service == area }) {
					t.Errorf("area %s not read", area)
				}
			}
			if slices.Contains(tc.wantFailed, "compute") && inv.Assets[gcptest.DeveloperVM] != nil && inv.Assets[gcptest.DeveloperVM].HasData() {
				t.Error("failed area's resources present")
			}
		})
	}
}

func TestCollectStorageAPIFailureFailsTheStorageArea(t *testing.T) {
	h := newHarness(t, gcptest.LabBuckets)
	broken := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		http.Error(w, `{"error":{"code":500,"message":"backend error"}}`, http.StatusInternalServerError)
	}))
	defer broken.Close()
	opts := h.options("organizations/" + gcptest.OrgNumber)
	opts.ServiceOptions[fetch.APIStorage] = []option.ClientOption{option.WithEndpoint(broken.URL + "/storage/v1/"), option.WithoutAuthentication()}
	inv, err := fetch.Collect(context.Background(), opts)
	if err != nil {
		t.Fatal(err)
	}
	if got := failedServices(inv.Coverage); !slices.Equal(got, []string{"storage"}) {
		t.Fatalf("failed %v, want [storage]", got)
	}
	if !strings.Contains(inv.Coverage.Failed[0].Error, "list buckets") {
		t.Errorf("error %q does not say what failed", inv.Coverage.Failed[0].Error)
	}
}

func TestCollectRejectsABadScopeAndStopsWhenCancelled(t *testing.T) {
	if _, err := fetch.Collect(context.Background(), fetch.Options{Parent: "org/1"}); err == nil {
		t.Error("bad parent accepted")
	}
	h := newHarness(t, nil)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	inv, err := fetch.Collect(ctx, h.options("organizations/"+gcptest.OrgNumber))
	if err == nil || inv == nil || !inv.Partial {
		t.Fatalf("cancelled collection: inv=%v err=%v, want partial and an error", inv != nil, err)
	}
}
