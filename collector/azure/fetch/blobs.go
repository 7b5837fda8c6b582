package fetch

import (
	"context"
	"strings"

	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/container"

	"github.com/breachpath/breachpath/collector/azure/inventory"
)

// verifyPublicBlobs lists, without any credential, the first page of
// every container whose public access level is Container, and records
// whether the anonymous listing answered. It reads blob names only (one
// page), never blob contents. Containers at level Blob cannot be verified
// without knowing a blob name and are left as configured.
func (c *collector) verifyPublicBlobs(ctx context.Context) {
	c.mu.Lock()
	containers := c.inv.OfType(inventory.TypeBlobContainer)
	endpoints := map[string]string{}
	for _, a := range c.inv.OfType(inventory.TypeStorageAccount) {
		var p struct {
			PrimaryEndpoints struct {
				Blob string `json:"blob"`
			} `json:"primaryEndpoints"`
		}
		_ = a.Decode(&p)
		endpoints[a.ID] = p.PrimaryEndpoints.Blob
	}
	c.mu.Unlock()
	_ = forEach(ctx, c.opts.Concurrency, containers, func(ctx context.Context, r *inventory.Resource) error {
		var p inventory.ContainerProps
		if err := r.Decode(&p); err != nil || !strings.EqualFold(p.PublicAccess, "Container") {
			return nil
		}
		acct := r.ID[:strings.Index(r.ID, "/blobservices/")]
		ep := endpoints[acct]
		if ep == "" {
			return nil
		}
		ok := anonymousList(ctx, strings.TrimRight(ep, "/")+"/"+r.Name)
		c.mu.Lock()
		if res := c.inv.Get(r.ID); res != nil {
			res.AnonymousListVerified = &ok
		}
		c.mu.Unlock()
		return nil
	})
}

// anonymousList reports whether an unauthenticated List Blobs request on
// the container URL succeeds.
func anonymousList(ctx context.Context, containerURL string) bool {
	client, err := container.NewClientWithNoCredential(containerURL, nil)
	if err != nil {
		return false
	}
	max := int32(1)
	pager := client.NewListBlobsFlatPager(&container.ListBlobsFlatOptions{MaxResults: &max})
	_, err = pager.NextPage(ctx)
	return err == nil
}
