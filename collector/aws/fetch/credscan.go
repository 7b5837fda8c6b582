package fetch

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/breachpath/breachpath/collector/aws/inventory"
	"github.com/breachpath/breachpath/graph/secrets"
)

// This file finds credentials in configuration text: environment values,
// user data, parameter values, build settings. It returns where they are,
// their kind, their public identifier and a salted fingerprint — never a
// value; the caller drops the text as soon as it has been scanned.
//
// Detection is the cloud-neutral detector of graph/secrets (gitleaks' rule
// set plus breachpath's cloud shapes: credentials in URLs and connection
// strings, AWS secret access keys next to their key id, key=value
// assignments under a secret name), so every cloud and every redaction uses
// one rule set. What stays here is AWS-specific: joining an access key id
// with its secret key, and a whole value stored under a secret-looking name.

// secretHit is one credential found in a text (never its value).
type secretHit struct {
	Kind        string
	Key         string // the name it was assigned to, when the text says
	Line        int
	KeyID       string // AWS access key id, when it is one or names one
	Endpoint    string // host of a URL or connection string
	Identifier  bool   // the match is an identifier (access key id), not a secret
	Fingerprint string
}

// Credential kinds: graph/secrets kinds (gitleaks rule ids or breachpath's own).
const (
	kindAccessKeyID     = string(secrets.KindAWSAccessKeyID)
	kindSecretAccessKey = string(secrets.KindAWSSecretAccessKey)
	kindPrivateKey      = "private-key" // gitleaks rule id
	kindURLCredentials  = string(secrets.KindURLCredentials)
	kindPassword        = string(secrets.KindPassword)
)

var reAccessKeyID = regexp.MustCompile(`\b(?:AKIA|ASIA|ABIA|ACCA)[A-Z2-7]{16}\b`)

// placeholder reports a value that stands for a secret without being one
// ("changeme", "${DB_PASSWORD}", an ARN): a whole value under a
// secret-looking name is reported only when it is not one.
func placeholder(v string) bool {
	l := strings.ToLower(strings.Trim(v, `"' `))
	if len(l) < 4 || strings.HasPrefix(l, "${") || strings.HasPrefix(l, "{{") || strings.HasPrefix(l, "arn:") ||
		strings.HasPrefix(l, "$(") || strings.HasPrefix(l, "<") {
		return true
	}
	for _, p := range []string{"changeme", "example", "placeholder", "xxxx", "redacted", "none", "null", "true", "false", "****"} {
		if strings.Contains(l, p) {
			return true
		}
	}
	return false
}

// awsSecretName reports a name that holds an AWS secret access key
// (AWS_SECRET_ACCESS_KEY, aws_secret, SecretAccessKey).
func awsSecretName(key string) bool {
	norm := strings.ToLower(strings.NewReplacer("_", "", "-", "", ".", "", " ", "").Replace(key))
	return strings.Contains(norm, "secretaccesskey") || (strings.Contains(norm, "aws") && strings.Contains(norm, "secret"))
}

// secretHits scans text with graph/secrets. key, when set, is the name the
// whole text is stored under (an environment variable): a secret-looking
// name makes the value a secret whatever its shape.
func secretHits(key, text string, salt []byte) []secretHit {
	var out []secretHit
	keyID := reAccessKeyID.FindString(text)
	secretsFound := false
	for _, f := range secrets.Find(text, salt) {
		h := secretHit{Kind: string(f.Kind), Key: f.Key, Line: f.Line, Identifier: f.Identifier, Fingerprint: f.Fingerprint}
		if h.Key == "" {
			h.Key = key
		}
		switch {
		case f.Kind == secrets.KindAWSAccessKeyID:
			if h.KeyID = f.KeyID; h.KeyID == "" {
				continue
			}
		case f.Kind == secrets.KindAWSSecretAccessKey:
			h.KeyID = f.KeyID
		case awsSecretName(h.Key):
			// A secret assigned to an AWS secret key name is that key, whatever rule saw it.
			h.Kind, h.KeyID = kindSecretAccessKey, keyID
		default:
			h.Endpoint = withPort(text, f.Line, strings.ToLower(f.KeyID))
		}
		if !h.Identifier {
			secretsFound = true
		}
		out = append(out, h)
	}
	if secretsFound {
		return out
	}
	// A value alone does not tell the detector it is an AWS key (its AWS rule wants the text to
	// name AWS); the name it is stored under does: a secret-key shape under a name that says
	// secret or AWS ("EC2_SECRET_KEY_ID" in CloudGoat ec2_ssrf) is one.
	lkey := strings.ToLower(key)
	if v := strings.TrimSpace(text); (strings.Contains(lkey, "secret") || strings.Contains(lkey, "aws")) && secretKeyShape(v) {
		return append(out, secretHit{Kind: kindSecretAccessKey, Key: key, Line: 1, KeyID: keyID, Fingerprint: secrets.Fingerprint(salt, v)})
	}
	// The whole text under a secret-looking name.
	if kind, ok := secrets.KeyKind(key); ok && kind != secrets.KindAWSAccessKeyID &&
		!placeholder(text) && !reAccessKeyID.MatchString(strings.TrimSpace(text)) {
		h := secretHit{Kind: string(kind), Key: key, Line: 1, Fingerprint: secrets.Fingerprint(salt, text)}
		if awsSecretName(key) {
			h.Kind, h.KeyID = kindSecretAccessKey, keyID
		}
		out = append(out, h)
	}
	return out
}

