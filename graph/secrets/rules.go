package secrets

import (
	"log/slog"
	"math"
	"regexp"
	"strings"
	"sync"

	ahocorasick "github.com/BobuSumisu/aho-corasick"
	"github.com/rs/zerolog"
	"github.com/spf13/viper"
	gitleaks "github.com/zricethezav/gitleaks/v8/config"
	gllog "github.com/zricethezav/gitleaks/v8/logging"
)

// rule is one value pattern.
type rule struct {
	kind       Kind
	source     string
	re         *regexp.Regexp
	group      int     // the capture group holding the secret; 0: the first non-empty one
	entropy    float64 // minimum Shannon entropy of the secret (0: none)
	keywords   []string
	allow      []*gitleaks.Allowlist // the rule's own gitleaks allowlists
	global     []*gitleaks.Allowlist // gitleaks' global allowlists that apply to this rule
	identifier bool                  // the match is a public identifier, not a secret
	// check, when set, must accept a candidate: text is the scanned text,
	// sub the submatch indexes.
	check func(text string, sub []int, secret string) bool
	// keyID, when set, names the credential's public identifier.
	keyID func(text string, sub []int) string
	// keyOf, when set, names the key the secret is assigned to; by default
	// it is the assignment just before the secret on its line.
	keyOf func(text string, sub []int) string
	// kindOf, when set, decides the kind per match (the assignment rule
	// takes it from the key's name).
	kindOf func(text string, sub []int) Kind
	// gate, when set, is a cheap necessary condition checked at each
	// keyword occurrence (text from just after the keyword): the rule runs
	// only if some occurrence passes. It keeps the costly generic patterns
	// off the many values that mention "key" or "pass" without assigning
	// anything.
	gate func(after string) bool
	// pre, when set, is a cheap necessary condition on the whole text.
	pre  func(text string) bool
	prec int
}

// rules is the compiled rule set with its keyword index.
type rules struct {
	all      []*rule
	always   []*rule                     // rules without keywords: run on every text
	byKeywd  map[string][]*rule          // lower-cased keyword -> rules
	trie     *ahocorasick.Trie           // over the keys of byKeywd
	keywords []string                    // trie pattern index -> keyword
	seen     sync.Pool                   // *[]bool sized len(all), reused per scan
	index    map[*rule]int               // rule -> position in all
	gitleaks int                         // how many gitleaks rules loaded (tests check it)
	loadErr  error                       // why gitleaks' rules did not load, if they did not
	_        struct{ noCopy sync.Mutex } // rules is shared; never copied
}

var (
	ruleOnce sync.Once
	theRules *rules
)

// ruleSet builds the rules once: gitleaks' default rule set first (most
// specific), breachpath's own next, gitleaks' generic rules last.
func ruleSet() *rules {
	ruleOnce.Do(func() { theRules = buildRules() })
	return theRules
}

// GitleaksRules is how many of gitleaks' default rules are in use, and the
// error that kept them out, if any. breachpath's own rules apply either way.
func GitleaksRules() (int, error) {
	rs := ruleSet()
	return rs.gitleaks, rs.loadErr
}

func buildRules() *rules {
	rs := &rules{byKeywd: map[string][]*rule{}, index: map[*rule]int{}}
	specific, generic, err := loadGitleaks()
	if err != nil {
		slog.Error("secret detection: gitleaks rule set did not load; using breachpath's own rules only", "err", err)
		rs.loadErr = err
	}
	rs.gitleaks = len(specific) + len(generic)
	rs.all = append(rs.all, specific...)
	rs.all = append(rs.all, ownRules()...)
	rs.all = append(rs.all, generic...)
	for i, r := range rs.all {
		r.prec = i
		rs.index[r] = i
		if len(r.keywords) == 0 {
			rs.always = append(rs.always, r)
			continue
		}
		for _, k := range r.keywords {
			k = strings.ToLower(k)
			if _, ok := rs.byKeywd[k]; !ok {
				rs.keywords = append(rs.keywords, k)
			}
			rs.byKeywd[k] = append(rs.byKeywd[k], r)
		}
	}
	rs.trie = ahocorasick.NewTrieBuilder().AddStrings(rs.keywords).Build()
	n := len(rs.all)
	rs.seen.New = func() any { s := make([]bool, n); return &s }
	return rs
}

// candidates returns the rules whose keywords occur in text (case
// insensitive) and the rules without keywords, in precedence order.
func (rs *rules) candidates(text string) []*rule {
	lower := strings.ToLower(text)
	ms := rs.trie.MatchString(lower)
	if len(ms) == 0 && len(rs.always) == 0 {
		return nil
	}
	sp := rs.seen.Get().(*[]bool)
	seen := *sp
	var out []*rule
	for _, r := range rs.always {
		seen[rs.index[r]] = true
		out = append(out, r)
	}
	// Gates read the original text at the keyword's position, which is
	// only the same position when lower-casing kept every byte length.
	gated := len(lower) == len(text)
	for _, m := range ms {
		kw := rs.keywords[m.Pattern()]
		for _, r := range rs.byKeywd[kw] {
			if i := rs.index[r]; !seen[i] {
				if gated && r.gate != nil && !r.gate(text[int(m.Pos())+len(kw):]) {
					continue
				}
				seen[i] = true
				out = append(out, r)
			}
		}
	}
	for _, r := range out {
		seen[rs.index[r]] = false
	}
	rs.seen.Put(sp)
	kept := out[:0]
	for _, r := range out {
		if r.pre == nil || r.pre(text) {
			kept = append(kept, r)
		}
	}
	out = kept
	// precedence order so that ties resolve to the most specific rule
	sortByPrec(out)
	return out
}

