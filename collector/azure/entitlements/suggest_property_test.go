package entitlements

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/breachpath/breachpath/collector/azure/inventory"
	"github.com/breachpath/breachpath/collector/azure/rbac"
)

// propertyRoles are the built-in roles the property test hands out.
var propertyRoles = []string{"Owner", "Contributor", "Reader", "Virtual Machine Contributor", "Storage Account Contributor",
	"Network Contributor", "Key Vault Contributor", "Website Contributor", "Storage Blob Data Contributor", "Key Vault Secrets User"}

// propertyProviders bounds the operations checked one by one.
var propertyProviders = []string{"microsoft.compute/", "microsoft.storage/", "microsoft.network/", "microsoft.keyvault/", "microsoft.web/", "microsoft.authorization/"}

func TestSuggestedRolesGrantExactlyTheExercisedOperationsAndNothingNotHeld(t *testing.T) {
	bi, err := rbac.Builtin()
	if err != nil {
		t.Fatal(err)
	}
	guid := map[string]string{}
	var ops, dataOps []string // concrete operations of the providers checked
	for g, r := range bi {
		if slices.Contains(propertyRoles, r.RoleName) {
			guid[r.RoleName] = g
		}
		for _, p := range r.Permissions {
			for _, a := range p.Actions {
				if !strings.Contains(a, "*") && slices.ContainsFunc(propertyProviders, func(pr string) bool { return strings.HasPrefix(strings.ToLower(a), pr) }) {
					ops = appendFold(ops, a)
				}
			}
			for _, a := range p.DataActions {
				if !strings.Contains(a, "*") && slices.ContainsFunc(propertyProviders, func(pr string) bool { return strings.HasPrefix(strings.ToLower(a), pr) }) {
					dataOps = appendFold(dataOps, a)
				}
			}
		}
	}
	slices.Sort(ops)
	slices.Sort(dataOps)
	if len(guid) != len(propertyRoles) {
		t.Fatalf("built-in roles found %v, want %v", guid, propertyRoles)
	}
	const sub = "/subscriptions/00000000-0000-4000-8000-0000000000aa"
	scopes := []string{sub, sub + "/resourcegroups/app", sub + "/resourcegroups/data"}
	for _, rgName := range []string{"app", "data"} {
		rg := sub + "/resourcegroups/" + rgName
		scopes = append(scopes, rg+"/providers/microsoft.compute/virtualmachines/vm-"+rgName, rg+"/providers/microsoft.storage/storageaccounts/st"+rgName,
			rg+"/providers/microsoft.keyvault/vaults/kv-"+rgName, rg+"/providers/microsoft.web/sites/web-"+rgName)
	}
	now := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	suggested := 0
	const trials = 40
	for seed := range uint64(trials) {
		rnd := rand.New(rand.NewPCG(seed, 42))
		inv := inventory.New("tenant", now)
		inv.AddSubscription(inventory.Subscription{ID: "00000000-0000-4000-8000-0000000000aa"})
		const principal = "00000000-0000-4000-8000-0000000000p1"
		for i := range 1 + rnd.IntN(3) {
			role := propertyRoles[rnd.IntN(len(propertyRoles))]
			scope := scopes[rnd.IntN(len(scopes))]
			inv.RoleAssignments = append(inv.RoleAssignments, inventory.RoleAssignment{ID: fmt.Sprintf("%s/providers/microsoft.authorization/roleassignments/ra-%d", scope, i),
				Scope: scope, RoleDefinitionID: "/providers/microsoft.authorization/roledefinitions/" + guid[role], PrincipalID: principal})
		}
		ev, err := rbac.New(inv)
		if err != nil {
			t.Fatal(err)
		}
		inv.Activity = inventory.NewActivityLog(now.AddDate(0, 0, -90), now)
		inv.Activity.Read["00000000-0000-4000-8000-0000000000aa"] = true
		for range 200 {
			op, scope := ops[rnd.IntN(len(ops))], scopes[rnd.IntN(len(scopes))]
			if !isRead(op) && ev.Can(principal, op, scope, false).Allowed {
				inv.Activity.Record(principal, op, scope, now.AddDate(0, 0, -rnd.IntN(80)))
				if len(inv.Activity.ByCaller[principal]) >= 1+rnd.IntN(6) {
					break
				}
			}
		}
		exercised := inv.Activity.ByCaller[principal]
		sug, reason := suggest(inv, ev, principal, "p", slices.Clone(exercised))
		if sug == nil {
			if len(exercised) > 0 && !strings.Contains(reason, "held at different scopes") && !strings.Contains(reason, "grants control-plane writes") {
				t.Errorf("seed %d: no suggestion for %d exercised operations: %s", seed, len(exercised), reason)
			}
			continue
		}
		suggested++
		var role roleDoc
		if err := json.Unmarshal([]byte(sug.Policy), &role); err != nil {
			t.Fatal(err)
		}
		tester := "00000000-0000-4000-8000-0000000000t1"
		vinv := inventory.New("tenant", now)
		vinv.AddSubscription(inventory.Subscription{ID: "00000000-0000-4000-8000-0000000000aa"})
		vinv.RoleDefinitions = []inventory.RoleDefinition{{Name: "custom", RoleName: role.Name, Custom: true, Permissions: []inventory.Permission{{
			Actions: role.Actions, NotActions: role.NotActions, DataActions: role.DataActions, NotDataActions: role.NotDataActions}}}}
		for i, s := range role.AssignableScopes {
			vinv.RoleAssignments = append(vinv.RoleAssignments, inventory.RoleAssignment{ID: fmt.Sprint("v", i), Scope: s, RoleDefinitionID: "/x/custom", PrincipalID: tester})
		}
		vev, err := rbac.New(vinv)
		if err != nil {
			t.Fatal(err)
		}
		want := map[string]bool{}
		for _, ex := range exercised {
			want[strings.ToLower(ex.Action)] = true
			if !vev.Can(tester, ex.Action, ex.Scope, false).Allowed {
				t.Errorf("seed %d: the role does not grant exercised %s at %s", seed, ex.Action, ex.Scope)
			}
		}
		for _, s := range scopes {
			for _, op := range ops {
				if !vev.Can(tester, op, s, false).Allowed {
					continue
				}
				if !isRead(op) && !want[strings.ToLower(op)] {
					t.Errorf("seed %d: the role grants %s at %s, which was not exercised", seed, op, s)
				}
				if !ev.Can(principal, op, s, false).Allowed {
					t.Errorf("seed %d: the role grants %s at %s, which the principal does not hold", seed, op, s)
				}
			}
			for _, op := range dataOps {
				if vev.Can(tester, op, s, true).Allowed && !ev.Can(principal, op, s, true).Allowed {
					t.Errorf("seed %d: the role grants data action %s at %s, which the principal does not hold", seed, op, s)
				}
			}
		}
	}
	if suggested < trials/2 {
		t.Fatalf("only %d of %d random principals got a suggestion", suggested, trials)
	}
	t.Logf("%d of %d principals got a verified suggestion", suggested, trials)
}

