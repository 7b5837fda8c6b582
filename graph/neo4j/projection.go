package neo4j

import (
	"context"
	"encoding/base64"
	"fmt"
	"maps"
	"slices"
	"sync/atomic"
	"time"

	neo "github.com/neo4j/neo4j-go-driver/v5/neo4j"

	"github.com/breachpath/breachpath/graph"
	"github.com/breachpath/breachpath/graph/blob"
	"github.com/breachpath/breachpath/graph/syncplan"
)

// The analysis-ready projection beside the graph (docs/ARCHITECTURE.md):
// one (:ScopeProjection {key, ns, sync, format, blob, links, count_keys, count_n}) node per scope holds
// the graph/blob encoding of the rows Load returns for the scope at version
// `sync` (stale rows, stubs, findings with their lifecycle, resolved ones
// included). Every sync writes it in the transaction that switches the
// scope to the new version (writeProjection), computed from what the sync
// wrote and carried over rather than read back; a sync that changes no row
// only moves the existing blob's `sync` on. The bulk import writes it as a
// base64 string (neo4j-admin has no byte-array column worth using), which
// Load accepts too. Load uses a blob only while `sync` equals the scope's
// active version; without one (a store written by an older breachpath, a
// blob that did not encode, a damaged one) it reads the scope's rows, logs
// why, and stores the blob it built for the next Load. It is a separate
// node, not a property of :Scope, so that Cypher users see the ordinary
// :Resource and :Finding graph, and one extra label they can ignore.

// projectionFill is a blob Load built from rows, stored once the load has
// checked that nothing it read was cleaned up meanwhile.
type projectionFill struct {
	st    scopeState
	blob  []byte // nil: the projection is current, only its index is missing
	links []byte // graph.EncodeScopeLinks of the same rows (links.go)
	// counts are graph.CountRows of the same rows (stats.go), with blob
	counts countLists
}

func decodeOptions(filter graph.Filter, st scopeState) blob.Options {
	return blob.Options{MovesOnly: filter.SkipFacts, KeepFacts: filter.KeepFacts, NoFindings: filter.SkipFindings, FactsOnly: filter.FactsOnly,
		IncludeResolved: filter.IncludeResolved, LastSeen: st.seen}
}

// storedBlob returns a projection's blob as stored: bytes from a sync or a
// Load, a base64 string from the bulk import.
func storedBlob(v any) ([]byte, error) {
	switch b := v.(type) {
	case []byte:
		return b, nil
	case string:
		out, err := base64.StdEncoding.DecodeString(b)
		if err != nil {
			return nil, fmt.Errorf("%w: projection blob: %v", graph.ErrCorrupt, err)
		}
		return out, nil
	case nil:
		return nil, nil
	}
	return nil, fmt.Errorf("%w: projection blob is %T", graph.ErrCorrupt, v)
}

