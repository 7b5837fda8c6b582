package transform

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/breachpath/breachpath/collector/azure/inventory"
	"github.com/breachpath/breachpath/collector/azure/rbac"
	"github.com/breachpath/breachpath/graph"
)

const (
	tsub = "00000000-0000-0000-0000-0000000000aa"
	trg  = "/subscriptions/" + tsub + "/resourcegroups/app"
)

func rid(provider, name string) string { return trg + "/providers/" + provider + "/" + name }

// tenantOf builds an inventory from ARM resources given as Go maps.
func tenantOf(t testing.TB, resources ...map[string]any) *inventory.Inventory {
	t.Helper()
	inv := inventory.New("tenant-a", time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC))
	inv.AddSubscription(inventory.Subscription{ID: tsub})
	for _, a := range inventory.Areas {
		if a != inventory.AreaEntra {
			inv.MarkRead(tsub, a)
		}
	}
	for _, r := range resources {
		raw, err := json.Marshal(r)
		if err != nil {
			t.Fatal(err)
		}
		if err := inv.Add(raw); err != nil {
			t.Fatal(err)
		}
	}
	return inv
}

func edgesOf(t *testing.T, inv *inventory.Inventory) map[string]graph.Edge {
	t.Helper()
	snaps, res, err := Transform(context.Background(), inv, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Warnings) > 0 {
		t.Fatalf("warnings: %v", res.Warnings)
	}
	out := map[string]graph.Edge{}
	for _, s := range snaps {
		for _, e := range s.Edges {
			out[e.From+" "+string(e.Kind)+" "+e.To+" "+e.Technique] = e
		}
	}
	return out
}

func nsgRule(name string, priority int, access, src, ports string) map[string]any {
	return map[string]any{"name": name, "properties": map[string]any{"priority": priority, "direction": "Inbound", "access": access,
		"protocol": "Tcp", "sourceAddressPrefix": src, "destinationPortRange": ports}}
}

// vmBehind returns a VM with a NIC, a public IP (SKU) and an NSG with rules.
func vmBehind(sku string, rules ...map[string]any) []map[string]any {
	nic, nsg, pip, vm := rid("microsoft.network/networkinterfaces", "nic"), rid("microsoft.network/networksecuritygroups", "nsg"),
		rid("microsoft.network/publicipaddresses", "pip"), rid("microsoft.compute/virtualmachines", "vm")
	out := []map[string]any{
		{"id": pip, "type": "Microsoft.Network/publicIPAddresses", "sku": map[string]any{"name": sku}, "properties": map[string]any{"ipAddress": "20.0.0.1"}},
		{"id": nic, "type": "Microsoft.Network/networkInterfaces", "properties": map[string]any{
			"ipConfigurations": []any{map[string]any{"id": nic + "/ipconfigurations/ip1", "properties": map[string]any{"publicIPAddress": map[string]any{"id": pip}}}},
			"virtualMachine":   map[string]any{"id": vm}}},
		{"id": vm, "type": "Microsoft.Compute/virtualMachines", "properties": map[string]any{"networkProfile": map[string]any{"networkInterfaces": []any{map[string]any{"id": nic}}}}},
	}
	if rules != nil {
		out = append(out, map[string]any{"id": nsg, "type": "Microsoft.Network/networkSecurityGroups", "properties": map[string]any{"securityRules": rules}})
		out[1]["properties"].(map[string]any)["networkSecurityGroup"] = map[string]any{"id": nsg}
	}
	return out
}

