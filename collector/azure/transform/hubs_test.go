package transform

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/breachpath/breachpath/collector/azure/inventory"
	"github.com/breachpath/breachpath/collector/azure/rbac"
	"github.com/breachpath/breachpath/graph"
)

const tsubScope = "/subscriptions/" + tsub

// broadTenant has n VMs with system identities and n service principals
// that each hold Contributor at the subscription: the shape that drew a
// move per (principal, VM) before grant nodes.
func broadTenant(t testing.TB, n int) *inventory.Inventory {
	var res []map[string]any
	for i := 0; i < n; i++ {
		res = append(res, map[string]any{"id": rid("microsoft.compute/virtualmachines", fmt.Sprintf("vm-%d", i)), "type": "Microsoft.Compute/virtualMachines",
			"identity": map[string]any{"type": "SystemAssigned", "principalId": fmt.Sprintf("mi-%d", i)}})
	}
	inv := tenantOf(t, res...)
	for i := 0; i < n; i++ {
		inv.RoleAssignments = append(inv.RoleAssignments, assignment(fmt.Sprintf("%s/ra/%d", tsubScope, i), tsubScope, rbac.RoleContributor, fmt.Sprintf("sp-%d", i)))
	}
	return inv
}

func edgeCount(t *testing.T, inv *inventory.Inventory) int {
	t.Helper()
	snaps, _, err := Transform(context.Background(), inv, Options{})
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, s := range snaps {
		n += len(s.Edges)
	}
	return n
}

func TestBroadRoleEdgesGrowLinearlyWithPrincipalsAndResources(t *testing.T) {
	e := map[int]int{}
	for _, n := range []int{10, 20, 40} {
		e[n] = edgeCount(t, broadTenant(t, n))
	}
	// Linear: doubling n adds twice what the previous doubling added. A
	// per-(principal, VM) edge would make the second difference 4x.
	if d1, d2 := e[20]-e[10], e[40]-e[20]; d2 != 2*d1 {
		t.Fatalf("edges %v: differences %d then %d, want linear growth", e, d1, d2)
	}
	if e[40] >= 40*40 {
		t.Fatalf("edges at 40 principals x 40 VMs = %d, want fewer than their product", e[40])
	}
}

func TestGrantNodesDrawBroadRolesOncePerRoleAndScope(t *testing.T) {
	hub := tsubScope + "/providers/microsoft.authorization/roledefinitions/" + rbac.RoleContributor + "/grant"
	vmMI := rid("microsoft.compute/virtualmachines", "vm-0") + "/providers/microsoft.managedidentity/identities/default"
	sp := func(i int) string { return fmt.Sprintf("/tenants/tenant-a/serviceprincipals/sp-%d", i) }
	holds := func(i int) string { return sp(i) + " ESCALATES_TO " + hub + " " + TechHoldsRole }
	viaHub := hub + " ESCALATES_TO " + vmMI + " " + TechRunCommand
	direct := func(i int) string { return sp(i) + " ESCALATES_TO " + vmMI + " " + TechRunCommand }
	cases := []struct {
		name    string
		mutate  func(inv *inventory.Inventory)
		present []string
		absent  []string
		check   func(t *testing.T, edges map[string]graph.Edge)
	}{
		{"two assignees of one role at one scope share a grant node", nil,
			[]string{holds(0), holds(1), viaHub}, []string{direct(0), direct(1)},
			func(t *testing.T, edges map[string]graph.Edge) {
				ev := strings.Join(edges[holds(0)].Evidence, " ")
				if !strings.Contains(ev, tsubScope+"/ra/0") || !strings.Contains(ev, "Contributor at "+tsubScope) {
					t.Fatalf("holds-role evidence %q does not name the assignment and its scope", ev)
				}
				if ev := strings.Join(edges[viaHub].Evidence, " "); !strings.Contains(ev, "Contributor at "+tsubScope) {
					t.Fatalf("grant evidence %q does not name the role and scope", ev)
				}
			}},
		{"a single assignee keeps direct edges", func(inv *inventory.Inventory) { inv.RoleAssignments = inv.RoleAssignments[:1] },
			[]string{direct(0)}, []string{holds(0), viaHub}, nil},
		{"a principal a deny assignment names is evaluated on its own", func(inv *inventory.Inventory) {
			inv.RoleAssignments = append(inv.RoleAssignments, assignment(tsubScope+"/ra/2", tsubScope, rbac.RoleContributor, "sp-2"))
			inv.DenyAssignments = []inventory.DenyAssignment{{ID: "deny", Scope: tsubScope, Principals: []string{"sp-0"},
				Permissions: []inventory.Permission{{Actions: []string{"Microsoft.Compute/virtualMachines/runCommand/action"}}}}}
		}, []string{holds(1), holds(2), viaHub}, []string{holds(0), direct(0)}, nil},
		{"a PIM-eligible assignee's hop carries the activation", func(inv *inventory.Inventory) { inv.RoleAssignments[1].Eligible = true },
			[]string{holds(0), holds(1), viaHub}, nil,
			func(t *testing.T, edges map[string]graph.Edge) {
				if e := edges[holds(1)]; e.Likelihood >= 1 || !strings.Contains(strings.Join(e.Evidence, " "), "PIM-eligible") {
					t.Fatalf("eligible hop %+v", e)
				}
				if e := edges[holds(0)]; e.Likelihood != 1 {
					t.Fatalf("active hop likelihood %v", e.Likelihood)
				}
			}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			inv := broadTenant(t, 2)
			if c.mutate != nil {
				c.mutate(inv)
			}
			edges := edgesOf(t, inv)
			for _, k := range c.present {
				if _, ok := edges[k]; !ok {
					t.Errorf("missing %s", k)
				}
			}
			for _, k := range c.absent {
				if _, ok := edges[k]; ok {
					t.Errorf("unexpected %s", k)
				}
			}
			if c.check != nil {
				c.check(t, edges)
			}
		})
	}
}

