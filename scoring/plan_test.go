package scoring

import (
	"context"
	"errors"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/breachpath/breachpath/graph"
	"github.com/breachpath/breachpath/paths"
)

func mustPlan(t *testing.T, g *graph.Graph, o paths.Options) *Plan {
	t.Helper()
	p, err := MakePlan(context.Background(), g, PlanOptions{Search: o})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func stepIDs(p *Plan) []string {
	var out []string
	for _, s := range p.Steps {
		out = append(out, s.FindingID)
	}
	return out
}

func TestPlanCutsAtTheCheapestChokePoint(t *testing.T) {
	tests := []struct {
		name string
		b    *builder
		want []string
	}{
		{"cheapest finding on the only path", estate(), []string{"f-open"}},
		{"choke point shared by two entries beats two cheaper entries",
			estate().node("api", graph.KindCompute, 0).finding("f-api", "api", graph.SeverityHigh, 1.5).
				finding("f-role", "role", graph.SeverityHigh, 1.5).
				move(graph.InternetID, "api", graph.EdgeExposedTo, 0.9, "f-api").
				move("api", "role", graph.EdgeUsesIdentity, 0.9, "f-imds").
				move("role", "db", graph.EdgeAdministers, 0.9, "f-role"),
			// role->db READS cites nothing, so the role must be cut off:
			// f-imds (2) covers both entries, f-open + f-api cost 2.5
			[]string{"f-imds"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			g := tc.b.build()
			p := mustPlan(t, g, paths.Options{})
			if !p.Verified || p.PathsAfter != 0 {
				t.Fatalf("plan %v not verified: %d paths after", stepIDs(p), p.PathsAfter)
			}
			if !slices.Equal(stepIDs(p), tc.want) {
				t.Errorf("plan = %v, want %v", stepIDs(p), tc.want)
			}
			if p.Steps[0].Remediation == "" || p.Steps[0].PathsRemoved == 0 {
				t.Errorf("step = %+v", p.Steps[0])
			}
		})
	}
}

func TestPlanReportsUncuttablePaths(t *testing.T) {
	b := estate().node("public", graph.KindBucket, graph.SensitivityRestricted).
		move(graph.InternetID, "public", graph.EdgeReads, 1) // no finding: nothing to fix
	p := mustPlan(t, b.build(), paths.Options{})
	if !slices.Equal(p.UncuttableTargets, []string{"public"}) || len(p.Uncuttable) != 1 {
		t.Fatalf("uncuttable targets %v paths %d", p.UncuttableTargets, len(p.Uncuttable))
	}
	if !p.Verified || p.PathsAfter != 1 || !slices.Equal(stepIDs(p), []string{"f-open"}) {
		t.Errorf("verified %v, %d paths after, steps %v", p.Verified, p.PathsAfter, stepIDs(p))
	}
}

func TestPlanIsCancellable(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := MakePlan(ctx, estate().build(), PlanOptions{})
	if err == nil {
		// the tiny search may finish before the first cancellation check; the flow must not
		t.Skip("finished before a cancellation check")
	}
	if !errors.Is(err, context.Canceled) {
		t.Errorf("err = %v", err)
	}
}

// reachable reports whether any target is reachable from the Internet with
// the given findings fixed, ignoring targets reachable along finding-free moves.
func leaks(g *graph.Graph, fixed map[string]bool, uncuttable map[string]bool) bool {
	seen := map[string]bool{graph.InternetID: true}
	q := []string{graph.InternetID}
	for len(q) > 0 {
		v := q[0]
		q = q[1:]
		for i := range g.Edges {
			e := &g.Edges[i]
			if e.From != v || seen[e.To] || e.To == graph.InternetID {
				continue
			}
			cut := false
			for _, f := range e.Findings {
				cut = cut || fixed[f]
			}
			if cut {
				continue
			}
			if g.Node(e.To).IsTarget(graph.SensitivityRestricted) && !uncuttable[e.To] {
				return true
			}
			seen[e.To] = true
			q = append(q, e.To)
		}
	}
	return false
}

func bruteForceCost(g *graph.Graph, uncuttable map[string]bool) float64 {
	ids := make([]string, len(g.Findings))
	for i := range g.Findings {
		ids[i] = g.Findings[i].ID
	}
	best := -1.0
	for mask := 0; mask < 1<<len(ids); mask++ {
		fixed, cost := map[string]bool{}, 0.0
		for i, id := range ids {
			if mask&(1<<i) != 0 {
				fixed[id] = true
				cost += g.Findings[i].FixEffort
			}
		}
		if (best < 0 || cost < best) && !leaks(g, fixed, uncuttable) {
			best = cost
		}
	}
	return best
}

func TestPlanAgainstBruteForce(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 8))
	var ratio float64
	var nShared, nonTrivial int
	for i := range 120 {
		shared := i%2 == 1
		b := randomPlanGraph(r, 6, 12, 6, shared)
		g := b.build()
		if len(g.Findings) > 12 {
			continue
		}
		o := paths.Options{Threshold: graph.SensitivityRestricted, MaxDepth: 8, Top: 4}
		p := mustPlan(t, g, o)
		if !p.Verified {
			t.Fatalf("graph %d: plan %v not verified", i, stepIDs(p))
		}
		unc := map[string]bool{}
		for _, u := range p.UncuttableTargets {
			unc[u] = true
		}
		fixed := map[string]bool{}
		for _, s := range p.Steps {
			fixed[s.FindingID] = true
		}
		if leaks(g, fixed, unc) {
			t.Fatalf("graph %d: plan %v leaves a path", i, stepIDs(p))
		}
		for f := range fixed { // minimal: every step is needed
			delete(fixed, f)
			if !leaks(g, fixed, unc) {
				t.Fatalf("graph %d: plan %v does not need %s", i, stepIDs(p), f)
			}
			fixed[f] = true
		}
		best := bruteForceCost(g, unc)
		if best > 0 {
			nonTrivial++
		}
		switch {
		case p.TotalEffort < best-1e-9:
			t.Fatalf("graph %d: plan costs %v, below the optimum %v: brute force is wrong", i, p.TotalEffort, best)
		case !shared && p.TotalEffort > best+1e-9:
			t.Fatalf("graph %d: plan %v costs %v, optimum %v (one finding per move: the min cut is exact)", i, stepIDs(p), p.TotalEffort, best)
		case shared && best > 0:
			ratio += p.TotalEffort / best
			nShared++
		}
	}
	if nonTrivial < 40 {
		t.Fatalf("only %d graphs needed a fix", nonTrivial)
	}
	if nShared > 0 {
		t.Logf("shared findings: plan cost / optimum averages %.3f over %d graphs", ratio/float64(nShared), nShared)
	}
}
