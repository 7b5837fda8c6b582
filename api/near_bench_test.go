package api

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/breachpath/breachpath/graph"
	"github.com/breachpath/breachpath/graph/embedded"
)

// BenchmarkNearScopes is what chose maxScopedScopes: the cost of the
// facts one neighbourhood or node answer reads when they are held by n
// scopes (a scoped load: the cross-scope index, then the facts of n
// scopes, merged and indexed as near.go does) against the fact stage
// (every fact edge), on a store `breachpath demo` wrote
// (BREACHPATH_BENCH_DB; skipped without it). The nodes are one owned by
// each of the first n scopes. Run each case in its own process to read
// its peak RSS (docs/benchmarks.md):
//
//	go test -c -o api.test ./api
//	BREACHPATH_BENCH_DB=d1m.db /usr/bin/time -v ./api.test -test.run '^$' \
//	    -test.bench 'NearScopes/scoped/scopes=32$' -test.benchtime 1x
//
// BREACHPATH_NEAR_SCOPES lists the n (default 0,1,8,32,64,128,200,400).
func BenchmarkNearScopes(b *testing.B) {
	path := os.Getenv("BREACHPATH_BENCH_DB")
	if path == "" {
		b.Skip("BREACHPATH_BENCH_DB names no store")
	}
	ns := []int{0, 1, 8, 32, 64, 128, 200, 400}
	if v := os.Getenv("BREACHPATH_NEAR_SCOPES"); v != "" {
		ns = nil
		for f := range strings.SplitSeq(v, ",") {
			n, err := strconv.Atoi(f)
			if err != nil {
				b.Fatal(err)
			}
			ns = append(ns, n)
		}
	}
	ctx := context.Background()
	st, err := embedded.Open(ctx, path, embedded.WithLogger(slog.New(slog.NewTextHandler(io.Discard, nil))))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { st.Close() })
	s, _ := newServer(b, Config{Store: st})
	if err := s.Warm(ctx); err != nil {
		b.Fatal(err)
	}
	an, err := s.cache.get(ctx)
	if err != nil {
		b.Fatal(err)
	}
	ix, err := st.Links(ctx, graph.Filter{})
	if err != nil {
		b.Fatal(err)
	}
	// one node owned by each scope, in scope order
	scopes := slices.SortedFunc(func(yield func(graph.Scope) bool) {
		for sc := range ix {
			if !yield(sc) {
				return
			}
		}
	}, func(x, y graph.Scope) int { return strings.Compare(x.String(), y.String()) })
	byAccount := map[string]int32{}
	for i := range an.g.Nodes {
		if n := &an.g.Nodes[i]; !n.Stub {
			if _, ok := byAccount[n.Account]; !ok {
				byAccount[n.Account] = int32(i)
			}
		}
	}
	var owned []int32
	for _, sc := range scopes {
		if v, ok := byAccount[sc.ID]; ok && ix[sc].Links != nil && ix[sc].Links.Owns(an.g.Nodes[v].ID) {
			owned = append(owned, v)
		}
	}
	for _, n := range ns {
		if n > len(owned) {
			continue
		}
		b.Run(fmt.Sprintf("scoped/scopes=%d", n), func(b *testing.B) {
			for range b.N {
				start := time.Now()
				x, err := newScopedEdges(ctx, st, an, 1<<30)
				if err != nil {
					b.Fatal(err)
				}
				index := time.Since(start)
				if err := x.ensure(ctx, owned[:n]); err != nil {
					b.Fatal(err)
				}
				b.ReportMetric(float64(x.nload), "scopes")
				b.ReportMetric(float64(len(x.facts)), "facts")
				b.ReportMetric(index.Seconds(), "index-s")
				b.ReportMetric(time.Since(start).Seconds(), "total-s")
			}
		})
	}
	b.Run("fact-stage", func(b *testing.B) {
		for range b.N {
			start := time.Now()
			f, err := loadFacts(ctx, st, an)
			if err != nil {
				b.Fatal(err)
			}
			b.ReportMetric(float64(len(f.facts)), "facts")
			b.ReportMetric(time.Since(start).Seconds(), "total-s")
		}
	})
}
