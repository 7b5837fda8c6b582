package transform

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/breachpath/breachpath/collector/gcp/inventory"
	"github.com/breachpath/breachpath/graph"
)

// A tiny organisation: org 1 > folder 2 > project "p" (number 3).
const (
	tOrg     = "//cloudresourcemanager.googleapis.com/organizations/1"
	tFolder  = "//cloudresourcemanager.googleapis.com/folders/2"
	tProject = "//cloudresourcemanager.googleapis.com/projects/3"
	tUser    = "user:alice@example.com"
	tUserID  = "//cloudidentity.googleapis.com/users/alice@example.com"
)

var tAnc = []string{"projects/3", "folders/2", "organizations/1"}

type fixture struct{ inv *inventory.Inventory }

func newFixture(t *testing.T) *fixture {
	t.Helper()
	f := &fixture{inv: inventory.New(testNow)}
	f.res(t, tOrg, inventory.TypeOrganization, []string{"organizations/1"}, map[string]any{"displayName": "example.com"})
	f.res(t, tFolder, inventory.TypeFolder, []string{"folders/2", "organizations/1"}, map[string]any{"displayName": "f"})
	f.res(t, tProject, inventory.TypeProject, tAnc, map[string]any{"projectNumber": "3", "projectId": "p"})
	return f
}

func (f *fixture) res(t *testing.T, name, typ string, anc []string, data any) {
	t.Helper()
	b, err := json.Marshal(data)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.inv.Add(&inventory.Asset{Name: name, AssetType: typ, Ancestors: anc, Resource: &inventory.Resource{Data: b}}); err != nil {
		t.Fatal(err)
	}
}

func (f *fixture) grant(t *testing.T, name, role string, members ...string) {
	t.Helper()
	if err := f.inv.Add(&inventory.Asset{Name: name, IAMPolicy: &inventory.Policy{Bindings: []inventory.Binding{{Role: role, Members: members}}}}); err != nil {
		t.Fatal(err)
	}
}

func (f *fixture) sa(t *testing.T, short string) (member, id string) {
	email := short + "@p.iam.gserviceaccount.com"
	id = "//iam.googleapis.com/projects/p/serviceAccounts/" + email
	f.res(t, id, inventory.TypeServiceAccount, tAnc, map[string]any{"email": email})
	return "serviceAccount:" + email, id
}

func (f *fixture) build(t *testing.T) *graph.Graph {
	t.Helper()
	res, err := Transform(context.Background(), f.inv, Options{Now: testNow})
	if err != nil {
		t.Fatal(err)
	}
	var nodes []graph.Node
	var edges []graph.Edge
	var fs []graph.Finding
	for _, s := range res.Snapshots {
		nodes, edges, fs = append(nodes, s.Nodes...), append(edges, s.Edges...), append(fs, s.Findings...)
	}
	return graph.Assemble(nodes, edges, fs)
}

func edgesOf(g *graph.Graph, from, to string) []graph.Edge {
	var out []graph.Edge
	for _, e := range g.Edges {
		if e.From == from && e.To == to && e.Kind.IsMove() {
			out = append(out, e)
		}
	}
	return out
}

func hasTechnique(g *graph.Graph, from, to, technique string) *graph.Edge {
	for _, e := range edgesOf(g, from, to) {
		if e.Technique == technique {
			return &e
		}
	}
	return nil
}

