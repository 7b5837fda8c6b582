package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/spf13/cobra"
)

// runSub runs one subcommand, built by sub on a fresh quiet app that uses
// the store file db, and returns its stdout.
func runSub(t *testing.T, ctx context.Context, db string, sub func(*app) *cobra.Command, args ...string) (string, error) {
	t.Helper()
	a := newApp()
	var out, errOut bytes.Buffer
	a.stdout, a.stderr = &out, &errOut
	a.dbPath = db
	a.noProgress = true
	a.logLevel = "error"
	if err := a.setup(); err != nil {
		t.Fatal(err)
	}
	cmd := sub(a)
	cmd.SetArgs(args)
	cmd.SetOut(&out)
	cmd.SetErr(&errOut)
	cmd.SilenceUsage, cmd.SilenceErrors = true, true
	err := cmd.ExecuteContext(ctx)
	return out.String(), err
}

// runRoot runs the whole command line against a fresh app with captured output.
func runRoot(t *testing.T, args ...string) (string, string, error) {
	t.Helper()
	a := newApp()
	var out, errOut bytes.Buffer
	a.stdout, a.stderr = &out, &errOut
	root := a.rootCommand()
	root.SetArgs(append([]string{"--no-progress", "--log-level", "error"}, args...))
	root.SetOut(&out)
	root.SetErr(&errOut)
	err := root.ExecuteContext(context.Background())
	return out.String(), errOut.String(), err
}

func TestDemoLoadsTheEstateAndPrintsPathsAndPlan(t *testing.T) {
	db := filepath.Join(t.TempDir(), "demo.db")
	out, _, err := runRoot(t, "--db", db, "demo", "--resources", "1000")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"Demo estate (seed 1)", "Planted:", "Top ", "Choke-point plan:", "verified"} {
		if !strings.Contains(out, want) {
			t.Errorf("demo output lacks %q:\n%s", want, out)
		}
	}
	fi, err := os.Stat(db)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("store file mode %v, want 0600", fi.Mode().Perm())
	}

	// the analysis commands read what demo stored
	out, _, err = runRoot(t, "--db", db, "paths", "--format", "json")
	if err != nil {
		t.Fatal(err)
	}
	var ps struct {
		Paths []struct {
			ID   string `json:"id"`
			Risk float64
			Hops []struct{ Technique string }
		}
	}
	if err := json.Unmarshal([]byte(out), &ps); err != nil || len(ps.Paths) == 0 {
		t.Fatalf("paths --format json: %v, %d paths", err, len(ps.Paths))
	}
	for i := 1; i < len(ps.Paths); i++ {
		if ps.Paths[i].Risk > ps.Paths[i-1].Risk {
			t.Fatalf("paths not sorted by risk: %v before %v", ps.Paths[i-1].Risk, ps.Paths[i].Risk)
		}
	}
	out, _, err = runRoot(t, "--db", db, "queue", "--format", "sarif")
	if err != nil || !strings.Contains(out, `"version": "2.1.0"`) {
		t.Errorf("queue --format sarif: err %v, output %.200s", err, out)
	}
	out, _, err = runRoot(t, "--db", db, "queue", "--format", "csv", "--on-path")
	if err != nil || strings.Contains(out, "not on an attack path") || strings.Count(out, "\n") < 2 {
		t.Errorf("queue --on-path: err %v, output %.300s", err, out)
	}
	out, _, err = runRoot(t, "--db", db, "plan")
	if err != nil || !strings.Contains(out, "verified") {
		t.Errorf("plan: err %v, output %.300s", err, out)
	}
	out, _, err = runRoot(t, "--db", db, "graph", "stats")
	if err != nil || !strings.Contains(out, "Compute") || !strings.Contains(out, "EXPOSED_TO") {
		t.Errorf("graph stats: err %v, output %.300s", err, out)
	}
	out, _, err = runRoot(t, "--db", db, "graph", "export", "--cloud", "gcp")
	var exp struct{ Nodes []struct{ Cloud string } }
	if err != nil || json.Unmarshal([]byte(out), &exp) != nil || len(exp.Nodes) == 0 {
		t.Fatalf("graph export: err %v", err)
	}
	for _, n := range exp.Nodes {
		if n.Cloud != "gcp" && n.Cloud != "" {
			t.Fatalf("export --cloud gcp returned a %q node", n.Cloud)
		}
	}
}

