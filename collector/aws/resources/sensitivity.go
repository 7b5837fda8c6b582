package resources

import (
	"fmt"
	"strings"

	"github.com/breachpath/breachpath/collector/aws/inventory"
	"github.com/breachpath/breachpath/collector/sensitivity"
	"github.com/breachpath/breachpath/graph"
)

// DefaultSensitivityKeys are the tag keys read for a data classification.
var DefaultSensitivityKeys = []string{"data-classification", "data_classification", "classification", "sensitivity", "pii", "confidentiality"}

// DefaultSensitivityValues maps lower-case tag values to levels.
var DefaultSensitivityValues = map[string]graph.Sensitivity{
	"public":                graph.SensitivityPublic,
	"internal":              graph.SensitivityInternal,
	"private":               graph.SensitivityInternal,
	"internal-only":         graph.SensitivityInternal,
	"confidential":          graph.SensitivityConfidential,
	"sensitive":             graph.SensitivityConfidential,
	"pii":                   graph.SensitivityConfidential,
	"restricted":            graph.SensitivityRestricted,
	"secret":                graph.SensitivityRestricted,
	"top-secret":            graph.SensitivityRestricted,
	"highly-confidential":   graph.SensitivityRestricted,
	"highly_confidential":   graph.SensitivityRestricted,
	"highly confidential":   graph.SensitivityRestricted,
	"strictly-confidential": graph.SensitivityRestricted,
	"critical":              graph.SensitivityRestricted,
	"pci":                   graph.SensitivityRestricted,
	"phi":                   graph.SensitivityRestricted,
}

// booleanKeys are keys whose value is a yes/no flag rather than a level:
// "pii=true" marks personal data, which is confidential.
var booleanKeys = map[string]graph.Sensitivity{"pii": graph.SensitivityConfidential}

// tagSensitivity returns the highest level any configured tag names.
// Without custom options it reads the tags through collector/sensitivity's
// shared rules, the conventions of every cloud; collect then applies the
// user's rules file on top.
func (b *builder) tagSensitivity(tags inventory.Tags) graph.Sensitivity {
	if len(b.opts.SensitivityKeys) == 0 && len(b.opts.SensitivityValues) == 0 {
		return sensitivity.Default().TagLevel(tags)
	}
	var best graph.Sensitivity
	for k, v := range tags {
		key := strings.ToLower(strings.TrimSpace(k))
		if !b.isSensitivityKey(key) {
			continue
		}
		val := strings.ToLower(strings.TrimSpace(v))
		if lvl, ok := booleanKeys[key]; ok {
			switch val {
			case "true", "yes", "1", "y":
				best = max(best, lvl)
				continue
			case "false", "no", "0", "n":
				continue
			}
		}
		if lvl, ok := b.opts.SensitivityValues[val]; ok {
			best = max(best, lvl)
		} else if lvl, ok := DefaultSensitivityValues[val]; ok {
			best = max(best, lvl)
		}
	}
	return best
}

func (b *builder) isSensitivityKey(key string) bool {
	keys := b.opts.SensitivityKeys
	if len(keys) == 0 {
		keys = DefaultSensitivityKeys
	}
	for _, k := range keys {
		if strings.EqualFold(k, key) {
			return true
		}
	}
	return false
}

// sensitivityRules derives levels from relationships once every node and
// fact exists: snapshots inherit their source's level; keys that encrypt
// sensitive data or crown jewels become crown jewels themselves; sensitive
// buckets without versioning get a finding.
func (b *builder) sensitivityRules() {
	for _, k := range b.eorder {
		e := b.edges[k]
		if e.Kind != graph.EdgeSnapshotOf {
			continue
		}
		snap, src := b.nodes[e.From], b.nodes[e.To]
		if snap != nil && src != nil {
			snap.Sensitivity = max(snap.Sensitivity, src.Sensitivity)
		}
	}
	for _, k := range b.eorder {
		e := b.edges[k]
		if e.Kind != graph.EdgeEncryptedBy {
			continue
		}
		data, key := b.nodes[e.From], b.nodes[e.To]
		if data == nil || key == nil {
			continue
		}
		if data.CrownJewel || data.Sensitivity >= graph.SensitivityConfidential {
			key.CrownJewel = true
			key.Sensitivity = max(key.Sensitivity, data.Sensitivity)
		}
	}
	for _, bk := range b.inv.S3 {
		id := orARN(bk.ARN, b.bucketARN(bk.Name))
		n := b.nodes[id]
		if n == nil || n.Sensitivity < graph.SensitivityConfidential || bk.Versioning == "Enabled" {
			continue
		}
		state := bk.Versioning
		if state == "" {
			state = "never enabled"
		}
		b.flag(RuleS3Versioning, id, defaultSeverity, fmt.Sprintf("bucket %s is %s and versioning is %s", bk.Name, n.Sensitivity, state))
	}
}
