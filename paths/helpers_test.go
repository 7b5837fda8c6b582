package paths

import (
	"fmt"
	"math/rand/v2"

	"github.com/breachpath/breachpath/graph"
)

// builder assembles small graphs by hand.
type builder struct {
	nodes    []graph.Node
	edges    []graph.Edge
	findings []graph.Finding
}

func (b *builder) internet() *builder {
	b.nodes = append(b.nodes, graph.Node{ID: graph.InternetID, Kind: graph.KindInternet})
	return b
}

func (b *builder) node(id string, kind graph.Kind, s graph.Sensitivity) *builder {
	b.nodes = append(b.nodes, graph.Node{ID: id, Kind: kind, Cloud: graph.CloudAWS, Account: "111", Sensitivity: s, Name: "name-" + id})
	return b
}

func (b *builder) move(from, to string, kind graph.EdgeKind, l float64, findings ...string) *builder {
	b.edges = append(b.edges, graph.Edge{From: from, To: to, Kind: kind, Technique: "t." + string(kind), Likelihood: l, Findings: findings,
		Evidence: []string{from + " -> " + to}})
	for _, f := range findings {
		b.findings = append(b.findings, graph.Finding{ID: f, RuleID: "rule-" + f, Resource: from, Severity: graph.SeverityHigh})
	}
	return b
}

func (b *builder) build() *graph.Graph {
	return graph.Assemble(append([]graph.Node(nil), b.nodes...), append([]graph.Edge(nil), b.edges...),
		append([]graph.Finding(nil), b.findings...))
}

// shuffled assembles the same rows in a random order.
func (b *builder) shuffled(r *rand.Rand) *graph.Graph {
	n := append([]graph.Node(nil), b.nodes...)
	e := append([]graph.Edge(nil), b.edges...)
	f := append([]graph.Finding(nil), b.findings...)
	r.Shuffle(len(n), func(i, j int) { n[i], n[j] = n[j], n[i] })
	r.Shuffle(len(e), func(i, j int) { e[i], e[j] = e[j], e[i] })
	r.Shuffle(len(f), func(i, j int) { f[i], f[j] = f[j], f[i] })
	return graph.Assemble(n, e, f)
}

// randomGraph builds a small random attack graph: the Internet, n nodes of
// which some are targets, and m random moves each citing one of a few findings
// (some citing none).
func randomGraph(r *rand.Rand, n, m, nFindings int) *builder {
	b := (&builder{}).internet()
	for i := range n {
		s := graph.SensitivityInternal
		if r.IntN(3) == 0 {
			s = graph.SensitivityConfidential
		}
		b.node(fmt.Sprintf("n%02d", i), graph.KindCompute, s)
	}
	kinds := []graph.EdgeKind{graph.EdgeReaches, graph.EdgeAssumes, graph.EdgeReads}
	seen := map[string]bool{}
	for range m {
		from := graph.InternetID
		if r.IntN(4) != 0 {
			from = fmt.Sprintf("n%02d", r.IntN(n))
		}
		to := fmt.Sprintf("n%02d", r.IntN(n))
		k := kinds[r.IntN(len(kinds))]
		key := from + to + string(k)
		if from == to || seen[key] {
			continue
		}
		seen[key] = true
		kind := k
		if from == graph.InternetID {
			kind = graph.EdgeExposedTo
		}
		var fs []string
		if f := r.IntN(nFindings + 1); f < nFindings {
			fs = []string{fmt.Sprintf("f%d", f)}
		}
		b.move(from, to, kind, float64(1+r.IntN(9))/10, fs...)
	}
	return b
}

// bruteForce enumerates every simple path from the sources to the targets of
// at most maxDepth hops that never re-enters a source, by DFS over g.Edges.
func bruteForce(g *graph.Graph, maxDepth int, threshold graph.Sensitivity, removed map[string]bool) map[string]brutePath {
	out := map[string]brutePath{}
	adj := map[string][]int{}
	for i := range g.Edges {
		e := &g.Edges[i]
		if !e.Kind.IsMove() {
			continue
		}
		cut := false
		for _, f := range e.Findings {
			cut = cut || removed[f]
		}
		if !cut {
			adj[e.From] = append(adj[e.From], i)
		}
	}
	var keys []string
	l := []float64{1}
	onPath := map[string]bool{}
	var dfs func(v string)
	dfs = func(v string) {
		if len(keys) > 0 && g.Node(v).IsTarget(threshold) {
			out[PathID(keys)] = brutePath{target: v, likelihood: l[len(l)-1]}
		}
		if len(keys) == maxDepth {
			return
		}
		for _, i := range adj[v] {
			e := &g.Edges[i]
			if onPath[e.To] || g.Node(e.To).IsExposureSource() {
				continue
			}
			onPath[e.To] = true
			keys = append(keys, e.Key().String())
			l = append(l, l[len(l)-1]*EffectiveLikelihood(e))
			dfs(e.To)
			keys, l = keys[:len(keys)-1], l[:len(l)-1]
			onPath[e.To] = false
		}
	}
	for i := range g.Nodes {
		if g.Nodes[i].IsExposureSource() {
			onPath[g.Nodes[i].ID] = true
			dfs(g.Nodes[i].ID)
			onPath[g.Nodes[i].ID] = false
		}
	}
	return out
}

// brutePath is a path found by bruteForce.
type brutePath struct {
	target     string
	likelihood float64
}
