package resources

import (
	"fmt"
	"slices"
	"strings"

	"github.com/breachpath/breachpath/collector/aws/inventory"
	"github.com/breachpath/breachpath/graph"
)

// macieCategoryLevels maps an Amazon Macie sensitive data category to the
// level it proves. Credentials and financial data open other systems or
// cost money when leaked; personal data is regulated. Custom identifiers
// mean whatever the account defined, so they raise nothing on their own.
var macieCategoryLevels = map[string]graph.Sensitivity{
	"CREDENTIALS":           graph.SensitivityRestricted,
	"FINANCIAL_INFORMATION": graph.SensitivityRestricted,
	"PERSONAL_INFORMATION":  graph.SensitivityConfidential,
}

// macie raises buckets' sensitivity from Macie's classification findings.
// It only raises: a tag-derived level above Macie's stays, because tags are
// the owner's word and Macie samples objects. The finding summary goes into
// node properties as evidence; no sample data exists to copy (the collector
// never reads it).
func (b *builder) macie() {
	for _, x := range b.regions {
		if x.d.Macie == nil {
			continue
		}
		for _, s := range x.d.Macie.Buckets {
			n := b.nodes[orARN(s.ARN, b.bucketARN(s.Bucket))]
			if n == nil || n.Stub || n.Kind != graph.KindBucket {
				continue // another account's bucket (a Macie administrator sees members')
			}
			lvl, cats := macieLevel(s)
			n.Props["macie_findings"] = int64(s.Findings)
			n.Props["macie_highest_severity"] = s.HighestSeverity
			n.Props["macie_categories"] = cats
			n.Props["macie_types"] = macieKeys(s.Types)
			n.Props["macie_sensitivity"] = lvl.String()
			n.Props["macie_evidence"] = macieEvidence(s, lvl)
			n.Sensitivity = max(n.Sensitivity, lvl)
		}
		b.macieDiscovery(x.d.Macie.Discovery)
	}
}

// macieSensitiveScore is the score from which Macie labels a bucket
// "Sensitive" (50-100); 1-49 is "Not sensitive", -1 a classification error.
const macieSensitiveScore = 50

// macieDiscovery turns automated sensitive data discovery scores into
// levels: a bucket Macie labels Sensitive is confidential; one it analysed
// (it holds classifiable objects and is monitored) and labels Not sensitive
// is internal, which counts as classified in the coverage report without
// raising anything. Scores are read only while discovery is enabled, so a
// placeholder score never classifies. A classification error classifies
// nothing and is recorded. Like findings, scores only raise: a tag above
// them stays.
func (b *builder) macieDiscovery(d *inventory.MacieDiscovery) {
	if d == nil || d.Status != inventory.MacieDiscoveryEnabled {
		return
	}
	for _, s := range d.Buckets {
		n := b.nodes[orARN(s.ARN, b.bucketARN(s.Bucket))]
		if n == nil || n.Stub || n.Kind != graph.KindBucket {
			continue
		}
		n.Props["macie_discovery_score"] = int64(s.Score)
		var lvl graph.Sensitivity
		var label string
		switch {
		case s.Score >= macieSensitiveScore:
			lvl, label = graph.SensitivityConfidential, "Sensitive"
		case s.Score >= 1 && s.Monitored && s.ClassifiableObjects > 0:
			lvl, label = graph.SensitivityInternal, "Not sensitive"
		case s.Score < 0:
			n.Props["macie_discovery_evidence"] = "Amazon Macie automated discovery: classification error (score -1); the bucket stays unclassified by Macie"
			continue
		default:
			continue // not monitored, or nothing Macie can analyse: no evidence either way
		}
		n.Props["macie_discovery_sensitivity"] = lvl.String()
		n.Props["macie_discovery_evidence"] = fmt.Sprintf("Amazon Macie automated discovery: sensitivity score %d (%s, %d classifiable objects) -> %s",
			s.Score, label, s.ClassifiableObjects, lvl)
		n.Sensitivity = max(n.Sensitivity, lvl)
	}
}

// macieLevel returns the highest level the summary's categories prove and
// the categories with at least one occurrence, sorted.
func macieLevel(s inventory.MacieBucketSummary) (graph.Sensitivity, []string) {
	var lvl graph.Sensitivity
	var cats []string
	for c, n := range s.Categories {
		if n <= 0 {
			continue
		}
		cats = append(cats, c)
		lvl = max(lvl, macieCategoryLevels[c])
	}
	slices.Sort(cats)
	return lvl, cats
}

func macieEvidence(s inventory.MacieBucketSummary, lvl graph.Sensitivity) string {
	var parts []string
	for _, c := range macieKeys(s.Categories) {
		parts = append(parts, fmt.Sprintf("%s %d", c, s.Categories[c]))
	}
	return fmt.Sprintf("Amazon Macie: %d sensitive-data findings (highest severity %s): %s -> %s",
		s.Findings, s.HighestSeverity, strings.Join(parts, ", "), lvl)
}

func macieKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}
