package neo4j

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	neo "github.com/neo4j/neo4j-go-driver/v5/neo4j"

	"github.com/breachpath/breachpath/graph"
)

// loadAttempts bounds how often Load starts over because a sync's cleanup
// deleted rows of the version it was reading.
const loadAttempts = 5

// scopeState is a :Scope node as Load sees it.
type scopeState struct {
	key    string
	scope  graph.Scope
	active int64
	seen   time.Time
	rows   int // node and edge rows its active sync left (written and stale)
}

func (s *Store) readScopes(ctx context.Context, sess neo.SessionWithContext) ([]scopeState, error) {
	out, err := sess.ExecuteRead(ctx, func(tx neo.ManagedTransaction) (any, error) {
		res, err := tx.Run(ctx, `MATCH (s:Scope {ns: $ns}) WHERE s.active IS NOT NULL
			OPTIONAL MATCH (y:SyncRecord {ns: $ns, id: s.active})
			RETURN s.key, s.cloud, s.scope_id, s.active, s.active_seen,
			       coalesce(y.written_nodes, 0) + coalesce(y.stale_nodes, 0) + coalesce(y.written_edges, 0) + coalesce(y.stale_edges, 0)
			ORDER BY s.cloud, s.scope_id`,
			map[string]any{"ns": s.ns})
		if err != nil {
			return nil, err
		}
		var out []scopeState
		for res.Next(ctx) {
			v := res.Record().Values
			var st scopeState
			var cloud string
			var ok [4]bool
			st.key, ok[0] = v[0].(string)
			cloud, ok[1] = v[1].(string)
			st.scope.ID, ok[2] = v[2].(string)
			st.active, ok[3] = v[3].(int64)
			if ok != [4]bool{true, true, true, true} {
				return nil, fmt.Errorf("%w: scope node %v has missing or mistyped properties", graph.ErrCorrupt, v[0])
			}
			st.scope.Cloud = graph.Cloud(cloud)
			if t, isTime := v[4].(time.Time); isTime {
				st.seen = t.UTC()
			}
			rows, _ := v[5].(int64)
			st.rows = int(rows)
			out = append(out, st)
		}
		return out, res.Err()
	})
	if err != nil {
		return nil, err
	}
	return out.([]scopeState), nil
}

// Load returns the selected scopes as of each scope's active sync. Neo4j
// reads are read-committed, not snapshots, so Load reads each scope at the
// version its :Scope node named when Load started; rows of that version
// stay until a later sync's cleanup, which first raises the scope's floor.
// Load checks the floors after reading and starts over if one passed the
// version it read, so it never returns a half-deleted graph.
func (s *Store) Load(ctx context.Context, filter graph.Filter) (*graph.Graph, error) {
	sess := s.session(ctx, neo.AccessModeRead)
	defer sess.Close(context.WithoutCancel(ctx))
	for range loadAttempts {
		g, ok, err := s.loadOnce(ctx, sess, filter)
		if err != nil {
			return nil, fmt.Errorf("load: %w", s.storeErr(err))
		}
		if ok {
			return g, nil
		}
	}
	return nil, errors.New("load: syncs kept replacing the graph while it was read; try again")
}

// visibleAt reports whether a row's properties, read in one piece, make it
// part of version v. The query's WHERE clause already said so, but it read
// the properties one at a time: a row that a sync's cleanup deletes in
// between reads as null from then on, so "sync_to IS NULL" (and
// "resolved_at IS NULL") hold for it, and properties() then returns what
// is left, usually nothing. Such a row belonged to a superseded version:
// it is not part of the active version, and if v is older, the floor check
// restarts the load anyway.
func visibleAt(m map[string]any, v int64) bool {
	from, ok := m["sync_from"].(int64)
	if !ok || from > v {
		return false
	}
	switch to := m["sync_to"].(type) {
	case nil:
		return true
	case int64:
		return to > v
	}
	return false
}

