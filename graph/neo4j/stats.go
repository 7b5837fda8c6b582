package neo4j

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	neo "github.com/neo4j/neo4j-go-driver/v5/neo4j"

	"github.com/breachpath/breachpath/graph"
	"github.com/breachpath/breachpath/graph/blob"
)

// Counting without loading (graph.Store.Stats). Every projection a sync
// writes carries the row counts of the rows it holds (graph.CountRows) as
// two parallel lists on the :ScopeProjection node, count_keys
// ("what<TAB>cloud<TAB>kind") and count_n, written, staged and promoted
// with the blob (projection.go): they are current exactly when the blob is
// (p.sync = the scope's active sync). Stats of whole clouds reads their
// sums kept at sync time (totals.go); Stats of named scopes, or of clouds
// whose totals miss a scope's counts, sums them in one Cypher
// aggregation. A scope whose projection has no current counts (a store
// written by an older breachpath) is counted from its projection, or its
// rows, once: the counts are then stored for the next call.

// stagedProps are the properties a SyncAllOrNothing stages on a
// projection and the switch promotes.
const stagedProps = `p.staged, p.staged_sync, p.staged_links, p.staged_count_keys, p.staged_count_n`

// countLists are graph.CountRows as two parallel lists, as stored.
type countLists struct {
	keys []string
	n    []int64
}

func rowCounts(scopeCloud graph.Cloud, rows *blob.Rows) countLists {
	m := graph.CountRows(scopeCloud, rows.Nodes, rows.Edges, rows.Findings)
	out := countLists{keys: make([]string, 0, len(m)), n: make([]int64, 0, len(m))}
	for k := range m {
		out.keys = append(out.keys, k.What+"\t"+k.Cloud+"\t"+k.Kind)
	}
	slices.Sort(out.keys)
	for _, k := range out.keys {
		what, rest, _ := strings.Cut(k, "\t")
		cloud, kind, _ := strings.Cut(rest, "\t")
		out.n = append(out.n, int64(m[graph.CountKey{What: what, Cloud: cloud, Kind: kind}]))
	}
	return out
}

// statsScopes selects the scopes of the filter in Cypher ($scopes and
// $clouds null: every scope).
const statsScopes = `MATCH (s:Scope {ns: $ns}) WHERE s.active IS NOT NULL
	AND ($scopes IS NULL OR s.key IN $scopes) AND ($clouds IS NULL OR s.cloud IN $clouds)`

// Stats counts the rows of the scopes the filter selects (graph.Store).
func (s *Store) Stats(ctx context.Context, filter graph.Filter, opts graph.StatsOptions) (*graph.Stats, error) {
	st, err := s.countStats(ctx, filter, opts)
	if err != nil {
		return nil, fmt.Errorf("stats: %w", s.storeErr(err))
	}
	return st, nil
}

