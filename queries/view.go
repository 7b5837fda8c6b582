package queries

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/breachpath/breachpath/graph"
	"github.com/breachpath/breachpath/paths"
)

// adjacency is a CSR adjacency of the edges of some kinds, forward or
// backward, over node positions of a graph. Edges with a missing endpoint
// are left out, as the path engine's projection does.
type adjacency struct {
	off  []int32
	to   []int32
	edge []int32 // index in Graph.Edges
}

func newAdjacency(g *graph.Graph, keep func(*graph.Edge) bool, backward bool) *adjacency {
	n := len(g.Nodes)
	a := &adjacency{off: make([]int32, n+1)}
	type pair struct{ from, to, edge int32 }
	var ps []pair
	for i := range g.Edges {
		e := &g.Edges[i]
		if !keep(e) {
			continue
		}
		f, ok1 := g.NodeIndex(e.From)
		t, ok2 := g.NodeIndex(e.To)
		if !ok1 || !ok2 {
			continue
		}
		if backward {
			f, t = t, f
		}
		ps = append(ps, pair{f, t, int32(i)})
		a.off[f+1]++
	}
	for i := 1; i <= n; i++ {
		a.off[i] += a.off[i-1]
	}
	a.to = make([]int32, len(ps))
	a.edge = make([]int32, len(ps))
	fill := slices.Clone(a.off[:n])
	for _, p := range ps {
		a.to[fill[p.from]] = p.to
		a.edge[fill[p.from]] = p.edge
		fill[p.from]++
	}
	return a
}

func isMove(e *graph.Edge) bool { return e.Kind.IsMove() }

func kindsIn(kinds ...graph.EdgeKind) func(*graph.Edge) bool {
	return func(e *graph.Edge) bool { return slices.Contains(kinds, e.Kind) }
}

// bfs returns, per node, the fewest moves from any start (-1: not reached
// within maxHops). Starts are at 0.
func (a *adjacency) bfs(ctx context.Context, starts []int32, maxHops int) ([]int32, error) {
	dist := make([]int32, len(a.off)-1)
	for i := range dist {
		dist[i] = -1
	}
	frontier := make([]int32, 0, len(starts))
	for _, s := range starts {
		if dist[s] < 0 {
			dist[s] = 0
			frontier = append(frontier, s)
		}
	}
	for d := int32(1); int(d) <= maxHops && len(frontier) > 0; d++ {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		var next []int32
		for _, v := range frontier {
			for e := a.off[v]; e < a.off[v+1]; e++ {
				if t := a.to[e]; dist[t] < 0 {
					dist[t] = d
					next = append(next, t)
				}
			}
		}
		frontier = next
	}
	return dist, nil
}

// nodesWhere returns the positions of the nodes matching pred.
func nodesWhere(g *graph.Graph, pred func(*graph.Node) bool) []int32 {
	var out []int32
	for i := range g.Nodes {
		if pred(&g.Nodes[i]) {
			out = append(out, int32(i))
		}
	}
	return out
}

func isPrincipal(n *graph.Node) bool { return slices.Contains(principalKinds, n.Kind) }

func isEstatePrincipal(n *graph.Node) bool { return slices.Contains(estatePrincipalKinds, n.Kind) }

func isAdmin(n *graph.Node) bool { return paths.IsAdminIdentity(n) }

// mergedMoves returns the edges of g keeping one per key. Assemble already
// merged duplicates; this guards graphs built without it.
func mergedEdges(g *graph.Graph, keep func(*graph.Edge) bool) []*graph.Edge {
	var out []*graph.Edge
	seen := map[graph.EdgeKey]bool{}
	for i := range g.Edges {
		e := &g.Edges[i]
		if !keep(e) || g.Node(e.From) == nil || g.Node(e.To) == nil {
			continue
		}
		if k := e.Key(); !seen[k] {
			seen[k] = true
			out = append(out, e)
		}
	}
	return out
}

// sortRows sorts rows by the given comparison, which must break every tie
// so that the order is total and matches the Cypher's ORDER BY.
func sortRows(rows [][]any, cmpRow func(a, b []any) int) {
	slices.SortStableFunc(rows, cmpRow)
}

// by chains comparisons of row columns: ascending for a column index i,
// descending for -(i+1); columns hold strings or int64.
func by(cols ...int) func(a, b []any) int {
	return func(a, b []any) int {
		for _, c := range cols {
			desc := c < 0
			if desc {
				c = -c - 1
			}
			r := compareAny(a[c], b[c])
			if desc {
				r = -r
			}
			if r != 0 {
				return r
			}
		}
		return 0
	}
}

func compareAny(a, b any) int {
	switch x := a.(type) {
	case string:
		return cmp.Compare(x, b.(string))
	case int64:
		return cmp.Compare(x, b.(int64))
	case bool:
		return graph.CompareBool(x, b.(bool))
	case nil:
		if b == nil {
			return 0
		}
		return -1
	}
	panic(fmt.Sprintf("queries: cannot order %T", a)) // programming error, caught by tests
}

// timestamp renders a time to the second in UTC, as the Cypher does with
// toString(datetime({epochSeconds: ...})).
func timestamp(t time.Time) string {
	return t.UTC().Truncate(time.Second).Format("2006-01-02T15:04:05Z")
}

func propBool(n *graph.Node, k string) (v, ok bool) {
	v, ok = n.Props[k].(bool)
	return v, ok
}
