// Package storetest is the conformance suite every graph.Store passes: the
// embedded store and Neo4j run the same tests, so that nothing above the
// store can tell them apart.
//
// Beyond the graph.Store doc comments, the suite pins down these choices:
//   - the observation time of a sync is Snapshot.CollectedAt (the time of
//     the sync when zero); FirstSeen, LastSeen, ResolvedAt and StaleSince
//     are observation times;
//   - a missing edge is kept stale when one endpoint is a node kept stale
//     and both endpoints remain in the scope (a stale edge never dangles);
//   - a resolved finding that reappears is reopened with its FirstSeen kept;
//   - Removed.Findings stays 0: findings are resolved, never removed;
//   - a cancelled sync returns an error wrapping context.Canceled and
//     changes nothing; a store never consults the context after committing;
//   - collector-set Stale/StaleSince and finding lifecycle fields are ignored.
package storetest

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/breachpath/breachpath/graph"
)

// Run runs the conformance suite. open returns a fresh, empty store on each
// call and registers its own cleanup (the suite never closes those stores).
func Run(t *testing.T, open func(t *testing.T) graph.Store) {
	tests := []struct {
		name string
		run  func(t *testing.T, open func(t *testing.T) graph.Store)
	}{
		{"round trip keeps every field", testRoundTrip},
		{"a change to any one field is stored", testEveryFieldChangeIsStored},
		{"resync of identical snapshot changes nothing", testIdempotentResync},
		{"sync of one scope leaves other scopes untouched", testScopeIsolation},
		{"rows missing from the snapshot are removed", testMissingRemoved},
		{"rows of failed areas are kept stale until collected again", testStale},
		{"findings keep first seen, get resolved and reopen", testFindingLifecycle},
		{"history records every sync newest first", testHistory},
		{"invalid snapshot is rejected and changes nothing", testInvalidSnapshot},
		{"cancelled sync leaves the previous state", testCancelledSync},
		{"readers see the old or the new graph, never a mix", testConcurrentReaders},
		{"load filters by scope and cloud", testLoadFilter},
		{"load with SkipFacts returns exactly the move edges, SkipFindings no finding", testSkipFacts},
		{"load with FactsOnly returns the fact edges a SkipFacts load leaves out", testFactsOnly},
		{"owned node wins over stubs of other scopes", testStubMerge},
		{"scopes lists synced scopes", testScopes},
		{"a multi-scope write stopped half-way leaves its generation open", testGenerations},
		{"an all-or-nothing write switches every scope or none", testAllOrNothing},
		{"every sync leaves a current cross-scope index", testLinks},
		{"stats count the rows after each kind of sync", testStatsCases},
		{"stats equal the rows after random sync sequences", testStatsFollowRandomSyncs},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { tt.run(t, open) })
	}
}

func mustSync(t *testing.T, s graph.Store, snap *graph.Snapshot) graph.SyncResult {
	t.Helper()
	res, err := s.Sync(context.Background(), snap)
	if err != nil {
		t.Fatalf("Sync(%s): %v", snap.Scope, err)
	}
	return res
}

func mustLoad(t *testing.T, s graph.Store, f graph.Filter) *graph.Graph {
	t.Helper()
	g, err := s.Load(context.Background(), f)
	if err != nil {
		t.Fatalf("Load(%+v): %v", f, err)
	}
	return g
}

func only(scopes ...graph.Scope) graph.Filter { return graph.Filter{Scopes: scopes} }

// sameContent reports how the loaded graph differs from the snapshot,
// ignoring the lifecycle fields the store owns.
func sameContent(snap *graph.Snapshot, g *graph.Graph) error {
	want := graph.Assemble(slices.Clone(snap.Nodes), slices.Clone(snap.Edges), slices.Clone(snap.Findings))
	if len(g.Nodes) != len(want.Nodes) || len(g.Edges) != len(want.Edges) || len(g.Findings) != len(want.Findings) {
		return fmt.Errorf("got %d nodes, %d edges, %d findings; want %d, %d, %d",
			len(g.Nodes), len(g.Edges), len(g.Findings), len(want.Nodes), len(want.Edges), len(want.Findings))
	}
	for i := range want.Nodes {
		got := g.Nodes[i]
		got.Stale, got.StaleSince = false, want.Nodes[i].StaleSince
		if !reflect.DeepEqual(got, want.Nodes[i]) {
			return fmt.Errorf("node %d:\n got %#v\nwant %#v", i, got, want.Nodes[i])
		}
	}
	for i := range want.Edges {
		got := g.Edges[i]
		got.Stale = false
		if !reflect.DeepEqual(got, want.Edges[i]) {
			return fmt.Errorf("edge %d:\n got %#v\nwant %#v", i, got, want.Edges[i])
		}
	}
	for i := range want.Findings {
		got, w := g.Findings[i], want.Findings[i]
		got.FirstSeen, got.LastSeen, got.ResolvedAt, got.Stale = w.FirstSeen, w.LastSeen, w.ResolvedAt, false
		if !reflect.DeepEqual(got, w) {
			return fmt.Errorf("finding %d:\n got %#v\nwant %#v", i, got, w)
		}
	}
	return nil
}

