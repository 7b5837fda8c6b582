package embedded

import (
	"context"
	"database/sql"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/breachpath/breachpath/graph"
)

// Counting without loading (graph.Store.Stats). Every sync records its
// scope's row counts per kind (scope_counts, written with the projection;
// see projection.go), and since schema version 5 triggers keep two more
// things in the same transaction: the totals per cloud of the scopes
// (estate_counts: every scope_counts row summed, plus the numbers of synced
// scopes and of syncs and the newest sync id) and each scope's number of
// syncs (scopes.n_syncs). Stats of every scope, or of whole clouds, are
// then a read of a few dozen rows per cloud, whatever the number of
// scopes; stats of named scopes sum their rows of scope_counts; a scope
// without current counts (synced only by a breachpath older than schema
// version 2) is counted from its rows.

// schemaV5 adds the estate-wide totals and the per-scope sync count to a
// version 4 store (upgradeV5 fills them for the rows already there).
const schemaV5 = `
ALTER TABLE scopes ADD COLUMN n_syncs INTEGER NOT NULL DEFAULT 0; -- syncs recorded

-- per cloud of the scopes: their scope_counts rows summed (a 'sync' marker
-- row counts 1, so that the 'sync' total is the number of scopes with
-- counts), plus ('scopes', '', '') synced scopes, ('syncs', '', '') syncs
-- recorded and ('newest', '', '') the id of the newest sync
CREATE TABLE estate_counts (
	scope_cloud TEXT NOT NULL,
	what        TEXT NOT NULL,
	cloud       TEXT NOT NULL,
	kind        TEXT NOT NULL,
	n           INTEGER NOT NULL,
	PRIMARY KEY (scope_cloud, what, cloud, kind)
) WITHOUT ROWID;

CREATE TRIGGER scope_counts_added AFTER INSERT ON scope_counts BEGIN
	INSERT INTO estate_counts(scope_cloud, what, cloud, kind, n)
		VALUES ((SELECT cloud FROM scopes WHERE id = NEW.scope), NEW.what, NEW.cloud, NEW.kind, iif(NEW.what = 'sync', 1, NEW.n))
		ON CONFLICT(scope_cloud, what, cloud, kind) DO UPDATE SET n = n + excluded.n;
END;
CREATE TRIGGER scope_counts_removed AFTER DELETE ON scope_counts BEGIN
	UPDATE estate_counts SET n = n - iif(OLD.what = 'sync', 1, OLD.n)
		WHERE scope_cloud = (SELECT cloud FROM scopes WHERE id = OLD.scope) AND what = OLD.what AND cloud = OLD.cloud AND kind = OLD.kind;
END;
CREATE TRIGGER scope_counts_changed AFTER UPDATE OF scope, what, cloud, kind, n ON scope_counts BEGIN
	UPDATE estate_counts SET n = n - iif(OLD.what = 'sync', 1, OLD.n)
		WHERE scope_cloud = (SELECT cloud FROM scopes WHERE id = OLD.scope) AND what = OLD.what AND cloud = OLD.cloud AND kind = OLD.kind;
	INSERT INTO estate_counts(scope_cloud, what, cloud, kind, n)
		VALUES ((SELECT cloud FROM scopes WHERE id = NEW.scope), NEW.what, NEW.cloud, NEW.kind, iif(NEW.what = 'sync', 1, NEW.n))
		ON CONFLICT(scope_cloud, what, cloud, kind) DO UPDATE SET n = n + excluded.n;
END;
CREATE TRIGGER syncs_added AFTER INSERT ON syncs BEGIN
	UPDATE scopes SET n_syncs = n_syncs + 1 WHERE id = NEW.scope;
	INSERT INTO estate_counts(scope_cloud, what, cloud, kind, n) VALUES ((SELECT cloud FROM scopes WHERE id = NEW.scope), 'syncs', '', '', 1)
		ON CONFLICT(scope_cloud, what, cloud, kind) DO UPDATE SET n = n + 1;
	INSERT INTO estate_counts(scope_cloud, what, cloud, kind, n) VALUES ((SELECT cloud FROM scopes WHERE id = NEW.scope), 'newest', '', '', NEW.id)
		ON CONFLICT(scope_cloud, what, cloud, kind) DO UPDATE SET n = max(n, excluded.n);
END;
CREATE TRIGGER scopes_synced AFTER UPDATE OF last_sync ON scopes
	WHEN OLD.last_sync IS NULL AND NEW.last_sync IS NOT NULL BEGIN
	INSERT INTO estate_counts(scope_cloud, what, cloud, kind, n) VALUES (NEW.cloud, 'scopes', '', '', 1)
		ON CONFLICT(scope_cloud, what, cloud, kind) DO UPDATE SET n = n + 1;
END;
`

