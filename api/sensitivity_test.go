package api

import (
	"context"
	"testing"

	"github.com/breachpath/breachpath/collector/synthetic"
)

// GET /api/v1/sensitivity answers as documented (the client validates
// against the OpenAPI document) with the same report as the CLI: on the
// small estate its one sensitive bucket is classified and every data store
// is counted once.
func TestSensitivityReportAnswersAsDocumented(t *testing.T) {
	_, c := newServer(t, Config{Store: smallStore(t)})
	a := c.get("/api/v1/sensitivity")
	if a.status != 200 {
		t.Fatalf("status %d: %s", a.status, a.body)
	}
	var rep struct {
		DataStores    int `json:"data_stores"`
		Unclassified  int `json:"unclassified"`
		ClassifyFirst int `json:"classify_first"`
		Stores        []struct {
			ID, Level, Source string
			Reachable         bool
		} `json:"stores"`
		Scopes []struct {
			DataStores int `json:"data_stores"`
		} `json:"scopes"`
	}
	a.decode(t, &rep)
	if rep.DataStores == 0 || len(rep.Stores) != rep.DataStores {
		t.Fatalf("report %s", a.body)
	}
	total := 0
	for _, s := range rep.Scopes {
		total += s.DataStores
	}
	if total != rep.DataStores {
		t.Fatalf("scopes count %d stores, report %d", total, rep.DataStores)
	}
	reachedClassified := false
	for i, s := range rep.Stores {
		if i < rep.ClassifyFirst && (s.Level != "none" || !s.Reachable) {
			t.Fatalf("store %d in the classify-first prefix is %+v", i, s)
		}
		if s.Level != "none" && s.Reachable && s.Source != "" {
			reachedClassified = true
		}
	}
	if !reachedClassified {
		t.Fatalf("the planted path's target is not a reachable classified store: %s", a.body)
	}
}

// On the synthetic estate, GET /api/v1/sensitivity matches the generator's
// planted record exactly: every store's level and source, the unclassified
// share per account/subscription/project, and "classify these" (the
// unclassified stores an exposure source reaches) listed first.
func TestSensitivityReportMatchesTheSyntheticGroundTruth(t *testing.T) {
	est, err := synthetic.Generate(context.Background(), synthetic.Options{Seed: 5, Resources: 2000})
	if err != nil {
		t.Fatal(err)
	}
	st := openStore(t, t.TempDir())
	for _, snap := range est.Snapshots {
		if _, err := st.Sync(context.Background(), snap); err != nil {
			t.Fatal(err)
		}
	}
	_, c := newServer(t, Config{Store: st})
	a := c.get("/api/v1/sensitivity")
	if a.status != 200 {
		t.Fatalf("status %d: %s", a.status, a.body)
	}
	diffs, err := est.Truth.CoverageDiff([]byte(a.body))
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range diffs {
		t.Error(d)
	}
	if len(est.Truth.ClassifyThese()) == 0 {
		t.Fatal("the estate plants no unclassified store an attacker reaches")
	}
}
