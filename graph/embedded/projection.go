package embedded

import (
	"cmp"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"runtime"
	"slices"
	"strings"
	"sync"
	"time"
	"unsafe"

	"github.com/breachpath/breachpath/graph"
	"github.com/breachpath/breachpath/graph/blob"
	"github.com/breachpath/breachpath/graph/syncplan"
)

// The analysis-ready projection (docs/ARCHITECTURE.md, "Analysis-ready
// storage"): every sync writes, in its own transaction, one blob per scope
// (graph/blob) holding exactly the rows Load would return for the scope,
// tagged with the sync's id, and the scope's row counts per kind. Load
// decodes the blobs of the selected scopes instead of reading rows one by
// one, and `graph stats` sums the counts. A blob whose sync id is not the
// scope's newest sync (a store last written by an older breachpath) or
// that fails to decode (a damaged file) is not used: Load reads that
// scope's rows, which stay the store's source of truth, and logs why.

// schemaV2 adds the projection and the per-kind counts to a version 1 store
// (and, since version 3, the content hash; schemaV3 adds it to a version 2 store).
const schemaV2 = `
CREATE TABLE projections (
	scope   INTEGER PRIMARY KEY REFERENCES scopes(id),
	sync_id INTEGER NOT NULL, -- syncs.id of the sync whose rows the blob holds
	format  INTEGER NOT NULL, -- graph/blob format version
	blob    BLOB NOT NULL,
	content INTEGER           -- hash of the snapshot that sync stored: an equal one changes nothing
);

-- rows of each scope after its newest sync, per kind: graph stats sums these
CREATE TABLE scope_counts (
	scope   INTEGER NOT NULL REFERENCES scopes(id),
	sync_id INTEGER NOT NULL,
	what    TEXT NOT NULL,    -- node, stub, edge, finding (open, by severity), resolved, stale_node, stale_edge, stale_finding
	cloud   TEXT NOT NULL,
	kind    TEXT NOT NULL,
	n       INTEGER NOT NULL,
	PRIMARY KEY (scope, what, cloud, kind)
) WITHOUT ROWID;
`

// prepared is a changed snapshot made ready for its write, before the
// write lock (so that with SyncAll it runs on the other core while a scope
// writes): its rows as the projection will hold them, and every node, edge
// and finding encoded and hashed, sorted by key for the merge join with
// the scope's stored rows.
type prepared struct {
	rows                   *blob.Rows
	nodes, edges, findings []upsert
}

// prepareRows validates the (redacted) snapshot and prepares its write.
func prepareRows(ctx context.Context, snap *graph.Snapshot) (*prepared, error) {
	fail := func(err error) (*prepared, error) { return nil, fmt.Errorf("sync scope %s: %w", snap.Scope, err) }
	if err := snap.Validate(); err != nil {
		return fail(err)
	}
	if err := ctx.Err(); err != nil {
		return fail(err)
	}
	p := &prepared{rows: snapshotRows(snap)}
	// the projection's rows in its canonical order: blob.Encode, under
	// the lock, then finds them sorted
	blob.SortRows(p.rows)
	nodes, edges, fs := snap.Nodes, snap.Edges, snap.Findings
	var err error
	p.nodes, err = encodeSorted(len(nodes), func(a, b int32) int { return cmp.Compare(nodes[a].ID, nodes[b].ID) },
		func(i int32) ([]byte, int64, error) {
			doc, err := encodeNode(&nodes[i])
			if err != nil {
				return nil, 0, fmt.Errorf("node %q: %w", nodes[i].ID, err)
			}
			return doc, docHash(doc), nil
		})
	if err != nil {
		return fail(err)
	}
	if err := ctx.Err(); err != nil {
		return fail(err)
	}
	p.edges, err = encodeSorted(len(edges), func(a, b int32) int { return edges[a].Key().Compare(edges[b].Key()) },
		func(i int32) ([]byte, int64, error) {
			doc, err := encodeEdge(&edges[i])
			if err != nil {
				return nil, 0, fmt.Errorf("edge %s: %w", edges[i].Key(), err)
			}
			return doc, docHash(doc), nil
		})
	if err != nil {
		return fail(err)
	}
	p.findings, err = encodeSorted(len(fs), func(a, b int32) int { return cmp.Compare(fs[a].ID, fs[b].ID) },
		func(i int32) ([]byte, int64, error) {
			doc, err := encodeFinding(&fs[i])
			if err != nil {
				return nil, 0, fmt.Errorf("finding %q: %w", fs[i].ID, err)
			}
			// the resource is a column, not part of the document: hash it too
			return doc, docHash(append(doc[:len(doc):len(doc)], fs[i].Resource...)), nil
		})
	if err != nil {
		return fail(err)
	}
	return p, nil
}

