package graph

import (
	"cmp"
	"slices"
)

// Graph is the in-memory projection a Store's Load returns: every node, edge
// and finding of the selected scopes, merged across scopes and in a
// deterministic order (nodes and findings by id, edges by key). Analysis
// (paths, scoring, queries) works on it; it is read-only once built.
type Graph struct {
	Nodes    []Node
	Edges    []Edge
	Findings []Finding
	// Versions is, per loaded scope, the sync id the store read its rows at
	// (the scope's newest sync; in Neo4j its active version), as a store's
	// Load sets it: two loads with one version of a scope read the same
	// rows of it, so a reader joining two loads (a load with
	// Filter.FactsOnly after one with SkipFacts) compares them. Nil for a
	// graph not returned by a store.
	Versions map[Scope]int64

	nodeIndex    nodeIDIndex
	findingIndex map[string]int32
	byResource   map[string][]int32
}

// Assemble merges rows loaded from one or more scopes into a Graph. A node
// owned by a scope wins over stubs with the same id; edges with the same key
// are merged (their evidence and findings united). The inputs are consumed.
func Assemble(nodes []Node, edges []Edge, findings []Finding) *Graph {
	// owned nodes first so the merge below keeps them
	slices.SortStableFunc(nodes, CompareOwnedFirst)
	nodes = slices.CompactFunc(nodes, func(a, b Node) bool { return a.ID == b.ID })

	slices.SortStableFunc(edges, func(a, b Edge) int { return a.Key().Compare(b.Key()) })
	out := edges[:0]
	for _, e := range edges {
		if n := len(out); n > 0 && out[n-1].Key() == e.Key() {
			prev := &out[n-1]
			prev.Evidence = unionStrings(prev.Evidence, e.Evidence)
			prev.Findings = unionStrings(prev.Findings, e.Findings)
			prev.Likelihood = max(prev.Likelihood, e.Likelihood)
			prev.Conditional = prev.Conditional && e.Conditional
			prev.Stale = prev.Stale && e.Stale
			continue
		}
		out = append(out, e)
	}
	edges = out

	slices.SortStableFunc(findings, func(a, b Finding) int { return cmp.Compare(a.ID, b.ID) })
	findings = slices.CompactFunc(findings, func(a, b Finding) bool { return a.ID == b.ID })

	g := &Graph{Nodes: nodes, Edges: edges, Findings: findings}
	g.index()
	return g
}

func (g *Graph) index() {
	g.indexNodes()
	g.indexFindings()
}

func (g *Graph) indexNodes() {
	g.nodeIndex = newNodeIDIndex(g.Nodes)
}

func (g *Graph) indexFindings() {
	g.findingIndex = make(map[string]int32, len(g.Findings))
	g.byResource = make(map[string][]int32)
	for i := range g.Findings {
		g.findingIndex[g.Findings[i].ID] = int32(i)
		r := g.Findings[i].Resource
		g.byResource[r] = append(g.byResource[r], int32(i))
	}
}

// WithEdges returns a graph of g's nodes and findings, shared with g along
// with their indexes, and the given edges instead of g's. The edges must be
// in Edges' order (CompareEdges). It joins a second load of the same store
// contents with more edge kinds (a load without SkipFacts after one with it)
// to the first, so the nodes are neither held twice nor indexed again.
func (g *Graph) WithEdges(edges []Edge) *Graph {
	return &Graph{Nodes: g.Nodes, Edges: edges, Findings: g.Findings, Versions: g.Versions,
		nodeIndex: g.nodeIndex, findingIndex: g.findingIndex, byResource: g.byResource}
}

// NodeIndex returns the position of the node with the given id in Nodes.
func (g *Graph) NodeIndex(id string) (int32, bool) {
	return g.nodeIndex.find(g.Nodes, id)
}

// Node returns the node with the given id, or nil.
func (g *Graph) Node(id string) *Node {
	if i, ok := g.nodeIndex.find(g.Nodes, id); ok {
		return &g.Nodes[i]
	}
	return nil
}

// Finding returns the finding with the given id, or nil.
func (g *Graph) Finding(id string) *Finding {
	if i, ok := g.findingIndex[id]; ok {
		return &g.Findings[i]
	}
	return nil
}

// FindingsOn returns the findings on the resource with the given id.
func (g *Graph) FindingsOn(id string) []*Finding {
	idx := g.byResource[id]
	out := make([]*Finding, len(idx))
	for i, j := range idx {
		out[i] = &g.Findings[j]
	}
	return out
}

// CompareBool orders false before true, for sort functions.
func CompareBool(a, b bool) int {
	switch {
	case a == b:
		return 0
	case b:
		return -1
	}
	return 1
}

// CompareOwnedFirst orders nodes by id and, among nodes with one id, the
// owned node before stubs: the order in which merging keeps the owned node.
func CompareOwnedFirst(a, b Node) int { return compareNodeOrder(&a, &b) }

func unionStrings(a, b []string) []string {
	if len(b) == 0 {
		return a
	}
	out := append(slices.Clone(a), b...)
	slices.Sort(out)
	return slices.Compact(out)
}
