package policy

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"github.com/breachpath/breachpath/collector/strictjson"
	"net/url"
	"strings"
)

// MaxDocumentSize caps the accepted document size. AWS's own limits are far smaller (6,144 characters
// for a managed policy, 20 KB for a bucket policy); the cap protects the collector from hostile input.
const MaxDocumentSize = 1 << 20

// MaxNestingDepth caps JSON nesting. A valid policy nests at most 5 levels
// (document, Statement array, statement, Condition, operator, key values).
const MaxNestingDepth = 16

// ErrTooLarge is returned for documents over MaxDocumentSize.
var ErrTooLarge = errors.New("policy document too large")

// Parse parses a JSON policy document of any kind (identity, resource, trust, SCP, RCP, boundary,
// session), including the URL-encoded form returned by the IAM API ("%7B%22Version...").
func Parse(doc []byte) (*Policy, error) {
	if len(doc) > MaxDocumentSize {
		return nil, fmt.Errorf("parse policy: %w: %d bytes, limit %d", ErrTooLarge, len(doc), MaxDocumentSize)
	}
	doc = bytes.TrimSpace(doc)
	if len(doc) > 0 && doc[0] == '%' {
		// PathUnescape, not QueryUnescape: '+' is a legal literal in IAM names and must stay '+'.
		s, err := url.PathUnescape(string(doc))
		if err != nil {
			return nil, fmt.Errorf("parse policy: URL-decode: %w", err)
		}
		doc = bytes.TrimSpace([]byte(s))
	}
	if len(doc) == 0 {
		return nil, errors.New("parse policy: empty document")
	}
	if err := checkDepth(doc); err != nil {
		return nil, fmt.Errorf("parse policy: %w", err)
	}
	// {"Effect":"Deny","Effect":"Allow"} decodes to Allow: refuse it
	if err := strictjson.Check(doc, false); err != nil {
		return nil, fmt.Errorf("parse policy: %w", err)
	}
	dec := json.NewDecoder(bytes.NewReader(doc))
	dec.UseNumber()
	var raw any
	if err := dec.Decode(&raw); err != nil {
		return nil, fmt.Errorf("parse policy: invalid JSON: %w", err)
	}
	if dec.More() {
		return nil, errors.New("parse policy: trailing data after the JSON document")
	}
	top, ok := raw.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("parse policy: document must be a JSON object, got %s", typeName(raw))
	}
	p := &Policy{}
	for k, v := range top {
		switch k {
		case "Version":
			s, ok := v.(string)
			if !ok || (s != "2012-10-17" && s != "2008-10-17") {
				return nil, fmt.Errorf("parse policy: Version must be \"2012-10-17\" or \"2008-10-17\", got %s", describe(v))
			}
			p.Version = s
		case "Id":
			s, ok := v.(string)
			if !ok {
				return nil, fmt.Errorf("parse policy: Id must be a string, got %s", typeName(v))
			}
			p.ID = s
		case "Statement":
		default:
			return nil, fmt.Errorf("parse policy: unknown top-level element %q", k)
		}
	}
	rawStmts, ok := top["Statement"]
	if !ok {
		return nil, errors.New("parse policy: missing Statement")
	}
	var list []any
	switch s := rawStmts.(type) {
	case map[string]any:
		list = []any{s}
	case []any:
		list = s
	default:
		return nil, fmt.Errorf("parse policy: Statement must be an object or an array, got %s", typeName(rawStmts))
	}
	for i, rs := range list {
		st, err := parseStatement(i, rs, p.variables())
		if err != nil {
			return nil, fmt.Errorf("parse policy: %w", err)
		}
		p.Statements = append(p.Statements, st)
	}
	return p, nil
}

// MustParse is Parse for documents known to be valid (tests, embedded data); it panics on error.
func MustParse(doc string) *Policy {
	p, err := Parse([]byte(doc))
	if err != nil {
		panic(err)
	}
	return p
}

