package graph

import (
	"cmp"
	"container/heap"
	"math"
	"sort"
	"sync"
)

// Part is one scope's rows, each list already in the canonical order of a
// Graph (nodes and findings by id, edges by key) and without duplicate keys
// within a list. A store that keeps rows sorted (the binary scope
// projection, graph/blob) hands them to Merge as parts, which is far
// cheaper than concatenating and sorting them again in Assemble.
type Part struct {
	Nodes []Node
	// EdgeRuns are sorted edge lists; a part may split its edges (moves and
	// facts, for instance) so that a reader can skip one of them.
	EdgeRuns [][]Edge
	Findings []Finding
}

// Merge assembles parts into a Graph. The result equals Assemble applied to
// the concatenation of the parts' rows in order (a node owned by a scope wins
// over stubs; edges with one key are merged; among equals the earlier part
// comes first), but it merges sorted runs instead of sorting everything: a
// loaded million-resource estate is mostly long runs that do not interleave.
// Merge consumes the parts: it clears their slices as it goes (the Graph
// owns new slices), so a caller keeps nothing of them.
func Merge(parts []Part) *Graph { return MergeTiled(parts, Tiles{}) }

// Tiles are slices that hold the parts' rows back to back: the nodes of
// part 0, then those of part 1, and so on; the edge runs likewise, run
// after run. A store that knows every scope's row counts before decoding
// (graph/embedded) decodes each scope into its window of one slice.
type Tiles struct {
	Nodes []Node
	Edges []Edge
}

// MergeTiled is Merge for parts whose rows lie in tiles: it sorts the rows
// in place (a permutation of positions, applied by following its cycles)
// instead of copying them into a new slice, so while the graph is built it
// costs one copy of its nodes and edges, not two: at a million resources
// that is some 430 MB less at the peak. A kind of row whose runs do not tile
// its slice exactly (a scope decoded elsewhere) is merged by copying, as
// Merge does; the result is the same either way.
func MergeTiled(parts []Part, tiles Tiles) *Graph {
	var nodeRuns [][]Node
	var edgeRuns [][]Edge
	var findingRuns [][]Finding
	for _, p := range parts {
		if len(p.Nodes) > 0 {
			nodeRuns = append(nodeRuns, p.Nodes)
		}
		for _, r := range p.EdgeRuns {
			if len(r) > 0 {
				edgeRuns = append(edgeRuns, r)
			}
		}
		if len(p.Findings) > 0 {
			findingRuns = append(findingRuns, p.Findings)
		}
	}
	// Copied, each kind of row is merged into a new slice and the parts'
	// slices of it are dropped at once, so the garbage collector can take
	// them back before the next kind is merged: the peak is one copy of one
	// kind, not of the graph. Sorted in place, nothing is copied, and the
	// nodes (with their index) are merged on another core beside the edges.
	g := &Graph{}
	var nodesDone sync.WaitGroup
	mergeNodes := func() {
		nodes := mergeRunsIn(nodeRuns, tiles.Nodes, compareNodeOrder)
		clear(nodeRuns)
		for i := range parts {
			parts[i].Nodes = nil
		}
		g.Nodes = compactSorted(nodes, func(a, b *Node) bool { return a.ID == b.ID }, nil)
		g.indexNodes()
	}
	if tiled(nodeRuns, tiles.Nodes) && tiled(edgeRuns, tiles.Edges) {
		nodesDone.Go(mergeNodes)
	} else {
		mergeNodes()
	}
	edges := mergeRunsIn(edgeRuns, tiles.Edges, CompareEdges)
	clear(edgeRuns)
	for i := range parts {
		parts[i].EdgeRuns = nil
	}
	edges = compactSorted(edges, func(a, b *Edge) bool { return CompareEdges(a, b) == 0 }, mergeEdge)
	findings := mergeRuns(findingRuns, func(a, b *Finding) int { return cmp.Compare(a.ID, b.ID) })
	clear(findingRuns)
	for i := range parts {
		parts[i].Findings = nil
	}
	g.Findings = compactSorted(findings, func(a, b *Finding) bool { return a.ID == b.ID }, nil)
	g.Edges = edges
	g.indexFindings()
	nodesDone.Wait()
	return g
}

// compareNodeOrder is Assemble's node order: by id, owned before stub.
func compareNodeOrder(a, b *Node) int {
	if c := cmp.Compare(a.ID, b.ID); c != 0 {
		return c
	}
	return CompareBool(a.Stub, b.Stub)
}

// CompareEdges orders edges by key (EdgeKey.Compare): the order of Graph.Edges.
func CompareEdges(a, b *Edge) int { return a.Key().Compare(b.Key()) }

// mergeEdge folds a later edge with the same key into the kept one, as Assemble does.
func mergeEdge(prev, e *Edge) {
	prev.Evidence = unionStrings(prev.Evidence, e.Evidence)
	prev.Findings = unionStrings(prev.Findings, e.Findings)
	prev.Likelihood = max(prev.Likelihood, e.Likelihood)
	prev.Conditional = prev.Conditional && e.Conditional
	prev.Stale = prev.Stale && e.Stale
}

