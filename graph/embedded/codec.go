package embedded

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"slices"
	"strconv"

	"github.com/breachpath/breachpath/graph"
)

// Rows keep their identity and the columns the store queries (kind, cloud,
// area, severity ...) in SQL columns, and everything else in one JSON
// document per row. JSON keeps the file inspectable with the sqlite3 shell;
// typedProps keeps property types exact across the round trip.

// nodeDoc is the stored document of a node: every field but the id and the
// store-owned stale flags.
type nodeDoc struct {
	Kind        graph.Kind        `json:"kind"`
	Cloud       graph.Cloud       `json:"cloud,omitempty"`
	NativeType  string            `json:"native_type,omitempty"`
	Name        string            `json:"name,omitempty"`
	Account     string            `json:"account,omitempty"`
	Region      string            `json:"region,omitempty"`
	Service     string            `json:"service,omitempty"`
	Sensitivity graph.Sensitivity `json:"sensitivity,omitempty"`
	CrownJewel  bool              `json:"crown_jewel,omitempty"`
	Stub        bool              `json:"stub,omitempty"`
	Tags        map[string]string `json:"tags,omitempty"`
	Props       typedProps        `json:"props,omitempty"`
}

// edgeDoc is the stored document of an edge: every field but its key.
type edgeDoc struct {
	Likelihood  float64    `json:"likelihood,omitempty"`
	Evidence    []string   `json:"evidence,omitempty"`
	Findings    []string   `json:"findings,omitempty"`
	Conditional bool       `json:"conditional,omitempty"`
	Props       typedProps `json:"props,omitempty"`
}

// findingDoc is the stored document of a finding: every field but its id,
// resource and the lifecycle the store keeps in columns.
type findingDoc struct {
	RuleID      string         `json:"rule_id"`
	Severity    graph.Severity `json:"severity"`
	Title       string         `json:"title,omitempty"`
	Evidence    string         `json:"evidence,omitempty"`
	Remediation string         `json:"remediation,omitempty"`
	Controls    []string       `json:"controls,omitempty"`
	FixEffort   float64        `json:"fix_effort,omitempty"`
}

func encodeNode(n *graph.Node) ([]byte, error) {
	return json.Marshal(nodeDoc{
		Kind: n.Kind, Cloud: n.Cloud, NativeType: n.NativeType, Name: n.Name, Account: n.Account,
		Region: n.Region, Service: n.Service, Sensitivity: n.Sensitivity, CrownJewel: n.CrownJewel,
		Stub: n.Stub, Tags: n.Tags, Props: typedProps(n.Props),
	})
}

func decodeNode(id string, doc []byte, n *graph.Node) error {
	var d nodeDoc
	if err := json.Unmarshal(doc, &d); err != nil {
		return fmt.Errorf("node %q: %w: %v", id, graph.ErrCorrupt, err)
	}
	*n = graph.Node{
		ID: id, Kind: d.Kind, Cloud: d.Cloud, NativeType: d.NativeType, Name: d.Name, Account: d.Account,
		Region: d.Region, Service: d.Service, Sensitivity: d.Sensitivity, CrownJewel: d.CrownJewel,
		Stub: d.Stub, Tags: nilIfEmpty(d.Tags), Props: nilIfEmpty(graph.Props(d.Props)),
	}
	return nil
}

// nilIfEmpty makes decoded empty collections nil, as the encoder (omitempty)
// writes nil and empty alike: one stored form, one loaded form.
func nilIfEmpty[M ~map[string]V, V any](m M) M {
	if len(m) == 0 {
		return nil
	}
	return m
}

func nilIfEmptySlice(s []string) []string {
	if len(s) == 0 {
		return nil
	}
	return s
}

func encodeEdge(e *graph.Edge) ([]byte, error) {
	return json.Marshal(edgeDoc{
		Likelihood: e.Likelihood, Evidence: e.Evidence, Findings: e.Findings,
		Conditional: e.Conditional, Props: typedProps(e.Props),
	})
}

func decodeEdge(doc []byte, e *graph.Edge) error {
	if string(doc) == "{}" { // most fact edges: skip the decoder
		return nil
	}
	var d edgeDoc
	if err := json.Unmarshal(doc, &d); err != nil {
		return fmt.Errorf("edge %s: %w: %v", e.Key(), graph.ErrCorrupt, err)
	}
	e.Likelihood, e.Evidence, e.Findings, e.Conditional, e.Props =
		d.Likelihood, nilIfEmptySlice(d.Evidence), nilIfEmptySlice(d.Findings), d.Conditional, nilIfEmpty(graph.Props(d.Props))
	return nil
}

func encodeFinding(f *graph.Finding) ([]byte, error) {
	return json.Marshal(findingDoc{
		RuleID: f.RuleID, Severity: f.Severity, Title: f.Title, Evidence: f.Evidence,
		Remediation: f.Remediation, Controls: f.Controls, FixEffort: f.FixEffort,
	})
}

