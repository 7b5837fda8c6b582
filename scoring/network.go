package scoring

import (
	"cmp"
	"context"
	"fmt"
	"log/slog"
	"maps"
	"slices"

	"github.com/breachpath/breachpath/paths"
)

// network is the part of the attack graph a plan has to cut: the move edges
// u->v with dist(sources,u) + 1 + dist(v,targets) <= MaxDepth, the only ones
// that can lie on a path the search would report. It is re-indexed densely
// and held in CSR form.
type network struct {
	proj   *paths.Projection
	depth  int
	nodes  int
	glob   []int32 // local -> projection node
	off    []int32 // local CSR
	to     []int32
	pos    []int32 // local edge -> projection edge position
	isSrc  []bool
	isTgt  []bool
	cuts   []uint16           // per local edge: chosen findings citing it
	byFind map[string][]int32 // finding -> local edges citing it
	// prefer are the must-pass findings (paths.Dominators): among findings
	// of equal effort, the plan picks these.
	prefer map[string]bool

	// reverse CSR (local edges by head) and distances over uncut edges, for pruning
	roff  []int32
	redge []int32
	dS    []int16
	dT    []int16

	// leak buffers
	stamp  []uint32
	gen    uint32
	parent []int32
	queue  []int32
}

func buildNetwork(proj *paths.Projection, gone, isSource, isTarget paths.Bitset, sources []int32, depth int) *network {
	n := proj.NumNodes()
	dS := make([]int8, n)
	for i := range dS {
		dS[i] = -1
	}
	paths.NewWalker(proj, gone).Walk(sources, depth, 0, func(v int32, d int) bool {
		dS[v] = int8(d)
		return true
	})

	// Reverse CSR for distances to the targets.
	from := make([]int32, proj.NumEdges())
	roff := make([]int32, n+1)
	for u := range n {
		lo, hi := proj.Out(int32(u))
		for e := lo; e < hi; e++ {
			from[e] = int32(u)
			roff[proj.Targets[e]+1]++
		}
	}
	for i := 1; i <= n; i++ {
		roff[i] += roff[i-1]
	}
	redge := make([]int32, proj.NumEdges())
	fill := make([]int32, n)
	copy(fill, roff[:n])
	for e, v := range proj.Targets {
		redge[fill[v]] = int32(e)
		fill[v]++
	}
	dT := make([]int8, n)
	for i := range dT {
		dT[i] = -1
	}
	var q []int32
	for v := range n {
		if isTarget.Has(v) {
			dT[v] = 0
			q = append(q, int32(v))
		}
	}
	for i := 0; i < len(q); i++ {
		v := q[i]
		if int(dT[v]) >= depth || isSource.Has(int(v)) {
			continue // sources are never passed through
		}
		for _, e := range redge[roff[v]:roff[v+1]] {
			if gone.Has(int(e)) || isSource.Has(int(v)) {
				continue
			}
			if u := from[e]; dT[u] < 0 {
				dT[u] = dT[v] + 1
				q = append(q, u)
			}
		}
	}

	keep := func(e uint32, u int32) bool {
		v := proj.Targets[e]
		return !gone.Has(int(e)) && !isSource.Has(int(v)) && dT[v] >= 0 && int(dS[u])+1+int(dT[v]) <= depth
	}
	used := paths.NewBitset(n)
	for u := range int32(n) {
		if dS[u] < 0 {
			continue
		}
		lo, hi := proj.Out(u)
		for e := lo; e < hi; e++ {
			if keep(e, u) {
				used.Set(int(u))
				used.Set(int(proj.Targets[e]))
			}
		}
	}
	loc := make([]int32, n)
	net := &network{proj: proj, depth: depth, byFind: map[string][]int32{}}
	for v := range n {
		loc[v] = -1
		if used.Has(v) {
			loc[v] = int32(len(net.glob))
			net.glob = append(net.glob, int32(v))
		}
	}
	net.nodes = len(net.glob)
	net.off = make([]int32, net.nodes+1)
	net.isSrc = make([]bool, net.nodes)
	net.isTgt = make([]bool, net.nodes)
	g := proj.Graph()
	for l, v := range net.glob {
		net.isSrc[l] = isSource.Has(int(v))
		net.isTgt[l] = isTarget.Has(int(v))
		lo, hi := proj.Out(v)
		for e := lo; e < hi; e++ {
			if dS[v] >= 0 && keep(e, v) {
				le := int32(len(net.to))
				net.to = append(net.to, loc[proj.Targets[e]])
				net.pos = append(net.pos, int32(e))
				for _, f := range g.Edges[proj.Edge[e]].Findings {
					net.byFind[f] = append(net.byFind[f], le)
				}
			}
		}
		net.off[l+1] = int32(len(net.to))
	}
	net.cuts = make([]uint16, len(net.to))
	net.roff = make([]int32, net.nodes+1)
	for _, v := range net.to {
		net.roff[v+1]++
	}
	for i := 1; i <= net.nodes; i++ {
		net.roff[i] += net.roff[i-1]
	}
	net.redge = make([]int32, len(net.to))
	rfill := slices.Clone(net.roff[:net.nodes])
	for le, v := range net.to {
		net.redge[rfill[v]] = int32(le)
		rfill[v]++
	}
	net.dS = make([]int16, net.nodes)
	net.dT = make([]int16, net.nodes)
	net.stamp = make([]uint32, net.nodes)
	net.parent = make([]int32, net.nodes)
	return net
}