// upgradeV5 fills what schemaV5 adds from the rows of an older store.
// Counts of a sync other than the scope's newest are of no use to anyone
// (Load and Stats ignore them) and would break the totals' invariant
// (every scope_counts row summed): they go.
const upgradeV5 = `
DELETE FROM scope_counts WHERE NOT EXISTS
	(SELECT 1 FROM scopes c WHERE c.id = scope_counts.scope AND c.last_sync = scope_counts.sync_id);
DELETE FROM estate_counts;
INSERT INTO estate_counts(scope_cloud, what, cloud, kind, n)
	SELECT c.cloud, k.what, k.cloud, k.kind, sum(iif(k.what = 'sync', 1, k.n))
	FROM scope_counts k JOIN scopes c ON c.id = k.scope GROUP BY c.cloud, k.what, k.cloud, k.kind;
INSERT INTO estate_counts(scope_cloud, what, cloud, kind, n)
	SELECT c.cloud, 'syncs', '', '', count(*) FROM syncs y JOIN scopes c ON c.id = y.scope GROUP BY c.cloud;
INSERT INTO estate_counts(scope_cloud, what, cloud, kind, n)
	SELECT c.cloud, 'newest', '', '', max(y.id) FROM syncs y JOIN scopes c ON c.id = y.scope GROUP BY c.cloud;
INSERT INTO estate_counts(scope_cloud, what, cloud, kind, n)
	SELECT cloud, 'scopes', '', '', count(*) FROM scopes WHERE last_sync IS NOT NULL GROUP BY cloud;
UPDATE scopes SET n_syncs = (SELECT count(*) FROM syncs WHERE syncs.scope = scopes.id);
`

// Stats counts the rows of the scopes the filter selects (graph.Store).
func (s *Store) Stats(ctx context.Context, filter graph.Filter, opts graph.StatsOptions) (*graph.Stats, error) {
	tx, err := s.db.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return nil, fmt.Errorf("stats: %w", wrapDBErr(err))
	}
	defer tx.Rollback()
	var st *graph.Stats
	if len(filter.Scopes) == 0 {
		if st, err = estateStats(ctx, tx, filter.Clouds); err != nil {
			return nil, fmt.Errorf("stats: %w", err)
		}
	}
	if st == nil {
		if st, err = selectedStats(ctx, tx, filter); err != nil {
			return nil, fmt.Errorf("stats: %w", err)
		}
	}
	if opts.PerScope {
		if st.Scopes, err = scopeStats(ctx, tx, filter); err != nil {
			return nil, fmt.Errorf("stats: scopes: %w", err)
		}
	}
	return st, nil
}

