package queries_test

import (
	"slices"

	"github.com/breachpath/breachpath/graph"
)

// assemble merges snapshots the way a store's Load does.
func assemble(snaps []*graph.Snapshot) *graph.Graph {
	var nodes []graph.Node
	var edges []graph.Edge
	var findings []graph.Finding
	for _, s := range snaps {
		nodes = append(nodes, slices.Clone(s.Nodes)...)
		edges = append(edges, slices.Clone(s.Edges)...)
		findings = append(findings, slices.Clone(s.Findings)...)
	}
	return graph.Assemble(nodes, edges, findings)
}

func edgeByKey(g *graph.Graph, key string) *graph.Edge {
	for i := range g.Edges {
		if g.Edges[i].Key().String() == key {
			return &g.Edges[i]
		}
	}
	return nil
}
