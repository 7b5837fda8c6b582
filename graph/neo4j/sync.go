package neo4j

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"time"

	neo "github.com/neo4j/neo4j-go-driver/v5/neo4j"

	"github.com/breachpath/breachpath/graph"
	"github.com/breachpath/breachpath/graph/blob"
	"github.com/breachpath/breachpath/graph/syncplan"
)

// errSuperseded is returned by a sync whose scope was claimed by a newer
// sync (another process) before it could switch.
var errSuperseded = errors.New("a newer sync of the same scope started (another process?); this sync was abandoned and changed nothing")

// Sync replaces the scope's graph with the snapshot (see graph.Store).
//
// Protocol, for sync N of a scope whose active sync is A:
//
//  1. claim: allocate N, set the scope's `pending` to N. A pending value
//     left by a sync that never finished means its rows may still be in the
//     database: repair deletes rows with sync_from > A or sync_to <= A and
//     clears sync_to > A, which restores exactly the state at A.
//  2. diff: read the content hash of every current row and compare with
//     the snapshot in memory; only changed rows are written. A node whose
//     version changes takes its edges and findings with it (relationships
//     attach to one node version).
//  3. write, in fenced batches (each batch locks the scope node and checks
//     pending = N, so a newer claimer shuts this sync out): set sync_to = N
//     on replaced rows, create the new versions with sync_from = N. Readers
//     at A see none of it.
//  4. switch: at the end of the last write transaction set active = N and
//     record the sync, so that readers see all of N at once.
//  5. cleanup: delete the rows this sync superseded, then clear pending;
//     when they are few (a re-sync that changed little), inside the
//     switching transaction itself.
//
// A failure or cancellation before the switch leaves A active; the sync
// then removes its own rows (best effort, not cancellable), and if that
// fails too the next sync's repair does.
//
// Which rows are written, removed, kept stale or resolved, and how
// findings' lifecycles move, is graph/syncplan's to say, as for the
// embedded store; a node whose version changes additionally takes its edges
// and findings with it (relationships attach to one node version).
func (s *Store) Sync(ctx context.Context, snap *graph.Snapshot) (graph.SyncResult, error) {
	if err := graph.CheckSync(ctx, snap); err != nil {
		return graph.SyncResult{}, err
	}
	sk := s.scopeKey(snap.Scope)
	defer s.lockScope(sk)()

	start := s.now()
	w := &syncer{s: s, ctx: ctx, snap: snap, sk: sk, at: start.UTC()}
	w.seen = snap.ObservedAt(w.at)
	w.sess = s.session(ctx, neo.AccessModeWrite)
	defer w.sess.Close(context.WithoutCancel(ctx))

	res, err := w.run()
	if err != nil {
		if ctxErr := ctx.Err(); ctxErr != nil && !errors.Is(err, ctxErr) {
			err = fmt.Errorf("%w (%v)", ctxErr, err)
		}
		if w.claimed && !w.switched {
			if committed := w.abandon(); committed {
				// the switch reached the server although its answer did not
				s.log.Warn("sync switch committed despite an error", "scope", snap.Scope.String(), "sync", w.sync, "err", err)
				return w.res, nil
			}
		}
		return graph.SyncResult{}, fmt.Errorf("sync scope %s: %w", snap.Scope, s.storeErr(err))
	}
	s.log.Info("synced scope", "scope", snap.Scope.String(), "sync", res.SyncID,
		"nodes", res.Written.Nodes, "edges", res.Written.Edges, "findings", res.Written.Findings,
		"changed", w.changed, "removed", res.Removed, "stale", res.Stale, "resolved", res.Resolved,
		"took", time.Since(start).Round(time.Millisecond).String(), slog.Group("phases", w.phases...))
	return res, nil
}

// SyncAllOrNothing syncs every snapshot and switches all the scopes in one
// write transaction (see graph.Store). Each scope goes through steps 1-3 of
// Sync's protocol, one scope after the other: its new rows are written but
// its active sync does not move, so readers see none of them. Then one
// transaction runs the switch statements of every scope (each fenced as
// Sync's last transaction is), and the superseded rows are cleaned up after
// it. A failure or cancellation before that transaction commits abandons
// every claimed scope exactly as a failed Sync does (its own rows removed;
// if that fails, the next sync's repair does it).
func (s *Store) SyncAllOrNothing(ctx context.Context, snaps []*graph.Snapshot, staged func(i int) error) ([]graph.SyncResult, error) {
	keys := make([]string, len(snaps))
	for i, snap := range snaps {
		if err := graph.CheckSync(ctx, snap); err != nil {
			return nil, &graph.SyncError{Index: i, Name: graph.SnapshotName(snap, i), Err: err}
		}
		keys[i] = s.scopeKey(snap.Scope)
	}
	if err := graph.DistinctScopes(snaps); err != nil {
		return nil, err
	}
	// lock in key order, so that two such calls in one process never wait
	// for each other crosswise
	sorted := slices.Clone(keys)
	slices.Sort(sorted)
	for _, k := range sorted {
		defer s.lockScope(k)()
	}
	start := s.now()
	ws := make([]*syncer, 0, len(snaps))
	defer func() {
		for _, w := range ws {
			w.sess.Close(context.WithoutCancel(ctx))
		}
	}()
	// abandonAll undoes every claimed scope; it reports whether the
	// switch had in fact committed (its answer was lost).
	abandonAll := func() (committed bool) {
		for _, w := range ws {
			if w.claimed && w.abandon() {
				committed = true
			}
		}
		return committed
	}
	fail := func(i int, err error) error {
		if ctxErr := ctx.Err(); ctxErr != nil && !errors.Is(err, ctxErr) {
			err = fmt.Errorf("%w (%v)", ctxErr, err)
		}
		abandonAll()
		return &graph.SyncError{Index: i, Name: graph.SnapshotName(snaps[i], i), Err: fmt.Errorf("sync scope %s: %w", snaps[i].Scope, s.storeErr(err))}
	}
	for i, snap := range snaps {
		w := &syncer{s: s, ctx: ctx, snap: snap, sk: keys[i], at: start.UTC(), deferSwitch: true}
		w.seen = snap.ObservedAt(w.at)
		w.sess = s.session(ctx, neo.AccessModeWrite)
		ws = append(ws, w)
		if _, err := w.run(); err != nil {
			return nil, fail(i, err)
		}
		if staged != nil {
			if err := staged(i); err != nil {
				// the caller's error, not the server's: kept as it is
				abandonAll()
				return nil, &graph.SyncError{Index: i, Name: graph.SnapshotName(snap, i), Err: fmt.Errorf("sync scope %s: %w", snap.Scope, err)}
			}
		}
		if err := ctx.Err(); err != nil {
			return nil, fail(i, err)
		}
	}
	if err := s.switchAll(ctx, ws); err != nil {
		if ctxErr := ctx.Err(); ctxErr != nil && !errors.Is(err, ctxErr) {
			err = fmt.Errorf("%w (%v)", ctxErr, err)
		}
		if !abandonAll() {
			return nil, fmt.Errorf("switch %d scopes: %w", len(ws), s.storeErr(err))
		}
		s.log.Warn("all-or-nothing switch committed despite an error", "scopes", len(ws), "err", err)
	}
	out := make([]graph.SyncResult, len(ws))
	for i, w := range ws {
		w.switched = true
		// from here the new graphs are visible: a failed cleanup is
		// repaired by the scope's next sync
		if err := w.cleanup(context.WithoutCancel(ctx)); err != nil {
			s.log.Warn("cleanup after sync failed; the next sync of the scope repairs it",
				"scope", w.snap.Scope.String(), "sync", w.sync, "err", oneLine(err))
		}
		out[i] = w.res
	}
	s.log.Info("synced scopes all or nothing", "scopes", len(ws), "took", time.Since(start).Round(time.Millisecond).String())
	return out, nil
}