func TestDemoRefusesAStoreWithCollectedData(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "real.db")
	snap := `{"scope":{"cloud":"aws","id":"222222222222"},"collector":"aws","nodes":[{"id":"arn:aws:s3:::x","kind":"Bucket","cloud":"aws","sensitivity":"none"}],"edges":[],"findings":[],"coverage":{}}`
	f := filepath.Join(dir, "real.json")
	if err := os.WriteFile(f, []byte(snap), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, _, err := runRoot(t, "--db", db, "collect", "file", f); err != nil {
		t.Fatal(err)
	}
	_, _, err := runRoot(t, "--db", db, "demo", "--resources", "1000")
	if err == nil || !strings.Contains(err.Error(), "holds collected data") {
		t.Fatalf("demo on a store with collected data: %v", err)
	}
}

func TestCollectFileStoresNothingWhenOneFileIsBad(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "s.db")
	good := `{"scope":{"cloud":"aws","id":"333333333333"},"nodes":[{"id":"arn:aws:s3:::g","kind":"Bucket","cloud":"aws","sensitivity":"restricted"}],"edges":[],"findings":[],"coverage":{}}`
	bad := `{"scope":{"cloud":"aws","id":"444444444444"},"nodes":[{"id":"x","kind":"Mainframe"}]}`
	if err := os.WriteFile(filepath.Join(dir, "a.json"), []byte(good), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "b.json"), []byte(bad), 0o600); err != nil {
		t.Fatal(err)
	}
	_, _, err := runRoot(t, "--db", db, "collect", "file", dir)
	if err == nil || !strings.Contains(err.Error(), `unknown kind "Mainframe"`) {
		t.Fatalf("collect file with a bad file: %v", err)
	}
	if _, err := os.Stat(db); err == nil {
		out, _, _ := runRoot(t, "--db", db, "graph", "stats")
		if !strings.HasPrefix(out, "0 nodes") {
			t.Fatalf("a bad file still stored the good one:\n%s", out)
		}
	}
}

func TestRunMapsErrorsToExitCodes(t *testing.T) {
	dir := t.TempDir()
	corrupt := filepath.Join(dir, "corrupt.db")
	if err := os.WriteFile(corrupt, []byte("definitely not sqlite"), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		args []string
		want int
	}{
		{"unknown command", []string{"frobnicate"}, exitUsage},
		{"bad flag value", []string{"--db", filepath.Join(dir, "x.db"), "queue", "--format", "pdf"}, exitUsage},
		{"bad threshold", []string{"--db", filepath.Join(dir, "x.db"), "paths", "--threshold", "secret"}, exitUsage},
		{"corrupt store", []string{"--db", corrupt, "graph", "stats"}, exitError},
		{"version", []string{"version"}, exitOK},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := run(context.Background(), tt.args); got != tt.want {
				t.Errorf("exit code %d, want %d", got, tt.want)
			}
		})
	}
	b, err := os.ReadFile(corrupt)
	if err != nil || string(b) != "definitely not sqlite" {
		t.Errorf("the corrupt file was modified: %q, %v", b, err)
	}
}

func TestGraphNeo4jImportWritesFilesAndTheCommand(t *testing.T) {
	dir := t.TempDir()
	est := filepath.Join(dir, "estate")
	if _, _, err := runRoot(t, "--db", filepath.Join(dir, "d.db"), "demo", "--resources", "300", "--write-estate", est); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "import")
	stdout, _, err := runRoot(t, "graph", "neo4j-import", "--out", out, est)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"scopes", "neo4j-admin should report", "neo4j-admin database import full --overwrite-destination @neo4j-admin.args neo4j"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("output lacks %q:\n%s", want, stdout)
		}
	}
	if _, err := os.Stat(filepath.Join(out, "neo4j-admin.args")); err != nil {
		t.Error(err)
	}
	// a second run into the same directory is refused, and so is a missing --out
	if _, _, err := runRoot(t, "graph", "neo4j-import", "--out", out, est); err == nil || !strings.Contains(err.Error(), "not empty") {
		t.Errorf("second run into %s: %v", out, err)
	}
	if got := run(context.Background(), []string{"graph", "neo4j-import", est}); got != exitUsage {
		t.Errorf("without --out: exit %d, want %d", got, exitUsage)
	}
}

