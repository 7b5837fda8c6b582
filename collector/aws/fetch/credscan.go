package fetch

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"regexp"
	"strings"

	"github.com/breachpath/breachpath/collector/aws/inventory"
)

// This file finds credentials in configuration text: environment values,
// user data, parameter values, build settings. It returns where they are,
// their kind, their public identifier and a salted fingerprint — never a
// value; the caller drops the text as soon as it has been scanned.
//
// The rules are deliberately few and shaped after the credentials the AWS
// labs and real incidents leave in configuration: AWS access key pairs,
// private keys, passwords in URLs and connection strings, JWTs and values
// stored under a secret-looking name. The cloud-neutral secret detector of
// graph/secrets (gitleaks' rule set) replaces secretHits when it lands.

// secretHit is one credential found in a text (never its value).
type secretHit struct {
	Kind        string
	Key         string // the name it was assigned to, when the text says
	Line        int
	KeyID       string // AWS access key id, when it is one or names one
	Endpoint    string // host[:port] of a URL or connection string
	Identifier  bool   // the match is an identifier (access key id), not a secret
	Fingerprint string
}

const (
	kindAccessKeyID     = "aws-access-token"
	kindSecretAccessKey = "aws-secret-access-key"
	kindPrivateKey      = "private-key"
	kindURLCredentials  = "url-credentials"
	kindPassword        = "password"
	kindToken           = "token"
	kindJWT             = "jwt"
	kindSecret          = "secret"
)

var (
	reAccessKeyID = regexp.MustCompile(`\b(?:AKIA|ASIA|ABIA|ACCA)[A-Z2-7]{16}\b`)
	reSecretKey   = regexp.MustCompile(`(?:^|[^A-Za-z0-9/+])([A-Za-z0-9/+]{40})(?:[^A-Za-z0-9/+=]|$)`)
	rePrivateKey  = regexp.MustCompile(`-----BEGIN[ A-Z0-9]*PRIVATE KEY( BLOCK)?-----`)
	reURLCreds    = regexp.MustCompile(`(?i)\b[a-z][a-z0-9+.\-]{1,30}://([^\s:/?#@'"]{1,200}):([^\s/?#@'"]{1,500})@([^\s/?#'"@]{1,255})`)
	reJWT         = regexp.MustCompile(`\beyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}`)
	reAssign      = regexp.MustCompile(`(?:^|[\s"'{,;&?(])(?:export[ \t]+)?([A-Za-z_][A-Za-z0-9_.\-]{0,100})["']?[ \t]*(?::=|=>|=|:)[ \t]*("[^"\n]{1,1000}"|'[^'\n]{1,1000}'|[^\s"',;&}]{1,1000})`)
	reHostPort    = regexp.MustCompile(`(?i)(?:^|[;\s])(?:server|host|hostname|data source|address|endpoint)\s*=\s*([A-Za-z0-9.\-]+(?:[:,]\d+)?)`)
)

// secretWords name a secret in a key ("DB_PASSWORD", "apiToken").
var secretWords = []struct {
	word string
	kind string
}{
	{"password", kindPassword}, {"passwd", kindPassword}, {"pwd", kindPassword}, {"passphrase", kindPassword},
	{"secretaccesskey", kindSecretAccessKey}, {"secret", kindSecret}, {"token", kindToken}, {"apikey", kindToken},
	{"privatekey", kindPrivateKey}, {"credential", kindSecret}, {"connectionstring", kindPassword}, {"dsn", kindPassword},
}

// describing words mean the key describes a secret without holding it.
var describingSuffix = []string{"id", "arn", "name", "names", "length", "enabled", "type", "version", "path", "file", "url", "uri", "ref", "rotation", "policy", "kms", "keyid", "region", "expiry"}

// keyKind reports whether a key names a secret value, and which kind.
func keyKind(key string) (string, bool) {
	norm := strings.ToLower(strings.NewReplacer("_", "", "-", "", ".", "", " ", "").Replace(key))
	words := strings.FieldsFunc(strings.ToLower(camelSplit(key)), func(r rune) bool { return r == '_' || r == '-' || r == '.' || r == ' ' })
	if len(words) > 0 {
		last := words[len(words)-1]
		for _, d := range describingSuffix {
			if last == d {
				return "", false
			}
		}
	}
	if strings.HasSuffix(norm, "pass") {
		return kindPassword, true
	}
	for _, w := range secretWords {
		if strings.Contains(norm, w.word) {
			return w.kind, true
		}
	}
	return "", false
}

// camelSplit puts an underscore before each upper-case letter that follows
// a lower-case one ("dbPassword" -> "db_Password").
func camelSplit(s string) string {
	var b strings.Builder
	for i, r := range s {
		if i > 0 && r >= 'A' && r <= 'Z' {
			if p := s[i-1]; p >= 'a' && p <= 'z' {
				b.WriteByte('_')
			}
		}
		b.WriteRune(r)
	}
	return b.String()
}