func sortByPrec(rs []*rule) {
	for i := 1; i < len(rs); i++ {
		for j := i; j > 0 && rs[j].prec < rs[j-1].prec; j-- {
			rs[j], rs[j-1] = rs[j-1], rs[j]
		}
	}
}

// find appends r's matches in text to out. done holds the byte ranges of
// earlier redactions in text: a match that touches one is what is left of
// a secret already removed, so redacting again changes nothing.
func (r *rule) find(text string, done [][]int, out []match) []match {
	for _, sub := range r.re.FindAllStringSubmatchIndex(text, -1) {
		s, e := sub[0], sub[1]
		if r.group > 0 {
			if 2*r.group+1 >= len(sub) || sub[2*r.group] < 0 {
				continue
			}
			s, e = sub[2*r.group], sub[2*r.group+1]
		} else {
			for g := 1; 2*g+1 < len(sub); g++ {
				if sub[2*g] >= 0 && sub[2*g+1] > sub[2*g] {
					s, e = sub[2*g], sub[2*g+1]
					break
				}
			}
		}
		if e-s >= 2 && (text[s] == '"' || text[s] == '\'') && text[e-1] == text[s] {
			s, e = s+1, e-1 // a quoted value: the quotes are not the secret
		}
		secret := text[s:e]
		if secret == "" || touches(done, s, e) {
			continue
		}
		if r.entropy > 0 && shannon(secret) <= r.entropy {
			continue
		}
		if r.check != nil && !r.check(text, sub, secret) {
			continue
		}
		if allowed(r.allow, text, sub, secret) || allowed(r.global, text, sub, secret) {
			continue
		}
		m := match{Finding: Finding{Kind: r.kind, Source: r.source, Identifier: r.identifier}, start: s, end: e, value: secret, prec: r.prec}
		if r.kindOf != nil {
			m.Kind = r.kindOf(text, sub)
		}
		if r.keyOf != nil {
			m.Key = r.keyOf(text, sub)
		} else {
			m.Key = assignedKey(text, s)
		}
		if r.keyID != nil {
			m.KeyID = r.keyID(text, sub)
		}
		if r.identifier {
			m.KeyID = secret
		}
		out = append(out, m)
	}
	return out
}

func touches(spans [][]int, s, e int) bool {
	for _, sp := range spans {
		if s < sp[1] && sp[0] < e {
			return true
		}
	}
	return false
}

// redaction finds the replacements Redact writes.
var redaction = regexp.MustCompile(`\[redacted:[a-z0-9-]+\]`)

// allowed applies gitleaks allowlists the way gitleaks does for content
// (commit and path conditions never hold here: there is no commit or path).
func allowed(lists []*gitleaks.Allowlist, text string, sub []int, secret string) bool {
	for _, a := range lists {
		target := secret
		switch a.RegexTarget {
		case "match":
			target = text[sub[0]:sub[1]]
		case "line":
			target = lineAround(text, sub[0], sub[1])
		}
		regexOK := a.RegexAllowed(target)
		stopOK, _ := a.ContainsStopWord(secret)
		if a.MatchCondition == gitleaks.AllowlistMatchAnd {
			var checks []bool
			if len(a.Commits) > 0 || len(a.Paths) > 0 {
				checks = append(checks, false)
			}
			if len(a.Regexes) > 0 {
				checks = append(checks, regexOK)
			}
			if len(a.StopWords) > 0 {
				checks = append(checks, stopOK)
			}
			all := len(checks) > 0
			for _, c := range checks {
				all = all && c
			}
			if all {
				return true
			}
			continue
		}
		if regexOK || stopOK {
			return true
		}
	}
	return false
}

func lineAround(text string, s, e int) string {
	ls := strings.LastIndexByte(text[:s], '\n') + 1
	le := strings.IndexByte(text[e:], '\n')
	if le < 0 {
		return text[ls:]
	}
	return text[ls : e+le]
}

// shannon is the Shannon entropy of s in bits per byte, as gitleaks
// computes it.
func shannon(s string) float64 {
	if s == "" {
		return 0
	}
	var counts [256]int
	for i := 0; i < len(s); i++ {
		counts[s[i]]++
	}
	var h float64
	n := float64(len(s))
	for _, c := range counts {
		if c > 0 {
			p := float64(c) / n
			h -= p * math.Log2(p)
		}
	}
	return h
}