func testRoundTrip(t *testing.T, open func(t *testing.T) graph.Store) {
	s := open(t)
	snap := RichSnapshot(scopeA, at(0))
	res := mustSync(t, s, snap)
	if res.Scope != scopeA || res.SyncID == 0 {
		t.Errorf("SyncResult scope %v id %d, want %v and a non-zero id", res.Scope, res.SyncID, scopeA)
	}
	want := graph.Counts{Nodes: len(snap.Nodes), Edges: len(snap.Edges), Findings: len(snap.Findings)}
	if res.Written != want || res.Removed != (graph.Counts{}) || res.Stale != (graph.Counts{}) || res.Resolved != 0 {
		t.Errorf("SyncResult written %+v removed %+v stale %+v resolved %d; want written %+v and nothing else",
			res.Written, res.Removed, res.Stale, res.Resolved, want)
	}
	g := mustLoad(t, s, graph.Filter{})
	if err := sameContent(snap, g); err != nil {
		t.Fatal(err)
	}
	// typed props, spelled out so a failure names the type that changed
	inst := g.Node(awsARN(scopeA, "ec2", "us-east-1", "instance/i-0abc"))
	for k, v := range snap.Nodes[2].Props {
		if got := inst.Props[k]; reflect.TypeOf(got) != reflect.TypeOf(v) {
			t.Errorf("prop %q came back as %T, want %T", k, got, v)
		}
	}
	for _, n := range g.Nodes {
		if n.Stale || !n.StaleSince.IsZero() {
			t.Errorf("node %s is stale after a complete sync", n.ID)
		}
	}
	for _, f := range g.Findings {
		if !f.FirstSeen.Equal(at(0)) || !f.LastSeen.Equal(at(0)) || !f.ResolvedAt.IsZero() || f.Stale {
			t.Errorf("finding %s: first %v last %v resolved %v stale %v; want first = last = %v, open, fresh",
				f.ID, f.FirstSeen, f.LastSeen, f.ResolvedAt, f.Stale, at(0))
		}
	}
}

func testIdempotentResync(t *testing.T, open func(t *testing.T) graph.Store) {
	s := open(t)
	mustSync(t, s, RichSnapshot(scopeA, at(0)))
	res := mustSync(t, s, RichSnapshot(scopeA, at(1)))
	if res.Removed != (graph.Counts{}) || res.Stale != (graph.Counts{}) || res.Resolved != 0 {
		t.Errorf("identical resync removed %+v, stale %+v, resolved %d; want nothing", res.Removed, res.Stale, res.Resolved)
	}
	g := mustLoad(t, s, graph.Filter{})
	if err := sameContent(RichSnapshot(scopeA, at(1)), g); err != nil {
		t.Fatal(err)
	}
	for _, f := range g.Findings {
		if !f.FirstSeen.Equal(at(0)) || !f.LastSeen.Equal(at(1)) {
			t.Errorf("finding %s first %v last %v, want %v and %v", f.ID, f.FirstSeen, f.LastSeen, at(0), at(1))
		}
	}
}

func testScopeIsolation(t *testing.T, open func(t *testing.T) graph.Store) {
	s := open(t)
	a, b := RichSnapshot(scopeA, at(0)), RichSnapshot(scopeB, at(0))
	mustSync(t, s, a)
	mustSync(t, s, b)
	before := mustLoad(t, s, only(scopeB))

	// replace A with something entirely different, then with an empty graph
	mustSync(t, s, genSnapshot(scopeA, 1, 20, at(1)))
	if err := sameContent(b, mustLoad(t, s, only(scopeB))); err != nil {
		t.Fatalf("scope B changed after a sync of A: %v", err)
	}
	mustSync(t, s, &graph.Snapshot{Scope: scopeA, CollectedAt: at(2)})
	after := mustLoad(t, s, only(scopeB))
	if !reflect.DeepEqual(before.Nodes, after.Nodes) || !reflect.DeepEqual(before.Edges, after.Edges) || !reflect.DeepEqual(before.Findings, after.Findings) {
		t.Fatal("scope B changed after emptying scope A")
	}
	if g := mustLoad(t, s, only(scopeA)); len(g.Nodes)+len(g.Edges)+len(g.Findings) != 0 {
		t.Errorf("scope A after an empty sync has %d nodes, %d edges, %d findings; want none", len(g.Nodes), len(g.Edges), len(g.Findings))
	}
}

func testMissingRemoved(t *testing.T, open func(t *testing.T) graph.Store) {
	s := open(t)
	mustSync(t, s, genSnapshot(scopeA, 1, 50, at(0)))
	res := mustSync(t, s, genSnapshot(scopeA, 2, 30, at(1)))
	full, part := genSnapshot(scopeA, 1, 50, at(0)), genSnapshot(scopeA, 2, 30, at(1))
	wantRemoved := graph.Counts{
		Nodes: len(full.Nodes) - len(part.Nodes),
		Edges: len(full.Edges) - len(part.Edges),
	}
	if res.Removed != wantRemoved {
		t.Errorf("Removed = %+v, want %+v", res.Removed, wantRemoved)
	}
	if want := len(full.Findings) - len(part.Findings); res.Resolved != want {
		t.Errorf("Resolved = %d, want %d (findings of removed nodes)", res.Resolved, want)
	}
	g := mustLoad(t, s, only(scopeA))
	if err := checkGen(g, 2, 30); err != nil {
		t.Fatal(err)
	}
	if err := sameContent(part, g); err != nil {
		t.Fatal(err)
	}
}

