package graph

import (
	"cmp"
	"fmt"
	"math/rand/v2"
	"reflect"
	"runtime"
	"slices"
	"testing"
	"unsafe"
)

// randomParts builds parts that overlap the way scopes do: shared stub ids
// (the Internet, a role in a sibling account), the same edge key in two
// scopes with different evidence, findings repeated across scopes.
func randomParts(r *rand.Rand, nParts int) []Part {
	parts := make([]Part, nParts)
	for p := range parts {
		ids := map[string]bool{}
		var nodes []Node
		for range 1 + r.IntN(30) {
			var id string
			stub := false
			switch r.IntN(4) {
			case 0: // shared: stub here, maybe owned elsewhere
				id, stub = fmt.Sprintf("shared-%d", r.IntN(8)), r.IntN(3) > 0
			default:
				id = fmt.Sprintf("p%d-n%d", p, r.IntN(40))
			}
			if ids[id] {
				continue
			}
			ids[id] = true
			nodes = append(nodes, Node{ID: id, Kind: KindRole, Stub: stub, Name: fmt.Sprintf("from part %d", p)})
		}
		slices.SortFunc(nodes, func(a, b Node) int { return cmp.Compare(a.ID, b.ID) })
		keys := map[EdgeKey]bool{}
		var moves, facts []Edge
		for range r.IntN(60) {
			a, b := nodes[r.IntN(len(nodes))].ID, nodes[r.IntN(len(nodes))].ID
			e := Edge{From: a, To: b, Kind: EdgeAssumes, Technique: fmt.Sprintf("t%d", r.IntN(2)),
				Likelihood: float64(r.IntN(4)) / 4, Conditional: r.IntN(2) == 0, Stale: r.IntN(3) == 0,
				Evidence: []string{fmt.Sprintf("ev-%d-%d", p, r.IntN(3))}, Findings: []string{fmt.Sprintf("f%d", r.IntN(5))}}
			if r.IntN(2) == 0 {
				e.Kind, e.Technique = EdgeMemberOf, ""
			}
			if keys[e.Key()] {
				continue
			}
			keys[e.Key()] = true
			if e.Kind.IsMove() {
				moves = append(moves, e)
			} else {
				facts = append(facts, e)
			}
		}
		for _, run := range [][]Edge{moves, facts} {
			slices.SortFunc(run, func(a, b Edge) int { return CompareEdges(&a, &b) })
		}
		var findings []Finding
		fids := map[string]bool{}
		for range r.IntN(10) {
			id := fmt.Sprintf("f%d", r.IntN(12))
			if fids[id] {
				continue
			}
			fids[id] = true
			findings = append(findings, Finding{ID: id, RuleID: "r", Resource: nodes[0].ID, Title: fmt.Sprintf("part %d", p)})
		}
		slices.SortFunc(findings, func(a, b Finding) int { return cmp.Compare(a.ID, b.ID) })
		parts[p] = Part{Nodes: nodes, EdgeRuns: [][]Edge{moves, facts}, Findings: findings}
	}
	return parts
}

func TestMergeEqualsAssembleOfTheConcatenatedParts(t *testing.T) {
	for seed := range uint64(200) {
		r := rand.New(rand.NewPCG(seed, 7))
		parts := randomParts(r, 1+r.IntN(6))
		var nodes []Node
		var edges []Edge
		var findings []Finding
		for _, p := range parts {
			nodes = append(nodes, p.Nodes...)
			for _, run := range p.EdgeRuns {
				edges = append(edges, run...)
			}
			findings = append(findings, p.Findings...)
		}
		want := Assemble(slices.Clone(nodes), cloneEdges(edges), slices.Clone(findings))
		got := Merge(parts)
		if !reflect.DeepEqual(got.Nodes, want.Nodes) {
			t.Fatalf("seed %d: nodes differ:\n got %v\nwant %v", seed, got.Nodes, want.Nodes)
		}
		if !reflect.DeepEqual(got.Edges, want.Edges) {
			t.Fatalf("seed %d: edges differ:\n got %v\nwant %v", seed, got.Edges, want.Edges)
		}
		if !reflect.DeepEqual(got.Findings, want.Findings) {
			t.Fatalf("seed %d: findings differ:\n got %v\nwant %v", seed, got.Findings, want.Findings)
		}
		for i := range got.Nodes {
			if j, ok := got.NodeIndex(got.Nodes[i].ID); !ok || int(j) != i {
				t.Fatalf("seed %d: node index of %q is %d, %v", seed, got.Nodes[i].ID, j, ok)
			}
		}
	}
}

func TestMergeOfNoPartsIsAnEmptyGraph(t *testing.T) {
	g := Merge(nil)
	if len(g.Nodes)+len(g.Edges)+len(g.Findings) != 0 || g.Node("x") != nil {
		t.Fatalf("got %+v", g)
	}
}

