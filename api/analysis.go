package api

import (
	"cmp"
	"context"
	"fmt"
	"github.com/breachpath/breachpath/graph/secrets"
	"reflect"
	"slices"
	"strings"
	"sync"
	"time"
	"unsafe"

	"github.com/breachpath/breachpath/graph"
	"github.com/breachpath/breachpath/paths"
	"github.com/breachpath/breachpath/scoring"
	"github.com/breachpath/breachpath/scoring/owner"
)

// Sort orders of GET /paths.
const (
	sortRisk       = "risk"
	sortLikelihood = "likelihood"
	sortHops       = "hops"
)

// analysis is one computed run over one store generation, with the indexes
// the endpoints read. It is immutable once built, except for the plan, which
// is computed on first use (it costs two more searches and a min cut).
type analysis struct {
	generation string
	builtAt    time.Time
	took       time.Duration

	g      *graph.Graph
	proj   *paths.Projection
	opts   paths.Options
	owners *owner.Resolver
	// found is the search result the report scores; the CIEM report joins
	// it instead of searching again.
	found  *paths.Result
	report *scoring.Report
	meta   []pathMeta       // parallel to report.Paths
	byID   map[string]int32 // path id -> index in report.Paths
	orders map[string][]int32
	// onPathQueue is the queue prefix of on-path findings (the queue puts them first).
	onPathQueue int
	queueIndex  map[string]int32 // finding id -> index in report.Queue
	nodePaths   map[int32]int32  // node index -> number of paths through it

	// search is, per node, its lower-cased id, name and non-secret tags;
	// facts is the graph with its fact edges (stages.go). Both are built
	// after the analysis is published; an analysis made by analyse alone
	// (an assumed-breach search) has neither.
	search stage[[]string]
	facts  stage[*factGraph]
	// kinds is the graph with the facts of only the kinds saved queries
	// and the CIEM report read (factkinds.go), built after publication
	// too; an analysis made by analyse alone has none.
	kinds factKinds
	// moves is the adjacency of the moves, built by the first
	// neighbourhood answered from a scoped load (near.go)
	movesOnce sync.Once
	moves     *moveIndex

	planMu sync.Mutex
	plan   *scoring.Plan

	// dom is the must-pass analysis, computed on first use (mustpass.go).
	domMu sync.Mutex
	dom   *paths.Dominators
	// cycleSet is the move graph's cycles, computed on first use (mustpass.go).
	cyclesOnce sync.Once
	cycleSet   *paths.Cycles
	// admin is paths.AdminReachers of this generation, computed on first use (adminpaths.go).
	admin adminReach

	// ciem caches CIEM reports of this generation by their options (see ciem.go).
	ciemMu sync.Mutex
	ciem   map[string]*ciemEntry
	// ciemOrder is the insertion order of ciem's keys, to evict the oldest.
	ciemOrder []string
}

// pathMeta is what the path filters match against, computed once.
type pathMeta struct {
	clouds     []graph.Cloud
	accounts   []string
	techniques []string
	haystack   string // lower-cased ids and names along the path, for q
}

// analyse searches and scores g (its attacker moves; fact edges are not
// read) and indexes the result for the endpoints.
func analyse(ctx context.Context, g *graph.Graph, opts paths.Options, owners *owner.Resolver) (*analysis, error) {
	an := &analysis{g: g, opts: opts, owners: owners}
	run, err := scoring.Analyse(ctx, g, opts, scoring.Options{Owners: owners})
	if err != nil {
		return nil, err
	}
	an.proj, an.found, an.report = run.Projection, run.Found, run.Report
	an.index()
	return an, nil
}