// staleFixture is a scope with nodes in three areas: ec2/us-east-1,
// ec2/eu-west-1 and iam.
func staleFixture(collected time.Time) *graph.Snapshot {
	east := awsARN(scopeA, "ec2", "us-east-1", "instance/i-east")
	west := awsARN(scopeA, "ec2", "eu-west-1", "instance/i-west")
	role := "arn:aws:iam::" + scopeA.ID + ":role/r"
	gone := "arn:aws:iam::" + scopeA.ID + ":role/gone"
	fEast := graph.FindingID("r.east", east)
	fRole := graph.FindingID("r.role", role)
	return &graph.Snapshot{
		Scope: scopeA, CollectedAt: collected,
		Nodes: []graph.Node{
			{ID: graph.InternetID, Kind: graph.KindInternet, Stub: true},
			{ID: east, Kind: graph.KindCompute, Cloud: graph.CloudAWS, Service: "ec2", Region: "us-east-1"},
			{ID: west, Kind: graph.KindCompute, Cloud: graph.CloudAWS, Service: "ec2", Region: "eu-west-1"},
			{ID: role, Kind: graph.KindRole, Cloud: graph.CloudAWS, Service: "iam"},
			{ID: gone, Kind: graph.KindRole, Cloud: graph.CloudAWS, Service: "iam"},
		},
		Edges: []graph.Edge{
			{From: graph.InternetID, To: east, Kind: graph.EdgeExposedTo, Technique: "net.internet-exposure", Findings: []string{fEast}},
			{From: east, To: role, Kind: graph.EdgeRunsAs},
			{From: west, To: role, Kind: graph.EdgeRunsAs},
			{From: east, To: gone, Kind: graph.EdgeRunsAs},
		},
		Findings: []graph.Finding{
			{ID: fEast, RuleID: "r.east", Resource: east, Severity: graph.SeverityHigh},
			{ID: fRole, RuleID: "r.role", Resource: role, Severity: graph.SeverityLow},
		},
	}
}

// without returns snap minus the nodes with the given ids and everything
// attached to them.
func without(snap *graph.Snapshot, ids ...string) *graph.Snapshot {
	drop := func(id string) bool { return slices.Contains(ids, id) }
	out := *snap
	out.Nodes = slices.DeleteFunc(slices.Clone(snap.Nodes), func(n graph.Node) bool { return drop(n.ID) })
	out.Findings = slices.DeleteFunc(slices.Clone(snap.Findings), func(f graph.Finding) bool { return drop(f.Resource) })
	out.Edges = slices.DeleteFunc(slices.Clone(snap.Edges), func(e graph.Edge) bool { return drop(e.From) || drop(e.To) })
	for i := range out.Edges {
		out.Edges[i].Findings = slices.DeleteFunc(slices.Clone(out.Edges[i].Findings), func(fid string) bool {
			return !slices.ContainsFunc(out.Findings, func(f graph.Finding) bool { return f.ID == fid })
		})
	}
	return &out
}

