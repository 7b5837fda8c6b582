package secrets

import (
	"regexp"
	"strings"
	"unicode"
)

// ownRules are breachpath's value patterns for shapes that gitleaks' rule
// set does not cover and that cloud configuration is full of: credentials
// inside URLs and DSNs, Azure SAS signatures, AWS secret access keys next to
// their key id, and key=value assignments (environment files, user data,
// connection strings, JSON) whose key names a secret (KeyKind).
func ownRules() []*rule {
	return []*rule{
		{
			// echo "user:password" | chpasswd — a boot script setting a local
			// account's password (EC2 user data, cloud-init, VM custom data).
			kind: KindLoginPassword, source: "breachpath",
			re:       chpasswd,
			group:    2,
			keywords: []string{"chpasswd"},
			check:    func(_ string, _ []int, secret string) bool { return !placeholder(secret) },
			keyOf:    func(text string, sub []int) string { return text[sub[2]:sub[3]] },
		},
		{
			// scheme://user:password@host — database URLs, DSNs, broker URLs.
			kind: KindURLCredentials, source: "breachpath",
			re:       regexp.MustCompile(`(?i)\b([a-z][a-z0-9+.\-]{1,30})://([^\s:/?#@'"]{1,200}):([^\s/?#@'"]{1,500})@([^\s/:?#'"@]{1,255})`),
			group:    3,
			keywords: []string{"://"},
			check:    func(_ string, _ []int, secret string) bool { return !placeholder(secret) },
			keyID:    func(text string, sub []int) string { return text[sub[8]:sub[9]] },
			keyOf:    func(text string, sub []int) string { return assignedKey(text, sub[0]) },
		},
		{
			// Azure shared access signature: the sig= parameter is the secret.
			kind: KindSASSignature, source: "breachpath",
			re:       regexp.MustCompile(`(?i)(?:^|[?&;\s"'])sig=([A-Za-z0-9%+/=]{16,200})`),
			group:    1,
			keywords: []string{"sig="},
			keyID:    func(text string, sub []int) string { return hostBefore(text, sub[0]) },
			keyOf:    func(text string, sub []int) string { return assignedKey(text, tokenStart(text, sub[0])) },
		},
		{
			// AWS secret access key: 40 base64 characters, random-looking,
			// in a text that also names AWS or holds an access key id.
			kind: KindAWSSecretAccessKey, source: "breachpath",
			re:       regexp.MustCompile(`(?:^|[^A-Za-z0-9/+])([A-Za-z0-9/+]{40})(?:[^A-Za-z0-9/+=]|$)`),
			group:    1,
			entropy:  4.0,
			keywords: []string{"aws", "akia", "asia", "secret_access", "secretaccess"},
			pre:      func(text string) bool { return base64Run(text, 40) },
			check: func(_ string, _ []int, secret string) bool {
				return hasClasses(secret)
			},
			keyID: func(text string, _ []int) string { return accessKeyID.FindString(text) },
		},
		{
			// key=value, key: value, "key": "value", export KEY=value,
			// Field=value; in connection strings — when the key names a
			// secret, the value is one.
			kind: KindPassword, source: "breachpath",
			re:       assignment,
			group:    2,
			keywords: assignmentKeywords,
			gate:     assignmentGate,
			check: func(text string, sub []int, secret string) bool {
				_, ok := KeyKind(text[sub[2]:sub[3]])
				v := unquote(secret)
				// a bare ${...} or {{...}} stops before its closing brace
				return ok && !placeholder(v) && !strings.HasPrefix(v, "${") && !strings.HasPrefix(v, "{{")
			},
			keyOf: func(text string, sub []int) string { return text[sub[2]:sub[3]] },
			kindOf: func(text string, sub []int) Kind {
				k, _ := KeyKind(text[sub[2]:sub[3]])
				return k
			},
			keyID: func(text string, sub []int) string { return connectionEndpoint(lineAround(text, sub[0], sub[1])) },
		},
	}
}

// chpasswd matches `echo [-e|-n] "account:password" | [sudo] chpasswd`; group 1
// is the account, group 2 the password.
var chpasswd = regexp.MustCompile(`(?:^|[\s;&|(])echo[ \t]+(?:-[a-zA-Z]+[ \t]+)*["']?([a-z_][a-z0-9_.\-]{0,31}):([^\s"':]{1,200})["']?[ \t]*\|[ \t]*(?:sudo[ \t]+)?chpasswd\b`)

// assignment matches one key/value pair; group 1 is the key, group 2 the
// value (quoted or bare; a bare value never starts a JSON object or list,
// whose contents are scanned pair by pair).
var assignment = regexp.MustCompile(`(?:^|[\s"'{,;&?(])(?:export[ \t]+)?([A-Za-z_][A-Za-z0-9_.\-]{0,100})["']?[ \t]*(?::=|=>|=|:)[ \t]*("[^"\n]{1,1000}"|'[^'\n]{1,1000}'|[^\s"',;&}{\[\]][^\s"',;&}]{0,999})`)

// assignmentKeywords select the assignment rule: fragments of every secret
// word of keys.go.
var assignmentKeywords = []string{"pass", "pwd", "secret", "token", "key", "jwt", "pin", "sig", "cred", "auth", "cookie", "bearer", "conn", "dsn"}

var accessKeyID = regexp.MustCompile(`\b(?:AKIA|ASIA|ABIA|ACCA)[A-Z2-7]{16}\b`)

// hasClasses reports whether s mixes upper case, lower case and digits, as a
// random key does (a lower-case hex digest does not).
func hasClasses(s string) bool {
	var u, l, d bool
	for _, r := range s {
		switch {
		case unicode.IsUpper(r):
			u = true
		case unicode.IsLower(r):
			l = true
		case unicode.IsDigit(r):
			d = true
		}
	}
	return u && l && d
}

func unquote(s string) string {
	if len(s) >= 2 && (s[0] == '"' || s[0] == '\'') && s[len(s)-1] == s[0] {
		return s[1 : len(s)-1]
	}
	return s
}

// hostBefore returns the host of the URL that the position at pos belongs
// to (the text between "://" and the next "/", "?" or ":" in the same
// whitespace-delimited token), or "".
func hostBefore(text string, pos int) string {
	ts := tokenStart(text, pos)
	tok := text[ts:pos]
	i := strings.Index(tok, "://")
	if i < 0 {
		return ""
	}
	h := tok[i+3:]
	if j := strings.IndexAny(h, "/?:#"); j >= 0 {
		h = h[:j]
	}
	return h
}

// tokenStart is where the whitespace-delimited token holding pos starts.
func tokenStart(text string, pos int) int {
	return strings.LastIndexFunc(text[:pos], func(r rune) bool { return unicode.IsSpace(r) || r == '"' || r == '\'' }) + 1
}

// connectionEndpoint returns the endpoint a connection string names
// (AccountName, Server, Host, Data Source, Endpoint), or "".
func connectionEndpoint(line string) string {
	m := endpointField.FindStringSubmatch(line)
	if m == nil {
		return ""
	}
	v := strings.TrimSpace(m[1])
	if i := strings.Index(v, "://"); i >= 0 {
		v = v[i+3:]
	}
	return strings.TrimRight(v, "/")
}

var endpointField = regexp.MustCompile(`(?i)(?:^|[;\s"'])(?:accountname|server|host|data source|endpoint|hostname|address)\s*=\s*([^;\s"']{1,255})`)
