package neo4j

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"

	neo "github.com/neo4j/neo4j-go-driver/v5/neo4j"

	"github.com/breachpath/breachpath/graph"
)

// Estate totals: what `graph stats` of every scope, or of whole clouds,
// reads, whatever the number of scopes. One
// (:StatsTotals {key, ns, cloud, count_keys, count_n, counted, scopes, syncs, newest})
// node per namespace and cloud of the scopes holds the sum of what every
// scope of that cloud contributes: the counts of its current projection
// (count_keys/count_n, stats.go; counted is the number of scopes with
// such counts), whether it is synced (scopes), its sync records (syncs)
// and the newest of their ids (newest).
//
// What a scope contributes is kept on its :Scope node (stats_keys,
// stats_n, stats_synced, stats_syncs), so that reconcileTotals can bring a
// scope's contribution in line with what the store holds for it by adding
// the difference to its cloud's totals. It runs in the transaction of
// every write that changes what a scope contributes: a sync's switch (its
// last write transaction, or the common switch of an all-or-nothing sync),
// and the counts a Load or Stats stores for a projection. It is
// idempotent, so the upgrade of a store written before the totals existed
// is reconcileTotals of every scope (fillTotals), after which the
// namespace's :BreachpathMeta carries stats_totals = totalsVersion; a
// namespace created by this version (its first sync or generation, or the
// bulk import, which writes the totals itself) carries it from the start.
//
// Locking: reconcileTotals locks the scopes first (SET s.lock, as every
// sync transaction does), then the totals nodes in key order, and holds
// them to the commit. Concurrent syncs of different scopes of one cloud
// therefore serialise on that cloud's totals node, but only for the end of
// their switching transaction (two small statements and the commit); the
// switch of an all-or-nothing sync reconciles after switching all its
// scopes, so that it never waits for a scope while holding a totals node.

// totalsVersion marks a namespace whose totals cover every scope.
const totalsVersion = 1

// totalsChunk is how many scopes fillTotals reconciles per transaction.
const totalsChunk = 500

// contribution is what one scope adds to its cloud's totals.
type contribution struct {
	counts map[string]int64 // nil: the scope has no current counts
	synced bool
	syncs  int64
}

func contributionOf(keys, n []any, synced bool, syncs int64) (contribution, error) {
	c := contribution{synced: synced, syncs: syncs}
	if keys == nil {
		return c, nil
	}
	if len(keys) != len(n) {
		return c, fmt.Errorf("%w: %d count keys and %d counts", graph.ErrCorrupt, len(keys), len(n))
	}
	c.counts = make(map[string]int64, len(keys))
	for i, k := range keys {
		ks, ok1 := k.(string)
		v, ok2 := n[i].(int64)
		if !ok1 || !ok2 {
			return c, fmt.Errorf("%w: count %v = %v", graph.ErrCorrupt, k, n[i])
		}
		c.counts[ks] += v
	}
	return c, nil
}

// equal reports whether two contributions add the same.
func (c contribution) equal(o contribution) bool {
	return c.synced == o.synced && c.syncs == o.syncs && (c.counts == nil) == (o.counts == nil) && maps.Equal(c.counts, o.counts)
}

// totals is one cloud's :StatsTotals node.
type totals struct {
	key, cloud                     string
	counts                         map[string]int64
	counted, scopes, syncs, newest int64
}

func (t *totals) add(c contribution, sign int64) {
	for k, v := range c.counts {
		t.counts[k] += sign * v
		if t.counts[k] == 0 {
			delete(t.counts, k)
		}
	}
	if c.counts != nil {
		t.counted += sign
	}
	if c.synced {
		t.scopes += sign
	}
	t.syncs += sign * c.syncs
}

// lists returns the counts as the two parallel lists stored.
func (t *totals) lists() ([]string, []int64) {
	keys := slices.Sorted(maps.Keys(t.counts))
	n := make([]int64, len(keys))
	for i, k := range keys {
		n[i] = t.counts[k]
	}
	return keys, n
}

// totalsKey is the key of a cloud's totals node in namespace ns.
func totalsKey(ns, cloud string) string {
	if ns == "" {
		return cloud
	}
	return ns + "/" + cloud
}

// lockScopes locks the scopes' nodes in this transaction, as
// reconcileTotals does first: a write that changes a projection locks its
// scope before the projection, as syncs do, so that the two never wait
// for each other crosswise.
func lockScopes(ctx context.Context, tx neo.ManagedTransaction, keys []string) error {
	if err := run(ctx, tx, `UNWIND $sks AS sk MATCH (s:Scope {key: sk}) SET s.lock = true`, map[string]any{"sks": strsToAny(keys)}); err != nil {
		return fmt.Errorf("lock scopes: %w", err)
	}
	return nil
}