func TestReadCommandsNeverCreateAStore(t *testing.T) {
	dir := t.TempDir()
	missing := filepath.Join(dir, "typo.db")
	for _, args := range [][]string{
		{"paths"}, {"paths", "--explain"}, {"queue"}, {"plan"}, {"ciem"}, {"graph", "stats"}, {"graph", "export"},
		{"query", "escalation-cycles"}, {"serve", "--token-file", filepath.Join(dir, "tok"), "--listen", "127.0.0.1:0"},
	} {
		t.Run(strings.Join(args, " "), func(t *testing.T) {
			_, _, err := runRoot(t, append([]string{"--db", missing}, args...)...)
			if err == nil || !strings.Contains(err.Error(), "does not exist") || strings.Contains(err.Error(), "\n") {
				t.Fatalf("%v on a missing store: %v, want one line saying it does not exist", args, err)
			}
			if got := run(context.Background(), append([]string{"--db", missing, "--log-level", "error"}, args...)); got != exitError {
				t.Errorf("exit code %d, want %d", got, exitError)
			}
			if _, err := os.Stat(missing); !os.IsNotExist(err) {
				t.Fatalf("%v created the store %s", args, missing)
			}
		})
	}
}

func TestAStoreReadableByOthersIsWarnedAbout(t *testing.T) {
	db := filepath.Join(t.TempDir(), "s.db")
	if _, _, err := runRoot(t, "--db", db, "demo", "--resources", "200"); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(db, 0o644); err != nil {
		t.Fatal(err)
	}
	a := newApp()
	var out, errOut bytes.Buffer
	a.stdout, a.stderr = &out, &errOut
	root := a.rootCommand()
	root.SetArgs([]string{"--db", db, "--no-progress", "graph", "stats"})
	if err := root.ExecuteContext(context.Background()); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(errOut.String(), "can be read by other users") || !strings.Contains(errOut.String(), "chmod 600 "+db) {
		t.Errorf("no warning about a 0644 store; stderr:\n%s", errOut.String())
	}
	if err := restrictStoreFiles(db); err != nil {
		t.Fatal(err)
	}
	if info, _ := os.Stat(db); info.Mode().Perm() != 0o600 {
		t.Errorf("the offered fix left mode %v", info.Mode().Perm())
	}
}

func TestDemoSyncOnlyStoresTheSameEstateWithoutAnalysing(t *testing.T) {
	dir := t.TempDir()
	full, syncOnly := filepath.Join(dir, "full.db"), filepath.Join(dir, "sync-only.db")
	if _, _, err := runRoot(t, "--db", full, "demo", "--resources", "1000"); err != nil {
		t.Fatal(err)
	}
	out, _, err := runRoot(t, "--db", syncOnly, "demo", "--resources", "1000", "--sync-only")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out, "Stored in") || strings.Contains(out, "Top ") || strings.Contains(out, "Choke-point plan:") {
		t.Errorf("--sync-only output should stop after the summary:\n%s", out)
	}
	// the store answers exactly as the full demo's does
	a, _, err := runRoot(t, "--db", full, "paths", "--format", "json")
	if err != nil {
		t.Fatal(err)
	}
	b, _, err := runRoot(t, "--db", syncOnly, "paths", "--format", "json")
	if err != nil {
		t.Fatal(err)
	}
	if a != b || !strings.Contains(a, `"hops"`) {
		t.Errorf("paths of the --sync-only store differ from the full demo's (or are empty)")
	}
}
