package storetest

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/breachpath/breachpath/graph"
)

// statsFilters are the filters every stats check compares.
var statsFilters = []struct {
	name   string
	filter graph.Filter
}{
	{"every scope", graph.Filter{}},
	{"one scope", only(scopeA)},
	{"two scopes", only(scopeA, scopeG)},
	{"one cloud", graph.Filter{Clouds: []graph.Cloud{graph.CloudGCP}}},
	{"cloud and scope intersect", graph.Filter{Scopes: []graph.Scope{scopeA}, Clouds: []graph.Cloud{graph.CloudGCP}}},
	{"unknown scope", only(graph.Scope{Cloud: graph.CloudAzure, ID: "sub"})},
}

// ReferenceStats counts what Store.Stats must report from the store's own
// reads: each selected scope loaded alone (stubs stay stubs, resolved
// findings included) and its rows counted, and the sync history.
func ReferenceStats(ctx context.Context, s graph.Store, filter graph.Filter) (*graph.Stats, error) {
	r, err := readReference(ctx, s)
	if err != nil {
		return nil, err
	}
	return r.stats(filter), nil
}

// reference is what ReferenceStats reads, once for any number of filters.
type reference struct {
	loads map[graph.Scope]*graph.Graph
	hist  []graph.SyncRecord
}

func readReference(ctx context.Context, s graph.Store) (*reference, error) {
	scopes, err := s.Scopes(ctx)
	if err != nil {
		return nil, err
	}
	r := &reference{loads: map[graph.Scope]*graph.Graph{}}
	for _, sc := range scopes {
		if r.loads[sc], err = s.Load(ctx, graph.Filter{Scopes: []graph.Scope{sc}, IncludeResolved: true}); err != nil {
			return nil, err
		}
	}
	if r.hist, err = s.History(ctx, graph.Scope{}); err != nil {
		return nil, err
	}
	return r, nil
}

func (r *reference) stats(filter graph.Filter) *graph.Stats {
	c := graph.NewStatsCounter()
	var per []graph.ScopeStats
	for sc, g := range r.loads {
		if filter.Matches(sc) {
			c.AddRows(sc.Cloud, g.Nodes, g.Edges, g.Findings)
			per = append(per, graph.ScopeStats{Scope: sc})
		}
	}
	st := c.Stats()
	for _, h := range r.hist {
		if !filter.Matches(h.Scope) {
			continue
		}
		st.Syncs++
		st.NewestSync = max(st.NewestSync, h.SyncID)
		for i := range per {
			if per[i].Scope == h.Scope {
				per[i].Syncs++
				if h.SyncID > per[i].SyncID {
					per[i].SyncID, per[i].LastSync = h.SyncID, h.At
				}
			}
		}
	}
	slices.SortFunc(per, func(a, b graph.ScopeStats) int {
		if c := cmpString(string(a.Scope.Cloud), string(b.Scope.Cloud)); c != 0 {
			return c
		}
		return cmpString(a.Scope.ID, b.Scope.ID)
	})
	st.Scopes = per
	return st
}

// checkStats compares Stats with ReferenceStats for every filter.
func checkStats(t *testing.T, s graph.Store, when string) {
	t.Helper()
	ctx := context.Background()
	ref, err := readReference(ctx, s)
	if err != nil {
		t.Fatalf("%s: reference: %v", when, err)
	}
	for _, f := range statsFilters {
		want := ref.stats(f.filter)
		got, err := s.Stats(ctx, f.filter, graph.StatsOptions{PerScope: true})
		if err != nil {
			t.Fatalf("%s, %s: Stats: %v", when, f.name, err)
		}
		if want.Scopes == nil {
			want.Scopes = []graph.ScopeStats{}
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("%s, %s: Stats differs from the rows:\n got %+v\nwant %+v", when, f.name, got, want)
		}
	}
	// the totals alone, as graph stats asks for them
	got, err := s.Stats(ctx, graph.Filter{}, graph.StatsOptions{})
	if err != nil {
		t.Fatalf("%s: Stats: %v", when, err)
	}
	want := ref.stats(graph.Filter{})
	want.Scopes = nil
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("%s, totals alone: Stats differs from the rows:\n got %+v\nwant %+v", when, got, want)
	}
}