func TestInternetExposureOfVMs(t *testing.T) {
	vm := rid("microsoft.compute/virtualmachines", "vm")
	key := graph.InternetID + " EXPOSED_TO " + vm + " " + TechInternetExposed
	cases := []struct {
		name  string
		res   []map[string]any
		ports string // "" = not exposed
	}{
		{"NSG allows SSH from anywhere", vmBehind("Standard", nsgRule("ssh", 100, "Allow", "*", "22")), "tcp/22"},
		{"a higher-priority deny wins", vmBehind("Standard", nsgRule("deny", 100, "Deny", "Internet", "22"), nsgRule("ssh", 200, "Allow", "*", "22")), ""},
		{"a lower-priority deny does not", vmBehind("Standard", nsgRule("ssh", 100, "Allow", "0.0.0.0/0", "20-25"), nsgRule("deny", 200, "Deny", "*", "22")), "tcp/20-25"},
		{"a named source range is not the Internet", vmBehind("Standard", nsgRule("ssh", 100, "Allow", "203.0.113.0/24", "22")), ""},
		{"no NSG and a Basic public IP opens everything", vmBehind("Basic"), "tcp/*"},
		{"no NSG and a Standard public IP opens nothing", vmBehind("Standard"), ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e, ok := edgesOf(t, tenantOf(t, c.res...))[key]
			if c.ports == "" {
				if ok {
					t.Fatalf("unexpected exposure %+v", e)
				}
				return
			}
			if !ok {
				t.Fatal("exposure missing")
			}
			if got := strings.Join(e.Props["ports"].([]string), ","); !strings.HasPrefix(got, c.ports) {
				t.Fatalf("ports = %s, want %s", got, c.ports)
			}
		})
	}
}

func TestDataAccessByRBACAndAccessPolicies(t *testing.T) {
	kv := rid("microsoft.keyvault/vaults", "kv")
	secret := kv + "/secrets/db-password"
	sql := rid("microsoft.sql/servers", "sql")
	base := func(rbacMode bool, policies ...map[string]any) *inventory.Inventory {
		return tenantOf(t,
			map[string]any{"id": kv, "type": "Microsoft.KeyVault/vaults", "properties": map[string]any{"enableRbacAuthorization": rbacMode, "accessPolicies": policies}},
			map[string]any{"id": secret, "type": "Microsoft.KeyVault/vaults/secrets", "properties": map[string]any{"attributes": map[string]any{"enabled": true}}},
			map[string]any{"id": sql, "type": "Microsoft.Sql/servers", "properties": map[string]any{"publicNetworkAccess": "Enabled"}},
			map[string]any{"id": sql + "/firewallRules/any", "type": "Microsoft.Sql/servers/firewallRules", "properties": map[string]any{"startIpAddress": "0.0.0.0", "endIpAddress": "255.255.255.255"}},
		)
	}
	p := "/tenants/tenant-a/serviceprincipals/"
	assign := func(inv *inventory.Inventory, principal, role, scope string) *inventory.Inventory {
		inv.RoleAssignments = append(inv.RoleAssignments, inventory.RoleAssignment{ID: scope + "/ra/" + principal, Scope: scope,
			RoleDefinitionID: "/x/" + role, PrincipalID: principal, PrincipalType: "ServicePrincipal"})
		return inv
	}
	cases := []struct {
		name string
		inv  *inventory.Inventory
		edge string
		want bool
	}{
		{"RBAC vault: Key Vault Secrets User reads the secret", assign(base(true), "sp1", rbac.RoleKeyVaultSecretsUser, kv),
			p + "sp1 READS " + secret + " " + TechSecretGet, true},
		{"RBAC vault: Contributor cannot read secrets", assign(base(true), "sp1", rbac.RoleContributor, trg),
			p + "sp1 READS " + secret + " " + TechSecretGet, false},
		{"access-policy vault: Contributor grants itself a policy", assign(base(false), "sp1", rbac.RoleContributor, trg),
			p + "sp1 READS " + secret + " " + TechAccessPolicyWrite, true},
		{"access-policy vault: the policy's object reads the secret", base(false, map[string]any{"objectId": "sp2", "permissions": map[string]any{"secrets": []any{"Get", "List"}}}),
			"/tenants/tenant-a/principals/sp2 READS " + secret + " " + TechAccessPolicySecret, true},
		{"SQL firewall 0.0.0.0-255.255.255.255 exposes the server", base(true),
			graph.InternetID + " EXPOSED_TO " + sql + " " + TechSQLFirewallOpen, true},
		{"Owner at the resource group escalates to its administrator", assign(base(true), "sp3", rbac.RoleOwner, trg),
			p + "sp3 ESCALATES_TO " + trg + "/providers/microsoft.authorization/administrator " + TechRoleAssignmentWrite, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if _, got := edgesOf(t, c.inv)[c.edge]; got != c.want {
				t.Fatalf("edge %q present = %v, want %v", c.edge, got, c.want)
			}
		})
	}
}