func placeholder(v string) bool {
	l := strings.ToLower(strings.Trim(v, `"' `))
	if len(l) < 4 || strings.HasPrefix(l, "${") || strings.HasPrefix(l, "{{") || strings.HasPrefix(l, "arn:") ||
		strings.HasPrefix(l, "{{resolve:") || strings.HasPrefix(l, "$(") || strings.HasPrefix(l, "<") {
		return true
	}
	for _, p := range []string{"changeme", "example", "placeholder", "xxxx", "redacted", "none", "null", "true", "false", "****"} {
		if strings.Contains(l, p) {
			return true
		}
	}
	return false
}

func fingerprint(salt []byte, value string) string {
	m := hmac.New(sha256.New, salt)
	m.Write([]byte(value))
	return "hmac-sha256:" + hex.EncodeToString(m.Sum(nil)[:16])
}

func lineOf(text string, pos int) int { return strings.Count(text[:pos], "\n") + 1 }

// secretHits scans text. key, when set, is the name the whole text is
// stored under (an environment variable): a secret-looking name makes the
// value a secret whatever its shape.
func secretHits(key, text string, salt []byte) []secretHit {
	var out []secretHit
	taken := map[[2]int]bool{}
	add := func(h secretHit, start, end int, value string) {
		if taken[[2]int{start, end}] {
			return
		}
		taken[[2]int{start, end}] = true
		h.Line = lineOf(text, start)
		if !h.Identifier {
			h.Fingerprint = fingerprint(salt, value)
		}
		out = append(out, h)
	}
	keyID := reAccessKeyID.FindString(text)
	for _, m := range rePrivateKey.FindAllStringIndex(text, -1) {
		end := strings.Index(text[m[1]:], "-----END")
		if end < 0 {
			end = len(text) - m[1]
		}
		add(secretHit{Kind: kindPrivateKey, Key: key}, m[0], m[1]+end, text[m[0]:m[1]+end])
	}
	for _, m := range reURLCreds.FindAllStringSubmatchIndex(text, -1) {
		pw := text[m[4]:m[5]]
		if placeholder(pw) {
			continue
		}
		add(secretHit{Kind: kindURLCredentials, Key: key, Endpoint: strings.ToLower(text[m[6]:m[7]])}, m[4], m[5], pw)
	}
	for _, m := range reJWT.FindAllStringIndex(text, -1) {
		add(secretHit{Kind: kindJWT, Key: key}, m[0], m[1], text[m[0]:m[1]])
	}
	awsContext := keyID != "" || strings.Contains(strings.ToLower(text+key), "aws") || strings.Contains(strings.ToLower(text+key), "secret")
	if awsContext {
		for _, m := range reSecretKey.FindAllStringSubmatchIndex(text, -1) {
			v := text[m[2]:m[3]]
			if !mixedClasses(v) {
				continue
			}
			add(secretHit{Kind: kindSecretAccessKey, Key: key, KeyID: keyID}, m[2], m[3], v)
		}
	}
	// key=value assignments inside the text (user data, env files, JSON).
	for _, m := range reAssign.FindAllStringSubmatchIndex(text, -1) {
		k, v := text[m[2]:m[3]], strings.Trim(text[m[4]:m[5]], `"'`)
		kind, ok := keyKind(k)
		if !ok || placeholder(v) || reAccessKeyID.MatchString(v) {
			continue
		}
		h := secretHit{Kind: kind, Key: k, Endpoint: endpointIn(text, m[0])}
		if kind == kindSecretAccessKey || (kind == kindSecret && strings.Contains(strings.ToLower(k), "aws")) {
			h.Kind, h.KeyID = kindSecretAccessKey, keyID
		}
		add(h, m[4], m[5], v)
	}
	// The whole text under a secret-looking name.
	if kind, ok := keyKind(key); ok && len(out) == 0 && !placeholder(text) && !reAccessKeyID.MatchString(strings.TrimSpace(text)) {
		h := secretHit{Kind: kind, Key: key, Endpoint: endpointIn(text, 0)}
		if kind == kindSecretAccessKey {
			h.KeyID = keyID
		}
		add(h, 0, len(text), text)
	}
	// Access key ids are identifiers: reported so that a pair split over
	// two variables can be joined, and a lone id still says a key is there.
	for _, m := range reAccessKeyID.FindAllStringIndex(text, -1) {
		add(secretHit{Kind: kindAccessKeyID, Key: key, KeyID: text[m[0]:m[1]], Identifier: true}, m[0], m[1], "")
	}
	return out
}

// endpointIn finds a host named near pos: a URL's host or a connection
// string's Server=/Host= field on the same line.
func endpointIn(text string, pos int) string {
	start := strings.LastIndex(text[:pos], "\n") + 1
	end := strings.Index(text[pos:], "\n")
	if end < 0 {
		end = len(text) - pos
	}
	line := text[start : pos+end]
	if m := reURLCreds.FindStringSubmatch(line); m != nil {
		return strings.ToLower(m[3])
	}
	if m := reHostPort.FindStringSubmatch(line); m != nil {
		return strings.ToLower(strings.Replace(m[1], ",", ":", 1))
	}
	return ""
}

func mixedClasses(s string) bool {
	var lower, upper, digit bool
	for _, r := range s {
		switch {
		case r >= 'a' && r <= 'z':
			lower = true
		case r >= 'A' && r <= 'Z':
			upper = true
		case r >= '0' && r <= '9':
			digit = true
		}
	}
	return lower && upper && digit
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
