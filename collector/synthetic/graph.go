package synthetic

import "github.com/breachpath/breachpath/graph"

// Graph merges the estate's per-scope snapshots into one graph, as a store's
// Load would (graph.Assemble), for tests and benchmarks that skip the store.
func (e *Estate) Graph() *graph.Graph {
	var nodes []graph.Node
	var edges []graph.Edge
	var findings []graph.Finding
	for _, s := range e.Snapshots {
		nodes = append(nodes, s.Nodes...)
		edges = append(edges, s.Edges...)
		findings = append(findings, s.Findings...)
	}
	return graph.Assemble(nodes, edges, findings)
}