func TestRunbookEditFromTwoSharedRolesIsDrawnDirectly(t *testing.T) {
	acct := rid("microsoft.automation/automationaccounts", "auto")
	inv := tenantOf(t, map[string]any{"id": acct, "type": "Microsoft.Automation/automationAccounts",
		"identity": map[string]any{"type": "SystemAssigned", "principalId": "auto-mi"}})
	writer, starter := "11111111-0000-0000-0000-000000000001", "11111111-0000-0000-0000-000000000002"
	inv.RoleDefinitions = []inventory.RoleDefinition{
		{ID: "/x/" + writer, Name: writer, RoleName: "Runbook Writer", Custom: true, Permissions: []inventory.Permission{{Actions: []string{"Microsoft.Automation/automationAccounts/runbooks/write"}}}},
		{ID: "/x/" + starter, Name: starter, RoleName: "Job Starter", Custom: true, Permissions: []inventory.Permission{{Actions: []string{"Microsoft.Automation/automationAccounts/jobs/write"}}}},
	}
	// sp-a holds both (each shared with someone else, so both are grant nodes).
	inv.RoleAssignments = []inventory.RoleAssignment{
		assignment(trg+"/ra/1", trg, writer, "sp-a"), assignment(trg+"/ra/2", trg, starter, "sp-a"),
		assignment(trg+"/ra/3", trg, writer, "sp-b"), assignment(trg+"/ra/4", trg, starter, "sp-c"),
	}
	edges := edgesOf(t, inv)
	mi := acct + "/providers/microsoft.managedidentity/identities/default"
	if _, ok := edges["/tenants/tenant-a/serviceprincipals/sp-a ESCALATES_TO "+mi+" "+TechRunbookEdit]; !ok {
		t.Fatal("the combined runbook edit of sp-a is missing")
	}
	for _, p := range []string{"sp-b", "sp-c"} {
		if _, ok := edges["/tenants/tenant-a/serviceprincipals/"+p+" ESCALATES_TO "+mi+" "+TechRunbookEdit]; ok {
			t.Fatalf("%s holds only half of the runbook edit", p)
		}
	}
	for k := range edges {
		if strings.HasSuffix(k, " "+TechRunbookEdit) && strings.Contains(k, "/grant ") {
			t.Fatalf("a single grant node drew the runbook edit: %s", k)
		}
	}
}

// principalMoves flattens a transform's RBAC moves to "principal kind
// technique target" -> the best likelihood and whether every way is
// conditional, composing assignee -> grant node -> target into one move.
func principalMoves(t *testing.T, inv *inventory.Inventory, opts Options) map[string][2]any {
	t.Helper()
	snaps, res, err := Transform(context.Background(), inv, opts)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Warnings) > 0 {
		t.Fatalf("warnings: %v", res.Warnings)
	}
	var all []graph.Edge
	out := map[string][]graph.Edge{}
	for _, s := range snaps {
		for _, e := range s.Edges {
			if e.Kind.IsMove() {
				all = append(all, e)
				out[e.From] = append(out[e.From], e)
			}
		}
	}
	moves := map[string][2]any{}
	add := func(from string, e graph.Edge, lk float64, cond bool) {
		if from == e.To {
			return
		}
		k := from + " " + string(e.Kind) + " " + e.Technique + " " + e.To
		if old, ok := moves[k]; ok {
			lk = max(lk, old[0].(float64))
			cond = cond && old[1].(bool)
		}
		moves[k] = [2]any{lk, cond}
	}
	for _, e := range all {
		if strings.HasSuffix(e.From, "/grant") {
			continue
		}
		if e.Technique != TechHoldsRole {
			add(e.From, e, e.Likelihood, e.Conditional)
			continue
		}
		for _, g := range out[e.To] {
			add(e.From, g, e.Likelihood*g.Likelihood, e.Conditional || g.Conditional)
		}
	}
	return moves
}