// loadScope returns one scope's rows as a sorted part: from its projection
// when one exists for the active version, from its rows otherwise (then,
// all of them, so that the projection can be built for the next Load).
func (s *Store) loadScope(ctx context.Context, sess neo.SessionWithContext, st scopeState, filter graph.Filter) (graph.Part, *projectionFill, error) {
	var stored any
	var found, hasLinks bool
	var storedSync int64
	if s.rowsOnly {
		nodes, edges, findings, err := s.readScopeRows(ctx, sess, st, filter)
		if err != nil {
			return graph.Part{}, nil, err
		}
		g := graph.Assemble(nodes, edges, findings)
		return graph.Part{Nodes: g.Nodes, EdgeRuns: [][]graph.Edge{g.Edges}, Findings: g.Findings}, nil, nil
	}
	err := s.readAll(ctx, sess, `MATCH (p:ScopeProjection {key: $sk}) RETURN p.sync, p.format, p.blob, p.links IS NOT NULL`,
		map[string]any{"sk": st.key}, func(v []any) error {
			found = true
			storedSync, _ = v[0].(int64)
			if f, _ := v[1].(int64); storedSync == st.active && f == int64(blob.Version) {
				stored = v[2]
				hasLinks, _ = v[3].(bool)
			}
			return nil
		})
	if err != nil {
		return graph.Part{}, nil, fmt.Errorf("scope %s projection: %w", st.scope, err)
	}
	b, err := storedBlob(stored)
	if err == nil && b != nil {
		var d *blob.Decoded
		if d, err = blob.Decode(b, decodeOptions(filter, st)); err == nil {
			s.stats.blobScopes.Add(1)
			if !hasLinks { // written without the cross-scope index (an older sync, the bulk import)
				if l := linksOfBlob(b); l != nil {
					return d.Part, &projectionFill{st: st, links: l}, nil
				}
			}
			return d.Part, nil, nil
		}
	}
	switch {
	case err != nil:
		s.log.Warn("scope projection unusable, reading its rows instead", "scope", st.scope.String(), "err", err.Error())
	case !found:
		s.log.Info("scope has no projection (written by an older breachpath?), reading its rows", "scope", st.scope.String())
	default:
		s.log.Info("scope projection is of another version, reading its rows", "scope", st.scope.String(),
			"projection_sync", storedSync, "active_sync", st.active)
	}
	s.stats.rowScopes.Add(1)
	nodes, edges, findings, err := s.readScopeRows(ctx, sess, st, graph.Filter{IncludeResolved: true})
	if err != nil {
		return graph.Part{}, nil, err
	}
	rows := blob.Rows{Nodes: slices.Clone(nodes), Edges: slices.Clone(edges), Findings: slices.Clone(findings)}
	links := linksOfRows(nodes, edges, findings)
	b, err = blob.Encode(&rows, st.seen)
	if err == nil {
		var d *blob.Decoded
		if d, err = blob.Decode(b, decodeOptions(filter, st)); err == nil {
			return d.Part, &projectionFill{st: st, blob: b, links: links, counts: rowCounts(st.scope.Cloud, &rows)}, nil
		}
	}
	// rows no projection can hold (a duplicate key): assemble them as
	// Load always did, and build no projection
	s.log.Warn("scope rows do not make a projection; using them as read", "scope", st.scope.String(), "err", err.Error())
	edges = slices.DeleteFunc(edges, func(e graph.Edge) bool { return !filter.LoadsEdge(e.Kind) })
	switch {
	case filter.SkipFindings:
		findings = nil
	case !filter.IncludeResolved:
		findings = slices.DeleteFunc(findings, func(f graph.Finding) bool { return !f.ResolvedAt.IsZero() })
	}
	if filter.FactsOnly {
		nodes, findings = nil, nil
	}
	g := graph.Assemble(nodes, edges, findings)
	return graph.Part{Nodes: g.Nodes, EdgeRuns: [][]graph.Edge{g.Edges}, Findings: g.Findings}, nil, nil
}

// loadStats counts how Load read scopes, for tests and the load log line.
type loadStats struct {
	blobScopes atomic.Int64 // scopes decoded from their projection
	rowScopes  atomic.Int64 // scopes read row by row
}

