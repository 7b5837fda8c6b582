package neo4j

import (
	"context"
	"fmt"
	"log/slog"
	"maps"
	"os"
	"path/filepath"
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
	"github.com/breachpath/breachpath/queries"
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
// namespace, the same cold sync again (the first one on a freshly started
// server also pays for the JVM's warm-up: its compiler has not seen the
// write path yet), an unchanged re-sync and a re-sync with 1% of nodes
// changed.
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
	coldSync := func(b *testing.B) {
		for range b.N {
			b.StopTimer()
			if err := s.Purge(context.Background()); err != nil {
				b.Fatal(err)
			}
			b.StartTimer()
			start := time.Now()
			peak := peakHeap(func() { syncAll(b, s, e.Snapshots) })
			cold = time.Since(start)
			b.ReportMetric(float64(nodes)/cold.Seconds(), "nodes/s")
			b.ReportMetric(float64(edges)/cold.Seconds(), "rels/s")
			b.ReportMetric(float64(peak)/(1<<20), "peak-heap-MiB")
		}
	}
	b.Run("cold", coldSync)
	b.Run("cold-again", coldSync)
	b.Run("warm-unchanged", func(b *testing.B) {
		for i := range b.N {
			snaps := make([]*graph.Snapshot, len(e.Snapshots))
			for j, sn := range e.Snapshots {
				c := *sn
				c.CollectedAt = sn.CollectedAt.Add(time.Duration(i+1) * time.Minute)
				snaps[j] = &c
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
// reach from the Internet in at most 6 moves" in one run, three ways:
//
//   - cypher-varlen: the variable-length pattern an analyst writes first,
//     MATCH (:Internet)-[:MOVES*1..6]->(t). It cannot follow a path from one
//     scope's stub of a node into the scope that owns it, so it misses
//     cross-account paths;
//   - cypher-saved: the saved query sensitive-reachable-from (from the
//     Internet), which walks by node id and so crosses scopes;
//   - load+paths.Search: Load the graph and run the Go path engine.
//
// The saved query and the Go engine must name the same targets (the
// benchmark fails otherwise); the ratios compare the time to the answer.
func BenchmarkAttackPaths(b *testing.B) {
	n := benchSetup(b)
	e := benchEstate(b, n)
	s := openTest(b)
	syncAll(b, s, e.Snapshots)
	const depth = 6
	ctx := context.Background()
	q := `MATCH (i:Internet) WHERE i.scope STARTS WITH $prefix AND i.sync_to IS NULL
		MATCH (i)-[:` + moveTypes + `*1..` + strconv.Itoa(depth) + `]->(t:Resource)
		WHERE (t.sensitivity >= 3 OR t.crown_jewel) AND t.sync_to IS NULL
		RETURN count(DISTINCT t.id)`
	cypher := func(q string, p map[string]any) *neo.EagerResult {
		res, err := neo.ExecuteQuery(ctx, s.driver, q, p, neo.EagerResultTransformer, neo.ExecuteQueryWithDatabase(s.db),
			neo.ExecuteQueryWithReadersRouting(), neo.ExecuteQueryWithTransactionConfig(neo.WithTxTimeout(30*time.Minute)))
		if err != nil {
			b.Fatal(err)
		}
		return res
	}
	saved, ok := queries.Get("sensitive-reachable-from")
	if !ok {
		b.Fatal("no saved query sensitive-reachable-from")
	}
	params := map[string]any{"from": graph.InternetID, "max_hops": int64(depth), "threshold": "confidential"}
	var varlenTime, savedTime, goTime, searchTime time.Duration
	var savedTargets, goTargets map[string]bool
	b.Run("cypher-varlen", func(b *testing.B) {
		for range b.N {
			start := time.Now()
			res := cypher(q, map[string]any{"prefix": s.ns + "/"})
			varlenTime = time.Since(start)
			b.ReportMetric(float64(res.Records[0].Values[0].(int64)), "targets")
		}
	})
	b.Run("cypher-saved", func(b *testing.B) {
		for range b.N {
			p, err := saved.CypherParams(params, s.ns)
			if err != nil {
				b.Fatal(err)
			}
			start := time.Now()
			res := cypher(saved.Cypher, p)
			savedTime = time.Since(start)
			savedTargets = map[string]bool{}
			for _, r := range res.Records {
				savedTargets[r.Values[0].(string)] = true
			}
			b.ReportMetric(float64(len(savedTargets)), "targets")
		}
	})
	b.Run("load+paths.Search", func(b *testing.B) {
		for range b.N {
			start := time.Now()
			g, err := s.Load(ctx, graph.Filter{})
			if err != nil {
				b.Fatal(err)
			}
			loaded := time.Since(start)
			res, err := paths.Search(ctx, g, paths.Options{MaxDepth: depth, Threshold: graph.SensitivityConfidential, Sources: []string{graph.InternetID}})
			if err != nil {
				b.Fatal(err)
			}
			goTime = time.Since(start)
			searchTime = goTime - loaded
			goTargets = map[string]bool{}
			for _, p := range res.Paths {
				goTargets[p.Hops[len(p.Hops)-1].To] = true
			}
			b.ReportMetric(float64(len(goTargets)), "targets")
			b.ReportMetric(float64(len(res.Paths)), "paths")
			b.ReportMetric(loaded.Seconds(), "load-s")
			b.ReportMetric(searchTime.Seconds(), "search-s")
		}
	})
	if savedTargets != nil && goTargets != nil && !maps.Equal(savedTargets, goTargets) {
		b.Errorf("the saved query names %d targets, the Go engine %d: not the same answer", len(savedTargets), len(goTargets))
	}
	if goTime > 0 {
		b.Logf("cypher-varlen %v, cypher-saved %v, load+search %v (search alone %v): varlen/go %.2f, saved/go %.2f, saved/search %.0f",
			varlenTime, savedTime, goTime, searchTime, varlenTime.Seconds()/goTime.Seconds(),
			savedTime.Seconds()/goTime.Seconds(), savedTime.Seconds()/searchTime.Seconds())
	}
}

// BenchmarkImport measures the offline first load: WriteImport, then
// neo4j-admin's importer into a second dev server (its own state directory
// and port, started by scripts/neo4j-dev.sh import), then Open (which
// creates the constraints and indexes and waits for them). rels/s is the
// estate's edges over the three together; the server's start is reported
// apart.
func BenchmarkImport(b *testing.B) {
	n := benchSetup(b)
	e := benchEstate(b, n)
	nodes, edges, _ := estateCounts(e)
	ctx := context.Background()
	for range b.N {
		dir := filepath.Join(b.TempDir(), "import")
		var files time.Duration
		peak := peakHeap(func() {
			start := time.Now()
			if _, err := WriteImport(ctx, dir, e.Snapshots, ImportOptions{}); err != nil {
				b.Fatal(err)
			}
			files = time.Since(start)
		})
		port, out := importIntoSecondServer(b, dir)
		imported, started := importerTimes(out)
		start := time.Now()
		o := testOptions("")
		st, err := Open(ctx, "bolt://127.0.0.1:"+port, o)
		if err != nil {
			b.Fatal(err)
		}
		schema := time.Since(start)
		g, err := st.Load(ctx, graph.Filter{})
		if err != nil {
			b.Fatal(err)
		}
		st.Close()
		if len(g.Edges) == 0 {
			b.Fatal("nothing imported")
		}
		total := files + imported + schema
		b.ReportMetric(files.Seconds(), "files-s")
		b.ReportMetric(imported.Seconds(), "import-s")
		b.ReportMetric(schema.Seconds(), "indexes-s")
		b.ReportMetric(started.Seconds(), "server-start-s")
		b.ReportMetric(float64(nodes)/total.Seconds(), "nodes/s")
		b.ReportMetric(float64(edges)/total.Seconds(), "rels/s")
		b.ReportMetric(float64(peak)/(1<<20), "peak-heap-MiB")
		b.Logf("%d nodes, %d edges (%d loaded back): files %v, neo4j-admin %v, indexes %v, server start %v",
			nodes, edges, len(g.Edges), files.Round(time.Millisecond), imported, schema.Round(time.Millisecond), started)
	}
}

// importerTimes reads the importer's own run time and the server's start
// time from the output of scripts/neo4j-dev.sh import.
func importerTimes(out string) (imported, started time.Duration) {
	for _, line := range strings.Split(out, "\n") {
		if i := strings.Index(line, "IMPORT DONE in "); i >= 0 {
			f := strings.Fields(line[i+len("IMPORT DONE in "):])
			for _, w := range f {
				d, err := time.ParseDuration(strings.TrimSuffix(w, "."))
				if err != nil {
					break
				}
				imported += d
			}
		}
		if i := strings.Index(line, " in "); i >= 0 && strings.Contains(line, "up (pid") {
			w := strings.Fields(line[i+4:])
			if len(w) > 0 {
				started, _ = time.ParseDuration(strings.TrimSuffix(w[0], ","))
			}
		}
	}
	return imported, started
}

// BenchmarkWriteCeiling measures what the server itself commits per second
// when nothing of breachpath's protocol is in the way: N nodes with the
// store's node properties, then 4.7 N relationships between random pairs of
// them (the synthetic estate's ratio), created by element id in batches of
// DefaultBatchSize rows per transaction, by one client and by two at once.
// "bare" relationships carry no property; "moves" carry what a move edge
// of the store carries (sync_from, technique, one evidence line, one
// finding). It is the ceiling a transactional cold sync can approach on
// the server it runs against.
func BenchmarkWriteCeiling(b *testing.B) {
	n := benchSetup(b) / 2 // keeps the run short; rates do not depend on it
	ctx := context.Background()
	s := openTest(b)
	wipe := func() {
		for {
			res, err := neo.ExecuteQuery(ctx, s.driver, `MATCH (n:BenchCeiling) WITH n LIMIT 20000 DETACH DELETE n RETURN count(*)`,
				nil, neo.EagerResultTransformer, neo.ExecuteQueryWithDatabase(s.db))
			if err != nil {
				b.Fatal(err)
			}
			if res.Records[0].Values[0].(int64) == 0 {
				return
			}
		}
	}
	b.Cleanup(wipe)
	write := func(workers int, q string, rows []any, each func(*neo.Record)) time.Duration {
		var (
			wg   sync.WaitGroup
			mu   sync.Mutex
			next int
			fail error
		)
		start := time.Now()
		for range workers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				sess := s.session(ctx, neo.AccessModeWrite)
				defer sess.Close(ctx)
				for {
					mu.Lock()
					lo := next
					next += DefaultBatchSize
					mu.Unlock()
					if lo >= len(rows) {
						return
					}
					chunk := rows[lo:min(lo+DefaultBatchSize, len(rows))]
					out, err := sess.ExecuteWrite(ctx, func(tx neo.ManagedTransaction) (any, error) {
						return single(ctx, tx, q, map[string]any{"rows": chunk})
					})
					mu.Lock()
					if err != nil && fail == nil {
						fail = err
					} else if err == nil && each != nil {
						each(out.(*neo.Record))
					}
					mu.Unlock()
				}
			}()
		}
		wg.Wait()
		if fail != nil {
			b.Fatal(fail)
		}
		return time.Since(start)
	}
	var eids []string
	makeNodes := func() time.Duration {
		wipe()
		rows := make([]any, n)
		for i := range rows {
			p := map[string]any{"id": fmt.Sprintf("arn:aws:ec2:us-east-1:123456789012:instance/i-%016x", i), "scope": "bench:ceiling", "sync_from": int64(1),
				"kind": "Compute", "cloud": "aws", "native_type": "AWS::EC2::Instance", "name": fmt.Sprintf("web-%d", i), "account": "123456789012",
				"region": "us-east-1", "service": "ec2", "sensitivity": int64(0), "sensitivity_name": "none", "crown_jewel": false, "stub": false,
				"stale": false, "hash": int64(i) * 7919, "tag_owner": "team-a", "tag_env": "prod", "out_digest": int64(i) * 104729, "out_digest_sync": int64(1)}
			rows[i] = []any{p, int64(i)}
		}
		eids = make([]string, n)
		return write(1, `UNWIND $rows AS row CREATE (n:BenchCeiling:Compute) SET n = row[0] RETURN collect(row[1]), collect(elementId(n))`, rows, func(r *neo.Record) {
			idx, ids := r.Values[0].([]any), r.Values[1].([]any)
			for k := range idx {
				eids[idx[k].(int64)] = ids[k].(string)
			}
		})
	}
	b.Run("nodes", func(b *testing.B) {
		for range b.N {
			d := makeNodes()
			b.ReportMetric(float64(n)/d.Seconds(), "nodes/s")
		}
	})
	kinds := []string{"REACHES", "CONTAINS", "USES_IDENTITY", "MEMBER_OF", "READS"}
	for _, shape := range []string{"bare", "moves"} {
		for _, workers := range []int{1, 2} {
			b.Run(fmt.Sprintf("rels-%s-workers=%d", shape, workers), func(b *testing.B) {
				for range b.N {
					b.StopTimer()
					makeNodes()
					r := int(float64(n) * 4.7)
					rows := make([]any, r)
					for i := range rows {
						p := map[string]any{}
						if shape == "moves" {
							p = map[string]any{"sync_from": int64(1), "technique": "net.reach", "evidence": []string{"sg-0123 allows 0.0.0.0/0 on 22"}, "findings": []string{"aws.ec2.open-ssh:0123456789abcdef"}}
						}
						rows[i] = []any{eids[(i*7919)%n], eids[(i*104729+13)%n], kinds[i%len(kinds)], p}
					}
					b.StartTimer()
					d := write(workers, `UNWIND $rows AS row
						MATCH (a) WHERE elementId(a) = row[0]
						MATCH (b) WHERE elementId(b) = row[1]
						CREATE (a)-[r:$(row[2])]->(b)
						SET r = row[3]
						RETURN count(*)`, rows, nil)
					b.ReportMetric(float64(r)/d.Seconds(), "rels/s")
				}
			})
		}
	}
}

// BenchmarkWriteImportFiles measures WriteImport alone (no server): the Go
// side of the offline first load.
func BenchmarkWriteImportFiles(b *testing.B) {
	n := 100_000
	if v := os.Getenv("BREACHPATH_BENCH_RESOURCES"); v != "" {
		n, _ = strconv.Atoi(v)
	}
	e := benchEstate(b, n)
	_, edges, _ := estateCounts(e)
	b.ResetTimer()
	for range b.N {
		dir := filepath.Join(b.TempDir(), "import")
		start := time.Now()
		if _, err := WriteImport(context.Background(), dir, e.Snapshots, ImportOptions{}); err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(float64(edges)/time.Since(start).Seconds(), "rels/s")
	}
}
