package transform

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func readDoc(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "..", "docs", name))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestTechniquesDocumented(t *testing.T) {
	doc := readDoc(t, "techniques.md")
	for _, tc := range Techniques {
		if !strings.Contains(doc, "| `"+tc.ID+"` | "+string(tc.Edge)+" |") {
			t.Errorf("docs/techniques.md lacks the row of %s (%s)", tc.ID, tc.Edge)
		}
	}
}

func TestRulesDocumented(t *testing.T) {
	doc := readDoc(t, "gcp-collector.md")
	for id, r := range Rules {
		row := "| `" + id + "` | " + r.Severity.String() + " | " + r.Title + " | " + strings.Join(r.Controls, ", ") + " |"
		if !strings.Contains(doc, row) {
			t.Errorf("docs/gcp-collector.md lacks %s", row)
		}
	}
}

// Every technique an edge carries is in the table, so the docs cover what
// the graph holds.
func TestEmittedTechniquesAreListed(t *testing.T) {
	var ids []string
	for _, tc := range Techniques {
		ids = append(ids, tc.ID)
	}
	f := newFixture(t)
	inst := "//compute.googleapis.com/projects/p/zones/z/instances/vm"
	sam, sa := f.sa(t, "runner")
	f.res(t, inst, "compute.googleapis.com/Instance", tAnc, map[string]any{"name": "vm", "serviceAccounts": []map[string]any{{
		"email": strings.TrimPrefix(sam, "serviceAccount:"), "scopes": []string{"https://www.googleapis.com/auth/cloud-platform"}}}})
	f.grant(t, tProject, "roles/owner", tUser)
	f.grant(t, tProject, "roles/editor", sam)
	f.grant(t, sa, "roles/iam.serviceAccountTokenCreator", "group:ops@example.com")
	g := f.build(t)
	for _, e := range g.Edges {
		if e.Kind.IsMove() && !slices.Contains(ids, e.Technique) {
			t.Errorf("technique %s (%s) is not in Techniques", e.Technique, e.Kind)
		}
	}
}