func testStale(t *testing.T, open func(t *testing.T) graph.Store) {
	full := staleFixture(at(0))
	east, west := full.Nodes[1].ID, full.Nodes[2].ID
	role, gone := full.Nodes[3].ID, full.Nodes[4].ID
	fEast, fRole := full.Findings[0].ID, full.Findings[1].ID
	tests := []struct {
		name   string
		failed []graph.Failure
		// ids of nodes the second snapshot lacks
		missing []string
		// what the second sync keeps stale (ids of nodes, keys of edges, ids of findings)
		staleNodes, staleFindings []string
		staleEdges                []graph.EdgeKey
		removedNodes              int
	}{
		{
			name:       "service and region failed",
			failed:     []graph.Failure{{Area: graph.Area{Service: "ec2", Region: "us-east-1"}, Error: "throttled"}},
			missing:    []string{east, gone}, // gone's area (iam) was read: it is removed
			staleNodes: []string{east},
			// east -> gone dangles once gone is removed, so it goes too
			staleEdges:    []graph.EdgeKey{(&graph.Edge{From: graph.InternetID, To: east, Kind: graph.EdgeExposedTo, Technique: "net.internet-exposure"}).Key(), (&graph.Edge{From: east, To: role, Kind: graph.EdgeRunsAs}).Key()},
			staleFindings: []string{fEast},
			removedNodes:  1,
		},
		{
			name:          "service failed in every region",
			failed:        []graph.Failure{{Area: graph.Area{Service: "ec2"}, Error: "access denied"}},
			missing:       []string{east, west},
			staleNodes:    []string{east, west},
			staleEdges:    []graph.EdgeKey{(&graph.Edge{From: graph.InternetID, To: east, Kind: graph.EdgeExposedTo, Technique: "net.internet-exposure"}).Key(), (&graph.Edge{From: east, To: role, Kind: graph.EdgeRunsAs}).Key(), (&graph.Edge{From: west, To: role, Kind: graph.EdgeRunsAs}).Key(), (&graph.Edge{From: east, To: gone, Kind: graph.EdgeRunsAs}).Key()},
			staleFindings: []string{fEast},
		},
		{
			name:          "global service failed",
			failed:        []graph.Failure{{Area: graph.Area{Service: "iam"}, Error: "timeout"}},
			missing:       []string{role},
			staleNodes:    []string{role},
			staleEdges:    []graph.EdgeKey{(&graph.Edge{From: east, To: role, Kind: graph.EdgeRunsAs}).Key(), (&graph.Edge{From: west, To: role, Kind: graph.EdgeRunsAs}).Key()},
			staleFindings: []string{fRole},
		},
		{
			name:         "other area failed: missing rows are removed",
			failed:       []graph.Failure{{Area: graph.Area{Service: "s3"}, Error: "timeout"}},
			missing:      []string{east},
			removedNodes: 1,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := open(t)
			mustSync(t, s, staleFixture(at(0)))
			second := without(staleFixture(at(1)), tt.missing...)
			second.Coverage.Failed = tt.failed
			res := mustSync(t, s, second)
			wantStale := graph.Counts{Nodes: len(tt.staleNodes), Edges: len(tt.staleEdges), Findings: len(tt.staleFindings)}
			if res.Stale != wantStale {
				t.Errorf("Stale = %+v, want %+v", res.Stale, wantStale)
			}
			if res.Removed.Nodes != tt.removedNodes {
				t.Errorf("Removed.Nodes = %d, want %d", res.Removed.Nodes, tt.removedNodes)
			}
			check := func(g *graph.Graph, since time.Time) {
				t.Helper()
				for _, n := range g.Nodes {
					want := slices.Contains(tt.staleNodes, n.ID)
					if n.Stale != want || (want && !n.StaleSince.Equal(since)) || (!want && !n.StaleSince.IsZero()) {
						t.Errorf("node %s stale %v since %v; want stale %v since %v", n.ID, n.Stale, n.StaleSince, want, since)
					}
				}
				for _, id := range tt.staleNodes {
					if g.Node(id) == nil {
						t.Errorf("stale node %s was removed", id)
					}
				}
				if gotN, wantN := len(g.Nodes), len(second.Nodes)+len(tt.staleNodes); gotN != wantN {
					t.Errorf("%d nodes, want %d (snapshot + stale)", gotN, wantN)
				}
				keys := map[graph.EdgeKey]bool{}
				for _, e := range g.Edges {
					keys[e.Key()] = true
					want := slices.Contains(tt.staleEdges, e.Key())
					if e.Stale != want {
						t.Errorf("edge %s stale %v, want %v", e.Key(), e.Stale, want)
					}
					if g.Node(e.From) == nil || g.Node(e.To) == nil {
						t.Errorf("edge %s dangles", e.Key())
					}
				}
				for _, k := range tt.staleEdges {
					if !keys[k] {
						t.Errorf("stale edge %s was removed", k)
					}
				}
				if gotE, wantE := len(g.Edges), len(second.Edges)+len(tt.staleEdges); gotE != wantE {
					t.Errorf("%d edges, want %d (snapshot + stale)", gotE, wantE)
				}
				for _, f := range g.Findings {
					if want := slices.Contains(tt.staleFindings, f.ID); f.Stale != want {
						t.Errorf("finding %s stale %v, want %v", f.ID, f.Stale, want)
					} else if want && !f.LastSeen.Equal(at(0)) {
						t.Errorf("stale finding %s last seen %v, want %v (the last sync that saw it)", f.ID, f.LastSeen, at(0))
					}
				}
				if gotF, wantF := len(g.Findings), len(second.Findings)+len(tt.staleFindings); gotF != wantF {
					t.Errorf("%d open findings, want %d (snapshot + stale)", gotF, wantF)
				}
			}
			check(mustLoad(t, s, only(scopeA)), at(1))

			// failing again keeps StaleSince from the first failure
			third := without(staleFixture(at(2)), tt.missing...)
			third.Coverage.Failed = tt.failed
			mustSync(t, s, third)
			check(mustLoad(t, s, only(scopeA)), at(1))

			// collected again: flags gone, content back
			mustSync(t, s, staleFixture(at(3)))
			g := mustLoad(t, s, only(scopeA))
			if err := sameContent(staleFixture(at(3)), g); err != nil {
				t.Fatalf("after a complete sync: %v", err)
			}
			for _, n := range g.Nodes {
				if n.Stale || !n.StaleSince.IsZero() {
					t.Errorf("node %s still stale after it was collected again", n.ID)
				}
			}
			for _, e := range g.Edges {
				if e.Stale {
					t.Errorf("edge %s still stale after it was collected again", e.Key())
				}
			}
			for _, f := range g.Findings {
				if f.Stale || !f.LastSeen.Equal(at(3)) {
					t.Errorf("finding %s stale %v last seen %v after it was collected again at %v", f.ID, f.Stale, f.LastSeen, at(3))
				}
			}
		})
	}
}