// gcpSnapshot is a small scope of another cloud.
func gcpSnapshot(collected time.Time) *graph.Snapshot {
	project := "//cloudresourcemanager.googleapis.com/projects/proj-1"
	bucket := "//storage.googleapis.com/projects/_/buckets/b1"
	vm := "//compute.googleapis.com/projects/proj-1/zones/us-central1-a/instances/vm1"
	return &graph.Snapshot{
		Scope: scopeG, CollectedAt: collected, Collector: "storetest",
		Nodes: []graph.Node{
			{ID: graph.InternetID, Kind: graph.KindInternet, Stub: true},
			{ID: project, Kind: graph.KindAccount, Cloud: graph.CloudGCP, Service: "resourcemanager"},
			{ID: bucket, Kind: graph.KindBucket, Cloud: graph.CloudGCP, Service: "storage", Sensitivity: graph.SensitivityConfidential},
			{ID: vm, Kind: graph.KindCompute, Cloud: graph.CloudGCP, Service: "compute", Region: "us-central1"},
		},
		Edges: []graph.Edge{
			{From: project, To: bucket, Kind: graph.EdgeContains},
			{From: project, To: vm, Kind: graph.EdgeContains},
			{From: graph.InternetID, To: vm, Kind: graph.EdgeExposedTo, Technique: "net.internet-exposure"},
			{From: vm, To: bucket, Kind: graph.EdgeReads, Technique: "gcp.storage.read"},
		},
		Findings: []graph.Finding{
			{ID: graph.FindingID("gcp.compute.public-ip", vm), RuleID: "gcp.compute.public-ip", Resource: vm, Severity: graph.SeverityMedium},
			{ID: graph.FindingID("gcp.storage.sensitive", bucket), RuleID: "gcp.storage.sensitive", Resource: bucket, Severity: graph.SeverityLow},
		},
		Coverage: graph.Coverage{Read: []graph.Area{{Service: "compute"}, {Service: "storage"}}},
	}
}

// randomSnapshot is a variation of the scope's base snapshot: some
// resources gone, a service's collection failed, a finding's severity
// changed. Over a sequence these remove, keep stale, resolve and reopen.
func randomSnapshot(rng *rand.Rand, sc graph.Scope, step int) *graph.Snapshot {
	snap := gcpSnapshot(at(step))
	failable := []string{"compute", "storage"}
	if sc.Cloud == graph.CloudAWS {
		snap = RichSnapshot(sc, at(step))
		failable = []string{"ec2", "s3", "iam"}
	}
	var drop []string
	for _, n := range snap.Nodes {
		if n.Kind != graph.KindAccount && rng.IntN(4) == 0 {
			drop = append(drop, n.ID)
		}
	}
	snap = without(snap, drop...)
	if rng.IntN(3) == 0 {
		snap.Coverage.Failed = []graph.Failure{{Area: graph.Area{Service: failable[rng.IntN(len(failable))]}, Error: "throttled"}}
	}
	if len(snap.Findings) > 0 && rng.IntN(3) == 0 {
		snap.Findings = slices.Clone(snap.Findings)
		snap.Findings[rng.IntN(len(snap.Findings))].Severity = graph.Severity(rng.IntN(5))
	}
	return snap
}

// testStatsFollowRandomSyncs is the property the recorded counts keep:
// after any sequence of syncs (changed, unchanged, partly failed, all or
// nothing, abandoned all-or-nothing), Stats equals the counts of the rows
// a Load returns, for every filter.
func testStatsFollowRandomSyncs(t *testing.T, open func(t *testing.T) graph.Store) {
	s := open(t)
	ctx := context.Background()
	checkStats(t, s, "empty store")
	rng := rand.New(rand.NewPCG(15, 2026))
	scopes := []graph.Scope{scopeA, scopeB, scopeG}
	last := map[graph.Scope]*graph.Snapshot{}
	for step := 1; step <= 24; step++ {
		var what string
		switch r := rng.IntN(10); {
		case r < 5:
			sc := scopes[rng.IntN(len(scopes))]
			snap := randomSnapshot(rng, sc, step)
			what = fmt.Sprintf("sync of %s", sc)
			mustSync(t, s, snap)
			last[sc] = snap
		case r < 7 && len(last) > 0:
			// the same content again: the unchanged path
			for _, sc := range scopes {
				if prev := last[sc]; prev != nil {
					snap := *prev
					snap.CollectedAt = at(step)
					what = fmt.Sprintf("unchanged re-sync of %s", sc)
					mustSync(t, s, &snap)
					break
				}
			}
		case r < 9:
			snaps := []*graph.Snapshot{randomSnapshot(rng, scopeA, step), randomSnapshot(rng, scopeG, step)}
			what = "all-or-nothing sync"
			if _, err := s.SyncAllOrNothing(ctx, snaps, nil); err != nil {
				t.Fatalf("step %d: %s: %v", step, what, err)
			}
			last[scopeA], last[scopeG] = snaps[0], snaps[1]
		default:
			snaps := []*graph.Snapshot{randomSnapshot(rng, scopeB, step), randomSnapshot(rng, scopeG, step)}
			what = "abandoned all-or-nothing sync"
			errStop := errors.New("stop")
			_, err := s.SyncAllOrNothing(ctx, snaps, func(i int) error {
				if i == len(snaps)-1 {
					return errStop
				}
				return nil
			})
			if !errors.Is(err, errStop) {
				t.Fatalf("step %d: %s: %v, want the staged error", step, what, err)
			}
		}
		checkStats(t, s, fmt.Sprintf("step %d (%s)", step, what))
	}
}

