package paths

import (
	"context"
	"fmt"
)

// Walker runs depth-bounded breadth-first walks over a projection, reusing
// its buffers between walks. It is not safe for concurrent use.
type Walker struct {
	p     *Projection
	cut   Bitset
	stamp []uint32
	gen   uint32
	queue []int32
	next  []int32
	// Scanned counts the edges looked at by all walks so far.
	Scanned int64
}

// NewWalker returns a walker over p that ignores the edges in cut (nil: none).
func NewWalker(p *Projection, cut Bitset) *Walker {
	return &Walker{p: p, cut: cut, stamp: make([]uint32, p.NumNodes())}
}

// Walk visits every node reachable from the starts within maxDepth moves
// (a start is at depth 0), calling visit once per node, and stops early when
// visit returns false or after budget edges scanned (budget <= 0: none). It
// reports whether it stopped because of the budget.
func (w *Walker) Walk(starts []int32, maxDepth int, budget int64, visit func(n int32, depth int) bool) (truncated bool) {
	w.gen++
	if w.gen == 0 { // wrapped: clear stamps once every 4 billion walks
		clear(w.stamp)
		w.gen = 1
	}
	w.queue = w.queue[:0]
	for _, s := range starts {
		if w.stamp[s] != w.gen {
			w.stamp[s] = w.gen
			w.queue = append(w.queue, s)
			if !visit(s, 0) {
				return false
			}
		}
	}
	var scanned int64
	defer func() { w.Scanned += scanned }()
	for depth := 1; depth <= maxDepth && len(w.queue) > 0; depth++ {
		w.next = w.next[:0]
		for _, v := range w.queue {
			lo, hi := w.p.Out(v)
			scanned += int64(hi - lo)
			if budget > 0 && scanned > budget {
				return true
			}
			for e := lo; e < hi; e++ {
				if w.cut != nil && w.cut.Has(int(e)) {
					continue
				}
				t := w.p.Targets[e]
				if w.stamp[t] == w.gen {
					continue
				}
				w.stamp[t] = w.gen
				w.next = append(w.next, t)
				if !visit(t, depth) {
					return false
				}
			}
		}
		w.queue, w.next = w.next, w.queue
	}
	return false
}

// reach fills Path.Reach: targets reachable from each path's entry point
// within MaxDepth-1 moves, one walk per distinct entry point.
func (s *searcher) reach(ctx context.Context, res *Result) error {
	type count struct {
		n         int
		truncated bool
	}
	memo := make(map[string]count)
	w := NewWalker(s.p, s.cut)
	for i := range res.Paths {
		p := &res.Paths[i]
		c, ok := memo[p.Entry()]
		if !ok {
			if err := ctx.Err(); err != nil {
				return fmt.Errorf("attack-path blast radius: %w", err)
			}
			entry, _ := s.p.g.NodeIndex(p.Entry())
			c.truncated = w.Walk([]int32{entry}, s.opts.MaxDepth-1, reachWorkPerEntry, func(n int32, _ int) bool {
				if s.isTarget.Has(int(n)) {
					c.n++
				}
				return true
			})
			memo[p.Entry()] = c
		}
		p.Reach, p.ReachTruncated = c.n, c.truncated
	}
	return nil
}
