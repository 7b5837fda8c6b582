package neo4j

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	neo "github.com/neo4j/neo4j-go-driver/v5/neo4j"

	"github.com/breachpath/breachpath/collector/synthetic"
	"github.com/breachpath/breachpath/graph"
	"github.com/breachpath/breachpath/paths"
)

// Benchmarks write hundreds of thousands of rows to the shared server, so
// they run only when asked:
//
//	BREACHPATH_BENCH_NEO4J=1 BREACHPATH_TEST_NEO4J_URI=bolt://127.0.0.1:17687 \
//	  go test ./graph/neo4j -run '^$' -bench . -benchtime 1x -timeout 60m
//
// BREACHPATH_BENCH_RESOURCES sets the estate size (default 100000).
// docs/benchmarks-neo4j.md records the numbers.
func benchSetup(b *testing.B) int {
	b.Helper()
	if os.Getenv("BREACHPATH_BENCH_NEO4J") == "" {
		b.Skip("set BREACHPATH_BENCH_NEO4J=1 (and BREACHPATH_TEST_NEO4J_URI) to run the Neo4j benchmarks")
	}
	n := 100_000
	if v := os.Getenv("BREACHPATH_BENCH_RESOURCES"); v != "" {
		var err error
		if n, err = strconv.Atoi(v); err != nil {
			b.Fatalf("BREACHPATH_BENCH_RESOURCES=%q: %v", v, err)
		}
	}
	return n
}

var (
	estateMu    sync.Mutex
	estateCache = map[int]*synthetic.Estate{}
)

func benchEstate(b *testing.B, n int) *synthetic.Estate {
	b.Helper()
	estateMu.Lock()
	defer estateMu.Unlock()
	if e, ok := estateCache[n]; ok {
		return e
	}
	e, err := synthetic.Generate(context.Background(), synthetic.Options{Seed: 1, Resources: n})
	if err != nil {
		b.Fatal(err)
	}
	estateCache[n] = e
	return e
}

func estateCounts(e *synthetic.Estate) (nodes, edges, findings int) {
	for _, s := range e.Snapshots {
		nodes += len(s.Nodes)
		edges += len(s.Edges)
		findings += len(s.Findings)
	}
	return
}

// peakHeap samples the Go heap while fn runs and returns the peak.
func peakHeap(fn func()) uint64 {
	runtime.GC()
	var peak atomic.Uint64
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		var ms runtime.MemStats
		for {
			runtime.ReadMemStats(&ms)
			if ms.HeapInuse > peak.Load() {
				peak.Store(ms.HeapInuse)
			}
			select {
			case <-done:
				return
			case <-time.After(20 * time.Millisecond):
			}
		}
	}()
	fn()
	close(done)
	wg.Wait()
	return peak.Load()
}

func syncAll(b *testing.B, s *Store, snaps []*graph.Snapshot) {
	b.Helper()
	if _, err := graph.SyncAll(context.Background(), s, snaps, nil); err != nil {
		b.Fatal(err)
	}
}

// touch returns copies of the snapshots in which every hundredth node has
// a changed property: a warm re-sync with 1% of the estate changed.
func touch(snaps []*graph.Snapshot, gen int64) []*graph.Snapshot {
	out := make([]*graph.Snapshot, len(snaps))
	for i, s := range snaps {
		c := *s
		c.Nodes = append([]graph.Node(nil), s.Nodes...)
		for j := range c.Nodes {
			if j%100 == 37 && !c.Nodes[j].Stub {
				p := graph.Props{}
				for k, v := range c.Nodes[j].Props {
					p[k] = v
				}
				p["bench_gen"] = gen
				c.Nodes[j].Props = p
			}
		}
		c.CollectedAt = s.CollectedAt.Add(time.Duration(gen) * time.Hour)
		out[i] = &c
	}
	return out
}

