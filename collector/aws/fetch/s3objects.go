package fetch

import (
	"context"
	"path"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/breachpath/breachpath/collector/aws/inventory"
	"github.com/breachpath/breachpath/collector/credscan"
)

// The opt-in configuration-object scan (collect aws --scan-config-objects).
// Keys and small text objects of buckets that hold configuration by their
// name or tags are read with s3:GetObject and scanned like every other
// configuration location (credscan.go): only the findings are kept, the
// content is dropped as soon as it has been scanned. It is the collector's
// one data-plane read, so it is off by default and capped
// (docs/aws-collector.md).

// ConfigScanLimits caps the configuration-object scan (the caps every
// cloud's scan shares, collector/credscan).
type ConfigScanLimits = credscan.Limits

// DefaultConfigScanLimits are the caps used for zero ConfigScanLimits fields.
var DefaultConfigScanLimits = credscan.DefaultLimits

// ConfigBucketWords are the bucket-name words (split on '-', '.', '_')
// that mark a bucket as holding configuration.
var ConfigBucketWords = credscan.ConfigWords

// ConfigScanTag is the tag that decides a bucket's scan whatever its name:
// "true" scans it, "false" never does.
const ConfigScanTag = credscan.ScanTag

// configBucketReason says why a bucket holds configuration, "" when it does not.
func configBucketReason(name string, tags inventory.Tags) string {
	return credscan.ConfigReason(name, tags)
}

// credentialFileName reports an object key named like a file that holds credentials.
func credentialFileName(key string) bool { return credscan.CredentialFileName(key) }

// kindCredentialFile is a credential known only by its object's name.
const kindCredentialFile = credscan.KindCredentialFile

// configScanBudget is the byte budget shared by every bucket of one collection.
type configScanBudget = credscan.Budget

// scanConfigObjects lists a configuration bucket's keys and scans the
// small text objects (and every key name) for credentials.
func (s *session) scanConfigObjects(ctx context.Context, client *s3.Client, bk *inventory.Bucket, budget *configScanBudget, inRegion func(*s3.Options)) {
	reason := configBucketReason(bk.Name, bk.Tags)
	if reason == "" {
		return
	}
	lim := s.opts.ConfigScanLimits.WithDefaults()
	scan := &inventory.BucketConfigScan{Reason: reason}
	bk.ConfigScan = scan
	type object struct {
		key  string
		size int64
	}
	var objects []object
	p := s3.NewListObjectsV2Paginator(client, &s3.ListObjectsV2Input{Bucket: aws.String(bk.Name), MaxKeys: aws.Int32(int32(min(lim.MaxObjects, 1000)))})
	for p.HasMorePages() && len(objects) < lim.MaxObjects {
		page, err := p.NextPage(ctx, inRegion)
		if err != nil {
			bk.Errors = append(bk.Errors, s.detail(ServiceS3, "config-objects", "", bk.ARN, err))
			break
		}
		for _, o := range page.Contents {
			if len(objects) == lim.MaxObjects {
				scan.Truncated = true
				break
			}
			objects = append(objects, object{aws.ToString(o.Key), aws.ToInt64(o.Size)})
		}
	}
	if p.HasMorePages() {
		scan.Truncated = true
	}
	scan.Listed = len(objects)
	for _, o := range objects {
		if ctx.Err() != nil {
			return
		}
		loc := inventory.ObjectCredentialLocation(o.key)
		cs := credentialScan{salt: s.salt}
		read := false
		switch {
		case o.size == 0:
		case o.size > lim.MaxObjectBytes || credscan.BinaryName(o.key):
		case !budget.Take(o.size):
		default:
			text, ok, err := s.readTextObject(ctx, client, bk.Name, o.key, lim.MaxObjectBytes, inRegion)
			if err != nil {
				bk.Errors = append(bk.Errors, s.detail(ServiceS3, "config-objects", "", bk.ARN+"/"+o.key, err))
				break
			}
			if read = ok; ok {
				cs.add(loc, path.Base(o.key), text)
			}
		}
		if read {
			scan.Scanned++
		} else if o.size > 0 {
			scan.Skipped++
		}
		// The key name is scanned too ("exports/AKIA…_accessKeys.csv" names an access key id).
		cs.add(loc, "", o.key)
		creds := cs.result()
		for i := range creds {
			// Every location names its object: one bucket holds many.
			if !strings.HasPrefix(creds[i].Location, loc) {
				creds[i].Location = loc + ":" + creds[i].Location
			}
		}
		if !read && credentialFileName(o.key) {
			// The name says what the unread content is: readers of the object hold a credential file.
			creds = append(creds, inventory.ConfigCredential{Location: loc, Kind: kindCredentialFile, Key: path.Base(o.key)})
		}
		if len(creds) > 0 {
			obj := inventory.ConfigObject{Key: o.key, Size: o.size, Credentials: creds}
			// Who else may read it: the object's own ACL, unless ACLs are disabled
			// (BucketOwnerEnforced), in which case only policies decide.
			if bk.ObjectOwnership != string(s3types.ObjectOwnershipBucketOwnerEnforced) {
				acl, err := client.GetObjectAcl(ctx, &s3.GetObjectAclInput{Bucket: aws.String(bk.Name), Key: aws.String(o.key)}, inRegion)
				if err != nil {
					bk.Errors = append(bk.Errors, s.detail(ServiceS3, "object-acl", "", bk.ARN+"/"+o.key, err))
				} else {
					obj.ACL = grants(acl.Grants)
				}
			}
			scan.Objects = append(scan.Objects, obj)
		}
	}
	s.log.Debug("config bucket scanned", "bucket", bk.Name, "reason", reason, "listed", scan.Listed, "scanned", scan.Scanned,
		"skipped", scan.Skipped, "with_credentials", len(scan.Objects))
}

// readTextObject reads one object up to limit bytes; ok is false when the
// content is not text (by content type or bytes) and must not be scanned.
func (s *session) readTextObject(ctx context.Context, client *s3.Client, bucket, key string, limit int64, inRegion func(*s3.Options)) (string, bool, error) {
	out, err := client.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)}, inRegion)
	if err != nil {
		return "", false, err
	}
	defer out.Body.Close()
	if !credscan.TextContentType(aws.ToString(out.ContentType)) {
		return "", false, nil
	}
	return credscan.ReadText(out.Body, key, limit)
}
