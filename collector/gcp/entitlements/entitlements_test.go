package entitlements

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/breachpath/breachpath/collector/gcp/roles"
	"github.com/breachpath/breachpath/graph"
	"github.com/breachpath/breachpath/graph/entitlement"
)

func TestLevelsByVerb(t *testing.T) {
	tests := map[string]entitlement.AccessLevel{
		"storage.objects.list": entitlement.LevelList, "storage.objects.get": entitlement.LevelRead,
		"secretmanager.versions.access": entitlement.LevelRead, "storage.objects.create": entitlement.LevelWrite,
		"resourcemanager.projects.setIamPolicy": entitlement.LevelPermissions, "iam.serviceAccounts.actAs": entitlement.LevelPermissions,
		"compute.instances.setLabels": entitlement.LevelTagging, "nodots": entitlement.LevelUnknown,
	}
	for perm, want := range tests {
		if got := Level(perm); got != want {
			t.Errorf("Level(%s) = %s, want %s", perm, got, want)
		}
	}
}

// A group granted the same role in a thousand projects gets one summary
// source, and its document still fits on a node.
func TestManyBindingsOfOneRoleAreSummarised(t *testing.T) {
	cat, err := roles.NewCatalog()
	if err != nil {
		t.Fatal(err)
	}
	var grants []Grant
	for i := 0; i < 1000; i++ {
		grants = append(grants, Grant{Resource: fmt.Sprintf("//cloudresourcemanager.googleapis.com/projects/%d", i), Role: "roles/iam.serviceAccountTokenCreator"})
	}
	grants = append(grants, Grant{Resource: "//storage.googleapis.com/b", Role: "roles/storage.objectViewer"})
	e := NewAnalyzer(cat).Entitlements(grants, nil)
	if len(e.Sources) != 2 {
		t.Fatalf("%d sources, want 2: %+v", len(e.Sources), e.Sources)
	}
	nodes := []graph.Node{{ID: "g", Kind: graph.KindGroup}}
	if err := entitlement.Annotate(nodes, map[string]*entitlement.Entitlements{"g": e}, nil); err != nil {
		t.Fatal(err)
	}
	back, err := entitlement.Decode(&nodes[0])
	if err != nil || back == nil || len(back.Services) == 0 {
		t.Fatalf("decode: %+v, %v", back, err)
	}
}

// The policy writer's suggestions are checked with the collector's own IAM
// evaluator: a custom role must grant exactly the kept permissions.
func TestVerifyRejectsARoleThatGrantsOtherThanTheKeptPermissions(t *testing.T) {
	keep := []string{"secretmanager.versions.access", "storage.objects.get"}
	role := func(perms ...string) *entitlement.Suggestion {
		b, _ := json.Marshal(map[string]any{"title": "t", "includedPermissions": perms})
		return &entitlement.Suggestion{Policy: string(b), Actions: keep}
	}
	tests := []struct {
		name    string
		sug     *entitlement.Suggestion
		wantErr string
	}{
		{"exactly the kept permissions", role(keep...), ""},
		{"one permission more", role(append(slices.Clone(keep), "storage.objects.delete")...), "storage.objects.delete"},
		{"a kept permission missing", role("storage.objects.get"), "misses 1"},
		{"not a custom role", &entitlement.Suggestion{Policy: "{", Actions: keep}, "custom role"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := Verify(tc.sug, keep)
			if tc.wantErr == "" {
				if err != nil {
					t.Fatalf("rejected: %v", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("err = %v, want %q", err, tc.wantErr)
			}
		})
	}
	// The writer's own output passes.
	s, err := DefaultPolicyWriter().LeastPrivilege([]entitlement.Keep{{Service: "secretmanager", Actions: keep[:1]}, {Service: "storage", Actions: keep[1:]}}, 10)
	if err != nil || !slices.Equal(s.Actions, keep) {
		t.Fatalf("writer = %+v, %v", s, err)
	}
}