// checkDepth rejects deep nesting before decoding, so hostile input cannot make the decoder recurse.
func checkDepth(doc []byte) error {
	depth, inStr, esc := 0, false, false
	for _, b := range doc {
		switch {
		case inStr:
			switch {
			case esc:
				esc = false
			case b == '\\':
				esc = true
			case b == '"':
				inStr = false
			}
		case b == '"':
			inStr = true
		case b == '{' || b == '[':
			depth++
			if depth > MaxNestingDepth {
				return fmt.Errorf("JSON nesting deeper than %d levels", MaxNestingDepth)
			}
		case b == '}' || b == ']':
			depth--
		}
	}
	return nil
}

func parseStatement(i int, raw any, vars bool) (*Statement, error) {
	obj, ok := raw.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("statement %d: must be an object, got %s", i, typeName(raw))
	}
	st := &Statement{Index: i}
	if sid, ok := obj["Sid"]; ok {
		s, isStr := sid.(string)
		if !isStr {
			return nil, fmt.Errorf("statement %d: Sid must be a string, got %s", i, typeName(sid))
		}
		st.Sid = s
	}
	where := fmt.Sprintf("statement %d", i)
	if st.Sid != "" {
		where = fmt.Sprintf("statement %d (Sid %q)", i, st.Sid)
	}
	fail := func(field, format string, args ...any) error {
		return fmt.Errorf("%s: %s: %s", where, field, fmt.Sprintf(format, args...))
	}
	for k := range obj {
		switch k {
		case "Sid", "Effect", "Action", "NotAction", "Resource", "NotResource", "Principal", "NotPrincipal", "Condition":
		default:
			return nil, fail(k, "unknown statement element")
		}
	}
	switch e := obj["Effect"].(type) {
	case nil:
		return nil, fail("Effect", "missing")
	case string:
		switch e {
		case "Allow":
			st.Effect = Allow
		case "Deny":
			st.Effect = Deny
		default:
			return nil, fail("Effect", "must be \"Allow\" or \"Deny\", got %q", e)
		}
	default:
		return nil, fail("Effect", "must be a string, got %s", typeName(e))
	}

	var err error
	if st.Actions, st.NotActions, err = pair(obj, "Action", "NotAction", true); err != nil {
		return nil, fmt.Errorf("%s: %w", where, err)
	}
	if st.Actions == nil {
		return nil, fail("Action", "statement needs Action or NotAction")
	}
	for _, a := range st.Actions {
		st.lowerActions = append(st.lowerActions, strings.ToLower(a))
	}
	if st.Resources, st.NotResources, err = pair(obj, "Resource", "NotResource", false); err != nil {
		return nil, fmt.Errorf("%s: %w", where, err)
	}
	for _, r := range st.Resources {
		st.resPatterns = append(st.resPatterns, compilePattern(r, vars))
	}

	_, hasP := obj["Principal"]
	_, hasNP := obj["NotPrincipal"]
	switch {
	case hasP && hasNP:
		return nil, fail("Principal", "both Principal and NotPrincipal")
	case hasP || hasNP:
		field := "Principal"
		if hasNP {
			field = "NotPrincipal"
		}
		pr, err := parsePrincipals(obj[field])
		if err != nil {
			return nil, fail(field, "%v", err)
		}
		st.Principal, st.NotPrincipal = pr, hasNP
	}

	if c, ok := obj["Condition"]; ok {
		conds, err := parseConditions(c, vars)
		if err != nil {
			return nil, fail("Condition", "%v", err)
		}
		st.Conditions = conds
	}
	return st, nil
}

// pair reads an element that has a negated twin (Action/NotAction, Resource/NotResource).
func pair(obj map[string]any, pos, neg string, required bool) ([]string, bool, error) {
	pv, hasPos := obj[pos]
	nv, hasNeg := obj[neg]
	switch {
	case hasPos && hasNeg:
		return nil, false, fmt.Errorf("%s: both %s and %s", pos, pos, neg)
	case hasPos:
		l, err := stringList(pv)
		if err != nil {
			return nil, false, fmt.Errorf("%s: %w", pos, err)
		}
		if len(l) == 0 {
			return nil, false, fmt.Errorf("%s: must not be empty", pos)
		}
		return l, false, nil
	case hasNeg:
		l, err := stringList(nv)
		if err != nil {
			return nil, false, fmt.Errorf("%s: %w", neg, err)
		}
		if len(l) == 0 {
			return nil, false, fmt.Errorf("%s: must not be empty", neg)
		}
		return l, true, nil
	}
	return nil, false, nil
}

