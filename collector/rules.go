package collector

import (
	"slices"

	"github.com/breachpath/breachpath/collector/aws/identity"
	"github.com/breachpath/breachpath/collector/aws/resources"
	aztransform "github.com/breachpath/breachpath/collector/azure/transform"
	gcptransform "github.com/breachpath/breachpath/collector/gcp/transform"
	"github.com/breachpath/breachpath/collector/synthetic"
	"github.com/breachpath/breachpath/graph"
)

// Rules is the registry of every finding rule any collector emits, sorted
// by id: what the compliance report enumerates, so that a rule which found
// nothing in a scope its collection checked counts as passing there. Each
// rule names the collectors (as syncs record them) whose runs evaluate it:
// the AWS IAM file import (authorization details) reads no resources nor
// credential report, and Azure Resource Graph exports hold no Key Vault
// secrets, SQL firewall rules or blob containers, so only the live
// collections evaluate those rules. A rule id emitted by a cloud
// collector and by the synthetic demo estate is listed once, described by
// the cloud collector, with both collectors.
func Rules() []graph.Rule {
	var all []graph.Rule
	add := func(rules []graph.Rule, collectors ...string) {
		for _, r := range rules {
			r.Collectors = slices.Clone(collectors)
			all = append(all, r)
		}
	}
	add(resources.Catalogue(), "aws")
	for _, r := range identity.Catalogue() {
		if identity.FromAuthorizationDetails(r.ID) {
			add([]graph.Rule{r}, "aws", "aws-file")
		} else {
			add([]graph.Rule{r}, "aws")
		}
	}
	for _, r := range aztransform.Catalogue() {
		if aztransform.FromOfflineImport(r.ID) {
			add([]graph.Rule{r}, "azure", "azure-file")
		} else {
			add([]graph.Rule{r}, "azure")
		}
	}
	add(gcptransform.Catalogue(), "gcp", "gcp-file")
	add(synthetic.Catalogue(), "synthetic") // last: a cloud collector's description wins
	return graph.SortRules(all)
}
