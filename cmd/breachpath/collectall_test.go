package main

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestCollectAllRunsEveryTargetAndReportsWhatFailed: the targets run in
// order through the collect commands' code (offline AWS imports here); a
// target that fails stores nothing while the others are stored, and the
// exit code says so (partial, or an error when nothing was stored).
func TestCollectAllRunsEveryTargetAndReportsWhatFailed(t *testing.T) {
	auth, err := filepath.Abs(filepath.Join("..", "..", "ciem", "aws", "testdata", "authdetails.json"))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		targets string
		only    []string
		summary string
		partial bool
		failed  bool
	}{
		{"every target read", "  - {name: iam, cloud: aws, from_files: [" + auth + "]}\n", nil, "1 targets: 1 ok, 0 partial, 0 failed.", false, false},
		{"one target fails", "  - {name: iam, cloud: aws, from_files: [" + auth + "]}\n  - {name: gone, cloud: aws, from_files: [/nonexistent/auth.json]}\n",
			nil, "2 targets: 1 ok, 0 partial, 1 failed.", true, false},
		{"every target fails", "  - {name: gone, cloud: aws, from_files: [/nonexistent/auth.json]}\n", nil, "1 targets: 0 ok, 0 partial, 1 failed.", false, true},
		{"only the named target", "  - {name: iam, cloud: aws, from_files: [" + auth + "]}\n  - {name: gone, cloud: aws, from_files: [/nonexistent/auth.json]}\n",
			[]string{"--target", "iam"}, "1 targets: 1 ok, 0 partial, 0 failed.", false, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			cfg := filepath.Join(dir, "ops.yaml")
			if err := os.WriteFile(cfg, []byte("targets:\n"+tc.targets), 0o600); err != nil {
				t.Fatal(err)
			}
			db := filepath.Join(dir, "bp.db")
			out, _, err := runRoot(t, append([]string{"--config", cfg, "--db", db, "collect", "all"}, tc.only...)...)
			var pe *partialError
			switch {
			case tc.partial && !errors.As(err, &pe), tc.failed && (err == nil || errors.As(err, &pe)), !tc.partial && !tc.failed && err != nil:
				t.Fatalf("err = %v\n%s", err, out)
			}
			if !strings.Contains(out, tc.summary) || !strings.Contains(out, "== target ") {
				t.Errorf("output lacks %q:\n%s", tc.summary, out)
			}
			if _, err := os.Stat(db + ".changes"); tc.failed == (err == nil) {
				t.Errorf("change ledger present = %v, want %v", err == nil, !tc.failed)
			}
		})
	}
	if _, _, err := runRoot(t, "--db", filepath.Join(t.TempDir(), "x.db"), "collect", "all"); !errors.Is(err, errUsage) {
		t.Errorf("collect all without --config: %v, want a usage error", err)
	}
}