// switchAll switches every syncer's scope to its new sync in one write
// transaction. Each switch is fenced as the last write transaction of its
// sync would be (fenceStep), so a retry of a transaction that committed
// does nothing twice and a scope claimed by another process fails it all.
func (s *Store) switchAll(ctx context.Context, ws []*syncer) error {
	if len(ws) == 0 {
		return nil
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	sess := s.session(ctx, neo.AccessModeWrite)
	defer sess.Close(context.WithoutCancel(ctx))
	_, err := sess.ExecuteWrite(ctx, func(tx neo.ManagedTransaction) (any, error) {
		for _, w := range ws {
			done, err := w.fenceStep(ctx, tx, w.seq+1)
			if err != nil {
				return nil, fmt.Errorf("scope %s: %w", w.snap.Scope, err)
			}
			if done {
				continue
			}
			if err := w.switchIn(tx, w.rec, false); err != nil {
				return nil, fmt.Errorf("scope %s: %w", w.snap.Scope, err)
			}
		}
		keys := make([]string, len(ws))
		for i, w := range ws {
			keys[i] = w.sk
		}
		return nil, s.reconcileTotals(ctx, tx, keys)
	})
	if err != nil {
		return err
	}
	for _, w := range ws {
		w.seq++
	}
	return nil
}

// The current rows carry their element id, so that closing and deleting
// them, and attaching new relationships to them, is a seek by id rather
// than an index lookup plus a filter.
type curNode struct {
	eid        string
	hash       int64
	out        int64 // out_digest: of its outgoing relationships (edgeDigest.fold)
	outOK      bool  // out is present and was written by a committed sync
	staleSince time.Time
	service    string
	region     string
}

// curEdge is a current relationship as readEdges read it, whole: an edge
// kept stale is carried over from it.
type curEdge struct {
	eid        string
	ekey       int64 // edgeKeyHash: kind, target, technique, content and stale flag
	stale      bool
	e          *graph.Edge
	staleSince time.Time
}

type curFinding struct {
	eid      string
	hash     int64
	resource string
	life     syncplan.Life
}

type nodeWrite struct {
	n          *graph.Node
	hash       int64
	staleSince time.Time
}

type edgeWrite struct {
	e          *graph.Edge
	hash       int64
	stale      bool
	staleSince time.Time
}

type findingWrite struct {
	f       *graph.Finding
	hash    int64
	life    syncplan.Life
	carried bool // not in the snapshot: f is filled from the stored row by fetch
}

// syncer holds the state of one sync.
type syncer struct {
	s    *Store
	ctx  context.Context
	sess neo.SessionWithContext
	snap *graph.Snapshot
	sk   string
	at   time.Time // when the sync ran
	seen time.Time // observation time of the snapshot

	sync     int64     // this sync's id (N)
	active   int64     // the scope's active sync when claimed (A), 0 for none
	prevSeen time.Time // observation time of sync A
	// prevNodes is how many node rows sync A left (written and kept
	// stale); with a failed earlier sync repaired, it is what is current.
	prevNodes int
	claimed   bool
	switched  bool
	// deferSwitch makes write stop before the switch: SyncAllOrNothing
	// switches every scope in one transaction (switchAll), with rec.
	deferSwitch bool
	rec         map[string]any
	cleaned     bool  // the switch deleted the superseded rows and released the scope
	seq         int64 // number of the last write transaction (pending_step)

	curNodes    map[string]curNode
	curEdges    map[graph.EdgeKey]curEdge
	curFindings map[string]curFinding

	// the plan
	nodeWrites     []nodeWrite
	edgeWrites     []edgeWrite
	findingWrites  []findingWrite
	supNodes       []string
	supEdges       []graph.EdgeKey
	supFindings    []string
	plan           *syncplan.Plan    // the rules: what to write, remove, keep stale, resolve
	changedNodes   map[string]bool   // nodes whose current version ends at this sync
	clean          map[string]bool   // nodes whose outgoing edges are unchanged (readEdges)
	written        map[string]bool   // nodes this sync writes a new version of
	newEIDs        map[string]string // element ids of the versions this sync wrote
	snapNodes      map[string]bool
	fetchNodes     []string
	fetchEdges     []graph.EdgeKey
	fetchFindings  []string
	fetchedNodes   map[string]*graph.Node
	fetchedFinding map[string]*graph.Finding

	// outgoing-edge digests: of the snapshot's edges per source (readEdges),
	// and the stale edges carried over unchanged (planEdges)
	want      map[string]edgeDigest
	keptStale []int64
	keptFrom  []string

	// the projection (projection.go): whether the scope's blob is current
	// at claim time, what the sync does to it, and what the plan carries
	// unchanged that projectionRows reads whole
	projCurrent   bool
	proj          projWrite
	projBlob      []byte
	projLinks     []byte          // graph.EncodeScopeLinks of the rows projBlob holds
	projCounts    countLists      // graph.CountRows of the rows projBlob holds (stats.go)
	snapLife      []syncplan.Life // lifecycle after the sync of each snapshot finding
	keptStaleKeys []graph.EdgeKey // stale edges carried unchanged (read whole by readEdges)
	projNodes     []string        // stale nodes carried unchanged
	projFindings  []string        // findings not in the snapshot, carried unchanged

	res     graph.SyncResult
	changed graph.Counts
	phases  []any // slog attributes: time per phase
}

// phase times one step of a sync for the sync's log line: where a slow
// sync spends its time (reading the current state, writing, cleanup) is
// the first question when tuning a server.
func (w *syncer) phase(name string) func() {
	t0 := time.Now()
	return func() { w.phases = append(w.phases, slog.Duration(name, time.Since(t0).Round(time.Millisecond))) }
}

func (w *syncer) run() (graph.SyncResult, error) {
	done := w.phase("claim")
	needRepair, err := w.claim()
	if err != nil {
		return graph.SyncResult{}, fmt.Errorf("claim scope: %w", err)
	}
	if needRepair {
		w.s.log.Info("repairing scope left behind by an unfinished sync", "scope", w.snap.Scope.String())
		if err := w.repair(w.ctx); err != nil {
			return graph.SyncResult{}, fmt.Errorf("repair unfinished sync: %w", err)
		}
	}
	done()
	done = w.phase("read_nodes")
	if err := w.readCurrent(); err != nil {
		return graph.SyncResult{}, fmt.Errorf("read current rows: %w", err)
	}
	done()
	done = w.phase("read_edges")
	w.planNodes()
	if err := w.readEdges(); err != nil {
		return graph.SyncResult{}, fmt.Errorf("read current rows: edges: %w", err)
	}
	w.planEdges()
	w.planFindings()
	if err := w.fetch(); err != nil {
		return graph.SyncResult{}, fmt.Errorf("read rows to carry over: %w", err)
	}
	done()
	if err := w.buildProjection(); err != nil {
		return graph.SyncResult{}, err
	}
	if err := w.write(); err != nil {
		return graph.SyncResult{}, err
	}
	if w.deferSwitch {
		return w.res, nil
	}
	// From here the new graph is visible: cancellation no longer applies,
	// and a failed cleanup is repaired by the next sync.
	done = w.phase("cleanup")
	if err := w.cleanup(context.WithoutCancel(w.ctx)); err != nil {
		w.s.log.Warn("cleanup after sync failed; the next sync of the scope repairs it",
			"scope", w.snap.Scope.String(), "sync", w.sync, "err", oneLine(err))
	}
	done()
	return w.res, nil
}

// writeTx runs fn in a managed write transaction, retried by the driver on
// transient errors.
func (w *syncer) writeTx(ctx context.Context, fn func(tx neo.ManagedTransaction) (any, error)) (any, error) {
	return w.sess.ExecuteWrite(ctx, fn)
}

// run runs a statement whose result is of no interest in tx.
func run(ctx context.Context, tx neo.ManagedTransaction, q string, p map[string]any) error {
	res, err := tx.Run(ctx, q, p)
	if err != nil {
		return err
	}
	_, err = res.Consume(ctx)
	return err
}

func single(ctx context.Context, tx neo.ManagedTransaction, q string, p map[string]any) (*neo.Record, error) {
	res, err := tx.Run(ctx, q, p)
	if err != nil {
		return nil, err
	}
	return res.Single(ctx)
}

func (w *syncer) claim() (bool, error) {
	// a namespace's first sync starts its estate totals (totals.go)
	p := map[string]any{"ns": w.s.ns, "sk": w.sk, "cloud": string(w.snap.Scope.Cloud), "id": w.snap.Scope.ID, "f": int64(blob.Version),
		"tv": int64(totalsVersion)}
	out, err := w.writeTx(w.ctx, func(tx neo.ManagedTransaction) (any, error) {
		return single(w.ctx, tx, `
			MERGE (m:BreachpathMeta {ns: $ns})
			ON CREATE SET m.stats_totals = $tv
			SET m.lock = true
			WITH m
			SET m.next_sync = coalesce(m.next_sync, 0) + 1
			WITH m.next_sync AS sync
			MERGE (s:Scope {key: $sk})
			ON CREATE SET s.ns = $ns, s.cloud = $cloud, s.scope_id = $id
			SET s.lock = true
			WITH s, sync, s.pending AS prev
			SET s.pending = sync, s.pending_since = datetime(), s.pending_step = 0
			WITH s, sync, prev
			OPTIONAL MATCH (y:SyncRecord {ns: $ns, id: s.active})
			OPTIONAL MATCH (p:ScopeProjection {key: $sk})
			RETURN sync, coalesce(s.active, 0) AS active, s.active_seen AS seen, prev IS NOT NULL AS dirty,
			       coalesce(y.written_nodes, 0) + coalesce(y.stale_nodes, 0) AS nodes,
			       coalesce(p.sync = s.active AND p.format = $f, false) AS projected`, p)
	})
	if err != nil {
		return false, err
	}
	rec := out.(*neo.Record)
	w.claimed = true
	w.sync, _ = rec.Values[0].(int64)
	w.active, _ = rec.Values[1].(int64)
	if t, ok := rec.Values[2].(time.Time); ok {
		w.prevSeen = t.UTC()
	}
	dirty, _ := rec.Values[3].(bool)
	prevNodes, _ := rec.Values[4].(int64)
	w.prevNodes = int(prevNodes)
	w.projCurrent, _ = rec.Values[5].(bool)
	return dirty, nil
}

// fence locks the scope node and reports whether this sync still owns it.
func (w *syncer) fence(ctx context.Context, tx neo.ManagedTransaction) error {
	rec, err := single(ctx, tx, `MATCH (s:Scope {key: $sk}) SET s.lock = true RETURN s.pending = $sync AS ok`,
		map[string]any{"sk": w.sk, "sync": w.sync})
	if err != nil {
		return err
	}
	if ok, _ := rec.Values[0].(bool); !ok {
		return errSuperseded
	}
	return nil
}

// loop runs a fenced statement that processes at most $batch rows and
// returns how many it did, until it does none.
func (w *syncer) loop(ctx context.Context, what, q string, extra map[string]any) error {
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		p := map[string]any{"sk": w.sk, "sync": w.sync, "batch": int64(w.s.batch)}
		maps.Copy(p, extra)
		out, err := w.writeTx(ctx, func(tx neo.ManagedTransaction) (any, error) {
			if err := w.fence(ctx, tx); err != nil {
				return nil, err
			}
			rec, err := single(ctx, tx, q, p)
			if err != nil {
				return nil, err
			}
			n, _ := rec.Values[0].(int64)
			return n, nil
		})
		if err != nil {
			return fmt.Errorf("%s: %w", what, err)
		}
		if out.(int64) == 0 {
			return nil
		}
	}
}

