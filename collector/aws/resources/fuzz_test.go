package resources

import (
	"bytes"
	"context"
	"encoding/json"
	"testing"

	"github.com/breachpath/breachpath/collector/aws/inventory"
	"github.com/breachpath/breachpath/graph"
)

// FuzzBuild feeds arbitrary inventories to Build: it must never panic, and
// whatever it returns must validate as a snapshot.
func FuzzBuild(f *testing.F) {
	var buf bytes.Buffer
	if err := inventory.Encode(&buf, fixture()); err != nil {
		f.Fatal(err)
	}
	f.Add(buf.Bytes())
	f.Add([]byte(`{"account_id":"1","regional":{"r":{"instances":[{"id":"i","public_ip":"x","subnet_id":"s"}],"network_acls":[{"id":"a","entries":[{"rule_number":1,"protocol":"-1","allow":true,"cidr":"::/0"}]}]}}}`))
	f.Add([]byte(`{"account_id":"1","regional":{"r":{"security_groups":[{"id":"g","ingress":[{"protocol":"tcp","from_port":70000,"to_port":-5,"cidrs":["0.0.0.0/0","bad"]}]}]}}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		var inv inventory.Inventory
		if err := json.Unmarshal(data, &inv); err != nil || inv.AccountID == "" {
			return
		}
		p, err := Build(context.Background(), &inv, Options{})
		if err != nil {
			return
		}
		snap := graph.Snapshot{Scope: graph.Scope{Cloud: graph.CloudAWS, ID: inv.AccountID}, Nodes: p.Nodes, Edges: p.Edges, Findings: p.Findings}
		if err := snap.Validate(); err != nil {
			t.Fatalf("Build output does not validate: %v", err)
		}
	})
}
