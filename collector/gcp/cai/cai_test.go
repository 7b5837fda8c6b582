package cai

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/breachpath/breachpath/collector/gcp/inventory"
)

func TestReadRecognisesEachExportShape(t *testing.T) {
	tests := []struct {
		file    string
		format  Format
		records int
		check   func(t *testing.T, inv *inventory.Inventory)
	}{
		{"testdata/export.ndjson", FormatNDJSON, 3, func(t *testing.T, inv *inventory.Inventory) {
			a := inv.Assets["//storage.googleapis.com/prod-blogapp-5e1f"]
			if a == nil || a.AssetType != inventory.TypeBucket || a.IAMPolicy == nil || len(a.IAMPolicy.Bindings) != 1 {
				t.Fatalf("bucket = %+v", a)
			}
			var b inventory.Bucket
			if err := a.Decode(&b); err != nil || b.Labels["data_classification"] != "restricted" || !b.IAMConfiguration.UniformBucketLevelAccess.Enabled {
				t.Errorf("data keys were rewritten: %+v (%v)", b, err)
			}
			if a.Resource.Parent != "//cloudresourcemanager.googleapis.com/projects/300000000003" {
				t.Errorf("parent %q", a.Resource.Parent)
			}
			org := inv.Assets["//cloudresourcemanager.googleapis.com/organizations/100000000001"]
			if org == nil || len(org.OrgPolicy) != 1 || org.OrgPolicy[0].BooleanPolicy == nil || !org.OrgPolicy[0].BooleanPolicy.Enforced {
				t.Errorf("org policy = %+v", org)
			}
		}},
		{"testdata/search-all-iam-policies.json", FormatIAMSearch, 2, func(t *testing.T, inv *inventory.Inventory) {
			a := inv.Assets["//storage.googleapis.com/prod-blogapp-5e1f"]
			want := []string{"projects/300000000003", "folders/200000000002", "organizations/100000000001"}
			if a == nil || strings.Join(a.Ancestors, ",") != strings.Join(want, ",") {
				t.Fatalf("ancestors of %+v, want %v", a, want)
			}
			if c := a.IAMPolicy.Bindings[0].Condition; c == nil || c.Title != "t" {
				t.Errorf("condition lost: %+v", a.IAMPolicy.Bindings[0])
			}
		}},
	}
	for _, tc := range tests {
		t.Run(tc.file, func(t *testing.T) {
			inv := inventory.New(time.Now())
			format, n, err := ReadFile(context.Background(), tc.file, inv)
			if err != nil {
				t.Fatal(err)
			}
			if format != tc.format || n != tc.records {
				t.Fatalf("format %s, %d records; want %s, %d", format, n, tc.format, tc.records)
			}
			tc.check(t, inv)
		})
	}
}

func TestReadRejectsMalformedInputWithItsLine(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"not json", "hello", "not a Cloud Asset Inventory export"},
		{"empty", "  \n", "empty file"},
		{"bad line", "{\"name\":\"//a.googleapis.com/x\"}\n{oops\n", "line 2"},
		{"no name", "{\"asset_type\":\"x\"}\n", "without a name"},
		{"relative name", "{\"name\":\"projects/x\"}\n", "not a full resource name"},
		{"array of numbers", "[1,2]", "record 1"},
		{"search result with a relative resource", `[{"resource":"projects/1","policy":{}}]`, "not a full resource name"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := Read(context.Background(), strings.NewReader(tc.in), inventory.New(time.Now()))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want %q", err, tc.want)
			}
		})
	}
}

func FuzzRead(f *testing.F) {
	f.Add([]byte(`{"name":"//storage.googleapis.com/b","asset_type":"storage.googleapis.com/Bucket","iam_policy":{"bindings":[{"role":"r","members":["allUsers"]}]}}`))
	f.Add([]byte(`[{"resource":"//x.googleapis.com/y","policy":{"bindings":[]}}]`))
	f.Fuzz(func(t *testing.T, b []byte) {
		_, _, _ = Read(context.Background(), strings.NewReader(string(b)), inventory.New(time.Now()))
	})
}