func cloneEdges(es []Edge) []Edge {
	out := slices.Clone(es)
	for i := range out {
		out[i].Evidence = slices.Clone(out[i].Evidence)
		out[i].Findings = slices.Clone(out[i].Findings)
	}
	return out
}

// tile moves the parts' nodes and edge runs into one slice each, back to
// back, the way graph/embedded decodes scopes into their windows.
func tile(parts []Part) Tiles {
	var t Tiles
	for _, p := range parts {
		t.Nodes = append(t.Nodes, p.Nodes...)
		for _, r := range p.EdgeRuns {
			t.Edges = append(t.Edges, r...)
		}
	}
	t.Nodes, t.Edges = slices.Clip(t.Nodes), slices.Clip(t.Edges)
	n, e := 0, 0
	for i := range parts {
		parts[i].Nodes = t.Nodes[n : n+len(parts[i].Nodes)]
		n += len(parts[i].Nodes)
		for j, r := range parts[i].EdgeRuns {
			parts[i].EdgeRuns[j] = t.Edges[e : e+len(r)]
			e += len(r)
		}
	}
	return t
}

func cloneParts(parts []Part) []Part {
	out := make([]Part, len(parts))
	for i, p := range parts {
		out[i] = Part{Nodes: slices.Clone(p.Nodes), Findings: slices.Clone(p.Findings)}
		for _, r := range p.EdgeRuns {
			out[i].EdgeRuns = append(out[i].EdgeRuns, cloneEdges(r))
		}
	}
	return out
}

func TestMergeTiledEqualsMerge(t *testing.T) {
	for seed := range uint64(300) {
		r := rand.New(rand.NewPCG(seed, 11))
		parts := randomParts(r, 1+r.IntN(8))
		want := Merge(cloneParts(parts))
		tiles := tile(parts)
		if seed%5 == 0 && len(parts) > 1 && len(parts[1].Nodes) > 0 {
			// a part decoded outside the tile: nodes are merged by copying
			parts[1].Nodes = slices.Clone(parts[1].Nodes)
		}
		got := MergeTiled(parts, tiles)
		if !reflect.DeepEqual(got.Nodes, want.Nodes) {
			t.Fatalf("seed %d: nodes differ:\n got %v\nwant %v", seed, got.Nodes, want.Nodes)
		}
		if !reflect.DeepEqual(got.Edges, want.Edges) {
			t.Fatalf("seed %d: edges differ:\n got %v\nwant %v", seed, got.Edges, want.Edges)
		}
		if !reflect.DeepEqual(got.Findings, want.Findings) {
			t.Fatalf("seed %d: findings differ", seed)
		}
		for i := range got.Nodes {
			if j, ok := got.NodeIndex(got.Nodes[i].ID); !ok || int(j) != i {
				t.Fatalf("seed %d: node index of %q is %d, %v", seed, got.Nodes[i].ID, j, ok)
			}
		}
	}
}

// TestMergeTiledSortsInPlace: merging interleaved tiled runs allocates a
// few bytes per row (positions), not a second copy of the rows.
func TestMergeTiledSortsInPlace(t *testing.T) {
	const perPart, nParts = 5000, 4
	var parts []Part
	for p := range nParts {
		var part Part
		var run []Edge
		for i := range perPart {
			id := fmt.Sprintf("n%06d", i*nParts+p) // interleaves with every other part
			part.Nodes = append(part.Nodes, Node{ID: id, Kind: KindRole})
			run = append(run, Edge{From: id, To: "x", Kind: EdgeAssumes, Technique: "t"})
		}
		part.EdgeRuns = [][]Edge{run}
		parts = append(parts, part)
	}
	tiles := tile(parts)
	rows := uint64(len(tiles.Nodes))*uint64(unsafe.Sizeof(Node{})) + uint64(len(tiles.Edges))*uint64(unsafe.Sizeof(Edge{}))
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	g := MergeTiled(parts, tiles)
	runtime.ReadMemStats(&after)
	if len(g.Nodes) != perPart*nParts || len(g.Edges) != perPart*nParts || !slices.IsSortedFunc(g.Edges, func(a, b Edge) int { return CompareEdges(&a, &b) }) {
		t.Fatalf("merged %d nodes, %d edges", len(g.Nodes), len(g.Edges))
	}
	if &g.Nodes[0] != &tiles.Nodes[0] || &g.Edges[0] != &tiles.Edges[0] {
		t.Error("the graph does not hold the tiles: the rows were copied")
	}
	// the node index (a map of every id) is the largest allocation left
	if got := after.TotalAlloc - before.TotalAlloc; got > rows/2 {
		t.Errorf("merging %d bytes of rows in place allocated %d bytes, want under half of that", rows, got)
	}
}
