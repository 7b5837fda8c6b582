package azure

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestModelDocMapsEveryAzureNativeType keeps docs/model.md true: every
// native type the Azure collector writes on a node of the test tenants is
// named there.
func TestModelDocMapsEveryAzureNativeType(t *testing.T) {
	doc, err := os.ReadFile(filepath.Join("..", "..", "docs", "model.md"))
	if err != nil {
		t.Fatal(err)
	}
	ten := goatTenantFakes(t)
	snaps, _ := collectFakes(t, ten)
	imported, _, err := FromFiles(t.Context(), []string{filepath.Join("testdata", "azurehound.json")}, FileOptions{})
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, s := range append(snaps, imported...) {
		for _, n := range s.Nodes {
			if n.NativeType != "" && !seen[n.NativeType] {
				seen[n.NativeType] = true
				if !strings.Contains(string(doc), "`"+n.NativeType+"`") {
					t.Errorf("docs/model.md does not map %s (%s)", n.NativeType, n.Kind)
				}
			}
		}
	}
	if len(seen) < 15 {
		t.Fatalf("only %d native types seen: the test tenants shrank", len(seen))
	}
}
