package synthetic

import (
	"strings"

	"github.com/breachpath/breachpath/graph"
)

// Catalogue lists every rule the synthetic estate emits, for the report
// side's rule registry (collector.Rules). Ids shared with a real collector
// are listed by both; the registry keeps the real collector's entry.
func Catalogue() []graph.Rule {
	out := make([]graph.Rule, 0, len(rules))
	for id, r := range rules {
		cloud, _, _ := strings.Cut(id, ".")
		out = append(out, graph.Rule{ID: id, Cloud: graph.Cloud(cloud), Severity: r.severity, Title: r.title,
			Remediation: r.remediation, Controls: r.controls, Source: "collector/synthetic"})
	}
	return graph.SortRules(out)
}
