package fetch

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"cloud.google.com/go/storage"
	"github.com/googleapis/gax-go/v2"
	"google.golang.org/api/iterator"

	"github.com/breachpath/breachpath/collector/gcp/inventory"
)

// storage lists every project's buckets with the Cloud Storage JSON API.
// The asset inventory is eventually consistent: a bucket created minutes
// ago can be missing from it, and a bucket without an asset would be
// deleted from the store. Buckets the inventory lacks are added with the
// attributes the Storage API returns; buckets it has keep its data.
func (c *collector) storage(ctx context.Context) {
	client, err := storage.NewClient(ctx, c.clientOptions(APIStorage)...)
	if err != nil {
		c.storageFailed(fmt.Errorf("storage client: %w", err))
		return
	}
	defer client.Close()
	// The library retries 5xx and 429 forever by default: bound it as the
	// asset calls are bounded.
	client.SetRetry(storage.WithBackoff(gax.Backoff{Initial: c.opts.RetryBase, Max: 30 * time.Second, Multiplier: 2}),
		storage.WithMaxAttempts(c.opts.MaxAttempts))
	ctx, cancel := context.WithTimeout(ctx, c.opts.CallTimeout)
	defer cancel()
	for _, p := range c.inv.ByType(inventory.TypeProject) {
		var d inventory.Project
		if err := p.Decode(&d); err != nil || d.ProjectID == "" {
			continue
		}
		it := client.Buckets(ctx, d.ProjectID)
		c.calls.Add(1)
		for {
			attrs, err := it.Next()
			if errors.Is(err, iterator.Done) {
				break
			}
			if err != nil {
				if ctx.Err() == nil {
					c.storageFailed(fmt.Errorf("list buckets of %s: %w", d.ProjectID, err))
				}
				return
			}
			name := "//storage.googleapis.com/" + attrs.Name
			if a, ok := c.inv.Assets[name]; ok && a.HasData() {
				continue
			}
			data, err := json.Marshal(bucketData(attrs))
			if err != nil {
				continue
			}
			anc := slices.Clone(p.Ancestors)
			if len(anc) == 0 {
				anc = []string{strings.TrimPrefix(p.Name, "//cloudresourcemanager.googleapis.com/")}
			}
			_ = c.inv.Add(&inventory.Asset{Name: name, AssetType: inventory.TypeBucket, Ancestors: anc,
				Resource: &inventory.Resource{Parent: p.Name, Location: strings.ToLower(attrs.Location), Data: data}})
			c.assetsIn.Add(1)
		}
	}
}

func (c *collector) storageFailed(err error) { c.areaFailed(AreaStorage, "storage API", err) }

// bucketData renders bucket attributes in the JSON API shape the asset
// inventory uses for bucket resource data.
func bucketData(a *storage.BucketAttrs) *inventory.Bucket {
	var b inventory.Bucket
	b.Name = a.Name
	b.Location = strings.ToLower(a.Location)
	b.Labels = a.Labels
	b.IAMConfiguration.UniformBucketLevelAccess.Enabled = a.UniformBucketLevelAccess.Enabled
	switch a.PublicAccessPrevention {
	case storage.PublicAccessPreventionEnforced:
		b.IAMConfiguration.PublicAccessPrevention = "enforced"
	case storage.PublicAccessPreventionInherited:
		b.IAMConfiguration.PublicAccessPrevention = "inherited"
	}
	b.Versioning.Enabled = a.VersioningEnabled
	if a.Encryption != nil {
		b.Encryption.DefaultKmsKeyName = a.Encryption.DefaultKMSKeyName
	}
	for _, r := range a.DefaultObjectACL {
		b.DefaultObjectACL = append(b.DefaultObjectACL, inventory.ACLEntry{Entity: string(r.Entity), Role: string(r.Role)})
	}
	return &b
}
