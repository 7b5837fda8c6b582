package neo4j

import (
	"context"
	"fmt"

	neo "github.com/neo4j/neo4j-go-driver/v5/neo4j"

	"github.com/breachpath/breachpath/graph"
	"github.com/breachpath/breachpath/graph/blob"
)

// The cross-scope index (graph.ScopeLinks) beside the graph: a `links`
// property of the scope's :ScopeProjection node, written, staged and
// retagged with its blob by every sync (projection.go) and so current
// exactly when the blob is (same node, same `sync`). A projection without
// it (the bulk import, a sync by an older breachpath) gets it from its blob
// at the next Load.

// linksOfRows encodes the index of a scope's rows.
func linksOfRows(nodes []graph.Node, edges []graph.Edge, findings []graph.Finding) []byte {
	return graph.EncodeScopeLinks(graph.BuildScopeLinks(nodes, edges, findings))
}

// linksOfBlob encodes the index of the rows a projection blob holds, or
// returns nil when the blob does not decode.
func linksOfBlob(b []byte) []byte {
	d, err := blob.Decode(b, blob.Options{IncludeResolved: true})
	if err != nil {
		return nil
	}
	var edges []graph.Edge
	for _, r := range d.EdgeRuns {
		edges = append(edges, r...)
	}
	return linksOfRows(d.Nodes, edges, d.Findings)
}

// Links returns the cross-scope index of every scope the filter selects at
// its active version; a scope without a projection of that version, or
// whose projection has no index yet, has nil Links (Load fills both).
func (s *Store) Links(ctx context.Context, filter graph.Filter) (map[graph.Scope]graph.ScopeIndex, error) {
	sess := s.session(ctx, neo.AccessModeRead)
	defer sess.Close(context.WithoutCancel(ctx))
	all, err := s.readScopes(ctx, sess)
	if err != nil {
		return nil, fmt.Errorf("cross-scope index: %w", s.storeErr(err))
	}
	out := make(map[graph.Scope]graph.ScopeIndex, len(all))
	byKey := map[string]scopeState{}
	var keys []string
	for _, st := range all {
		if filter.Matches(st.scope) {
			out[st.scope] = graph.ScopeIndex{SyncID: st.active}
			byKey[st.key] = st
			keys = append(keys, st.key)
		}
	}
	if len(keys) == 0 {
		return out, nil
	}
	err = s.readAll(ctx, sess, `MATCH (p:ScopeProjection) WHERE p.key IN $keys AND p.format = $f AND p.links IS NOT NULL
		RETURN p.key, p.sync, p.links`,
		map[string]any{"keys": keys, "f": int64(blob.Version)}, func(v []any) error {
			k, _ := v[0].(string)
			v1, _ := v[1].(int64)
			b, _ := v[2].([]byte)
			st, ok := byKey[k]
			if !ok || v1 != st.active {
				return nil
			}
			l, err := graph.DecodeScopeLinks(b)
			if err != nil {
				s.log.Warn("cross-scope index unusable", "scope", st.scope.String(), "err", err.Error())
				return nil
			}
			out[st.scope] = graph.ScopeIndex{SyncID: st.active, Links: l}
			return nil
		})
	if err != nil {
		return nil, fmt.Errorf("cross-scope index: %w", s.storeErr(err))
	}
	return out, nil
}
