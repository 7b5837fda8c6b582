package resources

import (
	"github.com/breachpath/breachpath/graph"
)

// Catalogue lists every finding rule of the resource part, for the report
// side's rule registry (collector.Rules).
func Catalogue() []graph.Rule {
	out := make([]graph.Rule, 0, len(rules))
	for id, r := range rules {
		out = append(out, graph.Rule{ID: id, Cloud: graph.CloudAWS, Severity: r.severity, Title: r.title,
			Remediation: r.remediation, Controls: r.controls, Source: "collector/aws/resources"})
	}
	return graph.SortRules(out)
}
