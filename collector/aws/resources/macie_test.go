package resources

import (
	"slices"
	"testing"

	"github.com/breachpath/breachpath/collector/aws/inventory"
	"github.com/breachpath/breachpath/graph"
)

func TestMacieFindingsRaiseBucketSensitivityButNeverLowerIt(t *testing.T) {
	tests := []struct {
		name       string
		tags       inventory.Tags
		categories map[string]int64
		want       graph.Sensitivity
	}{
		{"credentials make an untagged bucket restricted", nil, map[string]int64{"CREDENTIALS": 2}, graph.SensitivityRestricted},
		{"financial data makes it restricted", nil, map[string]int64{"FINANCIAL_INFORMATION": 5}, graph.SensitivityRestricted},
		{"personal data makes it confidential", nil, map[string]int64{"PERSONAL_INFORMATION": 40}, graph.SensitivityConfidential},
		{"the highest category wins", nil, map[string]int64{"PERSONAL_INFORMATION": 40, "CREDENTIALS": 1}, graph.SensitivityRestricted},
		{"a restricted tag is not lowered by personal data", inventory.Tags{"data-classification": "restricted"}, map[string]int64{"PERSONAL_INFORMATION": 3}, graph.SensitivityRestricted},
		{"a public tag is raised by credentials", inventory.Tags{"data-classification": "public"}, map[string]int64{"CREDENTIALS": 1}, graph.SensitivityRestricted},
		{"custom identifiers alone raise nothing", inventory.Tags{"data-classification": "internal"}, map[string]int64{"CUSTOM_IDENTIFIER": 9}, graph.SensitivityInternal},
		{"a category with no occurrences raises nothing", nil, map[string]int64{"CREDENTIALS": 0}, graph.SensitivityNone},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			inv := fixture()
			inv.S3 = []inventory.Bucket{{Name: "exports", Region: region, Versioning: "Enabled", Tags: tt.tags}}
			inv.Regional[region].Macie = &inventory.MacieData{Status: inventory.MacieEnabled, Findings: 3, Buckets: []inventory.MacieBucketSummary{
				{Bucket: "exports", ARN: "arn:aws:s3:::exports", Findings: 3, HighestSeverity: "High", Categories: tt.categories, Types: map[string]int64{"AWS_CREDENTIALS": 2}},
			}}
			p := build(t, inv, Options{})
			n := findNode(p, "arn:aws:s3:::exports")
			if n == nil {
				t.Fatal("no bucket node")
			}
			if n.Sensitivity != tt.want {
				t.Errorf("sensitivity = %s, want %s", n.Sensitivity, tt.want)
			}
			if n.Props["macie_findings"] != int64(3) || n.Props["macie_highest_severity"] != "High" || n.Props["macie_evidence"] == "" {
				t.Errorf("macie evidence props = %v", n.Props)
			}
			if types, _ := n.Props["macie_types"].([]string); !slices.Equal(types, []string{"AWS_CREDENTIALS"}) {
				t.Errorf("macie_types = %v", n.Props["macie_types"])
			}
		})
	}
}

func TestMacieRaisedBucketTakesPartInSensitivityRules(t *testing.T) {
	inv := fixture()
	keyARN := "arn:aws:kms:" + region + ":" + acct + ":key/k1"
	inv.Regional[region].KMSKeys = []inventory.KMSKey{{ID: "k1", ARN: keyARN, KeyManager: "CUSTOMER", KeyState: "Enabled", Enabled: true}}
	inv.S3 = []inventory.Bucket{{Name: "exports", Region: region, Encryption: []inventory.BucketEncryption{{Algorithm: "aws:kms", KMSKeyID: keyARN}}}}
	inv.Regional[region].Macie = &inventory.MacieData{Status: inventory.MacieEnabled, Findings: 1, Buckets: []inventory.MacieBucketSummary{
		{Bucket: "exports", Findings: 1, HighestSeverity: "Medium", Categories: map[string]int64{"PERSONAL_INFORMATION": 4}},
	}}
	p := build(t, inv, Options{})
	if !hasFinding(p, RuleS3Versioning, "arn:aws:s3:::exports") {
		t.Error("a bucket Macie found personal data in, without versioning, has no versioning finding")
	}
	if k := findNode(p, keyARN); k == nil || !k.CrownJewel {
		t.Errorf("the key encrypting a Macie-raised bucket = %+v, want a crown jewel", k)
	}
}

func TestMacieSummaryForAnotherAccountsBucketAddsNothing(t *testing.T) {
	inv := fixture()
	inv.Regional[region].Macie = &inventory.MacieData{Status: inventory.MacieEnabled, Findings: 1, Buckets: []inventory.MacieBucketSummary{
		{Bucket: "member-bucket", ARN: "arn:aws:s3:::member-bucket", Account: "444455556666", Findings: 1, HighestSeverity: "High", Categories: map[string]int64{"CREDENTIALS": 1}},
	}}
	p := build(t, inv, Options{})
	if n := findNode(p, "arn:aws:s3:::member-bucket"); n != nil {
		t.Errorf("node for a bucket this account does not own: %+v", n)
	}
	if n := findNode(p, bucketARN); n == nil || n.Props["macie_findings"] != nil {
		t.Errorf("unrelated bucket got Macie props: %+v", n)
	}
}
