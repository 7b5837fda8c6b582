package paths

import (
	"context"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/breachpath/breachpath/graph"
)

func mustDominators(t *testing.T, g *graph.Graph, o Options) *Dominators {
	t.Helper()
	d, err := NewProjection(g).Dominators(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func hopIDs(m *MustPass) []string {
	var out []string
	for _, h := range m.Hops {
		out = append(out, h.ID)
	}
	return out
}

// TestMustPassOnHandDrawnGraphs: the nodes and findings every path to a
// target crosses, on graphs small enough to check by eye.
func TestMustPassOnHandDrawnGraphs(t *testing.T) {
	tests := []struct {
		name         string
		b            *builder
		opts         Options
		target       string
		wantHops     []string
		wantFindings []string
		wantSource   string
	}{
		{"a single chain: every hop and finding is must-pass", chain(), Options{}, "bucket",
			[]string{"web", "role"}, []string{"f-imdsv1", "f-open-sg", "f-wide-policy"}, graph.InternetID},
		{"two roles in parallel: only the web host is must-pass",
			chain().node("role2", graph.KindRole, 0).move("web", "role2", graph.EdgeUsesIdentity, 0.9, "f-imdsv1").
				move("role2", "bucket", graph.EdgeReads, 0.5, "f-wide-policy"),
			// f-imdsv1 would cut both routes too, but its moves enter two different nodes, neither
			// of them must-pass: must-pass findings are sound, not complete (see Dominators).
			Options{}, "bucket", []string{"web"}, []string{"f-open-sg", "f-wide-policy"}, graph.InternetID},
		{"a parallel move citing another finding keeps the node, drops the finding",
			chain().move("web", "role", graph.EdgeEscalatesTo, 0.3, "f-other"), Options{}, "bucket",
			[]string{"web", "role"}, []string{"f-open-sg", "f-wide-policy"}, graph.InternetID},
		{"fixing the other finding makes it must-pass again",
			chain().move("web", "role", graph.EdgeEscalatesTo, 0.3, "f-other"), Options{RemovedFindings: []string{"f-other"}}, "bucket",
			[]string{"web", "role"}, []string{"f-imdsv1", "f-open-sg", "f-wide-policy"}, graph.InternetID},
		{"a move back into the path closes a cycle and changes nothing",
			chain().move("role", "web", graph.EdgeAssumes, 0.9, "f-loop"), Options{}, "bucket",
			[]string{"web", "role"}, []string{"f-imdsv1", "f-open-sg", "f-wide-policy"}, graph.InternetID},
		{"two sources meet at the role",
			chain().node("ext", graph.KindExternalPrincipal, 0).move("ext", "role", graph.EdgeAssumes, 0.9, "f-trust"),
			Options{}, "bucket", []string{"role"}, []string{"f-wide-policy"}, ""},
		{"a foothold source", chain(), Options{Sources: []string{"web"}}, "bucket",
			[]string{"role"}, []string{"f-imdsv1", "f-wide-policy"}, "web"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d := mustDominators(t, tc.b.build(), tc.opts)
			m, ok := d.For(tc.target)
			if !ok {
				t.Fatalf("no must-pass analysis for %s", tc.target)
			}
			if !slices.Equal(hopIDs(m), tc.wantHops) {
				t.Errorf("hops %v, want %v", hopIDs(m), tc.wantHops)
			}
			if !slices.Equal(m.Findings, tc.wantFindings) {
				t.Errorf("findings %v, want %v", m.Findings, tc.wantFindings)
			}
			if m.Source != tc.wantSource {
				t.Errorf("source %q, want %q", m.Source, tc.wantSource)
			}
		})
	}
	t.Run("unreached and non-targets have none", func(t *testing.T) {
		d := mustDominators(t, chain().build(), Options{})
		for _, id := range []string{"lonely", "role", "nope"} {
			if _, ok := d.For(id); ok {
				t.Errorf("For(%q) answered", id)
			}
		}
		if got := len(d.All()); got != 1 {
			t.Errorf("All() has %d targets, want 1 (the reached bucket)", got)
		}
	})
}

// reachesAvoiding reports whether a target is reachable from the sources
// without entering node avoid (-1: none) and without moves citing finding
// avoidF, by BFS over g.Edges, never re-entering a source.
func reachesAvoiding(g *graph.Graph, target string, avoid string, avoidF string) bool {
	seen := map[string]bool{}
	var q []string
	for i := range g.Nodes {
		if g.Nodes[i].IsExposureSource() {
			seen[g.Nodes[i].ID] = true
			q = append(q, g.Nodes[i].ID)
		}
	}
	for len(q) > 0 {
		v := q[0]
		q = q[1:]
		if v == target {
			return true
		}
		for i := range g.Edges {
			e := &g.Edges[i]
			if e.From != v || !e.Kind.IsMove() || seen[e.To] || e.To == avoid || slices.Contains(e.Findings, avoidF) {
				continue
			}
			if n := g.Node(e.To); n == nil || n.IsExposureSource() {
				continue
			}
			seen[e.To] = true
			q = append(q, e.To)
		}
	}
	return false
}

// TestMustPassAgainstBruteForce: on random graphs, a node is a must-pass
// hop exactly when removing it disconnects the target (dominators are exact
// for nodes), and removing any must-pass finding disconnects it (sound).
func TestMustPassAgainstBruteForce(t *testing.T) {
	r := rand.New(rand.NewPCG(18, 4))
	checked := 0
	for trial := range 200 {
		n := 4 + r.IntN(14)
		g := randomGraph(r, n, n+r.IntN(3*n), 4).build()
		d := mustDominators(t, g, Options{})
		for _, m := range d.All() {
			for i := range g.Nodes {
				v := &g.Nodes[i]
				if v.IsExposureSource() || v.ID == m.Target {
					continue
				}
				cuts := !reachesAvoiding(g, m.Target, v.ID, "\x00")
				if cuts != m.Crosses(v.ID) {
					t.Fatalf("trial %d target %s node %s: removing it disconnects=%v, must-pass=%v (hops %v)",
						trial, m.Target, v.ID, cuts, m.Crosses(v.ID), hopIDs(&m))
				}
			}
			for _, f := range m.Findings {
				if reachesAvoiding(g, m.Target, "", f) {
					t.Fatalf("trial %d target %s: must-pass finding %s fixed, the target is still reached", trial, m.Target, f)
				}
			}
			checked++
		}
	}
	if checked < 200 {
		t.Fatalf("only %d targets checked", checked)
	}
}
