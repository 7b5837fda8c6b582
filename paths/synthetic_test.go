package paths_test

import (
	"context"
	"os"
	"slices"
	"testing"

	"github.com/breachpath/breachpath/collector/synthetic"
	"github.com/breachpath/breachpath/graph"
	"github.com/breachpath/breachpath/paths"
	"github.com/breachpath/breachpath/scoring"
)

// syntheticGraph merges the per-scope snapshots of a generated estate.
func syntheticGraph(t testing.TB, resources int) (*graph.Graph, *synthetic.GroundTruth) {
	t.Helper()
	est, err := synthetic.Generate(context.Background(), synthetic.Options{Seed: 7, Resources: resources})
	if err != nil {
		t.Fatal(err)
	}
	return est.Graph(), est.Truth
}

// TestSyntheticEstate checks the engine against the generator's ground
// truth: exactly the planted paths, no decoy on a path, and a plan that cuts
// every planted path. 1k always, 100k unless -short, 1M with BREACHPATH_SCALE=1.
func TestSyntheticEstate(t *testing.T) {
	for _, tc := range []struct {
		name      string
		resources int
		run       bool
	}{
		{"1k", 1_000, true},
		{"100k", 100_000, !testing.Short()},
		{"1M", 1_000_000, os.Getenv("BREACHPATH_SCALE") == "1"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if !tc.run {
				t.Skip("scale test: 100k runs without -short, 1M with BREACHPATH_SCALE=1")
			}
			g, truth := syntheticGraph(t, tc.resources)
			opts := paths.Options{Threshold: truth.Threshold, MaxDepth: truth.MaxDepth}
			ctx := context.Background()
			proj := paths.NewProjection(g)
			res, err := proj.Search(ctx, opts)
			if err != nil {
				t.Fatal(err)
			}
			if res.Truncated {
				t.Fatal("search truncated")
			}
			var want, got []string
			for _, p := range truth.Planted {
				want = append(want, paths.PathID(p.Edges))
			}
			for _, p := range res.Paths {
				got = append(got, p.ID)
			}
			slices.Sort(want)
			slices.Sort(got)
			if !slices.Equal(got, want) {
				t.Fatalf("found %d paths, planted %d:\nfound   %v\nplanted %v", len(got), len(want), got, want)
			}

			rep := scoring.Score(g, res, scoring.Options{})
			onPath := map[string]bool{}
			for _, row := range rep.Queue {
				onPath[row.Finding.ID] = row.OnPath
			}
			for _, d := range truth.Decoys {
				if onPath[d.FindingID] {
					t.Errorf("decoy %s (%s) is on an attack path", d.FindingID, d.Kind)
				}
			}

			plan, err := scoring.PlanProjection(ctx, proj, scoring.PlanOptions{Search: opts})
			if err != nil {
				t.Fatal(err)
			}
			if !plan.Verified || plan.PathsAfter != 0 || len(plan.Uncuttable) != 0 {
				t.Fatalf("plan verified=%v, %d paths after, %d uncuttable", plan.Verified, plan.PathsAfter, len(plan.Uncuttable))
			}
			after := opts
			for _, s := range plan.Steps {
				after.RemovedFindings = append(after.RemovedFindings, s.FindingID)
			}
			again, err := proj.Search(ctx, after)
			if err != nil {
				t.Fatal(err)
			}
			if len(again.Paths) != 0 {
				t.Errorf("%d paths survive the plan", len(again.Paths))
			}
			t.Logf("%d resources: %d planted paths found, %d decoys off-path, plan of %d fixes (effort %.0f)",
				tc.resources, len(got), len(truth.Decoys), len(plan.Steps), plan.TotalEffort)
		})
	}
}
