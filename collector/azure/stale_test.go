package azure

import (
	"net/http"
	"testing"

	"github.com/breachpath/breachpath/collector/azure/transform"
	"github.com/breachpath/breachpath/graph"
	"github.com/breachpath/breachpath/scoring/drift/drifttest"
)

// TestAFailedAreaKeepsTheSharedStubsExposuresStale collects the AzureGoat
// tenant, then re-collects it with the areas failing whose nodes the
// Internet or the anonymous principal reach: the stored edges from that
// shared stub survive stale, the attack paths through them are still
// reported (stale) and the drift ledger records their findings
// unverified — no path closed, no finding resolved (issue #19).
func TestAFailedAreaKeepsTheSharedStubsExposuresStale(t *testing.T) {
	tests := []struct {
		name string
		fail []string // fake areas that answer with an error
		drifttest.FailedArea
	}{
		{name: "network and web fail: the Internet exposures of the VM and the function apps",
			fail: []string{"network", "web"}, FailedArea: drifttest.FailedArea{Stub: graph.InternetID, Reach: []string{goatVM, goatFunc}}},
		{name: "compute fails alone: the VM's exposure and the moves into its system-assigned identity",
			fail: []string{"compute"}, FailedArea: drifttest.FailedArea{Stub: graph.InternetID, Reach: []string{goatVM}}},
		{name: "storage fails: the anonymous reads of the public containers",
			fail: []string{"storage"}, FailedArea: drifttest.FailedArea{Stub: transform.AnonymousID, Reach: []string{goatVMC}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			full, _ := collectFakes(t, goatTenantFakes(t))
			ten := goatTenantFakes(t)
			for _, a := range tt.fail {
				ten.Fail[a] = http.StatusServiceUnavailable
			}
			failed, sum := collectFakes(t, ten)
			if !sum.Partial() {
				t.Fatal("failing areas must make the run partial")
			}
			drifttest.CheckFailedCollection(t, full, failed, tt.FailedArea)
		})
	}
}
