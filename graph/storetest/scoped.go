package storetest

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/breachpath/breachpath/collector/synthetic"
	"github.com/breachpath/breachpath/graph"
	"github.com/breachpath/breachpath/graph/scoped"
	"github.com/breachpath/breachpath/paths"
	"github.com/breachpath/breachpath/scoring"
)

// testLinks: every sync leaves a current cross-scope index beside the
// scope's projection (an unchanged or changed re-sync too), and it says
// which nodes the scope owns and what the scope does with its stubs.
func testLinks(t *testing.T, open func(t *testing.T) graph.Store) {
	s := open(t)
	ctx := context.Background()
	role, user, a := stubbedRole()
	a.Nodes = append(a.Nodes, graph.Node{ID: graph.InternetID, Kind: graph.KindInternet, Stub: true})
	a.Edges = append(a.Edges, graph.Edge{From: graph.InternetID, To: user, Kind: graph.EdgeExposedTo, Technique: "net.internet-exposure"})
	b := &graph.Snapshot{Scope: scopeB, CollectedAt: at(0),
		Nodes: []graph.Node{{ID: role, Kind: graph.KindRole, Cloud: graph.CloudAWS, Name: "shared", Account: scopeB.ID, Service: "iam"}}}
	resA := mustSync(t, s, a)
	mustSync(t, s, b)
	check := func(step string, wantSyncA int64) {
		t.Helper()
		ix, err := s.Links(ctx, graph.Filter{})
		if err != nil {
			t.Fatalf("%s: Links: %v", step, err)
		}
		if len(ix) != 2 || ix[scopeA].Links == nil || ix[scopeB].Links == nil {
			t.Fatalf("%s: Links = %+v, want a current index of both scopes", step, ix)
		}
		if ix[scopeA].SyncID != wantSyncA {
			t.Errorf("%s: index of %s at sync %d, want %d", step, scopeA, ix[scopeA].SyncID, wantSyncA)
		}
		la, lb := ix[scopeA].Links, ix[scopeB].Links
		if !la.Owns(user) || la.Owns(role) || !lb.Owns(role) || lb.Owns(user) {
			t.Errorf("%s: owned nodes wrong: A owns user %v, role %v; B owns role %v, user %v", step, la.Owns(user), la.Owns(role), lb.Owns(role), lb.Owns(user))
		}
		if f, ok := la.Ref(role); !ok || f != graph.LinkMoveIn {
			t.Errorf("%s: A's reference to the role = %v %v, want a move into it", step, f, ok)
		}
		if f, ok := la.Ref(graph.InternetID); !ok || f != graph.LinkMoveOut {
			t.Errorf("%s: A's reference to the Internet = %v %v, want a move out of it", step, f, ok)
		}
		if len(lb.Refs) != 0 {
			t.Errorf("%s: B references %+v, want nothing", step, lb.Refs)
		}
		if only, err := s.Links(ctx, only(scopeB)); err != nil || len(only) != 1 {
			t.Errorf("%s: Links(only B) = %d scopes, %v; want 1", step, len(only), err)
		}
	}
	check("first sync", resA.SyncID)
	a.CollectedAt = at(1)
	again := mustSync(t, s, a)
	check("unchanged re-sync", again.SyncID)
	a.Nodes[0].Name = "alice"
	a.CollectedAt = at(2)
	changed := mustSync(t, s, a)
	check("changed re-sync", changed.SyncID)
}

// Hand-made scopes of the scoped-load property test, beside the synthetic
// estate's (which use other account ids).
var (
	scopeTrustA  = graph.Scope{Cloud: graph.CloudAWS, ID: "310000000001"} // exposed VM whose role is trusted by B
	scopeTrustB  = graph.Scope{Cloud: graph.CloudAWS, ID: "310000000002"} // trusts A's role; holds the secret
	scopeOnlyIn  = graph.Scope{Cloud: graph.CloudAWS, ID: "320000000001"} // exposed VM using a role of the next scope
	scopeOnlyOut = graph.Scope{Cloud: graph.CloudAWS, ID: "320000000002"} // owns that role and a database, no exposure
	scopeAlone   = graph.Scope{Cloud: graph.CloudAWS, ID: "330000000001"} // a public bucket, linked to nothing
)

