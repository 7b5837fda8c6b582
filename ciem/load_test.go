package ciem_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"io"
	"log/slog"
	mrand "math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/breachpath/breachpath/ciem"
	"github.com/breachpath/breachpath/collector"
	awscollector "github.com/breachpath/breachpath/collector/aws"
	"github.com/breachpath/breachpath/collector/synthetic"
	"github.com/breachpath/breachpath/graph"
	"github.com/breachpath/breachpath/graph/embedded"
	bpneo4j "github.com/breachpath/breachpath/graph/neo4j"
)

// The Neo4j half runs against the server named by BREACHPATH_TEST_NEO4J_URI
// (scripts/neo4j-dev.sh up; export BREACHPATH_TEST_NEO4J_URI=$(scripts/neo4j-dev.sh uri));
// it skips when that is unset, unless BREACHPATH_REQUIRE_NEO4J is set.
func loadTestStores(t *testing.T) map[string]graph.Store {
	t.Helper()
	ctx := context.Background()
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	emb, err := embedded.Open(ctx, filepath.Join(t.TempDir(), "bp.db"), embedded.WithLogger(quiet))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { emb.Close() })
	stores := map[string]graph.Store{"embedded": emb}
	uri := os.Getenv("BREACHPATH_TEST_NEO4J_URI")
	switch {
	case uri == "" && os.Getenv("BREACHPATH_REQUIRE_NEO4J") != "":
		t.Fatal("BREACHPATH_REQUIRE_NEO4J is set but BREACHPATH_TEST_NEO4J_URI is unset: scripts/neo4j-dev.sh up")
	case uri == "":
		t.Log("BREACHPATH_TEST_NEO4J_URI is unset: the Neo4j store is not compared (scripts/neo4j-dev.sh up)")
		return stores
	}
	var b [6]byte
	if _, err := rand.Read(b[:]); err != nil {
		t.Fatal(err)
	}
	ns := "ciem" + hex.EncodeToString(b[:]) // this test's rows only, on a shared server
	neo, err := bpneo4j.Open(ctx, uri, bpneo4j.Options{User: os.Getenv("BREACHPATH_TEST_NEO4J_USER"),
		Password: os.Getenv("BREACHPATH_TEST_NEO4J_PASSWORD"), Namespace: ns, Logger: quiet})
	if err != nil {
		t.Fatalf("open neo4j store at %s: %v", uri, err)
	}
	t.Cleanup(func() {
		if err := neo.Purge(context.Background()); err != nil {
			t.Errorf("purge namespace %s: %v", ns, err)
		}
		neo.Close()
	})
	stores["neo4j"] = neo
	return stores
}

// TestNarrowedLoadGivesTheFullLoadsReport syncs a multi-cloud synthetic
// estate and the AWS authorization-details fixture into each store and
// requires the report built from the load the CLI makes (ciem.LoadFilter:
// no finding, no fact but membership and trust) to be byte for byte the
// report built from a full load, for the whole estate and for random
// --principal / --account filters, and equal across the stores.
func TestNarrowedLoadGivesTheFullLoadsReport(t *testing.T) {
	ctx := context.Background()
	est, err := synthetic.Generate(ctx, synthetic.Options{Seed: 15, Resources: 1500,
		PlantedPaths: len(synthetic.Patterns()), Decoys: len(synthetic.DecoyKinds())})
	if err != nil {
		t.Fatal(err)
	}
	lab, _, err := awscollector.FromAuthDetailsFile(ctx, filepath.Join("aws", "testdata", "authdetails.json"), awscollector.TransformOptions{})
	if err != nil {
		t.Fatal(err)
	}
	snaps := append(slices.Clone(est.Snapshots), lab)
	now := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	src := ciem.Sources{Policies: collector.PolicyWriters()}

	render := func(t *testing.T, g *graph.Graph, opts ciem.Options) []byte {
		t.Helper()
		opts.Now = now
		rep, err := ciem.Build(ctx, g, src, opts)
		if err != nil {
			t.Fatal(err)
		}
		var buf bytes.Buffer
		if err := ciem.WriteJSON(&buf, rep); err != nil {
			t.Fatal(err)
		}
		if err := ciem.WriteCSV(&buf, rep); err != nil {
			t.Fatal(err)
		}
		return buf.Bytes()
	}

	// random filters, drawn from the principals and accounts of the estate
	var ids, names, accounts []string
	for _, s := range snaps {
		for _, n := range s.Nodes {
			switch n.Kind {
			case graph.KindUser, graph.KindGroup, graph.KindRole, graph.KindServiceAccount:
				if !n.Stub {
					ids, names = append(ids, n.ID), append(names, n.Name)
					if !slices.Contains(accounts, n.Account) {
						accounts = append(accounts, n.Account)
					}
				}
			}
		}
	}
	if len(ids) < 50 || len(accounts) < 5 {
		t.Fatalf("fixture has %d principals in %d accounts: too few to draw filters from", len(ids), len(accounts))
	}
	rng := mrand.New(mrand.NewPCG(15, 2))
	pick := func(from []string, max int) []string {
		var out []string
		for range 1 + rng.IntN(max) {
			out = append(out, from[rng.IntN(len(from))])
		}
		return out
	}
	filters := []ciem.Options{{}}
	for range 12 {
		var o ciem.Options
		switch rng.IntN(3) {
		case 0:
			o.Principals = pick(ids, 3)
		case 1:
			o.Principals = append(pick(names, 2), pick(ids, 1)...)
		default:
			o.Accounts = pick(accounts, 2)
			if rng.IntN(2) == 0 {
				o.Principals = pick(ids, 4)
			}
		}
		filters = append(filters, o)
	}

	var first []byte
	for name, st := range loadTestStores(t) {
		t.Run(name, func(t *testing.T) {
			for _, s := range snaps {
				if _, err := st.Sync(ctx, s); err != nil {
					t.Fatalf("sync %s: %v", s.Scope, err)
				}
			}
			full, err := st.Load(ctx, graph.Filter{})
			if err != nil {
				t.Fatal(err)
			}
			narrow, err := st.Load(ctx, ciem.LoadFilter(graph.Filter{}))
			if err != nil {
				t.Fatal(err)
			}
			if len(narrow.Findings) != 0 || len(narrow.Edges) >= len(full.Edges) || len(full.Findings) == 0 {
				t.Fatalf("narrowed load has %d of %d edges and %d of %d findings: it reads no less", len(narrow.Edges), len(full.Edges), len(narrow.Findings), len(full.Findings))
			}
			nonEmpty := 0
			for _, o := range filters {
				want, got := render(t, full, o), render(t, narrow, o)
				if !bytes.Equal(got, want) {
					t.Fatalf("filter %+v: the narrowed load's report differs from the full load's:\nnarrow: %.1500s\nfull:   %.1500s", o, got, want)
				}
				if len(o.Principals)+len(o.Accounts) == 0 {
					if first == nil {
						first = got
					} else if !bytes.Equal(got, first) {
						t.Fatalf("the %s store's report differs from the first store's", name)
					}
				}
				if bytes.Contains(got, []byte(`"id":`)) {
					nonEmpty++
				}
			}
			if nonEmpty < len(filters)/2 {
				t.Fatalf("only %d of %d filters selected a principal: the comparison proves little", nonEmpty, len(filters))
			}
		})
	}
}
