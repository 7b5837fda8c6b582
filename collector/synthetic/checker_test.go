package synthetic

import (
	"context"
	"strings"
	"sync"
	"testing"

	"github.com/breachpath/breachpath/graph"
)

// The checker below is deliberately independent of the generator: a plain
// exhaustive DFS over every simple path of move edges in the merged graph.

var (
	estateMu    sync.Mutex
	estateCache = map[int]*Estate{}
)

// estateOf generates (once per test binary) the seed-42 estate of n resources.
func estateOf(t testing.TB, n int) *Estate {
	t.Helper()
	estateMu.Lock()
	defer estateMu.Unlock()
	if e, ok := estateCache[n]; ok {
		return e
	}
	e, err := Generate(context.Background(), Options{Seed: 42, Resources: n})
	if err != nil {
		t.Fatalf("Generate(%d): %v", n, err)
	}
	estateCache[n] = e
	return e
}

// moveGraph is the adjacency of move edges by node index.
type moveGraph struct {
	g   *graph.Graph
	out [][]int32 // edge indices leaving each node
}

func newMoveGraph(g *graph.Graph) *moveGraph {
	m := &moveGraph{g: g, out: make([][]int32, len(g.Nodes))}
	for i := range g.Edges {
		e := &g.Edges[i]
		if !e.Kind.IsMove() {
			continue
		}
		from, ok := g.NodeIndex(e.From)
		if !ok {
			continue
		}
		m.out[from] = append(m.out[from], int32(i))
	}
	return m
}

// allPaths returns every simple path (as joined edge keys) of at most
// maxDepth move edges from an exposure source to a target, skipping edges
// for which skip returns true.
func (m *moveGraph) allPaths(threshold graph.Sensitivity, maxDepth int, skip func(*graph.Edge) bool) map[string][]string {
	paths := map[string][]string{}
	onPath := make([]bool, len(m.g.Nodes))
	var keys []string
	var dfs func(n int32)
	dfs = func(n int32) {
		if len(keys) == maxDepth {
			return
		}
		for _, ei := range m.out[n] {
			e := &m.g.Edges[ei]
			if skip != nil && skip(e) {
				continue
			}
			to, ok := m.g.NodeIndex(e.To)
			if !ok || onPath[to] {
				continue
			}
			keys = append(keys, e.Key().String())
			if m.g.Nodes[to].IsTarget(threshold) {
				paths[strings.Join(keys, "\n")] = append([]string(nil), keys...)
			}
			onPath[to] = true
			dfs(to)
			onPath[to] = false
			keys = keys[:len(keys)-1]
		}
	}
	for i := range m.g.Nodes {
		if m.g.Nodes[i].IsExposureSource() {
			onPath[i] = true
			dfs(int32(i))
			onPath[i] = false
		}
	}
	return paths
}

func checkInvariant(t *testing.T, e *Estate) {
	t.Helper()
	for _, s := range e.Snapshots {
		if err := s.Validate(); err != nil {
			t.Fatalf("snapshot fails validation: %v", err)
		}
	}
	g := e.Graph()
	m := newMoveGraph(g)
	tr := e.Truth
	found := m.allPaths(tr.Threshold, tr.MaxDepth, nil)

	planted := map[string]PlantedPath{}
	targets := map[string]int{}
	for _, p := range tr.Planted {
		planted[strings.Join(p.Edges, "\n")] = p
		targets[p.Target]++
	}
	for k := range found {
		if _, ok := planted[k]; !ok {
			t.Errorf("unplanted attack path:\n%s", k)
		}
	}
	for k, p := range planted {
		if _, ok := found[k]; !ok {
			t.Errorf("planted path %s (%s) not found by the checker", p.ID, p.Pattern)
		}
	}
	for tgt, n := range targets {
		if n != 1 {
			t.Errorf("target %s is reached by %d planted paths, want 1", tgt, n)
		}
	}

	// path nodes and findings, for the decoy and cut checks
	onPathNode := map[string]bool{}
	onPathFinding := map[string]bool{}
	for _, p := range tr.Planted {
		for _, n := range p.Nodes {
			onPathNode[n] = true
		}
		for _, f := range p.Findings {
			onPathFinding[f] = true
		}
		if g.Node(p.Target) == nil || !g.Node(p.Target).IsTarget(tr.Threshold) {
			t.Errorf("planted path %s ends at %s, which is not a target", p.ID, p.Target)
		}
		if len(p.Edges) < 1 || len(p.Edges) > 6 {
			t.Errorf("planted path %s has %d hops, want 1..6", p.ID, len(p.Edges))
		}
	}
	for _, d := range tr.Decoys {
		f := g.Finding(d.FindingID)
		switch {
		case f == nil:
			t.Errorf("decoy %s: finding %s not in the estate", d.Kind, d.FindingID)
		case f.Resource != d.Resource:
			t.Errorf("decoy %s: finding is on %s, truth says %s", d.Kind, f.Resource, d.Resource)
		case onPathFinding[d.FindingID] || onPathNode[d.Resource]:
			t.Errorf("decoy %s (%s) lies on an attack path", d.Kind, d.FindingID)
		}
	}

	// every planted path can be cut: drop the edges its first finding
	// enables and the path (and so its target) is gone
	edgeAt := make(map[string]int, len(g.Edges))
	for i := range g.Edges {
		edgeAt[g.Edges[i].Key().String()] = i
	}
	for _, p := range tr.Planted {
		var cut string
		for _, k := range p.Edges {
			if i, ok := edgeAt[k]; ok && len(g.Edges[i].Findings) > 0 {
				cut = g.Edges[i].Findings[0]
				break
			}
		}
		if cut == "" {
			t.Errorf("planted path %s has no edge with an enabling finding", p.ID)
			continue
		}
		if g.Finding(cut) == nil {
			t.Errorf("planted path %s cites finding %s, which does not exist", p.ID, cut)
		}
		after := m.allPathsTo(p.Target, tr, cut)
		if after > 0 {
			t.Errorf("planted path %s: %d paths still reach %s after fixing %s", p.ID, after, p.Target, cut)
		}
	}
}

// allPathsTo counts paths to one target with the edges enabled by finding
// fixed removed.
func (m *moveGraph) allPathsTo(target string, tr *GroundTruth, finding string) int {
	paths := m.allPaths(tr.Threshold, tr.MaxDepth, func(e *graph.Edge) bool {
		for _, f := range e.Findings {
			if f == finding {
				return true
			}
		}
		return false
	})
	n := 0
	for _, keys := range paths {
		last := keys[len(keys)-1]
		if strings.Contains(last, "|"+target+"|") {
			n++
		}
	}
	return n
}

func TestGroundTruthInvariantHolds(t *testing.T) {
	sizes := []int{1000, 10000}
	if !testing.Short() {
		sizes = append(sizes, 100000)
	}
	for _, n := range sizes {
		t.Run(itoa(n), func(t *testing.T) {
			e := estateOf(t, n)
			if len(e.Truth.Planted) < 8 {
				t.Errorf("%d planted paths, want at least 8", len(e.Truth.Planted))
			}
			checkInvariant(t, e)
		})
	}
}
