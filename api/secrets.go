package api

import (
	"github.com/breachpath/breachpath/graph"
	"github.com/breachpath/breachpath/graph/secrets"
)

// The store never holds a secret value: graph.CheckSync redacts every
// snapshot before it is written (graph/secrets decides what is secret). The
// API is the last line for stores written before that rule, or by hand:
// a key whose name says secret is dropped rather than served, and secret
// parts of other values are replaced by "[redacted:<kind>]".

// secretLike reports whether a key's name says its value is a secret.
func secretLike(key string) bool {
	_, ok := secrets.KeyKind(key)
	return ok
}

// safeProps returns the props without secret-like keys and with secret
// parts of the other values redacted (nil when empty).
func safeProps(p graph.Props) graph.Props {
	if len(p) == 0 {
		return nil
	}
	var sc secrets.Scrubber
	out := make(graph.Props, len(p))
	for k, v := range p {
		if secretLike(k) {
			continue
		}
		switch x := v.(type) {
		case string:
			v, _, _ = sc.Value(k, x)
		case []string:
			l := make([]string, len(x))
			for i, e := range x {
				l[i], _, _ = sc.Value(k, e)
			}
			v = l
		}
		out[k] = v
	}
	if len(out) == 0 {
		return nil
	}
	return out
}

// safeTags returns the tags without secret-like keys and with secret parts
// of the other values redacted (nil when empty).
func safeTags(t map[string]string) map[string]string {
	if len(t) == 0 {
		return nil
	}
	var sc secrets.Scrubber
	out := make(map[string]string, len(t))
	for k, v := range t {
		if !secretLike(k) {
			out[k], _, _ = sc.Value(k, v)
		}
	}
	if len(out) == 0 {
		return nil
	}
	return out
}
