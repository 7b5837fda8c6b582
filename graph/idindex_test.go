package graph

import (
	"fmt"
	"reflect"
	"testing"
)

// TestNodeIndexFindsEveryNodeAndNoOther checks the compact id index against
// the positions it replaces a map for, at sizes around its growth points,
// and that ids the graph does not hold are not found.
func TestNodeIndexFindsEveryNodeAndNoOther(t *testing.T) {
	for _, n := range []int{0, 1, 2, 3, 4, 5, 7, 8, 100, 767, 768, 769, 4096, 50_000} {
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			nodes := make([]Node, n)
			for i := range nodes {
				nodes[i].ID = fmt.Sprintf("arn:aws:iam::1:role/r%d", i)
			}
			g := &Graph{Nodes: nodes}
			g.index()
			for i := range nodes {
				got, ok := g.NodeIndex(nodes[i].ID)
				if !ok || got != int32(i) {
					t.Fatalf("NodeIndex(%q) = %d, %v; want %d", nodes[i].ID, got, ok, i)
				}
				if g.Node(nodes[i].ID) != &g.Nodes[i] {
					t.Fatalf("Node(%q) is not Nodes[%d]", nodes[i].ID, i)
				}
			}
			for _, id := range []string{"", "arn:aws:iam::1:role/r", fmt.Sprintf("arn:aws:iam::1:role/r%d", n), "arn:aws:iam::1:role/r-1"} {
				if i, ok := g.NodeIndex(id); ok {
					t.Fatalf("NodeIndex(%q) = %d, true; the graph has no such node", id, i)
				}
				if g.Node(id) != nil {
					t.Fatalf("Node(%q) found a node the graph does not hold", id)
				}
			}
		})
	}
}

// TestNodeIndexLaterDuplicateWins keeps the map's semantics for a slice
// with repeated ids (Assemble and MergeTiled never leave any): the last
// position is the one found.
func TestNodeIndexLaterDuplicateWins(t *testing.T) {
	g := &Graph{Nodes: []Node{{ID: "a"}, {ID: "b"}, {ID: "a"}}}
	g.index()
	if i, ok := g.NodeIndex("a"); !ok || i != 2 {
		t.Fatalf("NodeIndex(a) = %d, %v; want 2", i, ok)
	}
	if i, ok := g.NodeIndex("b"); !ok || i != 1 {
		t.Fatalf("NodeIndex(b) = %d, %v; want 1", i, ok)
	}
}

// TestZeroGraphFindsNothing: a Graph built without Assemble (tests, callers
// filling the slices themselves) answers "not found", never panics.
func TestZeroGraphFindsNothing(t *testing.T) {
	g := &Graph{Nodes: []Node{{ID: "a"}}}
	if _, ok := g.NodeIndex("a"); ok {
		t.Fatal("an unindexed graph found a node")
	}
	if g.Node("a") != nil {
		t.Fatal("an unindexed graph returned a node")
	}
}

// TestEqualNodesGiveEqualGraphs: two graphs indexed from equal node slices
// are reflect.DeepEqual, as the store conformance tests compare loads.
func TestEqualNodesGiveEqualGraphs(t *testing.T) {
	mk := func() *Graph {
		g := &Graph{Nodes: []Node{{ID: "a"}, {ID: "b"}, {ID: "c"}}}
		g.index()
		return g
	}
	if a, b := mk(), mk(); !reflect.DeepEqual(a, b) {
		t.Fatal("two graphs of equal nodes differ")
	}
}
