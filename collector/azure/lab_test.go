package azure

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/breachpath/breachpath/collector/azure/fetch/fetchtest"
	"github.com/breachpath/breachpath/graph"
	"github.com/breachpath/breachpath/paths"
)

// lab is an Entra ID and Azure lab kept as export files under
// testdata/<dir>: an AzureHound file of the directory (entra.json), a
// Resource Graph export (resources.json) and, when the lab has them,
// `az role assignment list` and `az role definition list` output. A
// variant changes the parsed files; the lab is then built through the
// offline import of the files and through the live collector against the
// SDK fakes and the local Microsoft Graph server, which serve the same
// records.
type lab struct {
	tenant string
	// Meta and Data are the AzureHound file.
	Meta map[string]any   `json:"meta"`
	Data []map[string]any `json:"data"`
	// rows are the Resource Graph rows; ras and defs the role assignments
	// and custom role definitions (nil when the lab has none).
	rows, ras, defs []map[string]any
	// aus are administrative units served to the live collector only:
	// AzureHound does not export them.
	aus []map[string]any
	// auMembers are their members by unit id.
	auMembers map[string][]string
}

func loadLab(t *testing.T, tenant, dir string) *lab {
	t.Helper()
	read := func(name string, v any) bool {
		raw, err := os.ReadFile(filepath.Join("testdata", dir, name))
		if os.IsNotExist(err) {
			return false
		}
		if err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(raw, v); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		return true
	}
	l := &lab{tenant: tenant}
	read("entra.json", l)
	var res struct {
		Data []map[string]any `json:"data"`
	}
	if !read("resources.json", &res) {
		t.Fatalf("testdata/%s/resources.json missing", dir)
	}
	l.rows = res.Data
	read("role-assignments.json", &l.ras)
	read("role-definitions.json", &l.defs)
	return l
}

// records returns the records of a kind whose data field key equals value.
func (l *lab) records(kind, key, value string) []map[string]any {
	var out []map[string]any
	for _, r := range l.Data {
		d := r["data"].(map[string]any)
		if r["kind"] == kind && d[key] == value {
			out = append(out, d)
		}
	}
	return out
}

// drop removes the records of a kind whose data field key equals value.
func (l *lab) drop(t *testing.T, kind, key, value string) {
	t.Helper()
	var kept []map[string]any
	for _, r := range l.Data {
		if r["kind"] == kind && r["data"].(map[string]any)[key] == value {
			continue
		}
		kept = append(kept, r)
	}
	if len(kept) == len(l.Data) {
		t.Fatalf("no %s record with %s=%s", kind, key, value)
	}
	l.Data = kept
}

// roleAssignment returns the unified role assignment (inside an
// AZRoleAssignment record) given to principal.
func (l *lab) roleAssignment(t *testing.T, principal string) map[string]any {
	t.Helper()
	for _, r := range l.Data {
		if r["kind"] != "AZRoleAssignment" {
			continue
		}
		for _, a := range r["data"].(map[string]any)["roleAssignments"].([]any) {
			if m := a.(map[string]any); m["principalId"] == principal {
				return m
			}
		}
	}
	t.Fatalf("no directory role assignment for %s", principal)
	return nil
}

// addRole gives principal a directory role at scope.
func (l *lab) addRole(roleID, principal, scope string) {
	l.Data = append(l.Data, map[string]any{"kind": "AZRoleAssignment", "data": map[string]any{"roleDefinitionId": roleID,
		"roleAssignments": []any{map[string]any{"id": "ra-variant-" + principal, "principalId": principal, "roleDefinitionId": roleID, "directoryScopeId": scope}}}})
}

// row returns the Resource Graph row whose name is name.
func (l *lab) row(t *testing.T, name string) map[string]any {
	t.Helper()
	return named(t, l.rows, "name", name)
}

// named returns the object of list whose field is value.
func named(t *testing.T, list []map[string]any, field, value string) map[string]any {
	t.Helper()
	for _, m := range list {
		if m[field] == value {
			return m
		}
	}
	t.Fatalf("no object with %s %s", field, value)
	return nil
}

