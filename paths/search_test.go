package paths

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"reflect"
	"runtime"
	"slices"
	"strings"
	"testing"

	"github.com/breachpath/breachpath/graph"
)

const (
	conf = graph.SensitivityConfidential
	rest = graph.SensitivityRestricted
	intl = graph.SensitivityInternal
)

// chain: internet -> web -> role -> bucket (confidential), plus a decoy
// bucket nobody reaches and an internal bucket that is not a target.
func chain() *builder {
	return (&builder{}).internet().
		node("web", graph.KindCompute, graph.SensitivityNone).
		node("role", graph.KindRole, graph.SensitivityNone).
		node("bucket", graph.KindBucket, conf).
		node("lonely", graph.KindBucket, rest).
		node("logs", graph.KindBucket, intl).
		move(graph.InternetID, "web", graph.EdgeExposedTo, 0, "f-open-sg").
		move("web", "role", graph.EdgeUsesIdentity, 0, "f-imdsv1").
		move("role", "bucket", graph.EdgeReads, 0.5, "f-wide-policy").
		move("role", "logs", graph.EdgeReads, 0.5)
}

func ids(ps []Path) []string {
	var out []string
	for _, p := range ps {
		var b strings.Builder
		b.WriteString(p.Source)
		for _, h := range p.Hops {
			b.WriteString(">" + h.To)
		}
		out = append(out, b.String())
	}
	return out
}

func mustSearch(t *testing.T, g *graph.Graph, o Options) *Result {
	t.Helper()
	res, err := Search(context.Background(), g, o)
	if err != nil {
		t.Fatalf("search: %v", err)
	}
	return res
}

