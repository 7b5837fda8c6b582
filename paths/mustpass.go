package paths

import (
	"cmp"
	"context"
	"fmt"
	"slices"

	"gonum.org/v1/gonum/graph/flow"

	"github.com/breachpath/breachpath/graph"
)

// MustPassHop is a node every attack path to a target crosses.
type MustPassHop struct {
	ID   string     `json:"id"`
	Kind graph.Kind `json:"kind"`
	Name string     `json:"name,omitempty"`
	// Findings are cited by every move an attack path can enter this node
	// by: fixing any one of them cuts every path to the target.
	Findings []string `json:"findings,omitempty"`
}

// MustPass is what every attack path to one target crosses, whatever its
// length: the target's dominators in the move graph seen from a virtual
// source joined to every exposure source.
type MustPass struct {
	Target string `json:"target"`
	// Source is set when a single source reaches the target.
	Source string `json:"source,omitempty"`
	// Hops are the must-pass nodes between the sources and the target, in
	// the order every path meets them.
	Hops []MustPassHop `json:"hops"`
	// EntryFindings are cited by every move into the target itself.
	EntryFindings []string `json:"entry_findings,omitempty"`
	// Findings is every must-pass finding (of Hops and EntryFindings),
	// sorted: each one, fixed alone, cuts every path to the target. The list
	// is sound, not complete: a finding whose moves enter several different
	// nodes, none of them must-pass, can cut every path without being listed.
	Findings []string `json:"findings"`
}

// Crosses reports whether every path to the target crosses node id.
func (m *MustPass) Crosses(id string) bool {
	return slices.ContainsFunc(m.Hops, func(h MustPassHop) bool { return h.ID == id })
}

// Dominators holds the dominator tree of a search's move graph, from a
// virtual source over its sources, for must-pass questions about any target.
// It is computed by gonum's flow.Dominators (Lengauer-Tarjan) over a View of
// the projection. Read-only once built; safe for concurrent use.
type Dominators struct {
	view     *View
	idom     []int32 // per node: immediate dominator, root for the sources' children, -1 unreached
	pre      []int32 // dominator-tree DFS interval, for "v dominates w" in O(1)
	post     []int32
	isSource Bitset
	targets  []int32
	entry    map[int32][]string // memo: findings common to every usable move into a node
}

const domRoot = -2 // idom value of a node whose immediate dominator is the virtual root

// Dominators computes the dominator tree for the sources, targets and fixed
// findings of opts (MaxDepth is not used: a node every path of any length
// crosses is crossed by every path the search can report). It ignores moves
// into a source, as the search does.
func (p *Projection) Dominators(ctx context.Context, opts Options) (*Dominators, error) {
	opts, err := opts.withDefaults()
	if err != nil {
		return nil, err
	}
	sources, targets, err := p.endpoints(opts)
	if err != nil {
		return nil, err
	}
	var cut Bitset
	if len(opts.RemovedFindings) > 0 {
		rm := make(map[string]bool, len(opts.RemovedFindings))
		for _, f := range opts.RemovedFindings {
			rm[f] = true
		}
		cut = p.CutEdges(rm)
	}
	n := p.NumNodes()
	d := &Dominators{idom: make([]int32, n), isSource: NewBitset(n), targets: targets, entry: map[int32][]string{}}
	for i := range d.idom {
		d.idom[i] = -1
	}
	if len(sources) == 0 {
		return d, nil
	}
	for _, s := range sources {
		d.isSource.Set(int(s))
	}
	d.view = p.NewView(ViewOptions{Roots: sources, Hide: cut})
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("dominators: %w", err)
	}
	tree := flow.Dominators(d.view.Root(), d.view)
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("dominators: %w", err)
	}
	root := d.view.Root().ID()
	children := make([]int32, n+1) // counts, then CSR offsets, of dominator-tree children
	for v := range n {
		dom := tree.DominatorOf(int64(v))
		switch {
		case dom == nil:
			continue
		case dom.ID() == root:
			d.idom[v] = domRoot
			children[n]++
		default:
			d.idom[v] = int32(dom.ID())
			children[dom.ID()]++
		}
	}
	d.numberTree(children)
	// Fill the memo now so that lookups never write: concurrent readers.
	for _, t := range targets {
		for x := t; x >= 0; x = d.idom[x] {
			if _, ok := d.entry[x]; !ok {
				d.entry[x] = d.entryFindings(x)
			}
		}
	}
	return d, nil
}