// repair restores the scope to exactly the rows of its active sync: it
// removes rows written by unfinished syncs and rows a finished sync
// superseded but did not get to delete, and reopens rows an unfinished
// sync had closed.
func (w *syncer) repair(ctx context.Context) error {
	var active int64
	_, err := w.writeTx(ctx, func(tx neo.ManagedTransaction) (any, error) {
		if err := w.fence(ctx, tx); err != nil {
			return nil, err
		}
		rec, err := single(ctx, tx, `MATCH (s:Scope {key: $sk})
			SET s.floor = CASE WHEN s.floor IS NULL OR s.floor < coalesce(s.active, 0) - 1 THEN coalesce(s.active, 0) - 1 ELSE s.floor END
			RETURN coalesce(s.active, 0)`, map[string]any{"sk": w.sk})
		if err != nil {
			return nil, err
		}
		active, _ = rec.Values[0].(int64)
		return nil, nil
	})
	if err != nil {
		return err
	}
	a := map[string]any{"a": active}
	steps := []struct{ what, q string }{
		{"delete unfinished nodes", `MATCH (n:Resource {scope: $sk}) WHERE n.sync_from > $a OR n.sync_to <= $a
			WITH n LIMIT $batch DETACH DELETE n RETURN count(*)`},
		{"delete unfinished edges", `MATCH (:Resource {scope: $sk})-[r]->(:Resource) WHERE r.sync_from > $a OR r.sync_to <= $a
			WITH r LIMIT $batch DELETE r RETURN count(*)`},
		{"delete unfinished findings", `MATCH (f:Finding {scope: $sk}) WHERE f.sync_from > $a OR f.sync_to <= $a
			WITH f LIMIT $batch DETACH DELETE f RETURN count(*)`},
		{"reopen nodes", `MATCH (n:Resource {scope: $sk}) WHERE n.sync_to > $a
			WITH n LIMIT $batch SET n.sync_to = null RETURN count(*)`},
		{"reopen edges", `MATCH (:Resource {scope: $sk})-[r]->(:Resource) WHERE r.sync_to > $a
			WITH r LIMIT $batch SET r.sync_to = null RETURN count(*)`},
		{"reopen findings", `MATCH (f:Finding {scope: $sk}) WHERE f.sync_to > $a
			WITH f LIMIT $batch SET f.sync_to = null RETURN count(*)`},
	}
	for _, st := range steps {
		if err := w.loop(ctx, st.what, st.q, a); err != nil {
			return err
		}
	}
	w.active = active
	return nil
}

