package transform

import (
	"slices"
	"testing"

	"github.com/breachpath/breachpath/collector/gcp/inventory"
	"github.com/breachpath/breachpath/graph"
)

const (
	tNet   = "https://www.googleapis.com/compute/v1/projects/p/global/networks/vpc"
	tPeer  = "https://www.googleapis.com/compute/v1/projects/p/global/networks/peer"
	tZone  = "//compute.googleapis.com/projects/p/zones/z/instances/"
	tRules = "//compute.googleapis.com/projects/p/global/firewalls/"
)

func (f *fixture) vm(t *testing.T, name, network, ip, sa string, tags ...string) string {
	t.Helper()
	d := map[string]any{"name": name, "tags": map[string]any{"items": tags},
		"networkInterfaces": []map[string]any{{"network": network, "networkIP": ip}}}
	if sa != "" {
		d["serviceAccounts"] = []map[string]any{{"email": sa, "scopes": []string{"https://www.googleapis.com/auth/cloud-platform"}}}
	}
	f.res(t, tZone+name, inventory.TypeInstance, tAnc, d)
	return tZone + name
}

func (f *fixture) rule(t *testing.T, name string, d map[string]any) string {
	t.Helper()
	d["name"] = name
	if d["network"] == nil {
		d["network"] = tNet
	}
	f.res(t, tRules+name, inventory.TypeFirewall, tAnc, d)
	return tRules + name
}

func tcp(ports ...string) []map[string]any {
	return []map[string]any{{"IPProtocol": "tcp", "ports": ports}}
}

func TestLateralReachFollowsFirewallSourcesAndTargets(t *testing.T) {
	tests := []struct {
		name    string
		rules   map[string]map[string]any
		peered  bool
		want    bool // app reaches db through the rule
		wantPts []string
	}{
		{"source range covering the sender", map[string]map[string]any{"r": {"sourceRanges": []string{"10.0.0.0/24"}, "targetTags": []string{"db"}, "allowed": tcp("5432")}},
			false, true, []string{"tcp/5432"}},
		{"source tag of the sender", map[string]map[string]any{"r": {"sourceTags": []string{"app"}, "targetTags": []string{"db"}, "allowed": tcp("5432")}},
			false, true, []string{"tcp/5432"}},
		{"source service account of the sender", map[string]map[string]any{"r": {"sourceServiceAccounts": []string{"app@p.iam.gserviceaccount.com"},
			"targetServiceAccounts": []string{"db@p.iam.gserviceaccount.com"}, "allowed": tcp("5432", "6000-6010")}}, false, true, []string{"tcp/5432", "tcp/6000-6010"}},
		{"range that excludes the sender", map[string]map[string]any{"r": {"sourceRanges": []string{"10.9.0.0/24"}, "targetTags": []string{"db"}, "allowed": tcp("5432")}},
			false, false, nil},
		{"target tag the receiver lacks", map[string]map[string]any{"r": {"sourceRanges": []string{"10.0.0.0/8"}, "targetTags": []string{"web"}, "allowed": tcp("5432")}},
			false, false, nil},
		{"disabled rule", map[string]map[string]any{"r": {"sourceRanges": []string{"10.0.0.0/8"}, "disabled": true, "allowed": tcp("5432")}},
			false, false, nil},
		{"higher-priority deny from everywhere", map[string]map[string]any{
			"r":    {"sourceRanges": []string{"10.0.0.0/8"}, "priority": 1000, "allowed": tcp("5432")},
			"deny": {"sourceRanges": []string{"0.0.0.0/0"}, "priority": 900, "denied": []map[string]any{{"IPProtocol": "all"}}}},
			false, false, nil},
		{"lower-priority deny does not block", map[string]map[string]any{
			"r":    {"sourceRanges": []string{"10.0.0.0/8"}, "priority": 1000, "allowed": tcp("5432")},
			"deny": {"sourceRanges": []string{"0.0.0.0/0"}, "priority": 2000, "denied": []map[string]any{{"IPProtocol": "all"}}}},
			false, true, []string{"tcp/5432"}},
		{"sender in an ACTIVE peered network, by range", map[string]map[string]any{"r": {"sourceRanges": []string{"10.0.0.0/8"}, "targetTags": []string{"db"}, "allowed": tcp("5432")}},
			true, true, []string{"tcp/5432"}},
		{"source tags do not cross a peering", map[string]map[string]any{"r": {"sourceTags": []string{"app"}, "targetTags": []string{"db"}, "allowed": tcp("5432")}},
			true, false, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t)
			appNet := tNet
			if tc.peered {
				appNet = tPeer
				f.res(t, "//compute.googleapis.com/projects/p/global/networks/vpc", inventory.TypeNetwork, tAnc, map[string]any{"name": "vpc",
					"peerings": []map[string]any{{"name": "to-peer", "network": tPeer, "state": "ACTIVE"}}})
			}
			app := f.vm(t, "app", appNet, "10.0.0.5", "app@p.iam.gserviceaccount.com", "app")
			db := f.vm(t, "db", tNet, "10.0.1.7", "db@p.iam.gserviceaccount.com", "db")
			for name, d := range tc.rules {
				f.rule(t, name, d)
			}
			g := f.build(t)
			in := edgesOf(g, app, tRules+"r")
			out := edgesOf(g, tRules+"r", db)
			got := len(in) == 1 && len(out) == 1 && in[0].Technique == TechFirewallSource && out[0].Technique == TechVPCLateral
			if got != tc.want {
				t.Fatalf("app -> rule %v, rule -> db %v; want reach=%v", in, out, tc.want)
			}
			if got {
				if ports, _ := out[0].Props["ports"].([]string); !slices.Equal(ports, tc.wantPts) {
					t.Errorf("ports %v, want %v", ports, tc.wantPts)
				}
			}
		})
	}
}