func TestSearchSelectsSourcesAndTargets(t *testing.T) {
	tests := []struct {
		name string
		b    *builder
		opts Options
		want []string
	}{
		{"exposure source to confidential target", chain(), Options{}, []string{"internet>web>role>bucket"}},
		{"restricted threshold drops the confidential bucket", chain(), Options{Threshold: rest}, nil},
		{"internal threshold adds the internal bucket", chain(), Options{Threshold: intl},
			[]string{"internet>web>role>bucket", "internet>web>role>logs"}},
		{"crown jewel is a target at any threshold",
			chain().node("admin", graph.KindRole, graph.SensitivityNone).move("role", "admin", graph.EdgeEscalatesTo, 0.4),
			Options{Threshold: rest}, nil},
		{"explicit source is a foothold", chain(), Options{Sources: []string{"role"}}, []string{"role>bucket"}},
		{"explicit target overrides the threshold", chain(), Options{Targets: []string{"logs"}}, []string{"internet>web>role>logs"}},
		{"external principal is a source",
			chain().node("ext", graph.KindExternalPrincipal, graph.SensitivityNone).move("ext", "role", graph.EdgeAssumes, 0.9, "f-trust"),
			Options{}, []string{"ext>role>bucket", "internet>web>role>bucket"}},
		{"paths do not pass through another source",
			chain().node("ext", graph.KindExternalPrincipal, graph.SensitivityNone).
				move("web", "ext", graph.EdgeAuthenticates, 1).move("ext", "bucket", graph.EdgeReads, 1),
			Options{}, []string{"ext>bucket", "internet>web>role>bucket"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			g := tc.b.build()
			if tc.name == "crown jewel is a target at any threshold" {
				g.Node("admin").CrownJewel = true
				tc.want = []string{"internet>web>role>admin"}
			}
			got := ids(mustSearch(t, g, tc.opts).Paths)
			slices.Sort(got)
			if !slices.Equal(got, tc.want) {
				t.Errorf("paths = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestSearchRejectsBadOptions(t *testing.T) {
	g := chain().build()
	for _, o := range []Options{{MaxDepth: -1}, {MaxDepth: 1000}, {Top: -2}, {Top: 1000}, {Sources: []string{"nope"}},
		{Targets: []string{"nope"}}, {Threshold: 42}, {MaxWork: -1}} {
		if _, err := Search(context.Background(), g, o); err == nil || strings.Contains(err.Error(), "\n") {
			t.Errorf("options %+v: err = %v, want a one-line error", o, err)
		}
	}
}

func TestSearchLikelihoodAndHopDetails(t *testing.T) {
	res := mustSearch(t, chain().build(), Options{})
	if len(res.Paths) != 1 {
		t.Fatalf("got %d paths", len(res.Paths))
	}
	p := res.Paths[0]
	want := DefaultLikelihood(graph.EdgeExposedTo) * DefaultLikelihood(graph.EdgeUsesIdentity) * 0.5
	if d := p.Likelihood - want; d > 1e-6 || d < -1e-6 {
		t.Errorf("likelihood = %v, want %v", p.Likelihood, want)
	}
	h := p.Hops[2]
	if h.From != "role" || h.ToKind != graph.KindBucket || h.ToName != "name-bucket" || h.Technique != "t.READS" ||
		!slices.Equal(h.Findings, []string{"f-wide-policy"}) || len(h.Evidence) != 1 {
		t.Errorf("hop = %+v", h)
	}
	if !slices.Equal(p.Findings(), []string{"f-imdsv1", "f-open-sg", "f-wide-policy"}) {
		t.Errorf("findings = %v", p.Findings())
	}
	if ex := p.Explain(); !strings.Contains(ex, "enabled by f-imdsv1") || strings.Count(ex, "\n") != 4 {
		t.Errorf("explain = %q", ex)
	}
	if !strings.HasPrefix(p.ID, "path:") || p.ID != PathID([]string{
		"internet|EXPOSED_TO|web|t.EXPOSED_TO", "web|USES_IDENTITY|role|t.USES_IDENTITY", "role|READS|bucket|t.READS"}) {
		t.Errorf("id = %s is not the hash of the edge keys", p.ID)
	}
	if p.Reach != 1 {
		t.Errorf("reach = %d, want 1 (the bucket)", p.Reach)
	}
}

func TestSearchDepthBound(t *testing.T) {
	b := (&builder{}).internet()
	prev := graph.InternetID
	for i := range 10 {
		id := fmt.Sprintf("h%d", i)
		b.node(id, graph.KindCompute, graph.SensitivityNone)
		b.move(prev, id, graph.EdgeReaches, 1)
		prev = id
	}
	b.node("db", graph.KindDatabase, rest).move(prev, "db", graph.EdgeReads, 1)
	g := b.build() // the db is 11 hops away
	for _, tc := range []struct {
		depth int
		want  int
	}{{8, 0}, {10, 0}, {11, 1}, {12, 1}} {
		if got := len(mustSearch(t, g, Options{MaxDepth: tc.depth}).Paths); got != tc.want {
			t.Errorf("depth %d: %d paths, want %d", tc.depth, got, tc.want)
		}
	}
}

// diamond: 4 routes of distinct likelihoods to one target.
func diamond() *builder {
	b := (&builder{}).internet().node("db", graph.KindDatabase, rest)
	for i, l := range []float64{0.9, 0.5, 0.7, 0.3} {
		id := fmt.Sprintf("m%d", i)
		b.node(id, graph.KindCompute, graph.SensitivityNone).
			move(graph.InternetID, id, graph.EdgeExposedTo, 1).
			move(id, "db", graph.EdgeReads, l)
	}
	return b
}

func TestSearchKeepsTopKMostLikely(t *testing.T) {
	g := diamond().build()
	for _, tc := range []struct {
		top  int
		want []string
	}{
		{1, []string{"internet>m0>db"}},
		{3, []string{"internet>m0>db", "internet>m2>db", "internet>m1>db"}},
		{10, []string{"internet>m0>db", "internet>m2>db", "internet>m1>db", "internet>m3>db"}},
	} {
		if got := ids(mustSearch(t, g, Options{Top: tc.top}).Paths); !slices.Equal(got, tc.want) {
			t.Errorf("top %d: %v, want %v", tc.top, got, tc.want)
		}
	}
}

func TestSearchBreaksTiesByNodeID(t *testing.T) {
	b := (&builder{}).internet().node("db", graph.KindDatabase, rest)
	for _, id := range []string{"c", "a", "b"} {
		b.node(id, graph.KindCompute, 0).move(graph.InternetID, id, graph.EdgeExposedTo, 0.5).move(id, "db", graph.EdgeReads, 0.5)
	}
	got := ids(mustSearch(t, b.build(), Options{Top: 2}).Paths)
	if want := []string{"internet>a>db", "internet>b>db"}; !slices.Equal(got, want) {
		t.Errorf("paths = %v, want %v", got, want)
	}
}

func TestSearchIsIndependentOfInputOrder(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for i := range 50 {
		b := randomGraph(r, 9, 30, 5)
		want := mustSearch(t, b.build(), Options{Top: 2})
		for range 3 {
			got := mustSearch(t, b.shuffled(r), Options{Top: 2})
			if !slices.Equal(pathIDs(got.Paths), pathIDs(want.Paths)) {
				t.Fatalf("graph %d: shuffled input changed the result:\n%v\n%v", i, pathIDs(got.Paths), pathIDs(want.Paths))
			}
		}
	}
}

func pathIDs(ps []Path) []string {
	out := make([]string, len(ps))
	for i := range ps {
		out[i] = ps[i].ID
	}
	return out
}

func TestSearchMatchesBruteForceOnSmallGraphs(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 7))
	for i := range 200 {
		g := randomGraph(r, 6, 14, 4).build()
		want := bruteForce(g, 5, conf, nil)
		if len(want) > MaxTop {
			continue
		}
		res := mustSearch(t, g, Options{Top: MaxTop, MaxDepth: 5})
		if len(res.Paths) != len(want) {
			t.Fatalf("graph %d: search found %d paths, brute force %d", i, len(res.Paths), len(want))
		}
		for _, p := range res.Paths {
			bp, ok := want[p.ID]
			if !ok || bp.target != p.Target || bp.likelihood-p.Likelihood > 1e-6 || p.Likelihood-bp.likelihood > 1e-6 {
				t.Fatalf("graph %d: path %s (%v) not found by brute force as %+v", i, p.ID, p.Likelihood, bp)
			}
		}
	}
}

func mapsEqual(a, b map[string]bool) bool {
	if len(a) != len(b) {
		return false
	}
	for k := range a {
		if !b[k] {
			return false
		}
	}
	return true
}

func TestSearchFindsBestPathPerTargetOnCyclicGraphs(t *testing.T) {
	// With Top 1 the search must return, for every reachable target, a path
	// as likely as the best one brute force finds.
	r := rand.New(rand.NewPCG(3, 9))
	for i := range 200 {
		b := randomGraph(r, 7, 25, 3)
		g := b.build()
		best := map[string]float64{}
		for _, p := range bruteForce(g, 6, conf, nil) {
			best[p.target] = max(best[p.target], p.likelihood)
		}
		one := mustSearch(t, g, Options{Top: 1, MaxDepth: 6})
		if len(one.Paths) != len(best) {
			t.Fatalf("graph %d: %d targets reached with top 1, brute force reaches %d", i, len(one.Paths), len(best))
		}
		for _, p := range one.Paths {
			if p.Likelihood < best[p.Target]-1e-6 {
				t.Fatalf("graph %d: best path to %s has likelihood %v, want %v", i, p.Target, p.Likelihood, best[p.Target])
			}
		}
	}
}

func TestSearchHandlesCycles(t *testing.T) {
	b := (&builder{}).internet().node("a", graph.KindCompute, 0).node("b", graph.KindCompute, 0).
		node("c", graph.KindCompute, 0).node("db", graph.KindDatabase, rest).
		move(graph.InternetID, "a", graph.EdgeExposedTo, 1).
		move("a", "b", graph.EdgeReaches, 1).move("b", "c", graph.EdgeReaches, 1).move("c", "a", graph.EdgeReaches, 1).
		move("b", "a", graph.EdgeReaches, 1).move("c", "db", graph.EdgeReads, 1)
	res := mustSearch(t, b.build(), Options{Top: 5})
	if got, want := ids(res.Paths), []string{"internet>a>b>c>db"}; !slices.Equal(got, want) {
		t.Errorf("paths = %v, want %v", got, want)
	}
	if res.Truncated {
		t.Error("truncated on a tiny cycle")
	}
}

// hub: the Internet reaches a hub that reaches 100k nodes which all reach
// each other in a ring and a target.
func hub(n int) *graph.Graph {
	nodes := []graph.Node{{ID: graph.InternetID, Kind: graph.KindInternet}, {ID: "hub", Kind: graph.KindCompute},
		{ID: "db", Kind: graph.KindDatabase, Sensitivity: rest}}
	edges := []graph.Edge{{From: graph.InternetID, To: "hub", Kind: graph.EdgeExposedTo, Technique: "t"}}
	for i := range n {
		id := fmt.Sprintf("w%06d", i)
		nodes = append(nodes, graph.Node{ID: id, Kind: graph.KindCompute})
		edges = append(edges, graph.Edge{From: "hub", To: id, Kind: graph.EdgeReaches, Technique: "t"},
			graph.Edge{From: id, To: fmt.Sprintf("w%06d", (i+1)%n), Kind: graph.EdgeReaches, Technique: "t"},
			graph.Edge{From: id, To: "db", Kind: graph.EdgeReads, Technique: "t", Likelihood: 0.01})
	}
	return graph.Assemble(nodes, edges, nil)
}

func TestSearchTruncatesOnAHubWithinTheBudget(t *testing.T) {
	g := hub(100_000)
	res := mustSearch(t, g, Options{MaxWork: 50_000})
	if !res.Truncated {
		t.Fatalf("not truncated after %d edges scanned", res.Stats.EdgesScanned)
	}
	if res.Stats.EdgesScanned > 50_000 {
		t.Errorf("scanned %d edges, budget 50000", res.Stats.EdgesScanned)
	}
	full := mustSearch(t, g, Options{MaxWork: 10_000_000})
	if full.Truncated || len(full.Paths) != 3 {
		t.Errorf("with budget: truncated=%v, %d paths, want 3", full.Truncated, len(full.Paths))
	}
}

func TestSearchIsCancellable(t *testing.T) {
	g := hub(20_000)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := Search(ctx, g, Options{}); !errors.Is(err, context.Canceled) {
		t.Errorf("err = %v, want context.Canceled", err)
	}
}

func TestSearchFlagsConditionalAndStale(t *testing.T) {
	b := chain()
	b.edges[1].Conditional = true // web -> role
	b.edges[2].Stale = true       // role -> bucket
	g := b.build()
	p := mustSearch(t, g, Options{}).Paths[0]
	var cond, stale []bool
	for _, h := range p.Hops {
		cond, stale = append(cond, h.Conditional), append(stale, h.Stale)
	}
	if !p.Conditional || !p.Stale {
		t.Errorf("path conditional=%v stale=%v, want both", p.Conditional, p.Stale)
	}
	if want := []bool{false, true, false}; !slices.Equal(cond, want) {
		t.Errorf("conditional = %v, want %v", cond, want)
	}
	if want := []bool{false, false, true}; !slices.Equal(stale, want) {
		t.Errorf("stale = %v, want %v", stale, want)
	}
	if got, want := p.Hops[1].Likelihood, DefaultLikelihood(graph.EdgeUsesIdentity)*ConditionalFactor; got-want > 1e-6 || want-got > 1e-6 {
		t.Errorf("conditional hop likelihood %v, want %v", got, want)
	}
	g.Node("bucket").Stale = true
	if p := mustSearch(t, g, Options{}).Paths[0]; !p.Hops[2].Stale {
		t.Error("hop into a stale node is not flagged")
	}
}

func TestSearchRemovedFindingsCutEdges(t *testing.T) {
	g := chain().move("web", "bucket", graph.EdgeReads, 0.1, "f-web-read").build()
	for _, tc := range []struct {
		removed []string
		want    []string
	}{
		{nil, []string{"internet>web>role>bucket", "internet>web>bucket"}},
		{[]string{"f-wide-policy"}, []string{"internet>web>bucket"}},
		{[]string{"f-imdsv1", "f-web-read"}, nil},
		{[]string{"f-open-sg"}, nil},
		{[]string{"unknown"}, []string{"internet>web>role>bucket", "internet>web>bucket"}},
	} {
		if got := ids(mustSearch(t, g, Options{RemovedFindings: tc.removed}).Paths); !slices.Equal(got, tc.want) {
			t.Errorf("removed %v: %v, want %v", tc.removed, got, tc.want)
		}
	}
}

func TestSearchAccountFilter(t *testing.T) {
	b := chain()
	b.nodes[3].Account = "222" // role
	g := b.build()
	for _, tc := range []struct {
		accounts []string
		want     int
	}{{nil, 1}, {[]string{"222"}, 1}, {[]string{"111"}, 1}, {[]string{"333"}, 0}} {
		if got := len(mustSearch(t, g, Options{Accounts: tc.accounts}).Paths); got != tc.want {
			t.Errorf("accounts %v: %d paths, want %d", tc.accounts, got, tc.want)
		}
	}
	if got := len(mustSearch(t, g, Options{Clouds: []graph.Cloud{graph.CloudGCP}}).Paths); got != 0 {
		t.Errorf("gcp filter kept %d paths", got)
	}
}

// Removing a finding removes exactly the paths that cited it (with Top large
// enough that every path is kept, so none is displaced into view).
func TestPropertyRemovingAFindingRemovesExactlyItsPaths(t *testing.T) {
	r := rand.New(rand.NewPCG(11, 13))
	checked := 0
	for i := 0; i < 300; i++ {
		g := randomGraph(r, 6, 14, 4).build()
		all := mustSearch(t, g, Options{Top: MaxTop, MaxDepth: 5})
		if len(all.Paths) == 0 || len(bruteForce(g, 5, conf, nil)) > MaxTop {
			continue
		}
		f := fmt.Sprintf("f%d", r.IntN(4))
		want := map[string]bool{}
		for _, p := range all.Paths {
			if !slices.Contains(p.Findings(), f) {
				want[p.ID] = true
			}
		}
		after := mustSearch(t, g, Options{Top: MaxTop, MaxDepth: 5, RemovedFindings: []string{f}})
		got := map[string]bool{}
		for _, p := range after.Paths {
			got[p.ID] = true
		}
		if !mapsEqual(got, want) {
			t.Fatalf("graph %d: removing %s left %d paths, want %d", i, f, len(got), len(want))
		}
		checked++
	}
	if checked < 100 {
		t.Fatalf("only %d graphs checked", checked)
	}
}

func TestProjectionIsCompact(t *testing.T) {
	g := hub(1000)
	p := NewProjection(g)
	if p.NumEdges() != 3001 || p.Dangling != 0 {
		t.Fatalf("edges = %d dangling = %d", p.NumEdges(), p.Dangling)
	}
	if bpe := p.BytesPerEdge(); bpe >= 16 {
		t.Errorf("%.1f bytes per edge, want < 16", bpe)
	}
}

func TestProjectionSkipsDanglingEdges(t *testing.T) {
	b := chain().move("role", "ghost", graph.EdgeReads, 1)
	p := NewProjection(b.build())
	if p.Dangling != 1 {
		t.Errorf("dangling = %d, want 1", p.Dangling)
	}
	if _, err := p.Search(context.Background(), Options{}); err != nil {
		t.Error(err)
	}
}

// TestProjectionIsTheSameOnOneCoreAndMany: a graph large enough that the
// endpoints are resolved in ranges on several cores, with fact edges, edges
// to nodes nobody loaded and runs of one source crossing the range bounds,
// projects to exactly what one core builds.
func TestProjectionIsTheSameOnOneCoreAndMany(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 15))
	b := (&builder{}).internet()
	const nodes = 3000
	for i := range nodes {
		b.node(fmt.Sprintf("n%05d", i), graph.KindRole, graph.SensitivityNone)
	}
	kinds := []graph.EdgeKind{graph.EdgeAssumes, graph.EdgeReads, graph.EdgeMemberOf, graph.EdgeExposedTo}
	for len(b.edges) < 200_000 {
		from := fmt.Sprintf("n%05d", r.IntN(nodes))
		for range 1 + r.IntN(200) { // long runs of one source
			to := fmt.Sprintf("n%05d", r.IntN(nodes+50)) // some nobody loaded
			b.move(from, to, kinds[r.IntN(len(kinds))], r.Float64())
		}
	}
	g := b.build()
	prev := runtime.GOMAXPROCS(1)
	one := NewProjection(g)
	runtime.GOMAXPROCS(4)
	many := NewProjection(g)
	runtime.GOMAXPROCS(prev)
	if one.Dangling == 0 || one.NumEdges() == 0 || one.NumEdges()+one.Dangling == len(g.Edges) {
		t.Fatalf("fixture: %d projected, %d dangling of %d edges; want some of each and some facts", one.NumEdges(), one.Dangling, len(g.Edges))
	}
	if !reflect.DeepEqual(one, many) {
		t.Fatalf("projection on 4 cores differs from one core: %d/%d edges, %d/%d dangling", many.NumEdges(), one.NumEdges(), many.Dangling, one.Dangling)
	}
}