func TestIAMTechniques(t *testing.T) {
	tests := []struct {
		name  string
		setup func(t *testing.T, f *fixture) (from, to string)
		want  string // technique; "" means no move at all
		cond  bool
	}{
		{"token creator on the account mints its tokens", func(t *testing.T, f *fixture) (string, string) {
			_, b := f.sa(t, "b")
			f.grant(t, b, "roles/iam.serviceAccountTokenCreator", tUser)
			return tUserID, b
		}, "gcp.iam.get-access-token", false},
		{"key admin inherited from the folder creates keys", func(t *testing.T, f *fixture) (string, string) {
			_, b := f.sa(t, "b")
			f.grant(t, tFolder, "roles/iam.serviceAccountKeyAdmin", tUser)
			return tUserID, b
		}, "gcp.iam.service-account-key-create", false},
		{"key creation blocked by the organisation policy", func(t *testing.T, f *fixture) (string, string) {
			_, b := f.sa(t, "b")
			f.grant(t, tProject, "roles/iam.serviceAccountKeyAdmin", tUser)
			_ = f.inv.Add(&inventory.Asset{Name: tOrg, OrgPolicy: []inventory.OrgPolicy{{Constraint: ConstraintDisableKeyCreation,
				BooleanPolicy: &inventory.BooleanPolicy{Enforced: true}}}})
			return tUserID, b
		}, "", false},
		{"implicit delegation through an intermediate account", func(t *testing.T, f *fixture) (string, string) {
			am, a := f.sa(t, "a")
			_, c := f.sa(t, "c")
			f.grant(t, a, "roles/iam.serviceAccountTokenCreator", tUser)
			f.grant(t, c, "roles/iam.serviceAccountTokenCreator", am)
			return tUserID, c
		}, "gcp.iam.implicit-delegation", false},
		{"actAs plus instance creation runs code as the account", func(t *testing.T, f *fixture) (string, string) {
			_, b := f.sa(t, "b")
			f.grant(t, b, "roles/iam.serviceAccountUser", tUser)
			f.grant(t, tProject, "roles/compute.instanceAdmin.v1", tUser)
			return tUserID, b
		}, "gcp.compute.actas-create-instance", false},
		{"actAs alone is no move", func(t *testing.T, f *fixture) (string, string) {
			_, b := f.sa(t, "b")
			f.grant(t, b, "roles/iam.serviceAccountUser", tUser)
			return tUserID, b
		}, "", false},
		{"folder IAM admin owns every project below", func(t *testing.T, f *fixture) (string, string) {
			f.grant(t, tFolder, "roles/resourcemanager.folderIamAdmin", tUser)
			return tUserID, tProject + "/owner"
		}, "gcp.resourcemanager.set-iam-policy", false},
		{"deployment manager runs as the Google APIs service agent", func(t *testing.T, f *fixture) (string, string) {
			f.grant(t, tProject, "roles/editor", "serviceAccount:3@cloudservices.gserviceaccount.com")
			f.grant(t, tProject, "roles/deploymentmanager.editor", tUser)
			return tUserID, "//iam.googleapis.com/projects/p/serviceAccounts/3@cloudservices.gserviceaccount.com"
		}, "gcp.deploymentmanager.create-deployment", false},
		{"conditional binding gives a conditional move", func(t *testing.T, f *fixture) (string, string) {
			_, b := f.sa(t, "b")
			_ = f.inv.Add(&inventory.Asset{Name: b, IAMPolicy: &inventory.Policy{Bindings: []inventory.Binding{{
				Role: "roles/iam.serviceAccountTokenCreator", Members: []string{tUser},
				Condition: &inventory.Expr{Title: "office hours", Expression: "request.time.getHours('UTC') < 18"}}}}})
			return tUserID, b
		}, "gcp.iam.get-access-token", true},
		{"role author bound to its own custom role under a condition: conditional owner", func(t *testing.T, f *fixture) (string, string) {
			f.res(t, "//iam.googleapis.com/projects/p/roles/author", inventory.TypeRole, tAnc,
				map[string]any{"name": "projects/p/roles/author", "includedPermissions": []string{"iam.roles.update"}})
			_ = f.inv.Add(&inventory.Asset{Name: tProject, IAMPolicy: &inventory.Policy{Bindings: []inventory.Binding{{
				Role: "projects/p/roles/author", Members: []string{tUser},
				Condition: &inventory.Expr{Title: "until March", Expression: "request.time < timestamp('2027-03-01T00:00:00Z')"}}}}})
			return tUserID, tProject + "/owner"
		}, "gcp.iam.roles-update", true},
		{"role author bound to a custom role on a bucket administers the bucket", func(t *testing.T, f *fixture) (string, string) {
			f.res(t, "//iam.googleapis.com/projects/p/roles/reader", inventory.TypeRole, tAnc,
				map[string]any{"name": "projects/p/roles/reader", "includedPermissions": []string{"storage.objects.list"}})
			bk := "//storage.googleapis.com/b1"
			f.res(t, bk, inventory.TypeBucket, tAnc, map[string]any{"name": "b1"})
			f.grant(t, bk, "projects/p/roles/reader", tUser)
			f.grant(t, tProject, "roles/iam.roleAdmin", tUser)
			return tUserID, bk
		}, "gcp.iam.roles-update", false},
		{"organisation role author bound on the folder owns the project", func(t *testing.T, f *fixture) (string, string) {
			f.res(t, "//iam.googleapis.com/organizations/1/roles/ops", inventory.TypeRole, []string{"organizations/1"},
				map[string]any{"name": "organizations/1/roles/ops", "includedPermissions": []string{"compute.instances.list"}})
			f.grant(t, tFolder, "organizations/1/roles/ops", tUser)
			f.grant(t, tOrg, "roles/iam.organizationRoleAdmin", tUser)
			return tUserID, tProject + "/owner"
		}, "gcp.iam.roles-update", false},
		{"role admin bound to no custom role gains nothing", func(t *testing.T, f *fixture) (string, string) {
			f.grant(t, tProject, "roles/iam.roleAdmin", tUser)
			return tUserID, tProject + "/owner"
		}, "", false},
		{"setServiceAccount without a way to run code is no move", func(t *testing.T, f *fixture) (string, string) {
			_, b := f.sa(t, "b")
			inst := "//compute.googleapis.com/projects/p/zones/z/instances/vm"
			f.res(t, inst, inventory.TypeInstance, tAnc, map[string]any{"name": "vm", "status": "TERMINATED"})
			f.res(t, "//iam.googleapis.com/projects/p/roles/swap", inventory.TypeRole, tAnc, map[string]any{"name": "projects/p/roles/swap",
				"includedPermissions": []string{"compute.instances.setServiceAccount", "compute.instances.stop", "compute.instances.start"}})
			f.grant(t, inst, "projects/p/roles/swap", tUser)
			f.grant(t, b, "roles/iam.serviceAccountUser", tUser)
			return tUserID, b
		}, "", false},
		{"invoker of an internal-only function reaches it conditionally", func(t *testing.T, f *fixture) (string, string) {
			fn := "//cloudfunctions.googleapis.com/projects/p/locations/r/functions/f"
			f.res(t, fn, inventory.TypeFunctionV1, tAnc, map[string]any{"name": "projects/p/locations/r/functions/f",
				"ingressSettings": "ALLOW_INTERNAL_ONLY", "serviceAccountEmail": "fn@p.iam.gserviceaccount.com"})
			f.grant(t, fn, "roles/cloudfunctions.invoker", tUser)
			return tUserID, fn
		}, "gcp.cloudfunctions.authenticated-invoker", true},
		{"default object ACL reader of a fine-grained bucket reads conditionally", func(t *testing.T, f *fixture) (string, string) {
			bk := "//storage.googleapis.com/b1"
			f.res(t, bk, inventory.TypeBucket, tAnc, map[string]any{"name": "b1",
				"defaultObjectAcl": []map[string]any{{"entity": "user-alice@example.com", "role": "READER"}}})
			return tUserID, bk
		}, "gcp.storage.object-get", true},
		{"uniform bucket-level access voids the default object ACL", func(t *testing.T, f *fixture) (string, string) {
			bk := "//storage.googleapis.com/b1"
			f.res(t, bk, inventory.TypeBucket, tAnc, map[string]any{"name": "b1",
				"iamConfiguration": map[string]any{"uniformBucketLevelAccess": map[string]any{"enabled": true}},
				"defaultObjectAcl": []map[string]any{{"entity": "user-alice@example.com", "role": "READER"}}})
			return tUserID, bk
		}, "", false},
		{"public bucket reader", func(t *testing.T, f *fixture) (string, string) {
			bk := "//storage.googleapis.com/b1"
			f.res(t, bk, inventory.TypeBucket, tAnc, map[string]any{"name": "b1"})
			f.grant(t, bk, "roles/storage.objectViewer", "allUsers")
			return AllUsersID, bk
		}, "gcp.storage.object-get", false},
		{"public access prevention voids a public grant", func(t *testing.T, f *fixture) (string, string) {
			bk := "//storage.googleapis.com/b1"
			f.res(t, bk, inventory.TypeBucket, tAnc, map[string]any{"name": "b1"})
			f.grant(t, bk, "roles/storage.objectViewer", "allUsers")
			_ = f.inv.Add(&inventory.Asset{Name: tFolder, OrgPolicy: []inventory.OrgPolicy{{Constraint: ConstraintPublicAccessPrevention,
				BooleanPolicy: &inventory.BooleanPolicy{Enforced: true}}}})
			return AllUsersID, bk
		}, "", false},
		{"dataset reader through an inherited project grant", func(t *testing.T, f *fixture) (string, string) {
			ds := "//bigquery.googleapis.com/projects/p/datasets/d"
			f.res(t, ds, inventory.TypeDataset, tAnc, map[string]any{"datasetReference": map[string]any{"datasetId": "d", "projectId": "p"}})
			f.grant(t, tOrg, "roles/bigquery.dataViewer", "group:analysts@example.com")
			return "//cloudidentity.googleapis.com/groups/analysts@example.com", ds
		}, "gcp.bigquery.read", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t)
			from, to := tc.setup(t, f)
			g := f.build(t)
			if tc.want == "" {
				if es := edgesOf(g, from, to); len(es) > 0 {
					t.Fatalf("unexpected moves: %+v", es)
				}
				return
			}
			e := hasTechnique(g, from, to, tc.want)
			if e == nil {
				t.Fatalf("no %s from %s to %s; have %+v", tc.want, from, to, edgesOf(g, from, to))
			}
			if e.Conditional != tc.cond {
				t.Errorf("conditional = %v, want %v", e.Conditional, tc.cond)
			}
			if len(e.Evidence) == 0 {
				t.Error("move without evidence")
			}
		})
	}
}