// encodeSorted returns every row 0..n-1 sorted by cmp, encoded.
func encodeSorted(n int, cmp func(a, b int32) int, encode func(i int32) ([]byte, int64, error)) ([]upsert, error) {
	order := sortedOrder(n, cmp)
	out := make([]upsert, n)
	for k, i := range order {
		doc, h, err := encode(i)
		if err != nil {
			return nil, err
		}
		out[k] = upsert{i, doc, h}
	}
	return out, nil
}

// storedContent reports whether the scope's newest sync stored a snapshot
// with this content hash and kept nothing stale (see unchanged), read
// outside any write transaction: a hint that lets Sync skip preparing the
// rows, which the write transaction checks again.
func (s *Store) storedContent(ctx context.Context, sc graph.Scope, content int64) (bool, error) {
	var stored sql.NullInt64
	var stale int
	err := s.db.QueryRowContext(ctx, `SELECT p.content, y.stale_nodes + y.stale_edges + y.stale_findings
		FROM scopes c JOIN projections p ON p.scope = c.id JOIN syncs y ON y.id = c.last_sync
		WHERE c.cloud = ? AND c.ext_id = ? AND p.sync_id = c.last_sync AND p.format = ?`,
		string(sc.Cloud), sc.ID, blob.Version).Scan(&stored, &stale)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, wrapDBErr(err)
	}
	return syncplan.UnchangedScope(stored.Valid && stored.Int64 == content, stale), nil
}

// snapshotRows returns the snapshot's rows as the row codec stores and
// Load returns them (empty collections as nil, no store flags), in the
// snapshot's order. The snapshot itself is not modified.
func snapshotRows(snap *graph.Snapshot) *blob.Rows {
	rows := &blob.Rows{
		Nodes:    make([]graph.Node, len(snap.Nodes)),
		Edges:    make([]graph.Edge, len(snap.Edges)),
		Findings: make([]graph.Finding, len(snap.Findings)),
	}
	for i := range snap.Nodes {
		n := snap.Nodes[i]
		n.Tags, n.Props = nilIfEmpty(n.Tags), nilIfEmpty(n.Props)
		n.Stale, n.StaleSince = false, time.Time{} // the store's flags: fresh rows carry none
		rows.Nodes[i] = n
	}
	for i := range snap.Edges {
		e := snap.Edges[i]
		e.Evidence, e.Findings, e.Props = nilIfEmptySlice(e.Evidence), nilIfEmptySlice(e.Findings), nilIfEmpty(e.Props)
		e.Stale = false
		rows.Edges[i] = e
	}
	for i := range snap.Findings {
		f := snap.Findings[i]
		f.Controls = nilIfEmptySlice(f.Controls)
		f.FirstSeen, f.LastSeen, f.ResolvedAt, f.Stale = time.Time{}, time.Time{}, time.Time{}, false
		rows.Findings[i] = f
	}
	return rows
}

// unchanged reports whether the snapshot has the content the scope's newest
// sync stored and that sync kept nothing stale: then this sync changes no
// row (every finding is already open and seen by the newest sync), and only
// the history, the scope's observation time and the projection's sync id
// move on. That is the common case of a periodic re-collection.
func (w *syncer) unchanged() (bool, error) {
	var stored sql.NullInt64
	var stale int
	err := w.tx.QueryRowContext(w.ctx, `SELECT p.content, y.stale_nodes + y.stale_edges + y.stale_findings
		FROM projections p JOIN scopes c ON c.id = p.scope JOIN syncs y ON y.id = c.last_sync
		WHERE p.scope = ? AND p.sync_id = c.last_sync AND p.format = ?`, w.scopeID, blob.Version).Scan(&stored, &stale)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	w.same = syncplan.UnchangedScope(stored.Valid && stored.Int64 == w.content, stale)
	return w.same, nil
}

// recordUnchanged records a sync that found the scope unchanged.
func (w *syncer) recordUnchanged() (graph.SyncResult, error) {
	w.res.Written = graph.Counts{Nodes: len(w.snap.Nodes), Edges: len(w.snap.Edges), Findings: len(w.snap.Findings)}
	if err := w.record(); err != nil {
		return graph.SyncResult{}, err
	}
	for _, q := range []string{`UPDATE projections SET sync_id = ? WHERE scope = ?`, `UPDATE scope_counts SET sync_id = ? WHERE scope = ?`,
		`UPDATE scope_links SET sync_id = ? WHERE scope = ?`} {
		if _, err := w.tx.ExecContext(w.ctx, q, w.res.SyncID, w.scopeID); err != nil {
			return graph.SyncResult{}, fmt.Errorf("projection: %w", err)
		}
	}
	if err := w.backfillLinks(); err != nil {
		return graph.SyncResult{}, err
	}
	return w.res, nil
}