// abandon undoes a failed sync before its switch, best effort and not
// cancellable. It reports whether the switch had in fact committed.
func (w *syncer) abandon() (committed bool) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(w.ctx), 2*time.Minute)
	defer cancel()
	var (
		active int64
		held   bool // the scope's pending mark is still this sync's
	)
	_, err := w.writeTx(ctx, func(tx neo.ManagedTransaction) (any, error) {
		rec, err := single(ctx, tx, `MATCH (s:Scope {key: $sk}) SET s.lock = true
			RETURN coalesce(s.active, 0), s.pending = $sync`, map[string]any{"sk": w.sk, "sync": w.sync})
		if err != nil {
			return nil, err
		}
		active, _ = rec.Values[0].(int64)
		held, _ = rec.Values[1].(bool)
		if !held && active != w.sync {
			return nil, errSuperseded
		}
		return nil, nil
	})
	if err != nil {
		return false // a newer sync owns the scope, or the server is gone: the next sync repairs
	}
	if active == w.sync && !held {
		return true // switched, cleaned and released in one transaction: nothing to undo
	}
	if err := w.repair(ctx); err != nil {
		w.s.log.Warn("could not undo the failed sync; the next sync of the scope repairs it",
			"scope", w.snap.Scope.String(), "sync", w.sync, "err", oneLine(err))
		return active == w.sync
	}
	if err := w.release(ctx); err != nil {
		w.s.log.Warn("could not release the scope", "scope", w.snap.Scope.String(), "err", oneLine(err))
	}
	if w.proj == projFresh && w.deferSwitch {
		w.unstageProjection(ctx)
	}
	return active == w.sync
}

// release clears the scope's pending mark if this sync still holds it.
func (w *syncer) release(ctx context.Context) error {
	_, err := w.writeTx(ctx, func(tx neo.ManagedTransaction) (any, error) {
		res, err := tx.Run(ctx, `MATCH (s:Scope {key: $sk}) SET s.lock = true
			WITH s WHERE s.pending = $sync REMOVE s.pending, s.pending_since, s.pending_step`, map[string]any{"sk": w.sk, "sync": w.sync})
		if err != nil {
			return nil, err
		}
		return res.Consume(ctx)
	})
	return err
}

// tick checks the context every 1024 records of a result. Records are
// iterated under a context without cancellation (bg) because the driver
// consults the context several times per record; the query itself still
// runs under the sync's context.
func (w *syncer) tick(i int) error {
	if i%1024 == 1023 {
		return w.ctx.Err()
	}
	return nil
}

// collectMaxRows bounds the scopes whose current nodes readCurrent reads
// as one list (a few tens of MB of server heap at this size).
const collectMaxRows = 100_000

// readCurrent reads identity, content hash and the stale and lifecycle
// state of every current row of the scope.
func (w *syncer) readCurrent() error {
	p := map[string]any{"sk": w.sk}
	w.curNodes = make(map[string]curNode)
	w.curEdges = make(map[graph.EdgeKey]curEdge)
	w.curFindings = make(map[string]curFinding)
	_, err := w.sess.ExecuteRead(w.ctx, func(tx neo.ManagedTransaction) (any, error) {
		clear(w.curNodes)
		// Each node carries the digest of its outgoing relationships
		// (out_digest, see outDigests), so that the current state is read
		// without touching a relationship: streaming or aggregating every
		// relationship was the bulk of a warm re-sync.
		each := func(v []any) error {
			id, _ := v[0].(string)
			c := curNode{}
			c.hash, _ = v[1].(int64)
			if t, ok := v[2].(time.Time); ok {
				c.staleSince = t.UTC()
			}
			c.service, _ = v[3].(string)
			c.region, _ = v[4].(string)
			c.eid, _ = v[5].(string)
			var dsync int64
			c.out, c.outOK = v[6].(int64)
			dsync, _ = v[7].(int64)
			// A digest written in place by a sync that never switched (see
			// outDigests) may describe relationships that were rolled back:
			// only a committed sync's digest is trusted.
			c.outOK = c.outOK && dsync <= w.active
			w.curNodes[id] = c
			return nil
		}
		// Current nodes come back as one list per scope of a bounded size
		// (see queryRows).
		asList := max(w.prevNodes, len(w.snap.Nodes)) <= w.s.collectMax
		err := queryRows(w.ctx, tx, `MATCH (n:Resource {scope: $sk}) WHERE n.sync_to IS NULL`,
			`n.id, n.hash, n.stale_since, n.service, n.region, elementId(n), n.out_digest, n.out_digest_sync`, p, asList, each)
		if err != nil {
			return nil, fmt.Errorf("nodes: %w", err)
		}
		// findings in the same transaction: one round of begin and commit less
		clear(w.curFindings)
		tm := func(v any) time.Time {
			if t, ok := v.(time.Time); ok {
				return t.UTC()
			}
			return time.Time{}
		}
		err = queryRows(w.ctx, tx, `MATCH (f:Finding {scope: $sk}) WHERE f.sync_to IS NULL`,
			`f.id, f.hash, f.resource, f.first_seen, f.last_seen, f.resolved_at, f.stale_since, elementId(f)`, p, false, func(v []any) error {
				id, _ := v[0].(string)
				c := curFinding{}
				c.hash, _ = v[1].(int64)
				c.resource, _ = v[2].(string)
				c.life = syncplan.Life{FirstSeen: tm(v[3]), LastSeen: tm(v[4]), ResolvedAt: tm(v[5]), StaleSince: tm(v[6])}
				c.eid, _ = v[7].(string)
				w.curFindings[id] = c
				return nil
			})
		if err != nil {
			return nil, fmt.Errorf("findings: %w", err)
		}
		return nil, nil
	})
	return err
}

// readEdges reads the current relationships the plan needs: the outgoing
// ones of every node whose digest differs from the snapshot's (changed,
// removed, stale, or with changed edges), and the incoming ones of every
// node whose version ends at this sync. A node whose digest matches has
// exactly the snapshot's outgoing edges, unchanged and not stale, so
// planEdges skips them unread.
func (w *syncer) readEdges() error {
	w.want = make(map[string]edgeDigest, len(w.curNodes))
	for i := range w.snap.Edges {
		e := &w.snap.Edges[i]
		d := w.want[e.From]
		d.add(edgeKeyHash(e, hashEdge(e), false))
		w.want[e.From] = d
	}
	empty := edgeDigest{}.fold()
	w.clean = make(map[string]bool, len(w.curNodes))
	var out, in []any
	for id, cur := range w.curNodes {
		switch {
		case w.changedNodes[id]:
			in = append(in, cur.eid)
			if !cur.outOK || cur.out != empty {
				out = append(out, cur.eid)
			}
		case cur.outOK && cur.out == w.want[id].fold():
			w.clean[id] = true
		default:
			out = append(out, cur.eid)
		}
	}
	each := func(v []any) error {
		e := &graph.Edge{}
		e.From, _ = v[0].(string)
		kind, _ := v[1].(string)
		e.Kind = graph.EdgeKind(kind)
		e.To, _ = v[2].(string)
		m, _ := v[3].(map[string]any)
		if err := decodeEdge(m, e); err != nil {
			return err
		}
		c := curEdge{stale: e.Stale, e: e}
		c.eid, _ = v[4].(string)
		c.ekey = edgeKeyHash(e, hashEdge(e), e.Stale)
		if t, ok := m["stale_since"].(time.Time); ok {
			c.staleSince = t.UTC()
		}
		w.curEdges[e.Key()] = c
		return nil
	}
	p := map[string]any{"sk": w.sk}
	if err := w.readBatches(stmtReadOut, out, p, each); err != nil {
		return err
	}
	return w.readBatches(stmtReadIn, in, p, each)
}

