package gcp_test

import (
	"slices"
	"testing"

	"github.com/breachpath/breachpath/collector/gcp/gcptest"
	"github.com/breachpath/breachpath/collector/gcp/inventory"
	"github.com/breachpath/breachpath/collector/gcp/transform"
	"github.com/breachpath/breachpath/graph"
	"github.com/breachpath/breachpath/scoring/drift/drifttest"
)

// TestAFailedAreaKeepsTheSharedStubsExposuresStale collects the GCPGoat
// lab, then re-collects it with the areas failing whose nodes the Internet
// or allUsers reach: the stored edges from that shared stub survive stale,
// the attack paths through them are still reported (stale) and the drift
// ledger records their findings unverified — no path closed, no finding
// resolved (issue #19).
func TestAFailedAreaKeepsTheSharedStubsExposuresStale(t *testing.T) {
	const (
		blogapp = "//cloudfunctions.googleapis.com/projects/" + gcptest.ProjectID + "/locations/" + gcptest.Region + "/functions/blogapp-5e1f"
		bucket  = "//storage.googleapis.com/"
	)
	tests := []struct {
		name   string
		faults []*gcptest.Fault
		areas  []string // areas the run must report failed
		drifttest.FailedArea
	}{
		{name: "compute and cloudfunctions fail: every Internet exposure",
			faults:     []*gcptest.Fault{{Types: []string{inventory.TypeInstance, inventory.TypeFunctionV1, inventory.TypeFunctionV2}, Status: 503}},
			areas:      []string{"compute", "cloudfunctions"},
			FailedArea: drifttest.FailedArea{Stub: graph.InternetID, Reach: []string{gcptest.AdminVM, gcptest.DeveloperVM, gcptest.Backend, blogapp}}},
		{name: "firewalls fail: the instances' exposures",
			faults:     []*gcptest.Fault{{Types: []string{inventory.TypeFirewall}, Status: 503}},
			areas:      []string{"compute"},
			FailedArea: drifttest.FailedArea{Stub: graph.InternetID, Reach: []string{gcptest.AdminVM, gcptest.DeveloperVM}}},
		// The lab's public buckets hold no target worth a path: the check
		// is on the edges and the findings.
		{name: "storage fails: the allUsers reads of the public buckets",
			faults: []*gcptest.Fault{{Types: []string{inventory.TypeBucket}, Status: 503}},
			areas:  []string{"storage"},
			FailedArea: drifttest.FailedArea{Stub: transform.AllUsersID,
				Reach: []string{bucket + "blog-bucket-5e1f", bucket + "function-bucket-5e1f", bucket + "prod-blogapp-5e1f"}, NoPath: true}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			full, _ := collectLive(t)
			failed, run := collectLive(t, tt.faults...)
			for _, a := range tt.areas {
				if !slices.ContainsFunc(run.Failed, func(f graph.Failure) bool { return f.Service == a }) {
					t.Fatalf("run failed %+v, want %s failed", run.Failed, a)
				}
			}
			drifttest.CheckFailedCollection(t, full, failed, tt.FailedArea)
		})
	}
}
