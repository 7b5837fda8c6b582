package policy

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"net/netip"
	"strconv"
	"strings"
	"time"
)

type opFamily uint8

const (
	famString opFamily = iota + 1
	famStringFold
	famStringLike
	famNumeric
	famDate
	famBool
	famBinary
	famIP
	famARN
	famNull
)

type cmpKind uint8

const (
	cmpEq cmpKind = iota
	cmpLt
	cmpLe
	cmpGt
	cmpGe
)

type qualifier uint8

const (
	qualNone qualifier = iota
	qualAnyValue
	qualAllValues
)

// operator is a parsed condition operator name.
type operator struct {
	fam      opFamily
	cmp      cmpKind
	negated  bool
	ifExists bool
	qual     qualifier
}

var operatorTable = map[string]operator{
	"stringequals":              {fam: famString},
	"stringnotequals":           {fam: famString, negated: true},
	"stringequalsignorecase":    {fam: famStringFold},
	"stringnotequalsignorecase": {fam: famStringFold, negated: true},
	"stringlike":                {fam: famStringLike},
	"stringnotlike":             {fam: famStringLike, negated: true},
	"numericequals":             {fam: famNumeric},
	"numericnotequals":          {fam: famNumeric, negated: true},
	"numericlessthan":           {fam: famNumeric, cmp: cmpLt},
	"numericlessthanequals":     {fam: famNumeric, cmp: cmpLe},
	"numericgreaterthan":        {fam: famNumeric, cmp: cmpGt},
	"numericgreaterthanequals":  {fam: famNumeric, cmp: cmpGe},
	"dateequals":                {fam: famDate},
	"datenotequals":             {fam: famDate, negated: true},
	"datelessthan":              {fam: famDate, cmp: cmpLt},
	"datelessthanequals":        {fam: famDate, cmp: cmpLe},
	"dategreaterthan":           {fam: famDate, cmp: cmpGt},
	"dategreaterthanequals":     {fam: famDate, cmp: cmpGe},
	"bool":                      {fam: famBool},
	"binaryequals":              {fam: famBinary},
	"ipaddress":                 {fam: famIP},
	"notipaddress":              {fam: famIP, negated: true},
	"arnequals":                 {fam: famARN},
	"arnlike":                   {fam: famARN},
	"arnnotequals":              {fam: famARN, negated: true},
	"arnnotlike":                {fam: famARN, negated: true},
	"null":                      {fam: famNull},
}

func parseOperator(name string) (operator, error) {
	n := strings.ToLower(name)
	q := qualNone
	switch {
	case strings.HasPrefix(n, "foranyvalue:"):
		q, n = qualAnyValue, n[len("foranyvalue:"):]
	case strings.HasPrefix(n, "forallvalues:"):
		q, n = qualAllValues, n[len("forallvalues:"):]
	}
	ifExists := false
	if strings.HasSuffix(n, "ifexists") && n != "null" {
		ifExists, n = true, strings.TrimSuffix(n, "ifexists")
	}
	op, ok := operatorTable[n]
	if !ok || (op.fam == famNull && (ifExists || q != qualNone)) {
		return operator{}, fmt.Errorf("unknown condition operator %q", name)
	}
	op.ifExists, op.qual = ifExists, q
	return op, nil
}

// eval evaluates one condition (operator + key + values). unknownKey is set when the result is maybe
// because a context key (or a variable in a value) is not known.
func (c *Condition) eval(e *evalCtx) (res tri, unknownKey string) {
	vals, st := e.get(c.Key)
	if st == keyUnknown {
		if r, ok := c.tokenIssueTime(e); ok {
			return r, ""
		}
		return maybe, strings.ToLower(c.Key)
	}
	present := st == keyPresent && len(vals) > 0
	op := c.op
	if op.fam == famNull {
		// "true" asks for the key to be absent.
		want := len(c.Values) > 0 && strings.EqualFold(c.Values[0], "true")
		return boolTri(want != present), ""
	}
	// Resolve policy-side values once; a variable with unknown value makes the whole condition maybe.
	pol := make([]string, 0, len(c.patterns))
	for i := range c.patterns {
		enc, ok, unk := c.patterns[i].resolve(e)
		if unk != "" {
			return maybe, unk
		}
		if ok {
			pol = append(pol, enc)
		}
	}
	if !present && op.ifExists {
		return yes, ""
	}
	switch op.qual {
	case qualAllValues:
		// Documented: true for an empty or missing set; otherwise every request value must satisfy it.
		for _, v := range vals {
			if !c.matchOne(v, pol) {
				return no, ""
			}
		}
		return yes, ""
	case qualAnyValue:
		// Documented: false for an empty or missing set; otherwise at least one value must satisfy it.
		for _, v := range vals {
			if c.matchOne(v, pol) {
				return yes, ""
			}
		}
		return no, ""
	}
	if !present {
		// ...IfExists ignores a missing key; otherwise a missing key fails a positive operator and
		// satisfies a negated one (documented for StringNotLike, ArnNotLike and the like).
		return boolTri(op.ifExists || op.negated), ""
	}
	// A multi-valued key without a set qualifier: a positive operator needs one matching value; a
	// negated one needs every value to match none of the policy values (matchOne applies negation).
	if op.negated {
		for _, v := range vals {
			if !c.matchOne(v, pol) {
				return no, ""
			}
		}
		return yes, ""
	}
	for _, v := range vals {
		if c.matchOne(v, pol) {
			return yes, ""
		}
	}
	return no, ""
}

