package entitlements

import (
	"encoding/json"
	"fmt"
	"slices"

	"github.com/breachpath/breachpath/collector/gcp/iam"
	"github.com/breachpath/breachpath/collector/gcp/roles"
	"github.com/breachpath/breachpath/graph/entitlement"
)

// verifyResource and verifyMember are where Verify binds the suggested
// role: a project of its own, so no collected binding interferes.
const (
	verifyResource = "//cloudresourcemanager.googleapis.com/projects/breachpath-verify"
	verifyRole     = "projects/breachpath-verify/roles/breachpathLeastPrivilege"
	verifyMember   = "serviceAccount:verify@breachpath-verify.iam.gserviceaccount.com"
)

// Verify checks a suggested custom role with the collector's own IAM
// evaluator (collector/gcp/iam): bound to a member on a project, it must
// grant exactly want and no other permission of the services involved
// (every permission of those services roles/owner holds, plus anything the
// role lists). It returns an error naming the extra or missing permissions.
func Verify(s *entitlement.Suggestion, want []string) error {
	var doc struct {
		IncludedPermissions []string `json:"includedPermissions"`
	}
	if err := json.Unmarshal([]byte(s.Policy), &doc); err != nil {
		return fmt.Errorf("verify suggestion: custom role: %w", err)
	}
	cat, err := roles.NewCatalog()
	if err != nil {
		return fmt.Errorf("verify suggestion: %w", err)
	}
	cat.AddCustom(&roles.Role{Name: verifyRole, Permissions: doc.IncludedPermissions})
	svcs := map[string]bool{}
	universe := map[string]bool{}
	for _, p := range append(slices.Clone(want), doc.IncludedPermissions...) {
		svcs[service(p)], universe[p] = true, true
	}
	if owner, ok := cat.Lookup(roles.Owner); ok {
		for _, p := range owner.Permissions {
			if svcs[service(p)] {
				universe[p] = true
			}
		}
	}
	all := make([]string, 0, len(universe))
	for p := range universe {
		all = append(all, p)
	}
	slices.Sort(all)
	// The evaluator answers for at most iam.MaxPerms permissions at once.
	var granted []string
	for chunk := range slices.Chunk(all, iam.MaxPerms) {
		ev, err := iam.New(cat, chunk)
		if err != nil {
			return fmt.Errorf("verify suggestion: %w", err)
		}
		ev.Add(&iam.Binding{Resource: verifyResource, Role: verifyRole, Members: []string{verifyMember}})
		if g := ev.Grants([]string{verifyResource})[verifyMember]; g != nil {
			granted = append(granted, ev.Names(g.Perms)...)
		}
	}
	slices.Sort(granted)
	wantSorted := slices.Sorted(slices.Values(want))
	wantSorted = slices.Compact(wantSorted)
	var extra, missing []string
	for _, p := range granted {
		if _, ok := slices.BinarySearch(wantSorted, p); !ok {
			extra = append(extra, p)
		}
	}
	for _, p := range wantSorted {
		if _, ok := slices.BinarySearch(granted, p); !ok {
			missing = append(missing, p)
		}
	}
	if len(extra) > 0 || len(missing) > 0 {
		return fmt.Errorf("verify suggestion: the custom role grants %d permissions not kept %v and misses %d kept %v",
			len(extra), firstN(extra, 5), len(missing), firstN(missing, 5))
	}
	if !slices.Equal(s.Actions, wantSorted) {
		return fmt.Errorf("verify suggestion: listed actions differ from the role's permissions")
	}
	return nil
}

func firstN(s []string, n int) []string { return s[:min(n, len(s))] }
