package entitlements

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/breachpath/breachpath/collector/azure/inventory"
	"github.com/breachpath/breachpath/collector/azure/rbac"
	"github.com/breachpath/breachpath/graph/entitlement"
)

// verifyRole and verifyPrincipal are where Verify assigns the suggested
// role: an inventory of its own, so no collected assignment interferes.
const (
	verifyRole      = "00000000-0000-4000-8000-00000000b7e1"
	verifyPrincipal = "00000000-0000-4000-8000-00000000b7e2"
)

var (
	catalogueOnce sync.Once
	catalogue     []string
	catalogueErr  error
)

// Catalogue returns the concrete control-plane operations the built-in
// role definitions name (actions and notActions without a wildcard),
// sorted: the operations Verify checks a suggested role does not grant
// beyond the exercised ones. Azure's full provider-operations list is not
// embedded; the operations roles name are the ones that matter for access.
func Catalogue() ([]string, error) {
	catalogueOnce.Do(func() {
		bi, err := rbac.Builtin()
		if err != nil {
			catalogueErr = err
			return
		}
		seen := map[string]bool{}
		for _, r := range bi {
			for _, p := range r.Permissions {
				for _, a := range append(slices.Clone(p.Actions), p.NotActions...) {
					if !strings.Contains(a, "*") && !seen[strings.ToLower(a)] {
						seen[strings.ToLower(a)] = true
						catalogue = append(catalogue, a)
					}
				}
			}
		}
		slices.SortFunc(catalogue, func(a, b string) int { return strings.Compare(strings.ToLower(a), strings.ToLower(b)) })
	})
	return catalogue, catalogueErr
}

// Verify checks a suggested custom role (a Suggestion whose Policy is an
// Azure role definition) with breachpath's own RBAC evaluator
// (collector/azure/rbac). Assigned to a fresh principal at each of its
// assignable scopes, the role must:
//   - allow every exercised operation at the scope it was exercised at;
//   - allow no other control-plane operation that is not a read: over the
//     catalogue (Catalogue) and the exercised operations, an operation is
//     granted at an assignable scope exactly when it was exercised;
//   - grant nothing the principal does not already hold there: each of
//     its action and data-action patterns is allowed to the principal by
//     its current active, unconditional assignments at every assignable
//     scope (a PIM-eligible or ABAC-conditioned grant is not standing
//     access, and the role would make it so).
//
// It returns an error naming the first operations that break a rule.
// ev is the evaluator over the principal's tenant (inv).
func Verify(ev *rbac.Evaluator, inv *inventory.Inventory, principal string, s *entitlement.Suggestion, exercised []inventory.Exercised) error {
	var doc roleDoc
	if err := json.Unmarshal([]byte(s.Policy), &doc); err != nil {
		return fmt.Errorf("verify suggestion: custom role: %w", err)
	}
	if len(doc.AssignableScopes) == 0 {
		return fmt.Errorf("verify suggestion: no assignable scope")
	}
	vinv := &inventory.Inventory{Subscriptions: inv.Subscriptions, ManagementGroups: inv.ManagementGroups,
		RoleDefinitions: []inventory.RoleDefinition{{ID: "/providers/microsoft.authorization/roledefinitions/" + verifyRole, Name: verifyRole,
			RoleName: doc.Name, Custom: true, AssignableScopes: doc.AssignableScopes, Permissions: []inventory.Permission{{Actions: doc.Actions,
				NotActions: doc.NotActions, DataActions: doc.DataActions, NotDataActions: doc.NotDataActions}}}}}
	for i, sc := range doc.AssignableScopes {
		vinv.RoleAssignments = append(vinv.RoleAssignments, inventory.RoleAssignment{ID: fmt.Sprintf("%s/providers/microsoft.authorization/roleassignments/verify-%d", strings.TrimRight(sc, "/"), i),
			Scope: sc, RoleDefinitionID: "/providers/microsoft.authorization/roledefinitions/" + verifyRole, PrincipalID: verifyPrincipal})
	}
	vev, err := rbac.New(vinv)
	if err != nil {
		return fmt.Errorf("verify suggestion: %w", err)
	}
	var missing []string
	want := map[string]bool{}
	for _, ex := range exercised {
		want[strings.ToLower(ex.Action)] = true
		if !vev.Can(verifyPrincipal, ex.Action, ex.Scope, false).Allowed {
			missing = append(missing, ex.Action+" at "+ex.Scope)
		}
	}
	if len(missing) > 0 {
		return fmt.Errorf("verify suggestion: the role misses %d exercised operations %v", len(missing), firstN(missing, 5))
	}
	cat, err := Catalogue()
	if err != nil {
		return fmt.Errorf("verify suggestion: %w", err)
	}
	var extra []string
	for _, op := range append(slices.Clone(cat), exercisedActions(exercised)...) {
		if isRead(op) {
			continue
		}
		for _, sc := range doc.AssignableScopes {
			if !want[strings.ToLower(op)] && vev.Can(verifyPrincipal, op, sc, false).Allowed {
				extra = append(extra, op)
				break
			}
		}
	}
	if len(extra) > 0 {
		return fmt.Errorf("verify suggestion: the role grants %d operations not exercised %v", len(extra), firstN(extra, 5))
	}
	var notHeldBy []string
	notHeldBy = append(notHeldBy, notHeld(ev, principal, doc.Actions, doc.AssignableScopes, false)...)
	notHeldBy = append(notHeldBy, notHeld(ev, principal, doc.DataActions, doc.AssignableScopes, true)...)
	if len(notHeldBy) > 0 {
		return fmt.Errorf("verify suggestion: the role grants %d permissions the principal does not hold %v", len(notHeldBy), firstN(notHeldBy, 5))
	}
	return nil
}

func firstN(s []string, n int) []string { return s[:min(n, len(s))] }
