package azure

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/breachpath/breachpath/collector/azure/offline"
	"github.com/breachpath/breachpath/collector/azure/transform"
	"github.com/breachpath/breachpath/graph"
	"github.com/breachpath/breachpath/paths"
)

const (
	goatSub = "5f1c3a52-7c55-4f4b-9d5e-1c0a7e6b9a11"
	goatRG  = "/subscriptions/" + goatSub + "/resourcegroups/azuregoat_app"
	goatVM  = goatRG + "/providers/microsoft.compute/virtualmachines/developervm4242"
	goatVMI = goatVM + "/providers/microsoft.managedidentity/identities/default"
	goatMI  = goatRG + "/providers/microsoft.managedidentity/userassignedidentities/user-assigned-id4242"
	goatSA  = goatRG + "/providers/microsoft.storage/storageaccounts/appazgoat4242storage"
	goatDev = goatSA + "/blobservices/default/containers/dev-appazgoat4242-storage-container"
	goatVMC = goatSA + "/blobservices/default/containers/vm-appazgoat4242-storage-container"
	goatAdm = goatRG + "/providers/microsoft.authorization/administrator"
)

func goatFiles(t *testing.T) []string {
	t.Helper()
	return []string{filepath.Join("testdata", "azuregoat", "resources.json"), filepath.Join("testdata", "azuregoat", "role-assignments.json")}
}

func importGraph(t *testing.T, files []string) (*graph.Graph, *RunSummary) {
	t.Helper()
	snaps, sum, err := FromFiles(context.Background(), files, FileOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return graph.AssembleSnapshots(snaps), sum
}

// hop is one expected hop of a path: the edge kind, technique and target.
type hop struct {
	kind graph.EdgeKind
	tech string
	to   string
}

// findPath searches from sources to one target and returns the first path
// whose hops are exactly want.
func findPath(t *testing.T, g *graph.Graph, sources []string, target string, want []hop) bool {
	t.Helper()
	res, err := paths.Search(context.Background(), g, paths.Options{Sources: sources, Targets: []string{target}, Top: 16})
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range res.Paths {
		if len(p.Hops) != len(want) {
			continue
		}
		ok := true
		for i, h := range p.Hops {
			e := g.Edges[h.EdgeIndex()]
			if e.Kind != want[i].kind || e.Technique != want[i].tech || h.To != want[i].to {
				ok = false
				break
			}
		}
		if ok {
			return true
		}
	}
	return false
}

func TestAzureGoatExportFindsTheDocumentedRoutesHopByHop(t *testing.T) {
	g, sum := importGraph(t, goatFiles(t))
	if len(sum.Warnings) > 0 {
		t.Fatalf("warnings: %v", sum.Warnings)
	}
	routes := []struct {
		name    string
		sources []string
		target  string
		hops    []hop
	}{
		{"internet to the VM over SSH, its identity, storage data through the account keys",
			[]string{graph.InternetID}, goatVMC, []hop{
				{graph.EdgeExposedTo, transform.TechInternetExposed, goatVM},
				{graph.EdgeUsesIdentity, transform.TechVMIdentity, goatVMI},
				{graph.EdgeReads, transform.TechStorageListKeys, goatVMC}}},
		{"the VM identity edits the runbook to act as the Owner identity, which writes role assignments",
			[]string{graph.InternetID}, goatAdm, []hop{
				{graph.EdgeExposedTo, transform.TechInternetExposed, goatVM},
				{graph.EdgeUsesIdentity, transform.TechVMIdentity, goatVMI},
				{graph.EdgeEscalatesTo, transform.TechRunbookEdit, goatMI},
				{graph.EdgeEscalatesTo, transform.TechRoleAssignmentWrite, goatAdm}}},
		{"anonymous listing of the dev container",
			[]string{transform.AnonymousID}, goatDev, []hop{
				{graph.EdgeReads, transform.TechAnonymousBlob, goatDev}}},
	}
	for _, r := range routes {
		t.Run(r.name, func(t *testing.T) {
			if !findPath(t, g, r.sources, r.target, r.hops) {
				t.Fatalf("route not found hop by hop")
			}
		})
	}
	for _, rule := range []string{"azure.network.nsg-open-ssh", "azure.storage.container-public-access", "azure.authorization.workload-privileged-role",
		"azure.compute.vm-password-auth"} {
		found := false
		for _, f := range g.Findings {
			found = found || f.RuleID == rule
		}
		if !found {
			t.Errorf("finding %s missing", rule)
		}
	}
}

func TestAzureGoatWithoutTheSSHRuleHasNoInternetRoute(t *testing.T) {
	dir := t.TempDir()
	files := goatFiles(t)
	data, err := os.ReadFile(files[0])
	if err != nil {
		t.Fatal(err)
	}
	// The one change: the NSG's SSH rule admits only an office range.
	fixed := strings.Replace(string(data), `"destinationPortRange": "22",
       "sourceAddressPrefix": "*",`, `"destinationPortRange": "22",
       "sourceAddressPrefix": "203.0.113.0/24",`, 1)
	if fixed == string(data) {
		t.Fatal("fixture changed shape: the SSH rule was not found")
	}
	p := filepath.Join(dir, "resources.json")
	if err := os.WriteFile(p, []byte(fixed), 0o600); err != nil {
		t.Fatal(err)
	}
	g, _ := importGraph(t, []string{p, files[1]})
	res, err := paths.Search(context.Background(), g, paths.Options{Sources: []string{graph.InternetID}})
	if err != nil {
		t.Fatal(err)
	}
	for _, path := range res.Paths {
		t.Errorf("unexpected path %s", path.Explain())
	}
	// The escalation itself remains for whoever holds the VM's identity.
	if !findPath(t, g, []string{goatVMI}, goatAdm, []hop{{graph.EdgeEscalatesTo, transform.TechRunbookEdit, goatMI},
		{graph.EdgeEscalatesTo, transform.TechRoleAssignmentWrite, goatAdm}}) {
		t.Fatal("escalation from the VM identity lost")
	}
}

func TestFromFilesMarksAreasOutsideTheImportNotInImport(t *testing.T) {
	_, sum := importGraph(t, goatFiles(t))
	var tenantFailed []string
	for _, s := range sum.Scopes {
		if strings.HasPrefix(s.Scope, "azure:tenant-") {
			for _, f := range s.Failed {
				if f.Error != offline.NotInImport {
					t.Errorf("tenant failure %v", f)
				}
				tenantFailed = append(tenantFailed, f.Service)
			}
		}
	}
	if !strings.Contains(strings.Join(tenantFailed, ","), "entra") {
		t.Fatalf("entra not marked as outside the import: %v", tenantFailed)
	}
	if sum.Partial() {
		t.Fatal("an import is not a partial collection")
	}
}