func (w *syncer) planNodes() {
	nodes := w.snap.Nodes
	w.snapNodes = make(map[string]bool, len(nodes))
	w.changedNodes = make(map[string]bool)
	for i := range nodes {
		w.snapNodes[nodes[i].ID] = true
	}
	w.plan = syncplan.New(w.snap, func(id string) bool { return w.snapNodes[id] }, w.seen, w.prevSeen)
	for i := range nodes {
		n := &nodes[i]
		h := hashNode(n)
		cur, ok := w.curNodes[n.ID]
		if syncplan.Present(ok, cur.hash == h, !cur.staleSince.IsZero()) == syncplan.Unchanged {
			continue
		}
		if ok {
			w.supNodes = append(w.supNodes, n.ID)
			w.changedNodes[n.ID] = true
		}
		w.nodeWrites = append(w.nodeWrites, nodeWrite{n: n, hash: h})
	}
	for id, cur := range w.curNodes {
		if w.snapNodes[id] {
			continue
		}
		if w.plan.MissingNode(id, cur.service, cur.region) == syncplan.KeepStale {
			w.res.Stale.Nodes++
			if !cur.staleSince.IsZero() {
				w.projNodes = append(w.projNodes, id)
				continue // already stale: carried over as it is
			}
			w.fetchNodes = append(w.fetchNodes, id)
		} else {
			w.res.Removed.Nodes++
		}
		w.supNodes = append(w.supNodes, id)
		w.changedNodes[id] = true
	}
	w.res.Written.Nodes = len(nodes)
}

func (w *syncer) planEdges() {
	edges := w.snap.Edges
	// inSnap holds the snapshot's edges that readEdges may have read: the
	// others start at a clean node and end at an unchanged one, and every
	// current edge read came from a node that is not clean or went to one
	// that changed.
	inSnap := make(map[graph.EdgeKey]bool)
	for i := range edges {
		e := &edges[i]
		if w.clean[e.From] && !w.changedNodes[e.To] {
			continue // unchanged, by the digest of its source
		}
		k := e.Key()
		inSnap[k] = true
		h := hashEdge(e)
		cur, ok := w.curEdges[k]
		// the stored key covers content and stale flag; an edge of a node
		// whose version changes moves with it
		if syncplan.Present(ok, cur.ekey == edgeKeyHash(e, h, cur.stale), cur.stale) == syncplan.Unchanged &&
			!w.changedNodes[e.From] && !w.changedNodes[e.To] {
			continue
		}
		if ok {
			w.supEdges = append(w.supEdges, k)
		}
		w.edgeWrites = append(w.edgeWrites, edgeWrite{e: e, hash: h})
	}
	for k, cur := range w.curEdges {
		if inSnap[k] {
			continue
		}
		if w.plan.MissingEdge(k) == syncplan.KeepStale {
			w.res.Stale.Edges++
			if cur.stale && !w.changedNodes[k.From] && !w.changedNodes[k.To] {
				w.keptStale = append(w.keptStale, cur.ekey)
				w.keptFrom = append(w.keptFrom, k.From)
				w.keptStaleKeys = append(w.keptStaleKeys, k)
				continue
			}
			w.fetchEdges = append(w.fetchEdges, k)
		} else {
			w.res.Removed.Edges++
		}
		w.supEdges = append(w.supEdges, k)
	}
	w.res.Written.Edges = len(edges)
}

func (w *syncer) planFindings() {
	fs := w.snap.Findings
	inSnap := make(map[string]bool, len(fs))
	w.snapLife = make([]syncplan.Life, len(fs))
	for i := range fs {
		f := &fs[i]
		inSnap[f.ID] = true
		h := hashFinding(f)
		cur, ok := w.curFindings[f.ID]
		var stored *syncplan.Life
		if ok {
			stored = &cur.life
		}
		act, life := w.plan.PresentFinding(stored, cur.hash == h)
		w.snapLife[i] = life
		// a finding of a node whose version changes moves with it
		if act == syncplan.Unchanged && !w.changedNodes[f.Resource] && !w.changedNodes[cur.resource] {
			continue
		}
		if ok {
			w.supFindings = append(w.supFindings, f.ID)
		}
		w.findingWrites = append(w.findingWrites, findingWrite{f: f, hash: h, life: life})
	}
	for id, cur := range w.curFindings {
		if inSnap[id] {
			continue
		}
		act, life := w.plan.MissingFinding(cur.life, w.plan.KeptStale(cur.resource))
		switch act {
		case syncplan.StayResolved:
			if !w.changedNodes[cur.resource] {
				w.projFindings = append(w.projFindings, id)
				continue
			}
		case syncplan.KeepStale:
			w.res.Stale.Findings++
			if life == cur.life && !w.changedNodes[cur.resource] {
				w.projFindings = append(w.projFindings, id)
				continue // stale already: carried over as it is
			}
		case syncplan.Resolve:
			w.res.Resolved++
		}
		w.fetchFindings = append(w.fetchFindings, id)
		w.supFindings = append(w.supFindings, id)
		w.findingWrites = append(w.findingWrites, findingWrite{f: &graph.Finding{ID: id}, hash: cur.hash, life: life, carried: true})
	}
	w.res.Written.Findings = len(fs)
}

// fetch reads the full current rows that are carried over into the new
// sync with a changed state (newly stale, resolved, or re-pointed to a new
// node version), and completes their writes.
func (w *syncer) fetch() error {
	p := map[string]any{"sk": w.sk}
	if len(w.fetchNodes) > 0 {
		got := make(map[string]*graph.Node, len(w.fetchNodes))
		err := w.readBatches(stmtFetchNodes, strsToAny(w.fetchNodes), p, func(v []any) error {
			m, _ := v[0].(map[string]any)
			n, err := decodeNode(m)
			if err != nil {
				return err
			}
			got[n.ID] = &n
			return nil
		})
		if err != nil {
			return fmt.Errorf("nodes: %w", err)
		}
		for _, id := range w.fetchNodes {
			n, ok := got[id]
			if !ok {
				return fmt.Errorf("node %q vanished during the sync: %w", id, graph.ErrCorrupt)
			}
			w.nodeWrites = append(w.nodeWrites, nodeWrite{n: n, hash: hashNode(n), staleSince: w.plan.StaleSince(w.curNodes[id].staleSince)})
		}
	}
	// Edges kept stale were read whole by readEdges (their source's digest
	// cannot match: the snapshot lacks them).
	for _, k := range w.fetchEdges {
		cur := w.curEdges[k]
		if cur.e == nil {
			return fmt.Errorf("edge %s vanished during the sync: %w", k, graph.ErrCorrupt)
		}
		e := *cur.e
		var prev time.Time
		if e.Stale {
			prev = cur.staleSince
		}
		ss := w.plan.StaleSince(prev)
		e.Stale = false // content hash and writes take the flag separately
		w.edgeWrites = append(w.edgeWrites, edgeWrite{e: &e, hash: hashEdge(&e), stale: true, staleSince: ss})
	}
	if len(w.fetchFindings) > 0 {
		got := make(map[string]*graph.Finding, len(w.fetchFindings))
		err := w.readBatches(stmtFetchFindings, strsToAny(w.fetchFindings), p, func(v []any) error {
			m, _ := v[0].(map[string]any)
			f, _, err := decodeFinding(m)
			if err != nil {
				return err
			}
			got[f.ID] = &f
			return nil
		})
		if err != nil {
			return fmt.Errorf("findings: %w", err)
		}
		for i := range w.findingWrites {
			fw := &w.findingWrites[i]
			if !fw.carried {
				continue
			}
			f, ok := got[fw.f.ID]
			if !ok {
				return fmt.Errorf("finding %q vanished during the sync: %w", fw.f.ID, graph.ErrCorrupt)
			}
			fw.f, fw.hash = f, hashFinding(f)
		}
	}
	return nil
}

