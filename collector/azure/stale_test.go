package azure

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/breachpath/breachpath/collector/azure/transform"
	"github.com/breachpath/breachpath/graph"
	"github.com/breachpath/breachpath/graph/embedded"
	"github.com/breachpath/breachpath/paths"
	"github.com/breachpath/breachpath/scoring/drift"
)

// TestAFailedAreaKeepsTheSharedStubsExposuresStale collects the AzureGoat
// tenant into an embedded store and records a drift observation, then
// re-collects with the areas failing whose nodes the Internet or the
// anonymous principal reach. Every stored edge from that shared stub into
// the failed areas must survive (stale), the attack paths through them
// must still be reported (stale), and the drift ledger must record their
// findings unverified — no path closed, no finding resolved — for what
// the collection could not see (issue #19).
func TestAFailedAreaKeepsTheSharedStubsExposuresStale(t *testing.T) {
	tests := []struct {
		name  string
		fail  []string // fake areas that answer with an error
		stub  string
		reach []string // stub edge targets the failed areas hide
	}{
		{name: "network and web fail: the Internet exposures of the VM and the function apps",
			fail: []string{"network", "web"}, stub: graph.InternetID, reach: []string{goatVM, goatFunc}},
		{name: "compute fails alone: the VM's exposure and the moves into its system-assigned identity",
			fail: []string{"compute"}, stub: graph.InternetID, reach: []string{goatVM}},
		{name: "storage fails: the anonymous reads of the public containers",
			fail: []string{"storage"}, stub: transform.AnonymousID, reach: []string{goatVMC}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
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
				for _, s := range snaps {
					if _, err := st.Sync(ctx, s); err != nil {
						t.Fatal(err)
					}
				}
				o, err := drift.Record(ctx, st, ledger, paths.Options{}, at)
				if err != nil {
					t.Fatal(err)
				}
				return o
			}
			t0 := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
			full, _ := collectFakes(t, goatTenantFakes(t))
			before := record(full, t0)

			// What the first collection stored from the stub into the areas
			// that will fail, and the paths that start there.
			first, err := st.Load(ctx, graph.Filter{})
			if err != nil {
				t.Fatal(err)
			}
			g := first
			var hidden []graph.Edge
			for i := range g.Edges {
				if e := g.Edges[i]; e.From == tt.stub && slices.Contains(tt.reach, e.To) {
					hidden = append(hidden, e)
				}
			}
			if len(hidden) != len(tt.reach) {
				t.Fatalf("first collection: %d edges from %s to %v, want one each", len(hidden), tt.stub, tt.reach)
			}
			through := 0
			for _, p := range before.Paths {
				if p.Source == tt.stub {
					through++
				}
			}
			if through == 0 {
				t.Fatalf("first collection: no attack path starts at %s; the test would prove nothing", tt.stub)
			}

			ten := goatTenantFakes(t)
			for _, a := range tt.fail {
				ten.Fail[a] = http.StatusServiceUnavailable
			}
			failed, sum := collectFakes(t, ten)
			if !sum.Partial() {
				t.Fatal("failing areas must make the run partial")
			}
			after := record(failed, t0.Add(time.Hour))

			g, err = st.Load(ctx, graph.Filter{})
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
				if p.Source != tt.stub {
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
			if stale == 0 {
				t.Errorf("no path from %s is reported stale after its areas failed", tt.stub)
			}
			// The findings on the hidden nodes the stub reaches are recorded
			// unverified (those of nodes in areas that were read stay open).
			unverified := ids(c.FindingsUnverified)
			for _, e := range hidden {
				for _, f := range e.Findings {
					if fd := first.Finding(f); fd != nil && fd.Resource == e.To && !slices.Contains(unverified, f) {
						t.Errorf("finding %s on %s not recorded unverified (unverified: %v)", f, e.To, unverified)
					}
				}
			}
		})
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
