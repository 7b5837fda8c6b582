package api

import (
	"testing"
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
