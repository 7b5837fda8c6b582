package queries_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"io"
	"log/slog"
	"os"
	"slices"
	"testing"

	neo "github.com/neo4j/neo4j-go-driver/v5/neo4j"

	"github.com/breachpath/breachpath/collector/synthetic"
	"github.com/breachpath/breachpath/graph"
	bpneo4j "github.com/breachpath/breachpath/graph/neo4j"
	"github.com/breachpath/breachpath/queries"
)

// The equivalence test runs against the server named by
// BREACHPATH_TEST_NEO4J_URI (scripts/neo4j-dev.sh up; export
// BREACHPATH_TEST_NEO4J_URI=$(scripts/neo4j-dev.sh uri)). It skips when that
// is unset, unless BREACHPATH_REQUIRE_NEO4J is set, and then it fails —
// as it does whenever the server is unreachable.
const (
	envURI      = "BREACHPATH_TEST_NEO4J_URI"
	envUser     = "BREACHPATH_TEST_NEO4J_USER"
	envPassword = "BREACHPATH_TEST_NEO4J_PASSWORD"
	envRequire  = "BREACHPATH_REQUIRE_NEO4J"
)

func neo4jURI(t *testing.T) string {
	t.Helper()
	uri := os.Getenv(envURI)
	if uri == "" {
		if os.Getenv(envRequire) != "" {
			t.Fatalf("%s is set but %s is unset: start the server with scripts/neo4j-dev.sh up and export %s=$(scripts/neo4j-dev.sh uri)",
				envRequire, envURI, envURI)
		}
		t.Skipf("%s is unset: Cypher equivalence test skipped (scripts/neo4j-dev.sh up; export %s=$(scripts/neo4j-dev.sh uri))", envURI, envURI)
	}
	return uri
}

