package queries

import (
	"context"

	"github.com/breachpath/breachpath/graph"
)

// Prioritisation questions: where the moves converge, and what is noise.

func findingQueries() []Query {
	return []Query{crownJewelsMostInbound(), findingsOffPath()}
}

func crownJewelsMostInbound() Query {
	return Query{
		Name:  "crown-jewels-most-inbound",
		Title: "Crown jewels with the most inbound moves",
		Description: "Crown jewels (admin identities, secrets and keys that protect sensitive data, ...) ranked by the number " +
			"of distinct attacker moves into them, with the number of distinct principals or resources those moves come from. " +
			"Crown jewels nothing moves into are left out.",
		Params:  []Param{{Name: "limit", Type: TypeInt, Default: int64(20), Min: 1, Max: 10000, Description: "most rows to return"}},
		Columns: []string{"id", "kind", "name", "inbound_moves", "sources"},
		Cypher: lines(
			canonAll(""),
			"WITH id, n WHERE n.crown_jewel",
			"MATCH (a:Resource)-[r:"+moveTypes+"]->(:Resource {id: id}) WHERE "+visRel("r"),
			"WITH id, n, count(DISTINCT [a.id, type(r), coalesce(r.technique, '')]) AS inbound, count(DISTINCT a.id) AS sources",
			"RETURN id, n.kind AS kind, n.name AS name, inbound AS inbound_moves, sources",
			"ORDER BY inbound_moves DESC, id",
			"LIMIT $limit",
		),
		run: func(ctx context.Context, g *graph.Graph, p Values) ([][]any, error) {
			inbound := map[string]int64{}
			sources := map[string]map[string]bool{}
			for _, e := range mergedEdges(g, isMove) {
				if !g.Node(e.To).CrownJewel {
					continue
				}
				inbound[e.To]++
				if sources[e.To] == nil {
					sources[e.To] = map[string]bool{}
				}
				sources[e.To][e.From] = true
			}
			var rows [][]any
			for id, c := range inbound {
				n := g.Node(id)
				rows = append(rows, []any{n.ID, string(n.Kind), n.Name, c, int64(len(sources[id]))})
			}
			sortRows(rows, by(-4, 0))
			if l := p.Int("limit"); len(rows) > l {
				rows = rows[:l]
			}
			return rows, nil
		},
	}
}

func findingsOffPath() Query {
	return Query{
		Name:  "findings-off-path",
		Title: "Findings on no attack path, by severity",
		Description: "Findings no attack path needs: no move that cites them lies on a walk of at most max_hops moves from an " +
			"exposure source to a target (data at or above the threshold, or a crown jewel). A move u->v lies on such a walk " +
			"when the fewest moves from a source to u, plus one, plus the fewest moves from v to a target is at most max_hops. " +
			"These are the findings to deprioritise — worst severity first, so that a critical one off every path is " +
			"questioned rather than ignored.",
		Params: []Param{
			thresholdParam(), maxHopsParam(8, "of an attack path"),
			{Name: "min_severity", Type: TypeSeverity, Default: "info", Description: "lowest severity to list: info, low, medium, high or critical"},
		},
		Columns: []string{"id", "rule_id", "severity", "resource", "title"},
		Cypher: lines(
			"WITH "+sources+" AS s0,",
			"     COLLECT { "+canonAll("")+" WITH id, n WHERE n.crown_jewel OR n.sensitivity >= "+levelOf("$threshold", sensitivityNames)+" RETURN id } AS t0",
			"WITH "+reach("s0", moveTypes, false, "$max_hops")+" AS fl,",
			"     "+reach("t0", moveTypes, true, "$max_hops")+" AS bl",
			"UNWIND range(0, size(fl) - 1) AS du",
			"UNWIND fl[du] AS u",
			"OPTIONAL MATCH (:Resource {id: u})-[r:"+moveTypes+"]->(b:Resource) WHERE r.findings IS NOT NULL AND "+visRel("r"),
			"WITH du, r, [d IN range(0, size(bl) - 1) WHERE b.id IN bl[d]][0] AS dv",
			"WITH CASE WHEN dv IS NOT NULL AND du + 1 + dv <= $max_hops THEN r.findings ELSE [] END AS cited",
			"UNWIND cited AS fid",
			"WITH collect(DISTINCT fid) AS onPath",
			"MATCH (f:Finding) WHERE f.resolved_at IS NULL AND NOT f.id IN onPath AND f.severity >= "+levelOf("$min_severity", severityNames)+" AND "+vis("f"),
			"WITH f.id AS id, f ORDER BY f.scope",
			"WITH id, head(collect(f)) AS f",
			"RETURN id, f.rule_id AS rule_id, f.severity_name AS severity, f.resource AS resource, f.title AS title",
			"ORDER BY f.severity DESC, rule_id, id",
		),
		run: func(ctx context.Context, g *graph.Graph, p Values) ([][]any, error) {
			th, maxHops, minSev := p.Sensitivity("threshold"), p.Int("max_hops"), p.Severity("min_severity")
			fwd, err := reachFrom(ctx, g, nodesWhere(g, (*graph.Node).IsExposureSource), maxHops)
			if err != nil {
				return nil, err
			}
			back := newAdjacency(g, isMove, true)
			bwd, err := back.bfs(ctx, nodesWhere(g, func(n *graph.Node) bool { return n.IsTarget(th) }), maxHops)
			if err != nil {
				return nil, err
			}
			onPath := map[string]bool{}
			for _, e := range mergedEdges(g, isMove) {
				u, _ := g.NodeIndex(e.From)
				v, _ := g.NodeIndex(e.To)
				if fwd[u] >= 0 && bwd[v] >= 0 && int(fwd[u])+1+int(bwd[v]) <= maxHops {
					for _, f := range e.Findings {
						onPath[f] = true
					}
				}
			}
			var rows [][]any
			for i := range g.Findings {
				f := &g.Findings[i]
				if f.Severity < minSev || onPath[f.ID] || !f.ResolvedAt.IsZero() {
					continue
				}
				rows = append(rows, []any{f.ID, f.RuleID, f.Severity.String(), f.Resource, f.Title, int64(f.Severity)})
			}
			sortRows(rows, by(-6, 1, 0))
			return trim(rows, 5), nil
		},
	}
}
