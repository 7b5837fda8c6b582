package fetch

import (
	"context"
	"errors"
	"strings"

	"cloud.google.com/go/storage"
	"google.golang.org/api/iterator"

	"github.com/breachpath/breachpath/collector/credscan"
	"github.com/breachpath/breachpath/collector/gcp/inventory"
)

// The opt-in object scan (collect gcp --scan-config-objects): the objects
// of buckets anyone may reach (allUsers or allAuthenticatedUsers in the
// bucket's IAM policy) or that hold configuration by their name
// (credscan.ConfigWords) or label breachpath-config-scan are listed, and
// the small text ones read (storage.objects.list and storage.objects.get),
// to find credentials left in them (credscan.Inspect). Only what
// identifies a credential is kept; the content is dropped as soon as it
// has been scanned. Bounded like AWS's scan (credscan.Limits).

// bucketScanReason says why a bucket is scanned, "" when it is not.
func bucketScanReason(a *inventory.Asset) string {
	var d inventory.Bucket
	_ = a.Decode(&d)
	name := strings.TrimPrefix(a.Name, "//storage.googleapis.com/")
	if credscan.Excluded(d.Labels) {
		return ""
	}
	if r := credscan.ConfigReason(name, d.Labels); r != "" {
		return r
	}
	if a.IAMPolicy != nil {
		for _, b := range a.IAMPolicy.Bindings {
			for _, m := range b.Members {
				if m == "allUsers" || m == "allAuthenticatedUsers" {
					return m + " holds " + b.Role + " on the bucket"
				}
			}
		}
	}
	return ""
}

// scanObjects scans the selected buckets.
func (c *collector) scanObjects(ctx context.Context) {
	// Reads go through the JSON API (alt=media) at the Storage API's own
	// endpoint, so an endpoint override applies to them as to listings.
	client, err := storage.NewClient(ctx, append(c.clientOptions(APIStorage), storage.WithJSONReads())...)
	if err != nil {
		c.opts.Logger.Warn("object scan: no storage client", "error", err)
		return
	}
	defer client.Close()
	lim := c.opts.ConfigScanLimits.WithDefaults()
	budget := credscan.NewBudget(lim.MaxTotalBytes)
	salt := credscan.Salt(c.opts.CredentialSalt)
	for _, a := range c.inv.ByType(inventory.TypeBucket) {
		if ctx.Err() != nil {
			return
		}
		reason := bucketScanReason(a)
		if reason == "" {
			continue
		}
		name := strings.TrimPrefix(a.Name, "//storage.googleapis.com/")
		scan := scanBucket(ctx, client.Bucket(name), reason, lim, budget, salt)
		c.calls.Add(int64(1 + scan.Scanned))
		c.opts.Logger.Debug("bucket scanned", "bucket", name, "reason", reason, "listed", scan.Listed, "scanned", scan.Scanned,
			"skipped", scan.Skipped, "with_credentials", len(scan.Objects))
		if c.inv.ObjectScans == nil {
			c.inv.ObjectScans = map[string]*credscan.Scan{}
		}
		c.inv.ObjectScans[a.Name] = scan
	}
}

// scanBucket lists up to lim.MaxObjects objects and inspects the small
// text ones; every object's name is checked too.
func scanBucket(ctx context.Context, bkt *storage.BucketHandle, reason string, lim credscan.Limits, budget *credscan.Budget, salt []byte) *credscan.Scan {
	scan := &credscan.Scan{Reason: reason}
	var objects []credscan.Object
	it := bkt.Objects(ctx, nil)
	for {
		o, err := it.Next()
		if errors.Is(err, iterator.Done) {
			break
		}
		if err != nil {
			scan.ListFailed(err)
			break
		}
		if len(objects) == lim.MaxObjects {
			scan.Truncated = true
			break
		}
		objects = append(objects, credscan.Object{Name: o.Name, Size: o.Size, ContentType: o.ContentType})
	}
	scan.Listed = len(objects)
	scan.InspectObjects(ctx, objects, func(ctx context.Context, name string, limit int64) (string, bool, error) {
		r, err := bkt.Object(name).NewReader(ctx)
		if err != nil {
			return "", false, err
		}
		defer r.Close()
		return credscan.ReadText(r, name, limit)
	}, lim, budget, salt)
	return scan
}
