package collector

import (
	"context"
	"testing"

	"github.com/breachpath/breachpath/collector/synthetic"
	"github.com/breachpath/breachpath/graph"
)

func TestRegistryListsEveryRuleOnceWithWhoRunsIt(t *testing.T) {
	rules := Rules()
	seen := map[string]bool{}
	perCloud := map[graph.Cloud]int{}
	for _, r := range rules {
		if err := graph.ValidateRule(r); err != nil {
			t.Error(err)
		}
		if len(r.Collectors) == 0 {
			t.Errorf("rule %s names no collector that runs it", r.ID)
		}
		if seen[r.ID] {
			t.Errorf("rule %s listed twice", r.ID)
		}
		seen[r.ID] = true
		perCloud[r.Cloud]++
	}
	for _, c := range []graph.Cloud{graph.CloudAWS, graph.CloudAzure, graph.CloudGCP} {
		if perCloud[c] < 20 {
			t.Errorf("%d %s rules in the registry; a collector's catalogue is missing", perCloud[c], c)
		}
	}
}

func TestRegistryMergesRulesSharedWithTheDemoEstate(t *testing.T) {
	for _, r := range Rules() {
		if r.ID != "aws.ec2.imdsv1-enabled" {
			continue
		}
		if r.Source != "collector/aws/resources" {
			t.Errorf("shared rule described by %s, want the AWS collector", r.Source)
		}
		want := []string{"aws", "synthetic"}
		if len(r.Collectors) != 2 || r.Collectors[0] != want[0] || r.Collectors[1] != want[1] {
			t.Errorf("collectors = %v, want %v", r.Collectors, want)
		}
		return
	}
	t.Fatal("aws.ec2.imdsv1-enabled missing from the registry")
}

func TestRegistryAuthorizationDetailsImportRunsOnlyWhatTheFileHolds(t *testing.T) {
	runs := map[string][]string{}
	for _, r := range Rules() {
		runs[r.ID] = r.Collectors
	}
	has := func(id, c string) bool {
		for _, x := range runs[id] {
			if x == c {
				return true
			}
		}
		return false
	}
	for id, want := range map[string]bool{
		"aws.iam.policy-full-admin":             true,
		"aws.iam.privesc-iam.create-access-key": true,
		"aws.iam.root-without-mfa":              false, // needs the account summary
		"aws.iam.user-console-without-mfa":      false, // needs the credential report
		"aws.s3.bucket-public-access-block-off": false, // resources are not in the file
		"aws.resource-policy.public":            false,
	} {
		if _, ok := runs[id]; !ok {
			t.Errorf("rule %s missing", id)
			continue
		}
		if got := has(id, "aws-file"); got != want {
			t.Errorf("%s run by aws-file = %v, want %v", id, got, want)
		}
	}
}

// TestSyntheticEstateEmitsOnlyRegisteredRules generates a small demo
// estate: every finding it holds names a rule of the registry.
func TestSyntheticEstateEmitsOnlyRegisteredRules(t *testing.T) {
	est, err := synthetic.Generate(context.Background(), synthetic.Options{Resources: 2000, Seed: 7})
	if err != nil {
		t.Fatal(err)
	}
	known := map[string]bool{}
	for _, r := range Rules() {
		known[r.ID] = true
	}
	n := 0
	for _, s := range est.Snapshots {
		for _, f := range s.Findings {
			n++
			if !known[f.RuleID] {
				t.Errorf("finding rule %s is not in the registry", f.RuleID)
			}
		}
	}
	if n == 0 {
		t.Fatal("the demo estate has no findings")
	}
}

func TestRegistryAzureOfflineImportRunsOnlyWhatResourceGraphHolds(t *testing.T) {
	for _, r := range Rules() {
		want := map[string]bool{"azure.network.nsg-open-ssh": true, "azure.keyvault.secret-no-expiry": false,
			"azure.sql.firewall-open-internet": false, "azure.storage.blob-public-access-allowed": true}
		w, checked := want[r.ID]
		if !checked {
			continue
		}
		got := false
		for _, c := range r.Collectors {
			got = got || c == "azure-file"
		}
		if got != w {
			t.Errorf("%s run by azure-file = %v, want %v", r.ID, got, w)
		}
	}
}