// readBatches runs a read statement over rows in batches.
func (w *syncer) readBatches(q string, rows []any, extra map[string]any, each func([]any) error) error {
	for i := 0; i < len(rows); i += w.s.batch {
		chunk := rows[i:min(i+w.s.batch, len(rows))]
		p := map[string]any{"rows": chunk}
		maps.Copy(p, extra)
		bg := context.WithoutCancel(w.ctx)
		var recs [][]any
		_, err := w.sess.ExecuteRead(w.ctx, func(tx neo.ManagedTransaction) (any, error) {
			recs = recs[:0]
			res, err := tx.Run(w.ctx, q, p)
			if err != nil {
				return nil, err
			}
			for i := 0; res.Next(bg); i++ {
				if err := w.tick(i); err != nil {
					return nil, err
				}
				recs = append(recs, res.Record().Values)
			}
			return nil, res.Err()
		})
		if err != nil {
			return err
		}
		for _, v := range recs {
			if err := each(v); err != nil {
				return err
			}
		}
	}
	return nil
}

func strsToAny(ss []string) []any {
	out := make([]any, len(ss))
	for i, s := range ss {
		out[i] = s
	}
	return out
}

// quote makes a label or relationship type safe to splice into Cypher.
// Kinds are validated identifiers already; the quoting is a second fence.
func quote(name string) string {
	b := []byte{'`'}
	for i := 0; i < len(name); i++ {
		if name[i] == '`' {
			b = append(b, '`')
		}
		b = append(b, name[i])
	}
	return string(append(b, '`'))
}

// txBatches is how many statement batches one write transaction carries:
// a transaction costs a fence round trip and a commit (a log flush), so a
// few batches share one, while the transaction state stays well inside the
// server's heap (docs/benchmarks-neo4j.md).
const txBatches = 4

// step is one write statement over a chunk of rows. The statement returns
// one record whose values must equal want(rows) (counts of rows matched or
// created), or the sync fails with graph.ErrCorrupt: a mismatch means rows
// changed behind the store's back.
type step struct {
	what string
	q    string
	n    int // rows in the chunk
	// rows builds the chunk when the statement is about to run: rows of
	// relationships and finding links name the element ids of node versions
	// that the node steps before them create, possibly in the same
	// transaction.
	rows func() ([]any, error)
	want func([]any) []int64
	// collect, when set, reads the statement's record after the counts
	// matched (see write for what a retry means for it).
	collect func(*neo.Record) error
}

// chunk splits rows into steps of at most the batch size; want derives the
// expected counts of one chunk.
func (w *syncer) chunk(what, q string, rows []any, want func([]any) []int64) []step {
	var out []step
	for i := 0; i < len(rows); i += w.s.batch {
		c := rows[i:min(i+w.s.batch, len(rows))]
		out = append(out, step{what: what, q: q, n: len(c), rows: func() ([]any, error) { return c, nil }, want: want})
	}
	return out
}

// chunkLater is chunk for n rows that row(i) builds when their step runs.
func (w *syncer) chunkLater(what, q string, n int, row func(i int) (any, error), want func([]any) []int64) []step {
	var out []step
	for i := 0; i < n; i += w.s.batch {
		lo, hi := i, min(i+w.s.batch, n)
		out = append(out, step{what: what, q: q, n: hi - lo, want: want, rows: func() ([]any, error) {
			c := make([]any, hi-lo)
			for k := range c {
				r, err := row(lo + k)
				if err != nil {
					return nil, err
				}
				c[k] = r
			}
			return c, nil
		}})
	}
	return out
}

func wantAll(rows []any) []int64 { return []int64{int64(len(rows))} }

// fenceStep is the fence of a numbered write transaction. Besides checking
// that this sync still owns the scope, it advances the scope's
// pending_step from seq-1 to seq in the same transaction as the writes.
// CREATE is not idempotent, so when the driver retries a transaction whose
// commit landed but whose answer was lost, the retry must not write again:
// it finds pending_step = seq and reports done.
func (w *syncer) fenceStep(ctx context.Context, tx neo.ManagedTransaction, seq int64) (done bool, err error) {
	rec, err := single(ctx, tx, `MATCH (s:Scope {key: $sk}) SET s.lock = true
		WITH s, s.pending = $sync AS ok, coalesce(s.pending_step, 0) AS prev
		SET s.pending_step = CASE WHEN ok AND prev = $seq - 1 THEN $seq ELSE s.pending_step END
		RETURN ok, prev, coalesce(s.active, 0) = $sync`, map[string]any{"sk": w.sk, "sync": w.sync, "seq": seq})
	if err != nil {
		return false, err
	}
	if switched, _ := rec.Values[2].(bool); switched {
		// the last transaction, which switches, committed (and may have
		// released the scope) although its answer was lost
		return true, nil
	}
	if ok, _ := rec.Values[0].(bool); !ok {
		return false, errSuperseded
	}
	switch prev, _ := rec.Values[1].(int64); prev {
	case seq - 1:
		return false, nil
	case seq:
		return true, nil
	default:
		return false, fmt.Errorf("write transaction %d found the scope at step %d: %w", seq, prev, graph.ErrCorrupt)
	}
}

// runSteps runs the steps in order, several per fenced transaction, and
// final, when set, at the end of the last one (a transaction with no step
// when there are none).
func (w *syncer) runSteps(ctx context.Context, steps []step, final func(neo.ManagedTransaction) error) error {
	maxRows := w.s.batch * txBatches
	for i := 0; i < len(steps) || (i == 0 && final != nil); {
		if err := ctx.Err(); err != nil {
			return err
		}
		j, n := i, 0
		for j < len(steps) && (j == i || n+steps[j].n <= maxRows) {
			n += steps[j].n
			j++
		}
		group := steps[i:j]
		last := j == len(steps)
		w.seq++
		seq := w.seq
		_, err := w.writeTx(ctx, func(tx neo.ManagedTransaction) (any, error) {
			done, err := w.fenceStep(ctx, tx, seq)
			if err != nil || done {
				return nil, err
			}
			for _, st := range group {
				rows, err := st.rows()
				if err != nil {
					return nil, err
				}
				rec, err := single(ctx, tx, st.q, map[string]any{"sk": w.sk, "sync": w.sync, "rows": rows})
				if err != nil {
					return nil, fmt.Errorf("%s: %w", st.what, err)
				}
				for k, want := range st.want(rows) {
					if got, _ := rec.Values[k].(int64); got != want {
						// returning the error rolls the whole transaction back
						return nil, fmt.Errorf("%s: %d of %d rows matched: %w (rows changed behind the store's back)", st.what, got, want, graph.ErrCorrupt)
					}
				}
				if st.collect != nil {
					if err := st.collect(rec); err != nil {
						return nil, err
					}
				}
			}
			if last && final != nil {
				return nil, final(tx)
			}
			return nil, nil
		})
		if err != nil {
			return err
		}
		if last {
			return nil
		}
		i = j
	}
	return nil
}

