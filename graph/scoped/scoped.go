// Package scoped loads only the scopes a question about given targets or
// sources can touch (issue 15: `paths --target X` / `--source Y` do not
// materialise the whole estate). Node ids are global and scopes connect
// only through stubs, so the store's cross-scope index (graph.ScopeLinks:
// per scope, the hashes of the nodes it owns and the stubs it references,
// with what its moves, facts and findings do with each) is enough to
// compute, before loading anything, a set of scopes whose rows hold every
// move, node and finding an answer reads. docs/ARCHITECTURE.md
// ("Analysis-ready storage") gives the argument; the property tests in
// graph/storetest compare every answer with the full load's, in both
// stores.
package scoped

import (
	"context"
	"fmt"
	"log/slog"
	"maps"
	"slices"

	"github.com/breachpath/breachpath/graph"
)

// Query is what an answer starts from or ends at. Empty Sources means the
// exposure sources (anywhere); empty Targets means every target by
// threshold (anywhere). A query with neither selects everything.
type Query struct {
	Sources []string // node ids
	Targets []string // node ids
	// Neighbourhood: walk every edge (facts too, both directions) from
	// Sources, Depth hops; Targets is ignored.
	Neighbourhood bool
	Depth         int
}

// Plan is the outcome of the closure: which scopes to load and why.
type Plan struct {
	// Scopes to load, in the store's order; nil with Full.
	Scopes []graph.Scope
	// Full is set when the closure could not be taken (a scope without a
	// current index, a query that names no indexed node); Why says why.
	Full bool
	Why  string
	// Of is the number of scopes the filter selects.
	Of int
}

// index is the estate's cross-scope index, as the closure reads it.
type index struct {
	scopes []graph.Scope
	links  []*graph.ScopeLinks
	// holders[id] are the scopes that reference id, with their flags.
	holders map[string][]holder
	homes   map[string][]int // memo of home()
	// into[i] are the scopes that reference a node scope i owns, per flag.
	into map[graph.LinkFlags][][]int
}

type holder struct {
	scope int
	flags graph.LinkFlags
}

func newIndex(ix map[graph.Scope]graph.ScopeIndex) (*index, string) {
	x := &index{holders: map[string][]holder{}, homes: map[string][]int{}, into: map[graph.LinkFlags][][]int{}}
	x.scopes = slices.SortedFunc(maps.Keys(ix), func(a, b graph.Scope) int {
		if a.Cloud != b.Cloud {
			if a.Cloud < b.Cloud {
				return -1
			}
			return 1
		}
		switch {
		case a.ID < b.ID:
			return -1
		case a.ID > b.ID:
			return 1
		}
		return 0
	})
	for i, sc := range x.scopes {
		l := ix[sc].Links
		if l == nil {
			return nil, "scope " + sc.String() + " has no cross-scope index of its newest sync (last synced by an older breachpath, or imported into Neo4j and not yet loaded)"
		}
		x.links = append(x.links, l)
		for _, r := range l.Refs {
			x.holders[r.ID] = append(x.holders[r.ID], holder{i, r.Flags})
		}
	}
	return x, ""
}

// home returns the scopes that own id.
func (x *index) home(id string) []int {
	if h, ok := x.homes[id]; ok {
		return h
	}
	var out []int
	for i, l := range x.links {
		if l.Owns(id) {
			out = append(out, i)
		}
	}
	x.homes[id] = out
	return out
}

// owners calls add with the scopes whose rows a live node needs: its
// homes, which hold its owned copy and moves at it. A node nobody owns (the
// Internet, an external principal) has no home; a load keeps the copy of
// the first scope in load order that holds its stub (graph.Merge keeps the
// earlier part among equal stubs), so that scope is passed to data instead:
// it is loaded for that copy only, and its other rows do not make anything
// live.
func (x *index) owners(id string, add, data func(int)) {
	if h := x.home(id); len(h) > 0 {
		for _, o := range h {
			add(o)
		}
		return
	}
	if hs := x.holders[id]; len(hs) > 0 {
		data(hs[0].scope) // holders are appended in scope order
	}
}

// need adds the scopes a live node needs: its owners, and every scope that
// references it with one of flags.
func (x *index) need(id string, flags graph.LinkFlags, add, data func(int)) {
	x.owners(id, add, data)
	for _, h := range x.holders[id] {
		if h.flags&flags != 0 {
			add(h.scope)
		}
	}
}