// storeProjection stores a projection built by Load. It is a cache: a
// failure is logged, never returned, and a scope that moved on meanwhile
// is skipped (a reader would ignore its projection anyway, by version).
func (s *Store) storeProjection(ctx context.Context, f projectionFill) {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	sess := s.session(ctx, neo.AccessModeWrite)
	defer sess.Close(context.WithoutCancel(ctx))
	_, err := sess.ExecuteWrite(ctx, func(tx neo.ManagedTransaction) (any, error) {
		if f.blob != nil { // new counts: the scope first, as a sync locks it
			if err := lockScopes(ctx, tx, []string{f.st.key}); err != nil {
				return nil, err
			}
		}
		q := `MATCH (s:Scope {key: $sk}) WHERE s.active = $v
			MERGE (p:ScopeProjection {key: $sk})
			SET p.ns = $ns, p.sync = $v, p.format = $f, p.blob = $b, p.links = $l, p.count_keys = $ck, p.count_n = $cn
			REMOVE ` + stagedProps
		if f.blob == nil {
			q = `MATCH (s:Scope {key: $sk}) WHERE s.active = $v
			MATCH (p:ScopeProjection {key: $sk}) WHERE p.sync = $v AND p.format = $f
			SET p.links = $l`
		}
		res, err := tx.Run(ctx, q,
			map[string]any{"sk": f.st.key, "ns": s.ns, "v": f.st.active, "f": int64(blob.Version), "b": f.blob, "l": f.links,
				"ck": f.counts.keys, "cn": f.counts.n})
		if err != nil {
			return nil, err
		}
		if _, err = res.Consume(ctx); err != nil || f.blob == nil {
			return nil, err
		}
		return nil, s.reconcileTotals(ctx, tx, []string{f.st.key})
	})
	if err != nil {
		s.log.Warn("could not store the scope projection; the next load reads rows again",
			"scope", f.st.scope.String(), "err", s.storeErr(err).Error())
	}
}

// Sync time. A sync ends in one of three ways for the projection:
//
//   - it changes no row and the scope has a current blob: the blob's
//     version moves on with the switch (retag);
//   - otherwise it builds the blob of the new version (buildProjection,
//     before its first write) and writes it in the switching transaction;
//     SyncAllOrNothing, whose common switch must stay small, stages it
//     as `staged`/`staged_sync` in each scope's last write transaction
//     and the switch promotes it server-side;
//   - the rows do not encode (never for a validated snapshot): the old
//     blob is left to go out of date and Load falls back to rows.
//
// Either way a blob never claims a version that did not commit: `sync` is
// only set in the transaction that switches the scope.

// projWrite is what a sync does to its scope's projection.
type projWrite int

const (
	projNone  projWrite = iota // leave it (it goes out of date with the switch)
	projRetag                  // move the current blob on to this sync
	projFresh                  // write w.projBlob
)

// buildProjection decides the sync's projection write and, when the blob
// must be rewritten, encodes it from the rows the sync writes and
// carries over. It runs after fetch, before the first write.
func (w *syncer) buildProjection() error {
	unchanged := len(w.nodeWrites) == 0 && len(w.edgeWrites) == 0 && len(w.findingWrites) == 0 &&
		len(w.supNodes) == 0 && len(w.supEdges) == 0 && len(w.supFindings) == 0
	if unchanged && w.projCurrent {
		w.proj = projRetag
		return nil
	}
	defer w.phase("projection")()
	rows, err := w.projectionRows()
	if err != nil {
		return err
	}
	b, err := blob.Encode(rows, w.seen)
	if err != nil {
		w.s.log.Warn("the scope's rows do not make a projection; loads read its rows", "scope", w.snap.Scope.String(), "err", err.Error())
		w.proj = projNone
		return nil
	}
	w.proj, w.projBlob = projFresh, b
	w.projLinks = linksOfRows(rows.Nodes, rows.Edges, rows.Findings)
	w.projCounts = rowCounts(w.snap.Scope.Cloud, rows)
	return nil
}