// outDigests returns the digest of every surviving node's outgoing edges
// once this sync is done: the snapshot's edges, plus the edges kept stale
// from failed areas (carried unchanged, or rewritten with the flag).
func (w *syncer) outDigests() map[string]edgeDigest {
	out := maps.Clone(w.want)
	if out == nil {
		out = map[string]edgeDigest{}
	}
	add := func(from string, key int64) {
		d := out[from]
		d.add(key)
		out[from] = d
	}
	for i, key := range w.keptStale {
		add(w.keptFrom[i], key)
	}
	for _, ew := range w.edgeWrites {
		if ew.stale {
			add(ew.e.From, edgeKeyHash(ew.e, ew.hash, true))
		}
	}
	return out
}

// endpoint returns the element id of the version of node id that is
// current once this sync's writes are done, and false when the node does
// not survive the sync. Relationships and finding links find their
// endpoints by element id: a direct seek, about twice as fast as the
// composite (scope, id, sync_from) index on the dev server.
func (w *syncer) endpoint(id string) (string, bool) {
	if w.written[id] {
		eid, ok := w.newEIDs[id]
		return eid, ok
	}
	if cur, ok := w.curNodes[id]; ok && !w.changedNodes[id] {
		return cur.eid, true
	}
	return "", false
}

// write supersedes replaced rows and writes the new versions, in
// transactions of several batches: first the closes and the nodes, whose
// element ids the node statements return, then the relationships and
// findings that point at them. Rows of this sync are new by construction
// (a sync id is used once, and a failed sync's rows are removed before the
// scope is written again), so they are CREATEd rather than MERGEd: MERGE of
// a relationship scans the relationships of its endpoint, which is
// quadratic on hubs such as the Internet stub. Labels and relationship
// types are dynamic (Neo4j 5.26), so one statement text serves every kind.
// Rows travel as lists rather than maps: less to encode and decode.
func (w *syncer) write() error {
	var steps []step

	for _, d := range w.superseded() {
		steps = append(steps, w.chunk("close old "+d.what, d.close, d.ids, wantAll)...)
	}

	digests := w.outDigests()
	w.written = make(map[string]bool, len(w.nodeWrites))
	w.newEIDs = make(map[string]string, len(w.nodeWrites))
	nrows := make([]any, len(w.nodeWrites))
	for i, nw := range w.nodeWrites {
		w.written[nw.n.ID] = true
		labels := []string{string(nw.n.Kind)}
		if nw.n.Stub {
			labels = append(labels, "Stub")
		}
		p := nodeProps(nw.n, nw.hash, nw.staleSince)
		p["scope"], p["id"], p["sync_from"] = w.sk, nw.n.ID, w.sync
		p["out_digest"], p["out_digest_sync"] = digests[nw.n.ID].fold(), w.sync
		nrows[i] = []any{labels, p, int64(i)}
	}
	// The statement returns the element id of every node it created, with
	// the row's index so that nothing depends on row order. A retried
	// transaction runs the statements again and overwrites what an attempt
	// that did not commit recorded; a retry that finds its transaction
	// committed (fenceStep) keeps what the committed attempt recorded.
	nodeSteps := w.chunk("write nodes", `UNWIND $rows AS row
		CREATE (n:Resource:$(row[0]))
		SET n = row[1]
		RETURN count(*), collect(row[2]), collect(elementId(n))`, nrows, wantAll)
	for i := range nodeSteps {
		nodeSteps[i].collect = func(rec *neo.Record) error {
			idx, _ := rec.Values[1].([]any)
			ids, _ := rec.Values[2].([]any)
			if len(idx) != len(ids) {
				return fmt.Errorf("write nodes: %d element ids for %d rows: %w", len(ids), len(idx), graph.ErrCorrupt)
			}
			for k := range idx {
				j, _ := idx[k].(int64)
				eid, _ := ids[k].(string)
				if j < 0 || int(j) >= len(w.nodeWrites) || eid == "" {
					return fmt.Errorf("write nodes: bad element id answer: %w", graph.ErrCorrupt)
				}
				w.newEIDs[w.nodeWrites[j].n.ID] = eid
			}
			return nil
		}
	}
	steps = append(steps, nodeSteps...)

	// Relationships and finding links are built when their step runs, from
	// the element ids the node steps before them recorded. The scope check
	// on both endpoints guards against an element id that was reused by
	// another scope's node after a delete behind the store's back; a
	// missing endpoint fails the count check.
	steps = append(steps, w.chunkLater("write edges", stmtWriteEdges, len(w.edgeWrites), func(i int) (any, error) {
		ew := w.edgeWrites[i]
		fe, ok1 := w.endpoint(ew.e.From)
		te, ok2 := w.endpoint(ew.e.To)
		if !ok1 || !ok2 {
			return nil, fmt.Errorf("edge %s: an endpoint is not in the new graph: %w", ew.e.Key(), graph.ErrCorrupt)
		}
		p := edgeProps(ew.e, ew.stale, ew.staleSince)
		p["sync_from"] = w.sync
		return []any{fe, te, string(ew.e.Kind), p}, nil
	}, wantAll)...)

	// Nodes that keep their version but whose outgoing edges changed get
	// the new digest in place. Readers never look at it; a sync that fails
	// after this leaves a digest newer than the active sync, which the next
	// sync does not trust (readCurrent).
	var drows []any
	for id, cur := range w.curNodes {
		if w.changedNodes[id] {
			continue
		}
		if d := digests[id].fold(); !cur.outOK || cur.out != d {
			drows = append(drows, []any{cur.eid, d})
		}
	}
	steps = append(steps, w.chunk("set digests", stmtSetDigests, drows, wantAll)...)
	steps = append(steps, w.chunkLater("write findings", stmtWriteFindings, len(w.findingWrites), func(i int) (any, error) {
		fw := w.findingWrites[i]
		p := findingProps(fw.f, fw.hash, fw.life)
		p["scope"], p["id"], p["sync_from"] = w.sk, fw.f.ID, w.sync
		// a finding links to its resource only while the resource exists
		var re any
		if eid, ok := w.endpoint(fw.f.Resource); ok {
			re = eid
		}
		return []any{p, re}, nil
	}, func(c []any) []int64 {
		linked := 0
		for _, r := range c {
			if r.([]any)[1] != nil {
				linked++
			}
		}
		return []int64{int64(len(c)), int64(linked)}
	})...)

	w.changed = graph.Counts{Nodes: len(w.nodeWrites), Edges: len(w.edgeWrites), Findings: len(w.findingWrites)}
	r := &w.res
	r.SyncID, r.Scope, r.At, r.Coverage = w.sync, w.snap.Scope, w.at, w.snap.Coverage
	rec, err := syncRecordProps(w.s.ns, w.sk, w.snap, *r, w.changed)
	if err != nil {
		return err
	}
	// A sync that superseded few rows deletes them and releases the scope
	// in the switching transaction itself: on a re-sync that changed
	// little, separate cleanup statements and a release cost more commits
	// than everything else together.
	inline := len(w.supEdges)+len(w.supFindings)+len(w.supNodes) <= w.s.batch*txBatches
	final := func(tx neo.ManagedTransaction) error { return w.switchIn(tx, rec, inline) }
	if w.deferSwitch {
		// the switch transaction of all scopes must stay small: the
		// superseded rows are deleted after it, and the projection is
		// staged by the scope's last write transaction
		final, w.rec = nil, rec
		if w.proj == projFresh {
			final = w.stageProjection
		}
	}
	done := w.phase("write")
	err = w.runSteps(w.ctx, steps, final)
	done()
	if err != nil {
		return err
	}
	if len(w.newEIDs) != len(w.nodeWrites) {
		return fmt.Errorf("write nodes: %d element ids for %d nodes: %w", len(w.newEIDs), len(w.nodeWrites), graph.ErrCorrupt)
	}
	if !w.deferSwitch {
		w.switched, w.cleaned = true, inline
	}
	return nil
}