// numberTree gives every reached node a pre/post interval in the dominator
// tree (iteratively: the tree can be as deep as the graph).
func (d *Dominators) numberTree(count []int32) {
	n := len(d.idom)
	off := make([]int32, n+2)
	for i := range n + 1 {
		off[i+1] = off[i] + count[i]
	}
	kids := make([]int32, off[n+1])
	fill := slices.Clone(off[:n+1])
	for v, p := range d.idom {
		switch {
		case p == -1:
			continue
		case p == domRoot:
			p = int32(n)
		}
		kids[fill[p]] = int32(v)
		fill[p]++
	}
	d.pre = make([]int32, n)
	d.post = make([]int32, n)
	type frame struct{ v, next int32 }
	stack := []frame{{int32(n), off[n]}}
	clock := int32(0)
	for len(stack) > 0 {
		top := &stack[len(stack)-1]
		if top.next < off[top.v+1] {
			c := kids[top.next]
			top.next++
			d.pre[c] = clock
			clock++
			stack = append(stack, frame{c, off[c]})
			continue
		}
		if top.v < int32(n) {
			d.post[top.v] = clock
			clock++
		}
		stack = stack[:len(stack)-1]
	}
}

// Reached reports whether any source reaches node v.
func (d *Dominators) Reached(v int32) bool { return d.idom[v] != -1 }

// Dominates reports whether every path from the sources to w crosses v
// (a node dominates itself).
func (d *Dominators) Dominates(v, w int32) bool {
	return d.Reached(v) && d.Reached(w) && d.pre[v] <= d.pre[w] && d.post[w] <= d.post[v]
}

// entryFindings returns the findings cited by every move into v from a
// reached node that v does not dominate: an attack path enters v for the
// first time by one of those moves (a move from a node v dominates closes
// a cycle through v, which a simple path cannot take).
func (d *Dominators) entryFindings(v int32) []string {
	pos, from := d.view.InEdges(v)
	g := d.view.Projection().Graph()
	var common []string
	first := true
	for i, e := range pos {
		u := from[i]
		if !d.Reached(u) || d.Dominates(v, u) {
			continue
		}
		fs := g.Edges[d.view.Projection().Edge[e]].Findings
		if first {
			common = slices.Clone(fs)
			first = false
		} else {
			common = slices.DeleteFunc(common, func(f string) bool { return !slices.Contains(fs, f) })
		}
		if len(common) == 0 {
			break
		}
	}
	slices.Sort(common)
	return slices.Compact(common)
}

// For returns the must-pass analysis of one target (a node id), and false
// when the target is not one of the search's targets or no source reaches it.
func (d *Dominators) For(target string) (*MustPass, bool) {
	if d.view == nil {
		return nil, false
	}
	g := d.view.Projection().Graph()
	t, ok := g.NodeIndex(target)
	if !ok || !d.Reached(t) {
		return nil, false
	}
	if _, isTarget := slices.BinarySearch(d.targets, t); !isTarget {
		return nil, false
	}
	return d.mustPass(t), true
}

// All returns the must-pass analysis of every reached target, by target id.
func (d *Dominators) All() []MustPass {
	var out []MustPass
	if d.view == nil {
		return out
	}
	for _, t := range d.targets {
		if d.Reached(t) {
			out = append(out, *d.mustPass(t))
		}
	}
	slices.SortFunc(out, func(a, b MustPass) int { return cmp.Compare(a.Target, b.Target) })
	return out
}

func (d *Dominators) mustPass(t int32) *MustPass {
	g := d.view.Projection().Graph()
	m := &MustPass{Target: g.Nodes[t].ID, Hops: []MustPassHop{}, EntryFindings: d.entry[t]}
	all := slices.Clone(m.EntryFindings)
	for x := d.idom[t]; x >= 0; x = d.idom[x] {
		n := &g.Nodes[x]
		if d.isSource.Has(int(x)) {
			m.Source = n.ID
			continue
		}
		m.Hops = append(m.Hops, MustPassHop{ID: n.ID, Kind: n.Kind, Name: n.Name, Findings: d.entry[x]})
		all = append(all, d.entry[x]...)
	}
	slices.Reverse(m.Hops)
	slices.Sort(all)
	m.Findings = slices.Compact(all)
	if m.Findings == nil {
		m.Findings = []string{}
	}
	return m
}

// MustPassFindings returns the set of findings that are must-pass for at
// least one reached target.
func (d *Dominators) MustPassFindings() map[string]bool {
	out := map[string]bool{}
	for _, fs := range d.entry {
		for _, f := range fs {
			out[f] = true
		}
	}
	return out
}
