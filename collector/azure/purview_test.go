package azure

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	azfake "github.com/Azure/azure-sdk-for-go/sdk/azcore/fake"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"

	"github.com/breachpath/breachpath/collector/azure/fetch"
	"github.com/breachpath/breachpath/collector/azure/inventory"
	"github.com/breachpath/breachpath/collector/sensitivity"
	"github.com/breachpath/breachpath/graph"
	"github.com/breachpath/breachpath/paths"
)

const (
	goatAccount      = goatRG + "/providers/microsoft.storage/storageaccounts/appazgoat4242storage"
	goatDevContainer = goatAccount + "/blobservices/default/containers/dev-appazgoat4242-storage-container"
	purviewEndpoint  = "https://lab.purview.azure.com"
)

// purviewAsset is a Data Map search result (SearchResultValue).
func purviewAsset(entityType, qualifiedName string, classes ...string) map[string]any {
	return map[string]any{"id": fmt.Sprintf("guid-%d", len(qualifiedName)), "name": qualifiedName[strings.LastIndex(qualifiedName, "/")+1:],
		"qualifiedName": qualifiedName, "entityType": entityType, "objectType": "Files", "assetType": []string{"Azure Blob Storage"},
		"classification": classes, "label": []string{}, "@search.score": 1}
}

// filler is a page of classified SQL columns of a server this tenant does
// not have: they must page through and classify nothing.
func filler(n int) []map[string]any {
	var out []map[string]any
	for i := range n {
		out = append(out, purviewAsset("azure_sql_column", fmt.Sprintf("mssql://elsewhere.database.windows.net/db/dbo/t/c%d", i), "MICROSOFT.PERSONAL.NAME"))
	}
	return out
}

// collectPurview collects the AzureGoat tenant with the Purview account
// answering assets, optionally without the storage account's tag, and
// applies the default sensitivity rules as `breachpath collect` does.
func collectPurview(t *testing.T, untag bool, assets []map[string]any, fail int) (*graph.Graph, *RunSummary) {
	t.Helper()
	ten := goatTenantFakes(t)
	if untag {
		ten.Row(goatAccount)["tags"] = map[string]any{}
	}
	ten.Purview = assets
	if fail != 0 {
		ten.Fail = map[string]int{inventory.AreaPurview: fail}
	}
	snaps, sum, err := Collect(context.Background(), &azfake.TokenCredential{}, CollectOptions{Fetch: fetch.Options{
		Transport: ten.Transport(), PurviewEndpoints: []string{purviewEndpoint},
		Retry: policy.RetryOptions{MaxRetries: 1, RetryDelay: time.Millisecond, MaxRetryDelay: time.Millisecond}}})
	if err != nil {
		t.Fatal(err)
	}
	sensitivity.Default().Apply(snaps)
	return graph.AssembleSnapshots(snaps), sum
}

func reaches(t *testing.T, g *graph.Graph, id string) bool {
	t.Helper()
	res, err := paths.Search(context.Background(), g, paths.Options{MaxDepth: 10})
	if err != nil {
		t.Fatal(err)
	}
	return slices.ContainsFunc(res.Paths, func(p paths.Path) bool { return p.Target == id })
}

