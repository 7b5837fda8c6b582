package main

import (
	"path/filepath"
	"strings"
	"testing"
)

// TestQueueCentralityRaisesSharedFindings: with --centrality the planted
// fan-out's shared exposure finding gains priority and carries its
// centrality; without, no row has one.
func TestQueueCentralityRaisesSharedFindings(t *testing.T) {
	db := filepath.Join(t.TempDir(), "demo.db")
	if _, _, err := runRoot(t, "--db", db, "demo", "--resources", "1000"); err != nil {
		t.Fatal(err)
	}
	plain, _, err := runRoot(t, "--db", db, "queue", "--on-path", "--format", "json")
	if err != nil {
		t.Fatal(err)
	}
	boosted, _, err := runRoot(t, "--db", db, "queue", "--on-path", "--format", "json", "--centrality")
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(plain, `"centrality"`) || !strings.Contains(boosted, `"centrality": 1`) {
		t.Errorf("centrality fields: plain has one %v, boosted lacks the top one %v", strings.Contains(plain, `"centrality"`), !strings.Contains(boosted, `"centrality": 1`))
	}
}