func testFindingLifecycle(t *testing.T, open func(t *testing.T) graph.Store) {
	s := open(t)
	with := RichSnapshot(scopeA, at(0))
	fid := with.Findings[0].ID // open SSH on the security group
	withoutF := func(step int) *graph.Snapshot {
		snap := RichSnapshot(scopeA, at(step))
		snap.Findings = slices.DeleteFunc(snap.Findings, func(f graph.Finding) bool { return f.ID == fid })
		for i := range snap.Edges {
			snap.Edges[i].Findings = slices.DeleteFunc(snap.Edges[i].Findings, func(x string) bool { return x == fid })
		}
		return snap
	}
	type want struct {
		present             bool // in Load without IncludeResolved
		first, last, resolv time.Time
		resolvedCount       int
	}
	steps := []struct {
		name string
		snap *graph.Snapshot
		want want
	}{
		{"first seen", RichSnapshot(scopeA, at(0)), want{true, at(0), at(0), time.Time{}, 0}},
		{"seen again", RichSnapshot(scopeA, at(1)), want{true, at(0), at(1), time.Time{}, 0}},
		{"disappears: resolved", withoutF(2), want{false, at(0), at(1), at(2), 1}},
		{"still gone: stays resolved", withoutF(3), want{false, at(0), at(1), at(2), 0}},
		{"reappears: reopened", RichSnapshot(scopeA, at(4)), want{true, at(0), at(4), time.Time{}, 0}},
	}
	for _, st := range steps {
		res := mustSync(t, s, st.snap)
		if res.Resolved != st.want.resolvedCount {
			t.Errorf("%s: Resolved = %d, want %d", st.name, res.Resolved, st.want.resolvedCount)
		}
		if res.Removed.Findings != 0 {
			t.Errorf("%s: Removed.Findings = %d, want 0 (findings are resolved, not removed)", st.name, res.Removed.Findings)
		}
		open := mustLoad(t, s, only(scopeA))
		if got := open.Finding(fid) != nil; got != st.want.present {
			t.Errorf("%s: finding in default Load = %v, want %v", st.name, got, st.want.present)
		}
		all := mustLoad(t, s, graph.Filter{Scopes: []graph.Scope{scopeA}, IncludeResolved: true})
		f := all.Finding(fid)
		if f == nil {
			t.Fatalf("%s: finding missing from Load with IncludeResolved", st.name)
		}
		if !f.FirstSeen.Equal(st.want.first) || !f.LastSeen.Equal(st.want.last) || !f.ResolvedAt.Equal(st.want.resolv) {
			t.Errorf("%s: first %v last %v resolved %v; want %v, %v, %v", st.name,
				f.FirstSeen, f.LastSeen, f.ResolvedAt, st.want.first, st.want.last, st.want.resolv)
		}
		if f.Title != with.Findings[0].Title || !slices.Equal(f.Controls, with.Findings[0].Controls) {
			t.Errorf("%s: resolved finding lost its content: %+v", st.name, f)
		}
	}
}

func testHistory(t *testing.T, open func(t *testing.T) graph.Store) {
	s := open(t)
	if h, err := s.History(context.Background(), graph.Scope{}); err != nil || len(h) != 0 {
		t.Fatalf("History of an empty store = %v, %v; want none", h, err)
	}
	first := mustSync(t, s, genSnapshot(scopeA, 1, 30, at(0)))
	mustSync(t, s, RichSnapshot(scopeB, at(0)))
	failed := genSnapshot(scopeA, 2, 20, at(1))
	failed.Coverage = graph.Coverage{
		Read:   []graph.Area{{Service: "organizations"}},
		Failed: []graph.Failure{{Area: graph.Area{Service: "ec2", Region: "us-east-1"}, Error: "AccessDenied: ec2:DescribeInstances"}},
	}
	second := mustSync(t, s, failed)
	third := mustSync(t, s, genSnapshot(scopeA, 3, 10, at(2)))

	h, err := s.History(context.Background(), scopeA)
	if err != nil {
		t.Fatal(err)
	}
	if len(h) != 3 {
		t.Fatalf("History(A) has %d records, want 3", len(h))
	}
	for i, want := range []graph.SyncResult{third, second, first} {
		got := h[i]
		if got.SyncID != want.SyncID || got.Scope != scopeA || got.Written != want.Written || got.Removed != want.Removed ||
			got.Stale != want.Stale || got.Resolved != want.Resolved || !got.At.Equal(want.At) {
			t.Errorf("History(A)[%d] = %+v, want the result of that sync %+v", i, got.SyncResult, want)
		}
		if got.Collector != "storetest-gen" {
			t.Errorf("History(A)[%d].Collector = %q", i, got.Collector)
		}
	}
	if !h[1].CollectedAt.Equal(at(1)) {
		t.Errorf("CollectedAt = %v, want %v", h[1].CollectedAt, at(1))
	}
	if !reflect.DeepEqual(h[1].Coverage, failed.Coverage) {
		t.Errorf("coverage = %+v, want %+v", h[1].Coverage, failed.Coverage)
	}
	if second.Stale.Nodes != 10 {
		t.Errorf("second sync kept %d nodes stale, want 10", second.Stale.Nodes)
	}
	if h[0].SyncID <= h[1].SyncID || h[1].SyncID <= h[2].SyncID {
		t.Errorf("History is not newest first: ids %d, %d, %d", h[0].SyncID, h[1].SyncID, h[2].SyncID)
	}
	all, err := s.History(context.Background(), graph.Scope{})
	if err != nil {
		t.Fatal(err)
	}
	if len(all) != 4 || all[0].SyncID != third.SyncID || all[3].SyncID != first.SyncID {
		t.Errorf("History(all) = %d records (first %d), want 4 newest first", len(all), all[0].SyncID)
	}
}

