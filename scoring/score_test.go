package scoring

import (
	"context"
	"github.com/breachpath/breachpath/scoring/owner"
	"testing"

	"github.com/breachpath/breachpath/graph"
	"github.com/breachpath/breachpath/paths"
)

func estate() *builder {
	b := (&builder{}).node(graph.InternetID, graph.KindInternet, 0).
		node("web", graph.KindCompute, 0).
		node("role", graph.KindRole, 0).
		node("db", graph.KindDatabase, graph.SensitivityRestricted).
		node("devbox", graph.KindCompute, 0).
		finding("f-open", "web", graph.SeverityHigh, 1).
		finding("f-imds", "web", graph.SeverityMedium, 2).
		finding("f-dev-open", "devbox", graph.SeverityCritical, 1).
		finding("f-low", "db", graph.SeverityLow, 1).
		move(graph.InternetID, "web", graph.EdgeExposedTo, 0.9, "f-open").
		move("web", "role", graph.EdgeUsesIdentity, 0.9, "f-imds").
		move("role", "db", graph.EdgeReads, 0.9).
		move(graph.InternetID, "devbox", graph.EdgeExposedTo, 0.9, "f-dev-open")
	b.nodes[0].Cloud = ""
	b.nodes[1].Tags = map[string]string{"team": "payments", "contact": "x@example.com"}
	return b
}

func score(t *testing.T, g *graph.Graph, o Options) *Report {
	t.Helper()
	res, err := paths.Search(context.Background(), g, paths.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return Score(g, res, o)
}

func TestScoreRanksOnPathFindingsFirst(t *testing.T) {
	r := score(t, estate().build(), Options{})
	var order []string
	for _, row := range r.Queue {
		order = append(order, row.Finding.ID)
	}
	want := []string{"f-open", "f-imds", "f-dev-open", "f-low"}
	if len(order) != len(want) {
		t.Fatalf("queue = %v", order)
	}
	for i := range want {
		if order[i] != want[i] {
			t.Fatalf("queue = %v, want %v", order, want)
		}
	}
	for _, row := range r.Queue {
		on := row.Finding.ID == "f-open" || row.Finding.ID == "f-imds"
		if row.OnPath != on || (row.Label == LabelOnPath) != on {
			t.Errorf("%s: on path %v label %q", row.Finding.ID, row.OnPath, row.Label)
		}
		if on && (row.Paths != 1 || row.TopPathID != r.Paths[0].ID || row.Priority < 50) {
			t.Errorf("%s: %+v", row.Finding.ID, row)
		}
		if !on && (row.Priority >= 50 || row.TopPathID != "") {
			t.Errorf("%s: off-path priority %v", row.Finding.ID, row.Priority)
		}
	}
	// the critical finding on the isolated box ranks below the medium one on the path
	if r.Queue[1].Finding.Severity >= r.Queue[2].Finding.Severity {
		t.Errorf("test premise: severities %v %v", r.Queue[1].Finding.Severity, r.Queue[2].Finding.Severity)
	}
}

func TestScoreOwnerFromTags(t *testing.T) {
	tests := []struct {
		name string
		keys []string
		want string
	}{
		{"default keys, team before contact", nil, "payments"},
		{"configured key", []string{"contact"}, "x@example.com"},
		{"missing key", []string{"nope"}, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res, err := owner.New(owner.Config{TagKeys: tc.keys})
			if err != nil {
				t.Fatal(err)
			}
			r := score(t, estate().build(), Options{Owners: res})
			if got := r.Queue[0].Owner; got != tc.want {
				t.Errorf("owner = %q, want %q", got, tc.want)
			}
		})
	}
}

func TestRiskIsMonotonicInEveryFactor(t *testing.T) {
	base := Factors{Exposure: 0.7, Likelihood: 0.5, Sensitivity: 0.8, BlastRadius: 0.8}
	bump := []func(f *Factors){
		func(f *Factors) { f.Exposure = ExposureInternet },
		func(f *Factors) { f.Likelihood = 0.9 },
		func(f *Factors) { f.Sensitivity = 1 },
		func(f *Factors) { f.BlastRadius = 1 },
	}
	for i, b := range bump {
		f := base
		b(&f)
		if f.Risk() <= base.Risk() {
			t.Errorf("factor %d raised: risk %v <= %v", i, f.Risk(), base.Risk())
		}
	}
	if r := (Factors{1, 1, 1, 1}).Risk(); r != 100 {
		t.Errorf("max risk %v, want 100", r)
	}
	// exposure ordering
	internet := graph.Node{Kind: graph.KindInternet}
	anon := graph.Node{Kind: graph.KindExternalPrincipal, Props: graph.Props{graph.PropAnonymous: true}}
	ext := graph.Node{Kind: graph.KindExternalPrincipal}
	if !(ExposureWeight(&internet) > ExposureWeight(&anon) && ExposureWeight(&anon) > ExposureWeight(&ext)) {
		t.Error("exposure weights not ordered internet > anonymous > external")
	}
	restricted := graph.Node{Sensitivity: graph.SensitivityRestricted}
	confidential := graph.Node{Sensitivity: graph.SensitivityConfidential}
	jewel := graph.Node{CrownJewel: true}
	if !(SensitivityWeight(&restricted) > SensitivityWeight(&confidential) && SensitivityWeight(&confidential) > SensitivityWeight(&jewel)) {
		t.Error("sensitivity weights not ordered restricted > confidential > crown jewel")
	}
	prev := -1.0
	for _, reach := range []int{0, 1, 5, 50, 100, 1000} {
		w := BlastRadiusWeight(reach, 0)
		if w < prev || w < 0.75 || w > 1 {
			t.Errorf("blast radius weight(%d) = %v after %v", reach, w, prev)
		}
		prev = w
	}
}

func TestFindingPriorityMonotonic(t *testing.T) {
	for sev := graph.SeverityInfo; sev <= graph.SeverityCritical; sev++ {
		off := FindingPriority(false, 0, 0, sev)
		on := FindingPriority(true, 0, 0, graph.SeverityInfo)
		if off >= on {
			t.Errorf("off-path %v priority %v >= weakest on-path %v", sev, off, on)
		}
		if FindingPriority(true, 60, 60, sev) <= FindingPriority(true, 30, 30, sev) {
			t.Errorf("priority does not grow with risk at %v", sev)
		}
	}
	if p := FindingPriority(true, 100, 1000, graph.SeverityCritical); p != 100 {
		t.Errorf("max priority %v, want 100", p)
	}
}

func TestScoreSkipsResolvedFindings(t *testing.T) {
	g := estate().build()
	g.Finding("f-low").ResolvedAt = g.Finding("f-low").FirstSeen.AddDate(2020, 0, 0)
	if n := len(score(t, g, Options{}).Queue); n != 3 {
		t.Errorf("queue has %d rows, want 3", n)
	}
	if n := len(score(t, g, Options{IncludeResolved: true}).Queue); n != 4 {
		t.Errorf("queue with resolved has %d rows, want 4", n)
	}
}
