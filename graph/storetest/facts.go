package storetest

import (
	"reflect"
	"slices"
	"testing"

	"github.com/breachpath/breachpath/graph"
)

// testFactsOnly: a load with FactsOnly returns the fact edges alone, and
// with the moves of a SkipFacts load of the same contents they are the
// full load's edges, edge for edge (stubs across scopes, one fact held by
// two scopes and merged, stale flags); every end of a fact edge is a node
// of the SkipFacts load; Versions names each loaded scope's newest sync,
// alike in every load of the same contents, and moves on with a sync.
// With KeepFacts, FactsOnly returns the facts of those kinds alone.
func testFactsOnly(t *testing.T, open func(t *testing.T) graph.Store) {
	s := open(t)
	scopeC := graph.Scope{Cloud: graph.CloudAWS, ID: "333333333333"}
	scopeD := graph.Scope{Cloud: graph.CloudGCP, ID: "projects/facts-d"}
	roleA := "arn:aws:iam::" + scopeA.ID + ":role/app" // RichSnapshot's role
	roleC := "arn:aws:iam::" + scopeC.ID + ":role/ci"
	c := &graph.Snapshot{Scope: scopeC, CollectedAt: at(0), Collector: "storetest",
		Nodes: []graph.Node{
			{ID: roleC, Kind: graph.KindRole, Cloud: graph.CloudAWS, Name: "ci", Account: scopeC.ID, Service: "iam"},
			{ID: roleA, Kind: graph.KindRole, Cloud: graph.CloudAWS, Account: scopeA.ID, Stub: true},
		},
		Edges: []graph.Edge{
			{From: roleC, To: roleA, Kind: graph.EdgeTrusts, Evidence: []string{"trust policy of ci"}},
			{From: roleC, To: roleA, Kind: graph.EdgeAssumes, Technique: "aws.sts.assume-role"},
		}}
	// the same fact again, from a scope that holds both roles as stubs
	d := &graph.Snapshot{Scope: scopeD, CollectedAt: at(0), Collector: "storetest",
		Nodes: []graph.Node{
			{ID: roleC, Kind: graph.KindRole, Cloud: graph.CloudAWS, Account: scopeC.ID, Stub: true},
			{ID: roleA, Kind: graph.KindRole, Cloud: graph.CloudAWS, Account: scopeA.ID, Stub: true},
		},
		Edges: []graph.Edge{{From: roleC, To: roleA, Kind: graph.EdgeTrusts, Evidence: []string{"seen from d"}, Conditional: true}}}
	synced := map[graph.Scope]int64{}
	for _, snap := range []*graph.Snapshot{RichSnapshot(scopeA, at(0)), RichSnapshot(scopeB, at(0)), c, d} {
		synced[snap.Scope] = mustSync(t, s, snap).SyncID
	}
	// scope B again with one area failed: its rows there stay, stale
	b := RichSnapshot(scopeB, at(1))
	b.Nodes = slices.DeleteFunc(b.Nodes, func(n graph.Node) bool { return n.Service == "ec2" })
	b.Edges = slices.DeleteFunc(b.Edges, func(e graph.Edge) bool {
		return slices.ContainsFunc(RichSnapshot(scopeB, at(1)).Nodes, func(n graph.Node) bool {
			return n.Service == "ec2" && (n.ID == e.From || n.ID == e.To)
		})
	})
	b.Findings = b.Findings[1:] // the open-SSH finding is on the security group
	b.Coverage = graph.Coverage{Read: []graph.Area{{Service: "iam"}, {Service: "s3"}}, Failed: []graph.Failure{{Area: graph.Area{Service: "ec2", Region: "us-east-1"}, Error: "AccessDenied"}}}
	synced[scopeB] = mustSync(t, s, b).SyncID

	check := func(t *testing.T, filter graph.Filter) {
		t.Helper()
		full := mustLoad(t, s, filter)
		movesFilter, factsFilter := filter, filter
		movesFilter.SkipFacts, factsFilter.FactsOnly = true, true
		moves := mustLoad(t, s, movesFilter)
		facts := mustLoad(t, s, factsFilter)
		if len(facts.Nodes) != 0 || len(facts.Findings) != 0 {
			t.Errorf("FactsOnly loaded %d nodes and %d findings, want none", len(facts.Nodes), len(facts.Findings))
		}
		stale := 0
		for _, e := range facts.Edges {
			if e.Kind.IsMove() {
				t.Errorf("FactsOnly loaded the move %s", e.Key())
			}
			if _, ok := moves.NodeIndex(e.From); !ok {
				t.Errorf("fact %s starts at no node of the SkipFacts load", e.Key())
			}
			if _, ok := moves.NodeIndex(e.To); !ok {
				t.Errorf("fact %s ends at no node of the SkipFacts load", e.Key())
			}
			if e.Stale {
				stale++
			}
		}
		joined := slices.SortedFunc(slices.Values(slices.Concat(moves.Edges, facts.Edges)), func(a, b graph.Edge) int { return graph.CompareEdges(&a, &b) })
		if len(full.Edges) == 0 || len(facts.Edges) == 0 || len(facts.Edges) == len(full.Edges) {
			t.Fatalf("fixture needs facts and moves: %d facts of %d edges", len(facts.Edges), len(full.Edges))
		}
		if !reflect.DeepEqual(joined, full.Edges) {
			t.Errorf("moves (%d) and facts (%d) differ from the full load's %d edges:\n got %+v\nwant %+v",
				len(moves.Edges), len(facts.Edges), len(full.Edges), joined, full.Edges)
		}
		want := map[graph.Scope]int64{}
		for sc, id := range synced {
			if filter.Matches(sc) {
				want[sc] = id
			}
		}
		for name, g := range map[string]*graph.Graph{"full": full, "SkipFacts": moves, "FactsOnly": facts} {
			if !reflect.DeepEqual(g.Versions, want) {
				t.Errorf("%s load: Versions = %v, want the newest syncs %v", name, g.Versions, want)
			}
		}
		if filter.Matches(scopeB) && stale == 0 {
			t.Error("no stale fact edge loaded; the fixture keeps scope B's ec2 facts stale")
		}
		// KeepFacts narrows FactsOnly to its kinds: exactly the full
		// load's edges of those kinds, of the same versions
		for _, kinds := range [][]graph.EdgeKind{
			{graph.EdgeTrusts},
			{graph.EdgeMemberOf, graph.EdgeTrusts},
			{graph.EdgeEncryptedBy, graph.EdgeAssumes}, // a move named is not loaded
			{graph.EdgeAssumes},
		} {
			kept := filter
			kept.FactsOnly, kept.KeepFacts = true, kinds
			got := mustLoad(t, s, kept)
			want := slices.DeleteFunc(slices.Clone(full.Edges), func(e graph.Edge) bool {
				return e.Kind.IsMove() || !slices.Contains(kinds, e.Kind)
			})
			if len(got.Nodes) != 0 || len(got.Findings) != 0 || len(got.Edges) != len(want) ||
				(len(want) > 0 && !reflect.DeepEqual(got.Edges, want)) {
				t.Errorf("FactsOnly with KeepFacts %v: %d nodes, %d findings, edges\n got %+v\nwant %+v",
					kinds, len(got.Nodes), len(got.Findings), got.Edges, want)
			}
			if !reflect.DeepEqual(got.Versions, facts.Versions) {
				t.Errorf("FactsOnly with KeepFacts %v: Versions = %v, want %v", kinds, got.Versions, facts.Versions)
			}
		}
	}
	for _, tt := range []struct {
		name   string
		filter graph.Filter
	}{
		{"every scope", graph.Filter{}},
		{"one scope", only(scopeC)},
		{"two scopes holding the same fact", only(scopeC, scopeD)},
		{"one cloud", graph.Filter{Clouds: []graph.Cloud{graph.CloudAWS}}},
		{"resolved findings included", graph.Filter{IncludeResolved: true}},
	} {
		t.Run(tt.name, func(t *testing.T) { check(t, tt.filter) })
	}
	t.Run("the merged fact carries both scopes' evidence", func(t *testing.T) {
		facts := mustLoad(t, s, graph.Filter{FactsOnly: true})
		i := slices.IndexFunc(facts.Edges, func(e graph.Edge) bool { return e.From == roleC && e.Kind == graph.EdgeTrusts })
		if i < 0 || !slices.Equal(facts.Edges[i].Evidence, []string{"seen from d", "trust policy of ci"}) || facts.Edges[i].Conditional {
			t.Errorf("merged trust = %+v, want both evidence lines and unconditional", facts.Edges)
		}
	})
	t.Run("a sync moves the scope's version on", func(t *testing.T) {
		c.CollectedAt = at(2)
		c.Nodes[0].Name = "ci-renamed"
		synced[scopeC] = mustSync(t, s, c).SyncID
		check(t, graph.Filter{})
		if g := mustLoad(t, s, graph.Filter{FactsOnly: true, Scopes: []graph.Scope{scopeC}}); g.Versions[scopeC] != synced[scopeC] {
			t.Errorf("after a sync Versions[C] = %d, want %d", g.Versions[scopeC], synced[scopeC])
		}
	})
}