const schemaV3 = `ALTER TABLE projections ADD COLUMN content INTEGER;`

// projectionRows returns the scope's rows as Load will return them once
// this sync commits (resolved findings included): the snapshot's rows, plus
// the rows this or an earlier sync kept stale and every finding with its
// lifecycle, read back from the transaction.
func (w *syncer) projectionRows() (*blob.Rows, error) {
	sc := storedScope{id: w.scopeID, scope: w.snap.Scope, lastSeen: sql.NullInt64{Int64: w.seen.UnixNano(), Valid: true}}
	rows := &blob.Rows{Nodes: w.rows.rows.Nodes, Edges: w.rows.rows.Edges}
	in := interner{}
	var err error
	if w.res.Stale.Nodes > 0 || w.res.Stale.Edges > 0 {
		if rows.Nodes, err = loadNodesWhere(w.bg(), w.tx, sc, in, rows.Nodes, ` AND stale_since IS NOT NULL`); err != nil {
			return nil, fmt.Errorf("read back stale nodes: %w", err)
		}
		if rows.Edges, err = loadEdgesWhere(w.bg(), w.tx, sc, in, rows.Edges, ` AND stale_since IS NOT NULL`); err != nil {
			return nil, fmt.Errorf("read back stale edges: %w", err)
		}
	}
	// findings carry a lifecycle the snapshot does not: read them all back
	// (a scope has far fewer findings than edges)
	if rows.Findings, err = loadFindings(w.bg(), w.tx, sc, true, make([]graph.Finding, 0, len(w.snap.Findings))); err != nil {
		return nil, fmt.Errorf("read back findings: %w", err)
	}
	return rows, nil
}

// writeProjection encodes and stores the scope's blob and counts for the
// sync being recorded (w.res.SyncID must be set).
func (w *syncer) writeProjection() error {
	rows, err := w.projectionRows()
	if err != nil {
		return err
	}
	b, err := blob.Encode(rows, w.seen)
	if err != nil {
		return err
	}
	if _, err := w.tx.ExecContext(w.ctx, `INSERT INTO projections(scope, sync_id, format, content, blob) VALUES (?, ?, ?, ?, ?)
		ON CONFLICT(scope) DO UPDATE SET sync_id = excluded.sync_id, format = excluded.format, content = excluded.content, blob = excluded.blob`,
		w.scopeID, w.res.SyncID, blob.Version, w.content, b); err != nil {
		return fmt.Errorf("write projection: %w", err)
	}
	if _, err := w.tx.ExecContext(w.ctx, `DELETE FROM scope_counts WHERE scope = ?`, w.scopeID); err != nil {
		return fmt.Errorf("write counts: %w", err)
	}
	ins, err := w.tx.PrepareContext(w.ctx, `INSERT INTO scope_counts(scope, sync_id, what, cloud, kind, n) VALUES (?, ?, ?, ?, ?, ?)`)
	if err != nil {
		return fmt.Errorf("write counts: %w", err)
	}
	defer ins.Close()
	for k, n := range graph.CountRows(w.snap.Scope.Cloud, rows.Nodes, rows.Edges, rows.Findings) {
		if _, err := ins.ExecContext(w.ctx, w.scopeID, w.res.SyncID, k.What, k.Cloud, k.Kind, n); err != nil {
			return fmt.Errorf("write counts: %w", err)
		}
	}
	w.blobBytes = len(b)
	return w.writeLinks(rows)
}

// scopeBlob is a selected scope with its projection, when it is current.
type scopeBlob struct {
	sc   storedScope
	blob []byte // nil: no current projection, read the rows
}

