package api

import (
	"context"
	"fmt"
	"log/slog"
	"runtime/debug"
	"strconv"
	"sync"
	"time"

	"github.com/breachpath/breachpath/graph"
	"github.com/breachpath/breachpath/paths"
	"github.com/breachpath/breachpath/scoring/owner"
)

// analysisCache holds the analysis of the current store generation.
//
// A generation is identified by the store's sync history (how many syncs and
// the newest sync id): every Sync adds a record, so a changed history means a
// changed graph. The history is read at most once per CheckInterval; the
// analysis is rebuilt when the generation changed or it is older than TTL.
// One computation runs at a time (a single-flight): concurrent requests wait
// for it instead of loading the graph again. When a refresh fails, the last
// good analysis keeps being served.
type analysisCache struct {
	store    graph.Store
	opts     paths.Options
	owners   *owner.Resolver
	ttl      time.Duration
	interval time.Duration
	timeout  time.Duration
	log      *slog.Logger
	now      func() time.Time

	mu        sync.Mutex
	cur       *analysis
	checkedAt time.Time
	inflight  *flight
}

type flight struct {
	done chan struct{}
	an   *analysis
	err  error
}

// get returns the analysis of the current generation, computing it when
// needed. ctx bounds only the wait: the computation itself runs detached
// (bounded by the cache's own timeout) so that one impatient client does not
// waste the work everyone else is waiting for.
//
// Once an analysis exists, readers never wait for the next one: a due
// check (or a sync seen by it) starts a refresh in the background and the
// current analysis keeps answering until the new one replaces it in one
// pointer swap. Only the very first analysis, and one past its TTL, are
// waited for.
func (c *analysisCache) get(ctx context.Context) (*analysis, error) {
	c.mu.Lock()
	now := c.now()
	if c.cur != nil && now.Sub(c.checkedAt) < c.interval && now.Sub(c.cur.builtAt) < c.ttl {
		an := c.cur
		c.mu.Unlock()
		return an, nil
	}
	f := c.start()
	if c.cur != nil && now.Sub(c.cur.builtAt) < c.ttl {
		an := c.cur // stale-while-revalidate: the refresh swaps in when done
		c.mu.Unlock()
		return an, nil
	}
	c.mu.Unlock()
	return f.wait(ctx)
}

// wait returns the flight's outcome; ctx bounds the wait only.
func (f *flight) wait(ctx context.Context) (*analysis, error) {
	select {
	case <-f.done:
		return f.an, f.err
	case <-ctx.Done():
		return nil, fmt.Errorf("wait for analysis: %w", ctx.Err())
	}
}

// start returns the refresh in flight, starting one if none is. c.mu is held.
func (c *analysisCache) start() *flight {
	if c.inflight == nil {
		c.inflight = &flight{done: make(chan struct{})}
		go c.refresh(c.inflight, c.cur)
	}
	return c.inflight
}

// ready returns the current analysis without waiting, or nil when none has
// been computed yet (then it starts the computation).
func (c *analysisCache) ready() *analysis {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.cur == nil {
		c.start()
	}
	return c.cur
}

// idle waits until no refresh is in flight (tests use it to observe a
// background refresh).
func (c *analysisCache) idle() {
	c.mu.Lock()
	f := c.inflight
	c.mu.Unlock()
	if f != nil {
		<-f.done
	}
}

func (c *analysisCache) refresh(f *flight, prev *analysis) {
	ctx, cancel := context.WithTimeout(context.Background(), c.timeout)
	defer cancel()
	defer close(f.done)
	an, err := c.compute(ctx, prev)
	if err != nil && prev != nil {
		// Keep answering from the last good analysis while the store is
		// unreachable (readyz reports it); retry after the check interval.
		c.log.Warn("analysis refresh failed; serving the previous one", "generation", prev.generation, "err", err)
		an, err = prev, nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.inflight = nil
	f.an, f.err = an, err
	if err == nil {
		if an != c.cur {
			// published: the search index needs only the nodes in
			// memory, so it is built now rather than on the first search;
			// likewise the moves' adjacency a neighbourhood reads (near.go)
			an.search.start()
			go an.moveAdjacency()
		}
		c.cur, c.checkedAt = an, c.now()
	}
}

func (c *analysisCache) compute(ctx context.Context, prev *analysis) (*analysis, error) {
	gen, err := generation(ctx, c.store)
	if err != nil {
		return nil, err
	}
	if prev != nil && prev.generation == gen && c.now().Sub(prev.builtAt) < c.ttl {
		return prev, nil
	}
	start := time.Now()
	// search and scoring read the attacker moves only; what else some
	// endpoints read is built after the analysis answers (stages.go)
	g, err := c.store.Load(ctx, graph.Filter{SkipFacts: true})
	if err != nil {
		return nil, fmt.Errorf("load graph: %w", err)
	}
	an, err := analyse(ctx, g, c.opts, c.owners)
	if err != nil {
		return nil, err
	}
	an.generation, an.builtAt, an.took = gen, c.now(), time.Since(start)
	an.search = stage[[]string]{timeout: c.timeout, build: func(context.Context) ([]string, error) {
		hay := searchText(g)
		c.log.Debug("search index built", "generation", gen, "nodes", len(hay))
		return hay, nil
	}}
	an.facts = stage[*factGraph]{timeout: c.timeout, build: func(ctx context.Context) (*factGraph, error) {
		t := time.Now()
		f, err := loadFacts(ctx, c.store, an)
		if err == nil {
			// the load's second copy of the nodes is garbage now (as large
			// as the edges kept): hand its pages back rather than hold
			// them until the next analysis grows into them
			debug.FreeOSMemory()
			c.log.Info("fact edges loaded", "generation", gen, "edges", f.numEdges(), "took", time.Since(t).Round(time.Millisecond))
		}
		return f, err
	}}
	an.kinds = factKinds{timeout: c.timeout, build: func(ctx context.Context, have *kindGraph, want []graph.EdgeKind) (*kindGraph, error) {
		t := time.Now()
		kg, err := loadFactKinds(ctx, c.store, an, have, want)
		if err == nil {
			c.log.Info("fact edges of some kinds loaded", "generation", gen, "kinds", want,
				"edges", len(kg.g.Edges)-len(g.Edges), "took", time.Since(t).Round(time.Millisecond))
		}
		return kg, err
	}}
	c.log.Info("analysis computed", "generation", gen, "nodes", len(g.Nodes), "move_edges", len(g.Edges),
		"paths", len(an.report.Paths), "took", an.took.Round(time.Millisecond))
	return an, nil
}

// newer returns an analysis other than old: the current one when it has
// replaced old already, otherwise the result of a refresh started now
// (which may be old again when the store did not change). ctx bounds the
// wait only.
func (c *analysisCache) newer(ctx context.Context, old *analysis) (*analysis, error) {
	c.mu.Lock()
	if c.cur != nil && c.cur != old {
		an := c.cur
		c.mu.Unlock()
		return an, nil
	}
	f := c.start()
	c.mu.Unlock()
	return f.wait(ctx)
}

// generation names the store's current contents by its sync history.
func generation(ctx context.Context, st graph.Store) (string, error) {
	hist, err := st.History(ctx, graph.Scope{})
	if err != nil {
		return "", fmt.Errorf("read sync history: %w", err)
	}
	var newest int64
	for _, h := range hist {
		newest = max(newest, h.SyncID)
	}
	return strconv.Itoa(len(hist)) + "-" + strconv.FormatInt(newest, 10), nil
}