// expand takes in what scope i, once chosen, brings: the scopes in into[i]
// (holding rows on nodes it owns), and its stubs referenced with one of via,
// which become live.
func (x *index) expand(i int, into [][]int, via graph.LinkFlags, add func(int), live func(string)) {
	for _, j := range into[i] {
		add(j)
	}
	for _, r := range x.links[i].Refs {
		if r.Flags&via != 0 {
			live(r.ID)
		}
	}
}

// referencing returns, per scope i, the scopes holding a reference with
// one of flags to a node scope i owns.
func (x *index) referencing(flags graph.LinkFlags) [][]int {
	if r, ok := x.into[flags]; ok {
		return r
	}
	r := make([][]int, len(x.scopes))
	for id, hs := range x.holders {
		var from []int
		for _, h := range hs {
			if h.flags&flags != 0 {
				from = append(from, h.scope)
			}
		}
		if len(from) == 0 {
			continue
		}
		for _, o := range x.home(id) {
			r[o] = append(r[o], from...)
		}
	}
	x.into[flags] = r
	return r
}

// known reports whether any scope owns or references id.
func (x *index) known(id string) bool {
	return len(x.home(id)) > 0 || len(x.holders[id]) > 0
}

// closure computes the scopes a question touches. The argument, for a
// backward closure (targets): the chosen set S holds the home of every
// target and every scope with a move into one; a node is live when a scope
// of S owns it or references it as the start of a move (it may reach a
// target through that scope). For each live node, S gains its homes (so it
// loads as its owner wrote it, not as a stub) and every scope holding a move
// into it or a finding on it; for each scope of S, every scope holding a
// move into or a finding on a node it owns. By induction from the target
// back along any path, every move on the path is held by a scope of S and
// every node on it has its homes in S: the answer, which reads only those
// moves, nodes and the findings on them, is the full load's. The forward
// closure (sources) is the same with the directions swapped. A
// neighbourhood walk treats every edge as both directions.
func (x *index) closure(seeds []string, via, reach graph.LinkFlags) []bool {
	in := make([]bool, len(x.scopes))     // loaded
	active := make([]bool, len(x.scopes)) // loaded, and its rows can make nodes live
	var queue []int
	add := func(i int) {
		in[i] = true
		if !active[i] {
			active[i] = true
			queue = append(queue, i)
		}
	}
	data := func(i int) { in[i] = true }
	liveDone := map[string]bool{}
	live := func(id string) {
		if liveDone[id] {
			return
		}
		liveDone[id] = true
		x.need(id, reach|graph.LinkFinding, add, data)
	}
	for _, id := range seeds {
		live(id)
	}
	into := x.referencing(reach | graph.LinkFinding)
	for len(queue) > 0 {
		i := queue[0]
		queue = queue[1:]
		x.expand(i, into, via, add, live)
	}
	return in
}

// Closure plans a load for q over the index of the filter's scopes.
func Closure(ix map[graph.Scope]graph.ScopeIndex, q Query) Plan {
	p := Plan{Of: len(ix)}
	full := func(why string) Plan { p.Full, p.Why = true, why; return p }
	var seeds []string
	var via, reach graph.LinkFlags
	switch {
	case q.Neighbourhood:
		seeds, via, reach = q.Sources, graph.LinkMoveIn|graph.LinkMoveOut|graph.LinkFact, graph.LinkMoveIn|graph.LinkMoveOut|graph.LinkFact
	case len(q.Targets) > 0:
		// backward: moves into live nodes, live through moves out of them
		seeds, via, reach = q.Targets, graph.LinkMoveOut, graph.LinkMoveIn
	case len(q.Sources) > 0:
		seeds, via, reach = q.Sources, graph.LinkMoveIn, graph.LinkMoveOut
	default:
		return full("the question names no target and no source")
	}
	x, why := newIndex(ix)
	if x == nil {
		return full(why)
	}
	for _, id := range seeds {
		if !x.known(id) {
			return full(fmt.Sprintf("no scope's index names %q (not a node id, or a name to resolve on the whole graph)", id))
		}
	}
	var in []bool
	if q.Neighbourhood {
		in = x.neighbourhood(seeds, q.Depth)
	} else {
		in = x.closure(seeds, via, reach)
		if len(q.Targets) > 0 && len(q.Sources) > 0 {
			// a path from a source to a target lies in both closures
			fwd := x.closure(q.Sources, graph.LinkMoveIn, graph.LinkMoveOut)
			for i := range in {
				in[i] = in[i] && fwd[i]
			}
			mark := func(i int) { in[i] = true }
			// and the endpoints themselves, as their owners wrote them,
			// for a question whose answer is "no path"
			for _, id := range slices.Concat(q.Sources, q.Targets) {
				x.owners(id, mark, mark)
			}
		}
	}
	for i, ok := range in {
		if ok {
			p.Scopes = append(p.Scopes, x.scopes[i])
		}
	}
	return p
}

