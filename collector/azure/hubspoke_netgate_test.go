package azure

import (
	"strings"
	"testing"

	"github.com/breachpath/breachpath/collector/azure/transform"
	"github.com/breachpath/breachpath/graph"
)

// Data-plane grants of the hub-and-spoke lab (testdata/hubspoke/README.md):
// vm-jump's identity and a user hold Key Vault Secrets User on the vault
// (public network access disabled, private endpoint in the app spoke);
// vm-web's identity holds Storage Blob Data Reader on the account that
// admits only snet-app, and SQL Server Contributor on the SQL server whose
// virtual network rule admits its subnet.
const (
	hsSecret  = hsKV + "/secrets/db-password"
	hsJumpMI  = hsJump + "/providers/microsoft.managedidentity/identities/default"
	hsWebMI   = hsWeb + "/providers/microsoft.managedidentity/identities/default"
	hsVaultUs = "c1c1c1c1-0000-4000-8000-000000000009"
)

// readEdge returns the data-read edge of a technique that a principal
// (a node whose id ends with from) uses: its own, else the one of a shared
// grant node it holds.
func readEdge(g *graph.Graph, from, to, tech string) *graph.Edge {
	var grants []string
	for i := range g.Edges {
		e := &g.Edges[i]
		if !strings.HasSuffix(e.From, from) {
			continue
		}
		if e.To == to && e.Technique == tech {
			return e
		}
		if e.Technique == transform.TechHoldsRole {
			grants = append(grants, e.To)
		}
	}
	for _, gr := range grants {
		if e := edgeOf(g, gr, to, tech); e != nil {
			return e
		}
	}
	return nil
}

func TestHubSpokeDataGrantsHoldOnlyWhereTheNetworkLetsTheCallerIn(t *testing.T) {
	type grant struct {
		from, to, tech string
		conditional    bool
		evidence       string
	}
	cases := []struct {
		name   string
		change func(t *testing.T, rs hsRows) hsRows
		grants []grant
	}{
		{name: "the lab as built",
			grants: []grant{
				{hsJumpMI, hsSecret, transform.TechSecretGet, false, "vm-jump reaches it (azure.network.private-endpoint from vnet-hub)"},
				{hsVaultUs, hsSecret, transform.TechSecretGet, true, "has no known place in a network the store admits"},
				{hsWebMI, hsData, transform.TechBlobRead, true, "managed identity whose workloads are in no network the store admits"},
				{hsWebMI, hsAppDB, transform.TechSQLAdminTakeover, false, "vm-web reaches it (azure.network.service-endpoint from vm-web)"},
			}},
		{name: "the SQL server's virtual network rule removed: the admin takeover holds only from an admitted network",
			change: func(t *testing.T, rs hsRows) hsRows { return rs.drop(t, "allow-snet-web") },
			grants: []grant{{hsWebMI, hsAppDB, transform.TechSQLAdminTakeover, true, "sql-hubspoke is restricted"}}},
		{name: "private endpoint removed: the vault admits nobody, the jump host's read turns conditional",
			change: func(t *testing.T, rs hsRows) hsRows { return rs.drop(t, "pe-kv") },
			grants: []grant{{hsJumpMI, hsSecret, transform.TechSecretGet, true, "publicNetworkAccess is Disabled"}}},
		{name: "the account admits snet-web too: vm-web's read holds",
			change: func(t *testing.T, rs hsRows) hsRows {
				acls := props(rs.row(t, "sthubspokedata"))["networkAcls"].(map[string]any)
				acls["virtualNetworkRules"] = append(acls["virtualNetworkRules"].([]any), map[string]any{"id": hsWebNet, "action": "Allow", "state": "Succeeded"})
				rs.subnetProps(t, "vnet-spoke2", "snet-web")["serviceEndpoints"] = []any{map[string]any{"service": "Microsoft.Storage"}}
				return rs
			},
			grants: []grant{{hsWebMI, hsData, transform.TechBlobRead, false, "vm-web reaches it (azure.network.service-endpoint from vm-web)"}}},
		{name: "the vault opened to all networks: every grant holds, no network evidence",
			change: func(t *testing.T, rs hsRows) hsRows {
				p := props(rs.row(t, "kv-hubspoke"))
				p["publicNetworkAccess"] = "Enabled"
				delete(p, "networkAcls")
				return rs
			},
			grants: []grant{{hsJumpMI, hsSecret, transform.TechSecretGet, false, ""}, {hsVaultUs, hsSecret, transform.TechSecretGet, false, ""}}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			for src, g := range hubSpokeGraphs(t, c.change) {
				for _, want := range c.grants {
					e := readEdge(g, want.from, want.to, want.tech)
					if e == nil {
						t.Errorf("%s: no %s edge %s -> %s", src, want.tech, short(want.from), short(want.to))
						continue
					}
					if e.Conditional != want.conditional {
						t.Errorf("%s: %s -> %s conditional %v, want %v (evidence %v)", src, short(want.from), short(want.to), e.Conditional, want.conditional, e.Evidence)
					}
					ev := strings.Join(e.Evidence, "; ")
					if want.evidence != "" && !strings.Contains(ev, want.evidence) {
						t.Errorf("%s: evidence %q lacks %q", src, ev, want.evidence)
					}
					if want.evidence == "" && strings.Contains(ev, "network:") {
						t.Errorf("%s: evidence %q names the network of an open store", src, ev)
					}
				}
			}
		})
	}
}
