package transform

import "github.com/breachpath/breachpath/graph"

// Catalogue lists every GCP finding rule, for the report side's rule
// registry (collector.Rules).
func Catalogue() []graph.Rule {
	out := make([]graph.Rule, 0, len(Rules))
	for id, r := range Rules {
		out = append(out, graph.Rule{ID: id, Cloud: graph.CloudGCP, Severity: r.Severity, Title: r.Title,
			Remediation: r.Remediation, Controls: r.Controls, Source: "collector/gcp/transform"})
	}
	return graph.SortRules(out)
}
