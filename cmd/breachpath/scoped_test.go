package main

import (
	"encoding/json"
	"path/filepath"
	"regexp"
	"strconv"
	"testing"
)

// paths and plan with --target or --source read only the scopes the
// question can touch, and print exactly what they print from every scope.
func TestPathsAndPlanForOneTargetOrSourceReadOnlyItsScopes(t *testing.T) {
	db := filepath.Join(t.TempDir(), "d.db")
	if _, _, err := runRoot(t, "--db", db, "demo", "--resources", "12000", "--sync-only"); err != nil {
		t.Fatal(err)
	}
	all, _, err := runRoot(t, "--db", db, "paths", "--format", "json")
	if err != nil {
		t.Fatal(err)
	}
	var found struct {
		Paths []struct {
			Source, Target string
			Hops           []struct{ From, To string }
		}
	}
	if err := json.Unmarshal([]byte(all), &found); err != nil || len(found.Paths) == 0 {
		t.Fatalf("no paths to ask about (%v):\n%.500s", err, all)
	}
	p := found.Paths[0]
	loaded := regexp.MustCompile(`loaded the scopes the question touches.* scopes=(\d+) of=(\d+)`)
	tests := []struct {
		name string
		args []string
	}{
		{"paths to the riskiest path's target", []string{"paths", "--target", p.Target, "--format", "json"}},
		{"paths from its entry point", []string{"paths", "--source", p.Hops[0].To, "--format", "json"}},
		{"paths explained", []string{"paths", "--target", p.Target, "--explain"}},
		{"the plan for the target", []string{"plan", "--target", p.Target, "--format", "json"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			scoped, logs, err := runRoot(t, append([]string{"--db", db, "--log-level", "info"}, tt.args...)...)
			if err != nil {
				t.Fatal(err)
			}
			m := loaded.FindStringSubmatch(logs)
			if m == nil {
				t.Fatalf("no scoped load logged:\n%s", logs)
			}
			if n, of := atoi(m[1]), atoi(m[2]); n >= of || n == 0 {
				t.Errorf("read %d of %d scopes, want fewer and at least one", n, of)
			}
			full, _, err := runRoot(t, append([]string{"--db", db}, append(tt.args, "--load-all")...)...)
			if err != nil {
				t.Fatal(err)
			}
			if scoped != full {
				t.Errorf("answer from the scopes the question touches differs from the full load's:\n%s\nwant\n%s", scoped, full)
			}
		})
	}
}

func atoi(s string) int { n, _ := strconv.Atoi(s); return n }
