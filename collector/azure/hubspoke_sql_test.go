package azure

import (
	"net/http"
	"path/filepath"
	"strings"
	"testing"

	"github.com/breachpath/breachpath/collector/azure/fetch/fetchtest"
	"github.com/breachpath/breachpath/collector/azure/transform"
	"github.com/breachpath/breachpath/graph"
)

// The lab's SQL server (testdata/hubspoke/README.md): a narrow firewall
// rule and a virtual network rule for spoke2's snet-web.
const (
	hsSQL   = hsRG + "/microsoft.sql/servers/sql-hubspoke"
	hsAppDB = hsSQL + "/databases/appdb"
)

// sqlRule returns the properties of one of the server's child rules.
func sqlRule(t *testing.T, rs hsRows, name string) map[string]any {
	t.Helper()
	return props(rs.row(t, name))
}

func TestHubSpokeSQLRulesDecideNetworkReachToTheDatabases(t *testing.T) {
	cases := []struct {
		name     string
		change   func(t *testing.T, rs hsRows) hsRows
		vnet     bool   // vm-web reaches appdb over the service endpoint
		internet string // the technique of Internet -> appdb, "" for none
		finding  string // the SQL finding raised, "" for none
	}{
		{name: "the lab as built: the virtual network rule admits snet-web, the office range is not the Internet", vnet: true},
		{name: "snet-web without the Microsoft.Sql service endpoint: the rule admits nothing",
			change: func(t *testing.T, rs hsRows) hsRows {
				rs.subnetProps(t, "vnet-spoke2", "snet-web")["serviceEndpoints"] = []any{}
				return rs
			}},
		{name: "a virtual network rule still in progress admits nothing",
			change: func(t *testing.T, rs hsRows) hsRows {
				sqlRule(t, rs, "allow-snet-web")["state"] = "InProgress"
				return rs
			}},
		{name: "virtual network rule removed",
			change: func(t *testing.T, rs hsRows) hsRows { return rs.drop(t, "allow-snet-web") }},
		{name: "public network access disabled: firewall and virtual network rules are ignored",
			change: func(t *testing.T, rs hsRows) hsRows {
				props(rs.row(t, "sql-hubspoke"))["publicNetworkAccess"] = "Disabled"
				sqlRule(t, rs, "office")["endIpAddress"] = "255.255.255.255"
				sqlRule(t, rs, "office")["startIpAddress"] = "0.0.0.1"
				return rs
			}},
		{name: "the firewall rule widened to the whole Internet",
			change: func(t *testing.T, rs hsRows) hsRows {
				sqlRule(t, rs, "office")["startIpAddress"], sqlRule(t, rs, "office")["endIpAddress"] = "0.0.0.0", "255.255.255.255"
				return rs
			},
			vnet: true, internet: transform.TechSQLFirewallOpen, finding: "azure.sql.firewall-open-internet"},
		{name: "the firewall rule made 'allow Azure services'",
			change: func(t *testing.T, rs hsRows) hsRows {
				sqlRule(t, rs, "office")["startIpAddress"], sqlRule(t, rs, "office")["endIpAddress"] = "0.0.0.0", "0.0.0.0"
				return rs
			},
			vnet: true, internet: transform.TechSQLAzureAccess, finding: "azure.sql.allow-azure-services"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			for src, g := range hubSpokeGraphs(t, c.change) {
				e := edgeOf(g, hsWeb, hsAppDB, transform.TechServiceEndpoint)
				if (e != nil) != c.vnet {
					t.Errorf("%s: vm-web -> appdb over the service endpoint present %v, want %v", src, e != nil, c.vnet)
				}
				if e != nil {
					ev := strings.Join(e.Evidence, "; ")
					if !strings.Contains(ev, "virtual network rule allow-snet-web of SQL server sql-hubspoke admits subnet snet-web") {
						t.Errorf("%s: evidence %q", src, ev)
					}
					if ports, _ := e.Props["ports"].([]string); strings.Join(ports, ",") != "tcp/1433" {
						t.Errorf("%s: ports %v", src, ports)
					}
				}
				for _, tech := range []string{transform.TechSQLFirewallOpen, transform.TechSQLAzureAccess} {
					if got := edgeOf(g, graph.InternetID, hsAppDB, tech) != nil; got != (tech == c.internet) {
						t.Errorf("%s: Internet -> appdb by %s present %v", src, tech, got)
					}
				}
				for _, rule := range []string{"azure.sql.firewall-open-internet", "azure.sql.allow-azure-services"} {
					if got := hasFinding(g, rule, hsSQL); got != (rule == c.finding) {
						t.Errorf("%s: finding %s present %v", src, rule, got)
					}
				}
				if n := g.Node(hsSQL); n == nil || n.Props["internet_reachable"] != (c.internet == transform.TechSQLFirewallOpen) {
					t.Errorf("%s: internet_reachable of the server: %+v", src, n)
				}
			}
		})
	}
}

func TestAFailedSQLVirtualNetworkRuleReadFailsTheSQLArea(t *testing.T) {
	dir := filepath.Join("testdata", "hubspoke")
	ten, err := fetchtest.FromExport(hsTenant, filepath.Join(dir, "resources.json"), filepath.Join(dir, "role-assignments.json"))
	if err != nil {
		t.Fatal(err)
	}
	ten.Graph["/beta/reports/servicePrincipalSignInActivities"] = []map[string]any{}
	ten.FailPath["/virtualNetworkRules"] = http.StatusForbidden
	snaps, sum := collectFakes(t, ten)
	var failed []string
	for _, s := range sum.Scopes {
		for _, f := range RealFailures(s.Failed) {
			failed = append(failed, f.Service+": "+f.Error)
		}
	}
	if len(failed) != 1 || !strings.HasPrefix(failed[0], "sql: ") || !strings.Contains(failed[0], "virtual network rules of sql-hubspoke") {
		t.Fatalf("failures = %v, want the sql area failed by its virtual network rule read", failed)
	}
	// The area's resources leave the inventory, so the store keeps their
	// earlier rows stale instead of storing a server without its rules.
	if g := graph.AssembleSnapshots(snaps); g.Node(hsAppDB) != nil || g.Node(hsSQL) != nil {
		t.Fatal("the SQL server and database were stored from a half-read area")
	}
}