// TestCypherMatchesGo loads the 1k synthetic estate plus the feature scope
// into Neo4j through the graph/neo4j store, runs every query's Cypher with
// the driver and requires exactly the rows — values and order — that the
// Go implementation computes over the graph the same store loads.
func TestCypherMatchesGo(t *testing.T) {
	uri := neo4jURI(t)
	ctx := context.Background()
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))

	var b [6]byte
	if _, err := rand.Read(b[:]); err != nil {
		t.Fatal(err)
	}
	ns := "q" + hex.EncodeToString(b[:]) // isolates this test's rows on a shared server
	st, err := bpneo4j.Open(ctx, uri, bpneo4j.Options{User: os.Getenv(envUser), Password: os.Getenv(envPassword), Namespace: ns, Logger: quiet})
	if err != nil {
		t.Fatalf("open neo4j store at %s: %v", uri, err)
	}
	t.Cleanup(func() {
		if err := st.Purge(context.Background()); err != nil {
			t.Errorf("purge namespace %s: %v", ns, err)
		}
		if err := st.Close(); err != nil {
			t.Error(err)
		}
	})

	est, err := synthetic.Generate(ctx, synthetic.Options{
		Seed: 7, Resources: 1000, PlantedPaths: len(synthetic.Patterns()), Decoys: len(synthetic.DecoyKinds())})
	if err != nil {
		t.Fatal(err)
	}
	snaps := append(slices.Clone(est.Snapshots), featureSnapshot(true), featureSnapshot(false), mergeSnapshot(t, est), cycleSnapshot())
	for _, s := range snaps {
		if _, err := st.Sync(ctx, s); err != nil {
			t.Fatalf("sync %s: %v", s.Scope, err)
		}
	}
	g, err := st.Load(ctx, graph.Filter{})
	if err != nil {
		t.Fatal(err)
	}

	auth := neo.NoAuth()
	if u, p := os.Getenv(envUser), os.Getenv(envPassword); u != "" || p != "" {
		auth = neo.BasicAuth(u, p, "")
	}
	drv, err := neo.NewDriverWithContext(uri, auth)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { drv.Close(context.Background()) })

	entry := est.Truth.Planted[0].Nodes[1]
	cases := map[string][]map[string]any{
		"public-sensitive-data":            {nil, {"threshold": "restricted"}, {"max_hops": 2}},
		"sensitive-reachable-from":         {{"from": entry}, {"from": featWeb, "threshold": "internal"}},
		"internet-exposed-admin-compute":   {nil, {"max_hops": 1}},
		"escalation-to-admin":              {nil},
		"shadow-admins":                    {nil, {"name_marker": "ops", "max_hops": 1}},
		"secrets-readable-from-outside":    {nil, {"max_hops": 1}},
		"data-stores-without-owner":        {nil, {"tag": "data-classification"}, {"tag": "data-classification", "min_sensitivity": "public"}},
		"findings-off-path":                {nil, {"min_severity": "high", "threshold": "restricted"}, {"max_hops": 3}},
		"crown-jewels-most-inbound":        {nil, {"limit": 3}},
		"unencrypted-sensitive-databases":  {nil, {"threshold": "internal"}},
		"stale-nodes":                      {nil},
		"imdsv1-compute-with-identity":     {nil},
		"anonymous-data-access":            {nil},
		"cross-account-assumes":            {nil},
		"conditional-moves":                {nil},
		"external-trust-without-condition": {nil},
		"escalation-cycles":                {nil},
	}
	for _, q := range queries.All() {
		variants, ok := cases[q.Name]
		if !ok {
			t.Errorf("query %s has no equivalence case", q.Name)
			continue
		}
		t.Run(q.Name, func(t *testing.T) {
			nonEmpty := false
			for _, params := range variants {
				want, err := q.Run(ctx, g, params)
				if err != nil {
					t.Fatalf("Go %v: %v", params, err)
				}
				cp, err := q.CypherParams(params, ns)
				if err != nil {
					t.Fatal(err)
				}
				res, err := neo.ExecuteQuery(ctx, drv, q.Cypher, cp, neo.EagerResultTransformer,
					neo.ExecuteQueryWithDatabase(bpneo4j.DefaultDatabase), neo.ExecuteQueryWithReadersRouting())
				if err != nil {
					t.Fatalf("Cypher %v: %v\n%s", params, err, q.Cypher)
				}
				if !slices.Equal(res.Keys, q.Columns) {
					t.Fatalf("Cypher %v returns columns %v, want %v", params, res.Keys, q.Columns)
				}
				got := make([][]any, len(res.Records))
				for i, r := range res.Records {
					got[i] = r.Values
				}
				if g, w := canonical(t, got), canonical(t, want.Rows); g != w {
					t.Errorf("params %v: Cypher rows differ from Go rows\ncypher (%d): %s\ngo     (%d): %s", params, len(got), g, len(want.Rows), w)
				}
				t.Logf("params %v: %d rows", params, len(want.Rows))
				nonEmpty = nonEmpty || len(want.Rows) > 0
			}
			if !nonEmpty {
				t.Errorf("every variant returned no rows: the comparison proves nothing; extend the fixture")
			}
		})
	}
}

// canonical renders rows as JSON: Neo4j lists come back as []any and
// integers as int64, which JSON makes equal to the Go values.
func canonical(t *testing.T, rows [][]any) string {
	t.Helper()
	b, err := json.Marshal(rows)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// mergeSnapshot is a scope that stores a copy of a planted anonymous read,
// marked conditional, from its own stubs: Go merges the two copies (one
// unconditional copy makes the move unconditional) and the Cypher must
// reach the same answer by grouping copies.
func mergeSnapshot(t *testing.T, est *synthetic.Estate) *graph.Snapshot {
	t.Helper()
	g := assemble(est.Snapshots)
	for _, p := range est.Truth.Planted {
		if src := g.Node(p.Nodes[0]); len(p.Nodes) == 2 && src.IsAnonymous() {
			target := *g.Node(p.Target)
			target.Stub, target.CrownJewel, target.Name = true, false, "stub-copy" // a stub that disagrees: the owned copy must win
			e := *edgeByKey(g, p.Edges[0])
			e.Conditional = true
			e.Findings = nil // findings live with the owning scope
			return &graph.Snapshot{
				Scope: graph.Scope{Cloud: graph.CloudGCP, ID: "merge-test"}, CollectedAt: featTime, Collector: "test",
				Nodes: []graph.Node{*src, target}, Edges: []graph.Edge{e},
			}
		}
	}
	t.Fatal("the synthetic estate has no one-hop anonymous path")
	return nil
}