// projectionRows returns the scope's rows as Load will return them once
// this sync commits: the snapshot's rows as the codec stores them, the
// rows kept stale (written with the flag, or carried unchanged), and every
// finding with its lifecycle after the sync. Rows carried unchanged that
// the plan did not read whole (nodes already stale, findings resolved
// earlier or already stale) are read by id.
func (w *syncer) projectionRows() (*blob.Rows, error) {
	rows := snapshotRows(w.snap, w.seen, func(i int) syncplan.Life { return w.snapLife[i] },
		w.res.Stale.Nodes, w.res.Stale.Edges, len(w.findingWrites))
	for _, nw := range w.nodeWrites {
		if nw.staleSince.IsZero() {
			continue // the snapshot's
		}
		n := *nw.n
		n.Stale, n.StaleSince = true, nw.staleSince.UTC()
		rows.Nodes = append(rows.Nodes, n)
	}
	for _, ew := range w.edgeWrites {
		if !ew.stale {
			continue // the snapshot's
		}
		e := *ew.e
		e.Stale = true
		rows.Edges = append(rows.Edges, e)
	}
	for _, k := range w.keptStaleKeys {
		rows.Edges = append(rows.Edges, *w.curEdges[k].e)
	}
	finding := func(f graph.Finding, life syncplan.Life) graph.Finding { return storedFinding(f, life, w.seen) }
	for _, fw := range w.findingWrites {
		if fw.carried {
			rows.Findings = append(rows.Findings, finding(*fw.f, fw.life))
		}
	}
	// carried unchanged, not read whole by the plan
	p := map[string]any{"sk": w.sk}
	if len(w.projNodes) > 0 {
		err := w.readBatches(stmtFetchNodes, strsToAny(w.projNodes), p, func(v []any) error {
			m, _ := v[0].(map[string]any)
			n, err := decodeNode(m)
			if err != nil {
				return err
			}
			rows.Nodes = append(rows.Nodes, n)
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("projection: stale nodes: %w", err)
		}
	}
	if len(w.projFindings) > 0 {
		err := w.readBatches(stmtFetchFindings, strsToAny(w.projFindings), p, func(v []any) error {
			m, _ := v[0].(map[string]any)
			f, life, err := decodeFinding(m)
			if err != nil {
				return err
			}
			rows.Findings = append(rows.Findings, finding(f, life))
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("projection: carried findings: %w", err)
		}
	}
	return rows, nil
}

// snapshotRows returns the snapshot's rows as the codec stores them and
// Load reads them back (empty collections as nil, empty lists dropped from
// properties, no stale flags), each finding with life(i), with room for
// the given numbers of further rows.
func snapshotRows(snap *graph.Snapshot, seen time.Time, life func(i int) syncplan.Life, nodes, edges, findings int) *blob.Rows {
	rows := &blob.Rows{
		Nodes:    make([]graph.Node, 0, len(snap.Nodes)+nodes),
		Edges:    make([]graph.Edge, 0, len(snap.Edges)+edges),
		Findings: make([]graph.Finding, 0, len(snap.Findings)+findings),
	}
	for i := range snap.Nodes {
		n := snap.Nodes[i]
		n.Tags, n.Props = nilIfEmptyMap(n.Tags), storedProps(n.Props)
		n.Stale, n.StaleSince = false, time.Time{}
		rows.Nodes = append(rows.Nodes, n)
	}
	for i := range snap.Edges {
		e := snap.Edges[i]
		e.Evidence, e.Findings, e.Props = nilIfEmpty(e.Evidence), nilIfEmpty(e.Findings), storedProps(e.Props)
		e.Stale = false
		rows.Edges = append(rows.Edges, e)
	}
	for i := range snap.Findings {
		rows.Findings = append(rows.Findings, storedFinding(snap.Findings[i], life(i), seen))
	}
	return rows
}

// storedFinding is a finding as Load returns it with its lifecycle after a
// sync whose observation time is seen.
func storedFinding(f graph.Finding, life syncplan.Life, seen time.Time) graph.Finding {
	f.Controls = nilIfEmpty(f.Controls)
	f.FirstSeen, f.LastSeen, f.ResolvedAt, f.Stale = life.FirstSeen, life.LastSeen, life.ResolvedAt, !life.StaleSince.IsZero()
	if f.LastSeen.IsZero() { // seen by that sync
		f.LastSeen = seen
	}
	return f
}

// storedProps returns the properties as the codec stores and reads them
// back: without empty lists (keepProp), nil when none is left.
func storedProps(p graph.Props) graph.Props {
	drop := false
	for _, v := range p {
		if !keepProp(v) {
			drop = true
			break
		}
	}
	if drop {
		p = maps.Clone(p)
		maps.DeleteFunc(p, func(_ string, v any) bool { return !keepProp(v) })
	}
	if len(p) == 0 {
		return nil
	}
	return p
}

func nilIfEmpty[S ~[]E, E any](s S) S {
	if len(s) == 0 {
		return nil
	}
	return s
}

func nilIfEmptyMap[M ~map[K]V, K comparable, V any](m M) M {
	if len(m) == 0 {
		return nil
	}
	return m
}

// writeProjection is the sync's projection write, in the transaction that
// switches the scope to w.sync (Sync's last write transaction, or
// SyncAllOrNothing's common switch, where staged says the blob was staged
// by the scope's last write transaction). It is the one place a sync
// writes what it keeps beside the graph for analysis: a per-scope index
// written at sync time belongs here too.
func (w *syncer) writeProjection(tx neo.ManagedTransaction, staged bool) error {
	ctx := w.ctx
	p := map[string]any{"sk": w.sk, "ns": w.s.ns, "sync": w.sync, "active": w.active, "f": int64(blob.Version)}
	var q string
	switch {
	case w.proj == projRetag:
		q = `MATCH (p:ScopeProjection {key: $sk}) WHERE p.sync = $active AND p.format = $f SET p.sync = $sync`
	case w.proj == projFresh && staged:
		q = `MATCH (p:ScopeProjection {key: $sk}) WHERE p.staged_sync = $sync
			SET p.sync = $sync, p.format = $f, p.blob = p.staged, p.links = p.staged_links,
			    p.count_keys = p.staged_count_keys, p.count_n = p.staged_count_n
			REMOVE ` + stagedProps
	case w.proj == projFresh:
		q = `MERGE (p:ScopeProjection {key: $sk})
			SET p.ns = $ns, p.sync = $sync, p.format = $f, p.blob = $b, p.links = $l, p.count_keys = $ck, p.count_n = $cn
			REMOVE ` + stagedProps
		p["b"], p["l"], p["ck"], p["cn"] = w.projBlob, w.projLinks, w.projCounts.keys, w.projCounts.n
	default:
		return nil
	}
	if err := run(ctx, tx, q, p); err != nil {
		return fmt.Errorf("write projection: %w", err)
	}
	return nil
}

// stageProjection stores the blob of a SyncAllOrNothing scope beside its
// current one, in the scope's last write transaction, for writeProjection
// to promote in the common switch. A staged blob claims no version: an
// abandoned sync's is overwritten by the next sync, or removed by a Load
// that stores a projection.
func (w *syncer) stageProjection(tx neo.ManagedTransaction) error {
	if w.proj != projFresh {
		return nil
	}
	err := run(w.ctx, tx, `MERGE (p:ScopeProjection {key: $sk})
		ON CREATE SET p.ns = $ns
		SET p.staged = $b, p.staged_sync = $sync, p.staged_links = $l, p.staged_count_keys = $ck, p.staged_count_n = $cn`,
		map[string]any{"sk": w.sk, "ns": w.s.ns, "sync": w.sync, "b": w.projBlob, "l": w.projLinks, "ck": w.projCounts.keys, "cn": w.projCounts.n})
	if err != nil {
		return fmt.Errorf("stage projection: %w", err)
	}
	return nil
}

// unstageProjection drops the blob an abandoned SyncAllOrNothing staged,
// best effort: it claims nothing, but holds as many bytes as the scope.
func (w *syncer) unstageProjection(ctx context.Context) {
	_, err := w.writeTx(ctx, func(tx neo.ManagedTransaction) (any, error) {
		res, err := tx.Run(ctx, `MATCH (p:ScopeProjection {key: $sk}) WHERE p.staged_sync = $sync REMOVE `+stagedProps,
			map[string]any{"sk": w.sk, "sync": w.sync})
		if err != nil {
			return nil, err
		}
		return res.Consume(ctx)
	})
	if err != nil {
		w.s.log.Warn("could not drop the staged projection; the next sync overwrites it", "scope", w.snap.Scope.String(), "err", oneLine(err))
	}
}
