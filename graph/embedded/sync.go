package embedded

import (
	"cmp"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/breachpath/breachpath/graph"
	"github.com/breachpath/breachpath/graph/syncplan"
)

// checkEvery is how many rows a sync processes between checks of its
// context: often enough to stop within milliseconds, rarely enough to cost
// nothing.
const checkEvery = 512

// Sync replaces the scope's graph with the snapshot in one write
// transaction (see graph.Store). Which rows are written, removed, kept stale
// or resolved, and how findings' lifecycles move, is graph/syncplan's to
// say; this store merge-joins the snapshot with the scope's rows in key
// order, asks the plan about each, and rewrites only rows whose content
// changed.
//
// The observation time of a sync is snap.CollectedAt, or the time of the
// sync when the snapshot has none.
func (s *Store) Sync(ctx context.Context, snap *graph.Snapshot) (graph.SyncResult, error) {
	if snap == nil {
		return graph.SyncResult{}, graph.CheckSync(ctx, snap)
	}
	// everything that needs no write lock runs before it, so that with
	// SyncAll the next scope is prepared while this one writes. A scope
	// whose content hash is the one its newest sync stored is not
	// validated or encoded: its content was, when it was stored (the
	// transaction checks the hash again, and prepares the rows itself if
	// another sync got in between).
	snap.RedactSecrets()
	content := int64(graph.ContentHash(snap))
	var rows *prepared
	if same, err := s.storedContent(ctx, snap.Scope, content); err != nil || !same {
		if rows, err = prepareRows(ctx, snap); err != nil {
			return graph.SyncResult{}, err
		}
	}
	s.syncMu.Lock()
	defer s.syncMu.Unlock()

	start := s.now()
	w := &syncer{s: s, ctx: ctx, snap: snap, at: start.UTC(), rows: rows, content: content}
	w.seen = snap.ObservedAt(w.at)
	res, err := w.run()
	if err != nil {
		if ctxErr := ctx.Err(); ctxErr != nil && !errors.Is(err, ctxErr) {
			err = fmt.Errorf("%w (%v)", ctxErr, err)
		}
		return graph.SyncResult{}, fmt.Errorf("sync scope %s: %w", snap.Scope, wrapDBErr(err))
	}
	s.log.Info("synced scope", "scope", snap.Scope.String(), "sync", res.SyncID,
		"nodes", res.Written.Nodes, "edges", res.Written.Edges, "findings", res.Written.Findings,
		"changed", w.changed, "unchanged_scope", w.same, "projection_bytes", w.blobBytes, "removed", res.Removed, "stale", res.Stale, "resolved", res.Resolved,
		"took", time.Since(start).Round(time.Millisecond).String())
	return res, nil
}

// syncer holds the state of one sync.
type syncer struct {
	s    *Store
	ctx  context.Context
	snap *graph.Snapshot
	tx   *sql.Tx
	at   time.Time // when the sync ran
	seen time.Time // observation time of the snapshot

	scopeID  int64
	prevSeen sql.NullInt64 // observation time of the scope's previous sync

	plan *syncplan.Plan // the rules: what to write, remove, keep stale, resolve

	res       graph.SyncResult
	changed   graph.Counts // rows actually rewritten
	ticks     int
	blobBytes int // size of the scope projection written

	// rows is the snapshot's rows in the form Load returns them
	// (nil until a changed scope needs them); content is the snapshot's
	// graph.ContentHash (see unchanged)
	rows    *prepared
	content int64
	same    bool // the snapshot equals the one the scope's newest sync stored
}

// tick checks the context every checkEvery rows.
func (w *syncer) tick() error {
	w.ticks++
	if w.ticks%checkEvery == 0 {
		return w.ctx.Err()
	}
	return nil
}

// bg is the context of per-row statements: the driver would start a
// watcher goroutine for every statement under a cancellable context, so
// rows run under a plain one and tick checks cancellation instead.
func (w *syncer) bg() context.Context { return context.WithoutCancel(w.ctx) }

