package policy

import (
	"strings"

	"github.com/breachpath/breachpath/internal/wildcard"
)

// Wildcards are encoded as bytes that never occur in UTF-8 text, so that a `*` coming from an escape
// (`${*}`) or from a substituted variable value stays a literal character.
const (
	wildStar  = 0xFF
	wildQmark = 0xFE
)

// pattern is a Resource or condition value, pre-compiled for variable substitution.
type pattern struct {
	raw string
	// enc is the wildcard-encoded form when the value has no variables.
	enc string
	// parts is set when the value has variables: literal (already encoded) and variable parts.
	parts []patPart
}

type patPart struct {
	lit    string // encoded literal, when key == ""
	key    string // lower-case context key of a variable
	def    string // default value (literal text)
	hasDef bool
}

// compilePattern splits a value into literal text and `${...}` variables (2012-10-17 policies only).
// `${*}`, `${?}` and `${$}` are the documented escapes for literal `*`, `?` and `$`.
func compilePattern(s string, vars bool) pattern {
	p := pattern{raw: s}
	if !vars || !strings.Contains(s, "${") {
		p.enc = encodeWild(s)
		return p
	}
	var lit strings.Builder
	flush := func() {
		if lit.Len() > 0 {
			p.parts = append(p.parts, patPart{lit: lit.String()})
			lit.Reset()
		}
	}
	for i := 0; i < len(s); {
		if strings.HasPrefix(s[i:], "${") {
			end := strings.IndexByte(s[i:], '}')
			if end > 0 {
				body := s[i+2 : i+end]
				switch body {
				case "*", "?", "$":
					lit.WriteString(body)
					i += end + 1
					continue
				}
				if key, def, hasDef, ok := parseVariable(body); ok {
					flush()
					p.parts = append(p.parts, patPart{key: key, def: def, hasDef: hasDef})
					i += end + 1
					continue
				}
			}
		}
		// Not a variable: keep the character with its wildcard meaning.
		lit.WriteString(encodeWild(s[i : i+1]))
		i++
	}
	flush()
	return p
}

// parseVariable reads "key" or "key, 'default'" (quotes doubled inside the default).
func parseVariable(body string) (key, def string, hasDef, ok bool) {
	k, rest, found := strings.Cut(body, ",")
	key = strings.ToLower(strings.TrimSpace(k))
	if key == "" || strings.ContainsAny(key, " '${") {
		return "", "", false, false
	}
	if !found {
		return key, "", false, true
	}
	rest = strings.TrimSpace(rest)
	if len(rest) < 2 || rest[0] != '\'' || rest[len(rest)-1] != '\'' {
		return "", "", false, false
	}
	inner := rest[1 : len(rest)-1]
	if strings.Count(strings.ReplaceAll(inner, "''", ""), "'") != 0 {
		return "", "", false, false
	}
	return key, strings.ReplaceAll(inner, "''", "'"), true, true
}

func encodeWild(s string) string {
	if !strings.ContainsAny(s, "*?") {
		return s
	}
	b := []byte(s)
	for i, c := range b {
		switch c {
		case '*':
			b[i] = wildStar
		case '?':
			b[i] = wildQmark
		}
	}
	return string(b)
}

// resolve substitutes variables. It returns the encoded pattern, or ok=false when a variable has no
// value (the pattern then matches nothing), or unknown set to the key whose value is not known.
func (p *pattern) resolve(e *evalCtx) (enc string, ok bool, unknown string) {
	if p.parts == nil {
		return p.enc, true, ""
	}
	var b strings.Builder
	for _, part := range p.parts {
		if part.key == "" {
			b.WriteString(part.lit)
			continue
		}
		vals, st := e.get(part.key)
		switch {
		case st == keyPresent && len(vals) == 1:
			b.WriteString(vals[0]) // UTF-8 text holds no wildcard marker bytes: stays literal
		case st == keyUnknown:
			return "", false, part.key
		case part.hasDef:
			b.WriteString(part.def)
		default:
			// Absent or multi-valued: AWS cannot substitute, the value matches nothing.
			return "", false, ""
		}
	}
	return b.String(), true, ""
}

// globMatch matches s against an encoded pattern (wildStar, wildQmark), case-sensitively as AWS
// does for resources and StringLike.
func globMatch(p, s string) bool { return wildcard.MatchMarked(p, s, wildStar, wildQmark, false) }

// arnMatch matches an ARN against an encoded ARN pattern segment by segment (a `*` never crosses the
// colon between partition, service, region and account), case-sensitively as AWS does for resources.
// Patterns that are not six-part ARNs ("*", "arn:aws:s3:::*" is six parts) are matched as a whole.
func arnMatch(p, s string) bool {
	if p == string([]byte{wildStar}) {
		return true
	}
	pp := strings.SplitN(p, ":", 6)
	sp := strings.SplitN(s, ":", 6)
	if len(pp) != 6 || len(sp) != 6 {
		return globMatch(p, s)
	}
	for i := range pp {
		if !globMatch(pp[i], sp[i]) {
			return false
		}
	}
	return true
}