func TestInstanceShellTechniquesFollowOSLogin(t *testing.T) {
	inst := "//compute.googleapis.com/projects/p/zones/z/instances/vm"
	tests := []struct {
		name    string
		meta    []map[string]any
		role    string
		want    string
		notWant string
	}{
		{"metadata SSH keys without OS Login", nil, "roles/compute.instanceAdmin.v1", "gcp.compute.set-metadata-ssh", "gcp.compute.os-login"},
		{"OS Login ignores metadata keys", []map[string]any{{"key": "enable-oslogin", "value": "TRUE"}}, "roles/compute.instanceAdmin.v1", "gcp.compute.os-login", "gcp.compute.set-metadata-ssh"},
		{"OS Login viewer gets no shell", []map[string]any{{"key": "enable-oslogin", "value": "TRUE"}}, "roles/compute.viewer", "", "gcp.compute.os-login"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t)
			f.res(t, inst, inventory.TypeInstance, tAnc, map[string]any{"name": "vm", "metadata": map[string]any{"items": tc.meta}})
			f.grant(t, tProject, tc.role, tUser)
			g := f.build(t)
			if tc.want != "" && hasTechnique(g, tUserID, inst, tc.want) == nil {
				t.Errorf("no %s; have %+v", tc.want, edgesOf(g, tUserID, inst))
			}
			if hasTechnique(g, tUserID, inst, tc.notWant) != nil {
				t.Errorf("unexpected %s", tc.notWant)
			}
		})
	}
}