// switchIn makes the new sync visible and records it, at the end of the
// last write transaction (fenced by it): readers see the old graph until
// it commits, and the whole new one after. With inline, it also deletes
// the rows the sync superseded and releases the scope.
func (w *syncer) switchIn(tx neo.ManagedTransaction, rec map[string]any, inline bool) error {
	ctx := w.ctx
	// The floor rises with the switch: readers that read the previous
	// version retry rather than race the deletes of superseded rows.
	res, err := tx.Run(ctx, `MATCH (s:Scope {key: $sk})
		SET s.active = $sync, s.active_seen = $seen, s.active_at = $at,
		    s.floor = CASE WHEN s.floor IS NULL OR s.floor < $sync - 1 THEN $sync - 1 ELSE s.floor END
		CREATE (y:SyncRecord)
		SET y = $rec`, map[string]any{"sk": w.sk, "sync": w.sync, "seen": w.seen, "at": w.at, "rec": rec})
	if err != nil {
		return fmt.Errorf("switch active sync: %w", err)
	}
	if _, err := res.Consume(ctx); err != nil {
		return err
	}
	if err := w.writeProjection(tx, w.deferSwitch); err != nil {
		return err
	}
	// an all-or-nothing switch reconciles once all its scopes are switched
	// (switchAll), so that it never waits for a scope holding a totals node
	reconcile := func() error {
		if w.deferSwitch {
			return nil
		}
		return w.s.reconcileTotals(ctx, tx, []string{w.sk})
	}
	if !inline {
		return reconcile()
	}
	for _, d := range w.superseded() {
		if len(d.ids) == 0 {
			continue
		}
		if _, err := single(ctx, tx, d.now, map[string]any{"sk": w.sk, "sync": w.sync, "rows": d.ids}); err != nil {
			return fmt.Errorf("delete old %s: %w", d.what, err)
		}
	}
	res, err = tx.Run(ctx, `MATCH (s:Scope {key: $sk}) WHERE s.pending = $sync
		REMOVE s.pending, s.pending_since, s.pending_step`, map[string]any{"sk": w.sk, "sync": w.sync})
	if err != nil {
		return err
	}
	if _, err = res.Consume(ctx); err != nil {
		return err
	}
	return reconcile()
}

// supersededRows are the element ids of one kind of row this sync
// superseded, with the statements that close and delete them.
type supersededRows struct {
	what  string
	close string // before the new versions are written
	later string // delete in auto-commit batches, after the switch
	now   string // delete inside the switching transaction
	ids   []any
}

// superseded lists the rows this sync superseded: edges first, so that a
// node is deleted after its relationships.
func (w *syncer) superseded() []supersededRows {
	ids := func(n int, get func(int) string) []any {
		out := make([]any, n)
		for i := range out {
			out[i] = get(i)
		}
		return out
	}
	return []supersededRows{
		{"edges", stmtCloseEdges, stmtDeleteEdges, stmtDeleteEdgesNow, ids(len(w.supEdges), func(i int) string { return w.curEdges[w.supEdges[i]].eid })},
		{"findings", stmtCloseFindings, stmtDeleteFindings, stmtDeleteFindingsNow, ids(len(w.supFindings), func(i int) string { return w.curFindings[w.supFindings[i]].eid })},
		{"nodes", stmtCloseNodes, stmtDeleteNodes, stmtDeleteNodesNow, ids(len(w.supNodes), func(i int) string { return w.curNodes[w.supNodes[i]].eid })},
	}
}

// syncRecordProps are the properties of the :SyncRecord of a sync: its
// result, and how many rows it wrote as new versions (changed).
func syncRecordProps(ns, sk string, snap *graph.Snapshot, r graph.SyncResult, changed graph.Counts) (map[string]any, error) {
	cov, err := json.Marshal(snap.Coverage)
	if err != nil {
		return nil, fmt.Errorf("encode coverage: %w", err)
	}
	rec := map[string]any{
		"ns": ns, "id": r.SyncID, "scope": sk, "cloud": string(snap.Scope.Cloud), "scope_id": snap.Scope.ID,
		"at": r.At, "collector": snap.Collector, "coverage": string(cov),
		"written_nodes": int64(r.Written.Nodes), "written_edges": int64(r.Written.Edges), "written_findings": int64(r.Written.Findings),
		"removed_nodes": int64(r.Removed.Nodes), "removed_edges": int64(r.Removed.Edges), "removed_findings": int64(r.Removed.Findings),
		"stale_nodes": int64(r.Stale.Nodes), "stale_edges": int64(r.Stale.Edges), "stale_findings": int64(r.Stale.Findings),
		"resolved":      int64(r.Resolved),
		"changed_nodes": int64(changed.Nodes), "changed_edges": int64(changed.Edges), "changed_findings": int64(changed.Findings),
	}
	if !snap.CollectedAt.IsZero() {
		rec["collected_at"] = snap.CollectedAt.UTC()
	}
	return rec, nil
}

// cleanupChunk bounds the element ids sent in one cleanup statement; the
// server deletes them in transactions of the batch size.
const cleanupChunk = 100_000

// cleanup deletes the rows the new sync superseded, then releases the
// scope. The switch raised the scope's floor, so readers still at the
// previous sync retry (see Load). Each delete is one auto-commit statement
// that commits every batch itself (CALL ... IN TRANSACTIONS): a failure
// half-way leaves rows the next sync's repair removes, and the guards
// (scope, sync_to = this sync) make sure an element id reused by a newer
// row is never deleted.
func (w *syncer) cleanup(ctx context.Context) error {
	if w.cleaned {
		return nil // done by the switch
	}
	for _, d := range w.superseded() {
		for i := 0; i < len(d.ids); i += cleanupChunk {
			p := map[string]any{"sk": w.sk, "sync": w.sync, "batch": int64(w.s.batch), "rows": d.ids[i:min(i+cleanupChunk, len(d.ids))]}
			res, err := w.sess.Run(ctx, d.later, p)
			if err == nil {
				_, err = res.Consume(ctx)
			}
			if err != nil {
				return fmt.Errorf("delete old %s: %w", d.what, err)
			}
		}
	}
	return w.release(ctx)
}
