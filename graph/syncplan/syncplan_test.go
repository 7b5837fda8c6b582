package syncplan

import (
	"testing"
	"time"

	"github.com/breachpath/breachpath/graph"
)

var (
	t0       = time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	prevSeen = t0.Add(time.Hour)
	seen     = t0.Add(2 * time.Hour)
)

// plan is a sync of a snapshot holding nodes "a" and "b" whose collection
// failed for ec2 in us-east-1.
func plan() *Plan {
	snap := &graph.Snapshot{Coverage: graph.Coverage{Failed: []graph.Failure{{Area: graph.Area{Service: "ec2", Region: "us-east-1"}}}}}
	in := map[string]bool{"a": true, "b": true}
	return New(snap, func(id string) bool { return in[id] }, seen, prevSeen)
}

func TestPresentRowsAreWrittenWhenNewChangedOrStale(t *testing.T) {
	tests := []struct {
		name                string
		stored, same, stale bool
		want                Action
	}{
		{"new row", false, false, false, Write},
		{"unchanged row", true, true, false, Unchanged},
		{"changed row", true, false, false, Write},
		{"stale row collected again unchanged", true, true, true, Write},
		{"stale row collected again changed", true, false, true, Write},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Present(tt.stored, tt.same, tt.stale); got != tt.want {
				t.Errorf("Present(%v, %v, %v) = %v, want %v", tt.stored, tt.same, tt.stale, got, tt.want)
			}
		})
	}
}

func TestMissingNodesAreKeptStaleOnlyInFailedAreas(t *testing.T) {
	tests := []struct {
		name            string
		service, region string
		want            Action
	}{
		{"failed area", "ec2", "us-east-1", KeepStale},
		{"other region of the failed service", "ec2", "eu-west-1", Remove},
		{"other service", "s3", "us-east-1", Remove},
		{"no area", "", "", Remove},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := plan()
			if got := p.MissingNode("gone", tt.service, tt.region); got != tt.want {
				t.Fatalf("MissingNode = %v, want %v", got, tt.want)
			}
			if p.KeptStale("gone") != (tt.want == KeepStale) || p.Survives("gone") != (tt.want == KeepStale) {
				t.Errorf("kept stale %v, survives %v; want both %v", p.KeptStale("gone"), p.Survives("gone"), tt.want == KeepStale)
			}
		})
	}
}

func TestMissingEdgesAreKeptStaleOnlyBetweenSurvivingNodes(t *testing.T) {
	tests := []struct {
		name     string
		from, to string
		want     Action
	}{
		{"from a node kept stale to a snapshot node", "kept", "a", KeepStale},
		{"from a snapshot node to a node kept stale", "a", "kept", KeepStale},
		{"between two nodes kept stale", "kept", "kept2", KeepStale},
		{"between snapshot nodes", "a", "b", Remove},
		{"from a node kept stale to a removed node", "kept", "removed", Remove},
		{"from a removed node to a node kept stale", "removed", "kept", Remove},
		{"to a node in no scope", "kept", "elsewhere", Remove},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := plan()
			p.MissingNode("kept", "ec2", "us-east-1")
			p.MissingNode("kept2", "ec2", "us-east-1")
			p.MissingNode("removed", "s3", "")
			k := graph.EdgeKey{From: tt.from, Kind: graph.EdgeRunsAs, To: tt.to}
			if got := p.MissingEdge(k); got != tt.want {
				t.Errorf("MissingEdge(%s) = %v, want %v", k, got, tt.want)
			}
		})
	}
}

func TestStaleRowsKeepTheTimeTheyBecameStale(t *testing.T) {
	p := plan()
	if got := p.StaleSince(time.Time{}); !got.Equal(seen) {
		t.Errorf("newly stale since %v, want the sync's observation time %v", got, seen)
	}
	if got := p.StaleSince(t0); !got.Equal(t0) {
		t.Errorf("stale again since %v, want the first time %v", got, t0)
	}
}

func TestFindingLifecycle(t *testing.T) {
	first := t0.Add(-24 * time.Hour)
	lastSeen := t0.Add(-time.Hour)
	open := Life{FirstSeen: first}
	resolved := Life{FirstSeen: first, LastSeen: lastSeen, ResolvedAt: t0}
	stale := Life{FirstSeen: first, LastSeen: lastSeen, StaleSince: t0}
	present := []struct {
		name     string
		cur      *Life
		same     bool
		want     Action
		wantLife Life
	}{
		{"new finding is first seen now", nil, false, Write, Life{FirstSeen: seen}},
		{"open and unchanged", &open, true, Unchanged, open},
		{"open and changed keeps its age", &open, false, Write, Life{FirstSeen: first}},
		{"resolved and back is reopened with its age", &resolved, true, Write, Life{FirstSeen: first}},
		{"stale and back is fresh with its age", &stale, true, Write, Life{FirstSeen: first}},
	}
	for _, tt := range present {
		t.Run(tt.name, func(t *testing.T) {
			act, life := plan().PresentFinding(tt.cur, tt.same)
			if act != tt.want || life != tt.wantLife {
				t.Errorf("PresentFinding = %v %+v, want %v %+v", act, life, tt.want, tt.wantLife)
			}
		})
	}
	missing := []struct {
		name          string
		cur           Life
		resourceStale bool
		want          Action
		wantLife      Life
	}{
		{"open finding is resolved, last seen by the previous sync", open, false, Resolve,
			Life{FirstSeen: first, LastSeen: prevSeen, ResolvedAt: seen}},
		{"resolved finding stays resolved", resolved, false, StayResolved, resolved},
		{"resolved finding on a stale node stays resolved", resolved, true, StayResolved, resolved},
		{"open finding on a node kept stale is kept stale", open, true, KeepStale,
			Life{FirstSeen: first, LastSeen: prevSeen, StaleSince: seen}},
		{"stale finding on a node kept stale keeps its times", stale, true, KeepStale, stale},
		{"stale finding whose node came back is resolved", stale, false, Resolve,
			Life{FirstSeen: first, LastSeen: lastSeen, ResolvedAt: seen}},
	}
	for _, tt := range missing {
		t.Run(tt.name, func(t *testing.T) {
			act, life := plan().MissingFinding(tt.cur, tt.resourceStale)
			if act != tt.want || life != tt.wantLife {
				t.Errorf("MissingFinding = %v %+v, want %v %+v", act, life, tt.want, tt.wantLife)
			}
		})
	}
}

func TestUnchangedScopeOnlyWhenContentIsEqualAndNothingIsStale(t *testing.T) {
	for _, tc := range []struct {
		same  bool
		stale int
		want  bool
	}{{true, 0, true}, {true, 3, false}, {false, 0, false}, {false, 2, false}} {
		if got := UnchangedScope(tc.same, tc.stale); got != tc.want {
			t.Errorf("UnchangedScope(%v, %d) = %v, want %v", tc.same, tc.stale, got, tc.want)
		}
	}
}
