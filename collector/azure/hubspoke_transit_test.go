package azure

import (
	"strings"
	"testing"

	"github.com/breachpath/breachpath/collector/azure/transform"
	"github.com/breachpath/breachpath/graph"
)

// The second spoke of the hub-and-spoke lab (testdata/hubspoke/README.md):
// vnet-spoke2 is peered with the hub only, never with vnet-spoke.
const (
	hsSpoke2 = hsRG + "/microsoft.network/virtualnetworks/vnet-spoke2"
	hsWebNet = hsSpoke2 + "/subnets/snet-web"
	hsWeb    = hsRG + "/microsoft.compute/virtualmachines/vm-web"
)

// hubPeering returns the properties of a peering of a lab network.
func hubPeering(t *testing.T, rs hsRows, vnet, name string) map[string]any {
	t.Helper()
	return rs.childProps(t, vnet, "virtualNetworkPeerings", name)
}

// unroute takes a subnet's route table away (the table's row too).
func (rs hsRows) unroute(t *testing.T, vnet, subnet, table string) hsRows {
	t.Helper()
	delete(rs.subnetProps(t, vnet, subnet), "routeTable")
	return rs.drop(t, table)
}

// routeOfTable returns the properties of a route table's first route.
func routeOfTable(t *testing.T, rs hsRows, table string) map[string]any {
	t.Helper()
	return props(rs.row(t, table))["routes"].([]any)[0].(map[string]any)["properties"].(map[string]any)
}

// spokeToSpoke returns the firewall's classic spoke-to-spoke rule.
func spokeToSpoke(t *testing.T, rs hsRows) map[string]any {
	t.Helper()
	for _, c := range props(rs.row(t, "afw-hub"))["networkRuleCollections"].([]any) {
		if cm := c.(map[string]any); cm["name"] == "spoke-to-spoke" {
			return cm["properties"].(map[string]any)["rules"].([]any)[0].(map[string]any)
		}
	}
	t.Fatal("spoke-to-spoke collection not found")
	return nil
}

var routeWebToApp = []hop{
	{graph.EdgeReaches, transform.TechSubnetMember, hsWebNet},
	{graph.EdgeReaches, transform.TechHubTransit, hsApp}}