// BenchmarkSync measures a cold sync of the synthetic estate into an empty
// namespace, an unchanged re-sync and a re-sync with 1% of nodes changed.
func BenchmarkSync(b *testing.B) {
	n := benchSetup(b)
	e := benchEstate(b, n)
	nodes, edges, findings := estateCounts(e)
	b.Logf("estate: %d resources, %d scopes, %d node rows, %d edges, %d findings", n, len(e.Snapshots), nodes, edges, findings)
	s := openTest(b, func(o *Options) {
		if v := os.Getenv("BREACHPATH_BENCH_BATCH"); v != "" {
			o.BatchSize, _ = strconv.Atoi(v)
		}
		if v := os.Getenv("BREACHPATH_BENCH_WORKERS"); v != "" {
			o.SyncWorkers, _ = strconv.Atoi(v)
		}
		if os.Getenv("BREACHPATH_BENCH_LOG") != "" { // one line per sync, with its phases
			o.Logger = slog.New(slog.NewTextHandler(os.Stderr, nil))
		}
	})
	var cold time.Duration
	b.Run("cold", func(b *testing.B) {
		for range b.N {
			if err := s.Purge(context.Background()); err != nil {
				b.Fatal(err)
			}
			b.ResetTimer()
			start := time.Now()
			peak := peakHeap(func() { syncAll(b, s, e.Snapshots) })
			cold = time.Since(start)
			b.ReportMetric(float64(nodes)/cold.Seconds(), "nodes/s")
			b.ReportMetric(float64(edges)/cold.Seconds(), "rels/s")
			b.ReportMetric(float64(peak)/(1<<20), "peak-heap-MiB")
		}
	})
	b.Run("warm-unchanged", func(b *testing.B) {
		for i := range b.N {
			snaps := touch(e.Snapshots, 0)
			for _, sn := range snaps {
				sn.CollectedAt = sn.CollectedAt.Add(time.Duration(i+1) * time.Minute)
			}
			start := time.Now()
			syncAll(b, s, snaps)
			d := time.Since(start)
			if cold > 0 {
				b.ReportMetric(d.Seconds()/cold.Seconds(), "x-cold")
			}
		}
	})
	b.Run("warm-1pct-changed", func(b *testing.B) {
		for i := range b.N {
			snaps := touch(e.Snapshots, int64(i+1))
			start := time.Now()
			peak := peakHeap(func() { syncAll(b, s, snaps) })
			d := time.Since(start)
			if cold > 0 {
				b.ReportMetric(d.Seconds()/cold.Seconds(), "x-cold")
			}
			b.ReportMetric(float64(peak)/(1<<20), "peak-heap-MiB")
		}
	})
	b.Run("load", func(b *testing.B) {
		for range b.N {
			var g *graph.Graph
			peak := peakHeap(func() {
				var err error
				if g, err = s.Load(context.Background(), graph.Filter{}); err != nil {
					b.Fatal(err)
				}
			})
			b.ReportMetric(float64(len(g.Nodes)), "nodes")
			b.ReportMetric(float64(peak)/(1<<20), "peak-heap-MiB")
		}
	})
}

// BenchmarkBatchSize measures cold syncs at several batch sizes.
func BenchmarkBatchSize(b *testing.B) {
	n := benchSetup(b)
	e := benchEstate(b, n)
	nodes, edges, _ := estateCounts(e)
	for _, size := range []int{1000, 5000, 10000, 20000} {
		b.Run(fmt.Sprintf("batch=%d", size), func(b *testing.B) {
			s := openTest(b, func(o *Options) { o.BatchSize = size })
			for range b.N {
				if err := s.Purge(context.Background()); err != nil {
					b.Fatal(err)
				}
				start := time.Now()
				syncAll(b, s, e.Snapshots)
				d := time.Since(start)
				b.ReportMetric(float64(nodes)/d.Seconds(), "nodes/s")
				b.ReportMetric(float64(edges)/d.Seconds(), "rels/s")
			}
		})
	}
}

var moveTypes = func() string {
	var ts []string
	for _, k := range graph.EdgeKinds {
		if k.IsMove() {
			ts = append(ts, string(k))
		}
	}
	return strings.Join(ts, "|")
}()

// BenchmarkAttackPaths answers "which sensitive targets can an attacker
// reach from the Internet in at most 6 moves" twice: with a variable-length
// Cypher query in Neo4j, and by loading the graph and running paths.Search.
func BenchmarkAttackPaths(b *testing.B) {
	n := benchSetup(b)
	e := benchEstate(b, n)
	s := openTest(b)
	syncAll(b, s, e.Snapshots)
	const depth = 6
	q := `MATCH (i:Internet) WHERE i.scope STARTS WITH $prefix AND i.sync_to IS NULL
		MATCH (i)-[:` + moveTypes + `*1..` + strconv.Itoa(depth) + `]->(t:Resource)
		WHERE (t.sensitivity >= 3 OR t.crown_jewel) AND t.sync_to IS NULL
		RETURN count(DISTINCT t.id)`
	var cypherTime, goTime time.Duration
	b.Run("cypher", func(b *testing.B) {
		for range b.N {
			start := time.Now()
			res, err := neo.ExecuteQuery(context.Background(), s.driver, q, map[string]any{"prefix": s.ns + "/"},
				neo.EagerResultTransformer, neo.ExecuteQueryWithDatabase(s.db),
				neo.ExecuteQueryWithTransactionConfig(neo.WithTxTimeout(10*time.Minute)))
			if err != nil {
				b.Fatal(err)
			}
			cypherTime = time.Since(start)
			b.ReportMetric(float64(res.Records[0].Values[0].(int64)), "targets")
		}
	})
	b.Run("load+paths.Search", func(b *testing.B) {
		for range b.N {
			start := time.Now()
			g, err := s.Load(context.Background(), graph.Filter{})
			if err != nil {
				b.Fatal(err)
			}
			loaded := time.Since(start)
			res, err := paths.Search(context.Background(), g, paths.Options{MaxDepth: depth, Threshold: graph.SensitivityConfidential, Sources: []string{graph.InternetID}})
			if err != nil {
				b.Fatal(err)
			}
			goTime = time.Since(start)
			targets := map[string]bool{}
			for _, p := range res.Paths {
				targets[p.Hops[len(p.Hops)-1].To] = true
			}
			b.ReportMetric(float64(len(targets)), "targets")
			b.ReportMetric(float64(len(res.Paths)), "paths")
			b.ReportMetric(loaded.Seconds(), "load-s")
		}
	})
	if goTime > 0 {
		b.Logf("cypher %v, load+search %v: ratio %.2f", cypherTime, goTime, cypherTime.Seconds()/goTime.Seconds())
	}
}
