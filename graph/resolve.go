package graph

import (
	"fmt"
	"slices"
	"strings"
)

// PropIdentifiers is the node property (a string list) in which collectors
// put other identifiers a user may name the node by: an IAM user's access
// key ids, an instance's id. Resolve matches it exactly.
const PropIdentifiers = "identifiers"

// Resolve finds the nodes a user means by ref, for "what can someone who
// holds X reach": ref is a node id, an identifier in a node's identifiers
// property (an access key id), the last part of an id (an instance id
// "i-0abc", a principal's name after "user/" or "role/"), or a node's name.
// The first rule that matches any node decides; several nodes may match
// (a user and a role of the same name). With no match, why says so in
// words a user can act on.
func (g *Graph) Resolve(ref string) (ids []string, why string) {
	ref = strings.TrimSpace(ref)
	if ref == "" {
		return nil, "an empty source names no node"
	}
	if _, ok := g.NodeIndex(ref); ok {
		return []string{ref}, ""
	}
	rules := []func(n *Node) bool{
		func(n *Node) bool {
			l, _ := n.Props[PropIdentifiers].([]string)
			return slices.Contains(l, ref)
		},
		func(n *Node) bool {
			return !n.Stub && (strings.HasSuffix(n.ID, "/"+ref) || strings.HasSuffix(n.ID, ":"+ref))
		},
		func(n *Node) bool { return !n.Stub && n.Name == ref },
	}
	for _, rule := range rules {
		for i := range g.Nodes {
			if rule(&g.Nodes[i]) {
				ids = append(ids, g.Nodes[i].ID)
			}
		}
		if len(ids) > 0 {
			slices.Sort(ids)
			return slices.Compact(ids), ""
		}
	}
	return nil, fmt.Sprintf("no node in the graph (%d nodes) has the id, identifier, name or id suffix %q: it was not collected, "+
		"or it belongs to an account that was not collected", len(g.Nodes), ref)
}