func (w *syncer) run() (graph.SyncResult, error) {
	tx, err := w.s.db.BeginTx(w.ctx, nil) // BEGIN IMMEDIATE: see Open
	if err != nil {
		return graph.SyncResult{}, fmt.Errorf("begin: %w", err)
	}
	w.tx = tx
	defer tx.Rollback() // no-op after Commit

	res, err := w.apply()
	if err != nil {
		return graph.SyncResult{}, err
	}
	if err := w.ctx.Err(); err != nil {
		return graph.SyncResult{}, err
	}
	if err := tx.Commit(); err != nil {
		return graph.SyncResult{}, fmt.Errorf("commit: %w", err)
	}
	return res, nil
}

// apply writes the sync into w.tx without committing it.
func (w *syncer) apply() (graph.SyncResult, error) {
	if err := w.scope(); err != nil {
		return graph.SyncResult{}, err
	}
	switch same, err := w.unchanged(); {
	case err != nil:
		return graph.SyncResult{}, fmt.Errorf("projection: %w", err)
	case same:
		return w.recordUnchanged()
	}
	if w.rows == nil {
		// the scope looked unchanged before the lock but is not now
		rows, err := prepareRows(w.ctx, w.snap)
		if err != nil {
			return graph.SyncResult{}, err
		}
		w.rows = rows
	}
	if err := w.nodes(); err != nil {
		return graph.SyncResult{}, fmt.Errorf("nodes: %w", err)
	}
	if err := w.edges(); err != nil {
		return graph.SyncResult{}, fmt.Errorf("edges: %w", err)
	}
	if err := w.findings(); err != nil {
		return graph.SyncResult{}, fmt.Errorf("findings: %w", err)
	}
	if err := w.record(); err != nil {
		return graph.SyncResult{}, err
	}
	if err := w.writeProjection(); err != nil {
		return graph.SyncResult{}, fmt.Errorf("projection: %w", err)
	}
	return w.res, nil
}

// SyncAllOrNothing syncs every snapshot in one write transaction (see
// graph.Store): the file has a single writer anyway, so the scopes are
// written one after the other into the same transaction and its commit is
// the switch of all of them. Readers keep the old graph until then (WAL),
// and a failure or cancellation rolls every scope back.
func (s *Store) SyncAllOrNothing(ctx context.Context, snaps []*graph.Snapshot, staged func(i int) error) ([]graph.SyncResult, error) {
	for i, snap := range snaps {
		if err := graph.CheckSync(ctx, snap); err != nil {
			return nil, &graph.SyncError{Index: i, Name: graph.SnapshotName(snap, i), Err: err}
		}
	}
	// every snapshot is validated above: the rows are prepared only for
	// scopes that changed (apply)
	if err := graph.DistinctScopes(snaps); err != nil {
		return nil, err
	}
	s.syncMu.Lock()
	defer s.syncMu.Unlock()
	start := s.now()
	tx, err := s.db.BeginTx(ctx, nil) // BEGIN IMMEDIATE: see Open
	if err != nil {
		return nil, fmt.Errorf("sync all or nothing: begin: %w", wrapDBErr(err))
	}
	defer tx.Rollback() // no-op after Commit
	fail := func(i int, err error) error {
		if ctxErr := ctx.Err(); ctxErr != nil && !errors.Is(err, ctxErr) {
			err = fmt.Errorf("%w (%v)", ctxErr, err)
		}
		return &graph.SyncError{Index: i, Name: graph.SnapshotName(snaps[i], i), Err: fmt.Errorf("sync scope %s: %w", snaps[i].Scope, wrapDBErr(err))}
	}
	out := make([]graph.SyncResult, len(snaps))
	for i, snap := range snaps {
		w := &syncer{s: s, ctx: ctx, tx: tx, snap: snap, at: start.UTC(), content: int64(graph.ContentHash(snap))}
		w.seen = snap.ObservedAt(w.at)
		var err error
		if out[i], err = w.apply(); err != nil {
			return nil, fail(i, err)
		}
		if staged != nil {
			if err := staged(i); err != nil {
				return nil, fail(i, err)
			}
		}
		if err := ctx.Err(); err != nil {
			return nil, fail(i, err)
		}
	}
	if err := tx.Commit(); err != nil {
		return nil, fmt.Errorf("sync all or nothing: commit: %w", wrapDBErr(err))
	}
	s.log.Info("synced scopes all or nothing", "scopes", len(snaps), "took", time.Since(start).Round(time.Millisecond).String())
	return out, nil
}

