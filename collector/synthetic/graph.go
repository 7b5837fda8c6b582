package synthetic

import "github.com/breachpath/breachpath/graph"

// Graph merges the estate's per-scope snapshots into one graph, as a store's
// Load would (graph.Assemble), for tests and benchmarks that skip the store.
func (e *Estate) Graph() *graph.Graph { return graph.AssembleSnapshots(e.Snapshots) }
