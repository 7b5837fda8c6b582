package api

import (
	"context"
	"path/filepath"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/breachpath/breachpath/graph"
	"github.com/breachpath/breachpath/paths"
	"github.com/breachpath/breachpath/scoring/drift"
)

// changedStore syncs the small estate, then the same estate with SSH
// closed (the exposure edge and its finding gone), recording an
// observation after each sync as the collect commands do.
func changedStore(t *testing.T) (*Config, []*drift.Observation) {
	t.Helper()
	dir := t.TempDir()
	st := openStore(t, dir)
	ledgerPath := filepath.Join(dir, "breachpath.db.changes")
	l, err := drift.OpenLedger(context.Background(), ledgerPath)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	first := smallSnapshot()
	second := smallSnapshot()
	second.CollectedAt = first.CollectedAt.Add(time.Hour)
	second.Edges = slices.DeleteFunc(second.Edges, func(e graph.Edge) bool { return e.Kind == graph.EdgeExposedTo })
	second.Findings = slices.DeleteFunc(second.Findings, func(f graph.Finding) bool { return f.ID == findOpenSSH })
	var obs []*drift.Observation
	for _, s := range []*graph.Snapshot{first, second} {
		if _, err := st.Sync(context.Background(), s); err != nil {
			t.Fatal(err)
		}
		o, err := drift.Record(context.Background(), st, l, paths.Options{}, s.CollectedAt)
		if err != nil {
			t.Fatal(err)
		}
		obs = append(obs, o)
	}
	now := second.CollectedAt.Add(time.Minute)
	return &Config{Store: st, ChangesPath: ledgerPath, Now: func() time.Time { return now }}, obs
}

func TestChangesShowTheClosedPathAndTheResolvedFinding(t *testing.T) {
	cfg, obs := changedStore(t)
	_, c := newServer(t, *cfg)
	for _, q := range []string{"", "?since=2h", "?from=" + itoa(obs[0].SyncID) + "&to=" + itoa(obs[1].SyncID)} {
		t.Run("query "+q, func(t *testing.T) {
			var ch drift.Changes
			a := c.get("/api/v1/changes" + q)
			if a.status != 200 {
				t.Fatalf("status %d: %s", a.status, a.body)
			}
			a.decode(t, &ch)
			if len(ch.PathsClosed) != 1 || ch.PathsClosed[0].ID != obs[0].Paths[0].ID || len(ch.PathsOpened) != 0 {
				t.Errorf("paths closed %+v opened %+v, want the planted path closed", ch.PathsClosed, ch.PathsOpened)
			}
			if len(ch.FindingsResolved) != 1 || ch.FindingsResolved[0].ID != findOpenSSH ||
				len(ch.FindingsOpened)+len(ch.FindingsReopened)+len(ch.FindingsUnverified) != 0 {
				t.Errorf("findings %+v, want only %s resolved", ch, findOpenSSH)
			}
		})
	}
}

func TestChangesRejectBadParametersAndSayWhenNothingIsRecorded(t *testing.T) {
	cfg, _ := changedStore(t)
	_, c := newServer(t, *cfg)
	_, empty := newServer(t, Config{Store: smallStore(t), ChangesPath: filepath.Join(t.TempDir(), "none.changes")})
	tests := []struct {
		name   string
		c      *client
		path   string
		status int
		code   string
	}{
		{"bad since", c, "/api/v1/changes?since=yesterday", 400, codeBadParameter},
		{"negative since", c, "/api/v1/changes?since=-1h", 400, codeBadParameter},
		{"since and from", c, "/api/v1/changes?since=1h&from=1", 400, codeBadParameter},
		{"to without from", c, "/api/v1/changes?to=2", 400, codeBadParameter},
		{"bad from", c, "/api/v1/changes?from=x", 400, codeBadParameter},
		{"no ledger", empty, "/api/v1/changes", 404, codeNotFound},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := tt.c.get(tt.path)
			if a.status != tt.status || a.errorCode(t) != tt.code {
				t.Fatalf("status %d code %q, want %d %q: %s", a.status, a.errorCode(t), tt.status, tt.code, a.body)
			}
		})
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