func (s *Store) loadOnce(ctx context.Context, sess neo.SessionWithContext, filter graph.Filter) (*graph.Graph, bool, error) {
	all, err := s.readScopes(ctx, sess)
	if err != nil {
		return nil, false, err
	}
	var (
		parts []graph.Part
		read  []scopeState
	)
	var fills []projectionFill
	for _, st := range all {
		if !filter.Matches(st.scope) {
			continue
		}
		read = append(read, st)
		part, fill, err := s.loadScope(ctx, sess, st, filter)
		if err != nil {
			return nil, false, err
		}
		parts = append(parts, part)
		if fill != nil {
			fills = append(fills, *fill)
		}
	}
	if len(read) > 0 {
		keys := make([]string, len(read))
		for i, st := range read {
			keys[i] = st.key
		}
		floors := map[string]int64{}
		err := s.readAll(ctx, sess, `MATCH (s:Scope) WHERE s.key IN $keys RETURN s.key, coalesce(s.floor, 0)`,
			map[string]any{"keys": keys}, func(v []any) error {
				k, _ := v[0].(string)
				floors[k], _ = v[1].(int64)
				return nil
			})
		if err != nil {
			return nil, false, fmt.Errorf("check floors: %w", err)
		}
		for _, st := range read {
			if floors[st.key] >= st.active {
				return nil, false, nil
			}
		}
	}
	for _, f := range fills {
		s.storeProjection(ctx, f)
	}
	g := graph.Merge(parts)
	g.Versions = make(map[graph.Scope]int64, len(read))
	for _, st := range read {
		g.Versions[st.scope] = st.active
	}
	return g, true, nil
}

// readScopeRows reads one scope's rows at its active version: every node
// and, unless the filter skips them, finding (neither with FactsOnly), and
// the edges the filter loads.
func (s *Store) readScopeRows(ctx context.Context, sess neo.SessionWithContext, st scopeState, filter graph.Filter) ([]graph.Node, []graph.Edge, []graph.Finding, error) {
	var (
		nodes    []graph.Node
		edges    []graph.Edge
		findings []graph.Finding
	)
	p := map[string]any{"sk": st.key, "v": st.active}
	asList := st.rows <= s.collectMax
	if !filter.FactsOnly {
		err := s.readRows(ctx, sess, `MATCH (n:Resource {scope: $sk})
			WHERE n.sync_from <= $v AND (n.sync_to IS NULL OR n.sync_to > $v)`, `properties(n)`, p, asList, func(v []any) error {
			m, _ := v[0].(map[string]any)
			if !visibleAt(m, st.active) {
				return nil // deleted while the query ran (see visibleAt)
			}
			n, err := decodeNode(m)
			if err != nil {
				return err
			}
			nodes = append(nodes, n)
			return nil
		})
		if err != nil {
			return nil, nil, nil, fmt.Errorf("scope %s nodes: %w", st.scope, err)
		}
	}
	edgeMatch := `MATCH (a:Resource {scope: $sk})-[r]->(b:Resource)
			WHERE r.sync_from <= $v AND (r.sync_to IS NULL OR r.sync_to > $v)`
	kinds, in := filter.LoadedEdgeKinds(), ` AND type(r) IN $kinds`
	if ex := filter.ExcludedEdgeKinds(); ex != nil {
		kinds, in = ex, ` AND NOT type(r) IN $kinds`
	}
	if kinds != nil {
		edgeMatch += in
		names := make([]string, len(kinds))
		for i, k := range kinds {
			names[i] = string(k)
		}
		p["kinds"] = names
	}
	err := s.readRows(ctx, sess, edgeMatch, `a.id, type(r), b.id, properties(r)`, p, asList, func(v []any) error {
		var e graph.Edge
		e.From, _ = v[0].(string)
		kind, _ := v[1].(string)
		e.Kind = graph.EdgeKind(kind)
		e.To, _ = v[2].(string)
		m, _ := v[3].(map[string]any)
		if !visibleAt(m, st.active) || e.From == "" || e.To == "" {
			return nil // deleted while the query ran (see visibleAt)
		}
		if err := decodeEdge(m, &e); err != nil {
			return err
		}
		edges = append(edges, e)
		return nil
	})
	if err != nil {
		return nil, nil, nil, fmt.Errorf("scope %s edges: %w", st.scope, err)
	}
	if filter.FactsOnly || filter.SkipFindings {
		return nodes, edges, nil, nil
	}
	q := `MATCH (f:Finding {scope: $sk}) WHERE f.sync_from <= $v AND (f.sync_to IS NULL OR f.sync_to > $v)`
	if !filter.IncludeResolved {
		q += ` AND f.resolved_at IS NULL`
	}
	err = s.readRows(ctx, sess, q, `properties(f)`, p, asList, func(v []any) error {
		m, _ := v[0].(map[string]any)
		if !visibleAt(m, st.active) || (!filter.IncludeResolved && m["resolved_at"] != nil) {
			return nil // deleted while the query ran (see visibleAt)
		}
		f, _, err := decodeFinding(m)
		if err != nil {
			return err
		}
		if f.LastSeen.IsZero() { // seen by the active sync
			f.LastSeen = st.seen
		}
		findings = append(findings, f)
		return nil
	})
	if err != nil {
		return nil, nil, nil, fmt.Errorf("scope %s findings: %w", st.scope, err)
	}
	return nodes, edges, findings, nil
}