func (w *syncer) scope() error {
	sc := w.snap.Scope
	if _, err := w.tx.ExecContext(w.ctx, `INSERT INTO scopes(cloud, ext_id) VALUES (?, ?) ON CONFLICT DO NOTHING`,
		string(sc.Cloud), sc.ID); err != nil {
		return fmt.Errorf("register scope: %w", err)
	}
	if err := w.tx.QueryRowContext(w.ctx, `SELECT id, last_seen FROM scopes WHERE cloud = ? AND ext_id = ?`,
		string(sc.Cloud), sc.ID).Scan(&w.scopeID, &w.prevSeen); err != nil {
		return fmt.Errorf("register scope: %w", err)
	}
	return nil
}

func (w *syncer) nodes() error {
	nodes := w.snap.Nodes
	sorted := w.rows.nodes
	var prevSeen time.Time
	if w.prevSeen.Valid {
		prevSeen = fromNanos(w.prevSeen)
	}
	w.plan = syncplan.New(w.snap, w.hasNode, w.seen, prevSeen)

	var ups []upsert
	var removed []string
	var stale []staleRow[string]

	// tick checks cancellation per row batch
	rows, err := w.tx.QueryContext(w.bg(),
		`SELECT id, hash, stale_since, service, region FROM nodes WHERE scope = ? ORDER BY id`, w.scopeID)
	if err != nil {
		return err
	}
	defer rows.Close()
	pos, prev := 0, ""
	for rows.Next() {
		if err := w.tick(); err != nil {
			return err
		}
		var (
			id, service, region string
			h                   int64
			staleSince          sql.NullInt64
		)
		if err := rows.Scan(&id, &h, &staleSince, &service, &region); err != nil {
			return err
		}
		if err := ordered(prev, id); err != nil {
			return err
		}
		prev = id
		// snapshot rows before this one are new
		for ; pos < len(sorted) && nodes[sorted[pos].i].ID < id; pos++ {
			ups = append(ups, sorted[pos])
		}
		if pos < len(sorted) && nodes[sorted[pos].i].ID == id {
			u := sorted[pos]
			pos++
			if syncplan.Present(true, u.h == h, staleSince.Valid) == syncplan.Write {
				ups = append(ups, u)
			}
			continue
		}
		if w.plan.MissingNode(id, service, region) == syncplan.KeepStale {
			stale = w.keepStale(stale, id, staleSince)
		} else {
			removed = append(removed, id)
		}
	}
	if err := rows.Err(); err != nil {
		return err
	}
	rows.Close()
	ups = append(ups, sorted[pos:]...)

	if err := execBatched(w, `INSERT INTO nodes(scope, id, kind, cloud, stub, service, region, hash, stale_since, doc)`,
		`(?, ?, ?, ?, ?, ?, ?, ?, NULL, ?)`, `
		ON CONFLICT(scope, id) DO UPDATE SET kind = excluded.kind, cloud = excluded.cloud, stub = excluded.stub,
			service = excluded.service, region = excluded.region, hash = excluded.hash, stale_since = NULL, doc = excluded.doc`,
		ups, func(u upsert) (string, []any) {
			n := &nodes[u.i]
			return n.ID, []any{w.scopeID, n.ID, string(n.Kind), string(n.Cloud), n.Stub, n.Service, n.Region, u.h, u.doc}
		}); err != nil {
		return fmt.Errorf("write: %w", err)
	}
	if err := execEach(w, `DELETE FROM nodes WHERE scope = ? AND id = ?`, removed, func(id string) (string, []any) {
		return id, []any{w.scopeID, id}
	}); err != nil {
		return fmt.Errorf("remove: %w", err)
	}
	if err := execStale(w, `UPDATE nodes SET stale_since = ? WHERE scope = ? AND id = ?`, stale, func(id string) []any { return []any{id} }); err != nil {
		return fmt.Errorf("flag stale: %w", err)
	}
	w.res.Written.Nodes, w.res.Removed.Nodes, w.res.Stale.Nodes, w.changed.Nodes = len(nodes), len(removed), len(stale), len(ups)
	return nil
}