// maxSessionAge bounds how old a usable session token can be: 36 hours (GetSessionToken and
// GetFederationToken for IAM users; role sessions last at most 12 hours).
const maxSessionAge = 36 * time.Hour

// tokenIssueTime decides a date condition on aws:TokenIssueTime that no request can satisfy, or
// that every request satisfies, whatever credentials the caller uses: the key is absent for
// long-term access keys and, for temporary credentials, lies between aws:CurrentTime minus the
// longest session and the future. A DateLessThan before that window never holds (no live token is
// that old, and an absent key fails it); a DateGreaterThanIfExists before it always holds. Other
// cases depend on the credentials the caller picks and stay unknown. ok is false when undecided.
func (c *Condition) tokenIssueTime(e *evalCtx) (tri, bool) {
	op := c.op
	if !strings.EqualFold(c.Key, "aws:TokenIssueTime") || op.fam != famDate || op.negated || op.qual != qualNone || op.cmp == cmpEq {
		return maybe, false
	}
	cur, st := e.get("aws:CurrentTime")
	if st != keyPresent || len(cur) == 0 {
		return maybe, false
	}
	now, ok := parseDate(cur[0])
	if !ok {
		return maybe, false
	}
	oldest := now.Add(-maxSessionAge)
	before := true // every policy value lies before the oldest live token
	for i := range c.patterns {
		enc, ok, unk := c.patterns[i].resolve(e)
		if unk != "" || !ok {
			return maybe, false
		}
		t, ok := parseDate(decodeWild(enc))
		if !ok || !t.Before(oldest) {
			before = false
		}
	}
	if !before {
		return maybe, false
	}
	switch {
	case (op.cmp == cmpLt || op.cmp == cmpLe) && !op.ifExists:
		return no, true // no live token was issued that early; long-term keys lack the key
	case (op.cmp == cmpGt || op.cmp == cmpGe) && op.ifExists:
		return yes, true // every live token is newer; long-term keys lack the key
	}
	return maybe, false
}

// matchOne applies the operator to one request value against the (ORed) policy values, including
// negation: a negated operator is satisfied when the value matches none of them.
func (c *Condition) matchOne(v string, pol []string) bool {
	m := false
	for _, p := range pol {
		if c.positive(v, p) {
			m = true
			break
		}
	}
	if c.op.negated {
		return !m
	}
	return m
}

// positive is the un-negated comparison of a request value v with one encoded policy value p.
func (c *Condition) positive(v, p string) bool {
	switch c.op.fam {
	case famString:
		return v == decodeWild(p)
	case famStringFold:
		return strings.EqualFold(v, decodeWild(p))
	case famStringLike:
		return globMatch(p, v)
	case famARN:
		return arnMatch(p, v)
	case famNumeric:
		a, err1 := strconv.ParseFloat(v, 64)
		b, err2 := strconv.ParseFloat(decodeWild(p), 64)
		return err1 == nil && err2 == nil && compare(a, b, c.op.cmp)
	case famDate:
		a, ok1 := parseDate(v)
		b, ok2 := parseDate(decodeWild(p))
		return ok1 && ok2 && compare(float64(a.UnixNano()), float64(b.UnixNano()), c.op.cmp)
	case famBool:
		return strings.EqualFold(v, decodeWild(p))
	case famBinary:
		a, err1 := base64.StdEncoding.DecodeString(v)
		b, err2 := base64.StdEncoding.DecodeString(decodeWild(p))
		return err1 == nil && err2 == nil && bytes.Equal(a, b)
	case famIP:
		return ipInRange(v, decodeWild(p))
	}
	return false
}

// decodeWild turns an encoded pattern back into text for operators without wildcards.
func decodeWild(p string) string {
	if !strings.ContainsAny(p, string([]byte{wildStar, wildQmark})) {
		return p
	}
	b := []byte(p)
	for i, c := range b {
		switch c {
		case wildStar:
			b[i] = '*'
		case wildQmark:
			b[i] = '?'
		}
	}
	return string(b)
}

func compare(a, b float64, k cmpKind) bool {
	switch k {
	case cmpLt:
		return a < b
	case cmpLe:
		return a <= b
	case cmpGt:
		return a > b
	case cmpGe:
		return a >= b
	}
	return a == b
}

// parseDate accepts the ISO 8601 forms AWS documents and epoch seconds.
func parseDate(s string) (time.Time, bool) {
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05Z0700", "2006-01-02T15:04Z07:00", "2006-01-02T15:04:05", "2006-01-02"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t, true
		}
	}
	if n, err := strconv.ParseInt(s, 10, 64); err == nil {
		return time.Unix(n, 0), true
	}
	return time.Time{}, false
}

// ipInRange matches an address against a CIDR block or a single address (IPv4 or IPv6).
func ipInRange(addr, block string) bool {
	a, err := netip.ParseAddr(strings.TrimSpace(addr))
	if err != nil {
		return false
	}
	if !strings.Contains(block, "/") {
		b, err := netip.ParseAddr(strings.TrimSpace(block))
		return err == nil && a.Unmap() == b.Unmap()
	}
	pfx, err := netip.ParsePrefix(strings.TrimSpace(block))
	if err != nil {
		return false
	}
	return pfx.Contains(a.Unmap()) || pfx.Contains(a)
}
