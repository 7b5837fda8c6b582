package graph

import "slices"

// Delta is a planned change to a stored graph (an infrastructure-as-code
// plan): what the change adds, replaces and removes. Apply overlays it.
type Delta struct {
	// Upsert nodes replace the stored node with the same id or are added.
	Upsert []Node
	// Context nodes are added only when the graph has no node with their
	// id (stubs and the surroundings a change refers to).
	Context []Node
	// RemoveNodes are deleted with every edge and finding touching them.
	RemoveNodes []string
	// AddEdges are merged in; RemoveEdges are deleted by key.
	AddEdges    []Edge
	RemoveEdges []EdgeKey
	// Findings replace every stored finding on the Upsert nodes.
	Findings []Finding
}

// Apply returns a new graph: base with d overlaid. base is not modified;
// a nil base is the empty graph.
func (d *Delta) Apply(base *Graph) *Graph {
	var nodes []Node
	var edges []Edge
	var findings []Finding
	if base != nil {
		nodes = make([]Node, 0, len(base.Nodes)+len(d.Upsert)+len(d.Context))
		edges = make([]Edge, 0, len(base.Edges)+len(d.AddEdges))
		findings = make([]Finding, 0, len(base.Findings)+len(d.Findings))
	}
	replaced := make(map[string]bool, len(d.Upsert)+len(d.RemoveNodes))
	for i := range d.Upsert {
		replaced[d.Upsert[i].ID] = true
	}
	removed := make(map[string]bool, len(d.RemoveNodes))
	for _, id := range d.RemoveNodes {
		removed[id] = true
	}
	dropEdge := make(map[EdgeKey]bool, len(d.RemoveEdges))
	for _, k := range d.RemoveEdges {
		dropEdge[k] = true
	}
	present := map[string]bool{}
	if base != nil {
		for i := range base.Nodes {
			n := &base.Nodes[i]
			if replaced[n.ID] || removed[n.ID] {
				continue
			}
			present[n.ID] = true
			nodes = append(nodes, *n)
		}
		for i := range base.Edges {
			e := &base.Edges[i]
			if removed[e.From] || removed[e.To] || dropEdge[e.Key()] {
				continue
			}
			edges = append(edges, *e)
		}
		for i := range base.Findings {
			f := &base.Findings[i]
			if replaced[f.Resource] || removed[f.Resource] {
				continue
			}
			findings = append(findings, *f)
		}
	}
	for i := range d.Upsert {
		if !removed[d.Upsert[i].ID] {
			nodes = append(nodes, d.Upsert[i])
			present[d.Upsert[i].ID] = true
		}
	}
	for i := range d.Context {
		n := d.Context[i]
		if !present[n.ID] && !removed[n.ID] && !replaced[n.ID] {
			nodes = append(nodes, n)
			present[n.ID] = true
		}
	}
	for i := range d.AddEdges {
		e := d.AddEdges[i]
		if present[e.From] && present[e.To] && !removed[e.From] && !removed[e.To] {
			e.Evidence = slices.Clone(e.Evidence)
			edges = append(edges, e)
		}
	}
	findings = append(findings, d.Findings...)
	return Assemble(nodes, edges, findings)
}