func TestInternetExposureFollowsFirewallRules(t *testing.T) {
	net := "https://www.googleapis.com/compute/v1/projects/p/global/networks/n"
	inst := "//compute.googleapis.com/projects/p/zones/z/instances/vm"
	rule := func(name string, prio int, allow bool, ports []string, src string, tags []string) map[string]any {
		key := "denied"
		if allow {
			key = "allowed"
		}
		return map[string]any{"name": name, "network": net, "priority": prio, "direction": "INGRESS", "sourceRanges": []string{src},
			"targetTags": tags, key: []map[string]any{{"IPProtocol": "tcp", "ports": ports}}}
	}
	tests := []struct {
		name      string
		rules     []map[string]any
		external  bool
		wantPorts string // "" means not exposed
	}{
		{"open SSH to a tagged instance with an external IP", []map[string]any{rule("ssh", 1000, true, []string{"22"}, "0.0.0.0/0", []string{"web"})}, true, "tcp/22"},
		{"no external IP, no exposure", []map[string]any{rule("ssh", 1000, true, []string{"22"}, "0.0.0.0/0", nil)}, false, ""},
		{"rule for another tag", []map[string]any{rule("ssh", 1000, true, []string{"22"}, "0.0.0.0/0", []string{"db"})}, true, ""},
		{"internal source range only", []map[string]any{rule("ssh", 1000, true, []string{"22"}, "10.0.0.0/8", nil)}, true, ""},
		{"higher-priority deny wins", []map[string]any{rule("ssh", 1000, true, []string{"22"}, "0.0.0.0/0", nil), rule("deny", 900, false, []string{"22"}, "0.0.0.0/0", nil)}, true, ""},
		{"lower-priority deny loses", []map[string]any{rule("ssh", 1000, true, []string{"22"}, "0.0.0.0/0", nil), rule("deny", 2000, false, []string{"22"}, "0.0.0.0/0", nil)}, true, "tcp/22"},
		{"port range reports notable ports", []map[string]any{rule("range", 1000, true, []string{"20-25"}, "0.0.0.0/0", nil)}, true, "tcp/20,tcp/22"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t)
			for i, r := range tc.rules {
				f.res(t, "//compute.googleapis.com/projects/p/global/firewalls/r"+string(rune('a'+i)), inventory.TypeFirewall, tAnc, r)
			}
			ni := map[string]any{"network": net}
			if tc.external {
				ni["accessConfigs"] = []map[string]any{{"natIP": "198.51.100.7"}}
			}
			f.res(t, inst, inventory.TypeInstance, tAnc, map[string]any{"name": "vm", "tags": map[string]any{"items": []string{"web"}},
				"networkInterfaces": []map[string]any{ni}})
			g := f.build(t)
			e := hasTechnique(g, graph.InternetID, inst, "gcp.compute.internet-exposed")
			if tc.wantPorts == "" {
				if e != nil {
					t.Fatalf("exposed: %+v", e)
				}
				return
			}
			if e == nil {
				t.Fatal("not exposed")
			}
			if got := strings.Join(e.Props["ports"].([]string), ","); got != tc.wantPorts {
				t.Errorf("ports %s, want %s", got, tc.wantPorts)
			}
		})
	}
}