// loadGitleaks translates gitleaks' embedded default configuration into
// rules: the specific ones, and the generic ones (rule ids starting
// "generic") that should lose to any specific match over the same bytes.
func loadGitleaks() (specific, generic []*rule, err error) {
	// gitleaks logs through a zerolog global; breachpath logs through slog
	// and wants nothing of the library's on stderr.
	gllog.Logger = zerolog.Nop()
	v := viper.New()
	v.SetConfigType("toml")
	if err := v.ReadConfig(strings.NewReader(gitleaks.DefaultConfig)); err != nil {
		return nil, nil, err
	}
	var vc gitleaks.ViperConfig
	if err := v.Unmarshal(&vc); err != nil {
		return nil, nil, err
	}
	cfg, err := vc.Translate()
	if err != nil {
		return nil, nil, err
	}
	for _, id := range cfg.OrderedRules {
		gr := cfg.Rules[id]
		// Path-only rules name files, composite rules need other rules'
		// findings nearby, and skip-report rules exist only to feed those:
		// none of them applies to one value.
		if gr.Regex == nil || gr.SkipReport || len(gr.RequiredRules) > 0 {
			continue
		}
		r := &rule{
			kind:     Kind(gr.RuleID),
			source:   "gitleaks",
			re:       gr.Regex,
			group:    gr.SecretGroup,
			entropy:  gr.Entropy,
			keywords: gr.Keywords,
			allow:    gr.Allowlists,
		}
		// Translate has already added the global allowlists aimed at this
		// rule to its own; cfg.Allowlists are the ones for every rule.
		r.global = cfg.Allowlists
		if r.kind == KindAWSAccessKeyID {
			r.identifier = true
		}
		// Cheap necessary conditions for the rules whose keywords are
		// common in cloud configuration ("key", "ey", "s.", "secret").
		switch gr.RuleID {
		case "generic-api-key":
			r.gate = genericGate
		case "jwt":
			r.gate = func(after string) bool { return wordRun(after, 17) && strings.Contains(after, ".ey") }
		case "vault-service-token":
			r.gate = func(after string) bool { return wordRun(after, 24) }
		case "kubernetes-secret-yaml":
			r.pre = func(text string) bool { return strings.Contains(strings.ToLower(text), "data:") }
		}
		if strings.HasPrefix(gr.RuleID, "generic") {
			generic = append(generic, r)
		} else {
			specific = append(specific, r)
		}
	}
	return specific, generic, nil
}

// assignedKey returns the name a value starting at pos is assigned to on
// its line ("DB_PASSWORD" in `export DB_PASSWORD="..."`, "password" in
// `"password": "..."`, "Password" in "Server=x;Password=..."), or "".
func assignedKey(text string, pos int) string {
	ls := strings.LastIndexByte(text[:pos], '\n') + 1
	if pos-ls > 300 {
		ls = pos - 300
	}
	m := keyBefore.FindStringSubmatch(text[ls:pos])
	if m == nil {
		return ""
	}
	return m[1]
}

var keyBefore = regexp.MustCompile(`([A-Za-z_][A-Za-z0-9_.\-]{0,100})["']?[ \t]*(?::=|=>|=|:)[ \t]*["']?$`)

// genericGate is the necessary condition of gitleaks' generic-api-key
// pattern after its keyword: up to 20 of [ \t\w.-], up to 3 of [\s'"],
// then an operator (= > : | , ?=).
func genericGate(after string) bool {
	i := 0
	for n := 0; i < len(after) && n < 20 && (isWord(after[i]) || after[i] == ' ' || after[i] == '\t' || after[i] == '.' || after[i] == '-'); n++ {
		i++
	}
	for n := 0; i < len(after) && n < 3 && (after[i] == ' ' || after[i] == '\t' || after[i] == '\n' || after[i] == '\r' || after[i] == '\'' || after[i] == '"'); n++ {
		i++
	}
	return i < len(after) && strings.IndexByte("=>:|,?", after[i]) >= 0
}

// assignmentGate is the assignment pattern's condition after a secret
// word: the rest of the key ([A-Za-z0-9_.-]), an optional quote, blanks,
// then = or :.
func assignmentGate(after string) bool {
	i := 0
	for i < len(after) && i < 100 && (isWord(after[i]) || after[i] == '.' || after[i] == '-') {
		i++
	}
	if i < len(after) && (after[i] == '"' || after[i] == '\'') {
		i++
	}
	for i < len(after) && (after[i] == ' ' || after[i] == '\t') {
		i++
	}
	return i < len(after) && (after[i] == '=' || after[i] == ':')
}

func isWord(c byte) bool {
	return c == '_' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
}

// wordRun reports whether s starts with at least n word characters.
func wordRun(s string, n int) bool {
	if len(s) < n {
		return false
	}
	for i := 0; i < n; i++ {
		if !isWord(s[i]) {
			return false
		}
	}
	return true
}

// base64Run reports whether s holds a run of at least n characters of
// [A-Za-z0-9/+].
func base64Run(s string, n int) bool {
	run := 0
	for i := 0; i < len(s); i++ {
		if c := s[i]; isWord(c) && c != '_' || c == '/' || c == '+' {
			run++
			if run >= n {
				return true
			}
		} else {
			run = 0
		}
	}
	return false
}
