package aws

import (
	"context"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/breachpath/breachpath/graph"
	"github.com/breachpath/breachpath/graph/entitlement"
)

// TestAuthDetailsImportRecordsUsageInItsPartition: an export imported with
// last-accessed data carries the entitlements and the usage on its
// principals, keyed in the export's own partition (the root user too), from
// one parse of the export.
func TestAuthDetailsImportRecordsUsageInItsPartition(t *testing.T) {
	raw, err := os.ReadFile("../../ciem/aws/testdata/authdetails.json")
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 11, 25, 0, 0, 0, 0, time.UTC)
	for _, part := range []string{"aws", "aws-us-gov", "aws-cn"} {
		t.Run(part, func(t *testing.T) {
			doc := strings.ReplaceAll(string(raw), "arn:aws:", "arn:"+part+":")
			bob := "arn:" + part + ":iam::111122223333:user/bob"
			root := "arn:" + part + ":iam::111122223333:root"
			usage := map[string]*entitlement.UsageData{bob: {Source: "test", CollectedAt: now,
				Services: []entitlement.ServiceUsage{{Service: "s3", LastAccessed: now.Add(-time.Hour)}}}}
			snap, _, err := FromAuthDetails(context.Background(), strings.NewReader(doc), "authdetails.json", TransformOptions{Usage: usage})
			if err != nil {
				t.Fatal(err)
			}
			byID := map[string]*graph.Node{}
			for i := range snap.Nodes {
				byID[snap.Nodes[i].ID] = &snap.Nodes[i]
			}
			if byID[bob] == nil {
				t.Fatalf("no node %s", bob)
			}
			u, err := entitlement.DecodeUsage(byID[bob])
			if err != nil || u == nil || len(u.Services) != 1 || u.Services[0].Service != "s3" {
				t.Fatalf("bob's usage %+v (%v), want the s3 use passed in", u, err)
			}
			if e, err := entitlement.Decode(byID[bob]); err != nil || e == nil || len(e.Services) == 0 {
				t.Fatalf("bob's entitlements %+v (%v), want some", e, err)
			}
			if byID[root] == nil {
				t.Fatalf("no node %s", root)
			}
			if e, err := entitlement.Decode(byID[root]); err != nil || e == nil || e.Unmanaged == "" {
				t.Fatalf("root's entitlements %+v (%v), want the unmanaged root", e, err)
			}
			for id := range byID {
				if strings.HasPrefix(id, "arn:") && !strings.HasPrefix(id, "arn:"+part+":") && byID[id].Props[entitlement.PropEntitlements] != nil {
					t.Errorf("%s carries entitlements outside the export's partition %s", id, part)
				}
			}
		})
	}
}
