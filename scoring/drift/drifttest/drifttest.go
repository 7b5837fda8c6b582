// Package drifttest checks, for the collectors' tests, the promise of
// issue #19 end to end: a collection in which areas failed reports nothing
// closed or resolved that it could not see. It syncs a collector's
// snapshots into a real embedded store and records drift observations as
// the collect commands do.
package drifttest

import (
	"context"
	"io"
	"log/slog"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/breachpath/breachpath/graph"
	"github.com/breachpath/breachpath/graph/embedded"
	"github.com/breachpath/breachpath/paths"
	"github.com/breachpath/breachpath/scoring/drift"
)

// FailedArea describes one re-collection with failed areas: the stored
// edges from the shared stub Stub (the Internet, an anonymous principal)
// to the nodes Reach are hidden by the failed areas.
type FailedArea struct {
	Stub  string
	Reach []string
	// NoPath says the estate has no attack path from the stub (no target
	// worth one behind it): only its edges and findings are checked.
	NoPath bool
}

// CheckFailedCollection syncs full, records an observation, then syncs
// failed (the same estate collected with areas failing) and records
// another. It fails t unless every stored edge from the stub to the hidden
// nodes survives stale, every attack path from the stub is still reported
// (at least one of them stale, unless NoPath), no path closed and no finding resolved,
// and the findings of the hidden nodes on those edges are recorded
// unverified.
func CheckFailedCollection(t *testing.T, full, failed []*graph.Snapshot, fa FailedArea) {
	t.Helper()
	ctx := context.Background()
	dir := t.TempDir()
	st, err := embedded.Open(ctx, filepath.Join(dir, "bp.db"), embedded.WithLogger(slog.New(slog.NewTextHandler(io.Discard, nil))))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	ledger, err := drift.OpenLedger(ctx, filepath.Join(dir, "bp.db.changes"))
	if err != nil {
		t.Fatal(err)
	}
	defer ledger.Close()
	record := func(snaps []*graph.Snapshot, at time.Time) *drift.Observation {
		t.Helper()
		if _, err := graph.SyncAll(ctx, st, snaps, nil); err != nil {
			t.Fatal(err)
		}
		o, err := drift.Record(ctx, st, ledger, paths.Options{}, at)
		if err != nil {
			t.Fatal(err)
		}
		return o
	}
	t0 := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	before := record(full, t0)
	first, err := st.Load(ctx, graph.Filter{})
	if err != nil {
		t.Fatal(err)
	}
	var hidden []graph.Edge
	for _, e := range first.Edges {
		if e.From == fa.Stub && slices.Contains(fa.Reach, e.To) {
			hidden = append(hidden, e)
		}
	}
	if len(hidden) != len(fa.Reach) {
		t.Fatalf("first collection: %d edges from %s to %v, want one each", len(hidden), fa.Stub, fa.Reach)
	}
	if !fa.NoPath && !slices.ContainsFunc(before.Paths, func(p drift.PathRecord) bool { return p.Source == fa.Stub }) {
		t.Fatalf("first collection: no attack path starts at %s; the check would prove nothing", fa.Stub)
	}

	after := record(failed, t0.Add(time.Hour))
	g, err := st.Load(ctx, graph.Filter{})
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range hidden {
		i := slices.IndexFunc(g.Edges, func(e graph.Edge) bool { return e.Key() == want.Key() })
		if i < 0 || !g.Edges[i].Stale {
			t.Errorf("edge %s -> %s after its area failed: present %v, want kept and stale", want.From, want.To, i >= 0)
		}
	}
	c, err := ledger.Compare(ctx, drift.Query{FromSync: before.SyncID, ToSync: after.SyncID})
	if err != nil {
		t.Fatal(err)
	}
	if len(c.PathsClosed) != 0 || len(c.FindingsResolved) != 0 {
		t.Errorf("a failed area closed paths %v and resolved findings %v it could not see", ids(c.PathsClosed), ids(c.FindingsResolved))
	}
	// Every path from the stub is still reported; those through the
	// failed areas are stale.
	now := map[string]drift.PathRecord{}
	for _, p := range after.Paths {
		now[p.ID] = p
	}
	stale := 0
	for _, p := range before.Paths {
		if p.Source != fa.Stub {
			continue
		}
		q, ok := now[p.ID]
		if !ok {
			t.Errorf("path %s from %s to %s is gone after the failed collection; want it still reported", p.ID, p.Source, p.Target)
		}
		if q.Stale {
			stale++
		}
	}
	if stale == 0 && !fa.NoPath {
		t.Errorf("no path from %s is reported stale after its areas failed", fa.Stub)
	}
	// The findings of the hidden nodes are unverified (those of nodes in
	// areas that were read stay open).
	unverified := ids(c.FindingsUnverified)
	for _, e := range hidden {
		for _, f := range e.Findings {
			if fd := first.Finding(f); fd != nil && fd.Resource == e.To && !slices.Contains(unverified, f) {
				t.Errorf("finding %s on %s not recorded unverified (unverified: %v)", f, e.To, unverified)
			}
		}
	}
}

// ids lists the ids of ledger records, for messages and comparisons.
func ids[T drift.PathRecord | drift.FindingRecord](rs []T) []string {
	out := make([]string, 0, len(rs))
	for _, r := range rs {
		switch r := any(r).(type) {
		case drift.PathRecord:
			out = append(out, r.ID)
		case drift.FindingRecord:
			out = append(out, r.ID)
		}
	}
	return out
}
