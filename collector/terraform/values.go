package terraform

import (
	"encoding/json"
	"fmt"
	"strings"
)

// object is one resource's attribute values on one side of a change, with
// the after_unknown marks when it is the planned side.
type object struct {
	vals    map[string]any
	unknown map[string]any
}

func newObject(vals, unknown any) object {
	o := object{}
	o.vals, _ = vals.(map[string]any)
	o.unknown, _ = unknown.(map[string]any)
	return o
}

// isUnknown says the attribute is "known after apply".
func (o object) isUnknown(key string) bool {
	if o.unknown == nil {
		return false
	}
	switch u := o.unknown[key].(type) {
	case bool:
		return u
	case []any, map[string]any:
		// a collection with any unknown element counts as unknown: the
		// caller cannot rely on the known part alone
		return containsTrue(u)
	}
	return false
}

func containsTrue(v any) bool {
	switch x := v.(type) {
	case bool:
		return x
	case []any:
		for _, e := range x {
			if containsTrue(e) {
				return true
			}
		}
	case map[string]any:
		for _, e := range x {
			if containsTrue(e) {
				return true
			}
		}
	}
	return false
}

func (o object) str(key string) string {
	switch v := o.vals[key].(type) {
	case string:
		return v
	case float64:
		return fmt.Sprint(v)
	case json.Number:
		return v.String()
	}
	return ""
}

func (o object) boolean(key string) (value, known bool) {
	if o.isUnknown(key) {
		return false, false
	}
	b, ok := o.vals[key].(bool)
	return b, ok
}

func (o object) integer(key string) int32 {
	switch v := o.vals[key].(type) {
	case float64:
		return int32(v)
	case json.Number:
		n, _ := v.Int64()
		return int32(n)
	case string:
		var n int32
		_, _ = fmt.Sscan(v, &n)
		return n
	}
	return 0
}

func (o object) strings(key string) []string {
	var out []string
	switch v := o.vals[key].(type) {
	case []any:
		for _, e := range v {
			if s, ok := e.(string); ok && s != "" {
				out = append(out, s)
			}
		}
	case string:
		if v != "" {
			out = append(out, v)
		}
	}
	return out
}

func (o object) tags() map[string]string {
	m, _ := o.vals["tags"].(map[string]any)
	if len(m) == 0 {
		m, _ = o.vals["tags_all"].(map[string]any)
	}
	if len(m) == 0 {
		return nil
	}
	out := make(map[string]string, len(m))
	for k, v := range m {
		if s, ok := v.(string); ok {
			out[k] = s
		}
	}
	return out
}

// blocks returns a nested block list (ingress, inline_policy, ...) as
// objects, each with its own unknown marks.
func (o object) blocks(key string) []object {
	list, _ := o.vals[key].([]any)
	ul, _ := o.unknown[key].([]any)
	out := make([]object, 0, len(list))
	for i, e := range list {
		var u any
		if i < len(ul) {
			u = ul[i]
		}
		out = append(out, newObject(e, u))
	}
	return out
}

// policyText normalises a policy attribute: Terraform stores it as JSON text.
func policyText(s string) string {
	return strings.TrimSpace(s)
}