// cheapest returns the cheapest finding a local edge cites (ties: a
// must-pass finding, then the smallest id), or "" when it cites none.
func (net *network) cheapest(le int32, effort func(string) float64) (string, float64) {
	best, bestCost := "", 0.0
	for _, f := range net.proj.Graph().Edges[net.proj.Edge[net.pos[le]]].Findings {
		if c := effort(f); best == "" || c < bestCost || (c == bestCost && net.before(f, best)) {
			best, bestCost = f, c
		}
	}
	return best, bestCost
}

// before orders findings of equal effort: must-pass ones first, then by id.
func (net *network) before(f, g string) bool {
	if net.prefer[f] != net.prefer[g] {
		return net.prefer[f]
	}
	return f < g
}

// preferred counts the must-pass findings of a candidate plan.
func (net *network) preferred(chosen map[string]bool) int {
	n := 0
	for f := range chosen {
		if net.prefer[f] {
			n++
		}
	}
	return n
}

// minCut runs max-flow over the network and maps two minimum cuts to
// findings, one (the cheapest) per cut edge: the cut closest to the sources
// and the one closest to the targets (nil when it is the same), which can
// differ in cost once shared findings are counted and in how many must-pass
// findings they use. With amortize, a finding's
// effort is spread over the network edges citing it (effort/k each), which
// favours one fix that covers many moves; without, each edge pays the full
// effort, which over-counts shared findings. Neither is exact when findings
// are shared; MakePlan keeps the cheaper result.
func (net *network) minCut(ctx context.Context, effort func(string) float64, amortize bool) ([2]map[string]bool, float64, error) {
	weight := effort
	if amortize {
		weight = func(id string) float64 { return effort(id) / float64(max(1, len(net.byFind[id]))) }
	}
	caps := make([]float64, len(net.to))
	big := 1.0
	for le := range net.to {
		if f, c := net.cheapest(int32(le), weight); f != "" {
			caps[le] = c
			big += c
		} else {
			caps[le] = -1
		}
	}
	s, t := int32(net.nodes), int32(net.nodes+1)
	fn := newFlowNet(net.nodes+2, len(net.to)+net.nodes)
	for u := range net.nodes {
		for le := net.off[u]; le < net.off[u+1]; le++ {
			c := caps[le]
			if c < 0 { // uncuttable: more than every finite edge together
				c = big
			}
			fn.addArc(int32(u), net.to[le], c)
		}
		if net.isSrc[u] {
			fn.addArc(s, int32(u), big)
		}
		if net.isTgt[u] {
			fn.addArc(int32(u), t, big)
		}
	}
	var out [2]map[string]bool
	flow, err := fn.maxFlow(ctx, s, t)
	if err != nil {
		return out, 0, err
	}
	cutAt := func(src []bool) map[string]bool {
		chosen := map[string]bool{}
		for u := range net.nodes {
			if !src[u] {
				continue
			}
			for le := net.off[u]; le < net.off[u+1]; le++ {
				if !src[net.to[le]] && caps[le] >= 0 {
					f, _ := net.cheapest(le, weight)
					chosen[f] = true
				}
			}
		}
		return chosen
	}
	out[0] = cutAt(fn.sourceSide(s))
	sink := fn.sinkSide(t)
	for i := range sink {
		sink[i] = !sink[i] // the source side of the cut closest to t
	}
	if late := cutAt(sink); !maps.Equal(late, out[0]) {
		out[1] = late
	}
	return out, flow, nil
}

func (net *network) apply(f string, delta int) {
	for _, le := range net.byFind[f] {
		net.cuts[le] = uint16(int(net.cuts[le]) + delta)
	}
}

// from returns the tail of a local edge by binary search in the CSR offsets.
func (net *network) from(le int32) int32 {
	lo, hi := 0, net.nodes
	for lo < hi {
		m := (lo + hi) / 2
		if net.off[m+1] <= le {
			lo = m + 1
		} else {
			hi = m
		}
	}
	return int32(lo)
}

