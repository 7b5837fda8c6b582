package paths_test

import (
	"context"
	"fmt"
	"runtime"
	"testing"

	"github.com/breachpath/breachpath/paths"
)

// BenchmarkDominators measures the must-pass analysis: gonum's
// flow.Dominators over a View of the estate's move graph from a virtual
// source over every exposure source, plus the entry findings of every
// target's dominators. peak-heap-MB is the heap in use right after it
// (GC'd), i.e. what the analysis holds; allocated bytes per op are in B/op.
func BenchmarkDominators(b *testing.B) {
	for _, n := range []int{100_000, 1_000_000} {
		b.Run(fmt.Sprintf("resources=%d", n), func(b *testing.B) {
			g := benchEstate(b, n)
			proj := paths.NewProjection(g)
			base := heapMB()
			var d *paths.Dominators
			b.ReportAllocs()
			cpu := cpuTime()
			for b.Loop() {
				var err error
				if d, err = proj.Dominators(context.Background(), paths.Options{}); err != nil {
					b.Fatal(err)
				}
			}
			reportCPU(b, cpu)
			b.ReportMetric(heapMB()-base, "held-heap-MB")
			b.ReportMetric(float64(len(d.All())), "targets-reached")
			b.ReportMetric(float64(proj.NumEdges()), "move-edges")
			runtime.KeepAlive(d)
		})
	}
}

// BenchmarkCycles measures the strongly connected components of the whole
// move graph (gonum's topo.TarjanSCC over a View).
func BenchmarkCycles(b *testing.B) {
	for _, n := range []int{100_000, 1_000_000} {
		b.Run(fmt.Sprintf("resources=%d", n), func(b *testing.B) {
			proj := paths.NewProjection(benchEstate(b, n))
			var c *paths.Cycles
			b.ReportAllocs()
			cpu := cpuTime()
			for b.Loop() {
				c = proj.Cycles(nil)
			}
			reportCPU(b, cpu)
			b.ReportMetric(float64(c.Len()), "cycles")
		})
	}
}