func assignment(id, scope, role, principal string) inventory.RoleAssignment {
	return inventory.RoleAssignment{ID: id, Scope: scope, RoleDefinitionID: "/x/" + role, PrincipalID: principal, PrincipalType: "ServicePrincipal"}
}

func TestDenyAssignmentRemovesTheEscalation(t *testing.T) {
	inv := tenantOf(t)
	inv.RoleAssignments = []inventory.RoleAssignment{{ID: trg + "/ra/1", Scope: trg, RoleDefinitionID: "/x/" + rbac.RoleOwner, PrincipalID: "sp1", PrincipalType: "ServicePrincipal"}}
	edge := "/tenants/tenant-a/serviceprincipals/sp1 ESCALATES_TO " + trg + "/providers/microsoft.authorization/administrator " + TechRoleAssignmentWrite
	if _, ok := edgesOf(t, inv)[edge]; !ok {
		t.Fatal("escalation missing before the deny assignment")
	}
	inv.DenyAssignments = []inventory.DenyAssignment{{ID: "d", Scope: "/subscriptions/" + tsub, Principals: []string{inventory.EveryonePrincipal},
		Permissions: []inventory.Permission{{Actions: []string{"Microsoft.Authorization/*/write"}}}}}
	if _, ok := edgesOf(t, inv)[edge]; ok {
		t.Fatal("escalation drawn through a deny assignment")
	}
}

func TestLoadBalancerForwardsToScaleSetInstancesTheNSGAdmits(t *testing.T) {
	lb, pip, ss := rid("microsoft.network/loadbalancers", "lb"), rid("microsoft.network/publicipaddresses", "lbpip"), rid("microsoft.compute/virtualmachinescalesets", "web")
	nsg := rid("microsoft.network/networksecuritygroups", "web-nsg")
	inv := func(port string) *inventory.Inventory {
		return tenantOf(t,
			map[string]any{"id": pip, "type": "Microsoft.Network/publicIPAddresses", "properties": map[string]any{}},
			map[string]any{"id": nsg, "type": "Microsoft.Network/networkSecurityGroups", "properties": map[string]any{"securityRules": []any{nsgRule("web", 100, "Allow", "Internet", port)}}},
			map[string]any{"id": ss, "type": "Microsoft.Compute/virtualMachineScaleSets", "properties": map[string]any{"virtualMachineProfile": map[string]any{"networkProfile": map[string]any{
				"networkInterfaceConfigurations": []any{map[string]any{"name": "nic", "properties": map[string]any{"networkSecurityGroup": map[string]any{"id": nsg},
					"ipConfigurations": []any{map[string]any{"name": "ipc", "properties": map[string]any{}}}}}}}}}},
			map[string]any{"id": lb, "type": "Microsoft.Network/loadBalancers", "properties": map[string]any{
				"frontendIPConfigurations": []any{map[string]any{"id": lb + "/frontendipconfigurations/fe", "properties": map[string]any{"publicIPAddress": map[string]any{"id": pip}}}},
				"backendAddressPools": []any{map[string]any{"id": lb + "/backendaddresspools/be", "properties": map[string]any{"backendIPConfigurations": []any{
					map[string]any{"id": ss + "/virtualMachines/0/networkInterfaces/nic/ipConfigurations/ipc"}}}}},
				"loadBalancingRules": []any{map[string]any{"name": "https", "properties": map[string]any{"frontendIPConfiguration": map[string]any{"id": lb + "/frontendipconfigurations/fe"},
					"backendAddressPool": map[string]any{"id": lb + "/backendaddresspools/be"}, "protocol": "Tcp", "frontendPort": 443, "backendPort": 8443}}}}},
		)
	}
	fwd := lb + " REACHES " + ss + " " + TechLBForward
	if _, ok := edgesOf(t, inv("8443"))[fwd]; !ok {
		t.Fatal("forward to the scale set missing")
	}
	if _, ok := edgesOf(t, inv("22"))[fwd]; ok {
		t.Fatal("forward drawn although the NSG does not admit the backend port")
	}
	if _, ok := edgesOf(t, inv("8443"))[graph.InternetID+" EXPOSED_TO "+lb+" "+TechLBInternetFacing]; !ok {
		t.Fatal("load balancer not internet-facing")
	}
}

