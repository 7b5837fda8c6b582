package fetch

import (
	"context"
	"fmt"
	"io"
	"path"
	"strings"
	"sync/atomic"
	"unicode/utf8"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/breachpath/breachpath/collector/aws/inventory"
)

// The opt-in configuration-object scan (collect aws --scan-config-objects).
// Keys and small text objects of buckets that hold configuration by their
// name or tags are read with s3:GetObject and scanned like every other
// configuration location (credscan.go): only the findings are kept, the
// content is dropped as soon as it has been scanned. It is the collector's
// one data-plane read, so it is off by default and capped
// (docs/aws-collector.md).

// ConfigScanLimits caps the configuration-object scan.
type ConfigScanLimits struct {
	// MaxObjects is the number of keys listed per bucket.
	MaxObjects int
	// MaxObjectBytes is the largest object read; larger ones are skipped.
	MaxObjectBytes int64
	// MaxTotalBytes bounds the bytes read over the whole collection.
	MaxTotalBytes int64
}

// DefaultConfigScanLimits are the caps used for zero ConfigScanLimits fields.
var DefaultConfigScanLimits = ConfigScanLimits{MaxObjects: 1000, MaxObjectBytes: 256 << 10, MaxTotalBytes: 64 << 20}

func (l ConfigScanLimits) withDefaults() ConfigScanLimits {
	d := DefaultConfigScanLimits
	if l.MaxObjects > 0 {
		d.MaxObjects = l.MaxObjects
	}
	if l.MaxObjectBytes > 0 {
		d.MaxObjectBytes = l.MaxObjectBytes
	}
	if l.MaxTotalBytes > 0 {
		d.MaxTotalBytes = l.MaxTotalBytes
	}
	return d
}

// ConfigBucketWords are the bucket-name words (split on '-', '.', '_')
// that mark a bucket as holding configuration.
var ConfigBucketWords = []string{"config", "configs", "configuration", "configurations", "settings", "env", "envs", "environment",
	"dotenv", "secret", "deploy", "deployment", "deployments", "terraform", "tfstate", "state", "backup", "backups", "secrets", "credentials", "keys"}

// ConfigScanTag is the tag that decides a bucket's scan whatever its name:
// "true" scans it, "false" never does.
const ConfigScanTag = "breachpath:config-scan"

// configBucketReason says why a bucket holds configuration, "" when it does not.
func configBucketReason(name string, tags inventory.Tags) string {
	for k, v := range tags {
		if strings.EqualFold(k, ConfigScanTag) {
			if strings.EqualFold(strings.TrimSpace(v), "true") {
				return "tag " + ConfigScanTag + "=true"
			}
			return ""
		}
	}
	for _, w := range strings.FieldsFunc(strings.ToLower(name), func(r rune) bool { return r == '-' || r == '.' || r == '_' }) {
		for _, cw := range ConfigBucketWords {
			if w == cw {
				return "name word " + cw
			}
		}
	}
	return ""
}

// binaryExtensions are object suffixes never read: archives, images,
// compiled code, key stores that are not text.
var binaryExtensions = map[string]bool{".zip": true, ".gz": true, ".tgz": true, ".tar": true, ".bz2": true, ".xz": true, ".7z": true,
	".jar": true, ".war": true, ".class": true, ".so": true, ".dll": true, ".exe": true, ".bin": true, ".img": true, ".iso": true,
	".png": true, ".jpg": true, ".jpeg": true, ".gif": true, ".pdf": true, ".mp4": true, ".parquet": true, ".avro": true, ".orc": true,
	".p12": true, ".pfx": true, ".jks": true, ".kdbx": true, ".der": true}

// credentialFileName reports an object key named like a file that holds
// credentials: a key pair, a .env file, an AWS credentials file, a
// Terraform state, a key store.
func credentialFileName(key string) bool {
	base := strings.ToLower(path.Base(key))
	switch base {
	case ".env", "credentials", "credentials.json", "credentials.csv", "id_rsa", "id_dsa", "id_ecdsa", "id_ed25519", ".netrc", ".pgpass",
		"terraform.tfstate", ".git-credentials", ".npmrc", ".pypirc", ".dockercfg":
		return true
	}
	if strings.HasPrefix(base, ".env.") || strings.HasSuffix(base, "_accesskeys.csv") {
		return true
	}
	switch path.Ext(base) {
	case ".pem", ".key", ".ppk", ".p12", ".pfx", ".jks", ".kdbx", ".tfstate":
		return true
	}
	return false
}

// kindCredentialFile is a credential known only by its object's name (the
// content was not read: too large, binary or over the budget).
const kindCredentialFile = "credential-file"

// textContentType reports a content type that may hold text (S3 stores
// unknown types as binary/octet-stream, so that one is decided by content).
func textContentType(ct string) bool {
	ct = strings.ToLower(ct)
	for _, p := range []string{"image/", "audio/", "video/", "font/", "application/zip", "application/gzip", "application/x-gzip",
		"application/pdf", "application/x-tar", "application/java-archive", "application/vnd."} {
		if strings.HasPrefix(ct, p) {
			return false
		}
	}
	return true
}

// looksText reports content that is text: valid UTF-8 without NUL bytes.
func looksText(b []byte) bool {
	return utf8.Valid(b) && !strings.ContainsRune(string(b), 0)
}

// configScanBudget is the byte budget shared by every bucket of one collection.
type configScanBudget struct{ left atomic.Int64 }

// take reserves n bytes of the budget, false when not enough is left.
func (b *configScanBudget) take(n int64) bool {
	if b.left.Add(-n) < 0 {
		b.left.Add(n)
		return false
	}
	return true
}

// scanConfigObjects lists a configuration bucket's keys and scans the
// small text objects (and every key name) for credentials.
func (s *session) scanConfigObjects(ctx context.Context, client *s3.Client, bk *inventory.Bucket, budget *configScanBudget, inRegion func(*s3.Options)) {
	reason := configBucketReason(bk.Name, bk.Tags)
	if reason == "" {
		return
	}
	lim := s.opts.ConfigScanLimits.withDefaults()
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
		case o.size > lim.MaxObjectBytes || binaryExtensions[strings.ToLower(path.Ext(o.key))]:
		case !budget.take(o.size):
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
	if !textContentType(aws.ToString(out.ContentType)) {
		return "", false, nil
	}
	b, err := io.ReadAll(io.LimitReader(out.Body, limit+1))
	if err != nil {
		return "", false, fmt.Errorf("read object %s: %w", key, err)
	}
	if int64(len(b)) > limit || !looksText(b) {
		return "", false, nil
	}
	return string(b), true, nil
}