// stringList accepts the string-or-array-of-strings form used by every list element of the grammar.
func stringList(v any) ([]string, error) {
	switch t := v.(type) {
	case string:
		return []string{t}, nil
	case []any:
		out := make([]string, 0, len(t))
		for i, e := range t {
			s, ok := e.(string)
			if !ok {
				return nil, fmt.Errorf("element %d must be a string, got %s", i, typeName(e))
			}
			out = append(out, s)
		}
		return out, nil
	}
	return nil, fmt.Errorf("must be a string or an array of strings, got %s", typeName(v))
}

func parsePrincipals(v any) (*Principals, error) {
	switch t := v.(type) {
	case string:
		if t != "*" {
			return nil, fmt.Errorf("a string principal must be \"*\", got %q (use {\"AWS\": ...})", t)
		}
		return &Principals{Wildcard: true}, nil
	case map[string]any:
		p := &Principals{}
		for k, raw := range t {
			l, err := stringList(raw)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", k, err)
			}
			switch k {
			case "AWS":
				for _, a := range l {
					if a == "*" {
						p.Wildcard = true
					} else {
						p.AWS = append(p.AWS, a)
					}
				}
			case "Service":
				p.Service = l
			case "Federated":
				p.Federated = l
			case "CanonicalUser":
				p.CanonicalUser = l
			default:
				return nil, fmt.Errorf("unknown principal type %q", k)
			}
		}
		return p, nil
	}
	return nil, fmt.Errorf("must be \"*\" or an object, got %s", typeName(v))
}

func parseConditions(v any, vars bool) ([]Condition, error) {
	block, ok := v.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("must be an object, got %s", typeName(v))
	}
	var out []Condition
	for opName, rawKeys := range block {
		op, err := parseOperator(opName)
		if err != nil {
			return nil, err
		}
		keys, ok := rawKeys.(map[string]any)
		if !ok {
			return nil, fmt.Errorf("%s: must be an object of condition keys, got %s", opName, typeName(rawKeys))
		}
		for key, rawVals := range keys {
			vals, err := conditionValues(rawVals)
			if err != nil {
				return nil, fmt.Errorf("%s: %s: %w", opName, key, err)
			}
			c := Condition{Operator: opName, Key: key, Values: vals, op: op}
			for _, v := range vals {
				c.patterns = append(c.patterns, compilePattern(v, vars))
			}
			out = append(out, c)
		}
	}
	return out, nil
}

// conditionValues accepts strings, numbers and booleans (AWS accepts `"aws:SecureTransport": false`)
// alone or in an array.
func conditionValues(v any) ([]string, error) {
	scalar := func(e any) (string, bool) {
		switch t := e.(type) {
		case string:
			return t, true
		case json.Number:
			return t.String(), true
		case bool:
			if t {
				return "true", true
			}
			return "false", true
		}
		return "", false
	}
	if s, ok := scalar(v); ok {
		return []string{s}, nil
	}
	arr, ok := v.([]any)
	if !ok {
		return nil, fmt.Errorf("value must be a string, number, boolean or an array of them, got %s", typeName(v))
	}
	out := make([]string, 0, len(arr))
	for i, e := range arr {
		s, ok := scalar(e)
		if !ok {
			return nil, fmt.Errorf("value %d must be a string, number or boolean, got %s", i, typeName(e))
		}
		out = append(out, s)
	}
	return out, nil
}

func typeName(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case string:
		return "string"
	case json.Number:
		return "number"
	case bool:
		return "boolean"
	case []any:
		return "array"
	case map[string]any:
		return "object"
	}
	return fmt.Sprintf("%T", v)
}

func describe(v any) string {
	if s, ok := v.(string); ok {
		return fmt.Sprintf("%q", s)
	}
	return typeName(v)
}
