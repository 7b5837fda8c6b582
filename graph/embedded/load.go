package embedded

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"slices"
	"time"

	"github.com/breachpath/breachpath/graph"
)

// storedScope is a row of the scopes table.
type storedScope struct {
	id       int64
	scope    graph.Scope
	lastSeen sql.NullInt64
	lastSync int64        // the newest sync's id: the version Load reads (graph.Graph.Versions)
	rows     graph.Counts // after the newest sync: a capacity hint
}

// syncedScopes lists the scopes that have at least one sync, in order.
func syncedScopes(ctx context.Context, q interface {
	QueryContext(context.Context, string, ...any) (*sql.Rows, error)
}) ([]storedScope, error) {
	rows, err := q.QueryContext(ctx, `SELECT id, cloud, ext_id, last_seen, last_sync, n_nodes, n_edges, n_findings
		FROM scopes WHERE last_sync IS NOT NULL ORDER BY cloud, ext_id`)
	if err != nil {
		return nil, wrapDBErr(err)
	}
	defer rows.Close()
	var out []storedScope
	for rows.Next() {
		var s storedScope
		var cloud string
		if err := rows.Scan(&s.id, &cloud, &s.scope.ID, &s.lastSeen, &s.lastSync, &s.rows.Nodes, &s.rows.Edges, &s.rows.Findings); err != nil {
			return nil, wrapDBErr(err)
		}
		s.scope.Cloud = graph.Cloud(cloud)
		out = append(out, s)
	}
	return out, wrapDBErr(rows.Err())
}

// Load reads the selected scopes in one read transaction, so that it sees
// every scope as of one moment even while syncs run, and assembles them.
func (s *Store) Load(ctx context.Context, filter graph.Filter) (*graph.Graph, error) {
	tx, err := s.db.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return nil, fmt.Errorf("load: %w", wrapDBErr(err))
	}
	defer tx.Rollback()
	scopes, err := syncedScopes(ctx, tx)
	if err != nil {
		return nil, fmt.Errorf("load: %w", err)
	}
	scopes = slices.DeleteFunc(scopes, func(sc storedScope) bool { return !filter.Matches(sc.scope) })
	parts, tiles, resume, err := s.loadParts(ctx, tx, scopes, filter)
	if err != nil {
		resume()
		return nil, fmt.Errorf("load: %w", err)
	}
	g := graph.MergeTiled(parts, tiles)
	resume()
	g.Versions = make(map[graph.Scope]int64, len(scopes))
	for _, sc := range scopes {
		g.Versions[sc.scope] = sc.lastSync
	}
	return g, nil
}

// interner shares one copy of strings that repeat across rows (node ids
// as edge endpoints, kinds, techniques): a loaded graph holds millions.
type interner map[string]string

func (in interner) get(b []byte) string {
	if s, ok := in[string(b)]; ok { // no allocation for the lookup
		return s
	}
	s := string(b)
	in[s] = s
	return s
}

// loadNodesWhere reads the scope's node rows; where adds conditions (" AND ...").
func loadNodesWhere(ctx context.Context, tx *sql.Tx, sc storedScope, in interner, out []graph.Node, where string) ([]graph.Node, error) {
	rows, err := tx.QueryContext(ctx, `SELECT id, stale_since, doc FROM nodes WHERE scope = ?`+where, sc.id)
	if err != nil {
		return out, err
	}
	defer rows.Close()
	for rows.Next() {
		var (
			id    sql.RawBytes
			stale sql.NullInt64
			doc   sql.RawBytes
		)
		if err := rows.Scan(&id, &stale, &doc); err != nil {
			return out, err
		}
		var n graph.Node
		if err := decodeNode(in.get(id), doc, &n); err != nil {
			return out, err
		}
		n.Stale, n.StaleSince = stale.Valid, nsTime(stale)
		out = append(out, n)
	}
	return out, rows.Err()
}

