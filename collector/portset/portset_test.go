package portset

import (
	"slices"
	"testing"
)

func TestSetAlgebra(t *testing.T) {
	a := Set{{20, 30}, {80, 80}}
	for _, c := range []struct {
		name      string
		got, want Set
	}{
		{"union merges adjacent ranges", a.Union(Set{{31, 40}}), Set{{20, 40}, {80, 80}}},
		{"union merges overlapping ranges out of order", Set{{100, 200}}.Union(Set{{150, 300}, {1, 5}}), Set{{1, 5}, {100, 300}}},
		{"union with the empty set is the set", a.Union(nil), a},
		{"intersect keeps the common parts", a.Intersect(Set{{25, 80}}), Set{{25, 30}, {80, 80}}},
		{"intersect of disjoint sets is empty", a.Intersect(Set{{31, 79}}), Set{}},
		{"minus splits a range", All.Minus(Single(22)), Set{{0, 21}, {23, 65535}}},
		{"minus of a covering set is empty", a.Minus(All), nil},
		{"span clamps to the port range", Span(-5, 70000), All},
		{"span clamps a number too large for int32", Span(443, 1<<40), Set{{443, 65535}}},
		{"reversed span is empty", Span(10, 9), nil},
	} {
		if !slices.Equal(c.got, c.want) {
			t.Errorf("%s: got %v, want %v", c.name, c.got, c.want)
		}
	}
}

func TestOperandsAreNotModified(t *testing.T) {
	s, u := Set{{10, 20}, {40, 50}}, Set{{15, 45}}
	s.Union(u)
	s.Intersect(u)
	s.Minus(u)
	if !slices.Equal(s, Set{{10, 20}, {40, 50}}) || !slices.Equal(u, Set{{15, 45}}) {
		t.Fatalf("operands changed: %v %v", s, u)
	}
}

func TestMembership(t *testing.T) {
	if !(Set{{1024, 65535}}).Covers(49152, 65535) || (Set{{1024, 2000}}).Covers(49152, 65535) {
		t.Error("Covers")
	}
	if !(Set{{22, 22}, {80, 90}}).Has(85) || (Set{{22, 22}, {80, 90}}).Has(23) {
		t.Error("Has")
	}
	if !All.IsAll() || (Set{{0, 65534}}).IsAll() || Set(nil).IsAll() {
		t.Error("IsAll")
	}
}