// secretKeyShape reports a value shaped like an AWS secret access key: 40
// base64 characters mixing upper case, lower case and digits.
func secretKeyShape(v string) bool {
	if len(v) != 40 {
		return false
	}
	var lower, upper, digit bool
	for i := 0; i < len(v); i++ {
		switch c := v[i]; {
		case c >= 'a' && c <= 'z':
			lower = true
		case c >= 'A' && c <= 'Z':
			upper = true
		case c >= '0' && c <= '9':
			digit = true
		case c == '/' || c == '+':
		default:
			return false
		}
	}
	return lower && upper && digit
}

// withPort adds the port written after host on the finding's line
// ("db.example.com" -> "db.example.com:5432"), so the endpoint says what
// the credential connects to.
func withPort(text string, line int, host string) string {
	if host == "" {
		return ""
	}
	lines := strings.SplitN(text, "\n", line+1)
	if line < 1 || line > len(lines) {
		return host
	}
	l := strings.ToLower(lines[line-1])
	i := strings.Index(l, host+":")
	if i < 0 {
		return host
	}
	port := l[i+len(host)+1:]
	n := 0
	for n < len(port) && n < 5 && port[n] >= '0' && port[n] <= '9' {
		n++
	}
	if n == 0 {
		return host
	}
	return host + ":" + port[:n]
}

// credentialScan collects the credentials of one resource's configuration,
// joining an access key id found anywhere in it with the secret key of the
// same configuration (AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY are two
// variables).
type credentialScan struct {
	salt  []byte
	creds []inventory.ConfigCredential
	ids   []string
}

// add scans one value stored under key at location ("environment:NAME").
func (c *credentialScan) add(location, key, value string) {
	if value == "" {
		return
	}
	for _, h := range secretHits(key, value, c.salt) {
		if h.Identifier {
			c.ids = append(c.ids, h.KeyID)
			continue
		}
		loc := location
		if h.Line > 1 || strings.Contains(value, "\n") {
			loc = fmt.Sprintf("%s:line %d", location, h.Line)
		}
		c.creds = append(c.creds, inventory.ConfigCredential{Location: loc, Kind: h.Kind, Key: h.Key, KeyID: h.KeyID,
			Endpoint: h.Endpoint, Fingerprint: h.Fingerprint})
	}
}

// result returns the credentials: a secret access key without its id takes
// the configuration's only access key id; a key id without any secret is
// reported on its own (a key is there, its secret may be elsewhere).
func (c *credentialScan) result() []inventory.ConfigCredential {
	ids := uniq(c.ids)
	used := map[string]bool{}
	for i := range c.creds {
		cr := &c.creds[i]
		if cr.Kind == kindSecretAccessKey && cr.KeyID == "" && len(ids) == 1 {
			cr.KeyID = ids[0]
		}
		used[cr.KeyID] = true
	}
	for _, id := range ids {
		if !used[id] {
			c.creds = append(c.creds, inventory.ConfigCredential{Location: "access-key-id", Kind: kindAccessKeyID, KeyID: id})
		}
	}
	return c.creds
}

func uniq(in []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, s := range in {
		if !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	return out
}