// crossScopeSnapshots are the hand-made cases: a role trusted across
// accounts (the trusting scope holds the trusted role as a stub and the
// move out of it), a stub that is the only link (the exposed scope holds
// the move into another scope's role, which that scope does not mention
// back), and a scope linked to nothing.
func crossScopeSnapshots() []*graph.Snapshot {
	internet := graph.Node{ID: graph.InternetID, Kind: graph.KindInternet, Name: "Internet", Stub: true}
	vm := func(sc graph.Scope, name string) graph.Node {
		return graph.Node{ID: awsARN(sc, "ec2", "us-east-1", "instance/"+name), Kind: graph.KindCompute, Cloud: graph.CloudAWS,
			Name: name, Account: sc.ID, Region: "us-east-1", Service: "ec2"}
	}
	role := func(sc graph.Scope, name string) graph.Node {
		return graph.Node{ID: "arn:aws:iam::" + sc.ID + ":role/" + name, Kind: graph.KindRole, Cloud: graph.CloudAWS,
			Name: name, Account: sc.ID, Service: "iam"}
	}
	stub := func(n graph.Node) graph.Node {
		return graph.Node{ID: n.ID, Kind: n.Kind, Cloud: n.Cloud, Account: n.Account, Stub: true}
	}
	move := func(from, to graph.Node, k graph.EdgeKind, tech string, fs ...string) graph.Edge {
		return graph.Edge{From: from.ID, To: to.ID, Kind: k, Technique: tech, Evidence: []string{tech + " evidence"}, Findings: fs}
	}
	finding := func(rule string, on graph.Node) graph.Finding {
		return graph.Finding{ID: graph.FindingID(rule, on.ID), RuleID: rule, Resource: on.ID, Severity: graph.SeverityHigh, Title: rule}
	}

	vmA, roleA := vm(scopeTrustA, "jenkins"), role(scopeTrustA, "jenkins")
	openA := finding("aws.ec2.sg-open-admin-port", vmA)
	roleB := role(scopeTrustB, "deployer")
	secretB := graph.Node{ID: awsARN(scopeTrustB, "secretsmanager", "us-east-1", "secret:db-master"), Kind: graph.KindSecret,
		Cloud: graph.CloudAWS, Name: "db-master", Account: scopeTrustB.ID, Service: "secretsmanager", Sensitivity: graph.SensitivityRestricted, CrownJewel: true}
	trustB := finding("aws.iam.role-trusts-account-root", roleB)

	vmIn, roleOut := vm(scopeOnlyIn, "web"), role(scopeOnlyOut, "app")
	dbOut := graph.Node{ID: awsARN(scopeOnlyOut, "rds", "us-east-1", "db:ledger"), Kind: graph.KindDatabase, Cloud: graph.CloudAWS,
		Name: "ledger", Account: scopeOnlyOut.ID, Service: "rds", Sensitivity: graph.SensitivityRestricted}
	openIn := finding("aws.ec2.sg-open-admin-port", vmIn)

	bucket := graph.Node{ID: "arn:aws:s3:::alone-" + scopeAlone.ID, Kind: graph.KindBucket, Cloud: graph.CloudAWS, Name: "alone",
		Account: scopeAlone.ID, Service: "s3", Sensitivity: graph.SensitivityConfidential}
	public := finding("aws.s3.public-read", bucket)

	snap := func(sc graph.Scope, nodes []graph.Node, edges []graph.Edge, fs ...graph.Finding) *graph.Snapshot {
		return &graph.Snapshot{Scope: sc, CollectedAt: at(0), Collector: "storetest", Nodes: nodes, Edges: edges, Findings: fs}
	}
	return []*graph.Snapshot{
		snap(scopeTrustA, []graph.Node{internet, vmA, roleA}, []graph.Edge{
			move(internet, vmA, graph.EdgeExposedTo, "net.internet-exposure", openA.ID),
			move(vmA, roleA, graph.EdgeUsesIdentity, "aws.ec2.imds-credential-theft"),
		}, openA),
		snap(scopeTrustB, []graph.Node{stub(roleA), roleB, secretB}, []graph.Edge{
			move(roleA, roleB, graph.EdgeAssumes, "aws.sts.assume-role", trustB.ID),
			move(roleB, secretB, graph.EdgeReads, "aws.secretsmanager.get-secret-value"),
		}, trustB),
		snap(scopeOnlyIn, []graph.Node{internet, vmIn, stub(roleOut)}, []graph.Edge{
			move(internet, vmIn, graph.EdgeExposedTo, "net.internet-exposure", openIn.ID),
			move(vmIn, roleOut, graph.EdgeUsesIdentity, "aws.ec2.imds-credential-theft"),
		}, openIn),
		snap(scopeOnlyOut, []graph.Node{roleOut, dbOut}, []graph.Edge{
			move(roleOut, dbOut, graph.EdgeReads, "aws.rds.connect"),
		}),
		snap(scopeAlone, []graph.Node{internet, bucket}, []graph.Edge{
			move(internet, bucket, graph.EdgeReads, "aws.s3.public-read", public.ID),
		}, public),
	}
}

