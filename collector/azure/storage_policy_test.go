package azure

import (
	"slices"
	"testing"

	"github.com/breachpath/breachpath/graph"
)

// The storage account's sasPolicy, keyPolicy and allowSharedKeyAccess come
// from the Resource Graph row (the SDK's armresourcegraph fake server here);
// Azurite serves only the data plane and exposes none of them.
func TestLiveStorageAccountSASAndKeyPolicyFindings(t *testing.T) {
	acct := goatRG + "/providers/microsoft.storage/storageaccounts/appazgoat4242storage"
	rules := []string{"azure.storage.no-sas-expiration-policy", "azure.storage.sas-expiration-long", "azure.storage.no-key-expiration-policy", "azure.storage.key-expiration-long"}
	cases := []struct {
		name  string
		props map[string]any
		want  []string
	}{
		{"shared keys on and neither policy set", map[string]any{},
			[]string{"azure.storage.no-sas-expiration-policy", "azure.storage.no-key-expiration-policy"}},
		{"one-hour SAS and 90-day keys", map[string]any{"sasPolicy": map[string]any{"sasExpirationPeriod": "0.01:00:00", "expirationAction": "Block"}, "keyPolicy": map[string]any{"keyExpirationPeriodInDays": 90}},
			nil},
		{"seven-day SAS and yearly keys", map[string]any{"sasPolicy": map[string]any{"sasExpirationPeriod": "7.00:00:00", "expirationAction": "Log"}, "keyPolicy": map[string]any{"keyExpirationPeriodInDays": 365}},
			[]string{"azure.storage.sas-expiration-long", "azure.storage.key-expiration-long"}},
		{"an unreadable SAS period counts as long", map[string]any{"sasPolicy": map[string]any{"sasExpirationPeriod": "forever"}, "keyPolicy": map[string]any{"keyExpirationPeriodInDays": 30}},
			[]string{"azure.storage.sas-expiration-long"}},
		{"shared key access disabled makes both policies moot", map[string]any{"allowSharedKeyAccess": false}, nil},
		{"shared key access explicitly allowed", map[string]any{"allowSharedKeyAccess": true, "keyPolicy": map[string]any{"keyExpirationPeriodInDays": 60}},
			[]string{"azure.storage.no-sas-expiration-policy"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ten := goatTenantFakes(t)
			row := ten.Row(acct)
			if row == nil {
				t.Fatal("the AzureGoat export has no storage account")
			}
			props := row["properties"].(map[string]any)
			for k, v := range c.props {
				props[k] = v
			}
			snaps, _ := collectFakes(t, ten)
			var got []string
			for _, s := range snaps {
				for _, f := range s.Findings {
					if f.Resource == acct && slices.Contains(rules, f.RuleID) {
						got = append(got, f.RuleID)
						if f.ID != graph.FindingID(f.RuleID, acct) || len(f.Controls) == 0 {
							t.Errorf("finding %+v lacks its id or controls", f)
						}
					}
				}
			}
			slices.Sort(got)
			want := slices.Clone(c.want)
			slices.Sort(want)
			if !slices.Equal(got, want) {
				t.Fatalf("findings %v, want %v", got, want)
			}
		})
	}
}