// dropAssignment removes the Azure role assignments of principal.
func (l *lab) dropAssignment(t *testing.T, principal string) {
	t.Helper()
	var kept []map[string]any
	for _, a := range l.ras {
		if a["principalId"] != principal {
			kept = append(kept, a)
		}
	}
	if len(kept) == len(l.ras) {
		t.Fatalf("no role assignment for %s", principal)
	}
	l.ras = kept
}

// roleDefinition returns the custom role definition named name.
func (l *lab) roleDefinition(t *testing.T, name string) map[string]any {
	t.Helper()
	return named(t, l.defs, "roleName", name)
}

func (l *lab) entraBytes(t *testing.T) []byte {
	t.Helper()
	raw, err := json.Marshal(struct {
		Meta map[string]any   `json:"meta"`
		Data []map[string]any `json:"data"`
	}{l.Meta, l.Data})
	if err != nil {
		t.Fatal(err)
	}
	return raw
}

// write writes the lab's files to a temporary directory and returns the
// paths of the Resource Graph export and the role assignments ("" when the
// lab has none), then every file.
func (l *lab) write(t *testing.T) (resources, assignments string, files []string) {
	t.Helper()
	dir := t.TempDir()
	put := func(name string, v any) string {
		raw, ok := v.([]byte)
		if !ok {
			var err error
			if raw, err = json.Marshal(v); err != nil {
				t.Fatal(err)
			}
		}
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, raw, 0o600); err != nil {
			t.Fatal(err)
		}
		files = append(files, p)
		return p
	}
	resources = put("resources.json", map[string]any{"data": l.rows})
	if l.ras != nil {
		assignments = put("role-assignments.json", l.ras)
	}
	if l.defs != nil {
		put("role-definitions.json", l.defs)
	}
	if l.Data != nil {
		put("entra.json", l.entraBytes(t))
	}
	return resources, assignments, files
}

// offline builds the lab through the offline import of its export.
func (l *lab) offline(t *testing.T) *graph.Graph {
	t.Helper()
	_, _, files := l.write(t)
	g, sum := importGraph(t, files)
	if len(sum.Warnings) > 0 {
		t.Fatalf("warnings: %v", sum.Warnings)
	}
	return g
}

// live builds the lab through the live collector against the SDK fakes
// and the local Microsoft Graph server.
func (l *lab) live(t *testing.T) *graph.Graph {
	t.Helper()
	resources, assignments, _ := l.write(t)
	ten, err := fetchtest.FromExport(l.tenant, resources, assignments)
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range l.defs {
		// az CLI output is flattened; ARM nests the fields in properties.
		ten.RoleDefinitions = append(ten.RoleDefinitions, map[string]any{"id": d["id"], "name": d["name"], "type": d["type"],
			"properties": map[string]any{"roleName": d["roleName"], "type": d["roleType"], "description": d["description"],
				"permissions": d["permissions"], "assignableScopes": d["assignableScopes"]}})
	}
	if err := ten.AddAzureHound(l.entraBytes(t)); err != nil {
		t.Fatal(err)
	}
	ten.Graph["/v1.0/directory/administrativeUnits"] = l.aus
	for au, ms := range l.auMembers {
		p := "/v1.0/directory/administrativeUnits/" + au + "/members"
		for _, m := range ms {
			ten.Graph[p] = append(ten.Graph[p], map[string]any{"id": m, "@odata.type": "#microsoft.graph.user"})
		}
	}
	snaps, sum := collectFakes(t, ten)
	if sum.Partial() {
		t.Fatalf("partial collection: %+v", sum.Scopes)
	}
	if ten.Seen["entra"] == 0 {
		t.Fatal("the Graph server was not read")
	}
	return graph.AssembleSnapshots(snaps)
}

// builds runs check against the lab built both ways.
func (l *lab) builds(t *testing.T, check func(t *testing.T, g *graph.Graph, how string)) {
	t.Helper()
	t.Run("offline import", func(t *testing.T) { check(t, l.offline(t), "offline") })
	t.Run("live collector", func(t *testing.T) { check(t, l.live(t), "live") })
}

// leadsTo reports whether any path leads from source to target.
func leadsTo(t *testing.T, g *graph.Graph, source, target string) bool {
	t.Helper()
	res, err := paths.Search(context.Background(), g, paths.Options{Sources: []string{source}, Targets: []string{target}, Top: 1})
	if err != nil {
		t.Fatal(err)
	}
	return len(res.Paths) > 0
}