// windows sizes every selected scope's window of the tiles from the row
// counts its newest sync recorded (scope_counts): its nodes and the edges
// the filter loads. A scope without counts gets no window (ok false).
// From the allocation of the tiles the garbage collector is paused
// (pauseCollector) until resume is called; resume is never nil.
func windows(ctx context.Context, tx *sql.Tx, scopes []storedScope, filter graph.Filter) (tiles graph.Tiles, wins []blob.Window, ok []bool, resume func(), err error) {
	resume = func() {}
	at := make(map[int64]int, len(scopes))
	for i, sc := range scopes {
		at[sc.id] = i
	}
	nodes := make([]int, len(scopes))
	edges := make([]int, len(scopes))
	ok = make([]bool, len(scopes))
	rows, err := tx.QueryContext(ctx, `SELECT k.scope, k.what, k.kind, k.n FROM scope_counts k JOIN scopes c ON c.id = k.scope
		WHERE k.sync_id = c.last_sync AND k.what IN ('sync', 'node', 'stub', 'edge')`)
	if err != nil {
		return tiles, nil, nil, resume, wrapDBErr(err)
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		var what, kind string
		var n int
		if err := rows.Scan(&id, &what, &kind, &n); err != nil {
			return tiles, nil, nil, resume, wrapDBErr(err)
		}
		i, sel := at[id]
		if !sel || n < 0 {
			continue
		}
		switch what {
		case "sync": // the marker row: this sync recorded its counts
			ok[i] = true
		case "node", "stub":
			if !filter.FactsOnly {
				nodes[i] += n
			}
		case "edge":
			if filter.LoadsEdge(graph.EdgeKind(kind)) {
				edges[i] += n
			}
		}
	}
	if err := rows.Err(); err != nil {
		return tiles, nil, nil, resume, wrapDBErr(err)
	}
	nn, ne := 0, 0
	for i := range scopes {
		if ok[i] {
			nn += nodes[i]
			ne += edges[i]
		}
	}
	// hold the collector off while the tiles are filled: with the blobs
	// their strings point into, a load holds about twice the tiles at a
	// million resources (docs/benchmarks.md, "Seventh round"), and three
	// times bounds the pause with room for the decode's garbage
	tileBytes := int64(nn)*int64(unsafe.Sizeof(graph.Node{})) + int64(ne)*int64(unsafe.Sizeof(graph.Edge{}))
	resume = pauseCollector(3 * tileBytes)
	tiles = graph.Tiles{Nodes: make([]graph.Node, nn), Edges: make([]graph.Edge, ne)}
	wins = make([]blob.Window, len(scopes))
	nn, ne = 0, 0
	for i := range scopes {
		if ok[i] {
			wins[i] = blob.Window{Nodes: tiles.Nodes[nn : nn+nodes[i] : nn+nodes[i]], Edges: tiles.Edges[ne : ne+edges[i] : ne+edges[i]]}
			nn += nodes[i]
			ne += edges[i]
		}
	}
	return tiles, wins, ok, resume, nil
}

// loadParts reads the selected scopes' blobs (or rows) in the read
// transaction and decodes them on every core, in scope order, each into
// its window of the tiles it returns (graph.MergeTiled).
// The garbage collector stays paused until the caller calls resume (never
// nil), once the tiles are merged.
func (s *Store) loadParts(ctx context.Context, tx *sql.Tx, scopes []storedScope, filter graph.Filter) (parts []graph.Part, tiles graph.Tiles, resume func(), err error) {
	parts = make([]graph.Part, len(scopes))
	errs := make([]error, len(scopes))
	tiles, wins, windowed, resume, err := windows(ctx, tx, scopes, filter)
	if err != nil {
		return nil, tiles, resume, fmt.Errorf("row counts: %w", err)
	}
	// A job's blob is the driver's buffer (sql.RawBytes): Row.Scan into a
	// []byte would copy every blob once more (264 MB of garbage at 1M). The
	// worker closes its rows once the blob is decoded, and the decoded
	// strings keep pointing into the buffer (blob.Options.KeepBlob) instead
	// of a copy of its string table (173 MB at 1M): this driver reads every
	// blob into a new buffer it never touches again, which database/sql
	// hands over as it is (TestDriverHandsEachBlobItsOwnBuffer,
	// TestLoadedGraphOutlivesTheStoreReads hold it to that).
	type job struct {
		i    int
		b    sql.RawBytes
		rows *sql.Rows
	}
	jobs := make(chan job, 2)
	var wg sync.WaitGroup
	for range max(1, runtime.GOMAXPROCS(0)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range jobs {
				sc := scopes[j.i]
				opt := blob.Options{MovesOnly: filter.SkipFacts, KeepFacts: filter.KeepFacts, NoFindings: filter.SkipFindings, FactsOnly: filter.FactsOnly,
					IncludeResolved: filter.IncludeResolved, LastSeen: nsTime(sc.lastSeen), KeepBlob: true}
				if windowed[j.i] {
					opt.Into = &wins[j.i]
				}
				d, err := blob.Decode(j.b, opt)
				if errors.Is(err, blob.ErrWindow) {
					// counts that do not match the blob cost the in-place
					// merge, not the load: decode into the scope's own slices
					s.log.Debug("scope projection does not fit its recorded counts", "scope", sc.scope.String(), "err", err.Error())
					opt.Into = nil
					d, err = blob.Decode(j.b, opt)
				}
				if cerr := j.rows.Close(); err == nil && cerr != nil {
					err = fmt.Errorf("read projection: %w", wrapDBErr(cerr))
				}
				if err != nil {
					errs[j.i] = err
					continue
				}
				parts[j.i] = d.Part
			}
		}()
	}
	var readErr error
	for i, sc := range scopes {
		rows, b, err := readProjection(ctx, tx, sc.id)
		switch {
		case errors.Is(err, sql.ErrNoRows):
			errs[i] = errNoProjection
			continue
		case err != nil:
			readErr = fmt.Errorf("load scope %s: %w", sc.scope, wrapDBErr(err))
		}
		if readErr != nil {
			break
		}
		jobs <- job{i, b, rows}
	}
	close(jobs)
	wg.Wait()
	if readErr != nil {
		return nil, tiles, resume, readErr
	}
	// scopes without a usable projection: their rows, sorted into a part
	for i, sc := range scopes {
		if errs[i] == nil {
			continue
		}
		if !errors.Is(errs[i], errNoProjection) {
			s.log.Warn("scope projection unusable, reading its rows instead", "scope", sc.scope.String(), "err", errs[i].Error())
		}
		p, err := loadRowsPart(ctx, tx, sc, filter)
		if err != nil {
			return nil, tiles, resume, fmt.Errorf("load scope %s: %w", sc.scope, wrapDBErr(err))
		}
		parts[i] = p
	}
	return parts, tiles, resume, nil
}

