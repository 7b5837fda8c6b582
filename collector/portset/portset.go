// Package portset is port-range arithmetic for network reachability: sets
// of inclusive port ranges with union, intersection and difference. It
// knows no cloud: each collector turns its own rule shapes (security
// group protocols and -1 ranges, NSG range strings) into sets and renders
// them in its own notation.
package portset

import "slices"

// Max is the highest port.
const Max = 65535

// Range is an inclusive port range.
type Range struct{ Lo, Hi int32 }

// Set is a sorted list of disjoint, non-adjacent ranges; nil is the empty
// set. Operations return new sets and never modify their operands, so sets
// may share backing arrays.
type Set []Range

// All is every port, 0-65535. Do not modify it.
var All = Set{{0, Max}}

// Span is the set lo..hi clamped to 0..Max; empty when nothing is left.
// It takes int so that a parsed number too large for a port clamps
// instead of wrapping.
func Span(lo, hi int) Set {
	lo, hi = max(lo, 0), min(hi, Max)
	if lo > hi {
		return nil
	}
	return Set{{int32(lo), int32(hi)}}
}

// Single is the set of one port.
func Single(p int32) Set { return Set{{p, p}} }

// Union is every port in s or t.
func (s Set) Union(t Set) Set {
	if len(t) == 0 {
		return s
	}
	all := append(slices.Clone(s), t...)
	slices.SortFunc(all, func(a, b Range) int { return int(a.Lo - b.Lo) })
	out := Set{}
	for _, r := range all {
		if n := len(out); n > 0 && r.Lo <= out[n-1].Hi+1 {
			out[n-1].Hi = max(out[n-1].Hi, r.Hi)
			continue
		}
		out = append(out, r)
	}
	return out
}

// Intersect is every port in both s and t.
func (s Set) Intersect(t Set) Set {
	var out Set
	for _, a := range s {
		for _, c := range t {
			lo, hi := max(a.Lo, c.Lo), min(a.Hi, c.Hi)
			if lo <= hi {
				out = append(out, Range{lo, hi})
			}
		}
	}
	return Set{}.Union(out)
}

// Minus is every port in s and not in t.
func (s Set) Minus(t Set) Set {
	out := s
	for _, c := range t {
		var next Set
		for _, a := range out {
			if c.Hi < a.Lo || c.Lo > a.Hi {
				next = append(next, a)
				continue
			}
			if a.Lo < c.Lo {
				next = append(next, Range{a.Lo, c.Lo - 1})
			}
			if a.Hi > c.Hi {
				next = append(next, Range{c.Hi + 1, a.Hi})
			}
		}
		out = next
	}
	return out
}

// Covers reports whether every port lo..hi is in s.
func (s Set) Covers(lo, hi int32) bool {
	for _, r := range s {
		if r.Lo <= lo && r.Hi >= hi {
			return true
		}
	}
	return false
}

// Has reports whether port p is in s.
func (s Set) Has(p int32) bool { return s.Covers(p, p) }

// IsAll reports whether s is every port.
func (s Set) IsAll() bool { return len(s) == 1 && s[0] == All[0] }