func TestScopedTokenOnlyCarriesItsAPIs(t *testing.T) {
	f := newFixture(t)
	inst := "//compute.googleapis.com/projects/p/zones/z/instances/vm"
	sam, _ := f.sa(t, "runner")
	bk := "//storage.googleapis.com/b1"
	sec := "//secretmanager.googleapis.com/projects/3/secrets/s"
	f.res(t, bk, inventory.TypeBucket, tAnc, map[string]any{"name": "b1"})
	f.res(t, sec, inventory.TypeSecret, tAnc, map[string]any{"name": "projects/3/secrets/s"})
	f.grant(t, tProject, "roles/storage.objectViewer", sam)
	f.grant(t, sec, "roles/secretmanager.secretAccessor", sam)
	f.res(t, inst, inventory.TypeInstance, tAnc, map[string]any{"name": "vm", "serviceAccounts": []map[string]any{{
		"email": strings.TrimPrefix(sam, "serviceAccount:"), "scopes": []string{"https://www.googleapis.com/auth/devstorage.read_only"}}}})
	g := f.build(t)
	tok := "//iam.googleapis.com/projects/p/serviceAccounts/runner@p.iam.gserviceaccount.com/scopes/devstorage.read_only"
	if hasTechnique(g, inst, tok, "gcp.compute.metadata-token") == nil {
		t.Fatal("instance does not reach its scoped token")
	}
	if hasTechnique(g, tok, bk, "gcp.storage.object-get") == nil {
		t.Error("storage read-only scope does not read the bucket")
	}
	if len(edgesOf(g, tok, sec)) != 0 {
		t.Error("storage-only token reads a secret")
	}
	if hasTechnique(g, "//iam.googleapis.com/projects/p/serviceAccounts/runner@p.iam.gserviceaccount.com", sec, "gcp.secretmanager.access-secret-version") == nil {
		t.Error("the account itself lost its secret access")
	}
}