var errNoProjection = errors.New("no projection for the scope's newest sync")

// readProjection returns the open rows of the scope's current projection and
// its blob, which stays valid until the caller closes the rows; with no
// current projection the error is sql.ErrNoRows and nothing is left open.
func readProjection(ctx context.Context, tx *sql.Tx, scope int64) (*sql.Rows, sql.RawBytes, error) {
	rows, err := tx.QueryContext(ctx, `SELECT p.blob FROM projections p JOIN scopes c ON c.id = p.scope
		WHERE p.scope = ? AND p.sync_id = c.last_sync AND p.format = ?`, scope, blob.Version)
	if err != nil {
		return nil, nil, err
	}
	if !rows.Next() {
		err := rows.Err()
		rows.Close()
		if err == nil {
			err = sql.ErrNoRows
		}
		return nil, nil, err
	}
	var b sql.RawBytes
	if err := rows.Scan(&b); err != nil {
		rows.Close()
		return nil, nil, err
	}
	return rows, b, nil
}

// loadRowsPart reads one scope's rows and sorts them into a part.
func loadRowsPart(ctx context.Context, tx *sql.Tx, sc storedScope, filter graph.Filter) (graph.Part, error) {
	in := interner{}
	var nodes []graph.Node
	var findings []graph.Finding
	var err error
	if !filter.FactsOnly {
		if nodes, err = loadNodesWhere(ctx, tx, sc, in, make([]graph.Node, 0, sc.rows.Nodes), ""); err != nil {
			return graph.Part{}, err
		}
	}
	edges, err := loadEdgesWhere(ctx, tx, sc, in, make([]graph.Edge, 0, sc.rows.Edges), kindsClause(filter))
	if err != nil {
		return graph.Part{}, err
	}
	if !filter.FactsOnly && !filter.SkipFindings {
		if findings, err = loadFindings(ctx, tx, sc, filter.IncludeResolved, make([]graph.Finding, 0, sc.rows.Findings)); err != nil {
			return graph.Part{}, err
		}
	}
	slices.SortFunc(nodes, func(a, b graph.Node) int { return cmp.Compare(a.ID, b.ID) })
	slices.SortFunc(edges, func(a, b graph.Edge) int { return graph.CompareEdges(&a, &b) })
	slices.SortFunc(findings, func(a, b graph.Finding) int { return cmp.Compare(a.ID, b.ID) })
	return graph.Part{Nodes: nodes, EdgeRuns: [][]graph.Edge{edges}, Findings: findings}, nil
}

// kindsClause restricts an edges query to the kinds the filter loads.
func kindsClause(f graph.Filter) string {
	kinds, q := f.LoadedEdgeKinds(), ` AND kind IN (`
	if ex := f.ExcludedEdgeKinds(); ex != nil {
		kinds, q = ex, ` AND kind NOT IN (`
	}
	if kinds == nil {
		return ""
	}
	for i, k := range kinds {
		if i > 0 {
			q += ", "
		}
		q += "'" + strings.ReplaceAll(string(k), "'", "''") + "'"
	}
	return q + ")"
}