// neighbourhood is the undirected closure bounded by depth. Round 0 takes
// the seeds' homes and every scope with an edge or finding on them; each
// later round, for every scope the previous round added, every scope with an
// edge or finding on a node it owns, and the homes and holders of the stubs
// it holds. A node d hops from a seed has its home, and every edge on it its
// holder, in S after round d (induction along the walk): rounds 0..depth
// load every node within depth hops and every edge between two of them.
func (x *index) neighbourhood(seeds []string, depth int) []bool {
	all := graph.LinkMoveIn | graph.LinkMoveOut | graph.LinkFact
	in := make([]bool, len(x.scopes))
	var added []int
	add := func(i int) {
		if !in[i] {
			in[i] = true
			added = append(added, i)
		}
	}
	touched := map[string]bool{}
	touch := func(id string) {
		if touched[id] {
			return
		}
		touched[id] = true
		x.need(id, all|graph.LinkFinding, add, func(i int) { in[i] = true })
	}
	for _, id := range seeds {
		touch(id)
	}
	into := x.referencing(all | graph.LinkFinding)
	for range depth {
		round := added
		added = nil
		for _, i := range round {
			x.expand(i, into, all, add, touch)
		}
	}
	return in
}

// Stats says what a Load read.
type Stats struct {
	Loaded, Of int
	Full       bool
	Why        string
}

// attempts bounds how often Load starts over because a sync changed a
// scope between reading the index and loading.
const attempts = 3

// Load loads, with filter, the scopes the closure of q needs from st: the
// same graph as far as answers about q go (paths from the sources or to the
// targets, their scores and explanations), but without the scopes they
// cannot touch. It reads the index again after the load and starts over if
// a sync changed a selected scope meanwhile; after a few tries, or whenever
// the closure cannot be taken, it loads with filter as it is (logged).
func Load(ctx context.Context, st graph.Store, filter graph.Filter, q Query, log *slog.Logger) (*graph.Graph, Stats, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	for range attempts {
		before, err := st.Links(ctx, filter)
		if err != nil {
			return nil, Stats{}, err
		}
		p := Closure(before, q)
		stats := Stats{Loaded: len(p.Scopes), Of: p.Of, Full: p.Full, Why: p.Why}
		if p.Full {
			log.Info("loading every selected scope", "why", p.Why)
			stats.Loaded = p.Of
			g, err := st.Load(ctx, filter)
			return g, stats, err
		}
		f := filter
		f.Scopes = p.Scopes
		if len(p.Scopes) == 0 {
			// nothing to load; an empty scope list would select everything
			f.Scopes = []graph.Scope{{Cloud: graph.CloudNone, ID: "\x00none"}}
		}
		g, err := st.Load(ctx, f)
		if err != nil {
			return nil, stats, err
		}
		after, err := st.Links(ctx, filter)
		if err != nil {
			return nil, stats, err
		}
		if sameVersions(before, after) {
			log.Info("loaded the scopes the question touches", "scopes", stats.Loaded, "of", stats.Of)
			return g, stats, nil
		}
		log.Debug("a sync changed a scope while it loaded; starting over")
	}
	log.Info("loading every selected scope", "why", "syncs kept changing scopes while they loaded")
	g, err := st.Load(ctx, filter)
	return g, Stats{Loaded: -1, Full: true, Why: "syncs kept changing scopes"}, err
}

func sameVersions(a, b map[graph.Scope]graph.ScopeIndex) bool {
	if len(a) != len(b) {
		return false
	}
	for sc, x := range a {
		if y, ok := b[sc]; !ok || y.SyncID != x.SyncID {
			return false
		}
	}
	return true
}
