package transform

import "github.com/breachpath/breachpath/graph"

// Catalogue lists every Azure finding rule, for the report side's rule
// registry (collector.Rules).
func Catalogue() []graph.Rule {
	out := make([]graph.Rule, 0, len(rules))
	for id, r := range rules {
		out = append(out, graph.Rule{ID: id, Cloud: graph.CloudAzure, Severity: r.severity, Title: r.title,
			Remediation: r.remediation, Controls: r.controls, Source: "collector/azure/transform"})
	}
	return graph.SortRules(out)
}

// FromOfflineImport reports whether an offline import (`collect azure
// --from-file`, recorded as collector "azure-file") evaluates the rule:
// Resource Graph exports hold no Key Vault secret or key metadata, SQL
// firewall rules, blob containers, app setting names or Automation
// variables (docs/azure-collector.md, "Offline import"), so the rules that
// read them are run by the live collection only. An import that lacks them
// finds nothing there, which is no pass.
func FromOfflineImport(ruleID string) bool {
	switch ruleID {
	case "azure.keyvault.secret-no-expiry", "azure.keyvault.key-no-expiry", "azure.sql.firewall-open-internet",
		"azure.sql.allow-azure-services", "azure.storage.container-public-access", "azure.appservice.secret-in-app-settings",
		"azure.automation.variable-not-encrypted":
		return false
	}
	_, ok := rules[ruleID]
	return ok
}
