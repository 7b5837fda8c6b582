package paths_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"runtime"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/breachpath/breachpath/graph"
	"github.com/breachpath/breachpath/paths"
	"github.com/breachpath/breachpath/scoring"
)

// shapeEstate builds a cloud-shaped graph of about n nodes, for benchmarks
// that must not depend on the synthetic collector: accounts of 2,500
// resources; 10 % of the computes exposed to the Internet; every compute
// uses a role and reaches two peers; every role reads three data stores and
// sometimes assumes another role; one data store in ten is confidential or
// restricted. About 3 move edges and 1 fact edge per node.
func shapeEstate(n int, seed uint64) *graph.Graph {
	r := rand.New(rand.NewPCG(seed, 1))
	nodes := make([]graph.Node, 0, n+1)
	edges := make([]graph.Edge, 0, 4*n)
	var findings []graph.Finding
	nodes = append(nodes, graph.Node{ID: graph.InternetID, Kind: graph.KindInternet})
	finding := func(rule, res string) string {
		id := graph.FindingID(rule, res)
		findings = append(findings, graph.Finding{ID: id, RuleID: rule, Resource: res, Severity: graph.SeverityHigh})
		return id
	}
	const per = 2500
	for acct := 0; acct*per < n; acct++ {
		a := fmt.Sprintf("%012d", acct)
		m := min(per, n-acct*per)
		nc, nr := m*3/10, m*15/100
		nd := m - nc - nr
		comp := make([]string, nc)
		role := make([]string, nr)
		data := make([]string, nd)
		for i := range comp {
			comp[i] = fmt.Sprintf("arn:aws:ec2:eu-west-1:%s:instance/i-%07d", a, i)
			nodes = append(nodes, graph.Node{ID: comp[i], Kind: graph.KindCompute, Cloud: graph.CloudAWS, Account: a})
		}
		for i := range role {
			role[i] = fmt.Sprintf("arn:aws:iam::%s:role/r-%07d", a, i)
			nodes = append(nodes, graph.Node{ID: role[i], Kind: graph.KindRole, Cloud: graph.CloudAWS, Account: a})
		}
		for i := range data {
			data[i] = fmt.Sprintf("arn:aws:s3:::%s-b-%07d", a, i)
			s := graph.SensitivityInternal
			if r.IntN(10) == 0 {
				s = graph.SensitivityConfidential + graph.Sensitivity(r.IntN(2))
			}
			nodes = append(nodes, graph.Node{ID: data[i], Kind: graph.KindBucket, Cloud: graph.CloudAWS, Account: a, Sensitivity: s})
		}
		mv := func(from, to string, k graph.EdgeKind, fs ...string) {
			edges = append(edges, graph.Edge{From: from, To: to, Kind: k, Technique: "bench." + string(k), Findings: fs})
		}
		for i, c := range comp {
			edges = append(edges, graph.Edge{From: c, To: role[r.IntN(nr)], Kind: graph.EdgeRunsAs})
			if r.IntN(10) == 0 {
				mv(graph.InternetID, c, graph.EdgeExposedTo, finding("open-sg", c))
			}
			var f []string
			if i%2 == 0 {
				f = []string{finding("imdsv1", c)}
			}
			mv(c, role[r.IntN(nr)], graph.EdgeUsesIdentity, f...)
			mv(c, comp[r.IntN(nc)], graph.EdgeReaches)
			mv(c, comp[r.IntN(nc)], graph.EdgeReaches, finding("flat-net", c))
		}
		for _, ro := range role {
			wide := finding("wide-read", ro)
			for range 3 {
				mv(ro, data[r.IntN(nd)], graph.EdgeReads, wide)
			}
			if r.IntN(5) == 0 {
				mv(ro, role[r.IntN(nr)], graph.EdgeAssumes, finding("trust-any", ro))
			}
		}
	}
	return graph.Assemble(nodes, edges, findings)
}

// benchEstate returns the synthetic collector's estate of n resources, or
// shapeEstate's with BREACHPATH_BENCH_SHAPE=1.
var (
	estateMu    sync.Mutex
	estateCache = map[int]*graph.Graph{}
)

