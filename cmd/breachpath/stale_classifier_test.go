package main

import (
	"context"
	"encoding/json"
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/breachpath/breachpath/collector/gcp/gcptest"
)

// A failing Sensitive Data Protection read must not turn the stores it
// classified unclassified: the collection keeps the stored profile results,
// marked stale, so the public bucket DLP rated HIGH stays restricted and its
// attack path stays open; a later successful read replaces them (issue #23).
func TestCollectGCPKeepsDLPResultsStaleWhenTheReadFails(t *testing.T) {
	const bucket = "//storage.googleapis.com/function-bucket-5e1f"
	high := []map[string]any{{"name": "projects/" + gcptest.ProjectID + "/locations/us/fileStoreDataProfiles/fs-1",
		"projectId": gcptest.ProjectID, "fileStorePath": "gs://function-bucket-5e1f", "fullResource": bucket,
		"sensitivityScore": map[string]any{"score": "SENSITIVITY_HIGH"}, "dataRiskLevel": map[string]any{"score": "RISK_HIGH"},
		"fileStoreInfoTypeSummaries": []map[string]any{{"infoType": map[string]any{"name": "CREDIT_CARD_NUMBER"}}}, "profileStatus": map[string]any{}}}
	// collect runs `collect gcp` against fresh local servers answering the
	// lab, with DLP answering profiles or failing.
	collect := func(t *testing.T, db string, profiles []map[string]any, dlpFails bool) error {
		t.Helper()
		res, pol := gcptest.Lab(gcptest.Published)
		var faults []*gcptest.ServiceFault
		if dlpFails {
			faults = append(faults, &gcptest.ServiceFault{API: "dlp", Status: 403})
		}
		srv := gcptest.StartServers(t, res, pol, nil, nil, faults...)
		srv.Services.DataProfiles = profiles
		for k, v := range srv.Env() {
			t.Setenv(k, v)
		}
		out, err := runCollect(t, context.Background(), db, "gcp", "--organization", gcptest.OrgNumber, "--dlp-location", "us")
		var pe *partialError
		if err != nil && !errors.As(err, &pe) {
			t.Fatalf("collect gcp: %v\n%s", err, out)
		}
		if dlpFails != (err != nil) {
			t.Fatalf("collect gcp partial = %v, want %v (DLP failing)\n%s", err != nil, dlpFails, out)
		}
		return err
	}
	// store reads the bucket's row of the coverage report.
	store := func(t *testing.T, db string) (level, source, rule string, reachable bool) {
		t.Helper()
		out, _, err := runRoot(t, "--db", db, "sensitivity", "--format", "json")
		if err != nil {
			t.Fatal(err)
		}
		var rep struct {
			Stores []struct {
				ID, Level, Source, Rule string
				Reachable               bool
			} `json:"stores"`
		}
		if err := json.Unmarshal([]byte(out), &rep); err != nil {
			t.Fatal(err)
		}
		for _, s := range rep.Stores {
			if s.ID == bucket {
				return s.Level, s.Source, s.Rule, s.Reachable
			}
		}
		t.Fatalf("%s not in the report", bucket)
		return
	}
	onPath := func(t *testing.T, db string) bool {
		t.Helper()
		out, _, err := runRoot(t, "--db", db, "paths", "--format", "json")
		if err != nil {
			t.Fatal(err)
		}
		return strings.Contains(out, `"target":"`+bucket+`"`) || strings.Contains(out, `"target": "`+bucket+`"`)
	}
	tests := []struct {
		name  string
		runs  []bool // DLP fails in this run?
		later []map[string]any
		// what the last run leaves
		level, source, rule string
		path                bool
	}{
		{name: "read fails after a good read: kept, stale", runs: []bool{false, true},
			level: "restricted", source: "classifier", rule: "stale: kept from the collection of", path: true},
		{name: "fails twice: still kept", runs: []bool{false, true, true},
			level: "restricted", source: "classifier", rule: "stale: kept from the collection of", path: true},
		{name: "a good read after the failure replaces the kept result", runs: []bool{false, true, false}, later: []map[string]any{},
			level: "none", source: "", path: false},
		{name: "first collection fails: nothing to keep", runs: []bool{true},
			level: "none", source: "", path: false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			db := filepath.Join(t.TempDir(), "bp.db")
			for i, fails := range tc.runs {
				profiles := high
				if i > 0 && tc.later != nil {
					profiles = tc.later
				}
				collect(t, db, profiles, fails)
			}
			level, source, rule, reachable := store(t, db)
			if level != tc.level || source != tc.source || !strings.Contains(rule, tc.rule) || !reachable {
				t.Errorf("bucket: %s by %q (%q), reachable %v; want %s by %q (%q)", level, source, rule, reachable, tc.level, tc.source, tc.rule)
			}
			if got := onPath(t, db); got != tc.path {
				t.Errorf("attack path to the bucket: %v, want %v", got, tc.path)
			}
		})
	}
}
