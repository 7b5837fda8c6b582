package scoring

import (
	"slices"
	"testing"

	"github.com/breachpath/breachpath/graph"
	"github.com/breachpath/breachpath/paths"
)

// TestPlanPrefersMustPassFindingsOnTies: two plans cost the same — fix the
// two entry findings (1 + 1) or the one finding on the move every path
// takes into the database (2). The plan takes the must-pass one, and says so.
func TestPlanPrefersMustPassFindingsOnTies(t *testing.T) {
	b := (&builder{}).node(graph.InternetID, graph.KindInternet, 0).
		node("y", graph.KindCompute, 0).node("z", graph.KindCompute, 0).node("x", graph.KindRole, 0).
		node("db", graph.KindDatabase, graph.SensitivityRestricted).
		finding("f-p", "y", graph.SeverityHigh, 1).finding("f-q", "z", graph.SeverityHigh, 1).
		finding("f-m", "x", graph.SeverityHigh, 2).
		move(graph.InternetID, "y", graph.EdgeExposedTo, 0.9, "f-p").
		move(graph.InternetID, "z", graph.EdgeExposedTo, 0.9, "f-q").
		move("y", "x", graph.EdgeUsesIdentity, 0.9).move("z", "x", graph.EdgeUsesIdentity, 0.9).
		move("x", "db", graph.EdgeAdministers, 0.9, "f-m")
	tests := []struct {
		name string
		b    *builder
		want []string
	}{
		{"equal effort: the must-pass finding", b, []string{"f-m"}},
		{"cheaper entries still win", cheaper(b, "f-p", 0.5), []string{"f-p", "f-q"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			g := tc.b.build()
			p := mustPlan(t, g, paths.Options{Threshold: graph.SensitivityRestricted})
			got := stepIDs(p)
			slices.Sort(got)
			if !slices.Equal(got, tc.want) || !p.Verified {
				t.Fatalf("plan %v (verified %v), want %v", got, p.Verified, tc.want)
			}
			for _, s := range p.Steps {
				if s.MustPass != (s.FindingID == "f-m") {
					t.Errorf("step %s: must_pass %v", s.FindingID, s.MustPass)
				}
			}
		})
	}
}

// cheaper returns a copy of b with finding id's effort set to effort.
func cheaper(b *builder, id string, effort float64) *builder {
	c := &builder{nodes: b.nodes, edges: b.edges, findings: slices.Clone(b.findings)}
	for i := range c.findings {
		if c.findings[i].ID == id {
			c.findings[i].FixEffort = effort
		}
	}
	return c
}
