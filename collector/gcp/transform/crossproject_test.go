package transform

import (
	"strings"
	"testing"

	"github.com/breachpath/breachpath/collector/gcp/inventory"
)

func TestCrossProjectActAsNeedsTheConstraintOff(t *testing.T) {
	const q = "//cloudresourcemanager.googleapis.com/projects/4"
	qAnc := []string{"projects/4", "folders/2", "organizations/1"}
	tests := []struct {
		name       string
		createIn   string // project where the user may create instances ("" nowhere)
		enforced   bool   // iam.disableCrossProjectServiceAccountUsage on the account's project
		wantEdge   bool
		wantAcross bool
	}{
		{"create rights in the account's own project", tProject, false, true, false},
		{"create rights only in another project", q, false, true, true},
		{"another project, cross-project use disabled", q, true, false, false},
		{"no create rights anywhere", "", false, false, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t)
			f.res(t, q, inventory.TypeProject, qAnc, map[string]any{"projectNumber": "4", "projectId": "q"})
			_, sa := f.sa(t, "deployer")
			f.grant(t, sa, "roles/iam.serviceAccountUser", tUser)
			if tc.createIn != "" {
				f.grant(t, tc.createIn, "roles/compute.instanceAdmin.v1", tUser)
			}
			if tc.enforced {
				if err := f.inv.Add(&inventory.Asset{Name: tProject, OrgPolicy: []inventory.OrgPolicy{{
					Constraint: ConstraintDisableCrossProjectSA, BooleanPolicy: &inventory.BooleanPolicy{Enforced: true}}}}); err != nil {
					t.Fatal(err)
				}
			}
			g := f.build(t)
			var found, across bool
			for _, e := range edgesOf(g, tUserID, sa) {
				if e.Technique == "gcp.compute.actas-create-instance" {
					found = true
					across = strings.Contains(strings.Join(e.Evidence, " "), "cross-project: the workload is created in q")
				}
			}
			if found != tc.wantEdge || across != tc.wantAcross {
				t.Errorf("actas edge found=%v cross-project=%v, want %v %v", found, across, tc.wantEdge, tc.wantAcross)
			}
		})
	}
}