// estateStats reads the totals of the scopes of the given clouds (every
// cloud when none is given), or returns nil when they do not cover every
// synced scope of those clouds.
func estateStats(ctx context.Context, tx *sql.Tx, clouds []graph.Cloud) (*graph.Stats, error) {
	rows, err := tx.QueryContext(ctx, `SELECT scope_cloud, what, cloud, kind, n FROM estate_counts`)
	if err != nil {
		return nil, wrapDBErr(err)
	}
	defer rows.Close()
	c := graph.NewStatsCounter()
	counted, scopes := map[string]int{}, map[string]int{}
	var syncs int
	var newest int64
	for rows.Next() {
		var scopeCloud, what, cloud, kind string
		var n int64
		if err := rows.Scan(&scopeCloud, &what, &cloud, &kind, &n); err != nil {
			return nil, wrapDBErr(err)
		}
		if len(clouds) > 0 && !slices.Contains(clouds, graph.Cloud(scopeCloud)) {
			continue
		}
		switch what {
		case "sync":
			counted[scopeCloud] = int(n)
		case "scopes":
			scopes[scopeCloud] = int(n)
		case "syncs":
			syncs += int(n)
		case "newest":
			newest = max(newest, n)
		default:
			if !c.AddCount(what, graph.Cloud(cloud), kind, int(n)) {
				return nil, fmt.Errorf("%w: estate count %q %q %q", graph.ErrCorrupt, what, cloud, kind)
			}
		}
	}
	if err := rows.Err(); err != nil {
		return nil, wrapDBErr(err)
	}
	if !maps.Equal(counted, scopes) {
		return nil, nil // some scope was last synced before counts existed
	}
	st := c.Stats()
	st.Syncs, st.NewestSync = syncs, newest
	return st, nil
}

// selectedStats sums the selected scopes' recorded counts, and counts the
// rows of those without current counts.
func selectedStats(ctx context.Context, tx *sql.Tx, filter graph.Filter) (*graph.Stats, error) {
	scopes, err := syncedScopes(ctx, tx)
	if err != nil {
		return nil, err
	}
	var ids []string
	for _, sc := range scopes {
		if filter.Matches(sc.scope) {
			ids = append(ids, strconv.FormatInt(sc.id, 10))
		}
	}
	c := graph.NewStatsCounter()
	st := c.Stats()
	if len(ids) == 0 {
		return st, nil
	}
	in := "(" + strings.Join(ids, ",") + ")" // integers from the store: safe to inline
	var syncs int
	var newest sql.NullInt64
	if err := tx.QueryRowContext(ctx, `SELECT sum(n_syncs), max(last_sync) FROM scopes WHERE id IN `+in).Scan(&syncs, &newest); err != nil {
		return nil, wrapDBErr(err)
	}
	counted := map[string]bool{}
	rows, err := tx.QueryContext(ctx, `SELECT k.scope FROM scope_counts k JOIN scopes c ON c.id = k.scope
		WHERE k.what = 'sync' AND k.sync_id = c.last_sync AND k.scope IN `+in)
	if err != nil {
		return nil, wrapDBErr(err)
	}
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return nil, wrapDBErr(err)
		}
		counted[strconv.FormatInt(id, 10)] = true
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, wrapDBErr(err)
	}
	var withCounts, withRows []string
	for _, id := range ids {
		if counted[id] {
			withCounts = append(withCounts, id)
		} else {
			withRows = append(withRows, id)
		}
	}
	if len(withCounts) > 0 {
		if err := addRecordedCounts(ctx, tx, "("+strings.Join(withCounts, ",")+")", c); err != nil {
			return nil, fmt.Errorf("recorded counts: %w", err)
		}
	}
	if len(withRows) > 0 {
		if err := addRowCounts(ctx, tx, "("+strings.Join(withRows, ",")+")", c); err != nil {
			return nil, fmt.Errorf("rows: %w", err)
		}
	}
	st = c.Stats()
	st.Syncs, st.NewestSync = syncs, newest.Int64
	return st, nil
}

// addRecordedCounts adds the counts the selected scopes' newest syncs recorded.
func addRecordedCounts(ctx context.Context, tx *sql.Tx, in string, c *graph.StatsCounter) error {
	rows, err := tx.QueryContext(ctx, `SELECT what, cloud, kind, n FROM scope_counts WHERE scope IN `+in)
	if err != nil {
		return wrapDBErr(err)
	}
	defer rows.Close()
	for rows.Next() {
		var what, cloud, kind string
		var n int
		if err := rows.Scan(&what, &cloud, &kind, &n); err != nil {
			return wrapDBErr(err)
		}
		if what == "sync" {
			continue
		}
		if !c.AddCount(what, graph.Cloud(cloud), kind, n) {
			return fmt.Errorf("%w: scope count %q %q %q", graph.ErrCorrupt, what, cloud, kind)
		}
	}
	return wrapDBErr(rows.Err())
}

