// Package credscan holds what every cloud's opt-in object scan
// (collect <cloud> --scan-config-objects) shares: which buckets or
// containers hold configuration, which objects are worth reading, the byte
// budget, and the recogniser of credentials inside an object (Inspect).
// It knows no cloud: each collector lists and reads its own storage, and
// matches what Inspect found (an SSH key's public fingerprint, a
// certificate's thumbprint, a service-account key id) against its own
// hosts and principals. Nothing here returns a secret value
// (docs/security.md).
package credscan

import (
	"crypto/rand"
	"path"
	"strings"
	"sync/atomic"
	"unicode/utf8"
)

// Limits caps one collection's object scan.
type Limits struct {
	// MaxObjects is the number of keys listed per bucket or container.
	MaxObjects int
	// MaxObjectBytes is the largest object read; larger ones are skipped.
	MaxObjectBytes int64
	// MaxTotalBytes bounds the bytes read over the whole collection.
	MaxTotalBytes int64
}

// DefaultLimits are the caps used for zero Limits fields.
var DefaultLimits = Limits{MaxObjects: 1000, MaxObjectBytes: 256 << 10, MaxTotalBytes: 64 << 20}

// WithDefaults fills zero fields from DefaultLimits.
func (l Limits) WithDefaults() Limits {
	d := DefaultLimits
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

// ConfigWords are the bucket- or container-name words (split on '-', '.',
// '_') that mark it as holding configuration or credentials.
var ConfigWords = []string{"config", "configs", "configuration", "configurations", "settings", "env", "envs", "environment",
	"dotenv", "secret", "deploy", "deployment", "deployments", "terraform", "tfstate", "state", "backup", "backups", "secrets", "credentials", "keys",
	"cert", "certs", "certificate", "certificates", "pki", "ssh"}

// ScanTag is the tag (AWS) that decides a bucket's scan whatever its name:
// "true" scans it, "false" never does. ScanLabel is the same decision
// where tag keys may not hold ':' (Azure storage-account tags, GCP bucket
// labels).
const (
	ScanTag   = "breachpath:config-scan"
	ScanLabel = "breachpath-config-scan"
)

// ConfigReason says why a bucket or container named name, with tags,
// holds configuration; "" when it does not. A tag ScanTag or ScanLabel
// decides first ("true" scans, anything else never does), then the words
// of the name.
func ConfigReason(name string, tags map[string]string) string {
	for k, v := range tags {
		if strings.EqualFold(k, ScanTag) || strings.EqualFold(k, ScanLabel) {
			if strings.EqualFold(strings.TrimSpace(v), "true") {
				return "tag " + k + "=true"
			}
			return ""
		}
	}
	return nameReason(name)
}

// Excluded reports a tag that turns the scan off ("false") whatever else
// would select the bucket.
func Excluded(tags map[string]string) bool {
	for k, v := range tags {
		if strings.EqualFold(k, ScanTag) || strings.EqualFold(k, ScanLabel) {
			return !strings.EqualFold(strings.TrimSpace(v), "true")
		}
	}
	return false
}

func nameReason(name string) string {
	for _, w := range strings.FieldsFunc(strings.ToLower(name), func(r rune) bool { return r == '-' || r == '.' || r == '_' }) {
		for _, cw := range ConfigWords {
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

// BinaryName reports an object key whose suffix says it is not text.
func BinaryName(key string) bool { return binaryExtensions[strings.ToLower(path.Ext(key))] }

// CredentialFileName reports an object key named like a file that holds
// credentials: a key pair, a .env file, a cloud credentials file, a
// Terraform state, a key store.
func CredentialFileName(key string) bool {
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

// KindCredentialFile is a credential known only by its object's name (the
// content was not read: too large, binary or over the budget).
const KindCredentialFile = "credential-file"

// TextContentType reports a content type that may hold text (stores keep
// unknown types as application/octet-stream, so that one is decided by
// content).
func TextContentType(ct string) bool {
	ct = strings.ToLower(ct)
	for _, p := range []string{"image/", "audio/", "video/", "font/", "application/zip", "application/gzip", "application/x-gzip",
		"application/pdf", "application/x-tar", "application/java-archive", "application/vnd."} {
		if strings.HasPrefix(ct, p) {
			return false
		}
	}
	return true
}

// LooksText reports content that is text: valid UTF-8 without NUL bytes.
func LooksText(b []byte) bool {
	return utf8.Valid(b) && !strings.ContainsRune(string(b), 0)
}

// Budget is the byte budget shared by every bucket of one collection.
type Budget struct{ left atomic.Int64 }

// NewBudget returns a budget of n bytes.
func NewBudget(n int64) *Budget {
	b := &Budget{}
	b.left.Store(n)
	return b
}

// Take reserves n bytes of the budget, false when not enough is left.
func (b *Budget) Take(n int64) bool {
	if b.left.Add(-n) < 0 {
		b.left.Add(n)
		return false
	}
	return true
}

// Salt returns the salt of credential fingerprints: the one given, or 16
// random bytes for this collection.
func Salt(given []byte) []byte {
	if given != nil {
		return given
	}
	salt := make([]byte, 16)
	_, _ = rand.Read(salt)
	return salt
}
