package graph

import (
	"cmp"
	"fmt"
	"math/rand/v2"
	"reflect"
	"slices"
	"testing"
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
