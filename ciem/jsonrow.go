package ciem

import (
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/breachpath/breachpath/internal/parjson"
)

// appendPrincipal appends the row p as json.MarshalIndent(p, prefix, indent)
// writes it. Encoding, not analysis, was the largest part of the command's
// CPU time at 1M resources (a 1.24 GB report): reflection over every field
// of 1.6M resource rows, then a second pass to indent them. This writes the
// row's own fields and the resource rows (about 85% of the bytes) by hand
// and leaves the rarer nested documents (permissions, sources, wildcards,
// dormant credentials, trust, the suggestion) to encoding/json, indented in
// place. Every value is written the way encoding/json writes it: strings
// with HTML escaping (anything not plain printable ASCII goes through
// json.Marshal), floats in its format, times through their MarshalJSON,
// omitempty and omitzero as tagged. TestHandEncoderIsMarshalIndent holds
// it to MarshalIndent over random rows, and fails when a field is added to
// a hand-encoded type without being added here.
func appendPrincipal(b []byte, p *Principal, prefix, indent string) ([]byte, error) {
	e := rowWriter{b: b, prefix: prefix, indent: indent, newlines: reportNewlines}
	if prefix != reportPrefix || indent != reportIndent {
		e.newlines = newlines(prefix, indent)
	}
	e.open('{')
	e.str("id", p.ID)
	e.str("name", p.Name)
	e.str("kind", string(p.Kind))
	e.strOmit("native_type", p.NativeType)
	e.strOmit("cloud", string(p.Cloud))
	e.strOmit("account", p.Account)
	e.number("score", p.Score)
	e.object("score_parts", func() {
		sp := &p.ScoreParts
		e.number("unused_sensitive", sp.UnusedSensitive)
		e.number("base", sp.Base)
		e.number("data_weight", sp.DataWeight)
		e.number("escalation_weight", sp.EscalationWeight)
		e.number("extras", sp.Extras)
	})
	e.strs("attack_paths", p.AttackPaths)
	e.boolean("entitlements_known", p.EntitlementsKnown)
	e.generic("permissions", &p.Permissions)
	if len(p.Sources) > 0 {
		e.generic("sources", &p.Sources)
	}
	if len(p.Wildcards) > 0 {
		e.generic("wildcards", &p.Wildcards)
	}
	e.resources("resources", p.Resources)
	e.resources("sensitive_data", p.SensitiveData)

	e.object("admin", func() {
		a := &p.Admin
		e.boolean("direct", a.Direct)
		e.boolean("via_escalation", a.ViaEscalation)
		e.boolOmit("conditional", a.Conditional)
		e.strs("path", a.Path)
		e.strs("escalations", a.Escalations)
	})
	e.object("usage", func() {
		u := &p.Usage
		e.boolean("known", u.Known)
		e.strOmit("reason", u.Reason)
		e.strOmit("source", u.Source)
		e.strs("used_services", u.UsedServices)
		e.strs("unused_services", u.UnusedServices)
		e.integer("unused_actions", u.UnusedActions)
		e.integer("unused_sensitive", u.UnusedSensitive)
	})
	e.object("activity", func() {
		e.str("state", p.Activity.State)
		e.timestamp("last_activity", p.Activity.LastActivity)
		e.strOmit("reason", p.Activity.Reason)
	})

	if len(p.Dormant) > 0 {
		e.generic("dormant_credentials", &p.Dormant)
	}
	if len(p.Trust) > 0 {
		e.generic("trust", &p.Trust)
	}
	if p.Members != 0 {
		e.integer("members", p.Members)
	}
	if p.Suggestion != nil {
		e.generic("suggestion", p.Suggestion)
	}
	e.strOmit("suggestion_reason", p.SuggestionReason)
	e.strs("notes", p.Notes)
	e.close('}')
	return e.b, e.err
}

// The report's rows stand at this prefix and indent (WriteJSON); their
// line breaks are made once.
const reportPrefix, reportIndent = "    ", "  "

var reportNewlines = newlines(reportPrefix, reportIndent)

// maxDepth bounds the nesting the hand encoder writes itself: a row, its
// resource list, a resource, its access list.
const maxDepth = 4

// newlines returns the line break before a member at each depth.
func newlines(prefix, indent string) [maxDepth + 1]string {
	var nl [maxDepth + 1]string
	for d := range nl {
		nl[d] = "\n" + prefix + strings.Repeat(indent, d)
	}
	return nl
}

// rowWriter appends an indented JSON document: depth is the nesting of the
// value being written, first[d] whether the object or array open at depth
// d has no member yet.
type rowWriter struct {
	b              []byte
	prefix, indent string
	newlines       [maxDepth + 1]string
	depth          int
	first          [maxDepth + 1]bool
	err            error
}

func (e *rowWriter) newline() {
	e.b = append(e.b, e.newlines[e.depth]...)
}

func (e *rowWriter) open(c byte) {
	e.b = append(e.b, c)
	e.depth++
	e.first[e.depth] = true
}

// close ends the innermost object or array; an empty one is {} or [].
func (e *rowWriter) close(c byte) {
	empty := e.first[e.depth]
	e.depth--
	if !empty {
		e.newline()
	}
	e.b = append(e.b, c)
}

