// Package secrets recognises secret values — passwords, private keys,
// access keys, tokens, signatures, connection strings with credentials —
// by the name they are stored under and by the shape of the value, for
// every cloud alike.
//
// Two rule sets decide:
//
//   - Value patterns: the default rule set of gitleaks (github.com/zricethezav/gitleaks/v8,
//     config/gitleaks.toml, MIT licence, version pinned in go.mod), used as a
//     library, plus a few cloud shapes it does not cover (credentials in URLs
//     and DSNs, Azure SAS signatures, AWS secret access keys next to their key
//     id, key=value assignments whose key names a secret). rules.go lists them.
//   - Key names: a key (a tag, a property, an environment variable, a
//     connection-string field) whose words name a secret ("db_pass",
//     "DB_PASSWORD", "ssh_key", "master_key", "conn_str", "jwt", "sas_sig",
//     "pin", "clientSecret" ...) marks its value secret whatever it looks like.
//     keys.go has the words and the exceptions (…_id, …_arn, …_enabled,
//     has_…) that describe a secret without holding one.
//
// Nothing here returns a secret value: a Finding carries the rule that
// matched, the key it was stored under, its line, a public identifier when
// the credential has one (an AWS access key id, the host of a connection
// string) and, when asked for, a salted fingerprint. Callers use Redact to
// keep the value out of everything they store or print (docs/security.md).
package secrets

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"sort"
	"strings"
)

// Kind names what a secret is: a gitleaks rule id ("aws-access-token",
// "private-key", "jwt", "github-pat" ...) or one of breachpath's own kinds
// below.
type Kind string

// breachpath's own kinds (rules.go and keys.go).
const (
	// KindPassword is a value stored under a password-like name (password,
	// passwd, pwd, pass, passphrase, pin).
	KindPassword Kind = "password"
	// KindToken is a value stored under a token-like name (token, jwt,
	// bearer, cookie, session, api key).
	KindToken Kind = "token"
	// KindSecretKey is a value stored under a key-like name (private_key,
	// ssh_key, master_key, account_key, signing_key ...).
	KindSecretKey Kind = "secret-key"
	// KindSecret is a value stored under a name that says only "secret" or
	// "credential".
	KindSecret Kind = "secret"
	// KindConnectionString is a value stored under a connection-string name
	// (conn_str, connection_string, dsn).
	KindConnectionString Kind = "connection-string"
	// KindURLCredentials is the password of a scheme://user:password@host URL
	// or DSN.
	KindURLCredentials Kind = "url-credentials"
	// KindSASSignature is the sig= part of an Azure shared access signature.
	KindSASSignature Kind = "sas-signature"
	// KindAWSSecretAccessKey is a 40-character AWS secret access key shape
	// next to an access key id or an AWS secret key name.
	KindAWSSecretAccessKey Kind = "aws-secret-access-key"
	// KindLoginPassword is the password of a local operating-system account
	// that a script sets (echo "user:password" | chpasswd); Key names the
	// account.
	KindLoginPassword Kind = "login-password"
	// KindAWSAccessKeyID is an AWS access key id (AKIA..., ASIA...): a public
	// identifier, reported so callers know a credential is present, never
	// redacted. Its gitleaks rule id is "aws-access-token".
	KindAWSAccessKeyID Kind = "aws-access-token"
)

// Finding is one secret found in a text. It never holds the secret.
type Finding struct {
	// Kind is the rule that matched.
	Kind Kind `json:"kind"`
	// Source names the rule set: "gitleaks" or "breachpath".
	Source string `json:"source"`
	// Key is the name the value was assigned to in the text ("DB_PASSWORD" in
	// "DB_PASSWORD=..."), or the key the caller classified; empty when the
	// text does not say.
	Key string `json:"key,omitempty"`
	// Line is the 1-based line of the text the secret starts on.
	Line int `json:"line"`
	// KeyID is a public identifier of the credential when it has one: the
	// access key id of an AWS key, the host of a URL or connection string.
	KeyID string `json:"key_id,omitempty"`
	// Identifier is true when the match is itself a public identifier (an AWS
	// access key id) rather than a secret value: it says a credential is
	// there, and Redact leaves it in place.
	Identifier bool `json:"identifier,omitempty"`
	// Fingerprint is a salted, truncated HMAC-SHA256 of the value (see
	// Fingerprint); empty unless Find was given a salt.
	Fingerprint string `json:"fingerprint,omitempty"`
}