func anyProto(r map[string]any) map[string]any {
	r["properties"].(map[string]any)["protocol"] = "*"
	return r
}

func TestLateralMovementInsideAVirtualNetwork(t *testing.T) {
	vnet := rid("microsoft.network/virtualnetworks", "vnet")
	subnet := vnet + "/subnets/app"
	mk := func(name string, nsgRules []any, identity bool) []map[string]any {
		nic, vm, nsg := rid("microsoft.network/networkinterfaces", name+"-nic"), rid("microsoft.compute/virtualmachines", name), rid("microsoft.network/networksecuritygroups", name+"-nsg")
		v := map[string]any{"id": vm, "type": "Microsoft.Compute/virtualMachines", "properties": map[string]any{"networkProfile": map[string]any{"networkInterfaces": []any{map[string]any{"id": nic}}}}}
		if identity {
			v["identity"] = map[string]any{"type": "SystemAssigned", "principalId": name + "-principal"}
		}
		return []map[string]any{v,
			{"id": nsg, "type": "Microsoft.Network/networkSecurityGroups", "properties": map[string]any{"securityRules": nsgRules}},
			{"id": nic, "type": "Microsoft.Network/networkInterfaces", "properties": map[string]any{"networkSecurityGroup": map[string]any{"id": nsg},
				"ipConfigurations": []any{map[string]any{"id": nic + "/ipconfigurations/ip", "properties": map[string]any{"subnet": map[string]any{"id": subnet}}}}}},
		}
	}
	net := map[string]any{"id": vnet, "type": "Microsoft.Network/virtualNetworks", "properties": map[string]any{"addressSpace": map[string]any{"addressPrefixes": []any{"10.0.0.0/16"}},
		"subnets": []any{map[string]any{"id": subnet, "name": "app", "properties": map[string]any{"addressPrefix": "10.0.1.0/24"}}}}}
	web, db := rid("microsoft.compute/virtualmachines", "web"), rid("microsoft.compute/virtualmachines", "db")
	cases := []struct {
		name    string
		dbRules []any
		reach   bool
	}{
		{"the default AllowVnetInBound admits the neighbour", nil, true},
		{"a deny of the VNet's range above it blocks", []any{anyProto(nsgRule("deny-vnet", 100, "Deny", "10.0.0.0/16", "*"))}, false},
		{"a TCP-only deny leaves UDP open", []any{nsgRule("deny-vnet-tcp", 100, "Deny", "10.0.0.0/16", "*")}, true},
		{"a rule for another range does not", []any{nsgRule("deny-other", 100, "Deny", "192.168.0.0/16", "*")}, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			res := append([]map[string]any{net}, mk("web", []any{nsgRule("ssh", 100, "Allow", "*", "22")}, false)...)
			res = append(res, mk("db", c.dbRules, true)...)
			es := edgesOf(t, tenantOf(t, res...))
			if _, ok := es[web+" REACHES "+vnet+" "+TechVNetMember]; !ok {
				t.Fatal("web VM does not reach its network")
			}
			if _, got := es[vnet+" REACHES "+db+" "+TechVNetLateral]; got != c.reach {
				t.Fatalf("network reaches db = %v, want %v", got, c.reach)
			}
		})
	}
}

func TestSecretLikeNames(t *testing.T) {
	for name, want := range map[string]bool{
		"JWT_SECRET": true, "CON_STR": true, "AZ_DB_PRIMARYKEY": true, "AzureWebJobsStorage": true, "DB_PASSWORD": true,
		"clientSecret": true, "FUNCTIONS_WORKER_RUNTIME": false, "CONTAINER_NAME": false, "APPINSIGHTS_INSTRUMENTATIONKEY": false,
		"AZ_DB_ENDPOINT": false,
	} {
		if got := SecretLikeName(name); got != want {
			t.Errorf("SecretLikeName(%q) = %v, want %v", name, got, want)
		}
	}
}
