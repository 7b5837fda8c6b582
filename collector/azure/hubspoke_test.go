package azure

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/breachpath/breachpath/collector/azure/fetch/fetchtest"
	"github.com/breachpath/breachpath/collector/azure/transform"
	"github.com/breachpath/breachpath/graph"
	"github.com/breachpath/breachpath/paths"
)

// The hub-and-spoke lab (testdata/hubspoke/README.md).
const (
	hsSub    = "3c1f9a7e-2b4d-4c6e-8f0a-1b2c3d4e5f60"
	hsTenant = "6b7c8d9e-0f1a-4b2c-9d3e-4f5a6b7c8d9e"
	hsRG     = "/subscriptions/" + hsSub + "/resourcegroups/hubspoke/providers"
	hsHub    = hsRG + "/microsoft.network/virtualnetworks/vnet-hub"
	hsSpoke  = hsRG + "/microsoft.network/virtualnetworks/vnet-spoke"
	hsJump   = hsRG + "/microsoft.compute/virtualmachines/vm-jump"
	hsApp    = hsRG + "/microsoft.compute/virtualmachines/vm-app"
	hsKV     = hsRG + "/microsoft.keyvault/vaults/kv-hubspoke"
	hsData   = hsRG + "/microsoft.storage/storageaccounts/sthubspokedata"
	hsPubAcc = hsRG + "/microsoft.storage/storageaccounts/sthubspokepub"
	hsPub    = hsPubAcc + "/blobservices/default/containers/public"
)

// hsRows are the lab's Resource Graph rows, to change one thing in.
type hsRows []map[string]any

// row returns the row whose id ends with "/"+name (any case).
func (rs hsRows) row(t *testing.T, name string) map[string]any {
	t.Helper()
	for _, r := range rs {
		if strings.HasSuffix(strings.ToLower(r["id"].(string)), "/"+strings.ToLower(name)) {
			return r
		}
	}
	t.Fatalf("lab row %s not found", name)
	return nil
}

// props returns a row's properties.
func props(r map[string]any) map[string]any { return r["properties"].(map[string]any) }

// drop removes the row whose id ends with "/"+name.
func (rs hsRows) drop(t *testing.T, name string) hsRows {
	t.Helper()
	target := rs.row(t, name)
	var out hsRows
	for _, r := range rs {
		if r["id"] != target["id"] {
			out = append(out, r)
		}
	}
	return out
}

// subnetProps returns the properties of a subnet inside its VNet row.
func (rs hsRows) subnetProps(t *testing.T, vnet, subnet string) map[string]any {
	t.Helper()
	return rs.childProps(t, vnet, "subnets", subnet)
}

// childProps returns the properties of the element named name of a row's
// embedded list (a VNet's subnets or peerings).
func (rs hsRows) childProps(t *testing.T, row, list, name string) map[string]any {
	t.Helper()
	for _, s := range props(rs.row(t, row))[list].([]any) {
		if sm := s.(map[string]any); sm["name"] == name {
			return sm["properties"].(map[string]any)
		}
	}
	t.Fatalf("%s %s/%s not found", list, row, name)
	return nil
}

// hubSpokeGraphs builds the lab after change, once through the offline
// import of its Resource Graph export and once through the live collector
// against the SDK fakes serving the same rows.
func hubSpokeGraphs(t *testing.T, change func(*testing.T, hsRows) hsRows) map[string]*graph.Graph {
	t.Helper()
	return labGraphs(t, "hubspoke", hsTenant, change)
}

