package gcp_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/breachpath/breachpath/collector/gcp/gcptest"
	"github.com/breachpath/breachpath/collector/gcp/transform"
	"github.com/breachpath/breachpath/graph"
	"github.com/breachpath/breachpath/paths"
)

// The published-lab corpus beyond GCPGoat (docs/labs.md, "GCP"): every
// scenario's estate is collected twice — live, against the local servers
// answering the Cloud Asset, service and IAM v2 APIs, and offline, from
// its Cloud Asset Inventory export files — and the documented route must
// be found hop by hop from the lab's foothold; the one change must remove
// it, both ways.

// estateGraph collects an estate live or imports its export files.
func estateGraph(t *testing.T, e *gcptest.Estate, live bool) *graph.Graph {
	t.Helper()
	if live {
		srv := gcptest.StartServers(t, e.Resources, e.Policies, nil, nil)
		srv.Services.DenyPolicies = e.Deny
		return collectFrom(t, srv)
	}
	files, err := gcptest.WriteEstate(t.TempDir(), e)
	if err != nil {
		t.Fatal(err)
	}
	return graph.AssembleSnapshots(importFiles(t, files))
}

// findRouteFrom returns the path from source whose hops are exactly the
// route, or nil.
func findRouteFrom(t *testing.T, g *graph.Graph, source string, route []gcptest.Hop) *paths.Path {
	t.Helper()
	opts := paths.Options{Targets: []string{route[len(route)-1].To}, Top: 64, MaxDepth: 10}
	if source != graph.InternetID {
		opts.Sources = []string{source}
	}
	res, err := paths.Search(context.Background(), g, opts)
	if err != nil {
		t.Fatal(err)
	}
	for i := range res.Paths {
		p := &res.Paths[i]
		if p.Source != source || len(p.Hops) != len(route) {
			continue
		}
		ok := true
		for j, h := range p.Hops {
			if h.To != route[j].To || h.Kind != route[j].Kind || h.Technique != route[j].Technique {
				ok = false
				break
			}
		}
		if ok {
			return p
		}
	}
	return nil
}

// mustFindRoute returns the route's path, failing the test (with the moves
// out of every hop) when it is missing or cites no finding.
func mustFindRoute(t *testing.T, g *graph.Graph, source string, route []gcptest.Hop) *paths.Path {
	t.Helper()
	p := findRouteFrom(t, g, source, route)
	if p == nil {
		prev := source
		for _, h := range route {
			t.Logf("out of %s:\n%s", prev, describeEdges(g, prev))
			prev = h.To
		}
		t.Fatal("documented route not found")
	}
	if len(p.Findings()) == 0 {
		t.Errorf("route cites no finding: the plan could not cut it\n%s", p.Explain())
	}
	return p
}

func runLabScenarios(t *testing.T, scenarios []gcptest.LabScenario) {
	listed := map[string]bool{}
	for _, tc := range transform.Techniques {
		listed[tc.ID] = true
	}
	for _, sc := range scenarios {
		for _, changed := range []bool{false, true} {
			for _, live := range []bool{true, false} {
				name := fmt.Sprintf("%s/as designed/%s", sc.Lab, map[bool]string{true: "live", false: "export"}[live])
				if changed {
					name = fmt.Sprintf("%s/%s/%s", sc.Lab, sc.Change, map[bool]string{true: "live", false: "export"}[live])
				}
				t.Run(name, func(t *testing.T) {
					g := estateGraph(t, sc.Build(changed), live)
					p := findRouteFrom(t, g, sc.Source, sc.Route)
					if changed {
						if p != nil {
							t.Fatalf("the one change (%s) left the route: %s", sc.Change, p.Explain())
						}
						return
					}
					mustFindRoute(t, g, sc.Source, sc.Route)
					for _, e := range g.Edges {
						if e.Kind.IsMove() && !listed[e.Technique] {
							t.Errorf("%s -[%s %s]-> %s: technique not in transform.Techniques", e.From, e.Kind, e.Technique, e.To)
						}
					}
				})
			}
		}
	}
}

func TestRhinoPrivescCatalogueRoutesFoundAndCutByOneChange(t *testing.T) {
	runLabScenarios(t, gcptest.RhinoScenarios())
}

// The catalogue's API-key methods give no identity: a finding on each
// account, and no move out of it.
func TestRhinoAPIKeyMethodsAreFindingsWithoutMoves(t *testing.T) {
	e, accounts := gcptest.RhinoAPIKeyEstate()
	for _, live := range []bool{true, false} {
		g := estateGraph(t, e, live)
		for _, id := range accounts {
			found := false
			for _, f := range g.FindingsOn(id) {
				found = found || f.RuleID == "gcp.iam.privesc-api-keys"
			}
			if !found {
				t.Errorf("live=%v: no gcp.iam.privesc-api-keys finding on %s: %+v", live, id, g.FindingsOn(id))
			}
			if out := describeEdges(g, id); out != "" {
				t.Errorf("live=%v: moves out of %s:\n%s", live, id, out)
			}
		}
	}
}

func TestThunderCTFLevelRoutesFoundAndCutByOneChange(t *testing.T) {
	runLabScenarios(t, gcptest.ThunderScenarios())
}