// Fingerprint returns a salted fingerprint of a secret value: the first 16
// bytes of HMAC-SHA256(salt, value) in hex, prefixed "hmac-sha256:". The same
// value under the same salt gives the same fingerprint, so two places that
// hold one credential can be told apart from two credentials without either
// value being kept. A caller picks a salt of its own (per store or per
// collection) so fingerprints cannot be matched against a list of guesses by
// anyone who lacks it.
func Fingerprint(salt []byte, value string) string {
	m := hmac.New(sha256.New, salt)
	m.Write([]byte(value))
	return "hmac-sha256:" + hex.EncodeToString(m.Sum(nil)[:16])
}

// match is one secret found, with where its value sits in the text. It
// stays inside the package: Finding is what leaves.
type match struct {
	Finding
	start, end int // the secret value's byte range in the text
	value      string
	prec       int // the rule's precedence: lower is more specific
}

// Find returns the secrets in text, in order of position. With a non-nil
// salt each finding carries the value's Fingerprint(salt, value).
func Find(text string, salt []byte) []Finding {
	ms := scan(text)
	out := make([]Finding, len(ms))
	for i, m := range ms {
		out[i] = m.Finding
		if salt != nil && !m.Identifier {
			out[i].Fingerprint = Fingerprint(salt, m.value)
		}
	}
	return out
}

// Contains reports whether text holds a secret value (identifiers such as an
// AWS access key id alone do not count).
func Contains(text string) bool {
	for _, m := range scan(text) {
		if !m.Identifier {
			return true
		}
	}
	return false
}

// RedactedPrefix starts every replacement Redact and RedactValue make, so a
// reader (and a test) can tell a removed value from data.
const RedactedPrefix = "[redacted:"

// Redacted is the text that stands in for a removed secret of the kind.
func Redacted(k Kind) string { return RedactedPrefix + string(k) + "]" }

// IsRedacted reports whether s is exactly a Redacted replacement.
func IsRedacted(s string) bool {
	return strings.HasPrefix(s, RedactedPrefix) && strings.HasSuffix(s, "]") && !strings.ContainsAny(s[len(RedactedPrefix):len(s)-1], "[] \n")
}

// Redact returns text with every secret value replaced by Redacted(kind),
// and the findings (without fingerprints). Identifiers stay.
func Redact(text string) (string, []Finding) {
	ms := scan(text)
	if len(ms) == 0 {
		return text, nil
	}
	var b strings.Builder
	out := make([]Finding, 0, len(ms))
	last := 0
	for _, m := range ms {
		out = append(out, m.Finding)
		if m.Identifier {
			continue
		}
		b.WriteString(text[last:m.start])
		b.WriteString(Redacted(m.Kind))
		last = m.end
	}
	b.WriteString(text[last:])
	return b.String(), out
}

// Classify says whether the value stored under key is a secret, and of
// which kind: the key's name decides first (KeyKind), then the value's shape
// (the first non-identifier finding of Find).
func Classify(key, value string) (Kind, bool) {
	if k, ok := KeyKind(key); ok && value != "" && !placeholder(value) {
		return k, true
	}
	for _, m := range scan(value) {
		if !m.Identifier {
			return m.Kind, true
		}
	}
	return "", false
}

// RedactValue returns the value stored under key with its secrets removed:
// the whole value when the key names a secret (Redacted(kind)), otherwise
// the value with each secret part replaced (Redact). changed says whether
// anything was removed. Values that are already redacted stay as they are,
// so redacting twice changes nothing.
func RedactValue(key, value string) (out string, kind Kind, changed bool) {
	var s Scrubber
	return s.Value(key, value)
}

// placeholder reports values that stand for a secret without being one: an
// empty or masked value, a template reference, a reference to a secret
// store. They are left alone so that, for example, a tag
// "db_password=${ssm:/prod/db}" keeps saying where the password lives.
func placeholder(v string) bool {
	t := strings.TrimSpace(v)
	if t == "" || IsRedacted(t) {
		return true
	}
	if strings.Trim(t, "*xX•.") == "" { // "****", "xxxx"
		return true
	}
	switch strings.ToLower(t) {
	case "null", "none", "nil", "true", "false", "redacted", "<redacted>", "[redacted]":
		return true
	}
	if (strings.HasPrefix(t, "${") || strings.HasPrefix(t, "{{")) && (strings.HasSuffix(t, "}") || strings.HasSuffix(t, "}}")) {
		return true
	}
	for _, ref := range []string{"arn:aws:secretsmanager:", "arn:aws:ssm:", "resolve:secretsmanager:", "resolve:ssm", "@microsoft.keyvault(", "projects/"} {
		if strings.HasPrefix(strings.ToLower(t), ref) {
			return true
		}
	}
	return false
}