// labGraphs builds a lab of testdata (resources.json, role-assignments.json)
// after change, through the import and through the live collector.
func labGraphs(t *testing.T, lab, tenant string, change func(*testing.T, hsRows) hsRows) map[string]*graph.Graph {
	t.Helper()
	dir := filepath.Join("testdata", lab)
	raw, err := os.ReadFile(filepath.Join(dir, "resources.json"))
	if err != nil {
		t.Fatal(err)
	}
	var exp struct {
		Count int    `json:"count"`
		Data  hsRows `json:"data"`
	}
	if err := json.Unmarshal(raw, &exp); err != nil {
		t.Fatal(err)
	}
	if change != nil {
		exp.Data = change(t, exp.Data)
	}
	exp.Count = len(exp.Data)
	out, err := json.Marshal(exp)
	if err != nil {
		t.Fatal(err)
	}
	res := filepath.Join(t.TempDir(), "resources.json")
	if err := os.WriteFile(res, out, 0o600); err != nil {
		t.Fatal(err)
	}
	ras := filepath.Join(dir, "role-assignments.json")
	imported, sum := importGraph(t, []string{res, ras})
	if len(sum.Warnings) > 0 {
		t.Fatalf("import warnings: %v", sum.Warnings)
	}
	ten, err := fetchtest.FromExport(tenant, res, ras)
	if err != nil {
		t.Fatal(err)
	}
	ten.Graph["/beta/reports/servicePrincipalSignInActivities"] = []map[string]any{} // read, empty: no warning
	snaps, lsum := collectFakes(t, ten)
	if lsum.Partial() || len(lsum.Warnings) > 0 {
		t.Fatalf("live collection: partial %v, warnings %v", lsum.Partial(), lsum.Warnings)
	}
	if ten.Seen["network"] == 0 {
		t.Fatal("the network fakes were not called")
	}
	return map[string]*graph.Graph{"import": imported, "live": graph.AssembleSnapshots(snaps)}
}

// anyPath reports whether some path leads from sources to target.
func anyPath(t *testing.T, g *graph.Graph, sources []string, target string) bool {
	t.Helper()
	res, err := paths.Search(context.Background(), g, paths.Options{Sources: sources, Targets: []string{target}, Top: 4})
	if err != nil {
		t.Fatal(err)
	}
	return len(res.Paths) > 0
}

// routeFound is findPath where an absent source or target means no route.
func routeFound(t *testing.T, g *graph.Graph, sources []string, target string, want []hop) bool {
	t.Helper()
	for _, id := range append([]string{target}, sources...) {
		if g.Node(id) == nil {
			return false
		}
	}
	return findPath(t, g, sources, target, want)
}

// edgeOf returns the edge from -> to of a technique, or nil.
func edgeOf(g *graph.Graph, from, to, tech string) *graph.Edge {
	for i := range g.Edges {
		if e := &g.Edges[i]; e.From == from && e.To == to && e.Technique == tech {
			return e
		}
	}
	return nil
}

// hasFinding reports whether a rule fired on a resource.
func hasFinding(g *graph.Graph, rule, resource string) bool {
	for _, f := range g.Findings {
		if f.RuleID == rule && f.Resource == resource {
			return true
		}
	}
	return false
}

var (
	routeToVaultOverPE = []hop{
		{graph.EdgeExposedTo, transform.TechInternetExposed, hsJump},
		{graph.EdgeReaches, transform.TechVNetMember, hsHub},
		{graph.EdgeReaches, transform.TechPrivateEndpoint, hsKV}}
	routeToDataOverServiceEndpoint = []hop{{graph.EdgeReaches, transform.TechServiceEndpoint, hsData}}
	routeAnonymousContainer        = []hop{{graph.EdgeReads, transform.TechAnonymousBlob, hsPub}}
)

