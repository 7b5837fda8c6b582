package transform

import (
	"strings"

	"github.com/breachpath/breachpath/collector/sensitivity"
	"github.com/breachpath/breachpath/graph"
)

// DefaultSensitivityKeys are the tag keys read for a data classification.
// They apply only with custom Options.SensitivityKeys; the default reading
// is collector/sensitivity's shared rule set.
var DefaultSensitivityKeys = []string{"data-classification", "data_classification", "dataclassification", "classification", "sensitivity", "pii", "confidentiality"}

var sensitivityValues = map[string]graph.Sensitivity{
	"public": graph.SensitivityPublic, "internal": graph.SensitivityInternal, "private": graph.SensitivityInternal,
	"confidential": graph.SensitivityConfidential, "sensitive": graph.SensitivityConfidential, "pii": graph.SensitivityConfidential,
	"restricted": graph.SensitivityRestricted, "secret": graph.SensitivityRestricted, "highly-confidential": graph.SensitivityRestricted,
	"highly confidential": graph.SensitivityRestricted, "critical": graph.SensitivityRestricted, "pci": graph.SensitivityRestricted,
	"phi": graph.SensitivityRestricted,
}

// tagSensitivity returns the highest level any configured tag names.
// Without custom keys it reads the tags through collector/sensitivity's
// shared rules, the conventions of every cloud.
func (b *builder) tagSensitivity(tags map[string]string) graph.Sensitivity {
	if len(b.opts.SensitivityKeys) == 0 {
		return sensitivity.Default().TagLevel(tags)
	}
	var best graph.Sensitivity
	for k, v := range tags {
		key := strings.ToLower(strings.TrimSpace(k))
		found := false
		for _, sk := range b.opts.SensitivityKeys {
			if strings.EqualFold(sk, key) {
				found = true
				break
			}
		}
		if !found {
			continue
		}
		val := strings.ToLower(strings.TrimSpace(v))
		if key == "pii" {
			switch val {
			case "true", "yes", "1", "y":
				best = max(best, graph.SensitivityConfidential)
			}
			continue
		}
		best = max(best, sensitivityValues[val])
	}
	return best
}

// sensitivity derives levels from relationships once every node exists:
// blob containers inherit their account's level when theirs is lower.
func (b *builder) sensitivity() {
	for id, n := range b.nodes {
		if n.Stub || n.Kind != graph.KindBucket || !strings.Contains(id, "/blobservices/") {
			continue
		}
		acct := id[:strings.Index(id, "/blobservices/")]
		if a, ok := b.nodes[acct]; ok {
			n.Sensitivity = max(n.Sensitivity, a.Sensitivity)
		}
	}
}
