package fetch

import (
	"context"
	"strings"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/container"

	"github.com/breachpath/breachpath/collector/azure/inventory"
	"github.com/breachpath/breachpath/collector/credscan"
)

// The opt-in object scan (collect azure --scan-config-objects): the blobs
// of containers anyone may read (public access level Blob or Container on
// an account that allows it) or that hold configuration by their name
// (credscan.ConfigWords) or their account's tag breachpath-config-scan
// are listed, and the small text ones read with the blob data plane
// (Storage Blob Data Reader), to find credentials left in them
// (credscan.Inspect). Only what identifies a credential is kept; the
// content is dropped as soon as it has been scanned. Bounded like AWS's
// scan (credscan.Limits).

// NewContainerClient builds the blob client of one container URL. The
// default uses the collection's token credential (Microsoft Entra
// authorization of blob reads); tests and the storage emulator give a
// shared-key client instead.
type NewContainerClient func(containerURL string, cred azcore.TokenCredential) (*container.Client, error)

func defaultContainerClient(opts Options) NewContainerClient {
	return func(u string, cred azcore.TokenCredential) (*container.Client, error) {
		o := &container.ClientOptions{}
		o.Retry = opts.Retry
		return container.NewClient(u, cred, o)
	}
}

// scanReason says why a container is scanned, "" when it is not.
func scanReason(name string, publicAccess string, accountPublic bool, accountTags map[string]string) string {
	if credscan.Excluded(accountTags) {
		return ""
	}
	if r := credscan.ConfigReason(name, accountTags); r != "" {
		return r
	}
	if accountPublic && (strings.EqualFold(publicAccess, "Blob") || strings.EqualFold(publicAccess, "Container")) {
		return "public access level " + publicAccess
	}
	return ""
}

// scanObjects scans the selected containers of every storage account.
func (c *collector) scanObjects(ctx context.Context) {
	if !c.opts.ScanConfigObjects {
		return
	}
	lim := c.opts.ConfigScanLimits.WithDefaults()
	budget := credscan.NewBudget(lim.MaxTotalBytes)
	salt := credscan.Salt(c.opts.CredentialSalt)
	newClient := c.opts.NewContainerClient
	if newClient == nil {
		newClient = defaultContainerClient(c.opts)
	}
	type account struct {
		endpoint string
		public   bool
		tags     map[string]string
	}
	c.mu.Lock()
	accounts := map[string]account{}
	for _, a := range c.inv.OfType(inventory.TypeStorageAccount) {
		var p struct {
			AllowBlobPublicAccess *bool `json:"allowBlobPublicAccess"`
			PrimaryEndpoints      struct {
				Blob string `json:"blob"`
			} `json:"primaryEndpoints"`
		}
		_ = a.Decode(&p)
		accounts[a.ID] = account{endpoint: p.PrimaryEndpoints.Blob, public: p.AllowBlobPublicAccess != nil && *p.AllowBlobPublicAccess, tags: a.Tags}
	}
	containers := c.inv.OfType(inventory.TypeBlobContainer)
	c.mu.Unlock()
	_ = forEach(ctx, c.opts.Concurrency, containers, func(ctx context.Context, r *inventory.Resource) error {
		i := strings.Index(r.ID, "/blobservices/")
		if i < 0 {
			return nil
		}
		acct := accounts[r.ID[:i]]
		var p inventory.ContainerProps
		_ = r.Decode(&p)
		reason := scanReason(r.Name, p.PublicAccess, acct.public, acct.tags)
		if reason == "" || acct.endpoint == "" {
			return nil
		}
		client, err := newClient(strings.TrimRight(acct.endpoint, "/")+"/"+r.Name, c.cred)
		if err != nil {
			c.log.Warn("object scan: no blob client", "container", r.ID, "error", err)
			return nil
		}
		scan := c.scanContainer(ctx, client, reason, lim, budget, salt)
		c.log.Debug("container scanned", "container", r.ID, "reason", reason, "listed", scan.Listed, "scanned", scan.Scanned,
			"skipped", scan.Skipped, "with_credentials", len(scan.Objects))
		c.mu.Lock()
		if res := c.inv.Get(r.ID); res != nil {
			res.ObjectScan = scan
		}
		c.mu.Unlock()
		return nil
	})
}

// scanContainer lists up to lim.MaxObjects blobs and inspects the small
// text ones; every blob's name is checked too.
func (c *collector) scanContainer(ctx context.Context, client *container.Client, reason string, lim credscan.Limits, budget *credscan.Budget,
	salt []byte) *credscan.Scan {
	scan := &credscan.Scan{Reason: reason}
	var blobs []credscan.Object
	pager := client.NewListBlobsFlatPager(&container.ListBlobsFlatOptions{MaxResults: ptr(int32(min(lim.MaxObjects, 5000)))})
	for pager.More() && len(blobs) < lim.MaxObjects {
		page, err := pager.NextPage(ctx)
		if err != nil {
			scan.ListFailed(err)
			break
		}
		for _, b := range page.Segment.BlobItems {
			if len(blobs) == lim.MaxObjects {
				scan.Truncated = true
				break
			}
			if b.Name == nil {
				continue
			}
			o := credscan.Object{Name: *b.Name}
			if b.Properties != nil {
				if b.Properties.ContentLength != nil {
					o.Size = *b.Properties.ContentLength
				}
				if b.Properties.ContentType != nil {
					o.ContentType = *b.Properties.ContentType
				}
			}
			blobs = append(blobs, o)
		}
	}
	if pager.More() && len(blobs) == lim.MaxObjects {
		scan.Truncated = true
	}
	scan.Listed = len(blobs)
	scan.InspectObjects(ctx, blobs, func(ctx context.Context, name string, limit int64) (string, bool, error) {
		resp, err := client.NewBlobClient(name).DownloadStream(ctx, nil)
		if err != nil {
			return "", false, err
		}
		defer resp.Body.Close()
		return credscan.ReadText(resp.Body, name, limit)
	}, lim, budget, salt)
	return scan
}

func ptr[T any](v T) *T { return &v }
