package offline

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/breachpath/breachpath/collector/azure/inventory"
)

func writeFile(t *testing.T, body string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "export.json")
	if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestLoadRecognisesFormatsAndRejectsOthers(t *testing.T) {
	const sub = "/subscriptions/00000000-0000-0000-0000-0000000000aa"
	cases := []struct {
		name, body string
		format     Format
		err        string
	}{
		{"resource graph object", `{"data":[{"id":"` + sub + `/resourceGroups/rg/providers/Microsoft.Network/networkSecurityGroups/n","type":"microsoft.network/networksecuritygroups","tenantId":"t1","properties":{}}]}`, FormatResourceGraph, ""},
		{"az role assignment list", `[{"id":"` + sub + `/providers/Microsoft.Authorization/roleAssignments/a","principalId":"p","roleDefinitionId":"/x/acdd72a7-3385-48ef-bd42-f606fba81ae7","scope":"` + sub + `"}]`, FormatRoleAssignments, ""},
		{"az role definition list", `[{"name":"r1","roleName":"Custom","roleType":"CustomRole","permissions":[{"actions":["*/read"]}],"assignableScopes":["` + sub + `"]}]`, FormatRoleDefinitions, ""},
		{"not json", `hello`, "", "not JSON"},
		{"object without data", `{"foo":1}`, "", "no data or value array"},
		{"record without id", `[{"name":"x"}]`, "", "no id"},
		{"empty", ``, "", "empty file"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			inv, loaded, err := Load(context.Background(), []string{writeFile(t, c.body)}, Options{TenantID: "t1"})
			if c.err != "" {
				if err == nil || !strings.Contains(err.Error(), c.err) {
					t.Fatalf("err = %v, want %q", err, c.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if loaded[0].Format != c.format {
				t.Fatalf("format = %s, want %s", loaded[0].Format, c.format)
			}
			if c.format == FormatRoleDefinitions {
				return // no subscription named: nothing more to check
			}
			if inv.Subscription("00000000-0000-0000-0000-0000000000aa") == nil {
				t.Fatalf("subscription not derived: %+v", inv.Subscriptions)
			}
		})
	}
}

func TestLoadMarksUncoveredAreasNotInImport(t *testing.T) {
	body := `[{"id":"/subscriptions/s1/providers/Microsoft.Authorization/roleAssignments/a","principalId":"p","roleDefinitionId":"/x/r","scope":"/subscriptions/s1"}]`
	inv, _, err := Load(context.Background(), []string{writeFile(t, body)}, Options{TenantID: "t1"})
	if err != nil {
		t.Fatal(err)
	}
	c := inv.Coverage["s1"]
	if c == nil || len(c.Read) != 1 || c.Read[0].Service != inventory.AreaAuthorization {
		t.Fatalf("coverage = %+v", c)
	}
	for _, f := range c.Failed {
		if f.Error != NotInImport {
			t.Fatalf("failure %+v", f)
		}
	}
	// Without management groups in the files, the tenant's hierarchy a
	// live collection stored must be kept, not replaced by nothing.
	if tc := inv.Coverage[""]; tc == nil || !tc.FailedFor(inventory.AreaResources, "") {
		t.Fatalf("tenant coverage = %+v, want resources not in the import", tc)
	}
}

// FuzzLoad feeds arbitrary bytes to the importer: it may refuse them, never panic.
func FuzzLoad(f *testing.F) {
	for _, seed := range []string{`{"data":[{"id":"/subscriptions/s/resourceGroups/r/providers/Microsoft.Compute/virtualMachines/v","type":"Microsoft.Compute/virtualMachines","properties":{"networkProfile":{"networkInterfaces":[{"id":"x"}]}},"identity":{"type":"SystemAssigned","principalId":"p"}}]}`,
		`{"meta":{"type":"azure"},"data":[{"kind":"AZUser","data":{"id":"u"}},{"kind":"AZGroupMember","data":{"groupId":"g","members":[{"member":{"id":"u"}}]}}]}`,
		`[{"principalId":"p","roleDefinitionId":"r","scope":"/"}]`, `[]`, `{}`} {
		f.Add([]byte(seed))
	}
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, data []byte) {
		p := filepath.Join(dir, "fuzz.json")
		if err := os.WriteFile(p, data, 0o600); err != nil {
			t.Fatal(err)
		}
		_, _, _ = Load(context.Background(), []string{p}, Options{TenantID: "t"})
	})
}

// TestLoadRefusesDuplicateKeys: encoding/json keeps the last of two keys
// (and matches struct fields ignoring case), so a role definition could show
// a reader "*/read" and grant "*". Every format is checked.
func TestLoadRefusesDuplicateKeys(t *testing.T) {
	const sub = "/subscriptions/00000000-0000-0000-0000-0000000000aa"
	cases := []struct{ name, body string }{
		{"plain duplicate", `[{"a":1,"a":2,"name":"r1","roleName":"Custom","permissions":[{"actions":["*/read"]}],"assignableScopes":["` + sub + `"]}]`},
		{"role definition actions", `[{"name":"r1","roleName":"Custom","roleType":"CustomRole","permissions":[{"actions":["*/read"],"actions":["*"]}],"assignableScopes":["` + sub + `"]}]`},
		{"role definition actions differing in case", `[{"name":"r1","roleName":"Custom","roleType":"CustomRole","permissions":[{"actions":["*/read"],"Actions":["*"]}],"assignableScopes":["` + sub + `"]}]`},
		{"role assignment principal", `[{"id":"` + sub + `/providers/Microsoft.Authorization/roleAssignments/a","principalId":"p","principalId":"q","roleDefinitionId":"/x/r","scope":"` + sub + `"}]`},
		{"resource graph properties", `{"data":[{"id":"` + sub + `/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/s","type":"microsoft.storage/storageaccounts","tenantId":"t1","properties":{"allowBlobPublicAccess":false,"allowBlobPublicAccess":true}}]}`},
		{"azurehound record", `{"meta":{"type":"azure"},"data":[{"kind":"AZUser","data":{"id":"u","id":"v"}}]}`},
		{"top-level wrapper", `{"data":[],"data":[{"id":"` + sub + `/resourceGroups/rg/providers/Microsoft.Network/networkSecurityGroups/n","type":"microsoft.network/networksecuritygroups","properties":{}}]}`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, _, err := Load(context.Background(), []string{writeFile(t, c.body)}, Options{TenantID: "t1"})
			if err == nil || !strings.Contains(err.Error(), "duplicate key") {
				t.Fatalf("err = %v, want a duplicate key error", err)
			}
		})
	}
}
