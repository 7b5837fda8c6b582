package graph

// AssembleSnapshots merges whole snapshots into a Graph the way a store's
// Load does (Assemble over their rows), for callers that hold snapshots
// without a store: tests, benchmarks, the synthetic estate. Like Assemble it
// consumes its inputs: the snapshots' rows become the graph's.
func AssembleSnapshots(snaps []*Snapshot) *Graph {
	var nodes []Node
	var edges []Edge
	var findings []Finding
	for _, s := range snaps {
		nodes = append(nodes, s.Nodes...)
		edges = append(edges, s.Edges...)
		findings = append(findings, s.Findings...)
	}
	return Assemble(nodes, edges, findings)
}
