package embedded

import (
	"math"
	"runtime/debug"
	"runtime/metrics"
	"sync"
)

// Load allocates the estate's node and edge tiles (graph.Tiles: 440 MB at a
// million resources) before it decodes a single row into them. With the
// collector at its default setting that allocation alone crosses the heap
// goal and starts a cycle, and the cycle scans the fresh tiles: every page
// of them is read before the decoder writes it, so the kernel faults each
// page in twice (once mapped to the shared zero page, once for the write),
// and the cycle marks nothing a later one would not mark again. While the
// tiles are filled, Load therefore holds the collector off; what the decode
// and the merge leave behind (a few scratch tables and position arrays) is
// collected once, after the merge.
//
// The pause is bounded: a memory limit of the memory in use when it began
// plus the caller's budget (or the limit already set, if lower) makes the
// runtime collect anyway should the load leave more garbage than expected
// (a scope read row by row). Pauses nest across goroutines (serve loads while
// it answers): the first one saves the settings, the last one restores them.

var gcPause struct {
	sync.Mutex
	depth      int
	percent    int   // the GC percent before the first pause
	limit      int64 // the memory limit before the first pause
	pauseLimit int64 // the limit while paused
}

// pauseCollector holds the garbage collector off until the returned function
// is called, unless the memory in use grows by more than budget bytes.
// The returned function must be called exactly once.
func pauseCollector(budget int64) (resume func()) {
	gcPause.Lock()
	defer gcPause.Unlock()
	inUse := memoryInUse()
	want := inUse + budget
	if budget <= 0 || want < inUse { // no budget, or an overflow: no pause
		return func() {}
	}
	if gcPause.depth == 0 {
		gcPause.limit = debug.SetMemoryLimit(-1)
		gcPause.pauseLimit = min(gcPause.limit, want)
		debug.SetMemoryLimit(gcPause.pauseLimit)
		gcPause.percent = debug.SetGCPercent(-1)
	} else if grown := gcPause.pauseLimit + budget; grown > gcPause.pauseLimit {
		// a second load while one runs: room for both, never above the
		// limit the process had
		gcPause.pauseLimit = min(gcPause.limit, grown)
		debug.SetMemoryLimit(gcPause.pauseLimit)
	}
	gcPause.depth++
	var once sync.Once
	return func() {
		once.Do(func() {
			gcPause.Lock()
			defer gcPause.Unlock()
			gcPause.depth--
			if gcPause.depth == 0 {
				debug.SetGCPercent(gcPause.percent)
				debug.SetMemoryLimit(gcPause.limit)
			}
		})
	}
}

// memoryInUse is the memory the runtime holds from the OS and has not
// returned, the quantity its memory limit bounds.
func memoryInUse() int64 {
	s := []metrics.Sample{{Name: "/memory/classes/total:bytes"}, {Name: "/memory/classes/heap/released:bytes"}}
	metrics.Read(s)
	if s[0].Value.Kind() != metrics.KindUint64 || s[1].Value.Kind() != metrics.KindUint64 {
		return math.MaxInt64 // unknown metric: no room for a pause
	}
	total, released := s[0].Value.Uint64(), s[1].Value.Uint64()
	if total < released || total-released > math.MaxInt64/2 {
		return math.MaxInt64
	}
	return int64(total - released)
}