// ordered guards the merge join: it needs the database to return keys in
// Go's byte order (SQLite's BINARY collation), and a damaged index that did
// not would make the sync delete rows it should keep.
func ordered(prev, id string) error {
	if prev != "" && id <= prev {
		return fmt.Errorf("%w: rows out of key order at %q", graph.ErrCorrupt, id)
	}
	return nil
}

// batchRows is how many rows execBatched writes per statement: one
// statement per row spent more time in the driver and in starting and
// ending each statement than in SQLite's B-tree.
const batchRows = 64

// execBatched writes rows with multi-row statements: head, then one values
// group per row ("(?, ?, ...)", with as many parameters as args gives),
// then tail (an ON CONFLICT clause). Errors name the first row of the
// failed statement.
func execBatched[T any](w *syncer, head, values, tail string, rows []T, args func(T) (string, []any)) error {
	stmts := map[int]*sql.Stmt{}
	defer func() {
		for _, st := range stmts {
			st.Close()
		}
	}()
	bg := w.bg()
	var a []any
	for len(rows) > 0 {
		n := min(batchRows, len(rows))
		st, ok := stmts[n]
		if !ok {
			q := head + " VALUES " + values + strings.Repeat(", "+values, n-1) + tail
			var err error
			if st, err = w.tx.PrepareContext(w.ctx, q); err != nil {
				return err
			}
			stmts[n] = st
		}
		a = a[:0]
		first := ""
		for i, r := range rows[:n] {
			name, ra := args(r)
			if i == 0 {
				first = name
			}
			a = append(a, ra...)
		}
		// one context check per checkEvery rows, as tick
		before := w.ticks / checkEvery
		w.ticks += n
		if w.ticks/checkEvery != before {
			if err := w.ctx.Err(); err != nil {
				return err
			}
		}
		if _, err := st.ExecContext(bg, a...); err != nil {
			return fmt.Errorf("%s (or one of the %d rows after it): %w", first, n-1, err)
		}
		rows = rows[n:]
	}
	return nil
}

// execEach runs one statement per row, with the arguments args gives (and
// the row's name for errors), checking cancellation as it goes. The
// statement is prepared only when there are rows.
func execEach[T any](w *syncer, query string, rows []T, args func(T) (string, []any)) error {
	if len(rows) == 0 {
		return nil
	}
	st, err := w.tx.PrepareContext(w.ctx, query)
	if err != nil {
		return err
	}
	defer st.Close()
	bg := w.bg()
	for _, r := range rows {
		if err := w.tick(); err != nil {
			return err
		}
		name, a := args(r)
		if _, err := st.ExecContext(bg, a...); err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
	}
	return nil
}

// hasNode reports whether the snapshot has a node with the id.
func (w *syncer) hasNode(id string) bool {
	nodes := w.snap.Nodes
	_, ok := slices.BinarySearchFunc(w.rows.nodes, id, func(u upsert, id string) int { return cmp.Compare(nodes[u.i].ID, id) })
	return ok
}

// staleRow is a row the plan keeps stale: its key, and the stale-since time
// to write (Valid false: it is stale already and keeps its time).
type staleRow[K any] struct {
	key   K
	since sql.NullInt64
}