func TestHubSpokePrivateEndpointsDecidePrivateReach(t *testing.T) {
	type route struct {
		sources []string
		target  string
		hops    []hop
		want    bool
	}
	cases := []struct {
		name   string
		change func(t *testing.T, rs hsRows) hsRows
		routes []route
		// noPath lists (source, target) pairs no path may join.
		noPath [][2]string
	}{
		{name: "the lab as built: the peered hub reaches the vault only through its private endpoint",
			routes: []route{
				{[]string{graph.InternetID}, hsKV, routeToVaultOverPE, true},
				{[]string{hsApp}, hsData, routeToDataOverServiceEndpoint, true},
				{[]string{transform.AnonymousID}, hsPub, routeAnonymousContainer, false},
			}},
		{name: "private endpoint removed: no route from the peered network",
			change: func(t *testing.T, rs hsRows) hsRows { return rs.drop(t, "pe-kv") },
			routes: []route{{[]string{graph.InternetID}, hsKV, routeToVaultOverPE, false}},
			noPath: [][2]string{{hsHub, hsKV}, {hsSpoke, hsKV}, {graph.InternetID, hsKV}}},
		{name: "connection pending approval carries no traffic",
			change: func(t *testing.T, rs hsRows) hsRows {
				c := props(rs.row(t, "pe-kv"))["privateLinkServiceConnections"].([]any)[0].(map[string]any)
				c["properties"].(map[string]any)["privateLinkServiceConnectionState"] = map[string]any{"status": "Pending"}
				return rs
			},
			noPath: [][2]string{{hsSpoke, hsKV}}},
		{name: "endpoint subnet NSG admits no 443 while network policies are enabled",
			change: func(t *testing.T, rs hsRows) hsRows {
				r := props(rs.row(t, "nsg-pe"))["securityRules"].([]any)[0].(map[string]any)
				r["properties"].(map[string]any)["destinationPortRange"] = "8443"
				return rs
			},
			noPath: [][2]string{{hsSpoke, hsKV}}},
		{name: "the same NSG does not filter the endpoint when network policies are disabled",
			change: func(t *testing.T, rs hsRows) hsRows {
				r := props(rs.row(t, "nsg-pe"))["securityRules"].([]any)[0].(map[string]any)
				r["properties"].(map[string]any)["destinationPortRange"] = "8443"
				rs.subnetProps(t, "vnet-spoke", "snet-pe")["privateEndpointNetworkPolicies"] = "Disabled"
				return rs
			},
			routes: []route{{[]string{graph.InternetID}, hsKV, routeToVaultOverPE, true}}},
		{name: "public network access enabled: the anonymous Internet route to the public container appears",
			change: func(t *testing.T, rs hsRows) hsRows {
				props(rs.row(t, "sthubspokepub"))["publicNetworkAccess"] = "Enabled"
				return rs
			},
			routes: []route{{[]string{transform.AnonymousID}, hsPub, routeAnonymousContainer, true}}},
		{name: "subnet without the storage service endpoint: the virtual network rule admits nothing",
			change: func(t *testing.T, rs hsRows) hsRows {
				rs.subnetProps(t, "vnet-spoke", "snet-app")["serviceEndpoints"] = []any{}
				return rs
			},
			// (vm-app still reaches the account the long way: through the hub's
			// firewall to vm-web, whose identity may read it, conditionally.)
			routes: []route{{[]string{hsApp}, hsData, routeToDataOverServiceEndpoint, false}}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			for src, g := range hubSpokeGraphs(t, c.change) {
				for _, r := range c.routes {
					if got := routeFound(t, g, r.sources, r.target, r.hops); got != r.want {
						t.Errorf("%s: route %v -> %s found %v, want %v", src, r.sources, short(r.target), got, r.want)
					}
				}
				for _, p := range c.noPath {
					if g.Node(p[0]) != nil && anyPath(t, g, []string{p[0]}, p[1]) {
						t.Errorf("%s: a path joins %s to %s", src, short(p[0]), short(p[1]))
					}
				}
			}
		})
	}
}