func TestCommonScopeIsTheNarrowestScopeCoveringAll(t *testing.T) {
	const s = "/subscriptions/s1"
	vm := s + "/resourcegroups/app/providers/microsoft.compute/virtualmachines/vm1"
	for _, tc := range []struct {
		name   string
		scopes []string
		want   string
	}{
		{"one resource", []string{vm}, vm},
		{"two resources of one group", []string{vm, s + "/resourcegroups/app/providers/microsoft.storage/storageaccounts/st"}, s + "/resourcegroups/app"},
		{"a resource and its child", []string{vm, vm + "/extensions/run"}, vm},
		{"a resource and a role assignment on it", []string{vm, vm + "/providers/microsoft.authorization/roleassignments/ra"}, vm},
		{"two groups", []string{vm, s + "/resourcegroups/data"}, s},
		{"same-named types in different providers", []string{s + "/resourcegroups/app/providers/microsoft.web/sites/x", s + "/resourcegroups/app/providers/microsoft.web/serverfarms/x"}, s + "/resourcegroups/app"},
		{"two subscriptions", []string{vm, "/subscriptions/s2"}, "/"},
		{"a management group", []string{"/providers/microsoft.management/managementgroups/mg1"}, "/providers/microsoft.management/managementgroups/mg1"},
		{"none", nil, "/"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := CommonScope(tc.scopes); got != tc.want {
				t.Fatalf("CommonScope(%v) = %q, want %q", tc.scopes, got, tc.want)
			}
		})
	}
}
