package aws

import (
	"context"
	"strings"
	"testing"

	"github.com/breachpath/breachpath/collector/aws/inventory"
	"github.com/breachpath/breachpath/collector/sensitivity"
	"github.com/breachpath/breachpath/graph"
	"github.com/breachpath/breachpath/paths"
)

// TestMacieDiscoveryScoreDecidesWhetherTheUntaggedBucketIsATarget: the
// scenario's bucket loses its tag and takes a name no rule knows, so only
// Macie's automated discovery can make it a target. The score decides
// whether the Internet -> instance -> role -> bucket path exists, and the
// node records the classifier as its reason.
func TestMacieDiscoveryScoreDecidesWhetherTheUntaggedBucketIsATarget(t *testing.T) {
	const arn = "arn:aws:s3:::archive-7"
	tests := []struct {
		name      string
		discovery *inventory.MacieDiscovery
		wantLevel graph.Sensitivity
		wantPath  bool
		wantRule  string // substring of sensitivity_rule; "" = none expected
	}{
		{"a Sensitive score makes it a confidential target",
			enabledScore(80, true, 120), graph.SensitivityConfidential, true, "Amazon Macie automated discovery (macie_discovery_sensitivity=confidential)"},
		{"the lowest Sensitive score counts",
			enabledScore(50, true, 3), graph.SensitivityConfidential, true, "macie_discovery_sensitivity=confidential"},
		{"a Not sensitive score classifies it internal, no path",
			enabledScore(30, true, 120), graph.SensitivityInternal, false, "macie_discovery_sensitivity=internal"},
		{"a low score on an unmonitored bucket classifies nothing",
			enabledScore(30, false, 120), graph.SensitivityNone, false, ""},
		{"a classification error classifies nothing",
			enabledScore(-1, true, 120), graph.SensitivityNone, false, ""},
		{"scores are placeholders while discovery is disabled",
			&inventory.MacieDiscovery{Status: inventory.MacieDiscoveryDisabled, Buckets: enabledScore(80, true, 120).Buckets},
			graph.SensitivityNone, false, ""},
		{"no discovery data, no classification", nil, graph.SensitivityNone, false, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			inv := estate()
			inv.S3[0].Name, inv.S3[0].Tags = "archive-7", nil
			inv.IAM.Roles[0].InlinePolicies[0].Document = strings.ReplaceAll(readPayroll, "payroll", "archive-7")
			inv.Region(region).Macie = &inventory.MacieData{Status: inventory.MacieEnabled, Discovery: tt.discovery}
			snap, _ := transform(t, inv)
			sensitivity.Default().Apply([]*graph.Snapshot{snap})
			n := node(snap, arn)
			if n == nil {
				t.Fatal("no bucket node")
			}
			if n.Sensitivity != tt.wantLevel {
				t.Errorf("sensitivity = %s, want %s (props %v)", n.Sensitivity, tt.wantLevel, n.Props)
			}
			rule, _ := n.Props[sensitivity.PropRule].(string)
			if tt.wantRule != "" && !strings.Contains(rule, tt.wantRule) {
				t.Errorf("sensitivity_rule = %q, want it to name %q", rule, tt.wantRule)
			}
			if tt.wantRule == "" && strings.Contains(rule, "Macie") {
				t.Errorf("sensitivity_rule = %q, want no Macie reason", rule)
			}
			g := graph.Assemble(snap.Nodes, snap.Edges, snap.Findings)
			res, err := paths.Search(context.Background(), g, paths.Options{})
			if err != nil {
				t.Fatal(err)
			}
			got := false
			for _, p := range res.Paths {
				if p.Target == arn && p.Source == graph.InternetID {
					got = true
				}
			}
			if got != tt.wantPath {
				t.Errorf("path Internet -> %s found = %v, want %v", arn, got, tt.wantPath)
			}
		})
	}
}

func enabledScore(score int32, monitored bool, objects int64) *inventory.MacieDiscovery {
	return &inventory.MacieDiscovery{Status: inventory.MacieDiscoveryEnabled, Buckets: []inventory.MacieBucketScore{
		{Bucket: "archive-7", ARN: "arn:aws:s3:::archive-7", Account: acct, Score: score, Monitored: monitored, ClassifiableObjects: objects},
	}}
}
