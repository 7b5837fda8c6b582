package catalog

import (
	"math/bits"
	"unicode/utf8"
)

// ActionSet is a bitset over a catalog's action indices. Sets from the same catalog can be combined;
// the zero value is an empty set that cannot be written to (use NewSet).
type ActionSet []uint64

// NewSet returns an empty set sized to the catalog.
func (c *Catalog) NewSet() ActionSet { return make(ActionSet, (len(c.actions)+63)/64) }

// FullSet returns a set containing every action of the catalog.
func (c *Catalog) FullSet() ActionSet {
	s := c.NewSet()
	for i := range s {
		s[i] = ^uint64(0)
	}
	if r := len(c.actions) % 64; r != 0 {
		s[len(s)-1] = (1 << r) - 1
	}
	return s
}

// Set adds action i.
func (s ActionSet) Set(i int32) { s[i>>6] |= 1 << (uint(i) & 63) }

// Clear removes action i.
func (s ActionSet) Clear(i int32) { s[i>>6] &^= 1 << (uint(i) & 63) }

// Has reports whether action i is in the set.
func (s ActionSet) Has(i int32) bool {
	w := int(i >> 6)
	return w < len(s) && s[w]&(1<<(uint(i)&63)) != 0
}

// Clone returns an independent copy.
func (s ActionSet) Clone() ActionSet { return append(ActionSet(nil), s...) }

// CopyFrom overwrites s with o (same size).
func (s ActionSet) CopyFrom(o ActionSet) { copy(s, o) }

// Union adds every action of o to s.
func (s ActionSet) Union(o ActionSet) {
	for i := range o {
		s[i] |= o[i]
	}
}

// Intersect keeps only the actions also in o.
func (s ActionSet) Intersect(o ActionSet) {
	for i := range s {
		if i < len(o) {
			s[i] &= o[i]
		} else {
			s[i] = 0
		}
	}
}

// Minus removes every action of o from s.
func (s ActionSet) Minus(o ActionSet) {
	for i := range o {
		s[i] &^= o[i]
	}
}

// Reset empties the set.
func (s ActionSet) Reset() {
	for i := range s {
		s[i] = 0
	}
}

// Len counts the actions in the set.
func (s ActionSet) Len() int {
	n := 0
	for _, w := range s {
		n += bits.OnesCount64(w)
	}
	return n
}

// Empty reports whether the set has no action.
func (s ActionSet) Empty() bool {
	for _, w := range s {
		if w != 0 {
			return false
		}
	}
	return true
}

// Each calls fn for every action index in ascending order until fn returns false.
func (s ActionSet) Each(fn func(i int32) bool) {
	for wi, w := range s {
		for w != 0 {
			b := bits.TrailingZeros64(w)
			if !fn(int32(wi*64 + b)) {
				return
			}
			w &= w - 1
		}
	}
}

// Indices returns the action indices in ascending order.
func (s ActionSet) Indices() []int32 {
	out := make([]int32, 0, s.Len())
	s.Each(func(i int32) bool { out = append(out, i); return true })
	return out
}

func decodeRune(s string) (rune, int) {
	if len(s) > 0 && s[0] < utf8.RuneSelf {
		return rune(s[0]), 1
	}
	return utf8.DecodeRuneInString(s)
}