// testStatsCases checks the counts after each kind of change on its own.
func testStatsCases(t *testing.T, open func(t *testing.T) graph.Store) {
	s := open(t)
	ctx := context.Background()
	a, b, g := RichSnapshot(scopeA, at(0)), RichSnapshot(scopeB, at(0)), gcpSnapshot(at(0))
	for _, snap := range []*graph.Snapshot{a, b, g} {
		mustSync(t, s, snap)
	}
	checkStats(t, s, "after the first syncs")
	st, err := s.Stats(ctx, graph.Filter{}, graph.StatsOptions{})
	if err != nil {
		t.Fatal(err)
	}
	// RichSnapshot: 5 owned nodes, 2 stubs, 9 edges, 3 findings; gcpSnapshot: 3, 1, 4, 2
	if st.NodeTotal() != 13 || st.Stubs != 5 || st.EdgeTotal() != 22 || st.OpenFindings() != 8 || st.Syncs != 3 {
		t.Fatalf("after three syncs: %d nodes, %d stubs, %d edges, %d open findings, %d syncs; want 13, 5, 22, 8, 3",
			st.NodeTotal(), st.Stubs, st.EdgeTotal(), st.OpenFindings(), st.Syncs)
	}
	a1 := *a
	a1.CollectedAt = at(1)
	mustSync(t, s, &a1)
	checkStats(t, s, "after an unchanged re-sync")
	// ec2 failed: the instance and security group stay, stale; the bucket
	// is gone, and its finding resolved
	a2 := without(RichSnapshot(scopeA, at(2)), awsARN(scopeA, "ec2", "us-east-1", "instance/i-0abc"),
		awsARN(scopeA, "ec2", "us-east-1", "security-group/sg-1"), "arn:aws:s3:::data-"+scopeA.ID)
	a2.Coverage.Failed = []graph.Failure{{Area: graph.Area{Service: "ec2"}, Error: "throttled"}}
	res := mustSync(t, s, a2)
	if res.Stale.Nodes == 0 || res.Resolved == 0 {
		t.Fatalf("fixture: the partly failed sync kept %+v stale and resolved %d; want some of each", res.Stale, res.Resolved)
	}
	checkStats(t, s, "after a partly failed sync")
	st, err = s.Stats(ctx, only(scopeA), graph.StatsOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if st.Stale.Nodes != 2 || st.Resolved != 1 {
		t.Fatalf("scope A after the failed ec2 collection: stale %+v, resolved %d; want 2 stale nodes, 1 resolved", st.Stale, st.Resolved)
	}
	if _, err := s.SyncAllOrNothing(ctx, []*graph.Snapshot{RichSnapshot(scopeA, at(3)), without(gcpSnapshot(at(3)), "//storage.googleapis.com/projects/_/buckets/b1")}, nil); err != nil {
		t.Fatal(err)
	}
	checkStats(t, s, "after an all-or-nothing sync")
}

// StatsUpgrade checks Stats on a store whose recorded counts are missing,
// as in a store written by a breachpath older than them: dropCounts
// removes every count the store keeps (not the rows). Stats must count
// those scopes from their rows, and the counts must be right again after
// the next sync.
func StatsUpgrade(t *testing.T, open func(t *testing.T) graph.Store, dropCounts func(t *testing.T, s graph.Store)) {
	s := open(t)
	for _, snap := range []*graph.Snapshot{RichSnapshot(scopeA, at(0)), RichSnapshot(scopeB, at(0)), gcpSnapshot(at(0))} {
		mustSync(t, s, snap)
	}
	a := without(RichSnapshot(scopeA, at(1)), "arn:aws:s3:::data-"+scopeA.ID)
	a.Coverage.Failed = []graph.Failure{{Area: graph.Area{Service: "iam"}, Error: "denied"}}
	mustSync(t, s, a)
	dropCounts(t, s)
	checkStats(t, s, "without recorded counts")
	checkStats(t, s, "without recorded counts, asked again")
	mustSync(t, s, RichSnapshot(scopeB, at(2)))
	checkStats(t, s, "after a sync of one scope")
	dropCounts(t, s)
	mustSync(t, s, RichSnapshot(scopeA, at(3)))
	checkStats(t, s, "after a sync of another scope")
}