// addRowCounts counts the selected scopes' rows in SQL: the way of scopes
// synced before syncs recorded counts, and the reference the counts are
// tested against.
func addRowCounts(ctx context.Context, tx *sql.Tx, in string, c *graph.StatsCounter) error {
	grouped := func(what, q string) error {
		rows, err := tx.QueryContext(ctx, q)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var cloud, kind string
			var n int
			if err := rows.Scan(&cloud, &kind, &n); err != nil {
				return err
			}
			c.AddCount(what, graph.Cloud(cloud), kind, n)
		}
		return rows.Err()
	}
	steps := []struct {
		name string
		run  func() error
	}{
		{"nodes", func() error {
			return grouped("node", `SELECT cloud, kind, count(*) FROM nodes WHERE stub = 0 AND scope IN `+in+` GROUP BY cloud, kind`)
		}},
		{"edges", func() error {
			return grouped("edge", `SELECT c.cloud, e.kind, count(*) FROM edges e JOIN scopes c ON c.id = e.scope
				WHERE e.scope IN `+in+` GROUP BY c.cloud, e.kind`)
		}},
		{"findings", func() error {
			return grouped("finding", `SELECT '', severity, count(*) FROM findings WHERE resolved_at IS NULL AND scope IN `+in+` GROUP BY severity`)
		}},
		{"stale", func() error {
			var stubs, staleNodes, staleEdges, staleFindings, resolved int
			if err := tx.QueryRowContext(ctx, `SELECT
				(SELECT count(*) FROM nodes WHERE stub = 1 AND scope IN `+in+`),
				(SELECT count(*) FROM nodes WHERE stale_since IS NOT NULL AND scope IN `+in+`),
				(SELECT count(*) FROM edges WHERE stale_since IS NOT NULL AND scope IN `+in+`),
				(SELECT count(*) FROM findings WHERE stale_since IS NOT NULL AND resolved_at IS NULL AND scope IN `+in+`),
				(SELECT count(*) FROM findings WHERE resolved_at IS NOT NULL AND scope IN `+in+`)`).
				Scan(&stubs, &staleNodes, &staleEdges, &staleFindings, &resolved); err != nil {
				return err
			}
			c.AddCount("stub", "", "", stubs)
			c.AddCount("stale_node", "", "", staleNodes)
			c.AddCount("stale_edge", "", "", staleEdges)
			c.AddCount("stale_finding", "", "", staleFindings)
			c.AddCount("resolved", "", "", resolved)
			return nil
		}},
	}
	for _, step := range steps {
		if err := step.run(); err != nil {
			return fmt.Errorf("%s: %w", step.name, wrapDBErr(err))
		}
	}
	return nil
}

// scopeStats lists the selected scopes: one pass over the scopes table,
// each joined to its newest sync by primary key.
func scopeStats(ctx context.Context, tx *sql.Tx, filter graph.Filter) ([]graph.ScopeStats, error) {
	rows, err := tx.QueryContext(ctx, `SELECT c.cloud, c.ext_id, c.last_sync, y.at, c.n_syncs
		FROM scopes c JOIN syncs y ON y.id = c.last_sync ORDER BY c.cloud, c.ext_id`)
	if err != nil {
		return nil, wrapDBErr(err)
	}
	defer rows.Close()
	out := []graph.ScopeStats{}
	for rows.Next() {
		var sc graph.ScopeStats
		var cloud string
		var at int64
		if err := rows.Scan(&cloud, &sc.Scope.ID, &sc.SyncID, &at, &sc.Syncs); err != nil {
			return nil, wrapDBErr(err)
		}
		sc.Scope.Cloud, sc.LastSync = graph.Cloud(cloud), time.Unix(0, at).UTC()
		if filter.Matches(sc.Scope) {
			out = append(out, sc)
		}
	}
	return out, wrapDBErr(rows.Err())
}
