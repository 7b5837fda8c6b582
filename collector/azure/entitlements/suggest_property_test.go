package entitlements

import (
	"encoding/json"
	"fmt"
	"maps"
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
	// In GUID order: the first spelling of an operation wins, so the
	// random draws below are the same on every run.
	for _, g := range slices.Sorted(maps.Keys(bi)) {
		r := bi[g]
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
			a := inventory.RoleAssignment{ID: fmt.Sprintf("%s/providers/microsoft.authorization/roleassignments/ra-%d", scope, i),
				Scope: scope, RoleDefinitionID: "/providers/microsoft.authorization/roledefinitions/" + guid[role], PrincipalID: principal}
			switch rnd.IntN(6) {
			case 0:
				a.Eligible = true // PIM: not standing access
			case 1:
				a.Condition = "@Resource[Microsoft.Storage/storageAccounts/blobServices/containers:name] StringEquals 'logs'"
			}
			inv.RoleAssignments = append(inv.RoleAssignments, a)
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
			if len(exercised) > 0 && !strings.Contains(reason, "held at different scopes") && !strings.Contains(reason, "grants control-plane writes") &&
				!strings.Contains(reason, "only through PIM-eligible or ABAC-conditioned") && !strings.Contains(reason, "are PIM-eligible or ABAC-conditioned") {
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
		// Standing access: an active assignment without an ABAC condition.
		outright := func(op, scope string, data bool) bool {
			d := ev.Can(principal, op, scope, data)
			return d.Allowed && !d.Conditional
		}
		want := map[string]bool{}
		for _, ex := range exercised {
			if !outright(ex.Action, ex.Scope, false) {
				continue // exercised through an eligible or conditional grant: left out
			}
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
				if !outright(op, s, false) {
					t.Errorf("seed %d: the role grants %s at %s, which the principal does not hold outright", seed, op, s)
				}
			}
			for _, op := range dataOps {
				if vev.Can(tester, op, s, true).Allowed && !outright(op, s, true) {
					t.Errorf("seed %d: the role grants data action %s at %s, which the principal does not hold outright", seed, op, s)
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

func TestSuggestSaysWhyThereIsNoRole(t *testing.T) {
	now := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	const (
		sub = "00000000-0000-4000-8000-0000000000aa"
		p   = "00000000-0000-4000-8000-0000000000p1"
		grp = "00000000-0000-4000-8000-0000000000g1"
	)
	rg := "/subscriptions/" + sub + "/resourcegroups/app"
	vm := rg + "/providers/microsoft.compute/virtualmachines/vm"
	start := "Microsoft.Compute/virtualMachines/start/action"
	assign := func(principal, role string, mod func(*inventory.RoleAssignment)) inventory.RoleAssignment {
		a := inventory.RoleAssignment{ID: rg + "/providers/microsoft.authorization/roleassignments/" + principal + role, Scope: rg,
			RoleDefinitionID: "/x/" + role, PrincipalID: principal}
		if mod != nil {
			mod(&a)
		}
		return a
	}
	for _, tc := range []struct {
		name      string
		grants    []inventory.RoleAssignment
		exercised bool
		want      string
	}{
		{"idle contributor", []inventory.RoleAssignment{assign(p, rbac.RoleContributor, nil)}, false,
			"no control-plane write in the Activity Log's last 90 days (2026-09-02 to 2026-12-01): remove its role assignments that grant writes (Contributor at " + rg + ")"},
		{"reader only", []inventory.RoleAssignment{assign(p, rbac.RoleReader, nil)}, false, "none of its own role assignments grants control-plane writes"},
		{"through a group only", []inventory.RoleAssignment{assign(grp, rbac.RoleContributor, nil)}, true, "come through groups"},
		{"eligible contributor only", []inventory.RoleAssignment{assign(p, rbac.RoleContributor, func(a *inventory.RoleAssignment) { a.Eligible = true })}, true,
			"are PIM-eligible or ABAC-conditioned"},
		{"acted through an eligible owner, idle active contributor", []inventory.RoleAssignment{assign(p, rbac.RoleContributor, func(a *inventory.RoleAssignment) {
			a.Condition = "@Resource[x] StringEquals 'y'"
		}), assign(p, rbac.RoleOwner, func(a *inventory.RoleAssignment) { a.Eligible = true }), assign(p, rbac.RoleReader, nil)}, true,
			"are PIM-eligible or ABAC-conditioned"},
		{"acted only through an eligible owner beside an active storage role", []inventory.RoleAssignment{
			assign(p, "17d1049b-9a84-46fb-8f53-869881c3d3ab", nil), // Storage Account Contributor
			assign(p, rbac.RoleOwner, func(a *inventory.RoleAssignment) { a.Eligible = true })}, true,
			"allowed only through PIM-eligible or ABAC-conditioned assignments, or no longer held (" + start + ")"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			inv := inventory.New("tenant", now)
			inv.AddSubscription(inventory.Subscription{ID: sub})
			inv.Entra.Groups = []inventory.Group{{ID: grp, Members: []string{p}}}
			inv.RoleAssignments = tc.grants
			inv.Activity = inventory.NewActivityLog(now.AddDate(0, 0, -90), now)
			inv.Activity.Read[sub] = true
			if tc.exercised {
				inv.Activity.Record(p, start, vm, now.AddDate(0, 0, -1))
			}
			ev, err := rbac.New(inv)
			if err != nil {
				t.Fatal(err)
			}
			sug, reason := suggest(inv, ev, p, "p", inv.Activity.ByCaller[p])
			if sug != nil || !strings.Contains(reason, tc.want) {
				t.Fatalf("suggestion %+v, reason %q; want none because %q", sug, reason, tc.want)
			}
		})
	}
}
