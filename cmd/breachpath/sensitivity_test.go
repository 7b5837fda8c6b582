package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/breachpath/breachpath/collector/synthetic"
)

// A rules file changes which paths exist: a bucket named after a word only
// the file knows becomes a target, while an explicit lower tag keeps a
// bucket whose name looks sensitive out, with the reason recorded.
func TestSensitivityRulesFileChangesWhichPathsExist(t *testing.T) {
	dir := t.TempDir()
	snap := `{"scope":{"cloud":"aws","id":"444444444444"},"nodes":[
	 {"id":"arn:aws:iam::444444444444:user/mallory","kind":"User","cloud":"aws","name":"mallory","account":"444444444444","service":"iam"},
	 {"id":"arn:aws:s3:::ctf-flag-store","kind":"Bucket","cloud":"aws","name":"ctf-flag-store","account":"444444444444","service":"s3"},
	 {"id":"arn:aws:s3:::customers-site","kind":"Bucket","cloud":"aws","name":"customers-site","account":"444444444444","service":"s3","tags":{"DataClassification":"Public"}}],
	 "edges":[
	 {"from":"arn:aws:iam::444444444444:user/mallory","to":"arn:aws:s3:::ctf-flag-store","kind":"READS","technique":"aws.s3.reads"},
	 {"from":"arn:aws:iam::444444444444:user/mallory","to":"arn:aws:s3:::customers-site","kind":"READS","technique":"aws.s3.reads"}],
	 "findings":[],"coverage":{}}`
	file := filepath.Join(dir, "a.json")
	rules := filepath.Join(dir, "rules.yaml")
	if err := os.WriteFile(file, []byte(snap), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(rules, []byte("names:\n  - {words: [flag], level: restricted}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	targets := func(db string) []string {
		t.Helper()
		out, _, err := runRoot(t, "--db", db, "paths", "--source", "mallory", "--format", "json")
		if err != nil {
			t.Fatalf("paths: %v", err)
		}
		var res struct {
			Paths []struct {
				Target string `json:"target"`
			} `json:"paths"`
		}
		if err := json.Unmarshal([]byte(out), &res); err != nil {
			t.Fatalf("paths output: %v\n%s", err, out)
		}
		var ts []string
		for _, p := range res.Paths {
			ts = append(ts, p.Target)
		}
		return ts
	}
	tests := []struct {
		name    string
		args    []string
		want    []string
		summary string
	}{
		{"defaults", nil, nil, "2 data stores, 1 classified, 1 unclassified"},
		{"rules file", []string{"--sensitivity-rules", rules}, []string{"arn:aws:s3:::ctf-flag-store"}, `1 by name word "flag"`},
		{"map alias", []string{"--sensitivity-map", rules}, []string{"arn:aws:s3:::ctf-flag-store"}, "2 data stores, 2 classified, 0 unclassified"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			db := filepath.Join(t.TempDir(), "s.db")
			out, _, err := runRoot(t, append(append([]string{"--db", db, "collect"}, tc.args...), "file", file)...)
			if err != nil {
				t.Fatalf("collect file: %v", err)
			}
			if !strings.Contains(out, tc.summary) || !strings.Contains(out, "name guesses overridden by an explicit lower tag") {
				t.Fatalf("collect summary lacks %q or the override:\n%s", tc.summary, out)
			}
			if got := targets(db); strings.Join(got, ",") != strings.Join(tc.want, ",") {
				t.Fatalf("targets %v, want %v", got, tc.want)
			}
			if len(tc.want) > 0 {
				out, _, err := runRoot(t, "--db", db, "paths", "--source", "arn:aws:iam::444444444444:user/mallory", "--explain")
				if err != nil || !strings.Contains(out, `ctf-flag-store is restricted by name (name word "flag"`) {
					t.Fatalf("paths --explain does not say why the target is one (%v):\n%s", err, out)
				}
			}
			out, _, err = runRoot(t, "--db", db, "sensitivity", "--format", "json")
			if err != nil {
				t.Fatalf("sensitivity: %v", err)
			}
			var rep struct {
				Unclassified int `json:"unclassified"`
				Stores       []struct {
					ID, Source, Rule, Overridden string
				} `json:"stores"`
			}
			if err := json.Unmarshal([]byte(out), &rep); err != nil {
				t.Fatalf("sensitivity output: %v\n%s", err, out)
			}
			wantUnclassified := 1 - len(tc.want)
			if rep.Unclassified != wantUnclassified || len(rep.Stores) != 2 {
				t.Fatalf("report %s", out)
			}
			for _, st := range rep.Stores {
				if st.ID == "arn:aws:s3:::customers-site" && (st.Source != "tag" || !strings.Contains(st.Overridden, "customers")) {
					t.Fatalf("the overridden name guess is not reported: %+v", st)
				}
			}
		})
	}
	if _, _, err := runRoot(t, "--db", filepath.Join(dir, "bad.db"), "collect", "--sensitivity-rules", filepath.Join(dir, "missing.yaml"), "file", file); err == nil {
		t.Fatal("a missing rules file was accepted")
	}
}

// `breachpath sensitivity --format json` on the demo estate matches the
// ground truth the demo writes (--write-estate): every store's level and
// source, the unclassified share per account/subscription/project, and
// "classify these" listed first.
func TestSensitivityReportOnTheDemoEstateMatchesItsGroundTruth(t *testing.T) {
	dir := t.TempDir()
	db, estDir := filepath.Join(dir, "demo.db"), filepath.Join(dir, "estate")
	out, _, err := runRoot(t, "--db", db, "demo", "--resources", "2000", "--seed", "3", "--write-estate", estDir)
	if err != nil {
		t.Fatalf("demo: %v", err)
	}
	if !strings.Contains(out, `by name word "customers"`) || !strings.Contains(out, "by kind Secret") {
		t.Errorf("demo does not say how it classified its data stores:\n%s", out)
	}
	f, err := os.Open(filepath.Join(estDir, "truth.json"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	truth, err := synthetic.ReadTruth(f)
	if err != nil {
		t.Fatal(err)
	}
	rep, _, err := runRoot(t, "--db", db, "sensitivity", "--format", "json")
	if err != nil {
		t.Fatalf("sensitivity: %v", err)
	}
	diffs, err := truth.CoverageDiff([]byte(rep))
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range diffs {
		t.Error(d)
	}
	if len(truth.ClassifyThese()) == 0 || len(truth.Stores) == 0 {
		t.Fatalf("the demo's ground truth plants no store or nothing to classify first")
	}
	table, _, err := runRoot(t, "--db", db, "sensitivity")
	if err != nil || strings.Contains(table, "no reason recorded") {
		t.Fatalf("the table shows a store without its reason (%v):\n%s", err, table)
	}
}
