package embedded

import (
	"context"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"testing"

	"github.com/breachpath/breachpath/graph"
)

// gcSettings reads the collector's percent and memory limit as the runtime
// applies them.
func gcSettings(t *testing.T) (percent, limit int64) {
	t.Helper()
	s := []metrics.Sample{{Name: "/gc/gogc:percent"}, {Name: "/gc/gomemlimit:bytes"}}
	metrics.Read(s)
	return int64(s[0].Value.Uint64()), int64(s[1].Value.Uint64())
}

// setGC sets the collector's settings for one test and restores them after.
func setGC(t *testing.T, percent int, limit int64) {
	t.Helper()
	oldPercent, oldLimit := debug.SetGCPercent(percent), debug.SetMemoryLimit(limit)
	t.Cleanup(func() { debug.SetGCPercent(oldPercent); debug.SetMemoryLimit(oldLimit) })
}

// TestPausedCollectorResumesWithTheSettingsItHad: while paused the
// collector is off and a memory limit bounds the pause; nested pauses
// (two loads at once) resume only when the last ends, and then the percent
// and the limit are those of before, including a limit the user set lower
// than the pause's.
func TestPausedCollectorResumesWithTheSettingsItHad(t *testing.T) {
	const budget = 1 << 30
	for _, tc := range []struct {
		name    string
		percent int
		limit   int64
	}{
		{"default settings", 100, 1<<63 - 1},
		{"a user's GOGC and a limit above the pause's", 250, 1 << 50},
		{"a user's limit below the pause's", 100, 64 << 20},
		{"collector already off", -1, 1<<63 - 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			setGC(t, tc.percent, tc.limit)
			wantPercent, wantLimit := gcSettings(t)
			first := pauseCollector(budget)
			percent, limit := gcSettings(t)
			if percent != -1 {
				t.Errorf("paused: GC percent %d, want off", percent)
			}
			if limit > tc.limit || limit > memoryInUse()+budget {
				t.Errorf("paused: memory limit %d, want at most %d and the memory in use plus the budget", limit, tc.limit)
			}
			second := pauseCollector(budget)
			first()
			if p, _ := gcSettings(t); p != percent {
				t.Errorf("one of two pauses ended: GC percent %d, want still off", p)
			}
			second()
			second() // a second call changes nothing
			if p, l := gcSettings(t); p != wantPercent || l != wantLimit {
				t.Errorf("resumed: GC percent %d, limit %d; want %d, %d", p, l, wantPercent, wantLimit)
			}
		})
	}
}

// TestLoadLeavesTheCollectorAsItFoundIt: a load pauses the collector only
// while it fills its tiles, whether it succeeds or fails.
func TestLoadLeavesTheCollectorAsItFoundIt(t *testing.T) {
	setGC(t, 150, 1<<62)
	wantPercent, wantLimit := gcSettings(t)
	s := openTemp(t)
	staleHistory(t, s)
	ctx := context.Background()
	for _, f := range []graph.Filter{{}, {SkipFacts: true}, {FactsOnly: true}} {
		if _, err := s.Load(ctx, f); err != nil {
			t.Fatal(err)
		}
		if p, l := gcSettings(t); p != wantPercent || l != wantLimit {
			t.Errorf("after a load with %+v: GC percent %d, limit %d; want %d, %d", f, p, l, wantPercent, wantLimit)
		}
	}
	if _, err := s.db.Exec(`UPDATE projections SET blob = x'00'`); err != nil {
		t.Fatal(err)
	}
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := s.Load(cancelled, graph.Filter{}); err == nil {
		t.Fatal("a cancelled load succeeded")
	}
	if _, err := s.Load(ctx, graph.Filter{}); err != nil { // damaged blobs: rows instead
		t.Fatal(err)
	}
	if p, l := gcSettings(t); p != wantPercent || l != wantLimit {
		t.Errorf("after failed and fallback loads: GC percent %d, limit %d; want %d, %d", p, l, wantPercent, wantLimit)
	}
}

// TestLoadRunsNoCollectionWhileItFillsTheTiles: with a collector set to
// run at every 1% of growth, a load of 20,000 nodes and 100,000 edges
// starts at most one cycle (the one its end lets begin), not one per few
// kilobytes decoded: no cycle scans the tiles before they are written.
func TestLoadRunsNoCollectionWhileItFillsTheTiles(t *testing.T) {
	s := openTemp(t)
	ctx := context.Background()
	if _, err := s.Sync(ctx, benchSnapshot(20_000)); err != nil {
		t.Fatal(err)
	}
	setGC(t, 1, 1<<63-1)
	cycles := func() uint64 {
		s := []metrics.Sample{{Name: "/gc/cycles/total:gc-cycles"}}
		metrics.Read(s)
		return s[0].Value.Uint64()
	}
	for _, f := range []graph.Filter{{}, {SkipFacts: true}} {
		runtime.GC()
		before := cycles()
		g, err := s.Load(ctx, f)
		if err != nil {
			t.Fatal(err)
		}
		if got := cycles() - before; got > 1 {
			t.Errorf("a load of %d nodes and %d edges (%+v) ran %d collections, want at most 1", len(g.Nodes), len(g.Edges), f, got)
		}
	}
}
