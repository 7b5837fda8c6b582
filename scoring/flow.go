package scoring

import (
	"context"
	"fmt"
)

// flowEps is the residual capacity below which an arc counts as saturated:
// capacities are sums of fix efforts, so float noise is far smaller.
const flowEps = 1e-9

// flowNet is a residual network for Dinic's max-flow algorithm. Arc a and
// a^1 are each other's reverse.
type flowNet struct {
	head  []int32
	next  []int32
	to    []int32
	cap   []float64
	level []int32
	it    []int32
	queue []int32
	stack []int32
}

func newFlowNet(n, arcHint int) *flowNet {
	f := &flowNet{head: make([]int32, n)}
	for i := range f.head {
		f.head[i] = -1
	}
	f.next = make([]int32, 0, 2*arcHint)
	f.to = make([]int32, 0, 2*arcHint)
	f.cap = make([]float64, 0, 2*arcHint)
	return f
}

// addArc adds u->v with capacity c and returns the forward arc's index.
func (f *flowNet) addArc(u, v int32, c float64) int32 {
	a := int32(len(f.to))
	f.to = append(f.to, v, u)
	f.cap = append(f.cap, c, 0)
	f.next = append(f.next, f.head[u], f.head[v])
	f.head[u], f.head[v] = a, a+1
	return a
}

// bfs levels the residual network from s and reports whether t is reachable.
func (f *flowNet) bfs(s, t int32) bool {
	for i := range f.level {
		f.level[i] = -1
	}
	f.level[s] = 0
	f.queue = append(f.queue[:0], s)
	for i := 0; i < len(f.queue); i++ {
		u := f.queue[i]
		for a := f.head[u]; a >= 0; a = f.next[a] {
			if v := f.to[a]; f.cap[a] > flowEps && f.level[v] < 0 {
				f.level[v] = f.level[u] + 1
				f.queue = append(f.queue, v)
			}
		}
	}
	return f.level[t] >= 0
}

// augment pushes flow along one shortest augmenting path of the level graph,
// iteratively (paths can be long) with current-arc pointers, and returns
// the amount pushed (0 when the level graph is blocked).
func (f *flowNet) augment(s, t int32) float64 {
	f.stack = f.stack[:0]
	u := s
	for {
		if u == t {
			b := f.cap[f.stack[0]]
			for _, a := range f.stack[1:] {
				b = min(b, f.cap[a])
			}
			for _, a := range f.stack {
				f.cap[a] -= b
				f.cap[a^1] += b
			}
			return b
		}
		advanced := false
		for ; f.it[u] >= 0; f.it[u] = f.next[f.it[u]] {
			a := f.it[u]
			if v := f.to[a]; f.cap[a] > flowEps && f.level[v] == f.level[u]+1 {
				f.stack = append(f.stack, a)
				u = v
				advanced = true
				break
			}
		}
		if advanced {
			continue
		}
		if u == s {
			return 0
		}
		f.level[u] = -1 // dead end for this phase
		a := f.stack[len(f.stack)-1]
		f.stack = f.stack[:len(f.stack)-1]
		u = f.to[a^1]
		f.it[u] = f.next[f.it[u]]
	}
}

// maxFlow runs Dinic's algorithm from s to t and returns the flow value.
func (f *flowNet) maxFlow(ctx context.Context, s, t int32) (float64, error) {
	n := len(f.head)
	f.level = make([]int32, n)
	f.it = make([]int32, n)
	var flow float64
	for phase := 0; f.bfs(s, t); phase++ {
		if err := ctx.Err(); err != nil {
			return 0, fmt.Errorf("max-flow phase %d: %w", phase, err)
		}
		copy(f.it, f.head)
		for {
			b := f.augment(s, t)
			if b <= flowEps {
				break
			}
			flow += b
		}
	}
	return flow, nil
}

// sourceSide marks the nodes reachable from s in the residual network: after
// a max flow, the source side of a minimum cut.
func (f *flowNet) sourceSide(s int32) []bool {
	seen := make([]bool, len(f.head))
	seen[s] = true
	f.queue = append(f.queue[:0], s)
	for i := 0; i < len(f.queue); i++ {
		u := f.queue[i]
		for a := f.head[u]; a >= 0; a = f.next[a] {
			if v := f.to[a]; f.cap[a] > flowEps && !seen[v] {
				seen[v] = true
				f.queue = append(f.queue, v)
			}
		}
	}
	return seen
}

// sinkSide marks the nodes that reach t in the residual network: after a max
// flow, the complement of the sink side of the minimum cut closest to t.
func (f *flowNet) sinkSide(t int32) []bool {
	seen := make([]bool, len(f.head))
	seen[t] = true
	f.queue = append(f.queue[:0], t)
	for i := 0; i < len(f.queue); i++ {
		v := f.queue[i]
		for b := f.head[v]; b >= 0; b = f.next[b] {
			// b is v->u; its partner b^1 is u->v, whose residual says whether u reaches v.
			if u := f.to[b]; f.cap[b^1] > flowEps && !seen[u] {
				seen[u] = true
				f.queue = append(f.queue, u)
			}
		}
	}
	return seen
}