// answer is what `paths --format json` and `plan --format json` print for
// a question, or the error it fails with.
func answer(ctx context.Context, g *graph.Graph, opts paths.Options) []byte {
	var buf bytes.Buffer
	an, err := scoring.Analyse(ctx, g, opts, scoring.Options{})
	if err != nil {
		return []byte("error: " + err.Error())
	}
	enc := json.NewEncoder(&buf)
	enc.SetIndent("", "  ")
	_ = enc.Encode(struct {
		Paths     []scoring.ScoredPath `json:"paths"`
		Truncated bool                 `json:"truncated"`
	}{an.Report.Paths, an.Found.Truncated})
	plan, err := scoring.MakePlan(ctx, g, scoring.PlanOptions{Search: opts})
	if err != nil {
		fmt.Fprintf(&buf, "plan error: %v\n", err)
		return buf.Bytes()
	}
	_ = enc.Encode(plan)
	return buf.Bytes()
}

// Scoped is the property test of graph/scoped over a store: on a
// synthetic estate of several scopes with cross-scope links, plus the
// hand-made cross-scope cases, for many random targets and sources the
// answer (paths, scores, plan, byte for byte as the CLI prints them) from
// the scopes the closure selects equals the answer from every scope; the
// closure really selects fewer scopes where it should; and after
// staleIndex makes one scope's index stale (as an older breachpath's sync
// would leave it) the loader reads every scope and still answers the same.
func Scoped(t *testing.T, open func(t *testing.T) graph.Store, resources int, staleIndex func(t *testing.T, s graph.Store, sc graph.Scope)) {
	ctx := context.Background()
	s := open(t)
	est, err := synthetic.Generate(ctx, synthetic.Options{Seed: 15, Resources: resources})
	if err != nil {
		t.Fatal(err)
	}
	snaps := append(est.Snapshots, crossScopeSnapshots()...)
	for _, snap := range snaps {
		mustSync(t, s, snap)
	}
	filter := graph.Filter{SkipFacts: true}
	full := mustLoad(t, s, filter)
	ix, err := s.Links(ctx, filter)
	if err != nil {
		t.Fatal(err)
	}
	if len(ix) != len(snaps) {
		t.Fatalf("index of %d scopes, want %d", len(ix), len(snaps))
	}

	t.Run("hand-made cross-scope cases select exactly their scopes", func(t *testing.T) {
		id := func(sc graph.Scope, i int) string {
			return crossScopeSnapshots()[slices.Index(scopesOf(crossScopeSnapshots()), sc)].Nodes[i].ID
		}
		tests := []struct {
			name string
			q    scoped.Query
			want []graph.Scope
			// internet: paths start at the Internet, whose copy comes from
			// the first scope holding it
			internet bool
		}{
			{"target behind a cross-account trust", scoped.Query{Targets: []string{id(scopeTrustB, 2)}}, []graph.Scope{scopeTrustA, scopeTrustB}, true},
			{"target reached only through a stub of its scope's role", scoped.Query{Targets: []string{id(scopeOnlyOut, 1)}}, []graph.Scope{scopeOnlyIn, scopeOnlyOut}, true},
			{"source whose only link is a stub it holds", scoped.Query{Sources: []string{id(scopeOnlyIn, 1)}}, []graph.Scope{scopeOnlyIn, scopeOnlyOut}, false},
			{"source whose role another scope trusts", scoped.Query{Sources: []string{id(scopeTrustA, 1)}}, []graph.Scope{scopeTrustA, scopeTrustB}, false},
			{"target in a scope linked to nothing", scoped.Query{Targets: []string{id(scopeAlone, 1)}}, []graph.Scope{scopeAlone}, true},
		}
		// the Internet is nobody's node: a load keeps the copy of the first
		// scope holding it, so every closure through it reads that scope
		var first graph.Scope
		for sc, x := range ix {
			if _, ok := x.Links.Ref(graph.InternetID); ok && (first == graph.Scope{} || sc.String() < first.String()) {
				first = sc
			}
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				if tt.internet {
					tt.want = append(tt.want, first)
				}
				slices.SortFunc(tt.want, func(a, b graph.Scope) int { return strings.Compare(a.String(), b.String()) })
				tt.want = slices.Compact(tt.want)
				p := scoped.Closure(ix, tt.q)
				if p.Full || !slices.Equal(p.Scopes, tt.want) {
					t.Errorf("closure = %v (full %v: %s), want %v", p.Scopes, p.Full, p.Why, tt.want)
				}
				opts := paths.Options{Sources: tt.q.Sources, Targets: tt.q.Targets}
				g, _, err := scoped.Load(ctx, s, filter, tt.q, nil)
				if err != nil {
					t.Fatal(err)
				}
				got, want := answer(ctx, g, opts), answer(ctx, full, opts)
				if !bytes.Equal(got, want) {
					t.Errorf("scoped answer differs from the full load's:\n%s\nwant\n%s", got, want)
				}
				if !bytes.Contains(want, []byte(`"hops"`)) {
					t.Errorf("the full answer has no path; the case tests nothing:\n%s", want)
				}
			})
		}
	})

	// random questions over the whole estate
	rng := rand.New(rand.NewPCG(15, 15))
	var targets, movers []string
	moveOut := map[string]bool{}
	for i := range full.Edges {
		moveOut[full.Edges[i].From] = true
	}
	for i := range full.Nodes {
		n := &full.Nodes[i]
		if n.IsTarget(paths.DefaultThreshold) {
			targets = append(targets, n.ID)
		}
		if moveOut[n.ID] {
			movers = append(movers, n.ID)
		}
	}
	pick := func(l []string) string { return l[rng.IntN(len(l))] }
	var questions []scoped.Query
	for range 30 {
		questions = append(questions, scoped.Query{Targets: []string{pick(targets)}})
	}
	for range 10 {
		questions = append(questions, scoped.Query{Targets: []string{full.Nodes[rng.IntN(len(full.Nodes))].ID}})
	}
	for range 20 {
		questions = append(questions, scoped.Query{Sources: []string{pick(movers)}})
	}
	questions = append(questions, scoped.Query{Sources: []string{graph.InternetID}})
	for range 5 {
		questions = append(questions, scoped.Query{Sources: []string{pick(movers)}, Targets: []string{pick(targets), pick(targets)}})
	}
	fewer, withPaths := 0, 0
	t.Run("random targets and sources answer as the full load", func(t *testing.T) {
		for i, q := range questions {
			opts := paths.Options{Sources: q.Sources, Targets: q.Targets}
			g, st, err := scoped.Load(ctx, s, filter, q, nil)
			if err != nil {
				t.Fatalf("question %d %+v: %v", i, q, err)
			}
			if st.Full {
				t.Errorf("question %d %+v loaded every scope: %s", i, q, st.Why)
			}
			if st.Loaded < st.Of {
				fewer++
				if len(g.Nodes) >= len(full.Nodes) {
					t.Errorf("question %d: %d of %d scopes but %d nodes, as many as the full load's", i, st.Loaded, st.Of, len(g.Nodes))
				}
			}
			got, want := answer(ctx, g, opts), answer(ctx, full, opts)
			if bytes.Contains(want, []byte(`"hops"`)) {
				withPaths++
			}
			if !bytes.Equal(got, want) {
				t.Errorf("question %d %+v (%d of %d scopes): the answer differs from the full load's:\n%s\nwant\n%s", i, q, st.Loaded, st.Of, got, want)
			}
		}
	})
	t.Logf("%d questions over %d scopes: %d read fewer scopes, %d have paths", len(questions), len(snaps), fewer, withPaths)
	// a test that a full load would pass proves nothing: most questions
	// about one target must read fewer scopes, and many must have paths
	if fewer < len(questions)/2 {
		t.Errorf("only %d of %d questions read fewer scopes than the estate's %d", fewer, len(questions), len(snaps))
	}
	if withPaths < 10 {
		t.Errorf("only %d of %d questions have paths in the full answer", withPaths, len(questions))
	}

	t.Run("neighbourhood walks see the same nodes and edges as on the full load", func(t *testing.T) {
		all := mustLoad(t, s, graph.Filter{})
		reads := 0
		// random nodes, and the hand-made scopes' nodes, whose walks cross scopes
		var seeds []string
		for range 20 {
			seeds = append(seeds, all.Nodes[rng.IntN(len(all.Nodes))].ID)
		}
		for _, snap := range crossScopeSnapshots() {
			for _, n := range snap.Nodes {
				if !n.Stub {
					seeds = append(seeds, n.ID)
				}
			}
		}
		for i, id := range seeds {
			depth := 1 + i%3
			g, st, err := scoped.Load(ctx, s, graph.Filter{}, scoped.Query{Sources: []string{id}, Neighbourhood: true, Depth: depth}, nil)
			if err != nil {
				t.Fatal(err)
			}
			if st.Loaded < st.Of {
				reads++
			}
			if got, want := walk(g, id, depth), walk(all, id, depth); !bytes.Equal(got, want) {
				t.Errorf("walk of %d from %q over %d of %d scopes differs from the full load's:\n%s\nwant\n%s", depth, id, st.Loaded, st.Of, got, want)
			}
		}
		if reads == 0 {
			t.Error("no neighbourhood read fewer scopes than the estate")
		}
	})

	t.Run("a scope with a stale index makes the loader read every scope", func(t *testing.T) {
		staleIndex(t, s, scopeTrustB)
		q := scoped.Query{Targets: []string{crossScopeSnapshots()[1].Nodes[2].ID}}
		g, st, err := scoped.Load(ctx, s, filter, q, nil)
		if err != nil {
			t.Fatal(err)
		}
		if !st.Full || st.Loaded != len(snaps) {
			t.Errorf("stats %+v, want a full load of %d scopes", st, len(snaps))
		}
		opts := paths.Options{Targets: q.Targets}
		if got, want := answer(ctx, g, opts), answer(ctx, full, opts); !bytes.Equal(got, want) {
			t.Errorf("answer differs from the full load's:\n%s\nwant\n%s", got, want)
		}
	})
}

