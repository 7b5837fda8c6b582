package main

import (
	"bytes"
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/breachpath/breachpath/graph"
	"github.com/breachpath/breachpath/paths"
	"github.com/breachpath/breachpath/scoring"
)

// TestExplainNamesLoopsAndMustPassHops: --explain reports a stretch of a
// path inside a cycle as one unit and names what every path to the target
// crosses, with the findings that cut them all.
func TestExplainNamesLoopsAndMustPassHops(t *testing.T) {
	n := func(id string, k graph.Kind, s graph.Sensitivity) graph.Node {
		return graph.Node{ID: id, Name: id, Kind: k, Cloud: graph.CloudAWS, Account: "1", Sensitivity: s}
	}
	mv := func(from, to string, k graph.EdgeKind, fs ...string) graph.Edge {
		return graph.Edge{From: from, To: to, Kind: k, Technique: "t", Likelihood: 0.9, Findings: fs}
	}
	g := graph.Assemble(
		[]graph.Node{{ID: graph.InternetID, Kind: graph.KindInternet}, n("web", graph.KindCompute, 0),
			n("role-a", graph.KindRole, 0), n("role-b", graph.KindRole, 0), n("db", graph.KindDatabase, graph.SensitivityRestricted)},
		[]graph.Edge{mv(graph.InternetID, "web", graph.EdgeExposedTo, "f-open"), mv("web", "role-a", graph.EdgeUsesIdentity, "f-imds"),
			mv("role-a", "role-b", graph.EdgeAssumes), mv("role-b", "role-a", graph.EdgeAssumes),
			mv("role-b", "db", graph.EdgeReads, "f-read")},
		[]graph.Finding{{ID: "f-open", Resource: "web"}, {ID: "f-imds", Resource: "web"}, {ID: "f-read", Resource: "role-b"}})
	ctx := context.Background()
	an, err := scoring.Analyse(ctx, g, paths.Options{}, scoring.Options{})
	if err != nil {
		t.Fatal(err)
	}
	ex, err := newExplainer(ctx, an, paths.Options{})
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	if err := printPaths(&out, an.Report.Paths, false, ex); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"loop: hop 3 runs inside a cycle of 2 nodes that all reach each other (role-a, role-b)",
		"must-pass: every path to db crosses web (entered only by moves citing f-open), then role-a (entered only by moves citing f-imds), then role-b",
		"must-pass findings (fixing any one cuts every path to db): f-imds, f-open, f-read",
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("explanation lacks %q:\n%s", want, out.String())
		}
	}
}

// TestPathsExplainOnTheDemoEstate: `paths --explain` on the stored demo
// estate prints the must-pass hops of planted paths.
func TestPathsExplainOnTheDemoEstate(t *testing.T) {
	db := filepath.Join(t.TempDir(), "demo.db")
	if _, _, err := runRoot(t, "--db", db, "demo", "--resources", "1000"); err != nil {
		t.Fatal(err)
	}
	out, _, err := runRoot(t, "--db", db, "paths", "--explain")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out, "must-pass: every path to payments-prod-customer-exports-0x45 crosses bastion-payments-prod-36") {
		t.Errorf("no must-pass hops for the planted S3 path:\n%s", out)
	}
}
