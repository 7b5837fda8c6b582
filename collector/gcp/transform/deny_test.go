package transform

import (
	"testing"

	"github.com/breachpath/breachpath/collector/gcp/inventory"
)

func denyPolicy(attach string, rule inventory.DenyRule) inventory.DenyPolicy {
	p := inventory.DenyPolicy{Name: "policies/" + attach + "/denypolicies/no-tokens", Kind: "DenyPolicy"}
	p.Rules = append(p.Rules, struct {
		Description string              `json:"description"`
		DenyRule    *inventory.DenyRule `json:"denyRule"`
	}{DenyRule: &rule})
	return p
}

func TestDenyPoliciesSubtractFromAllowGrants(t *testing.T) {
	const (
		alice = "principal://goog/subject/alice@example.com"
		perm  = "iam.googleapis.com/serviceAccounts.getAccessToken"
		proj  = "cloudresourcemanager.googleapis.com%2Fprojects%2F3"
		other = "cloudresourcemanager.googleapis.com%2Fprojects%2F99"
	)
	tests := []struct {
		name            string
		attach          string
		rule            inventory.DenyRule
		wantEdge        bool
		wantConditional bool
	}{
		{"no deny policy", "", inventory.DenyRule{}, true, false},
		{"denied to the user on the project", proj, inventory.DenyRule{DeniedPrincipals: []string{alice}, DeniedPermissions: []string{perm}}, false, false},
		{"denied to everyone on the organisation (inherited)", "cloudresourcemanager.googleapis.com%2Forganizations%2F1",
			inventory.DenyRule{DeniedPrincipals: []string{"principalSet://goog/public:all"}, DeniedPermissions: []string{"iam.googleapis.com/*"}}, false, false},
		{"the user is an exception principal", proj, inventory.DenyRule{DeniedPrincipals: []string{"principalSet://goog/public:all"},
			ExceptionPrincipals: []string{alice}, DeniedPermissions: []string{perm}}, true, false},
		{"the permission is an exception", proj, inventory.DenyRule{DeniedPrincipals: []string{alice},
			DeniedPermissions: []string{"iam.googleapis.com/serviceAccounts.*"}, ExceptionPermissions: []string{perm}}, true, false},
		{"attached to another project", other, inventory.DenyRule{DeniedPrincipals: []string{alice}, DeniedPermissions: []string{perm}}, true, false},
		{"conditional denial makes the grant conditional", proj, inventory.DenyRule{DeniedPrincipals: []string{alice}, DeniedPermissions: []string{perm},
			DenialCondition: &inventory.Expr{Title: "outside office hours", Expression: "request.time.getHours('UTC') > 18"}}, true, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t)
			_, sa := f.sa(t, "runner")
			f.grant(t, sa, "roles/iam.serviceAccountTokenCreator", tUser)
			if tc.attach != "" {
				if err := f.inv.AddDenyPolicy(denyPolicy(tc.attach, tc.rule)); err != nil {
					t.Fatal(err)
				}
			}
			g := f.build(t)
			var found, conditional bool
			for _, e := range edgesOf(g, tUserID, sa) {
				if e.Technique == "gcp.iam.get-access-token" {
					found, conditional = true, e.Conditional
				}
			}
			if found != tc.wantEdge || conditional != tc.wantConditional {
				t.Errorf("get-access-token edge found=%v conditional=%v, want %v %v", found, conditional, tc.wantEdge, tc.wantConditional)
			}
		})
	}
}
