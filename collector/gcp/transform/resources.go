package transform

import (
	"strings"

	"github.com/breachpath/breachpath/collector/gcp/inventory"
	"github.com/breachpath/breachpath/collector/sensitivity"
	"github.com/breachpath/breachpath/graph"
)

// DefaultSensitivityKeys are the label keys read for a data classification.
// GCP labels are lower-case, so "data-classification" and
// "data_classification" cover the usual spellings.
var DefaultSensitivityKeys = []string{"data-classification", "data_classification", "classification", "sensitivity", "confidentiality", "pii"}

var sensitivityValues = map[string]graph.Sensitivity{
	"public": graph.SensitivityPublic, "internal": graph.SensitivityInternal, "private": graph.SensitivityInternal,
	"confidential": graph.SensitivityConfidential, "sensitive": graph.SensitivityConfidential, "pii": graph.SensitivityConfidential,
	"restricted": graph.SensitivityRestricted, "secret": graph.SensitivityRestricted, "highly-confidential": graph.SensitivityRestricted,
	"highly_confidential": graph.SensitivityRestricted, "pci": graph.SensitivityRestricted, "phi": graph.SensitivityRestricted,
	"critical": graph.SensitivityRestricted,
}

// labelSensitivity returns the highest level a classification label names.
func (b *builder) labelSensitivity(labels map[string]string) graph.Sensitivity {
	keys := b.opts.SensitivityKeys
	if len(keys) == 0 {
		// The shared rules of collector/sensitivity: every cloud's conventions.
		return sensitivity.Default().TagLevel(labels)
	}
	var best graph.Sensitivity
	for _, k := range keys {
		v, ok := labels[k]
		if !ok {
			continue
		}
		v = strings.ToLower(strings.TrimSpace(v))
		if k == "pii" && (v == "true" || v == "yes") {
			best = max(best, graph.SensitivityConfidential)
			continue
		}
		best = max(best, sensitivityValues[v])
	}
	return best
}

// dataKinds maps the data asset types to node kinds and areas.
var dataKinds = map[string]struct {
	kind    graph.Kind
	service string
}{
	inventory.TypeBucket:       {graph.KindBucket, "storage"},
	inventory.TypeDataset:      {graph.KindDatabase, "bigquery"},
	inventory.TypeSecret:       {graph.KindSecret, "secretmanager"},
	inventory.TypeSQLInstance:  {graph.KindDatabase, "sqladmin"},
	inventory.TypeCryptoKey:    {graph.KindKey, "cloudkms"},
	inventory.TypeTopic:        {graph.KindTopic, "pubsub"},
	inventory.TypeSubscription: {graph.KindQueue, "pubsub"},
}

// resources adds the data stores.
func (b *builder) resources() error {
	// Keys first, so that data stores can point at them.
	for pass := 0; pass < 2; pass++ {
		for _, a := range sortedAssets(b.inv) {
			dk, ok := dataKinds[a.AssetType]
			if !ok || !a.HasData() || (a.AssetType == inventory.TypeCryptoKey) != (pass == 0) {
				continue
			}
			var lab inventory.Labelled
			_ = a.Decode(&lab)
			name := inventory.LastSegment(a.Name)
			labels := lab.Labels
			switch a.AssetType {
			case inventory.TypeSQLInstance:
				var d inventory.SQLInstance
				if err := a.Decode(&d); err != nil {
					b.warn("%v", err)
					continue
				}
				labels = d.Settings.UserLabels
			case inventory.TypeDataset:
				var d inventory.Dataset
				if err := a.Decode(&d); err != nil {
					b.warn("%v", err)
					continue
				}
				if d.DatasetReference.DatasetID != "" {
					name = d.DatasetReference.DatasetID
				}
			}
			n := b.resourceNode(a, dk.kind, dk.service, name, labels)
			if p := b.h.projectOf(a); p != nil {
				b.fact(p.Name, graph.EdgeContains, a.Name)
			}
			switch a.AssetType {
			case inventory.TypeBucket:
				var d inventory.Bucket
				if err := a.Decode(&d); err == nil {
					n.Props["uniform_bucket_level_access"] = d.IAMConfiguration.UniformBucketLevelAccess.Enabled
					n.Props["public_access_prevention"] = strings.ToLower(orDefault(d.IAMConfiguration.PublicAccessPrevention, "inherited"))
					n.Props["versioning"] = d.Versioning.Enabled
					b.encryptedBy(a.Name, d.Encryption.DefaultKmsKeyName)
				}
			case inventory.TypeSecret:
				// Metadata only: the inventory never holds a payload.
				n.CrownJewel = true
				n.Sensitivity = max(n.Sensitivity, graph.SensitivityConfidential)
			case inventory.TypeDataset:
				var d inventory.Dataset
				if err := a.Decode(&d); err == nil {
					n.Props["cmek"] = d.DefaultEncryptionConfiguration.KmsKeyName != ""
					b.encryptedBy(a.Name, d.DefaultEncryptionConfiguration.KmsKeyName)
				}
			case inventory.TypeSQLInstance:
				var d inventory.SQLInstance
				if err := a.Decode(&d); err == nil {
					n.Props["database_version"] = d.DatabaseVersion
					n.Props["ipv4_enabled"] = d.Settings.IPConfiguration.IPv4Enabled
					n.Props["require_ssl"] = d.Settings.IPConfiguration.RequireSSL
					var nets []string
					for _, an := range d.Settings.IPConfiguration.AuthorizedNetworks {
						nets = append(nets, an.Value)
					}
					if len(nets) > 0 {
						n.Props["authorized_networks"] = nets
					}
				}
			case inventory.TypeCryptoKey:
				var d inventory.CryptoKey
				if err := a.Decode(&d); err == nil {
					n.Props["rotation_period"] = d.RotationPeriod
					n.Props["purpose"] = d.Purpose
				}
			}
		}
	}
	// Classifier evidence before the keys: a key protecting data a profile
	// found sensitive is raised with it.
	b.dlp()
	// Keys protecting sensitive data are crown jewels themselves.
	for _, e := range b.edges {
		if e.Kind != graph.EdgeEncryptedBy {
			continue
		}
		data, key := b.nodes[e.From], b.nodes[e.To]
		if data != nil && key != nil && !key.Stub && (data.CrownJewel || data.Sensitivity >= graph.SensitivityConfidential) {
			key.CrownJewel = true
		}
	}
	return nil
}

// encryptedBy records a customer-managed key ("projects/p/locations/l/keyRings/r/cryptoKeys/k").
func (b *builder) encryptedBy(data, key string) {
	if key == "" {
		return
	}
	if i := strings.Index(key, "/cryptoKeyVersions/"); i >= 0 {
		key = key[:i]
	}
	id := "//cloudkms.googleapis.com/" + strings.TrimPrefix(key, "//cloudkms.googleapis.com/")
	if _, ok := b.nodes[id]; !ok {
		return
	}
	b.fact(data, graph.EdgeEncryptedBy, id)
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}