func TestHubSpokePrivateEndpointEvidenceAndFindings(t *testing.T) {
	for src, g := range hubSpokeGraphs(t, nil) {
		e := edgeOf(g, hsSpoke, hsKV, transform.TechPrivateEndpoint)
		if e == nil {
			t.Fatalf("%s: no private endpoint edge", src)
		}
		ev := strings.Join(e.Evidence, "; ")
		for _, want := range []string{"private endpoint pe-kv", "snet-pe", "vault", "Approved", "NSG nsg-pe admits tcp/443"} {
			if !strings.Contains(ev, want) {
				t.Errorf("%s: evidence %q lacks %q", src, ev, want)
			}
		}
		if ports, _ := e.Props["ports"].([]string); strings.Join(ports, ",") != "tcp/443" {
			t.Errorf("%s: ports %v", src, e.Props["ports"])
		}
		if hasFinding(g, "azure.keyvault.public-network", hsKV) || hasFinding(g, "azure.storage.network-default-allow", hsData) ||
			hasFinding(g, "azure.storage.network-default-allow", hsPubAcc) {
			t.Errorf("%s: a public-network finding on a resource whose public endpoint is closed", src)
		}
		if n := g.Node(hsKV); n == nil || n.Props["internet_reachable"] != false {
			t.Errorf("%s: vault not marked unreachable from the Internet: %+v", src, n)
		}
	}
}

func short(id string) string { return id[strings.LastIndexByte(id, '/')+1:] }

const (
	hsFW     = hsRG + "/microsoft.network/azurefirewalls/afw-hub"
	hsAppNet = hsRG + "/microsoft.network/virtualnetworks/vnet-spoke/subnets/snet-app"
)

var (
	routeDNAT   = []hop{{graph.EdgeExposedTo, transform.TechFirewallDNAT, hsFW}, {graph.EdgeReaches, transform.TechFirewallForward, hsApp}}
	routeDirect = []hop{{graph.EdgeExposedTo, transform.TechInternetExposed, hsApp}}
)

// defaultRoute returns the properties of rt-spoke's 0.0.0.0/0 route.
func defaultRoute(t *testing.T, rs hsRows) map[string]any {
	t.Helper()
	return routeOfTable(t, rs, "rt-spoke")
}