// keepStale records a row kept stale, with the time the plan gives it.
func (w *syncer) keepStale(rows []staleRow[string], key string, prev sql.NullInt64) []staleRow[string] {
	return append(rows, staleRow[string]{key, w.staleSince(prev)})
}

// staleSince is the stale-since value to write for a row kept stale whose
// stored value is prev; not Valid when it keeps prev.
func (w *syncer) staleSince(prev sql.NullInt64) sql.NullInt64 {
	var p time.Time
	if prev.Valid {
		p = fromNanos(prev)
	}
	if since := w.plan.StaleSince(p); !since.Equal(p) {
		return sql.NullInt64{Int64: since.UnixNano(), Valid: true}
	}
	return sql.NullInt64{}
}

// execStale flags rows stale: query takes the time, then the scope id,
// then the key's columns (args). Rows stale already are skipped.
func execStale[K any](w *syncer, query string, rows []staleRow[K], args func(K) []any) error {
	newly := slices.DeleteFunc(slices.Clone(rows), func(r staleRow[K]) bool { return !r.since.Valid })
	return execEach(w, query, newly, func(r staleRow[K]) (string, []any) {
		return fmt.Sprint(r.key), append([]any{r.since.Int64, w.scopeID}, args(r.key)...)
	})
}

// fromNanos converts a stored time (unix nanoseconds).
func fromNanos(v sql.NullInt64) time.Time { return time.Unix(0, v.Int64).UTC() }

func (w *syncer) edges() error {
	edges := w.snap.Edges
	sorted := w.rows.edges

	var ups []upsert
	var removed []graph.EdgeKey
	var stale []staleRow[graph.EdgeKey]

	// tick checks cancellation per row batch
	rows, err := w.tx.QueryContext(w.bg(),
		`SELECT src, kind, dst, technique, hash, stale_since FROM edges WHERE scope = ? ORDER BY src, kind, dst, technique`, w.scopeID)
	if err != nil {
		return err
	}
	defer rows.Close()
	pos := 0
	var (
		prevKey graph.EdgeKey
		prevSet bool
	)
	for rows.Next() {
		if err := w.tick(); err != nil {
			return err
		}
		var (
			k          graph.EdgeKey
			h          int64
			staleSince sql.NullInt64
		)
		if err := rows.Scan(&k.From, &k.Kind, &k.To, &k.Technique, &h, &staleSince); err != nil {
			return err
		}
		if prevSet {
			if prevKey.Compare(k) >= 0 {
				return fmt.Errorf("%w: edge rows out of key order at %v", graph.ErrCorrupt, k)
			}
		}
		prevKey, prevSet = k, true
		for ; pos < len(sorted) && edges[sorted[pos].i].Key().Compare(k) < 0; pos++ {
			ups = append(ups, sorted[pos])
		}
		if pos < len(sorted) && edges[sorted[pos].i].Key().Compare(k) == 0 {
			u := sorted[pos]
			pos++
			if syncplan.Present(true, u.h == h, staleSince.Valid) == syncplan.Write {
				ups = append(ups, u)
			}
			continue
		}
		if w.plan.MissingEdge(k) == syncplan.KeepStale {
			stale = append(stale, staleRow[graph.EdgeKey]{k, w.staleSince(staleSince)})
		} else {
			removed = append(removed, k)
		}
	}
	if err := rows.Err(); err != nil {
		return err
	}
	rows.Close()
	ups = append(ups, sorted[pos:]...)

	if err := execBatched(w, `INSERT INTO edges(scope, src, kind, dst, technique, hash, stale_since, doc)`,
		`(?, ?, ?, ?, ?, ?, NULL, ?)`, `
		ON CONFLICT(scope, src, kind, dst, technique) DO UPDATE SET hash = excluded.hash, stale_since = NULL, doc = excluded.doc`,
		ups, func(u upsert) (string, []any) {
			e := &edges[u.i]
			return e.Key().String(), []any{w.scopeID, e.From, string(e.Kind), e.To, e.Technique, u.h, u.doc}
		}); err != nil {
		return fmt.Errorf("write: %w", err)
	}
	if err := execEach(w, `DELETE FROM edges WHERE scope = ? AND src = ? AND kind = ? AND dst = ? AND technique = ?`, removed,
		func(k graph.EdgeKey) (string, []any) {
			return k.String(), []any{w.scopeID, k.From, k.Kind, k.To, k.Technique}
		}); err != nil {
		return fmt.Errorf("remove: %w", err)
	}
	if err := execStale(w, `UPDATE edges SET stale_since = ? WHERE scope = ? AND src = ? AND kind = ? AND dst = ? AND technique = ?`,
		stale, func(k graph.EdgeKey) []any { return []any{k.From, k.Kind, k.To, k.Technique} }); err != nil {
		return fmt.Errorf("flag stale: %w", err)
	}
	w.res.Written.Edges, w.res.Removed.Edges, w.res.Stale.Edges, w.changed.Edges = len(edges), len(removed), len(stale), len(ups)
	return nil
}

