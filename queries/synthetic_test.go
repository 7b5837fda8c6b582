package queries_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/breachpath/breachpath/collector/synthetic"
	"github.com/breachpath/breachpath/graph"
	"github.com/breachpath/breachpath/paths"
	"github.com/breachpath/breachpath/queries"
)

// The synthetic estate's ground truth says exactly which attack paths
// exist (docs/synthetic-estate.md); each test below derives its expected
// rows from it and the decoys, never from the query's own logic.

var (
	estOnce sync.Once
	est1k   *synthetic.Estate
	estErr  error
)

func estate(t *testing.T) (*synthetic.Estate, *graph.Graph) {
	t.Helper()
	estOnce.Do(func() {
		// one path per pattern and one decoy per kind, so that every question has planted answers at 1k
		est1k, estErr = synthetic.Generate(context.Background(), synthetic.Options{
			Seed: 42, Resources: 1000, PlantedPaths: len(synthetic.Patterns()), Decoys: len(synthetic.DecoyKinds())})
	})
	if estErr != nil {
		t.Fatal(estErr)
	}
	return est1k, assemble(est1k.Snapshots)
}

func run(t *testing.T, g *graph.Graph, name string, params map[string]any) *queries.Result {
	t.Helper()
	q, ok := queries.Get(name)
	if !ok {
		t.Fatalf("no query %q", name)
	}
	res, err := q.Run(context.Background(), g, params)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// column returns the values of one column, as strings, sorted.
func column(res *queries.Result, name string) []string {
	i := slices.Index(res.Columns, name)
	out := make([]string, len(res.Rows))
	for j, r := range res.Rows {
		out[j] = fmt.Sprint(r[i])
	}
	slices.Sort(out)
	return out
}

func sortedKeys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

func hopKinds(g *graph.Graph, p synthetic.PlantedPath) []graph.EdgeKind {
	out := make([]graph.EdgeKind, len(p.Edges))
	for i, k := range p.Edges {
		out[i] = edgeByKey(g, k).Kind
	}
	return out
}

func TestSyntheticPublicSensitiveDataIsThePlantedDataTargets(t *testing.T) {
	est, g := estate(t)
	for _, th := range []graph.Sensitivity{graph.SensitivityConfidential, graph.SensitivityRestricted} {
		want := map[string]bool{}
		hops := map[string]int{}
		for _, p := range est.Truth.Planted {
			if n := g.Node(p.Target); n.Kind.IsDataStore() && n.Sensitivity >= th {
				want[p.Target] = true
				hops[p.Target] = len(p.Edges) // the only path to the target, so the shortest
			}
		}
		res := run(t, g, "public-sensitive-data", map[string]any{"threshold": th.String()})
		if got := column(res, "id"); !slices.Equal(got, sortedKeys(want)) {
			t.Errorf("threshold %s: got %v, want the planted data targets %v", th, got, sortedKeys(want))
		}
		for _, r := range res.Rows {
			if h := r[6].(int64); int(h) != hops[r[0].(string)] {
				t.Errorf("%s: hops %d, planted path has %d", r[0], h, hops[r[0].(string)])
			}
		}
		if len(want) == 0 {
			t.Fatal("no planted data targets: the estate is too small for this test")
		}
	}
}

func TestSyntheticFindingsOffPathAreTheFindingsNoPlantedPathCites(t *testing.T) {
	est, g := estate(t)
	cited := map[string]bool{}
	for _, p := range est.Truth.Planted {
		for _, f := range p.Findings {
			cited[f] = true
		}
	}
	want := map[string]bool{}
	for _, f := range g.Findings {
		if !cited[f.ID] {
			want[f.ID] = true
		}
	}
	for _, d := range est.Truth.Decoys {
		if !want[d.FindingID] {
			t.Errorf("decoy finding %s (%s) should be off every path", d.FindingID, d.Kind)
		}
	}
	res := run(t, g, "findings-off-path", nil)
	if got := column(res, "id"); !slices.Equal(got, sortedKeys(want)) {
		t.Errorf("got %d findings off path, want %d (all findings minus those the planted paths cite)", len(got), len(want))
	}
}

func TestSyntheticExposedAdminComputeFollowsPlantedPrivilegeEscalation(t *testing.T) {
	est, g := estate(t)
	want := map[string]bool{}
	for _, p := range est.Truth.Planted {
		ks := hopKinds(g, p)
		rest := ks[min(2, len(ks)):]
		if len(ks) >= 2 && ks[0] == graph.EdgeExposedTo && p.Nodes[0] == graph.InternetID && ks[1] == graph.EdgeUsesIdentity &&
			g.Node(p.Target).CrownJewel && g.Node(p.Target).Kind.IsPrincipal() &&
			!slices.ContainsFunc(rest, func(k graph.EdgeKind) bool { return k != graph.EdgeAssumes && k != graph.EdgeEscalatesTo }) {
			want[fmt.Sprintf("%s %s %s %d", p.Nodes[1], p.Nodes[2], p.Target, len(rest))] = true
		}
	}
	res := run(t, g, "internet-exposed-admin-compute", nil)
	got := map[string]bool{}
	for _, r := range res.Rows {
		got[fmt.Sprintf("%s %s %s %d", r[0], r[3], r[5], r[7])] = true
	}
	if !slices.Equal(sortedKeys(got), sortedKeys(want)) || len(want) == 0 {
		t.Errorf("got %v, want %v (non-empty)", sortedKeys(got), sortedKeys(want))
	}

	// escalation-to-admin: the planted ESCALATES_TO hops into admin identities
	esc := map[string]bool{}
	for _, p := range est.Truth.Planted {
		for i, k := range p.Edges {
			if e := edgeByKey(g, k); e.Kind == graph.EdgeEscalatesTo && g.Node(e.To).CrownJewel {
				esc[p.Nodes[i]+" "+p.Nodes[i+1]] = true
			}
		}
	}
	res = run(t, g, "escalation-to-admin", nil)
	got = map[string]bool{}
	principals := map[string]bool{}
	for _, r := range res.Rows {
		got[fmt.Sprintf("%s %s", r[0], r[3])] = true
		principals[r[0].(string)] = true
	}
	for k := range esc {
		if !got[k] {
			t.Errorf("escalation-to-admin misses the planted escalation %s", k)
		}
	}
	// The one definition of "can reach admin": the query lists exactly paths.AdminReachers.
	reach, err := paths.AdminReachers(context.Background(), g, paths.DefaultAdminHops)
	if err != nil {
		t.Fatal(err)
	}
	defined := map[string]bool{}
	for _, r := range reach {
		defined[r.Principal] = true
	}
	if !slices.Equal(sortedKeys(principals), sortedKeys(defined)) {
		t.Errorf("escalation-to-admin principals %v, paths.AdminReachers %v", sortedKeys(principals), sortedKeys(defined))
	}
}

func TestSyntheticShadowAdminsIncludePlantedEscalationNotNamedAdmin(t *testing.T) {
	est, g := estate(t)
	res := run(t, g, "shadow-admins", nil)
	rows := map[string]int64{}
	for _, r := range res.Rows {
		if strings.Contains(strings.ToLower(r[2].(string)), "admin") {
			t.Errorf("%s is named admin", r[0])
		}
		rows[r[0].(string)] = r[4].(int64)
	}
	checked := 0
	for _, p := range est.Truth.Planted {
		for i, k := range p.Edges {
			e := edgeByKey(g, k)
			if e.Kind != graph.EdgeEscalatesTo || !g.Node(e.To).CrownJewel || strings.Contains(strings.ToLower(g.Node(e.From).Name), "admin") {
				continue
			}
			checked++
			if h, ok := rows[p.Nodes[i]]; !ok || h != 1 {
				t.Errorf("escalating principal %s: row %v (present %v), want hops 1", p.Nodes[i], h, ok)
			}
		}
	}
	if checked == 0 {
		t.Fatal("no planted escalation to an admin: the estate is too small for this test")
	}
}

func TestSyntheticTrustAndAnonymousQueriesFollowTruth(t *testing.T) {
	est, g := estate(t)
	anon, external, cross, secrets := map[string]bool{}, map[string]bool{}, map[string]bool{}, map[string]bool{}
	for _, p := range est.Truth.Planted {
		src := g.Node(p.Nodes[0])
		for i, k := range p.Edges {
			e := edgeByKey(g, k)
			if e.Kind != graph.EdgeAssumes {
				continue
			}
			if a, b := g.Node(e.From).Account, g.Node(e.To).Account; a != b {
				cross[e.From+" "+e.To] = true
			}
			if i == 0 && src.Kind == graph.KindExternalPrincipal && !src.IsAnonymous() && !e.Conditional {
				external[e.To+" "+e.From] = true
			}
		}
		if src.IsAnonymous() && len(p.Edges) == 1 {
			anon[p.Nodes[0]+" "+p.Target] = true
		}
		if g.Node(p.Target).Kind == graph.KindSecret && len(p.Edges) <= 2 && edgeByKey(g, p.Edges[len(p.Edges)-1]).Kind == graph.EdgeReads {
			secrets[p.Target+" "+p.Nodes[0]] = true
		}
	}
	// the neutrally named public stores the estate plants for "classify
	// these" are read anonymously, one move away
	for _, st := range est.Truth.ClassifyThese() {
		if st.Hops == 1 {
			anon["anonymous:"+string(st.Cloud)+" "+st.ID] = true
		}
	}
	for _, d := range est.Truth.Decoys {
		switch {
		case strings.HasSuffix(d.Kind, "-public-data"):
			anon["anonymous:"+string(g.Node(d.Resource).Cloud)+" "+d.Resource] = true
		case d.Kind == "aws-external-trust-powerless-role":
			for _, e := range g.Edges {
				if e.Kind == graph.EdgeTrusts && e.From == d.Resource {
					external[d.Resource+" "+e.To] = true
					cross[e.To+" "+d.Resource] = true
				}
			}
		}
	}
	check := func(name string, a, b string, want map[string]bool) {
		t.Helper()
		res := run(t, g, name, nil)
		got := map[string]bool{}
		ia, ib := slices.Index(res.Columns, a), slices.Index(res.Columns, b)
		for _, r := range res.Rows {
			got[fmt.Sprint(r[ia])+" "+fmt.Sprint(r[ib])] = true
		}
		if !slices.Equal(sortedKeys(got), sortedKeys(want)) || len(want) == 0 {
			t.Errorf("%s: got %v, want %v (non-empty)", name, sortedKeys(got), sortedKeys(want))
		}
	}
	check("anonymous-data-access", "principal", "store", anon)
	check("external-trust-without-condition", "role", "external", external)
	check("cross-account-assumes", "principal", "role", cross)
	check("secrets-readable-from-outside", "secret", "source", secrets)
}

func TestSyntheticHygieneQueriesFollowTheGenerator(t *testing.T) {
	est, g := estate(t)
	// every instance with an IMDSv1 finding runs as an identity in the synthetic estate
	imds := map[string]bool{}
	for _, f := range g.Findings {
		if f.RuleID == "aws.ec2.imdsv1-enabled" {
			imds[f.Resource] = true
		}
	}
	res := run(t, g, "imdsv1-compute-with-identity", nil)
	if got := slices.Compact(column(res, "compute")); !slices.Equal(got, sortedKeys(imds)) || len(imds) == 0 {
		t.Errorf("imdsv1-compute-with-identity: got %v, want the IMDSv1 findings' instances %v", got, sortedKeys(imds))
	}

	// the generator tags every store with its owner; a data-classification
	// tag is missing on the stores it leaves unlabelled or labels in another
	// convention (the sensitivity exhibits), which the rules may still classify
	if res := run(t, g, "data-stores-without-owner", nil); len(res.Rows) != 0 {
		t.Errorf("data-stores-without-owner: %d rows, but every synthetic store has an owner tag", len(res.Rows))
	}
	untagged := map[string]bool{}
	for _, n := range g.Nodes {
		if _, ok := n.Tags["data-classification"]; n.Kind.IsDataStore() && !n.Stub && !ok {
			untagged[n.ID] = true
		}
	}
	res = run(t, g, "data-stores-without-owner", map[string]any{"tag": "data-classification"})
	if got := column(res, "id"); !slices.Equal(got, sortedKeys(untagged)) || len(untagged) == 0 {
		t.Errorf("without data-classification: got %d stores, want the %d without the tag", len(got), len(untagged))
	}

	// the generator encrypts every database except the unencrypted-database decoys
	unencrypted := map[string]bool{}
	for _, d := range est.Truth.Decoys {
		if strings.HasSuffix(d.Kind, "-unreachable") && g.Node(d.Resource).Kind == graph.KindDatabase {
			unencrypted[d.Resource] = true
		}
	}
	res = run(t, g, "unencrypted-sensitive-databases", nil)
	if got := column(res, "id"); !slices.Equal(got, sortedKeys(unencrypted)) || len(unencrypted) == 0 {
		t.Errorf("unencrypted-sensitive-databases: got %v, want the unencrypted decoys %v", got, sortedKeys(unencrypted))
	}
}

func TestSyntheticBlastRadiusOfAnEntryPointHoldsItsPlantedTargets(t *testing.T) {
	est, g := estate(t)
	p := est.Truth.Planted[0]
	targets := map[string]bool{}
	for _, q := range est.Truth.Planted {
		targets[q.Target] = true
	}
	res := run(t, g, "sensitive-reachable-from", map[string]any{"from": p.Nodes[1]})
	got := column(res, "id")
	if !slices.Contains(got, p.Target) {
		t.Errorf("blast radius of %s misses its planted target %s: %v", p.Nodes[1], p.Target, got)
	}
	for _, id := range got {
		if !targets[id] {
			t.Errorf("blast radius of %s holds %s, which no planted path targets", p.Nodes[1], id)
		}
	}
}

func TestSyntheticCrownJewelRankingIsOrderedAndLimited(t *testing.T) {
	_, g := estate(t)
	res := run(t, g, "crown-jewels-most-inbound", map[string]any{"limit": 5})
	if len(res.Rows) != 5 {
		t.Fatalf("%d rows, want the limit 5", len(res.Rows))
	}
	for i, r := range res.Rows {
		n := g.Node(r[0].(string))
		if !n.CrownJewel {
			t.Errorf("%s is no crown jewel", n.ID)
		}
		inbound := int64(0)
		for _, e := range g.Edges {
			if e.To == n.ID && e.Kind.IsMove() {
				inbound++
			}
		}
		if r[3].(int64) != inbound {
			t.Errorf("%s: inbound_moves %d, the graph has %d", n.ID, r[3], inbound)
		}
		if i > 0 && res.Rows[i-1][3].(int64) < r[3].(int64) {
			t.Errorf("row %d ranks above a crown jewel with more inbound moves", i)
		}
	}
}
