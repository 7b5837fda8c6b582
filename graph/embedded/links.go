package embedded

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/breachpath/breachpath/graph"
	"github.com/breachpath/breachpath/graph/blob"
)

// schemaV4 adds the cross-scope index (graph.ScopeLinks): one row per
// scope, written by the same transaction as the scope's projection and
// tagged with the same sync id, so a reader knows it is current exactly
// when the projection is.
const schemaV4 = `
CREATE TABLE scope_links (
	scope   INTEGER PRIMARY KEY REFERENCES scopes(id),
	sync_id INTEGER NOT NULL, -- syncs.id of the sync whose rows it indexes
	links   BLOB NOT NULL     -- graph.EncodeScopeLinks
);
`

// writeLinks stores the index of the rows the projection holds.
func (w *syncer) writeLinks(rows *blob.Rows) error {
	b := graph.EncodeScopeLinks(graph.BuildScopeLinks(rows.Nodes, rows.Edges, rows.Findings))
	if _, err := w.tx.ExecContext(w.ctx, `INSERT INTO scope_links(scope, sync_id, links) VALUES (?, ?, ?)
		ON CONFLICT(scope) DO UPDATE SET sync_id = excluded.sync_id, links = excluded.links`,
		w.scopeID, w.res.SyncID, b); err != nil {
		return fmt.Errorf("write cross-scope index: %w", err)
	}
	return nil
}

// Links returns the cross-scope index of every synced scope the filter
// selects, read in one transaction; a scope whose index is missing (a store
// last written by an older breachpath), belongs to an older sync or does not
// decode maps to a nil Links.
func (s *Store) Links(ctx context.Context, filter graph.Filter) (map[graph.Scope]graph.ScopeIndex, error) {
	tx, err := s.db.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return nil, fmt.Errorf("cross-scope index: %w", wrapDBErr(err))
	}
	defer tx.Rollback()
	rows, err := tx.QueryContext(ctx, `SELECT c.cloud, c.ext_id, c.last_sync, l.links
		FROM scopes c LEFT JOIN scope_links l ON l.scope = c.id AND l.sync_id = c.last_sync
		WHERE c.last_sync IS NOT NULL`)
	if err != nil {
		return nil, fmt.Errorf("cross-scope index: %w", wrapDBErr(err))
	}
	defer rows.Close()
	out := map[graph.Scope]graph.ScopeIndex{}
	for rows.Next() {
		var sc graph.Scope
		var cloud string
		var ix graph.ScopeIndex
		var b sql.RawBytes
		if err := rows.Scan(&cloud, &sc.ID, &ix.SyncID, &b); err != nil {
			return nil, fmt.Errorf("cross-scope index: %w", wrapDBErr(err))
		}
		sc.Cloud = graph.Cloud(cloud)
		if !filter.Matches(sc) {
			continue
		}
		if b != nil {
			if ix.Links, err = graph.DecodeScopeLinks(b); err != nil {
				s.log.Warn("cross-scope index unusable", "scope", sc.String(), "err", err.Error())
			}
		}
		out[sc] = ix
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("cross-scope index: %w", wrapDBErr(err))
	}
	return out, nil
}

// backfillLinks writes the index of a scope an unchanged re-sync found
// without one (a store upgraded from schema version 3): from the
// projection the sync keeps, so that the scope does not wait for a change
// to become selectable.
func (w *syncer) backfillLinks() error {
	var n int
	if err := w.tx.QueryRowContext(w.ctx, `SELECT count(*) FROM scope_links WHERE scope = ?`, w.scopeID).Scan(&n); err != nil {
		return fmt.Errorf("cross-scope index: %w", err)
	}
	if n > 0 {
		return nil
	}
	var b []byte
	if err := w.tx.QueryRowContext(w.ctx, `SELECT blob FROM projections WHERE scope = ?`, w.scopeID).Scan(&b); err != nil {
		return fmt.Errorf("cross-scope index: %w", err)
	}
	d, err := blob.Decode(b, blob.Options{IncludeResolved: true})
	if err != nil {
		return fmt.Errorf("cross-scope index: %w", err)
	}
	rows := &blob.Rows{Nodes: d.Nodes, Findings: d.Findings}
	for _, r := range d.EdgeRuns {
		rows.Edges = append(rows.Edges, r...)
	}
	return w.writeLinks(rows)
}