func (s *Store) countStats(ctx context.Context, filter graph.Filter, opts graph.StatsOptions) (*graph.Stats, error) {
	p := map[string]any{"ns": s.ns, "scopes": nil, "clouds": nil, "f": int64(blob.Version)}
	if len(filter.Scopes) > 0 {
		keys := make([]any, len(filter.Scopes))
		for i, sc := range filter.Scopes {
			keys[i] = s.scopeKey(sc)
		}
		p["scopes"] = keys
	}
	if len(filter.Clouds) > 0 {
		clouds := make([]any, len(filter.Clouds))
		for i, c := range filter.Clouds {
			clouds[i] = string(c)
		}
		p["clouds"] = clouds
	}
	if len(filter.Scopes) == 0 {
		// whole clouds: the estate totals (totals.go)
		st, err := s.totalsStats(ctx, filter.Clouds)
		if err != nil {
			return nil, err
		}
		if st != nil {
			if opts.PerScope {
				sess := s.session(ctx, neo.AccessModeRead)
				defer sess.Close(context.WithoutCancel(ctx))
				if st.Scopes, err = s.scopeStats(ctx, sess, p); err != nil {
					return nil, err
				}
			}
			return st, nil
		}
	}
	sess := s.session(ctx, neo.AccessModeRead)
	defer sess.Close(context.WithoutCancel(ctx))
	c := graph.NewStatsCounter()
	// the scopes whose counts are current, summed by the server
	err := s.readAll(ctx, sess, statsScopes+`
		MATCH (p:ScopeProjection {key: s.key}) WHERE p.sync = s.active AND p.count_keys IS NOT NULL
		UNWIND range(0, size(p.count_keys) - 1) AS i
		WITH p.count_keys[i] AS k, p.count_n[i] AS n
		RETURN k, sum(n)`, p, func(v []any) error {
		k, _ := v[0].(string)
		n, _ := v[1].(int64)
		what, rest, _ := strings.Cut(k, "\t")
		cloud, kind, ok := strings.Cut(rest, "\t")
		if !ok {
			return fmt.Errorf("%w: projection count key %q", graph.ErrCorrupt, k)
		}
		if what != "sync" && !c.AddCount(what, graph.Cloud(cloud), kind, int(n)) {
			return fmt.Errorf("%w: projection count key %q", graph.ErrCorrupt, k)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	// the others, counted once and then stored
	var missing []scopeState
	err = s.readAll(ctx, sess, statsScopes+`
		OPTIONAL MATCH (p:ScopeProjection {key: s.key})
		WITH s, p WHERE p IS NULL OR p.sync <> s.active OR p.count_keys IS NULL
		RETURN s.key, s.cloud, s.scope_id, s.active, s.active_seen`, p, func(v []any) error {
		var st scopeState
		st.key, _ = v[0].(string)
		cloud, _ := v[1].(string)
		st.scope.ID, _ = v[2].(string)
		st.scope.Cloud = graph.Cloud(cloud)
		st.active, _ = v[3].(int64)
		missing = append(missing, st)
		return nil
	})
	if err != nil {
		return nil, err
	}
	for _, st := range missing {
		if err := s.countScope(ctx, st.scope, c); err != nil {
			return nil, fmt.Errorf("scope %s: %w", st.scope, err)
		}
	}
	out := c.Stats()
	// the sync history of the selected scopes
	q := `MATCH (y:SyncRecord {ns: $ns}) RETURN count(y), max(y.id)`
	if p["scopes"] != nil || p["clouds"] != nil {
		q = statsScopes + ` MATCH (y:SyncRecord {scope: s.key}) WHERE y.ns = $ns RETURN count(y), max(y.id)`
	}
	err = s.readAll(ctx, sess, q, p, func(v []any) error {
		n, _ := v[0].(int64)
		newest, _ := v[1].(int64)
		out.Syncs, out.NewestSync = int(n), newest
		return nil
	})
	if err != nil {
		return nil, err
	}
	if opts.PerScope {
		if out.Scopes, err = s.scopeStats(ctx, sess, p); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// scopeStats lists the scopes the parameters of statsScopes select.
func (s *Store) scopeStats(ctx context.Context, sess neo.SessionWithContext, p map[string]any) ([]graph.ScopeStats, error) {
	out := []graph.ScopeStats{}
	err := s.readAll(ctx, sess, statsScopes+`
		OPTIONAL MATCH (y:SyncRecord {ns: $ns, id: s.active})
		RETURN s.cloud, s.scope_id, s.active, y.at, COUNT { MATCH (z:SyncRecord {scope: s.key}) WHERE z.ns = $ns }
		ORDER BY s.cloud, s.scope_id`, p, func(v []any) error {
		var sc graph.ScopeStats
		cloud, _ := v[0].(string)
		sc.Scope.ID, _ = v[1].(string)
		sc.Scope.Cloud = graph.Cloud(cloud)
		sc.SyncID, _ = v[2].(int64)
		if at, ok := v[3].(time.Time); ok {
			sc.LastSync = at.UTC()
		}
		n, _ := v[4].(int64)
		sc.Syncs = int(n)
		out = append(out, sc)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("scopes: %w", err)
	}
	return out, nil
}

// countScope counts one scope whose projection has no current counts, from
// a Load of that scope alone (its projection, or its rows), and stores the
// counts on its projection while that is still current: a cache, like the
// projection a Load builds, so a failure to store is only logged.
func (s *Store) countScope(ctx context.Context, sc graph.Scope, c *graph.StatsCounter) error {
	sess := s.session(ctx, neo.AccessModeRead)
	var active int64
	err := s.readAll(ctx, sess, `MATCH (s:Scope {key: $sk}) RETURN s.active`, map[string]any{"sk": s.scopeKey(sc)}, func(v []any) error {
		active, _ = v[0].(int64)
		return nil
	})
	sess.Close(context.WithoutCancel(ctx))
	if err != nil {
		return err
	}
	g, err := s.Load(ctx, graph.Filter{Scopes: []graph.Scope{sc}, IncludeResolved: true})
	if err != nil {
		return err
	}
	rows := blob.Rows{Nodes: g.Nodes, Edges: g.Edges, Findings: g.Findings}
	counts := rowCounts(sc.Cloud, &rows)
	for i, k := range counts.keys {
		what, rest, _ := strings.Cut(k, "\t")
		cloud, kind, _ := strings.Cut(rest, "\t")
		c.AddCount(what, graph.Cloud(cloud), kind, int(counts.n[i]))
	}
	// The load read the version active when it started, or a later one;
	// while the scope's active sync is still the one read before the load,
	// it is the one the load read (versions only move on), and the
	// projection of that version is the one to annotate.
	wsess := s.session(ctx, neo.AccessModeWrite)
	defer wsess.Close(context.WithoutCancel(ctx))
	_, err = wsess.ExecuteWrite(ctx, func(tx neo.ManagedTransaction) (any, error) {
		if err := lockScopes(ctx, tx, []string{s.scopeKey(sc)}); err != nil {
			return nil, err
		}
		res, err := tx.Run(ctx, `MATCH (s:Scope {key: $sk}) WHERE s.active = $v
			MATCH (p:ScopeProjection {key: $sk}) WHERE p.sync = $v
			SET p.count_keys = $ck, p.count_n = $cn`,
			map[string]any{"sk": s.scopeKey(sc), "v": active, "ck": counts.keys, "cn": counts.n})
		if err != nil {
			return nil, err
		}
		if _, err := res.Consume(ctx); err != nil {
			return nil, err
		}
		return nil, s.reconcileTotals(ctx, tx, []string{s.scopeKey(sc)})
	})
	if err != nil {
		s.log.Warn("could not store the scope's counts; the next stats counts it again", "scope", sc.String(), "err", s.storeErr(err).Error())
	}
	return nil
}