// scan runs every rule over text and returns the matches, earliest first,
// with overlaps resolved: of two matches over the same bytes the one from
// the more specific rule (earlier in rules()) wins.
func scan(text string) []match {
	if len(text) < minSecretLen {
		return nil
	}
	if identifierOnly(text) {
		return nil
	}
	rs := ruleSet()
	var done [][]int
	if strings.Contains(text, RedactedPrefix) {
		done = redaction.FindAllStringIndex(text, -1)
	}
	var all []match
	for _, r := range rs.candidates(text) {
		all = r.find(text, done, all)
	}
	if len(all) == 0 {
		return nil
	}
	// Stable order: by start, then by rule precedence (already the order
	// of appending within a start); drop any match overlapping a kept one.
	sort.SliceStable(all, func(i, j int) bool {
		if all[i].start != all[j].start {
			return all[i].start < all[j].start
		}
		return all[i].prec < all[j].prec
	})
	kept := all[:0]
	for _, m := range all {
		overlap := false
		for k := range kept {
			if m.start < kept[k].end && kept[k].start < m.end {
				overlap = true
				if m.prec < kept[k].prec && !m.Identifier {
					kept[k] = m // the more specific rule names it
				}
				break
			}
		}
		if !overlap {
			kept = append(kept, m)
		}
	}
	for i := range kept {
		kept[i].Line = 1 + strings.Count(text[:kept[i].start], "\n")
	}
	return kept
}

// identifierOnly reports a value that is one cloud resource identifier (an
// ARN, an Azure resource id, a GCP full resource name): names, not
// configuration, and the most common long value in a snapshot, so skipping
// them keeps ingest fast.
func identifierOnly(s string) bool {
	if !strings.HasPrefix(s, "arn:") && !strings.HasPrefix(s, "/subscriptions/") && !strings.HasPrefix(s, "//") {
		return false
	}
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c <= ' ', c == '=', c == '@', c == '?', c == '&', c == ';', c == '"', c == '\'', c >= 0x7f:
			return false
		}
	}
	return true
}

// minSecretLen is the shortest value the value patterns look at; shorter
// secrets are found by their key name only.
const minSecretLen = 8

// Scrubber redacts many values in a row (every tag and property of a
// snapshot), remembering the verdict on each key name: a snapshot repeats a
// few hundred key names a million times. The zero value is ready; a
// Scrubber is not safe for concurrent use.
type Scrubber struct {
	keys map[string]keyVerdict
	// vals remembers what Redact made of a value: tag values, evidence
	// lines and policy names repeat across a snapshot's rows, and scanning
	// them again was most of the cost of redacting an unchanged estate
	vals map[string]valueVerdict
}

type valueVerdict struct {
	out     string
	kind    Kind
	changed bool
}

// maxCachedValues and maxCachedValueLen bound the Scrubber's value cache:
// long values rarely repeat.
const (
	maxCachedValues   = 1 << 16
	maxCachedValueLen = 512
)

type keyVerdict struct {
	kind   Kind
	secret bool
}

// maxCachedKeys bounds the Scrubber's memory when key names are hostile
// (every tag key different).
const maxCachedKeys = 4096

// Value is RedactValue with the key's verdict cached.
func (s *Scrubber) Value(key, value string) (out string, kind Kind, changed bool) {
	if IsRedacted(value) {
		return value, "", false
	}
	v, ok := s.keys[key]
	if !ok {
		v.kind, v.secret = KeyKind(key)
		if s.keys == nil {
			s.keys = make(map[string]keyVerdict)
		}
		if len(s.keys) < maxCachedKeys {
			s.keys[key] = v
		}
	}
	if v.secret && value != "" && !placeholder(value) {
		return Redacted(v.kind), v.kind, true
	}
	if c, ok := s.vals[value]; ok {
		return c.out, c.kind, c.changed
	}
	out, kind, changed = redactedValue(value)
	if len(value) <= maxCachedValueLen {
		if s.vals == nil {
			s.vals = make(map[string]valueVerdict)
		}
		if len(s.vals) < maxCachedValues {
			s.vals[value] = valueVerdict{out, kind, changed}
		}
	}
	return out, kind, changed
}

// redactedValue is Value once the key has been found not to name a secret:
// the verdict depends on the value alone.
func redactedValue(value string) (out string, kind Kind, changed bool) {
	red, fs := Redact(value)
	for _, f := range fs {
		if !f.Identifier {
			return red, f.Kind, true
		}
	}
	return value, "", false
}