func testInvalidSnapshot(t *testing.T, open func(t *testing.T) graph.Store) {
	s := open(t)
	good := RichSnapshot(scopeA, at(0))
	mustSync(t, s, good)
	before := mustLoad(t, s, graph.Filter{IncludeResolved: true})
	tests := []struct {
		name   string
		mutate func(*graph.Snapshot)
	}{
		{"dangling edge", func(s *graph.Snapshot) { s.Edges[0].To = "nowhere" }},
		{"unknown node kind", func(s *graph.Snapshot) { s.Nodes[1].Kind = "Mainframe" }},
		{"untyped property", func(s *graph.Snapshot) { s.Nodes[2].Props["x"] = 3 }},
		{"duplicate node", func(s *graph.Snapshot) { s.Nodes = append(s.Nodes, s.Nodes[1]) }},
		{"finding on unknown resource", func(s *graph.Snapshot) { s.Findings[0].Resource = "nowhere" }},
		{"empty scope id", func(s *graph.Snapshot) { s.Scope.ID = "" }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			bad := RichSnapshot(scopeA, at(1))
			bad.Nodes = bad.Nodes[: len(bad.Nodes)-1 : len(bad.Nodes)-1] // also drop a node: a partial write would show
			bad.Edges = slices.DeleteFunc(bad.Edges, func(e graph.Edge) bool { return e.Kind == graph.EdgeAssumes })
			tt.mutate(bad)
			_, err := s.Sync(context.Background(), bad)
			if !errors.Is(err, graph.ErrInvalidSnapshot) {
				t.Fatalf("Sync(invalid) = %v, want an error wrapping graph.ErrInvalidSnapshot", err)
			}
			after := mustLoad(t, s, graph.Filter{IncludeResolved: true})
			if !reflect.DeepEqual(before, after) {
				t.Fatal("an invalid snapshot changed the store")
			}
		})
	}
	if _, err := s.Sync(context.Background(), nil); !errors.Is(err, graph.ErrInvalidSnapshot) {
		t.Errorf("Sync(nil) = %v, want an error wrapping graph.ErrInvalidSnapshot", err)
	}
	if h, _ := s.History(context.Background(), graph.Scope{}); len(h) != 1 {
		t.Errorf("History has %d records after rejected syncs, want 1", len(h))
	}
	if sc, _ := s.Scopes(context.Background()); len(sc) != 1 {
		t.Errorf("Scopes = %v after rejected syncs, want only %v", sc, scopeA)
	}
}

// cancelAfter is a context that cancels itself on its limit-th Done or Err
// call: deterministic, unlike a timer, and independent of how a store
// checks its context.
type cancelAfter struct {
	context.Context
	cancel context.CancelFunc
	calls  atomic.Int64
	limit  int64
}

func newCancelAfter(limit int64) *cancelAfter {
	ctx, cancel := context.WithCancel(context.Background())
	return &cancelAfter{Context: ctx, cancel: cancel, limit: limit}
}

func (c *cancelAfter) count() {
	if c.calls.Add(1) == c.limit {
		c.cancel()
	}
}

// Done implements context.Context.
func (c *cancelAfter) Done() <-chan struct{} { c.count(); return c.Context.Done() }

// Err implements context.Context.
func (c *cancelAfter) Err() error { c.count(); return c.Context.Err() }

func testCancelledSync(t *testing.T, open func(t *testing.T) graph.Store) {
	const small, large = 100, 3000
	// count the context checks of an uncancelled sync, then cancel at
	// points spread over that span: every phase of the sync gets hit
	probe := open(t)
	mustSync(t, probe, genSnapshot(scopeA, 1, small, at(0)))
	counter := newCancelAfter(-1)
	if _, err := probe.Sync(counter, genSnapshot(scopeA, 2, large, at(1))); err != nil {
		t.Fatal(err)
	}
	total := counter.calls.Load()
	if total == 0 {
		t.Fatal("a sync of 3000 nodes never consulted its context")
	}
	limits := []int64{1}
	for i := int64(1); i < 10; i++ {
		if l := total * i / 10; l > limits[len(limits)-1] {
			limits = append(limits, l)
		}
	}
	cancelled := 0
	for _, limit := range limits {
		t.Run(fmt.Sprintf("cancel at check %d", limit), func(t *testing.T) {
			s := open(t)
			mustSync(t, s, genSnapshot(scopeA, 1, small, at(0)))
			ctx := newCancelAfter(limit)
			defer ctx.cancel()
			_, err := s.Sync(ctx, genSnapshot(scopeA, 2, large, at(1)))
			g := mustLoad(t, s, only(scopeA))
			if err != nil {
				cancelled++
				if !errors.Is(err, context.Canceled) {
					t.Errorf("Sync cancelled at check %d returned %v, want an error wrapping context.Canceled", limit, err)
				}
				if cerr := checkGen(g, 1, small); cerr != nil {
					t.Fatalf("cancelled sync changed the store: %v", cerr)
				}
				if h, _ := s.History(context.Background(), scopeA); len(h) != 1 {
					t.Errorf("cancelled sync left a history record (%d records)", len(h))
				}
			} else if cerr := checkGen(g, 2, large); cerr != nil {
				t.Fatalf("sync reported success but the store does not hold the new graph: %v", cerr)
			}
			// the store still works
			mustSync(t, s, genSnapshot(scopeA, 3, small, at(2)))
			if cerr := checkGen(mustLoad(t, s, only(scopeA)), 3, small); cerr != nil {
				t.Fatalf("sync after a cancelled one: %v", cerr)
			}
		})
	}
	if cancelled == 0 {
		t.Error("no sync was cancelled: the store ignores its context")
	}
	t.Logf("%d context checks per sync; %d of %d cancel points stopped the sync", total, cancelled, len(limits))
}