func (w *syncer) findings() error {
	fs := w.snap.Findings
	sorted := w.rows.findings

	// ups are the snapshot's findings to write (with their first sighting);
	// carried the stored ones the snapshot lacks whose lifecycle moves.
	type write struct {
		upsert
		firstSeen time.Time
	}
	type carried struct {
		id   string
		life syncplan.Life
	}
	var ups []write
	var moved []carried
	var nStale, nResolved int
	fresh := func(u upsert) {
		_, life := w.plan.PresentFinding(nil, false)
		ups = append(ups, write{u, life.FirstSeen})
	}

	// tick checks cancellation per row batch
	rows, err := w.tx.QueryContext(w.bg(), `SELECT id, hash, first_seen, last_seen, resolved_at, stale_since, resource
		FROM findings WHERE scope = ? ORDER BY id`, w.scopeID)
	if err != nil {
		return err
	}
	defer rows.Close()
	pos, prev := 0, ""
	for rows.Next() {
		if err := w.tick(); err != nil {
			return err
		}
		var (
			id, resource                 string
			h, first                     int64
			last, resolvedAt, staleSince sql.NullInt64
		)
		if err := rows.Scan(&id, &h, &first, &last, &resolvedAt, &staleSince, &resource); err != nil {
			return err
		}
		if err := ordered(prev, id); err != nil {
			return err
		}
		prev = id
		for ; pos < len(sorted) && fs[sorted[pos].i].ID < id; pos++ {
			fresh(sorted[pos])
		}
		cur := syncplan.Life{FirstSeen: fromNanos(sql.NullInt64{Int64: first, Valid: true})}
		if last.Valid {
			cur.LastSeen = fromNanos(last)
		}
		if resolvedAt.Valid {
			cur.ResolvedAt = fromNanos(resolvedAt)
		}
		if staleSince.Valid {
			cur.StaleSince = fromNanos(staleSince)
		}
		if pos < len(sorted) && fs[sorted[pos].i].ID == id {
			u := sorted[pos]
			pos++
			if act, life := w.plan.PresentFinding(&cur, u.h == h); act == syncplan.Write {
				ups = append(ups, write{u, life.FirstSeen})
			}
			continue
		}
		switch act, life := w.plan.MissingFinding(cur, w.plan.KeptStale(resource)); act {
		case syncplan.KeepStale:
			nStale++
			if life != cur {
				moved = append(moved, carried{id, life})
			}
		case syncplan.Resolve:
			nResolved++
			moved = append(moved, carried{id, life})
		}
	}
	if err := rows.Err(); err != nil {
		return err
	}
	rows.Close()
	for _, u := range sorted[pos:] {
		fresh(u)
	}

	// last_seen NULL means "seen by the scope's newest sync" (syncplan.Life),
	// so that an unchanged finding costs no write.
	if err := execBatched(w, `INSERT INTO findings(scope, id, resource, severity, hash, first_seen, last_seen, resolved_at, stale_since, doc)`,
		`(?, ?, ?, ?, ?, ?, NULL, NULL, NULL, ?)`, `
		ON CONFLICT(scope, id) DO UPDATE SET resource = excluded.resource, severity = excluded.severity, hash = excluded.hash,
			first_seen = excluded.first_seen, last_seen = NULL, resolved_at = NULL, stale_since = NULL, doc = excluded.doc`,
		ups, func(u write) (string, []any) {
			f := &fs[u.i]
			return f.ID, []any{w.scopeID, f.ID, f.Resource, int64(f.Severity), u.h, u.firstSeen.UnixNano(), u.doc}
		}); err != nil {
		return fmt.Errorf("write: %w", err)
	}
	if err := execEach(w, `UPDATE findings SET last_seen = ?, resolved_at = ?, stale_since = ? WHERE scope = ? AND id = ?`, moved,
		func(m carried) (string, []any) {
			return m.id, []any{nanos(m.life.LastSeen), nanos(m.life.ResolvedAt), nanos(m.life.StaleSince), w.scopeID, m.id}
		}); err != nil {
		return fmt.Errorf("lifecycle: %w", err)
	}
	w.res.Written.Findings, w.res.Stale.Findings, w.res.Resolved, w.changed.Findings = len(fs), nStale, nResolved, len(ups)
	return nil
}