func TestHubSpokeRoutesAndAzureFirewallDecideInternetReach(t *testing.T) {
	cases := []struct {
		name        string
		change      func(t *testing.T, rs hsRows) hsRows
		dnat        bool
		direct      bool
		conditional bool   // the direct edge is conditional
		egress      string // a fragment of snet-app's internet_egress
	}{
		{name: "the lab as built: 0.0.0.0/0 through the firewall, only the DNAT rule publishes the app",
			dnat: true, egress: "through Azure Firewall afw-hub: allowed by classic rules spoke-egress/spoke-https-out"},
		{name: "route table removed: the app's own public IP answers the Internet",
			change: func(t *testing.T, rs hsRows) hsRows { return rs.drop(t, "rt-spoke") },
			dnat:   true, direct: true},
		{name: "next hop Internet: the same as no route",
			change: func(t *testing.T, rs hsRows) hsRows {
				r := defaultRoute(t, rs)
				r["nextHopType"], r["nextHopIpAddress"] = "Internet", ""
				return rs
			},
			dnat: true, direct: true, egress: "direct"},
		{name: "next hop None blackholes the replies and the egress",
			change: func(t *testing.T, rs hsRows) hsRows {
				r := defaultRoute(t, rs)
				r["nextHopType"], r["nextHopIpAddress"] = "None", ""
				return rs
			},
			dnat: true, egress: "dropped"},
		{name: "an appliance that is not inventoried keeps the edge, conditional on it",
			change: func(t *testing.T, rs hsRows) hsRows {
				defaultRoute(t, rs)["nextHopIpAddress"] = "10.0.3.10"
				return rs
			},
			dnat: true, direct: true, conditional: true, egress: "network virtual appliance 10.0.3.10"},
		{name: "DNAT rule removed: the firewall publishes nothing",
			change: func(t *testing.T, rs hsRows) hsRows {
				props(rs.row(t, "afw-hub"))["natRuleCollections"] = []any{}
				return rs
			}},
		{name: "egress rule removed: the firewall denies the app's Internet traffic",
			change: func(t *testing.T, rs hsRows) hsRows {
				props(rs.row(t, "afw-hub"))["networkRuleCollections"] = []any{}
				return rs
			},
			dnat: true, egress: "no rule allows it"},
		{name: "the same rules in a firewall policy's rule collection group",
			change: func(t *testing.T, rs hsRows) hsRows {
				fw := rs.row(t, "afw-hub")
				p := props(fw)
				p["natRuleCollections"], p["networkRuleCollections"] = []any{}, []any{}
				polID := hsRG + "/microsoft.network/firewallpolicies/afwp-hub"
				p["firewallPolicy"] = map[string]any{"id": polID}
				base := map[string]any{"location": "westeurope", "resourceGroup": "hubspoke", "subscriptionId": hsSub, "tenantId": hsTenant}
				pol := map[string]any{"id": polID, "name": "afwp-hub", "type": "Microsoft.Network/firewallPolicies",
					"properties": map[string]any{"ruleCollectionGroups": []any{map[string]any{"id": polID + "/ruleCollectionGroups/default"}}}}
				rcg := map[string]any{"id": polID + "/ruleCollectionGroups/default", "name": "default", "type": "Microsoft.Network/firewallPolicies/ruleCollectionGroups",
					"properties": map[string]any{"priority": 100, "ruleCollections": []any{
						map[string]any{"ruleCollectionType": "FirewallPolicyNatRuleCollection", "name": "inbound-app", "priority": 100, "action": map[string]any{"type": "DNAT"},
							"rules": []any{map[string]any{"ruleType": "NatRule", "name": "https-to-app", "ipProtocols": []any{"TCP"}, "sourceAddresses": []any{"*"},
								"destinationAddresses": []any{"51.105.10.40"}, "destinationPorts": []any{"8443"}, "translatedAddress": "10.1.1.4", "translatedPort": "443"}}},
						map[string]any{"ruleCollectionType": "FirewallPolicyFilterRuleCollection", "name": "spoke-egress", "priority": 200, "action": map[string]any{"type": "Allow"},
							"rules": []any{map[string]any{"ruleType": "NetworkRule", "name": "spoke-https-out", "ipProtocols": []any{"TCP"}, "sourceAddresses": []any{"10.1.1.0/24"},
								"destinationAddresses": []any{"*"}, "destinationPorts": []any{"443"}}}}}}}
				for k, v := range base {
					pol[k], rcg[k] = v, v
				}
				return append(rs, pol, rcg)
			},
			dnat: true, egress: "through Azure Firewall afw-hub: allowed by policy afwp-hub default/spoke-egress/spoke-https-out"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			for src, g := range hubSpokeGraphs(t, c.change) {
				if got := routeFound(t, g, []string{graph.InternetID}, hsApp, routeDNAT); got != c.dnat {
					t.Errorf("%s: DNAT route found %v, want %v", src, got, c.dnat)
				}
				if got := routeFound(t, g, []string{graph.InternetID}, hsApp, routeDirect); got != c.direct {
					t.Errorf("%s: direct route found %v, want %v", src, got, c.direct)
				}
				if e := edgeOf(g, graph.InternetID, hsApp, transform.TechInternetExposed); e != nil && e.Conditional != c.conditional {
					t.Errorf("%s: direct edge conditional %v, want %v (evidence %v)", src, e.Conditional, c.conditional, e.Evidence)
				}
				if !routeFound(t, g, []string{graph.InternetID}, hsJump, []hop{{graph.EdgeExposedTo, transform.TechInternetExposed, hsJump}}) {
					t.Errorf("%s: the jump host's subnet has no route table and lost its exposure", src)
				}
				if c.egress != "" {
					n := g.Node(hsAppNet)
					if got, _ := n.Props["internet_egress"].(string); !strings.Contains(got, c.egress) {
						t.Errorf("%s: internet_egress %q lacks %q", src, got, c.egress)
					}
				}
				if c.dnat != hasFinding(g, "azure.network.firewall-dnat-any-source", hsFW) {
					t.Errorf("%s: DNAT finding present %v, want %v", src, !c.dnat, c.dnat)
				}
			}
		})
	}
}