func TestGrantNodesReachExactlyWhatDirectEvaluationReaches(t *testing.T) {
	sa, kv, auto := rid("microsoft.storage/storageaccounts", "sa"), rid("microsoft.keyvault/vaults", "kv"), rid("microsoft.automation/automationaccounts", "auto")
	inv := tenantOf(t,
		map[string]any{"id": rid("microsoft.compute/virtualmachines", "vm"), "type": "Microsoft.Compute/virtualMachines",
			"identity": map[string]any{"type": "SystemAssigned", "principalId": "vm-mi"}},
		map[string]any{"id": auto, "type": "Microsoft.Automation/automationAccounts", "identity": map[string]any{"type": "SystemAssigned", "principalId": "auto-mi"}},
		map[string]any{"id": sa, "type": "Microsoft.Storage/storageAccounts", "properties": map[string]any{"allowSharedKeyAccess": true}},
		map[string]any{"id": sa + "/blobservices/default/containers/c", "type": "Microsoft.Storage/storageAccounts/blobServices/containers", "properties": map[string]any{"publicAccess": "None"}},
		map[string]any{"id": kv, "type": "Microsoft.KeyVault/vaults", "properties": map[string]any{"enableRbacAuthorization": true}},
		map[string]any{"id": kv + "/secrets/s", "type": "Microsoft.KeyVault/vaults/secrets", "properties": map[string]any{"attributes": map[string]any{"enabled": true}}},
	)
	ra := func(n int, scope, role, p string) inventory.RoleAssignment {
		return assignment(fmt.Sprintf("%s/ra/%d", scope, n), scope, role, p)
	}
	inv.RoleAssignments = []inventory.RoleAssignment{
		ra(1, tsubScope, rbac.RoleContributor, "sp-1"), ra(2, tsubScope, rbac.RoleContributor, "sp-2"), ra(3, tsubScope, rbac.RoleContributor, "vm-mi"),
		ra(4, trg, rbac.RoleOwner, "sp-3"), ra(5, trg, rbac.RoleOwner, "sp-4"),
		ra(6, kv, rbac.RoleKeyVaultSecretsUser, "sp-1"), ra(7, kv, rbac.RoleKeyVaultSecretsUser, "sp-5"),
		ra(8, tsubScope, rbac.RoleReader, "sp-5"),
		ra(9, trg, rbac.RoleUserAccessAdministrator, "sp-6"),
	}
	inv.RoleAssignments[4].Eligible = true                      // sp-4's Owner only once activated
	inv.RoleAssignments[6].Condition = "@Resource[name] == 's'" // conditional for sp-5 only
	inv.DenyAssignments = []inventory.DenyAssignment{{ID: "deny", Scope: tsubScope, Principals: []string{"sp-2"},
		Permissions: []inventory.Permission{{Actions: []string{"Microsoft.Compute/virtualMachines/runCommand/action"}}}}}
	direct, hubbed := principalMoves(t, inv, Options{directGrants: true}), principalMoves(t, inv, Options{})
	for k, want := range direct {
		got, ok := hubbed[k]
		if !ok {
			t.Errorf("grant nodes lose %s", k)
			continue
		}
		if fmt.Sprintf("%.4f %v", got[0], got[1]) != fmt.Sprintf("%.4f %v", want[0], want[1]) {
			t.Errorf("%s: likelihood/conditional %v through grant nodes, %v directly", k, got, want)
		}
	}
	for k := range hubbed {
		if _, ok := direct[k]; !ok {
			t.Errorf("grant nodes add %s", k)
		}
	}
	holds := "/tenants/tenant-a/serviceprincipals/sp-1 ESCALATES_TO " + tsubScope + "/providers/microsoft.authorization/roledefinitions/" + rbac.RoleContributor + "/grant " + TechHoldsRole
	if _, ok := edgesOf(t, inv)[holds]; !ok {
		t.Fatal("the shared Contributor grant node is missing: the comparison proves nothing")
	}
	if len(direct) < 10 {
		t.Fatalf("only %d moves: the tenant does not exercise the transform", len(direct))
	}
}