// readRows runs match followed by RETURN cols in a read transaction and
// calls each for every row (see queryRows).
func (s *Store) readRows(ctx context.Context, sess neo.SessionWithContext, match, cols string, p map[string]any, asList bool, each func([]any) error) error {
	return readBuffered(ctx, sess, func(tx neo.ManagedTransaction, add func([]any) error) error {
		return queryRows(ctx, tx, match, cols, p, asList, add)
	}, each)
}

// readBuffered runs read in one managed read transaction and hands every
// row it adds to each. Rows are collected first so that a retried
// transaction does not hand rows twice.
func readBuffered(ctx context.Context, sess neo.SessionWithContext, read func(tx neo.ManagedTransaction, add func([]any) error) error, each func([]any) error) error {
	out, err := sess.ExecuteRead(ctx, func(tx neo.ManagedTransaction) (any, error) {
		var rows [][]any
		err := read(tx, func(v []any) error {
			rows = append(rows, v)
			return nil
		})
		return rows, err
	})
	if err != nil {
		return err
	}
	for _, v := range out.([][]any) {
		if err := each(v); err != nil {
			return err
		}
	}
	return nil
}

// queryRows runs match followed by RETURN cols in tx and calls each for
// every row. With asList the server returns all rows as one record holding
// a list: Bolt and the driver pay per record, so that reads about twice as
// fast, but the server builds the list in its heap, so callers ask for it
// only up to collectMaxRows rows. Records are iterated under a context
// without cancellation (the driver consults it several times per record);
// cancellation is checked every 1024 rows instead.
func queryRows(ctx context.Context, tx neo.ManagedTransaction, match, cols string, p map[string]any, asList bool, each func([]any) error) error {
	tick := func(i int) error {
		if i%1024 == 1023 {
			return ctx.Err()
		}
		return nil
	}
	if asList {
		rec, err := single(ctx, tx, match+"\nRETURN collect(["+cols+"])", p)
		if err != nil {
			return err
		}
		n := strings.Count(cols, ",") + 1 // the columns are simple expressions
		rows, _ := rec.Values[0].([]any)
		for i, r := range rows {
			if err := tick(i); err != nil {
				return err
			}
			row, _ := r.([]any)
			if len(row) != n {
				return fmt.Errorf("%w: a row of %d values, want %d", graph.ErrCorrupt, len(row), n)
			}
			if err := each(row); err != nil {
				return err
			}
		}
		return nil
	}
	res, err := tx.Run(ctx, match+"\nRETURN "+cols, p)
	if err != nil {
		return err
	}
	bg := context.WithoutCancel(ctx)
	for i := 0; res.Next(bg); i++ {
		if err := tick(i); err != nil {
			return err
		}
		if err := each(res.Record().Values); err != nil {
			return err
		}
	}
	return res.Err()
}