// A proxied load balancer reaches an instance-group member only when the
// member's firewall admits the Google Front End ranges on the backend port.
func TestLoadBalancerChainNeedsTheFrontEndRangesAdmitted(t *testing.T) {
	for _, admitted := range []bool{true, false} {
		f := newFixture(t)
		web := f.vm(t, "web", tNet, "10.0.0.5", "", "web")
		src := []string{"130.211.0.0/22", "35.191.0.0/16"}
		if !admitted {
			src = []string{"130.211.0.0/22"}
		}
		f.rule(t, "lb", map[string]any{"sourceRanges": src, "targetTags": []string{"web"}, "allowed": tcp("8080")})
		link := "https://www.googleapis.com/compute/v1/projects/p/"
		g := "//compute.googleapis.com/projects/p/zones/z/instanceGroups/ig"
		f.res(t, g, inventory.TypeInstanceGroup, tAnc, map[string]any{"name": "ig", "namedPorts": []map[string]any{{"name": "web", "port": 8080}}})
		f.res(t, "//compute.googleapis.com/projects/p/global/backendServices/be", inventory.TypeBackendService, tAnc, map[string]any{"name": "be",
			"portName": "web", "protocol": "HTTP", "backends": []map[string]any{{"group": link + "zones/z/instanceGroups/ig"}}})
		f.res(t, "//compute.googleapis.com/projects/p/global/urlMaps/m", inventory.TypeURLMap, tAnc, map[string]any{"name": "m",
			"pathMatchers": []map[string]any{{"defaultService": link + "global/backendServices/be"}}})
		f.res(t, "//compute.googleapis.com/projects/p/global/targetHttpsProxies/px", inventory.TypeTargetHTTPSProxy, tAnc, map[string]any{"name": "px",
			"urlMap": link + "global/urlMaps/m"})
		fr := "//compute.googleapis.com/projects/p/global/forwardingRules/fr"
		f.res(t, fr, inventory.TypeGlobalFwdRule, tAnc, map[string]any{"name": "fr", "IPAddress": "198.51.100.1", "portRange": "443-443",
			"loadBalancingScheme": "EXTERNAL_MANAGED", "target": link + "global/targetHttpsProxies/px"})
		f.inv.GroupMembers = map[string][]string{g: {web}}
		es := edgesOf(f.build(t), fr, web)
		if (len(es) == 1) != admitted {
			t.Fatalf("admitted=%v: edges %+v", admitted, es)
		}
		if admitted {
			if ports, _ := es[0].Props["ports"].([]string); !slices.Equal(ports, []string{"tcp/8080"}) {
				t.Errorf("ports %v, want the named port tcp/8080", ports)
			}
			if es[0].Kind != graph.EdgeReaches {
				t.Errorf("kind %s", es[0].Kind)
			}
		}
	}
}