func testConcurrentReaders(t *testing.T, open func(t *testing.T) graph.Store) {
	s := open(t)
	const gens = 6
	size := func(gen int) int { return 100 + 150*(gen%3) } // grows and shrinks
	mustSync(t, s, genSnapshot(scopeA, 1, size(1), at(1)))

	var (
		done  atomic.Bool
		wg    sync.WaitGroup
		loads atomic.Int64
		mu    sync.Mutex
		errs  []error
	)
	fail := func(err error) {
		mu.Lock()
		errs = append(errs, err)
		mu.Unlock()
	}
	for range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			last := 0
			for !done.Load() || loads.Load() == 0 {
				g, err := s.Load(context.Background(), only(scopeA))
				if err != nil {
					fail(fmt.Errorf("Load during sync: %w", err))
					return
				}
				loads.Add(1)
				gen := genOf(g)
				if gen < 1 {
					fail(fmt.Errorf("reader saw a mixed or empty graph (gen %d)", gen))
					return
				}
				if err := checkGen(g, gen, size(gen)); err != nil {
					fail(fmt.Errorf("reader saw a partial sync: %w", err))
					return
				}
				if gen < last {
					fail(fmt.Errorf("reader went back in time: gen %d after %d", gen, last))
					return
				}
				last = gen
			}
		}()
	}
	for gen := 2; gen <= gens; gen++ {
		if _, err := s.Sync(context.Background(), genSnapshot(scopeA, gen, size(gen), at(gen))); err != nil {
			fail(fmt.Errorf("Sync gen %d: %w", gen, err))
			break
		}
	}
	done.Store(true)
	wg.Wait()
	for _, err := range errs {
		t.Error(err)
	}
	if err := checkGen(mustLoad(t, s, only(scopeA)), gens, size(gens)); err != nil {
		t.Fatal(err)
	}
	t.Logf("%d loads during %d syncs", loads.Load(), gens-1)
}

func testLoadFilter(t *testing.T, open func(t *testing.T) graph.Store) {
	s := open(t)
	a, b := RichSnapshot(scopeA, at(0)), RichSnapshot(scopeB, at(0))
	gcp := &graph.Snapshot{
		Scope: scopeG, CollectedAt: at(0),
		Nodes: []graph.Node{
			{ID: "//cloudresourcemanager.googleapis.com/projects/proj-1", Kind: graph.KindAccount, Cloud: graph.CloudGCP, Service: "resourcemanager"},
			{ID: "//storage.googleapis.com/projects/_/buckets/b1", Kind: graph.KindBucket, Cloud: graph.CloudGCP, Service: "storage", Sensitivity: graph.SensitivityConfidential},
		},
		Edges: []graph.Edge{{From: "//cloudresourcemanager.googleapis.com/projects/proj-1", To: "//storage.googleapis.com/projects/_/buckets/b1", Kind: graph.EdgeContains}},
	}
	for _, snap := range []*graph.Snapshot{a, b, gcp} {
		mustSync(t, s, snap)
	}
	ids := func(snaps ...*graph.Snapshot) []string {
		var out []string
		for _, sn := range snaps {
			for _, n := range sn.Nodes {
				out = append(out, n.ID)
			}
		}
		slices.Sort(out)
		return slices.Compact(out)
	}
	tests := []struct {
		name   string
		filter graph.Filter
		want   []string
	}{
		{"zero filter selects everything", graph.Filter{}, ids(a, b, gcp)},
		{"one scope", only(scopeA), ids(a)},
		{"two scopes", only(scopeA, scopeG), ids(a, gcp)},
		{"one cloud", graph.Filter{Clouds: []graph.Cloud{graph.CloudGCP}}, ids(gcp)},
		{"cloud and scope intersect", graph.Filter{Scopes: []graph.Scope{scopeA}, Clouds: []graph.Cloud{graph.CloudGCP}}, nil},
		{"unknown scope selects nothing", only(graph.Scope{Cloud: graph.CloudAzure, ID: "sub"}), nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := mustLoad(t, s, tt.filter)
			var got []string
			for _, n := range g.Nodes {
				got = append(got, n.ID)
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("Load(%+v) nodes = %v, want %v", tt.filter, got, tt.want)
			}
		})
	}
}

