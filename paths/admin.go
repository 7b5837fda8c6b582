package paths

import (
	"context"
	"fmt"
	"slices"

	"github.com/breachpath/breachpath/graph"
)

// "Can this principal become an administrator?" is asked by the escalation-to-admin query, the
// CIEM report (admin.via_escalation) and the API that serves both. AdminReachers is the one
// answer they share, so that they agree principal for principal.

// DefaultAdminHops bounds the chains AdminReachers follows: identity chains longer than this
// are not reported (they exist in the graph and the path search still finds them).
const DefaultAdminHops = 6

// TargetAdmin is the target keyword (`paths --target admin`) that asks "who can become an
// administrator": it selects the administrator identities IsAdminIdentity defines and is answered
// by AdminReachers, so the CLI agrees with the escalation-to-admin query and the CIEM report.
const TargetAdmin = "admin"

// AdminReach is a principal that can become an administrator through a chain of identity moves.
type AdminReach struct {
	Principal string `json:"principal"`
	// Admin is the administrator identity the shortest chain ends at.
	Admin string `json:"admin"`
	// Hops is the length of the shortest chain.
	Hops int `json:"hops"`
	// Conditional is set when every chain within the bound has a conditional move: the principal
	// escalates only if something the collection could not decide holds.
	Conditional bool `json:"conditional"`
	// Chain is one shortest chain, as "from -[technique]-> to" per move (node names when known).
	Chain []string `json:"chain"`
}

// IsAdminIdentity reports whether a node stands for an administrator: collectors mark
// admin-equivalent principals as crown jewels (docs/model.md).
func IsAdminIdentity(n *graph.Node) bool { return n.Kind.IsPrincipal() && n.CrownJewel }

// CanEscalate reports whether a node is a principal that may be listed as able to become an
// administrator: an estate principal (user, group, role, service account; never a policy, an
// external principal or a stub of another scope), not an administrator already, and not one that
// only a cloud service acts as (graph.PropServiceOnly).
func CanEscalate(n *graph.Node) bool {
	switch n.Kind {
	case graph.KindUser, graph.KindGroup, graph.KindRole, graph.KindServiceAccount:
	default:
		return false
	}
	serviceOnly, _ := n.Props[graph.PropServiceOnly].(bool)
	return !n.Stub && !serviceOnly && !IsAdminIdentity(n)
}

// isIdentityMove: the moves that change who the attacker is. Chains that start with assuming a
// role count as much as privilege-escalation techniques; policy nodes only relay (holds-policy).
func isIdentityMove(k graph.EdgeKind) bool {
	return k == graph.EdgeAssumes || k == graph.EdgeEscalatesTo
}

// AdminReachers lists, sorted by principal id, every principal CanEscalate admits from which an
// administrator identity is reachable over at most maxHops ASSUMES / ESCALATES_TO moves
// (maxHops <= 0 means DefaultAdminHops).
func AdminReachers(ctx context.Context, g *graph.Graph, maxHops int) ([]AdminReach, error) {
	if maxHops <= 0 {
		maxHops = DefaultAdminHops
	}
	n := len(g.Nodes)
	// in[v] lists the identity moves into v, as edge indexes.
	in := make([][]int32, n)
	for i := range g.Edges {
		e := &g.Edges[i]
		if !isIdentityMove(e.Kind) {
			continue
		}
		if to, ok := g.NodeIndex(e.To); ok {
			if _, ok := g.NodeIndex(e.From); ok {
				in[to] = append(in[to], int32(i))
			}
		}
	}
	var admins []int32
	for i := range g.Nodes {
		if IsAdminIdentity(&g.Nodes[i]) {
			admins = append(admins, int32(i))
		}
	}
	// Backward BFS from the administrators: dist and the next move towards one, once over all
	// moves and once over unconditional moves only.
	bfs := func(unconditional bool) ([]int, []int32, error) {
		dist := make([]int, n)
		next := make([]int32, n)
		for i := range dist {
			dist[i], next[i] = -1, -1
		}
		queue := slices.Clone(admins)
		for _, a := range admins {
			dist[a] = 0
		}
		for len(queue) > 0 {
			if err := ctx.Err(); err != nil {
				return nil, nil, err
			}
			v := queue[0]
			queue = queue[1:]
			if dist[v] >= maxHops {
				continue
			}
			for _, ei := range in[v] {
				e := &g.Edges[ei]
				if unconditional && e.Conditional {
					continue
				}
				u, _ := g.NodeIndex(e.From)
				if dist[u] >= 0 {
					continue
				}
				dist[u], next[u] = dist[v]+1, ei
				queue = append(queue, u)
			}
		}
		return dist, next, nil
	}
	dist, next, err := bfs(false)
	if err != nil {
		return nil, err
	}
	sure, _, err := bfs(true)
	if err != nil {
		return nil, err
	}
	var out []AdminReach
	for i := range g.Nodes {
		p := &g.Nodes[i]
		if dist[i] < 1 || !CanEscalate(p) {
			continue
		}
		r := AdminReach{Principal: p.ID, Hops: dist[i], Conditional: sure[i] < 0}
		for v := int32(i); next[v] >= 0; {
			e := &g.Edges[next[v]]
			to, _ := g.NodeIndex(e.To)
			r.Chain = append(r.Chain, fmt.Sprintf("%s -[%s]-> %s", nameOf(&g.Nodes[v]), e.Technique, nameOf(&g.Nodes[to])))
			r.Admin, v = e.To, to
		}
		out = append(out, r)
	}
	slices.SortFunc(out, func(a, b AdminReach) int {
		if a.Principal < b.Principal {
			return -1
		}
		if a.Principal > b.Principal {
			return 1
		}
		return 0
	})
	return out, nil
}

func nameOf(n *graph.Node) string {
	if n.Name != "" {
		return n.Name
	}
	return n.ID
}