// member starts the next member of the innermost object or array.
func (e *rowWriter) member() {
	if !e.first[e.depth] {
		e.b = append(e.b, ',')
	}
	e.first[e.depth] = false
	e.newline()
}

// object writes the member k, an object whose members fill writes.
func (e *rowWriter) object(k string, fill func()) {
	e.key(k)
	e.open('{')
	fill()
	e.close('}')
}

// key starts an object member; keys are the report's own ASCII tags.
func (e *rowWriter) key(k string) {
	e.member()
	e.b = append(e.b, '"')
	e.b = append(e.b, k...)
	e.b = append(e.b, `": `...)
}

func (e *rowWriter) str(k, v string) {
	e.key(k)
	e.b = appendJSONString(e.b, v)
}

func (e *rowWriter) strOmit(k, v string) {
	if v != "" {
		e.str(k, v)
	}
}

// strs writes an omitempty string list.
func (e *rowWriter) strs(k string, vs []string) {
	if len(vs) == 0 {
		return
	}
	e.key(k)
	e.strList(vs)
}

func (e *rowWriter) strList(vs []string) {
	if vs == nil {
		e.b = append(e.b, "null"...)
		return
	}
	e.open('[')
	for _, v := range vs {
		e.member()
		e.b = appendJSONString(e.b, v)
	}
	e.close(']')
}

func (e *rowWriter) boolean(k string, v bool) {
	e.key(k)
	e.b = strconv.AppendBool(e.b, v)
}

func (e *rowWriter) boolOmit(k string, v bool) {
	if v {
		e.boolean(k, v)
	}
}

func (e *rowWriter) integer(k string, v int) {
	e.key(k)
	e.b = strconv.AppendInt(e.b, int64(v), 10)
}

// number writes v as encoding/json does: the shortest 'f' form between
// 1e-6 and 1e21 (and 0); anything else is json.Marshal's (which uses
// exponents there, and refuses NaN and infinities).
func (e *rowWriter) number(k string, v float64) {
	e.key(k)
	if a := math.Abs(v); a == 0 || (a >= 1e-6 && a < 1e21) {
		e.b = strconv.AppendFloat(e.b, v, 'f', -1, 64)
		return
	}
	e.marshal(v)
}

// timestamp writes an omitzero time through its MarshalJSON, as encoding/json
// does.
func (e *rowWriter) timestamp(k string, t time.Time) {
	if t.IsZero() {
		return
	}
	e.key(k)
	raw, err := t.MarshalJSON()
	if err != nil {
		e.fail(err)
		return
	}
	e.b = append(e.b, raw...)
}

// generic writes v (a pointer, so that methods on pointer receivers apply
// as they do to the addressable fields encoding/json walks) with
// encoding/json, indented at the current depth.
func (e *rowWriter) generic(k string, v any) {
	e.key(k)
	e.marshal(v)
}

func (e *rowWriter) marshal(v any) {
	raw, err := json.Marshal(v)
	if err != nil {
		e.fail(err)
		return
	}
	e.b = parjson.AppendIndent(e.b, raw, e.newlines[e.depth][1:], e.indent)
}

func (e *rowWriter) fail(err error) {
	if e.err == nil {
		e.err = fmt.Errorf("json: %w", err)
	}
}

// resources writes an omitempty list of resource rows.
func (e *rowWriter) resources(k string, rs []ResourceAccess) {
	if len(rs) == 0 {
		return
	}
	e.key(k)
	e.open('[')
	for i := range rs {
		r := &rs[i]
		e.member()
		e.open('{')
		e.str("id", r.ID)
		e.strOmit("name", r.Name)
		e.str("kind", string(r.Kind))
		e.key("sensitivity")
		if !r.Sensitivity.Valid() {
			_, err := r.Sensitivity.MarshalText()
			e.fail(err)
			return
		}
		e.b = appendJSONString(e.b, r.Sensitivity.String())
		e.boolOmit("crown_jewel", r.CrownJewel)
		e.key("access")
		if r.Access == nil {
			e.b = append(e.b, "null"...)
		} else {
			e.open('[')
			for _, a := range r.Access {
				e.member()
				e.b = appendJSONString(e.b, string(a))
			}
			e.close(']')
		}
		e.strs("via", r.Via)
		e.boolOmit("conditional", r.Conditional)
		e.close('}')
	}
	e.close(']')
}

// plain holds the bytes encoding/json copies into a string as they are:
// printable ASCII but the quote, the backslash and the HTML characters.
var plain = func() (t [256]bool) {
	for c := 0x20; c < 0x80; c++ {
		t[c] = c != '"' && c != '\\' && c != '<' && c != '>' && c != '&'
	}
	return t
}()

// appendJSONString appends s quoted as encoding/json quotes it (HTML
// escaped). A string of plain bytes is copied as is; anything else is
// json.Marshal's.
func appendJSONString(b []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		if !plain[s[i]] {
			raw, _ := json.Marshal(s) // a string always encodes
			return append(b, raw...)
		}
	}
	b = append(b, '"')
	b = append(b, s...)
	return append(b, '"')
}