func benchEstate(b *testing.B, n int) *graph.Graph {
	estateMu.Lock()
	defer estateMu.Unlock()
	if g, ok := estateCache[n]; ok {
		return g
	}
	var g *graph.Graph
	if os.Getenv("BREACHPATH_BENCH_SHAPE") == "1" {
		g = shapeEstate(n, 42)
	} else {
		g, _ = syntheticGraph(b, n)
	}
	estateCache[n] = g
	return g
}

// cpuTime is the process's user+system CPU time: on a shared machine it is a
// steadier measure than wall time (it includes GC work on other threads).
func cpuTime() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func reportCPU(b *testing.B, start time.Duration) {
	b.ReportMetric(float64(cpuTime()-start)/float64(b.N)/1e6, "cpu-ms/op")
}

func heapMB() float64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return float64(m.HeapAlloc) / (1 << 20)
}

// BenchmarkSearchScore measures projection + search + scoring, the work of
// `breachpath queue`. heap-MB is the live heap with the result held.
func BenchmarkSearchScore(b *testing.B) {
	for _, n := range []int{100_000, 1_000_000} {
		b.Run(fmt.Sprintf("resources=%d", n), func(b *testing.B) {
			g := benchEstate(b, n)
			base := heapMB()
			b.ReportAllocs()
			b.ResetTimer()
			cpu := cpuTime()
			var rep *scoring.Report
			var res *paths.Result
			for b.Loop() {
				var err error
				res, err = paths.Search(context.Background(), g, paths.Options{})
				if err != nil {
					b.Fatal(err)
				}
				rep = scoring.Score(g, res, scoring.Options{})
			}
			b.StopTimer()
			reportCPU(b, cpu)
			b.ReportMetric(heapMB()-base, "heap-MB")
			b.ReportMetric(float64(len(rep.Paths)), "paths")
			b.ReportMetric(float64(res.Stats.EdgesScanned), "edges-scanned")
			b.ReportMetric(float64(res.Stats.MoveEdges), "move-edges")
		})
	}
}

// BenchmarkProjection measures building the CSR and its bytes per edge.
func BenchmarkProjection(b *testing.B) {
	g := benchEstate(b, 1_000_000)
	var p *paths.Projection
	b.ReportAllocs()
	for b.Loop() {
		p = paths.NewProjection(g)
	}
	b.ReportMetric(p.BytesPerEdge(), "B/edge")
	b.ReportMetric(float64(p.NumEdges()), "edges")
}

// BenchmarkTraversal measures a depth-bounded BFS over the CSR from every
// node: edges/s on one core.
func BenchmarkTraversal(b *testing.B) {
	g := benchEstate(b, 1_000_000)
	p := paths.NewProjection(g)
	starts := make([]int32, p.NumNodes())
	for i := range starts {
		starts[i] = int32(i)
	}
	w := paths.NewWalker(p, nil)
	visited := 0
	b.ResetTimer()
	cpu := cpuTime()
	for b.Loop() {
		w.Walk(starts, paths.DefaultMaxDepth, 0, func(int32, int) bool { visited++; return true })
	}
	b.ReportMetric(float64(w.Scanned)/b.Elapsed().Seconds(), "edges/s")
	b.ReportMetric(float64(w.Scanned)/(float64(cpuTime()-cpu)/1e9), "edges/cpu-s")
}

// BenchmarkPlan measures the remediation plan on 100k and 1M resources.
func BenchmarkPlan(b *testing.B) {
	for _, n := range []int{100_000, 1_000_000} {
		b.Run(fmt.Sprintf("resources=%d", n), func(b *testing.B) { benchPlan(b, n) })
	}
}

func benchPlan(b *testing.B, n int) {
	g := benchEstate(b, n)
	var plan *scoring.Plan
	b.ReportAllocs()
	cpu := cpuTime()
	for b.Loop() {
		var err error
		plan, err = scoring.MakePlan(context.Background(), g, scoring.PlanOptions{})
		if err != nil {
			b.Fatal(err)
		}
	}
	reportCPU(b, cpu)
	b.ReportMetric(float64(len(plan.Steps)), "steps")
	b.ReportMetric(float64(plan.PathsBefore), "paths-before")
	b.ReportMetric(float64(plan.PathsAfter), "paths-after")
	if !plan.Verified {
		b.Errorf("plan not verified: %d paths after", plan.PathsAfter)
	}
}
