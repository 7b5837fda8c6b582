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