func TestHubSpokeTransitNeedsForwardingThroughTheHub(t *testing.T) {
	cases := []struct {
		name   string
		change func(t *testing.T, rs hsRows) hsRows
		// app: the transit edge snet-web -> vm-app exists, with these
		// ports, conditional or not; vault: the one to kv-hubspoke exists.
		app         bool
		ports       string
		conditional bool
		vault       bool
		evidence    []string
	}{
		{name: "the lab as built: the firewall's network rule lets spoke2 reach the app on 443 only",
			app: true, ports: "tcp/443",
			evidence: []string{"route rt-spoke2/default-via-firewall (next hop VirtualAppliance 10.0.1.4)", "over peering spoke2-to-hub", "peering hub-to-spoke allows forwarded traffic",
				"Azure Firewall afw-hub allows tcp/443 by classic rules spoke-to-spoke/web-to-app-https", "returns 10.2.1.0/24 by route rt-spoke/default-via-firewall"}},
		{name: "no route table in spoke2: the two peerings alone carry nothing",
			change: func(t *testing.T, rs hsRows) hsRows { return rs.unroute(t, "vnet-spoke2", "snet-web", "rt-spoke2") }},
		{name: "the hub's peering to the app's spoke refuses forwarded traffic",
			change: func(t *testing.T, rs hsRows) hsRows {
				hubPeering(t, rs, "vnet-hub", "hub-to-spoke")["allowForwardedTraffic"] = false
				return rs
			}},
		{name: "the app's subnet returns replies around the firewall: no connection",
			change: func(t *testing.T, rs hsRows) hsRows { return rs.unroute(t, "vnet-spoke", "snet-app", "rt-spoke") }},
		{name: "no firewall rule allows spoke2 to the app",
			change: func(t *testing.T, rs hsRows) hsRows {
				spokeToSpoke(t, rs)["sourceAddresses"] = []any{"10.3.0.0/16"}
				return rs
			}},
		{name: "the rule allows SSH instead: the edge carries 22",
			change: func(t *testing.T, rs hsRows) hsRows {
				spokeToSpoke(t, rs)["destinationPorts"] = []any{"22"}
				return rs
			},
			app: true, ports: "tcp/22"},
		{name: "a deny collection evaluated first wins",
			change: func(t *testing.T, rs hsRows) hsRows {
				p := props(rs.row(t, "afw-hub"))
				p["networkRuleCollections"] = append([]any{map[string]any{"name": "deny-spokes", "properties": map[string]any{"priority": 100,
					"action": map[string]any{"type": "Deny"}, "rules": []any{map[string]any{"name": "deny-all", "protocols": []any{"Any"},
						"sourceAddresses": []any{"10.2.0.0/16"}, "destinationAddresses": []any{"10.1.1.0/24"}, "destinationPorts": []any{"*"}}}}}},
					p["networkRuleCollections"].([]any)...)
				return rs
			}},
		{name: "the rule names its sources by an IP group, which is not read: conditional",
			change: func(t *testing.T, rs hsRows) hsRows {
				r := spokeToSpoke(t, rs)
				r["sourceAddresses"], r["sourceIpGroups"] = []any{}, []any{hsRG + "/microsoft.network/ipgroups/ipg-spoke2"}
				return rs
			},
			app: true, ports: "tcp/443", conditional: true, evidence: []string{"may allow tcp/443 by classic rules spoke-to-spoke/web-to-app-https, which name IP groups"}},
		{name: "an appliance that is not inventoried forwards both ways: conditional",
			change: func(t *testing.T, rs hsRows) hsRows {
				routeOfTable(t, rs, "rt-spoke2")["nextHopIpAddress"] = "10.0.3.10"
				routeOfTable(t, rs, "rt-spoke")["nextHopIpAddress"] = "10.0.3.10"
				return rs
			},
			app: true, ports: "tcp/*,udp/*", conditional: true, evidence: []string{"network virtual appliance 10.0.3.10 is not inventoried"}},
		{name: "the private endpoint subnet routes replies through the firewall: spoke2 reaches the vault too",
			change: func(t *testing.T, rs hsRows) hsRows {
				rs.subnetProps(t, "vnet-spoke", "snet-pe")["routeTable"] = map[string]any{"id": hsRG + "/microsoft.network/routetables/rt-spoke"}
				return rs
			},
			app: true, ports: "tcp/443", vault: true},
		{name: "the same, with the endpoint's network policies off: replies bypass the firewall",
			change: func(t *testing.T, rs hsRows) hsRows {
				sp := rs.subnetProps(t, "vnet-spoke", "snet-pe")
				sp["routeTable"] = map[string]any{"id": hsRG + "/microsoft.network/routetables/rt-spoke"}
				sp["privateEndpointNetworkPolicies"] = "Disabled"
				return rs
			},
			app: true, ports: "tcp/443"},
		{name: "gateway transit: both spokes use the hub's gateway, conditional on it",
			change: func(t *testing.T, rs hsRows) hsRows {
				for _, tbl := range []string{"rt-spoke", "rt-spoke2"} {
					r := routeOfTable(t, rs, tbl)
					r["nextHopType"], r["nextHopIpAddress"] = "VirtualNetworkGateway", ""
				}
				for _, p := range [][2]string{{"vnet-spoke", "spoke-to-hub"}, {"vnet-spoke2", "spoke2-to-hub"}} {
					hubPeering(t, rs, p[0], p[1])["useRemoteGateways"] = true
				}
				for _, p := range []string{"hub-to-spoke", "hub-to-spoke2"} {
					hubPeering(t, rs, "vnet-hub", p)["allowGatewayTransit"] = true
				}
				return rs
			},
			app: true, ports: "tcp/*,udp/*", conditional: true, evidence: []string{"useRemoteGateways", "gateway's forwarding between spokes is not read"}},
		{name: "gateway routes without gateway transit on the peerings carry nothing",
			change: func(t *testing.T, rs hsRows) hsRows {
				for _, tbl := range []string{"rt-spoke", "rt-spoke2"} {
					r := routeOfTable(t, rs, tbl)
					r["nextHopType"], r["nextHopIpAddress"] = "VirtualNetworkGateway", ""
				}
				return rs
			}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			for src, g := range hubSpokeGraphs(t, c.change) {
				e := edgeOf(g, hsWebNet, hsApp, transform.TechHubTransit)
				if (e != nil) != c.app {
					t.Fatalf("%s: transit edge to the app present %v, want %v", src, e != nil, c.app)
				}
				if got := routeFound(t, g, []string{hsWeb}, hsApp, routeWebToApp); got != c.app {
					t.Errorf("%s: route vm-web -> vm-app through the hub found %v, want %v", src, got, c.app)
				}
				if e != nil {
					if ports, _ := e.Props["ports"].([]string); strings.Join(ports, ",") != c.ports {
						t.Errorf("%s: ports %v, want %s", src, ports, c.ports)
					}
					if e.Conditional != c.conditional {
						t.Errorf("%s: conditional %v, want %v (evidence %v)", src, e.Conditional, c.conditional, e.Evidence)
					}
					ev := strings.Join(e.Evidence, "; ")
					for _, want := range c.evidence {
						if !strings.Contains(ev, want) {
							t.Errorf("%s: evidence %q lacks %q", src, ev, want)
						}
					}
				}
				if got := edgeOf(g, hsWebNet, hsKV, transform.TechHubTransit) != nil; got != c.vault {
					t.Errorf("%s: transit edge to the vault present %v, want %v", src, got, c.vault)
				}
				// Peering is never transitive: nothing of spoke2 reaches the
				// other spoke's members but through a transit edge, and no
				// network reaches another network as a whole.
				for i := range g.Edges {
					x := &g.Edges[i]
					if x.Kind != graph.EdgeReaches || x.Technique == transform.TechHubTransit || x.Technique == transform.TechSubnetMember {
						continue
					}
					fromSpoke2 := x.From == hsSpoke2 || x.From == hsWeb || x.From == hsWebNet
					if fromSpoke2 && (x.To == hsApp || x.To == hsKV || x.To == hsSpoke) {
						t.Errorf("%s: %s reaches %s by %s across two peerings", src, short(x.From), short(x.To), x.Technique)
					}
					if fn, tn := g.Node(x.From), g.Node(x.To); fn != nil && tn != nil && fn.Kind == graph.KindNetwork && tn.Kind == graph.KindNetwork {
						t.Errorf("%s: network %s reaches network %s as a whole (%s)", src, short(x.From), short(x.To), x.Technique)
					}
				}
			}
		})
	}
}