// repair adds findings until no path leaks: one finding can cover several
// cut edges, but the cut may also have used an edge whose cheapest finding
// was not the one that mattered, and walks longer than MaxDepth make the
// flow network a superset — so the cut is checked, not trusted. Each round
// is one BFS; every target it reaches gets the cheapest finding on its
// shortest path, unless a finding added this round already covers that path.
func (net *network) repair(ctx context.Context, chosen map[string]bool, effort func(string) float64) (int, error) {
	for f := range chosen {
		net.apply(f, 1)
	}
	added := 0
	for {
		if err := ctx.Err(); err != nil {
			return added, fmt.Errorf("repair plan: %w", err)
		}
		reached := net.bfsFromSources(true)
		if len(reached) == 0 {
			return added, nil
		}
		progress := false
		for _, t := range reached {
			best, bestCost, covered := "", 0.0, false
			for x := t; net.parent[x] >= 0 && !covered; {
				le := net.parent[x]
				covered = net.cuts[le] > 0 // cut by a finding added this round
				if f, c := net.cheapest(le, effort); f != "" && (best == "" || c < bestCost || (c == bestCost && net.before(f, best))) {
					best, bestCost = f, c
				}
				x = net.from(le)
			}
			if covered || best == "" {
				continue
			}
			chosen[best] = true
			net.apply(best, 1)
			added++
			progress = true
		}
		if !progress {
			slog.Warn("remediation plan: a path cites no finding", "targets", len(reached))
			return added, nil
		}
	}
}

// bfsFromSources runs a depth-bounded BFS over uncut edges from the sources,
// filling parent and dS (hops, -1 unreached), and returns the targets
// reached at depth > 0 (all of them when all is set, else at most one).
func (net *network) bfsFromSources(all bool) []int32 {
	net.gen++
	net.queue = net.queue[:0]
	for u := range net.nodes {
		net.dS[u] = -1
		if net.isSrc[u] {
			net.stamp[u] = net.gen
			net.parent[u] = -1
			net.dS[u] = 0
			net.queue = append(net.queue, int32(u))
		}
	}
	var reached []int32
	head := 0
	for d := 1; d <= net.depth; d++ {
		end := len(net.queue)
		for ; head < end; head++ {
			u := net.queue[head]
			for le := net.off[u]; le < net.off[u+1]; le++ {
				v := net.to[le]
				if net.cuts[le] > 0 || net.stamp[v] == net.gen {
					continue
				}
				net.stamp[v] = net.gen
				net.parent[v] = le
				net.dS[v] = int16(d)
				if net.isTgt[v] {
					reached = append(reached, v)
					if !all {
						return reached
					}
				}
				net.queue = append(net.queue, v)
			}
		}
	}
	return reached
}

// distancesToTargets fills dT: hops to the nearest target over uncut edges
// (-1 when none within the depth bound).
func (net *network) distancesToTargets() {
	net.queue = net.queue[:0]
	for v := range net.nodes {
		net.dT[v] = -1
		if net.isTgt[v] {
			net.dT[v] = 0
			net.queue = append(net.queue, int32(v))
		}
	}
	for i := 0; i < len(net.queue); i++ {
		v := net.queue[i]
		if int(net.dT[v]) >= net.depth || net.isSrc[v] {
			continue
		}
		for _, le := range net.redge[net.roff[v]:net.roff[v+1]] {
			if net.cuts[le] > 0 {
				continue
			}
			if u := net.from(le); net.dT[u] < 0 {
				net.dT[u] = net.dT[v] + 1
				net.queue = append(net.queue, u)
			}
		}
	}
}

// prune drops findings the plan does not need, most expensive first, so
// that the plan is minimal: removing any remaining step lets a path through.
// With distances over the uncut edges at hand, a finding is needed as soon
// as one edge only it cuts joins a source to a target within the bound; only
// findings that pass that test cost a BFS, and only a drop recomputes the
// distances.
func (net *network) prune(chosen map[string]bool, effort func(string) float64) int {
	order := make([]string, 0, len(chosen))
	for f := range chosen {
		order = append(order, f)
	}
	// Most expensive first; among equal efforts the non-must-pass findings
	// go first, so a must-pass finding is the one kept.
	slices.SortFunc(order, func(a, b string) int {
		if c := cmp.Compare(effort(b), effort(a)); c != 0 {
			return c
		}
		if net.prefer[a] != net.prefer[b] {
			if net.prefer[a] {
				return 1
			}
			return -1
		}
		return cmp.Compare(b, a)
	})
	refresh := func() {
		net.bfsFromSources(true)
		net.distancesToTargets()
	}
	refresh()
	pruned := 0
	for _, f := range order {
		needed, uncuts := false, false
		for _, le := range net.byFind[f] {
			if net.cuts[le] != 1 {
				continue // cut by another chosen finding too (or never cut by f's choice)
			}
			uncuts = true
			u, v := net.from(le), net.to[le]
			if net.dS[u] >= 0 && net.dT[v] >= 0 && int(net.dS[u])+1+int(net.dT[v]) <= net.depth {
				needed = true
				break
			}
		}
		if needed {
			continue
		}
		net.apply(f, -1)
		if uncuts {
			// two of f's edges may form a path together: check for real
			if len(net.bfsFromSources(false)) > 0 {
				net.apply(f, 1)
				net.bfsFromSources(true) // restore dS
				continue
			}
			net.distancesToTargets()
		}
		delete(chosen, f)
		pruned++
	}
	return pruned
}
