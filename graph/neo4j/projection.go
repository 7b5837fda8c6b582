package neo4j

import (
	"context"
	"fmt"
	"slices"
	"time"

	neo "github.com/neo4j/neo4j-go-driver/v5/neo4j"

	"github.com/breachpath/breachpath/graph"
	"github.com/breachpath/breachpath/graph/blob"
)

// The analysis-ready projection beside the graph (docs/ARCHITECTURE.md):
// one (:ScopeProjection {key, ns, sync, format, blob}) node per scope holds
// the graph/blob encoding of the scope's rows at version `sync`. It is
// filled by the first Load that reads the scope at a version without one,
// and used while the scope's active version is still that one, so a sync
// makes it outdated by switching the pointer, with no extra write in the
// sync protocol. It is a separate node, not a property of :Scope, so that
// filling it never takes the lock a sync holds on the scope node; Cypher
// users see the ordinary :Resource and :Finding graph, and one extra label
// they can ignore.

// projectionFill is a blob Load built from rows, stored once the load has
// checked that nothing it read was cleaned up meanwhile.
type projectionFill struct {
	st    scopeState
	blob  []byte // nil: the projection is stored, only its index is missing
	links []byte // graph.EncodeScopeLinks of the same rows (links.go)
}

func decodeOptions(filter graph.Filter, st scopeState) blob.Options {
	return blob.Options{MovesOnly: filter.SkipFacts, KeepFacts: filter.KeepFacts,
		IncludeResolved: filter.IncludeResolved, LastSeen: st.seen}
}

// loadScope returns one scope's rows as a sorted part: from its projection
// when one exists for the active version, from its rows otherwise (then,
// all of them, so that the projection can be built for the next Load).
func (s *Store) loadScope(ctx context.Context, sess neo.SessionWithContext, st scopeState, filter graph.Filter) (graph.Part, *projectionFill, error) {
	var stored []byte
	var hasLinks bool
	err := s.readAll(ctx, sess, `MATCH (p:ScopeProjection {key: $sk}) WHERE p.sync = $v AND p.format = $f RETURN p.blob, p.links IS NOT NULL`,
		map[string]any{"sk": st.key, "v": st.active, "f": int64(blob.Version)}, func(v []any) error {
			stored, _ = v[0].([]byte)
			hasLinks, _ = v[1].(bool)
			return nil
		})
	if err != nil {
		return graph.Part{}, nil, fmt.Errorf("scope %s projection: %w", st.scope, err)
	}
	if stored != nil {
		d, err := blob.Decode(stored, decodeOptions(filter, st))
		if err == nil {
			if !hasLinks { // a projection written before the cross-scope index
				if l := linksOfBlob(stored); l != nil {
					return d.Part, &projectionFill{st: st, links: l}, nil
				}
			}
			return d.Part, nil, nil
		}
		s.log.Warn("scope projection unusable, reading its rows instead", "scope", st.scope.String(), "err", err.Error())
	}
	nodes, edges, findings, err := s.readScopeRows(ctx, sess, st, graph.Filter{IncludeResolved: true})
	if err != nil {
		return graph.Part{}, nil, err
	}
	rows := blob.Rows{Nodes: slices.Clone(nodes), Edges: slices.Clone(edges), Findings: slices.Clone(findings)}
	links := linksOfRows(nodes, edges, findings)
	b, err := blob.Encode(&rows, st.seen)
	if err == nil {
		var d *blob.Decoded
		if d, err = blob.Decode(b, decodeOptions(filter, st)); err == nil {
			return d.Part, &projectionFill{st: st, blob: b, links: links}, nil
		}
	}
	// rows no projection can hold (a duplicate key): assemble them as
	// Load always did, and build no projection
	s.log.Warn("scope rows do not make a projection; using them as read", "scope", st.scope.String(), "err", err.Error())
	edges = slices.DeleteFunc(edges, func(e graph.Edge) bool { return !filter.LoadsEdge(e.Kind) })
	if !filter.IncludeResolved {
		findings = slices.DeleteFunc(findings, func(f graph.Finding) bool { return !f.ResolvedAt.IsZero() })
	}
	g := graph.Assemble(nodes, edges, findings)
	return graph.Part{Nodes: g.Nodes, EdgeRuns: [][]graph.Edge{g.Edges}, Findings: g.Findings}, nil, nil
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
		q := `MATCH (s:Scope {key: $sk}) WHERE s.active = $v
			MERGE (p:ScopeProjection {key: $sk})
			SET p.ns = $ns, p.sync = $v, p.format = $f, p.blob = $b, p.links = $l`
		if f.blob == nil {
			q = `MATCH (s:Scope {key: $sk}) WHERE s.active = $v
			MATCH (p:ScopeProjection {key: $sk}) WHERE p.sync = $v AND p.format = $f
			SET p.links = $l`
		}
		res, err := tx.Run(ctx, q,
			map[string]any{"sk": f.st.key, "ns": s.ns, "v": f.st.active, "f": int64(blob.Version), "b": f.blob, "l": f.links})
		if err != nil {
			return nil, err
		}
		_, err = res.Consume(ctx)
		return nil, err
	})
	if err != nil {
		s.log.Warn("could not store the scope projection; the next load reads rows again",
			"scope", f.st.scope.String(), "err", s.storeErr(err).Error())
	}
}