func testSkipFacts(t *testing.T, open func(t *testing.T) graph.Store) {
	s := open(t)
	for _, snap := range []*graph.Snapshot{RichSnapshot(scopeA, at(0)), RichSnapshot(scopeB, at(0))} {
		mustSync(t, s, snap)
	}
	full := mustLoad(t, s, graph.Filter{})
	moves := mustLoad(t, s, graph.Filter{SkipFacts: true})
	want := slices.DeleteFunc(slices.Clone(full.Edges), func(e graph.Edge) bool { return !e.Kind.IsMove() })
	if len(want) == 0 || len(want) == len(full.Edges) {
		t.Fatalf("fixture needs both move and fact edges, has %d of %d moves", len(want), len(full.Edges))
	}
	if !reflect.DeepEqual(moves.Edges, want) {
		t.Errorf("SkipFacts loaded %d edges, want the %d move edges of a full load", len(moves.Edges), len(want))
	}
	if !reflect.DeepEqual(moves.Nodes, full.Nodes) || !reflect.DeepEqual(moves.Findings, full.Findings) {
		t.Error("SkipFacts changed the nodes or findings")
	}
	keep := graph.Filter{SkipFacts: true, KeepFacts: []graph.EdgeKind{graph.EdgeRunsAs}}
	some := mustLoad(t, s, keep)
	want = slices.DeleteFunc(slices.Clone(full.Edges), func(e graph.Edge) bool { return !e.Kind.IsMove() && e.Kind != graph.EdgeRunsAs })
	if len(want) == len(moves.Edges) || !reflect.DeepEqual(some.Edges, want) {
		t.Errorf("SkipFacts with KeepFacts RUNS_AS loaded %d edges, want %d (the moves and the RUNS_AS facts)", len(some.Edges), len(want))
	}
	keep.SkipFindings = true
	lean := mustLoad(t, s, keep)
	if len(full.Findings) == 0 || len(lean.Findings) != 0 {
		t.Errorf("SkipFindings loaded %d findings (the full load has %d), want none", len(lean.Findings), len(full.Findings))
	}
	if !reflect.DeepEqual(lean.Nodes, full.Nodes) || !reflect.DeepEqual(lean.Edges, some.Edges) {
		t.Error("SkipFindings changed the nodes or edges")
	}
}

// stubbedRole returns scope A's snapshot of a user who assumes B's role,
// which A holds as a stub.
func stubbedRole() (role, user string, a *graph.Snapshot) {
	role = "arn:aws:iam::" + scopeB.ID + ":role/shared"
	user = "arn:aws:iam::" + scopeA.ID + ":user/alice"
	a = &graph.Snapshot{Scope: scopeA, CollectedAt: at(0),
		Nodes: []graph.Node{
			{ID: user, Kind: graph.KindUser, Cloud: graph.CloudAWS, Service: "iam"},
			{ID: role, Kind: graph.KindRole, Cloud: graph.CloudAWS, Account: scopeB.ID, Stub: true},
		},
		Edges: []graph.Edge{{From: user, To: role, Kind: graph.EdgeAssumes, Technique: "aws.sts.assume-role", Evidence: []string{"from A"}}},
	}
	return role, user, a
}

func testStubMerge(t *testing.T, open func(t *testing.T) graph.Store) {
	s := open(t)
	// A references B's role as a stub; B owns it
	role, _, a := stubbedRole()
	owned := graph.Node{ID: role, Kind: graph.KindRole, Cloud: graph.CloudAWS, Name: "shared", Account: scopeB.ID, Service: "iam",
		CrownJewel: true, Tags: map[string]string{"owner": "b"}, Props: graph.Props{"max_session": int64(3600)}}
	b := &graph.Snapshot{Scope: scopeB, CollectedAt: at(0),
		Nodes: []graph.Node{owned},
	}
	// sync order must not matter: try both
	for _, order := range [][]*graph.Snapshot{{a, b}, {b, a}} {
		s := s
		if order[0] == b {
			s = open(t)
		}
		for _, snap := range order {
			mustSync(t, s, snap)
		}
		g := mustLoad(t, s, graph.Filter{})
		got := g.Node(role)
		if got == nil || !reflect.DeepEqual(*got, owned) {
			t.Errorf("merged node = %+v, want the owned node %+v", got, owned)
		}
		if len(g.Nodes) != 2 {
			t.Errorf("%d nodes after merging, want 2", len(g.Nodes))
		}
		if len(g.Edges) != 1 || g.Edges[0].To != role {
			t.Errorf("edges = %+v, want the assume edge into the owned role", g.Edges)
		}
		if stub := mustLoad(t, s, only(scopeA)).Node(role); stub == nil || !stub.Stub {
			t.Errorf("scope A alone: node %s = %+v, want A's stub", role, stub)
		}
	}
	// the same id owned in one scope and a stub in another is not a conflict:
	// resyncing B leaves A's stub alone, and the reverse
	mustSync(t, s, &graph.Snapshot{Scope: scopeB, CollectedAt: at(1)})
	if n := mustLoad(t, s, graph.Filter{}).Node(role); n == nil || !n.Stub {
		t.Errorf("after B dropped its role, node = %+v, want A's stub", n)
	}
}

func testScopes(t *testing.T, open func(t *testing.T) graph.Store) {
	s := open(t)
	got, err := s.Scopes(context.Background())
	if err != nil || len(got) != 0 {
		t.Fatalf("Scopes of an empty store = %v, %v; want none", got, err)
	}
	mustSync(t, s, RichSnapshot(scopeA, at(0)))
	mustSync(t, s, &graph.Snapshot{Scope: scopeG, CollectedAt: at(0)}) // an empty scope is still synced
	mustSync(t, s, RichSnapshot(scopeA, at(1)))
	got, err = s.Scopes(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	slices.SortFunc(got, func(x, y graph.Scope) int { return cmpString(x.String(), y.String()) })
	if want := []graph.Scope{scopeA, scopeG}; !slices.Equal(got, want) {
		t.Errorf("Scopes = %v, want %v", got, want)
	}
}

func cmpString(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}