func TestPeeringWithoutVirtualNetworkAccessCarriesNothingFromThatSide(t *testing.T) {
	for src, g := range hubSpokeGraphs(t, func(t *testing.T, rs hsRows) hsRows {
		hubPeering(t, rs, "vnet-hub", "hub-to-spoke")["allowVirtualNetworkAccess"] = false
		return rs
	}) {
		if edgeOf(g, hsHub, hsKV, transform.TechPrivateEndpoint) != nil || edgeOf(g, hsHub, hsApp, transform.TechVNetPeering) != nil {
			t.Errorf("%s: the hub reaches the spoke although its peering denies virtual network access", src)
		}
		if edgeOf(g, hsSpoke, hsJump, transform.TechVNetPeering) == nil {
			t.Errorf("%s: the spoke's own side still allows access to the hub", src)
		}
	}
}

func TestPeeredNetworksReachEachOthersMembersDirectly(t *testing.T) {
	for src, g := range hubSpokeGraphs(t, nil) {
		// The hub's jump host is a member of a network the app's spoke is
		// peered with: the spoke reaches it straight, on what nsg-jump admits
		// from the spoke's address space (the VirtualNetwork tag).
		if e := edgeOf(g, hsSpoke, hsJump, transform.TechVNetPeering); e == nil || !strings.Contains(strings.Join(e.Evidence, "; "), "peering hub-to-spoke (Connected)") {
			t.Errorf("%s: spoke -> jump host peering edge %+v", src, e)
		}
		if e := edgeOf(g, hsSpoke2, hsJump, transform.TechVNetPeering); e == nil {
			t.Errorf("%s: spoke2 does not reach the hub's jump host", src)
		}
		if e := edgeOf(g, hsHub, hsKV, transform.TechPrivateEndpoint); e == nil || !strings.Contains(strings.Join(e.Evidence, "; "), "private endpoint pe-kv") {
			t.Errorf("%s: hub -> vault over the peered private endpoint %+v", src, e)
		}
		if edgeOf(g, hsSpoke2, hsKV, transform.TechPrivateEndpoint) != nil {
			t.Errorf("%s: spoke2 reaches the vault's private endpoint across two peerings", src)
		}
	}
}