func scopesOf(snaps []*graph.Snapshot) []graph.Scope {
	out := make([]graph.Scope, len(snaps))
	for i, s := range snaps {
		out[i] = s.Scope
	}
	return out
}

// walk returns, as JSON, every node within depth hops of id over edges of
// any kind in either direction, and every edge between two of them: what a
// neighbourhood view shows.
func walk(g *graph.Graph, id string, depth int) []byte {
	adj := map[string][]int{}
	for i := range g.Edges {
		e := &g.Edges[i]
		adj[e.From] = append(adj[e.From], i)
		adj[e.To] = append(adj[e.To], i)
	}
	seen := map[string]bool{id: true}
	frontier := []string{id}
	for range depth {
		var next []string
		for _, v := range frontier {
			for _, i := range adj[v] {
				for _, w := range []string{g.Edges[i].From, g.Edges[i].To} {
					if !seen[w] {
						seen[w] = true
						next = append(next, w)
					}
				}
			}
		}
		frontier = next
	}
	var out struct {
		Nodes []graph.Node
		Edges []graph.Edge
	}
	for i := range g.Nodes {
		if seen[g.Nodes[i].ID] {
			out.Nodes = append(out.Nodes, g.Nodes[i])
		}
	}
	for i := range g.Edges {
		if seen[g.Edges[i].From] && seen[g.Edges[i].To] {
			out.Edges = append(out.Edges, g.Edges[i])
		}
	}
	b, _ := json.Marshal(out)
	return b
}
