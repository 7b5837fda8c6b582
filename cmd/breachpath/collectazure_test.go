package main

import (
	"context"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"github.com/breachpath/breachpath/graph"
	"github.com/breachpath/breachpath/graph/embedded"
)

func goatFile(name string) string {
	return filepath.Join("..", "..", "collector", "azure", "testdata", "azuregoat", name)
}

func TestCollectAzureFromFileStoresSubscriptionAndTenantScopes(t *testing.T) {
	ctx := context.Background()
	db := filepath.Join(t.TempDir(), "bp.db")
	out, err := runCollect(t, ctx, db, "azure", "--from-file", goatFile("resources.json")+","+goatFile("role-assignments.json"))
	if err != nil {
		t.Fatalf("collect azure --from-file: %v\n%s", err, out)
	}
	for _, want := range []string{"resource-graph", "az-role-assignments", "Azure 5f1c3a52-7c55-4f4b-9d5e-1c0a7e6b9a11:",
		"Azure tenant-8a6f4c2e-1b3d-4e5f-a6b7-c8d9e0f1a2b3:", "areas not in the import", "written"} {
		if !strings.Contains(out, want) {
			t.Errorf("summary lacks %q:\n%s", want, out)
		}
	}
	st, err := embedded.Open(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	g, err := st.Load(ctx, graph.Filter{})
	if err != nil {
		t.Fatal(err)
	}
	vm := "/subscriptions/5f1c3a52-7c55-4f4b-9d5e-1c0a7e6b9a11/resourcegroups/azuregoat_app/providers/microsoft.compute/virtualmachines/developervm4242"
	if n := g.Node(vm); n == nil || n.Cloud != graph.CloudAzure {
		t.Fatalf("VM not stored: %+v", n)
	}

	// A later import of role assignments alone keeps the resources (stale).
	out, err = runCollect(t, ctx, db, "azure", "--from-file", goatFile("role-assignments.json"), "--tenant", "8a6f4c2e-1b3d-4e5f-a6b7-c8d9e0f1a2b3")
	if err != nil {
		t.Fatalf("second import: %v\n%s", err, out)
	}
	g, err = st.Load(ctx, graph.Filter{})
	if err != nil {
		t.Fatal(err)
	}
	if n := g.Node(vm); n == nil || !n.Stale {
		t.Fatalf("VM after an authorization-only import = %+v, want kept and stale", n)
	}
}

func TestCollectAzureRejectsBadFlagCombinations(t *testing.T) {
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"azure", "--from-file", "x.json", "--skip-entra"}, "cannot be combined"},
		{[]string{"azure", "--from-file", "x.json", "--verify-public-blobs"}, "cannot be combined"},
		{[]string{"azure", "--from-file", "x.json", "--scan-config-objects"}, "cannot be combined"},
		{[]string{"azure", "--concurrency", "0"}, "--concurrency"},
		{[]string{"azure", "--subscription", ","}, "empty id"},
	}
	for _, tc := range tests {
		_, err := runCollect(t, context.Background(), filepath.Join(t.TempDir(), "bp.db"), tc.args...)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%v: err = %v, want %q", tc.args, err, tc.want)
		}
	}
}

func TestCIEMListsAzurePrincipalsWithTheirGrants(t *testing.T) {
	ctx := context.Background()
	db := filepath.Join(t.TempDir(), "bp.db")
	if out, err := runCollect(t, ctx, db, "azure", "--from-file", goatFile("resources.json")+","+goatFile("role-assignments.json")); err != nil {
		t.Fatalf("collect: %v\n%s", err, out)
	}
	out, err := runSub(t, ctx, db, (*app).ciemCommand, "--format", "json")
	if err != nil {
		t.Fatalf("ciem: %v\n%s", err, out)
	}
	var rep struct {
		Principals []struct {
			ID                string `json:"id"`
			Cloud             string `json:"cloud"`
			EntitlementsKnown bool   `json:"entitlements_known"`
			Sources           []struct {
				PolicyName string `json:"policy_name"`
				Statement  string `json:"statement"`
			} `json:"sources"`
			Wildcards []struct {
				Kinds []string `json:"kinds"`
			} `json:"wildcards"`
		} `json:"principals"`
	}
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("ciem json: %v\n%s", err, out)
	}
	want := map[string]string{
		"/subscriptions/5f1c3a52-7c55-4f4b-9d5e-1c0a7e6b9a11/resourcegroups/azuregoat_app/providers/microsoft.managedidentity/userassignedidentities/user-assigned-id4242":                                    "Owner",
		"/subscriptions/5f1c3a52-7c55-4f4b-9d5e-1c0a7e6b9a11/resourcegroups/azuregoat_app/providers/microsoft.compute/virtualmachines/developervm4242/providers/microsoft.managedidentity/identities/default": "Contributor",
	}
	for _, p := range rep.Principals {
		role, ok := want[p.ID]
		if !ok {
			continue
		}
		if p.Cloud != "azure" || !p.EntitlementsKnown || len(p.Sources) != 1 || p.Sources[0].PolicyName != role ||
			p.Sources[0].Statement != "/subscriptions/5f1c3a52-7c55-4f4b-9d5e-1c0a7e6b9a11/resourcegroups/azuregoat_app" || len(p.Wildcards) == 0 {
			t.Errorf("principal %s = %+v", p.ID, p)
		}
		delete(want, p.ID)
	}
	if len(want) > 0 {
		t.Fatalf("Azure principals missing from the CIEM report: %v", want)
	}
}
