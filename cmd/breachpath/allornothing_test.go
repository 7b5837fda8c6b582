package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/breachpath/breachpath/collector/snapshotfile"
	"github.com/breachpath/breachpath/graph"
	"github.com/breachpath/breachpath/graph/embedded"
)

// TestCollectFileAllOrNothingSwitchesEveryScopeOrNone: `collect file
// --all-or-nothing` of three scopes that fails after the second scope's
// rows were written leaves all three at their previous collection, and
// graph stats reports no unfinished write (there is none); the same
// command run again switches all three.
func TestCollectFileAllOrNothingSwitchesEveryScopeOrNone(t *testing.T) {
	scopes := []graph.Scope{{Cloud: graph.CloudAWS, ID: "111111111111"}, {Cloud: graph.CloudAWS, ID: "222222222222"}, {Cloud: graph.CloudAWS, ID: "333333333333"}}
	dir := t.TempDir()
	db := filepath.Join(dir, "bp.db")
	// write returns a directory of one snapshot per scope, of generation gen
	write := func(gen int) string {
		var snaps []*graph.Snapshot
		for _, sc := range scopes {
			snaps = append(snaps, &graph.Snapshot{Scope: sc, Collector: "test", CollectedAt: time.Date(2026, 1, gen, 0, 0, 0, 0, time.UTC),
				Nodes: []graph.Node{{ID: "arn:aws:organizations::" + sc.ID, Kind: graph.KindAccount, Cloud: graph.CloudAWS,
					Service: "organizations", Name: fmt.Sprintf("gen-%d", gen)}}})
		}
		d := filepath.Join(dir, fmt.Sprintf("gen%d", gen))
		if _, err := snapshotfile.WriteDir(d, snaps); err != nil {
			t.Fatal(err)
		}
		return d
	}
	// gens returns the generation each scope reads
	gens := func() []string {
		st, err := embedded.Open(context.Background(), db)
		if err != nil {
			t.Fatal(err)
		}
		defer st.Close()
		var out []string
		for _, sc := range scopes {
			g, err := st.Load(context.Background(), graph.Filter{Scopes: []graph.Scope{sc}})
			if err != nil || len(g.Nodes) != 1 {
				t.Fatalf("load %s: %v", sc, err)
			}
			out = append(out, g.Nodes[0].Name)
		}
		return out
	}
	run := func(staged func(int) error, args ...string) (string, error) {
		a := newApp()
		a.staged = staged
		var out bytes.Buffer
		a.stdout, a.stderr = &out, &out
		root := a.rootCommand()
		root.SetArgs(append([]string{"--no-progress", "--log-level", "error", "--db", db}, args...))
		root.SetOut(&out)
		root.SetErr(&out)
		err := root.ExecuteContext(context.Background())
		return out.String(), err
	}

	if out, err := run(nil, "collect", "file", "--all-or-nothing", write(1)); err != nil {
		t.Fatalf("first collection: %v\n%s", err, out)
	}
	if got := strings.Join(gens(), ","); got != "gen-1,gen-1,gen-1" {
		t.Fatalf("after the first collection scopes read %s", got)
	}

	errStop := errors.New("stopped after the second scope")
	var staged []int
	out, err := run(func(i int) error {
		staged = append(staged, i)
		if i == 1 {
			return errStop
		}
		return nil
	}, "collect", "file", "--all-or-nothing", write(2))
	if !errors.Is(err, errStop) || len(staged) != 2 {
		t.Fatalf("the stopped collection: err %v after scopes %v; want it stopped after the second\n%s", err, staged, out)
	}
	if got := strings.Join(gens(), ","); got != "gen-1,gen-1,gen-1" {
		t.Fatalf("after the stopped --all-or-nothing collection scopes read %s; want all three at gen-1", got)
	}
	if out, err := run(nil, "graph", "stats"); err != nil || strings.Contains(out, "did not finish") {
		t.Fatalf("graph stats after the stopped --all-or-nothing collection: err %v, output %.400s", err, out)
	}

	if out, err := run(nil, "collect", "file", "--all-or-nothing", write(3)); err != nil {
		t.Fatalf("the collection run again: %v\n%s", err, out)
	}
	if got := strings.Join(gens(), ","); got != "gen-3,gen-3,gen-3" {
		t.Fatalf("after the collection ran again scopes read %s; want all three at gen-3", got)
	}
}

// TestAllOrNothingFlagIsOnCollectAndDemo: every command that writes
// several scopes takes --all-or-nothing.
func TestAllOrNothingFlagIsOnCollectAndDemo(t *testing.T) {
	for _, args := range [][]string{{"collect", "aws"}, {"collect", "azure"}, {"collect", "gcp"}, {"collect", "all"}, {"collect", "file"}, {"demo"}} {
		t.Run(strings.Join(args, " "), func(t *testing.T) {
			out, _, err := runRoot(t, append(args, "--help")...)
			if err != nil || !strings.Contains(out, "--all-or-nothing") {
				t.Fatalf("%v --help: err %v; want --all-or-nothing in:\n%s", args, err, out)
			}
		})
	}
}
