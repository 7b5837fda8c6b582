package queries_test

import (
	"cmp"
	"context"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/breachpath/breachpath/collector/azure"
	"github.com/breachpath/breachpath/graph"
	"github.com/breachpath/breachpath/queries"
)

func TestEdgeKindsNameEveryRelationshipPatternOfTheCypher(t *testing.T) {
	for _, q := range queries.All() {
		kinds, every := q.EdgeKinds()
		if every {
			t.Errorf("%s: reads every edge kind; no saved query does today, so a pattern without a type is a slip", q.Name)
		}
		for _, k := range kinds {
			if !k.Valid() {
				t.Errorf("%s: the Cypher names relationship type %q, which is no edge kind", q.Name, k)
			}
		}
		facts, _ := q.FactKinds()
		for _, k := range facts {
			if k.IsMove() || !slices.Contains(kinds, k) {
				t.Errorf("%s: fact kinds %v are not the facts among %v", q.Name, facts, kinds)
			}
		}
		// every relationship pattern was read: one not matched would hide its kinds
		if n, want := relPatterns(q.Cypher), strings.Count(q.Cypher, "-["); n != want {
			t.Errorf("%s: %d relationship patterns understood of %d in the Cypher", q.Name, n, want)
		}
	}
	// a pattern without a type reads every kind
	untyped := queries.Query{Cypher: "MATCH (a)-[r]->(b) RETURN a"}
	if kinds, every := untyped.EdgeKinds(); !every || kinds != nil {
		t.Errorf("untyped pattern: kinds %v, every %v; want every kind", kinds, every)
	}
	typed := queries.Query{Cypher: "MATCH (a)-[:RUNS_AS|USES_IDENTITY]->(b)<-[r2 :MEMBER_OF]-(c) RETURN a"}
	kinds, every := typed.EdgeKinds()
	if every || !slices.Equal(kinds, []graph.EdgeKind{graph.EdgeMemberOf, graph.EdgeRunsAs, graph.EdgeUsesIdentity}) {
		t.Errorf("typed patterns: kinds %v, every %v", kinds, every)
	}
}

// relPatterns counts the relationship patterns EdgeKinds reads: the
// number of kinds a Cypher of that pattern alone yields is at least one.
func relPatterns(cypher string) int {
	n := 0
	for rest := cypher; ; {
		i := strings.Index(rest, "-[")
		if i < 0 {
			return n
		}
		j := strings.Index(rest[i:], "]-")
		if j < 0 {
			return n
		}
		if kinds, every := (queries.Query{Cypher: rest[i : i+j+2]}).EdgeKinds(); every || len(kinds) > 0 {
			n++
		}
		rest = rest[i+j+2:]
	}
}

// TestEveryQueryReadsOnlyTheEdgeKindsItsCypherNames runs every saved query
// over a graph holding only the edge kinds it declares (EdgeKinds: the
// nodes and findings, and no other edge, not even the other moves) and
// over the whole graph: a query that read a kind it does not declare would
// answer differently wherever that kind matters. The server loads only the
// declared facts (api), so this is what keeps its answers whole.
func TestEveryQueryReadsOnlyTheEdgeKindsItsCypherNames(t *testing.T) {
	_, synth := estate(t)
	estates := []struct {
		name string
		g    *graph.Graph
	}{
		{"feature scope", assemble([]*graph.Snapshot{featureSnapshot(true)})},
		{"feature scope, facts decisive", factsDecisive(t)},
		{"synthetic estate", synth},
		{"BadZure lab", azureLab(t, "badzure")},
		{"AzureGoat lab", azureLab(t, "azuregoat")},
	}
	for _, est := range estates {
		t.Run(est.name, func(t *testing.T) {
			answered := 0
			for _, q := range queries.All() {
				params := map[string]any{}
				if slices.ContainsFunc(q.Params, func(p queries.Param) bool { return p.Name == "from" }) {
					params["from"] = busiestMover(est.g)
				}
				kinds, every := q.EdgeKinds()
				if every {
					t.Fatalf("%s reads every kind", q.Name)
				}
				narrow := est.g.WithEdges(slices.DeleteFunc(slices.Clone(est.g.Edges), func(e graph.Edge) bool {
					return !slices.Contains(kinds, e.Kind)
				}))
				want, err := q.Run(context.Background(), est.g, params)
				if err != nil {
					t.Fatalf("%s over the whole graph: %v", q.Name, err)
				}
				got, err := q.Run(context.Background(), narrow, params)
				if err != nil {
					t.Fatalf("%s over its kinds %v: %v", q.Name, kinds, err)
				}
				if a, b := mustJSON(t, want), mustJSON(t, got); a != b {
					t.Errorf("%s over only its kinds %v differs from the whole graph:\n got %.600s\nwant %.600s", q.Name, kinds, b, a)
				}
				if len(want.Rows) > 0 {
					answered++
				}
			}
			if answered < 3 {
				t.Fatalf("only %d queries have rows on this estate: it proves little", answered)
			}
		})
	}
}

// factsDecisive is the feature scope changed so that every fact kind a
// query declares decides some row: the web instance's identity comes only
// through its instance profile (no USES_IDENTITY move beside RUNS_AS and
// PROFILE_CONTAINS), and the database without an encrypted prop has a key.
// It checks that it is: without any one of those kinds, the query that
// declares it answers differently.
func factsDecisive(t *testing.T) *graph.Graph {
	t.Helper()
	s := featureSnapshot(true)
	s.Edges = slices.DeleteFunc(s.Edges, func(e graph.Edge) bool { return e.Kind == graph.EdgeUsesIdentity })
	s.Edges = append(s.Edges, graph.Edge{From: featDBNoKey, To: featKey, Kind: graph.EdgeEncryptedBy})
	g := assemble([]*graph.Snapshot{s})
	for _, q := range queries.All() {
		facts, _ := q.FactKinds()
		for _, k := range facts {
			without := g.WithEdges(slices.DeleteFunc(slices.Clone(g.Edges), func(e graph.Edge) bool { return e.Kind == k }))
			a, b := run(t, g, q.Name, nil), run(t, without, q.Name, nil)
			if mustJSON(t, a) == mustJSON(t, b) {
				t.Errorf("%s answers the same without its %s facts on the estate meant to make them decisive", q.Name, k)
			}
		}
	}
	return g
}

// azureLab is an Azure lab of collector/azure/testdata built through the
// offline import of its export files.
func azureLab(t *testing.T, dir string) *graph.Graph {
	t.Helper()
	files, err := filepath.Glob(filepath.Join("..", "collector", "azure", "testdata", dir, "*.json"))
	if err != nil || len(files) == 0 {
		t.Fatalf("lab %s: no export files (%v)", dir, err)
	}
	snaps, _, err := azure.FromFiles(context.Background(), files, azure.FileOptions{})
	if err != nil {
		t.Fatalf("lab %s: %v", dir, err)
	}
	return graph.AssembleSnapshots(snaps)
}

// busiestMover is the node with the most attacker moves out of it (the
// smallest id among equals): a foothold whose blast radius has rows.
func busiestMover(g *graph.Graph) string {
	out := map[string]int{}
	for i := range g.Edges {
		if g.Edges[i].Kind.IsMove() {
			out[g.Edges[i].From]++
		}
	}
	best := ""
	for id, n := range out {
		if best == "" || n > out[best] || (n == out[best] && cmp.Less(id, best)) {
			best = id
		}
	}
	return best
}