func TestPurviewClassificationsMakeUnlabelledContainersTargets(t *testing.T) {
	devPath := "https://appazgoat4242storage.blob.core.windows.net/dev-appazgoat4242-storage-container/exports/2024/cards.csv"
	cases := []struct {
		name       string
		untag      bool
		assets     []map[string]any
		wantPath   bool
		wantLevel  graph.Sensitivity
		wantSource string
		wantRule   string
	}{
		{name: "untagged account, no classification: the public container is no target", untag: true},
		{name: "a credit card number in a blob makes its container restricted (after a full page of other results)", untag: true,
			assets:   append(filler(1000), purviewAsset("azure_blob_path", devPath, "MICROSOFT.FINANCIAL.CREDIT_CARD_NUMBER")),
			wantPath: true, wantLevel: graph.SensitivityRestricted, wantSource: sensitivity.SourceClassifier,
			wantRule: "Microsoft Purview (purview_sensitivity=restricted)"},
		{name: "personal data on the container entity makes it confidential", untag: true,
			assets: []map[string]any{purviewAsset("azure_blob_container",
				"https://appazgoat4242storage.blob.core.windows.net/dev-appazgoat4242-storage-container", "MICROSOFT.PERSONAL.EMAIL")},
			wantPath: true, wantLevel: graph.SensitivityConfidential, wantSource: sensitivity.SourceClassifier,
			wantRule: "Microsoft Purview (purview_sensitivity=confidential)"},
		{name: "miscellaneous and custom classifications raise nothing", untag: true,
			assets:   []map[string]any{purviewAsset("azure_blob_path", devPath, "MICROSOFT.MISCELLANEOUS.IPADDRESS", "CONTOSO.PROJECT_CODE")},
			wantPath: false},
		{name: "a classification of another entity type is not asked for", untag: true,
			assets:   []map[string]any{purviewAsset("azure_table", devPath, "MICROSOFT.GOVERNMENT.US_SOCIAL_SECURITY_NUMBER")},
			wantPath: false},
		// Precedence against the account's data-classification=confidential
		// tag, which its containers carry.
		{name: "a government id above the confidential tag wins over the tag",
			assets:   []map[string]any{purviewAsset("azure_blob_path", devPath, "MICROSOFT.GOVERNMENT.US_SOCIAL_SECURITY_NUMBER")},
			wantPath: true, wantLevel: graph.SensitivityRestricted, wantSource: sensitivity.SourceClassifier,
			wantRule: "Microsoft Purview (purview_sensitivity=restricted)"},
		{name: "personal data at the tag's own level leaves the tag as the reason",
			assets:   []map[string]any{purviewAsset("azure_blob_path", devPath, "MICROSOFT.PERSONAL.EMAIL")},
			wantPath: true, wantLevel: graph.SensitivityConfidential, wantSource: sensitivity.SourceTag,
			wantRule: "tag data-classification=confidential"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			g, sum := collectPurview(t, tc.untag, tc.assets, 0)
			if sum.Partial() {
				t.Fatalf("partial: %+v", sum.Scopes)
			}
			n := g.Node(goatDevContainer)
			if n == nil {
				t.Fatal("dev container not collected")
			}
			if got := reaches(t, g, goatDevContainer); got != tc.wantPath {
				t.Errorf("path to the dev container = %v, want %v", got, tc.wantPath)
			}
			if !tc.wantPath {
				if n.Sensitivity >= graph.SensitivityConfidential {
					t.Errorf("level = %s, want below confidential", n.Sensitivity)
				}
				return
			}
			src, _ := n.Props[sensitivity.PropSource].(string)
			rule, _ := n.Props[sensitivity.PropRule].(string)
			if n.Sensitivity != tc.wantLevel || src != tc.wantSource || !strings.EqualFold(rule, tc.wantRule) {
				t.Errorf("got %s %q %q, want %s %q %q", n.Sensitivity, src, rule, tc.wantLevel, tc.wantSource, tc.wantRule)
			}
			if ev, _ := n.Props["purview_evidence"].(string); !strings.HasPrefix(ev, "Microsoft Purview Data Map: ") {
				t.Errorf("purview_evidence = %q", ev)
			}
		})
	}
}

func TestPurviewFailureIsRecorded(t *testing.T) {
	assets := []map[string]any{purviewAsset("azure_blob_container",
		"https://appazgoat4242storage.blob.core.windows.net/dev-appazgoat4242-storage-container", "MICROSOFT.FINANCIAL.CREDIT_CARD_NUMBER")}
	g, sum := collectPurview(t, true, assets, 403)
	var failed []string
	for _, s := range sum.Scopes {
		for _, f := range RealFailures(s.Failed) {
			failed = append(failed, f.Service)
		}
	}
	if !slices.Equal(failed, []string{inventory.AreaPurview}) {
		t.Fatalf("failed areas = %v, want only purview", failed)
	}
	if g.Node(goatDevContainer) == nil || reaches(t, g, goatDevContainer) {
		t.Error("container lost, or classified without Purview")
	}
}

// Offline: the search answer saved beside the Resource Graph export (for
// example the REST response of the same query) classifies the same
// container: its government id raises it above the account's confidential
// tag, and the reason names Purview.
func TestPurviewSearchAnswerImportsOffline(t *testing.T) {
	answer := map[string]any{"@search.count": 1, "@search.count.approximate": false, "value": []map[string]any{
		purviewAsset("azure_blob_path", "https://appazgoat4242storage.blob.core.windows.net/dev-appazgoat4242-storage-container/hr/ids.csv",
			"MICROSOFT.GOVERNMENT.US_SOCIAL_SECURITY_NUMBER")}}
	b, err := json.Marshal(answer)
	if err != nil {
		t.Fatal(err)
	}
	pf := filepath.Join(t.TempDir(), "purview-search.json")
	if err := os.WriteFile(pf, b, 0o600); err != nil {
		t.Fatal(err)
	}
	for _, withPurview := range []bool{false, true} {
		files := goatFiles(t)
		if withPurview {
			files = append(files, pf)
		}
		snaps, sum, err := FromFiles(context.Background(), files, FileOptions{})
		if err != nil {
			t.Fatal(err)
		}
		sensitivity.Default().Apply(snaps)
		n := graph.AssembleSnapshots(snaps).Node(goatDevContainer)
		if n == nil {
			t.Fatal("dev container not imported")
		}
		src, _ := n.Props[sensitivity.PropSource].(string)
		want, wantSrc := graph.SensitivityConfidential, sensitivity.SourceTag
		if withPurview {
			want, wantSrc = graph.SensitivityRestricted, sensitivity.SourceClassifier
			if len(sum.Files) != 3 || sum.Files[2].Format != "purview-search" {
				t.Errorf("files read = %+v", sum.Files)
			}
		}
		if n.Sensitivity != want || src != wantSrc {
			t.Errorf("with purview %v: %s from %q, want %s from %q", withPurview, n.Sensitivity, src, want, wantSrc)
		}
	}
}