// reconcileTotals brings what the scopes contribute to their clouds'
// totals in line with what the store holds for them, in tx (see above).
func (s *Store) reconcileTotals(ctx context.Context, tx neo.ManagedTransaction, keys []string) error {
	keys = slices.Sorted(slices.Values(keys))
	type scopeRow struct {
		key, cloud string
		had, want  contribution
		newest     int64
	}
	var rows []scopeRow
	res, err := tx.Run(ctx, `UNWIND $sks AS sk
		MATCH (s:Scope {key: sk}) SET s.lock = true
		WITH s
		OPTIONAL MATCH (p:ScopeProjection {key: s.key})
		CALL { WITH s MATCH (y:SyncRecord {scope: s.key}) WHERE y.ns = $ns RETURN count(y) AS ys, max(y.id) AS ymax }
		WITH s, ys, ymax, CASE WHEN p.sync = s.active THEN p END AS cur
		RETURN s.key, s.cloud, s.stats_keys, s.stats_n, coalesce(s.stats_synced, false), coalesce(s.stats_syncs, 0),
			cur.count_keys, cur.count_n, s.active IS NOT NULL, ys, coalesce(ymax, 0)`,
		map[string]any{"sks": strsToAny(keys), "ns": s.ns})
	if err != nil {
		return fmt.Errorf("read scope contributions: %w", err)
	}
	for res.Next(ctx) {
		v := res.Record().Values
		var r scopeRow
		r.key, _ = v[0].(string)
		r.cloud, _ = v[1].(string)
		hadKeys, _ := v[2].([]any)
		hadN, _ := v[3].([]any)
		hadSynced, _ := v[4].(bool)
		hadSyncs, _ := v[5].(int64)
		wantKeys, _ := v[6].([]any)
		wantN, _ := v[7].([]any)
		synced, _ := v[8].(bool)
		syncs, _ := v[9].(int64)
		r.newest, _ = v[10].(int64)
		if r.had, err = contributionOf(hadKeys, hadN, hadSynced, hadSyncs); err == nil {
			r.want, err = contributionOf(wantKeys, wantN, synced, syncs)
		}
		if err != nil {
			return fmt.Errorf("scope %s: %w", r.key, err)
		}
		rows = append(rows, r)
	}
	if err := res.Err(); err != nil {
		return fmt.Errorf("read scope contributions: %w", err)
	}
	// the clouds whose totals change, locked in key order
	byKey := map[string]*totals{}
	for _, r := range rows {
		if k := totalsKey(s.ns, r.cloud); byKey[k] == nil && (!r.had.equal(r.want) || r.newest > 0) {
			byKey[k] = &totals{key: k, cloud: r.cloud}
		}
	}
	if len(byKey) == 0 {
		return nil
	}
	tks := slices.Sorted(maps.Keys(byKey))
	params := make([]any, len(tks))
	for i, k := range tks {
		params[i] = map[string]any{"key": k, "cloud": byKey[k].cloud}
	}
	res, err = tx.Run(ctx, `UNWIND $tks AS x
		MERGE (t:StatsTotals {key: x.key})
		ON CREATE SET t.ns = $ns, t.cloud = x.cloud, t.count_keys = [], t.count_n = [], t.counted = 0, t.scopes = 0, t.syncs = 0, t.newest = 0
		SET t.lock = true
		RETURN t.key, t.count_keys, t.count_n, t.counted, t.scopes, t.syncs, t.newest`,
		map[string]any{"tks": params, "ns": s.ns})
	if err != nil {
		return fmt.Errorf("read totals: %w", err)
	}
	for res.Next(ctx) {
		v := res.Record().Values
		k, _ := v[0].(string)
		t := byKey[k]
		if t == nil {
			return fmt.Errorf("%w: totals %q not asked for", graph.ErrCorrupt, k)
		}
		ck, _ := v[1].([]any)
		cn, _ := v[2].([]any)
		c, err := contributionOf(ck, cn, false, 0)
		if err != nil {
			return fmt.Errorf("totals %s: %w", k, err)
		}
		t.counts = c.counts
		if t.counts == nil {
			t.counts = map[string]int64{}
		}
		t.counted, _ = v[3].(int64)
		t.scopes, _ = v[4].(int64)
		t.syncs, _ = v[5].(int64)
		t.newest, _ = v[6].(int64)
	}
	if err := res.Err(); err != nil {
		return fmt.Errorf("read totals: %w", err)
	}
	var scopeParams []any
	for _, r := range rows {
		t := byKey[totalsKey(s.ns, r.cloud)]
		if t == nil {
			continue
		}
		t.newest = max(t.newest, r.newest)
		if r.had.equal(r.want) {
			continue
		}
		t.add(r.had, -1)
		t.add(r.want, 1)
		p := map[string]any{"key": r.key, "keys": nil, "n": nil, "synced": r.want.synced, "syncs": r.want.syncs}
		if r.want.counts != nil {
			c := totals{counts: r.want.counts}
			p["keys"], p["n"] = c.lists()
		}
		scopeParams = append(scopeParams, p)
	}
	totParams := make([]any, len(tks))
	for i, k := range tks {
		t := byKey[k]
		ck, cn := t.lists()
		totParams[i] = map[string]any{"key": k, "keys": ck, "n": cn, "counted": t.counted, "scopes": t.scopes, "syncs": t.syncs, "newest": t.newest}
	}
	err = run(ctx, tx, `UNWIND $tot AS x
		MATCH (t:StatsTotals {key: x.key})
		SET t.count_keys = x.keys, t.count_n = x.n, t.counted = x.counted, t.scopes = x.scopes, t.syncs = x.syncs, t.newest = x.newest
		REMOVE t.lock
		WITH count(*) AS done
		UNWIND $sc AS x
		MATCH (s:Scope {key: x.key})
		SET s.stats_keys = x.keys, s.stats_n = x.n, s.stats_synced = x.synced, s.stats_syncs = x.syncs`,
		map[string]any{"tot": totParams, "sc": scopeParams})
	if err != nil {
		return fmt.Errorf("write totals: %w", err)
	}
	return nil
}