// loadEdgesWhere reads the scope's edge rows; where adds conditions (" AND ...").
func loadEdgesWhere(ctx context.Context, tx *sql.Tx, sc storedScope, in interner, out []graph.Edge, where string) ([]graph.Edge, error) {
	rows, err := tx.QueryContext(ctx, `SELECT src, kind, dst, technique, stale_since IS NOT NULL, doc FROM edges WHERE scope = ?`+where, sc.id)
	if err != nil {
		return out, err
	}
	defer rows.Close()
	for rows.Next() {
		var (
			e                         graph.Edge
			from, kind, to, technique sql.RawBytes
			doc                       sql.RawBytes
		)
		if err := rows.Scan(&from, &kind, &to, &technique, &e.Stale, &doc); err != nil {
			return out, err
		}
		e.From, e.Kind, e.To, e.Technique = in.get(from), graph.EdgeKind(in.get(kind)), in.get(to), in.get(technique)
		if err := decodeEdge(doc, &e); err != nil {
			return out, err
		}
		out = append(out, e)
	}
	return out, rows.Err()
}

func loadFindings(ctx context.Context, tx *sql.Tx, sc storedScope, resolved bool, out []graph.Finding) ([]graph.Finding, error) {
	q := `SELECT id, resource, first_seen, last_seen, resolved_at, stale_since, doc FROM findings WHERE scope = ?`
	if !resolved {
		q += ` AND resolved_at IS NULL`
	}
	rows, err := tx.QueryContext(ctx, q, sc.id)
	if err != nil {
		return out, err
	}
	defer rows.Close()
	for rows.Next() {
		var (
			f                       graph.Finding
			first                   int64
			last, resolvedAt, stale sql.NullInt64
			doc                     sql.RawBytes
		)
		if err := rows.Scan(&f.ID, &f.Resource, &first, &last, &resolvedAt, &stale, &doc); err != nil {
			return out, err
		}
		if err := decodeFinding(doc, &f); err != nil {
			return out, err
		}
		if !last.Valid { // seen by the scope's newest sync
			last = sc.lastSeen
		}
		f.FirstSeen, f.LastSeen, f.ResolvedAt = time.Unix(0, first).UTC(), nsTime(last), nsTime(resolvedAt)
		f.Stale = stale.Valid
		out = append(out, f)
	}
	return out, rows.Err()
}

// History returns the sync records of a scope (every scope when zero),
// newest first.
func (s *Store) History(ctx context.Context, scope graph.Scope) ([]graph.SyncRecord, error) {
	q := `SELECT y.id, c.cloud, c.ext_id, y.at, y.collected_at, y.collector,
		y.written_nodes, y.written_edges, y.written_findings, y.removed_nodes, y.removed_edges, y.removed_findings,
		y.stale_nodes, y.stale_edges, y.stale_findings, y.resolved, y.coverage
		FROM syncs y JOIN scopes c ON c.id = y.scope`
	var args []any
	if scope != (graph.Scope{}) {
		q += ` WHERE c.cloud = ? AND c.ext_id = ?`
		args = append(args, string(scope.Cloud), scope.ID)
	}
	q += ` ORDER BY y.id DESC`
	rows, err := s.db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("history %s: %w", scope, wrapDBErr(err))
	}
	defer rows.Close()
	var out []graph.SyncRecord
	for rows.Next() {
		var (
			r         graph.SyncRecord
			cloud     string
			at        int64
			collected sql.NullInt64
			cov       string
		)
		if err := rows.Scan(&r.SyncID, &cloud, &r.Scope.ID, &at, &collected, &r.Collector,
			&r.Written.Nodes, &r.Written.Edges, &r.Written.Findings, &r.Removed.Nodes, &r.Removed.Edges, &r.Removed.Findings,
			&r.Stale.Nodes, &r.Stale.Edges, &r.Stale.Findings, &r.Resolved, &cov); err != nil {
			return nil, fmt.Errorf("history %s: %w", scope, wrapDBErr(err))
		}
		r.Scope.Cloud = graph.Cloud(cloud)
		r.At, r.CollectedAt = time.Unix(0, at).UTC(), nsTime(collected)
		if err := json.Unmarshal([]byte(cov), &r.Coverage); err != nil {
			return nil, fmt.Errorf("history %s: sync %d coverage: %w: %v", scope, r.SyncID, graph.ErrCorrupt, err)
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("history %s: %w", scope, wrapDBErr(err))
	}
	return out, nil
}

// Scopes lists the scopes that have been synced, ordered by cloud and id.
func (s *Store) Scopes(ctx context.Context) ([]graph.Scope, error) {
	stored, err := syncedScopes(ctx, s.db)
	if err != nil {
		return nil, fmt.Errorf("list scopes: %w", err)
	}
	out := make([]graph.Scope, len(stored))
	for i, sc := range stored {
		out[i] = sc.scope
	}
	return out, nil
}