// nanos is a time as stored (unix nanoseconds), NULL for the zero time.
func nanos(t time.Time) sql.NullInt64 {
	if t.IsZero() {
		return sql.NullInt64{}
	}
	return sql.NullInt64{Int64: t.UnixNano(), Valid: true}
}

// record writes the history entry and moves the scope to this sync.
func (w *syncer) record() error {
	cov, err := json.Marshal(w.snap.Coverage)
	if err != nil {
		return fmt.Errorf("encode coverage: %w", err)
	}
	var collected sql.NullInt64
	if !w.snap.CollectedAt.IsZero() {
		collected = sql.NullInt64{Int64: w.snap.CollectedAt.UnixNano(), Valid: true}
	}
	r := &w.res
	res, err := w.tx.ExecContext(w.ctx, `INSERT INTO syncs(scope, at, collected_at, collector,
		written_nodes, written_edges, written_findings, removed_nodes, removed_edges, removed_findings,
		stale_nodes, stale_edges, stale_findings, resolved, coverage) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		w.scopeID, w.at.UnixNano(), collected, w.snap.Collector,
		r.Written.Nodes, r.Written.Edges, r.Written.Findings, r.Removed.Nodes, r.Removed.Edges, r.Removed.Findings,
		r.Stale.Nodes, r.Stale.Edges, r.Stale.Findings, r.Resolved, string(cov))
	if err != nil {
		return fmt.Errorf("record sync: %w", err)
	}
	if r.SyncID, err = res.LastInsertId(); err != nil {
		return fmt.Errorf("record sync: %w", err)
	}
	if _, err := w.tx.ExecContext(w.ctx, `UPDATE scopes SET last_sync = ?, last_seen = ?, n_nodes = ?, n_edges = ?, n_findings = ? WHERE id = ?`,
		r.SyncID, w.seen.UnixNano(), r.Written.Nodes+r.Stale.Nodes, r.Written.Edges+r.Stale.Edges, r.Written.Findings+r.Stale.Findings,
		w.scopeID); err != nil {
		return fmt.Errorf("record sync: %w", err)
	}
	r.Scope, r.At = w.snap.Scope, w.at
	r.Coverage = w.snap.Coverage
	return nil
}

// sortedOrder returns the positions 0..n-1 sorted by cmp: the snapshot is
// the caller's and is not reordered.
func sortedOrder(n int, cmp func(a, b int32) int) []int32 {
	order := make([]int32, n)
	for i := range order {
		order[i] = int32(i)
	}
	slices.SortFunc(order, cmp)
	return order
}

// upsert is one snapshot row to write: its position in the snapshot, its
// encoded document and the document's content hash.
type upsert struct {
	i   int32
	doc []byte
	h   int64
}