// fillTotals reconciles every scope of the namespace, then marks its totals
// complete: the upgrade of a store written before the totals existed (or
// by the bulk import). Concurrent syncs reconcile their own scopes, so the
// totals stay right while it runs.
func (s *Store) fillTotals(ctx context.Context) error {
	sess := s.session(ctx, neo.AccessModeWrite)
	defer sess.Close(context.WithoutCancel(ctx))
	var keys []string
	err := s.readAll(ctx, sess, `MATCH (s:Scope {ns: $ns}) RETURN s.key ORDER BY s.key`, map[string]any{"ns": s.ns}, func(v []any) error {
		k, _ := v[0].(string)
		keys = append(keys, k)
		return nil
	})
	if err != nil {
		return fmt.Errorf("list scopes: %w", err)
	}
	for c := range slices.Chunk(keys, totalsChunk) {
		_, err := sess.ExecuteWrite(ctx, func(tx neo.ManagedTransaction) (any, error) {
			return nil, s.reconcileTotals(ctx, tx, c)
		})
		if err != nil {
			return err
		}
	}
	_, err = sess.ExecuteWrite(ctx, func(tx neo.ManagedTransaction) (any, error) {
		return nil, run(ctx, tx, `MERGE (m:BreachpathMeta {ns: $ns}) SET m.stats_totals = $v`, map[string]any{"ns": s.ns, "v": int64(totalsVersion)})
	})
	if err != nil {
		return fmt.Errorf("mark totals: %w", err)
	}
	s.log.Info("estate totals filled for graph stats", "scopes", len(keys))
	return nil
}

// totalsStats answers Stats of whole clouds (every cloud when none is
// given) from the totals. It returns nil when they do not cover every
// synced scope of those clouds with current counts: the caller then sums
// the scopes' own counts.
func (s *Store) totalsStats(ctx context.Context, clouds []graph.Cloud) (*graph.Stats, error) {
	for attempt := 0; ; attempt++ {
		sess := s.session(ctx, neo.AccessModeRead)
		var marked bool
		c := graph.NewStatsCounter()
		complete := true
		var syncs, newest int64
		err := s.readAll(ctx, sess, `OPTIONAL MATCH (m:BreachpathMeta {ns: $ns})
			OPTIONAL MATCH (t:StatsTotals) WHERE t.ns = $ns
			RETURN coalesce(m.stats_totals, 0) >= $v, t.cloud, t.count_keys, t.count_n, t.counted, t.scopes, t.syncs, t.newest`,
			map[string]any{"ns": s.ns, "v": int64(totalsVersion)}, func(v []any) error {
				marked, _ = v[0].(bool)
				cloud, _ := v[1].(string)
				if cloud == "" || (len(clouds) > 0 && !slices.Contains(clouds, graph.Cloud(cloud))) {
					return nil
				}
				ck, _ := v[2].([]any)
				cn, _ := v[3].([]any)
				counted, _ := v[4].(int64)
				scopes, _ := v[5].(int64)
				n, _ := v[6].(int64)
				nw, _ := v[7].(int64)
				if counted != scopes {
					complete = false // some scope has no current counts
				}
				syncs += n
				newest = max(newest, nw)
				tc, err := contributionOf(ck, cn, false, 0)
				if err != nil {
					return fmt.Errorf("totals of %s: %w", cloud, err)
				}
				for k, n := range tc.counts {
					what, rest, _ := strings.Cut(k, "\t")
					kcloud, kind, ok := strings.Cut(rest, "\t")
					if !ok || n < 0 || (what != "sync" && !c.AddCount(what, graph.Cloud(kcloud), kind, int(n))) {
						return fmt.Errorf("%w: totals of %s: count %q = %d", graph.ErrCorrupt, cloud, k, n)
					}
				}
				return nil
			})
		sess.Close(context.WithoutCancel(ctx))
		if err != nil {
			return nil, err
		}
		if !marked {
			if attempt > 0 {
				return nil, nil
			}
			// a store written before the totals: fill them once. A
			// failure (a read-only user) only costs this call the sum
			// over the scopes.
			if err := s.fillTotals(ctx); err != nil {
				if ctx.Err() != nil {
					return nil, err
				}
				s.log.Warn("could not fill the estate totals; graph stats sums the scopes' counts", "err", s.storeErr(err).Error())
				return nil, nil
			}
			continue
		}
		if !complete {
			return nil, nil
		}
		out := c.Stats()
		out.Syncs, out.NewestSync = int(syncs), newest
		return out, nil
	}
}
