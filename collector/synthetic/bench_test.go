package synthetic

import (
	"context"
	"runtime"
	"testing"

	"github.com/breachpath/breachpath/collector/sensitivity"
)

func benchmarkGenerate(b *testing.B, n int) {
	b.ReportAllocs()
	var peak uint64
	var e *Estate
	for i := 0; b.Loop(); i++ {
		e = nil // let the previous estate go before building the next
		var err error
		e, err = Generate(context.Background(), Options{Seed: int64(i), Resources: n})
		if err != nil {
			b.Fatal(err)
		}
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		peak = max(peak, ms.HeapInuse) // garbage not yet collected included: the footprint
	}
	b.StopTimer()
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	edges := 0
	for _, s := range e.Snapshots {
		edges += len(s.Edges)
	}
	b.ReportMetric(float64(peak)/(1<<20), "peak-heap-MB")
	b.ReportMetric(float64(ms.HeapAlloc)/(1<<20), "live-heap-MB")
	b.ReportMetric(float64(edges), "edges")
}

// BenchmarkGenerate100k measures a 100k-resource estate.
func BenchmarkGenerate100k(b *testing.B) { benchmarkGenerate(b, 100_000) }

// BenchmarkGenerate1M measures a one-million-resource estate.
func BenchmarkGenerate1M(b *testing.B) { benchmarkGenerate(b, 1_000_000) }

// BenchmarkSensitivityRules100k measures the default sensitivity rules over
// a 100k-resource estate: what Generate (and a collection of that size)
// spends classifying. Applying them again is what a second pass costs; the
// decisions are the same.
func BenchmarkSensitivityRules100k(b *testing.B) {
	e, err := Generate(context.Background(), Options{Seed: 1, Resources: 100_000})
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		sensitivity.Default().Apply(e.Snapshots)
	}
}
