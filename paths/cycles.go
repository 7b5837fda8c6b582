package paths

import (
	"cmp"
	"slices"

	"gonum.org/v1/gonum/graph/topo"

	"github.com/breachpath/breachpath/graph"
)

// Cycles are the strongly connected components of a move graph with more
// than one node: groups of nodes every one of which can reach every other
// (roles that assume each other, identities that impersonate each other,
// hosts that reach each other). An attacker who holds one member holds them
// all, so explanations report such a group as one unit.
type Cycles struct {
	comp    []int32   // per node: index in Members, or -1
	members [][]int32 // each sorted by node id string
}

// Cycles computes the strongly connected components of the projected move
// edges that keep accepts (nil: all), with gonum's topo.TarjanSCC over a View.
func (p *Projection) Cycles(keep func(*graph.Edge) bool) *Cycles {
	var o ViewOptions
	if keep != nil {
		o.Keep = func(pos int) bool { return keep(&p.g.Edges[p.Edge[pos]]) }
	}
	v := p.NewView(o)
	c := &Cycles{comp: make([]int32, p.NumNodes())}
	for i := range c.comp {
		c.comp[i] = -1
	}
	for _, scc := range topo.TarjanSCC(v) {
		if len(scc) < 2 {
			continue
		}
		m := make([]int32, len(scc))
		for i, n := range scc {
			m[i] = int32(n.ID())
		}
		slices.SortFunc(m, func(a, b int32) int { return cmp.Compare(p.g.Nodes[a].ID, p.g.Nodes[b].ID) })
		c.members = append(c.members, m)
	}
	// Deterministic order: larger first, then by the first member's id.
	slices.SortFunc(c.members, func(a, b []int32) int {
		if x := cmp.Compare(len(b), len(a)); x != 0 {
			return x
		}
		return cmp.Compare(p.g.Nodes[a[0]].ID, p.g.Nodes[b[0]].ID)
	})
	for i, m := range c.members {
		for _, n := range m {
			c.comp[n] = int32(i)
		}
	}
	return c
}

// Len returns the number of cycles.
func (c *Cycles) Len() int { return len(c.members) }

// Of returns the index of the cycle node n belongs to, or -1.
func (c *Cycles) Of(n int32) int { return int(c.comp[n]) }

// Members returns the nodes of cycle i, sorted by id. Read-only.
func (c *Cycles) Members(i int) []int32 { return c.members[i] }

// Loop is a stretch of an attack path inside one cycle.
type Loop struct {
	// From and To are positions in the path's node list (0 = the source,
	// i = the head of hop i); From <= To. Hops From+1..To stay inside the cycle.
	From int `json:"from"`
	To   int `json:"to"`
	// Members are the ids of every node of the cycle, sorted.
	Members []string `json:"members"`
}

// Loops returns the maximal stretches of the path whose nodes all lie in one
// cycle, in path order.
func (c *Cycles) Loops(g *graph.Graph, p *Path) []Loop {
	nodes := make([]int32, 0, len(p.Hops)+1)
	if i, ok := g.NodeIndex(p.Source); ok {
		nodes = append(nodes, i)
	} else {
		return nil
	}
	for _, h := range p.Hops {
		i, ok := g.NodeIndex(h.To)
		if !ok {
			return nil
		}
		nodes = append(nodes, i)
	}
	var out []Loop
	for i := 0; i < len(nodes); {
		ci := c.Of(nodes[i])
		j := i
		for ci >= 0 && j+1 < len(nodes) && c.Of(nodes[j+1]) == ci {
			j++
		}
		if ci >= 0 {
			l := Loop{From: i, To: j}
			for _, m := range c.members[ci] {
				l.Members = append(l.Members, g.Nodes[m].ID)
			}
			out = append(out, l)
		}
		i = j + 1
	}
	return out
}