// readAll runs a read query (with its RETURN) in one managed transaction
// and hands every record to each.
func (s *Store) readAll(ctx context.Context, sess neo.SessionWithContext, q string, p map[string]any, each func([]any) error) error {
	return readBuffered(ctx, sess, func(tx neo.ManagedTransaction, add func([]any) error) error {
		res, err := tx.Run(ctx, q, p)
		if err != nil {
			return err
		}
		for res.Next(ctx) {
			if err := add(res.Record().Values); err != nil {
				return err
			}
		}
		return res.Err()
	}, each)
}

// History returns the sync records of a scope (every scope when zero),
// newest first.
func (s *Store) History(ctx context.Context, scope graph.Scope) ([]graph.SyncRecord, error) {
	sess := s.session(ctx, neo.AccessModeRead)
	defer sess.Close(context.WithoutCancel(ctx))
	q := `MATCH (y:SyncRecord {ns: $ns})`
	p := map[string]any{"ns": s.ns}
	if scope != (graph.Scope{}) {
		q = `MATCH (y:SyncRecord {scope: $sk}) WHERE y.ns = $ns`
		p["sk"] = s.scopeKey(scope)
	}
	q += ` RETURN properties(y) ORDER BY y.id DESC`
	var out []graph.SyncRecord
	err := s.readAll(ctx, sess, q, p, func(v []any) error {
		m, _ := v[0].(map[string]any)
		r, err := decodeSyncRecord(m)
		if err != nil {
			return err
		}
		out = append(out, r)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("history %s: %w", scope, s.storeErr(err))
	}
	return out, nil
}

func decodeSyncRecord(m map[string]any) (graph.SyncRecord, error) {
	var r graph.SyncRecord
	var err error
	d := decoder{m: m, err: &err}
	r.SyncID = d.int("id")
	r.Scope = graph.Scope{Cloud: graph.Cloud(d.str("cloud")), ID: d.str("scope_id")}
	r.At = d.time("at")
	r.CollectedAt = d.time("collected_at")
	r.Collector = d.str("collector")
	r.Written = graph.Counts{Nodes: int(d.int("written_nodes")), Edges: int(d.int("written_edges")), Findings: int(d.int("written_findings"))}
	r.Removed = graph.Counts{Nodes: int(d.int("removed_nodes")), Edges: int(d.int("removed_edges")), Findings: int(d.int("removed_findings"))}
	r.Stale = graph.Counts{Nodes: int(d.int("stale_nodes")), Edges: int(d.int("stale_edges")), Findings: int(d.int("stale_findings"))}
	r.Resolved = int(d.int("resolved"))
	if cov := d.str("coverage"); cov != "" && err == nil {
		if jerr := json.Unmarshal([]byte(cov), &r.Coverage); jerr != nil {
			err = fmt.Errorf("%w: sync %d coverage: %v", graph.ErrCorrupt, r.SyncID, jerr)
		}
	}
	if err != nil {
		return r, fmt.Errorf("sync record %d: %w", r.SyncID, err)
	}
	return r, nil
}

// Scopes lists the scopes that have been synced, ordered by cloud and id.
func (s *Store) Scopes(ctx context.Context) ([]graph.Scope, error) {
	sess := s.session(ctx, neo.AccessModeRead)
	defer sess.Close(context.WithoutCancel(ctx))
	states, err := s.readScopes(ctx, sess)
	if err != nil {
		return nil, fmt.Errorf("list scopes: %w", s.storeErr(err))
	}
	out := make([]graph.Scope, len(states))
	for i, st := range states {
		out[i] = st.scope
	}
	return out, nil
}