func (an *analysis) index() {
	ps := an.report.Paths
	an.meta = make([]pathMeta, len(ps))
	an.byID = make(map[string]int32, len(ps))
	an.nodePaths = map[int32]int32{}
	for i := range ps {
		p := &ps[i]
		an.byID[p.ID] = int32(i)
		m := &an.meta[i]
		var hay strings.Builder
		visit := func(id, name string) {
			hay.WriteString(strings.ToLower(id))
			hay.WriteByte('\n')
			hay.WriteString(strings.ToLower(name))
			hay.WriteByte('\n')
			ni, ok := an.g.NodeIndex(id)
			if !ok {
				return
			}
			an.nodePaths[ni]++
			n := &an.g.Nodes[ni]
			if n.Cloud != graph.CloudNone && !slices.Contains(m.clouds, n.Cloud) {
				m.clouds = append(m.clouds, n.Cloud)
			}
			if n.Account != "" && !slices.Contains(m.accounts, n.Account) {
				m.accounts = append(m.accounts, n.Account)
			}
		}
		visit(p.Source, p.Hops[0].FromName)
		for h := range p.Hops {
			visit(p.Hops[h].To, p.Hops[h].ToName)
			hay.WriteString(strings.ToLower(p.Hops[h].Technique))
			hay.WriteByte('\n')
			if !slices.Contains(m.techniques, p.Hops[h].Technique) {
				m.techniques = append(m.techniques, p.Hops[h].Technique)
			}
		}
		slices.Sort(m.clouds)
		slices.Sort(m.accounts)
		slices.Sort(m.techniques)
		m.haystack = hay.String()
	}

	// report.Paths is already in risk order (ties by search order).
	base := make([]int32, len(ps))
	for i := range base {
		base[i] = int32(i)
	}
	byLikelihood := slices.Clone(base)
	slices.SortStableFunc(byLikelihood, func(a, b int32) int { return cmp.Compare(ps[b].Likelihood, ps[a].Likelihood) })
	byHops := slices.Clone(base)
	slices.SortStableFunc(byHops, func(a, b int32) int { return cmp.Compare(len(ps[a].Hops), len(ps[b].Hops)) })
	an.orders = map[string][]int32{sortRisk: base, sortLikelihood: byLikelihood, sortHops: byHops}

	an.queueIndex = make(map[string]int32, len(an.report.Queue))
	for i := range an.report.Queue {
		an.queueIndex[an.report.Queue[i].Finding.ID] = int32(i)
		if an.report.Queue[i].OnPath {
			an.onPathQueue = i + 1
		}
	}
}

// searchText is the search index: per node, its lower-cased id, name and
// non-secret tags.
func searchText(g *graph.Graph) []string {
	hay := make([]string, len(g.Nodes))
	// search must not become an oracle for a secret value a store written
	// before ingest redaction may still hold
	var sc secrets.Scrubber
	// nodes of a scope share their tag maps when their tags are alike
	// (graph/blob), so each map's scrubbed text is rendered once
	tagText := map[unsafe.Pointer]string{}
	for i := range g.Nodes {
		nd := &g.Nodes[i]
		var b strings.Builder
		b.WriteString(nd.ID)
		b.WriteByte('\n')
		b.WriteString(nd.Name)
		if len(nd.Tags) > 0 {
			key := reflect.ValueOf(nd.Tags).UnsafePointer()
			text, ok := tagText[key]
			if !ok {
				var t strings.Builder
				for k, v := range nd.Tags {
					if !secretLike(k) {
						v, _, _ = sc.Value(k, v)
						t.WriteByte('\n')
						t.WriteString(k)
						t.WriteByte('=')
						t.WriteString(v)
					}
				}
				text = t.String()
				tagText[key] = text
			}
			b.WriteString(text)
		}
		hay[i] = strings.ToLower(b.String())
	}
	return hay
}

// adjacency indexes n edges at both ends over g's nodes: at(k), for k in
// 0..n-1 in key order (CompareEdges), gives the k-th edge and its id; the
// edges touching node v are edge[off[v]:off[v+1]], as ids, in that order.
// An edge with an end that is not a node of g is left out; a loop counts
// once.
func adjacency(g *graph.Graph, n int, at func(k int) (int32, *graph.Edge)) (off []uint32, edge []int32) {
	nodes := len(g.Nodes)
	off = make([]uint32, nodes+1)
	type ends struct{ id, from, to int32 }
	all := make([]ends, 0, n)
	from := 0
	for k := range n {
		id, e := at(k)
		// edges are sorted by source and nodes by id: the source is found
		// by walking the nodes alongside, not by a lookup per edge
		for from < nodes && g.Nodes[from].ID < e.From {
			from++
		}
		f, okf := int32(from), from < nodes && g.Nodes[from].ID == e.From
		t, okt := g.NodeIndex(e.To)
		if !okf || !okt {
			continue
		}
		all = append(all, ends{id, f, t})
		off[f+1]++
		if t != f {
			off[t+1]++
		}
	}
	for i := 1; i <= nodes; i++ {
		off[i] += off[i-1]
	}
	edge = make([]int32, off[nodes])
	fill := slices.Clone(off[:nodes])
	for _, e := range all {
		edge[fill[e.from]] = e.id
		fill[e.from]++
		if e.to != e.from {
			edge[fill[e.to]] = e.id
			fill[e.to]++
		}
	}
	return off, edge
}

// remediationPlan returns the plan of this generation, computing it once.
// A failed computation (a timeout) is retried by the next caller.
func (an *analysis) remediationPlan(ctx context.Context) (*scoring.Plan, error) {
	an.planMu.Lock()
	defer an.planMu.Unlock()
	if an.plan != nil {
		return an.plan, nil
	}
	p, err := scoring.PlanProjection(ctx, an.proj, scoring.PlanOptions{Search: an.opts})
	if err != nil {
		return nil, fmt.Errorf("remediation plan: %w", err)
	}
	an.plan = p
	return p, nil
}
