package api

import (
	"context"
	"io"
	"net/http"
	"os"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

var (
	benchOnce sync.Once
	benchDir  string
)

// BenchmarkPathsEndpoint is a load generator against GET /api/v1/paths on
// a synthetic estate (100k resources; BREACHPATH_BENCH_RESOURCES changes
// it) over loopback: 8 concurrent clients share b.N requests, rotating
// through a first page, a filtered page, a text search and a sort. It
// reports p50/p99 latency and requests per second; the analysis is warmed
// first, so this measures serving, not the search. Bounded by b.N and by a
// two-minute deadline. docs/benchmarks-api.md records the figures:
//
//	go test ./api -run '^$' -bench PathsEndpoint -benchtime 4000x
func BenchmarkPathsEndpoint(b *testing.B) {
	resources := 100_000
	if v := os.Getenv("BREACHPATH_BENCH_RESOURCES"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil {
			b.Fatal(err)
		}
		resources = n
	}
	setup := time.Now()
	// The estate is synced once per process: the benchmark function runs
	// more than once (b.N = 1 first) and a 100k sync takes a while.
	benchOnce.Do(func() {
		dir, err := os.MkdirTemp("", "breachpath-api-bench-")
		if err != nil {
			b.Fatal(err)
		}
		benchDir = dir
		syntheticStore(b, dir, resources).Close()
	})
	if benchDir == "" {
		b.Fatal("estate setup failed earlier")
	}
	st := openStore(b, benchDir)
	s, c := newServer(b, Config{Store: st, Rate: 1e9, Burst: 1 << 30})
	if err := s.Warm(context.Background()); err != nil {
		b.Fatal(err)
	}
	an, _ := s.cache.get(context.Background())
	b.Logf("estate %d resources: %d nodes, %d edges, %d paths; setup %v, analysis %v",
		resources, len(an.g.Nodes), len(an.g.Edges), len(an.report.Paths), time.Since(setup).Round(time.Millisecond), an.took.Round(time.Millisecond))

	var first PathList
	c.get("/api/v1/paths?limit=50").decode(b, &first)
	urls := []string{
		c.base + "/api/v1/paths?limit=50",
		c.base + "/api/v1/paths?limit=50&cloud=aws&min_risk=20",
		c.base + "/api/v1/paths?limit=20&q=prod&sort=likelihood",
		c.base + "/api/v1/paths?limit=50&sort=hops",
	}
	if first.NextCursor != "" {
		urls = append(urls, c.base+"/api/v1/paths?limit=50&cursor="+first.NextCursor)
	}
	const workers = 8
	tr := &http.Transport{MaxIdleConnsPerHost: workers}
	defer tr.CloseIdleConnections()
	hc := &http.Client{Transport: tr, Timeout: 30 * time.Second}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()

	lat := make([]time.Duration, b.N)
	var next atomic.Int64
	var failed atomic.Int64
	var wg sync.WaitGroup
	b.ResetTimer()
	start := time.Now()
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := next.Add(1) - 1
				if i >= int64(b.N) || ctx.Err() != nil {
					return
				}
				req, _ := http.NewRequestWithContext(ctx, http.MethodGet, urls[int(i)%len(urls)], nil)
				req.Header.Set("Authorization", "Bearer "+testToken)
				t0 := time.Now()
				resp, err := hc.Do(req)
				if err != nil {
					failed.Add(1)
					continue
				}
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode != http.StatusOK {
					failed.Add(1)
				}
				lat[i] = time.Since(t0)
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	b.StopTimer()
	if n := failed.Load(); n > 0 {
		b.Fatalf("%d of %d requests failed", n, b.N)
	}
	done := min(int(next.Load()), b.N)
	lat = slices.DeleteFunc(lat[:done], func(d time.Duration) bool { return d == 0 })
	slices.Sort(lat)
	if len(lat) == 0 {
		b.Fatal("no request completed")
	}
	q := func(p float64) float64 { return float64(lat[int(p*float64(len(lat)-1))].Microseconds()) / 1000 }
	b.ReportMetric(q(0.50), "p50-ms")
	b.ReportMetric(q(0.99), "p99-ms")
	b.ReportMetric(float64(len(lat))/elapsed.Seconds(), "req/s")
}
