package transform

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"

	"github.com/breachpath/breachpath/collector/gcp/inventory"
)

// orgInventory builds an organisation of n projects under 10 folders, each
// project with 2 service accounts, 5 instances (one exposed), a firewall
// rule, 3 buckets and a secret, project bindings (Editor for the default
// compute account, token creator for a group) and organisation-level
// grants, as a Cloud Asset Inventory listing would hold them.
func orgInventory(b *testing.B, n int) *inventory.Inventory {
	b.Helper()
	inv := inventory.New(testNow)
	add := func(name, typ string, anc []string, data any, pol *inventory.Policy) {
		var res *inventory.Resource
		if data != nil {
			raw, err := json.Marshal(data)
			if err != nil {
				b.Fatal(err)
			}
			res = &inventory.Resource{Data: raw}
		}
		if err := inv.Add(&inventory.Asset{Name: name, AssetType: typ, Ancestors: anc, Resource: res, IAMPolicy: pol}); err != nil {
			b.Fatal(err)
		}
	}
	org := "organizations/1"
	add(crmPrefix+org, inventory.TypeOrganization, []string{org}, map[string]any{"displayName": "example.com"},
		&inventory.Policy{Bindings: []inventory.Binding{{Role: "roles/resourcemanager.organizationAdmin", Members: []string{"group:admins@example.com"}},
			{Role: "roles/viewer", Members: []string{"group:auditors@example.com"}}}})
	for f := 0; f < 10; f++ {
		folder := fmt.Sprintf("folders/%d", 100+f)
		add(crmPrefix+folder, inventory.TypeFolder, []string{folder, org}, map[string]any{"displayName": folder},
			&inventory.Policy{Bindings: []inventory.Binding{{Role: "roles/editor", Members: []string{fmt.Sprintf("group:team%d@example.com", f)}}}})
	}
	for i := 0; i < n; i++ {
		num, id := fmt.Sprintf("%d", 5000000+i), fmt.Sprintf("proj-%04d", i)
		anc := []string{"projects/" + num, fmt.Sprintf("folders/%d", 100+i%10), org}
		dflt := num + "-compute@developer.gserviceaccount.com"
		app := "app@" + id + ".iam.gserviceaccount.com"
		add(projectPrefix+num, inventory.TypeProject, anc, map[string]any{"projectNumber": num, "projectId": id},
			&inventory.Policy{Bindings: []inventory.Binding{{Role: "roles/editor", Members: []string{"serviceAccount:" + dflt}},
				{Role: "roles/iam.serviceAccountTokenCreator", Members: []string{"group:ops@example.com"}},
				{Role: "roles/storage.objectViewer", Members: []string{"serviceAccount:" + app}}}})
		for _, sa := range []string{dflt, app} {
			add("//iam.googleapis.com/projects/"+id+"/serviceAccounts/"+sa, inventory.TypeServiceAccount, anc, map[string]any{"email": sa}, nil)
		}
		net := "https://www.googleapis.com/compute/v1/projects/" + id + "/global/networks/default"
		add("//compute.googleapis.com/projects/"+id+"/global/networks/default", inventory.TypeNetwork, anc, map[string]any{"name": "default"}, nil)
		add("//compute.googleapis.com/projects/"+id+"/global/firewalls/allow-web", inventory.TypeFirewall, anc, map[string]any{"name": "allow-web",
			"network": net, "sourceRanges": []string{"0.0.0.0/0"}, "targetTags": []string{"web"},
			"allowed": []map[string]any{{"IPProtocol": "tcp", "ports": []string{"443"}}}}, nil)
		for v := 0; v < 5; v++ {
			tags := []string{"app"}
			ni := map[string]any{"network": net}
			if v == 0 {
				tags = []string{"web"}
				ni["accessConfigs"] = []map[string]any{{"natIP": "198.51.100.1"}}
			}
			add(fmt.Sprintf("//compute.googleapis.com/projects/%s/zones/z/instances/vm-%d", id, v), inventory.TypeInstance, anc,
				map[string]any{"name": fmt.Sprintf("vm-%d", v), "tags": map[string]any{"items": tags}, "networkInterfaces": []map[string]any{ni},
					"serviceAccounts": []map[string]any{{"email": dflt, "scopes": []string{"https://www.googleapis.com/auth/cloud-platform"}}}}, nil)
		}
		for k := 0; k < 3; k++ {
			add(fmt.Sprintf("//storage.googleapis.com/%s-b%d", id, k), inventory.TypeBucket, anc,
				map[string]any{"name": fmt.Sprintf("%s-b%d", id, k), "labels": map[string]string{"data-classification": "confidential"}}, nil)
		}
		add("//secretmanager.googleapis.com/projects/"+num+"/secrets/db", inventory.TypeSecret, anc, map[string]any{"name": "db"},
			&inventory.Policy{Bindings: []inventory.Binding{{Role: "roles/secretmanager.secretAccessor", Members: []string{"serviceAccount:" + app}}}})
	}
	return inv
}

// BenchmarkTransformOrganisation measures the transform of a 1,000-project
// organisation (docs/benchmarks.md records the figure).
func BenchmarkTransformOrganisation(b *testing.B) {
	inv := orgInventory(b, 1000)
	b.ResetTimer()
	for b.Loop() {
		res, err := Transform(context.Background(), inv, Options{Now: testNow})
		if err != nil {
			b.Fatal(err)
		}
		nodes, edges := 0, 0
		for _, s := range res.Snapshots {
			nodes += len(s.Nodes)
			edges += len(s.Edges)
		}
		b.ReportMetric(float64(len(inv.Assets)), "assets")
		b.ReportMetric(float64(len(res.Snapshots)), "snapshots")
		b.ReportMetric(float64(edges), "edges")
	}
}