// TestReadRefusesDuplicateKeys: encoding/json keeps the last of two keys, so
// a binding could show a reader one role and grant another. Every export
// shape is checked; snake_case and camelCase spellings of one key, and keys
// differing only in case outside resource data, are one key to the decoder.
func TestReadRefusesDuplicateKeys(t *testing.T) {
	const bucket = `"name":"//storage.googleapis.com/b","asset_type":"storage.googleapis.com/Bucket"`
	tests := []struct{ name, in string }{
		{"plain duplicate in a record", `{"a":1,"a":2,` + bucket + "}\n"},
		{"binding role in an export line", `{` + bucket + `,"iam_policy":{"bindings":[{"role":"roles/viewer","role":"roles/owner","members":["allUsers"]}]}}` + "\n"},
		{"binding role differing in case", `{` + bucket + `,"iam_policy":{"bindings":[{"role":"roles/viewer","Role":"roles/owner","members":["allUsers"]}]}}` + "\n"},
		{"snake and camel spelling of one key", `{` + bucket + `,"iam_policy":{"bindings":[]},"iamPolicy":{"bindings":[{"role":"roles/owner","members":["allUsers"]}]}}` + "\n"},
		{"resource data", `{` + bucket + `,"resource":{"data":{"iamConfiguration":{"publicAccessPrevention":"enforced","publicAccessPrevention":"inherited"}}}}` + "\n"},
		{"asset list array", `[{"name":"//storage.googleapis.com/b","assetType":"storage.googleapis.com/Bucket","iamPolicy":{"bindings":[{"role":"roles/viewer","members":["user:a@example.com"],"members":["allUsers"]}]}}]`},
		{"iam policy search result", `[{"resource":"//storage.googleapis.com/b","project":"projects/1","policy":{"bindings":[{"role":"roles/viewer","Role":"roles/owner","members":["allUsers"]}]}}]`},
		{"activity record", `[{"activityType":"serviceAccountKeyLastAuthentication","activityType":"x","activities":[]}]`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := Read(context.Background(), strings.NewReader(tc.in), inventory.New(time.Now()))
			if err == nil || !strings.Contains(err.Error(), "duplicate key") {
				t.Fatalf("err = %v, want a duplicate key error", err)
			}
		})
	}
}

// TestReadKeepsServiceKeysThatDifferInCase: inside resource data the keys
// are the service's own (environment variables, annotations), where FOO and
// foo are two keys.
func TestReadKeepsServiceKeysThatDifferInCase(t *testing.T) {
	in := `{"name":"//cloudfunctions.googleapis.com/projects/p/locations/l/functions/f","asset_type":"cloudfunctions.googleapis.com/CloudFunction","resource":{"data":{"environmentVariables":{"FOO":"1","foo":"2"}}}}` + "\n"
	if _, _, err := Read(context.Background(), strings.NewReader(in), inventory.New(time.Now())); err != nil {
		t.Fatal(err)
	}
}

func TestImportReadsDenyPoliciesPerimetersAndInsights(t *testing.T) {
	in := `[{"name":"accessPolicies/9/servicePerimeters/data","title":"data","perimeterType":"PERIMETER_TYPE_REGULAR",
 "status":{"resources":["projects/3"],"restrictedServices":["storage.googleapis.com"]}},
 {"name":"policies/cloudresourcemanager.googleapis.com%2Fprojects%2F3/denypolicies/d","kind":"DenyPolicy",
 "rules":[{"denyRule":{"deniedPrincipals":["principalSet://goog/public:all"],"deniedPermissions":["iam.googleapis.com/serviceAccountKeys.create"]}}]},
 {"name":"projects/3/locations/global/insightTypes/google.iam.policy.Insight/insights/i1","lastRefreshTime":"2026-12-05T00:00:00Z",
 "observationPeriod":"7776000s","targetResources":["//cloudresourcemanager.googleapis.com/projects/3"],
 "content":{"role":"roles/editor","member":"serviceAccount:A@p.iam.gserviceaccount.com","exercisedPermissions":[{"permission":"compute.instances.get"}]}}]`
	inv := inventory.New(time.Now())
	if _, _, err := Read(context.Background(), strings.NewReader(in), inv); err != nil {
		t.Fatal(err)
	}
	if len(inv.Perimeters) != 1 || !inv.Perimeters[0].Restricts("3", "storage.googleapis.com") {
		t.Errorf("perimeters %+v", inv.Perimeters)
	}
	if len(inv.DenyPolicies) != 1 {
		t.Fatalf("deny policies %+v", inv.DenyPolicies)
	}
	if att, err := inv.DenyPolicies[0].AttachmentPoint(); err != nil || att != "//cloudresourcemanager.googleapis.com/projects/3" {
		t.Errorf("attachment point %q (%v)", att, err)
	}
	if len(inv.Insights) != 1 || !inv.InsightProjects["3"] || inv.Insights[0].Content.Member != "serviceAccount:a@p.iam.gserviceaccount.com" ||
		len(inv.Insights[0].Used()) != 1 {
		t.Errorf("insights %+v, projects %v", inv.Insights, inv.InsightProjects)
	}
}