func decodeFinding(doc []byte, f *graph.Finding) error {
	var d findingDoc
	if err := json.Unmarshal(doc, &d); err != nil {
		return fmt.Errorf("finding %q: %w: %v", f.ID, graph.ErrCorrupt, err)
	}
	f.RuleID, f.Severity, f.Title, f.Evidence, f.Remediation, f.Controls, f.FixEffort =
		d.RuleID, d.Severity, d.Title, d.Evidence, d.Remediation, nilIfEmptySlice(d.Controls), d.FixEffort
	return nil
}

// docHash is the content hash a re-sync compares to skip unchanged rows.
// FNV is enough: it detects change, it does not defend against an attacker
// (whoever can write the snapshot can write the store).
func docHash(doc []byte) int64 {
	h := fnv.New64a()
	h.Write(doc)
	return int64(h.Sum64())
}

// typedProps encodes graph.Props so that the type of every value survives:
// int64 as a JSON integer, float64 always with a fraction or exponent
// ("1.0"), []string as an array, string and bool as themselves. Keys are
// sorted so that equal props encode to equal bytes (the content hash relies
// on it).
type typedProps graph.Props

// MarshalJSON implements json.Marshaler.
func (p typedProps) MarshalJSON() ([]byte, error) {
	if p == nil {
		return []byte("null"), nil
	}
	keys := make([]string, 0, len(p))
	for k := range p {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	buf := make([]byte, 0, 16*len(p)+2)
	buf = append(buf, '{')
	for i, k := range keys {
		if i > 0 {
			buf = append(buf, ',')
		}
		buf = strconv.AppendQuote(buf, k)
		buf = append(buf, ':')
		var err error
		if buf, err = appendTypedValue(buf, k, p[k]); err != nil {
			return nil, err
		}
	}
	return append(buf, '}'), nil
}

func appendTypedValue(buf []byte, key string, v any) ([]byte, error) {
	switch x := v.(type) {
	case string:
		return appendJSONString(buf, x)
	case bool:
		return strconv.AppendBool(buf, x), nil
	case int64:
		return strconv.AppendInt(buf, x, 10), nil
	case float64:
		start := len(buf)
		buf = strconv.AppendFloat(buf, x, 'g', -1, 64)
		if !bytes.ContainsAny(buf[start:], ".eEnN") { // whole number: mark it a float
			buf = append(buf, ".0"...)
		}
		return buf, nil
	case []string:
		buf = append(buf, '[')
		for i, s := range x {
			if i > 0 {
				buf = append(buf, ',')
			}
			var err error
			if buf, err = appendJSONString(buf, s); err != nil {
				return nil, err
			}
		}
		return append(buf, ']'), nil
	}
	return nil, fmt.Errorf("property %q has unsupported type %T", key, v)
}

// appendJSONString uses encoding/json rather than strconv.Quote because Go
// quoting (\x00, \U0001f600 ...) is not valid JSON.
func appendJSONString(buf []byte, s string) ([]byte, error) {
	b, err := json.Marshal(s)
	if err != nil {
		return nil, err
	}
	return append(buf, b...), nil
}

var errPropType = errors.New("property value is not a string, bool, number or list of strings")

// UnmarshalJSON implements json.Unmarshaler, the inverse of MarshalJSON.
func (p *typedProps) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		*p = nil
		return nil
	}
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(b, &raw); err != nil {
		return err
	}
	out := make(typedProps, len(raw))
	for k, r := range raw {
		if len(r) == 0 {
			return fmt.Errorf("property %q: %w", k, errPropType)
		}
		switch c := r[0]; {
		case c == '"':
			var s string
			if err := json.Unmarshal(r, &s); err != nil {
				return fmt.Errorf("property %q: %w", k, err)
			}
			out[k] = s
		case c == 't' || c == 'f':
			var v bool
			if err := json.Unmarshal(r, &v); err != nil {
				return fmt.Errorf("property %q: %w", k, err)
			}
			out[k] = v
		case c == '[':
			ss := []string{}
			if err := json.Unmarshal(r, &ss); err != nil {
				return fmt.Errorf("property %q: %w", k, err)
			}
			out[k] = ss
		case c == '-' || (c >= '0' && c <= '9'):
			if bytes.ContainsAny(r, ".eE") {
				f, err := strconv.ParseFloat(string(r), 64)
				if err != nil {
					return fmt.Errorf("property %q: %w", k, err)
				}
				out[k] = f
			} else {
				n, err := strconv.ParseInt(string(r), 10, 64)
				if err != nil {
					return fmt.Errorf("property %q: %w", k, err)
				}
				out[k] = n
			}
		default:
			return fmt.Errorf("property %q: %w", k, errPropType)
		}
	}
	*p = out
	return nil
}