var testNow = time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)

func TestOrgPoliciesInForceAreOnTheProject(t *testing.T) {
	f := newFixture(t)
	_ = f.inv.Add(&inventory.Asset{Name: tOrg, OrgPolicy: []inventory.OrgPolicy{
		{Constraint: ConstraintAllowedDomains, ListPolicy: &inventory.ListPolicy{AllowedValues: []string{"C0abc123"}}},
		{Constraint: ConstraintRequireOsLogin, BooleanPolicy: &inventory.BooleanPolicy{Enforced: true}}}})
	_ = f.inv.Add(&inventory.Asset{Name: tFolder, OrgPolicy: []inventory.OrgPolicy{
		{Constraint: ConstraintRequireOsLogin, RestoreDefault: &struct{}{}},
		{Constraint: ConstraintVMExternalIP, ListPolicy: &inventory.ListPolicy{AllValues: "DENY"}}}})
	n := f.build(t).Node(tProject)
	if n == nil {
		t.Fatal("no project")
	}
	if got, _ := n.Props["org_policy_allowed_member_domains"].([]string); strings.Join(got, ",") != "C0abc123" {
		t.Errorf("allowed domains = %v", n.Props["org_policy_allowed_member_domains"])
	}
	if n.Props["org_policy_require_os_login"] != false {
		t.Error("restoreDefault on the folder should undo the organisation's enforcement")
	}
	if got, _ := n.Props["org_policy_vm_external_ip_access"].([]string); strings.Join(got, ",") != "all:deny" {
		t.Errorf("vm external ip = %v", n.Props["org_policy_vm_external_ip_access"])
	}
}

// An instance running as an account takes metadata changes and OS Login
// sessions only from callers that may act as the account.
func TestInstanceShellNeedsActAsOnTheInstanceAccount(t *testing.T) {
	inst := "//compute.googleapis.com/projects/p/zones/z/instances/vm"
	tests := []struct {
		name      string
		osLogin   bool
		actAs     bool
		technique string
	}{
		{"metadata SSH key with actAs", false, true, "gcp.compute.set-metadata-ssh"},
		{"metadata SSH key without actAs", false, false, ""},
		{"OS Login with actAs", true, true, "gcp.compute.os-login"},
		{"OS Login without actAs", true, false, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t)
			runner, runnerID := f.sa(t, "runner")
			var meta []map[string]any
			if tc.osLogin {
				meta = []map[string]any{{"key": "enable-oslogin", "value": "TRUE"}}
			}
			f.res(t, inst, inventory.TypeInstance, tAnc, map[string]any{"name": "vm", "metadata": map[string]any{"items": meta},
				"serviceAccounts": []map[string]any{{"email": strings.TrimPrefix(runner, "serviceAccount:"),
					"scopes": []string{"https://www.googleapis.com/auth/cloud-platform"}}}})
			f.grant(t, inst, "roles/compute.instanceAdmin.v1", tUser)
			if tc.actAs {
				f.grant(t, runnerID, "roles/iam.serviceAccountUser", tUser)
			}
			g := f.build(t)
			for _, tech := range []string{"gcp.compute.set-metadata-ssh", "gcp.compute.os-login"} {
				e := hasTechnique(g, tUserID, inst, tech)
				if (e != nil) != (tech == tc.technique) {
					t.Errorf("%s drawn=%v, want %v; have %+v", tech, e != nil, tech == tc.technique, edgesOf(g, tUserID, inst))
				}
			}
		})
	}
}