// compactSorted drops (or, with fold, merges into the first) adjacent equal rows.
func compactSorted[T any](s []T, eq func(a, b *T) bool, fold func(prev, next *T)) []T {
	if len(s) < 2 {
		return s
	}
	out := s[:1]
	for i := 1; i < len(s); i++ {
		prev := &out[len(out)-1]
		if eq(prev, &s[i]) {
			if fold != nil {
				fold(prev, &s[i])
			}
			continue
		}
		out = append(out, s[i])
	}
	clear(s[len(out):]) // drop references the compacted tail still holds
	return out[:len(out):len(out)]
}

// mergeRunsIn merges the runs in place when they are, in order, windows
// covering all of tile; otherwise it copies them (mergeRuns).
func mergeRunsIn[T any](runs [][]T, tile []T, compare func(a, b *T) int) []T {
	if !tiled(runs, tile) {
		return mergeRuns(runs, compare)
	}
	if len(runs) == 1 {
		return tile
	}
	// merge positions instead of rows: a position is 4 bytes, a row over 100
	pos := make([]int32, len(tile))
	for i := range pos {
		pos[i] = int32(i)
	}
	posRuns := make([][]int32, len(runs))
	off := 0
	for i, r := range runs {
		posRuns[i] = pos[off : off+len(r)]
		off += len(r)
	}
	perm := mergeRuns(posRuns, func(a, b *int32) int { return compare(&tile[*a], &tile[*b]) })
	Permute(tile, perm)
	return tile
}

// tiled reports whether runs are consecutive windows that cover all of tile.
func tiled[T any](runs [][]T, tile []T) bool {
	if len(tile) == 0 || len(tile) > math.MaxInt32 {
		return false
	}
	off := 0
	for _, r := range runs {
		if len(r) == 0 {
			continue
		}
		if off+len(r) > len(tile) || &r[0] != &tile[off] {
			return false
		}
		off += len(r)
	}
	return off == len(tile)
}

// Permute reorders s so that s[k] becomes the old s[perm[k]], in place:
// each cycle of the permutation is followed once, holding one row aside.
// perm must be a permutation of the positions of s; it is used up. Sorting
// positions and then permuting once moves each large element once, where
// sorting the elements themselves swaps them at every step.
func Permute[T any](s []T, perm []int32) {
	for k := range perm {
		if perm[k] < 0 || int(perm[k]) == k {
			continue
		}
		held := s[k]
		j := k
		for {
			src := int(perm[j])
			perm[j] = -1
			if src == k {
				s[j] = held
				break
			}
			s[j] = s[src]
			j = src
		}
	}
}

// mergeRuns merges sorted runs into one new sorted slice; equal elements
// keep the order of their runs. It moves whole chunks: the run with the
// smallest head gives up every element that sorts before the next run's
// head (found by binary search), so runs that do not interleave cost one
// search each, not one comparison per element.
func mergeRuns[T any](runs [][]T, compare func(a, b *T) int) []T {
	total := 0
	for _, r := range runs {
		total += len(r)
	}
	if total == 0 {
		return nil // as Assemble returns for no rows
	}
	out := make([]T, 0, total)
	switch len(runs) {
	case 1:
		return append(out, runs[0]...)
	}
	h := &runHeap[T]{compare: compare}
	for i, r := range runs {
		h.items = append(h.items, runHead[T]{rest: r, run: i})
	}
	heap.Init(h)
	for h.Len() > 0 {
		top := &h.items[0]
		if h.Len() == 1 {
			out = append(out, top.rest...)
			break
		}
		// the next smallest head is one of the root's children
		next := h.items[1]
		if h.Len() > 2 && h.less(2, 1) {
			next = h.items[2]
		}
		bound := &next.rest[0]
		// elements of top that come before bound: strictly smaller, or
		// equal and from an earlier run (stable)
		n := sort.Search(len(top.rest), func(i int) bool {
			c := compare(&top.rest[i], bound)
			return c > 0 || (c == 0 && top.run > next.run)
		})
		if n == 0 {
			n = 1 // the heap says top's head is first; take it
		}
		out = append(out, top.rest[:n]...)
		top.rest = top.rest[n:]
		if len(top.rest) == 0 {
			heap.Pop(h)
		} else {
			heap.Fix(h, 0)
		}
	}
	return out
}

type runHead[T any] struct {
	rest []T
	run  int
}

type runHeap[T any] struct {
	items   []runHead[T]
	compare func(a, b *T) int
}

func (h *runHeap[T]) Len() int { return len(h.items) }

func (h *runHeap[T]) less(i, j int) bool {
	a, b := &h.items[i], &h.items[j]
	if c := h.compare(&a.rest[0], &b.rest[0]); c != 0 {
		return c < 0
	}
	return a.run < b.run
}

func (h *runHeap[T]) Less(i, j int) bool { return h.less(i, j) }
func (h *runHeap[T]) Swap(i, j int)      { h.items[i], h.items[j] = h.items[j], h.items[i] }
func (h *runHeap[T]) Push(x any)         { h.items = append(h.items, x.(runHead[T])) }
func (h *runHeap[T]) Pop() any {
	x := h.items[len(h.items)-1]
	h.items = h.items[:len(h.items)-1]
	return x
}
