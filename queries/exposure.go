package queries

import (
	"context"
	"fmt"
	"slices"

	"github.com/breachpath/breachpath/graph"
	"github.com/breachpath/breachpath/paths"
)

// Exposure questions: what an outsider reaches.

func exposureQueries() []Query {
	return []Query{
		publicSensitiveData(), sensitiveReachableFrom(), exposedAdminCompute(), anonymousDataAccess(), secretsReadableFromOutside(),
	}
}

// reachFrom walks every move from the starts over the path engine's CSR
// projection and returns, per node, the fewest moves (-1: not within
// maxHops).
func reachFrom(ctx context.Context, g *graph.Graph, starts []int32, maxHops int) ([]int32, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	dist := make([]int32, len(g.Nodes))
	for i := range dist {
		dist[i] = -1
	}
	w := paths.NewWalker(paths.NewProjection(g), nil)
	w.Walk(starts, maxHops, 0, func(n int32, depth int) bool {
		dist[n] = int32(depth)
		return true
	})
	return dist, nil
}

func publicSensitiveData() Query {
	return Query{
		Name:  "public-sensitive-data",
		Title: "Publicly reachable sensitive data stores",
		Description: "Data stores (buckets, databases, queues, topics, secrets, snapshots, registries, images) holding data at or above " +
			"the threshold that an exposure source — the Internet, an anonymous principal or an external account — reaches " +
			"through at most max_hops attacker moves. hops is the fewest moves.",
		Params:  []Param{thresholdParam(), maxHopsParam(8, "from the exposure source to the data store")},
		Columns: []string{"id", "kind", "name", "cloud", "account", "sensitivity", "hops"},
		Cypher: lines(
			"WITH "+levelOf("$threshold", sensitivityNames)+" AS minLevel, "+sources+" AS s0",
			"WITH minLevel, "+reach("s0", moveTypes, false, "$max_hops")+" AS layers",
			"UNWIND range(1, size(layers) - 1) AS hops",
			"UNWIND layers[hops] AS id",
			canon("id", "n"),
			"WITH n, hops, minLevel WHERE "+labelsOf("n", dataStoreKinds...)+" AND n.sensitivity >= minLevel",
			"RETURN n.id AS id, n.kind AS kind, n.name AS name, n.cloud AS cloud, n.account AS account,",
			"       n.sensitivity_name AS sensitivity, hops",
			"ORDER BY n.sensitivity DESC, hops, id",
		),
		run: func(ctx context.Context, g *graph.Graph, p Values) ([][]any, error) {
			th := p.Sensitivity("threshold")
			dist, err := reachFrom(ctx, g, nodesWhere(g, (*graph.Node).IsExposureSource), p.Int("max_hops"))
			if err != nil {
				return nil, err
			}
			var rows [][]any
			for i, d := range dist {
				n := &g.Nodes[i]
				if d < 1 || !n.Kind.IsDataStore() || n.Sensitivity < th {
					continue
				}
				rows = append(rows, []any{n.ID, string(n.Kind), n.Name, string(n.Cloud), n.Account, n.Sensitivity.String(), int64(d), int64(n.Sensitivity)})
			}
			sortRows(rows, by(-8, 6, 0))
			return trim(rows, 7), nil
		},
	}
}

// trim drops the hidden sort columns appended after the visible ones.
func trim(rows [][]any, n int) [][]any {
	for i := range rows {
		rows[i] = rows[i][:n:n]
	}
	return rows
}

func sensitiveReachableFrom() Query {
	return Query{
		Name:  "sensitive-reachable-from",
		Title: "Sensitive data and crown jewels reachable from a node",
		Description: "The blast radius of a foothold: every target (data at or above the threshold, or a crown jewel such as an " +
			"admin identity) that an attacker holding the node `from` reaches in at most max_hops moves.",
		Params: []Param{
			{Name: "from", Type: TypeNodeID, Required: true, Description: "id of the foothold node (ARN, Azure resource id, GCP full resource name)"},
			thresholdParam(), maxHopsParam(8, "from the foothold"),
		},
		Columns: []string{"id", "kind", "name", "sensitivity", "crown_jewel", "hops"},
		Cypher: lines(
			"WITH "+levelOf("$threshold", sensitivityNames)+" AS minLevel, [$from] AS s0",
			"WITH minLevel, "+reach("s0", moveTypes, false, "$max_hops")+" AS layers",
			"UNWIND range(1, size(layers) - 1) AS hops",
			"UNWIND layers[hops] AS id",
			canon("id", "n"),
			"WITH n, hops, minLevel WHERE n.crown_jewel OR n.sensitivity >= minLevel",
			"RETURN n.id AS id, n.kind AS kind, n.name AS name, n.sensitivity_name AS sensitivity, n.crown_jewel AS crown_jewel, hops",
			"ORDER BY hops, n.sensitivity DESC, id",
		),
		run: func(ctx context.Context, g *graph.Graph, p Values) ([][]any, error) {
			from, ok := g.NodeIndex(p.String("from"))
			if !ok {
				return nil, fmt.Errorf("parameter from: no node %q in the graph", p.String("from"))
			}
			th := p.Sensitivity("threshold")
			dist, err := reachFrom(ctx, g, []int32{from}, p.Int("max_hops"))
			if err != nil {
				return nil, err
			}
			var rows [][]any
			for i, d := range dist {
				n := &g.Nodes[i]
				if d < 1 || !n.IsTarget(th) {
					continue
				}
				rows = append(rows, []any{n.ID, string(n.Kind), n.Name, n.Sensitivity.String(), n.CrownJewel, int64(d), int64(n.Sensitivity)})
			}
			sortRows(rows, by(5, -7, 0))
			return trim(rows, 6), nil
		},
	}
}

func exposedAdminCompute() Query {
	return Query{
		Name:  "internet-exposed-admin-compute",
		Title: "Internet-exposed compute whose identity is admin-equivalent",
		Description: "Compute, functions, containers and clusters the Internet reaches directly (EXPOSED_TO from the Internet " +
			"node) whose identity (USES_IDENTITY) is an admin identity — a crown-jewel principal — or becomes one through at " +
			"most max_hops ASSUMES / ESCALATES_TO moves. One row per workload, identity and admin reached; hops 0 means the " +
			"identity itself is admin.",
		Params:  []Param{maxHopsParam(6, "from the identity to the admin identity (ASSUMES, ESCALATES_TO)")},
		Columns: []string{"workload", "workload_kind", "workload_name", "identity", "identity_name", "admin", "admin_name", "hops"},
		Cypher: lines(
			"MATCH (:Resource:Internet)-[e:EXPOSED_TO]->(w:Resource) WHERE "+labelsOf("w", workloadKinds...)+" AND "+visRel("e"),
			"WITH DISTINCT w.id AS workload",
			"MATCH (:Resource {id: workload})-[u:USES_IDENTITY]->(i:Resource) WHERE "+visRel("u"),
			"WITH DISTINCT workload, i.id AS identity",
			"WITH workload, identity, [identity] AS s0",
			"WITH workload, identity, "+reach("s0", "ASSUMES|ESCALATES_TO", false, "$max_hops")+" AS layers",
			"UNWIND range(0, size(layers) - 1) AS hops",
			"UNWIND layers[hops] AS admin",
			canon("admin", "a"),
			"WITH workload, identity, admin, a, hops WHERE a.crown_jewel AND "+labelsOf("a", principalKinds...),
			canon("workload", "w"),
			canon("identity", "i"),
			"RETURN workload, w.kind AS workload_kind, w.name AS workload_name, identity, i.name AS identity_name,",
			"       admin, a.name AS admin_name, hops",
			"ORDER BY workload, identity, admin",
		),
		run: func(ctx context.Context, g *graph.Graph, p Values) ([][]any, error) {
			esc := newAdjacency(g, kindsIn(graph.EdgeAssumes, graph.EdgeEscalatesTo), false)
			uses := newAdjacency(g, kindsIn(graph.EdgeUsesIdentity), false)
			type pair struct{ w, i int32 }
			seen := map[pair]bool{}
			var pairs []pair
			for _, e := range mergedEdges(g, kindsIn(graph.EdgeExposedTo)) {
				if g.Node(e.From).Kind != graph.KindInternet || !slices.Contains(workloadKinds, g.Node(e.To).Kind) {
					continue
				}
				w, _ := g.NodeIndex(e.To)
				for u := uses.off[w]; u < uses.off[w+1]; u++ {
					i := uses.to[u]
					if pr := (pair{w, i}); !seen[pr] {
						seen[pr] = true
						pairs = append(pairs, pr)
					}
				}
			}
			var rows [][]any
			for _, pr := range pairs {
				dist, err := esc.bfs(ctx, []int32{pr.i}, p.Int("max_hops"))
				if err != nil {
					return nil, err
				}
				w, id := &g.Nodes[pr.w], &g.Nodes[pr.i]
				for ai, d := range dist {
					a := &g.Nodes[ai]
					if d < 0 || !isAdmin(a) {
						continue
					}
					rows = append(rows, []any{w.ID, string(w.Kind), w.Name, id.ID, id.Name, a.ID, a.Name, int64(d)})
				}
			}
			sortRows(rows, by(0, 3, 5))
			return rows, nil
		},
	}
}

func anonymousDataAccess() Query {
	return Query{
		Name:  "anonymous-data-access",
		Title: "Anonymous access to any data",
		Description: "Every READS, WRITES or ADMINISTERS move from an anonymous principal (everybody: \"*\", allUsers, anonymous " +
			"blob access — an ExternalPrincipal with prop anonymous = true) to a data store, whatever the data's sensitivity.",
		Columns: []string{"principal", "access", "technique", "store", "kind", "name", "sensitivity"},
		Cypher: lines(
			"MATCH (x:Resource:ExternalPrincipal)-[r:READS|WRITES|ADMINISTERS]->(d:Resource) WHERE "+labelsOf("d", dataStoreKinds...)+" AND "+visRel("r"),
			"WITH DISTINCT x.id AS principal, type(r) AS access, coalesce(r.technique, '') AS technique, d.id AS store",
			canon("principal", "x"),
			"WITH principal, access, technique, store WHERE x.prop_anonymous = true",
			canon("store", "d"),
			"RETURN principal, access, technique, store, d.kind AS kind, d.name AS name, d.sensitivity_name AS sensitivity",
			"ORDER BY d.sensitivity DESC, store, access, technique, principal",
		),
		run: func(ctx context.Context, g *graph.Graph, _ Values) ([][]any, error) {
			var rows [][]any
			for _, e := range mergedEdges(g, kindsIn(graph.EdgeReads, graph.EdgeWrites, graph.EdgeAdministers)) {
				x, d := g.Node(e.From), g.Node(e.To)
				if !x.IsAnonymous() || !d.Kind.IsDataStore() {
					continue
				}
				rows = append(rows, []any{x.ID, string(e.Kind), e.Technique, d.ID, string(d.Kind), d.Name, d.Sensitivity.String(), int64(d.Sensitivity)})
			}
			sortRows(rows, by(-8, 3, 1, 2, 0))
			return trim(rows, 7), nil
		},
	}
}

func secretsReadableFromOutside() Query {
	return Query{
		Name:  "secrets-readable-from-outside",
		Title: "Secrets readable from outside in one or two moves",
		Description: "Secrets an exposure source (the Internet, an anonymous principal, an external account) reads directly " +
			"(READS, via empty) or after one move of any kind onto an intermediate node that READS the secret. max_hops 1 keeps " +
			"only the direct reads.",
		Params: []Param{{Name: "max_hops", Type: TypeInt, Default: int64(2), Min: 1, Max: 2,
			Description: "1: direct reads only; 2: also reads after one move"}},
		Columns: []string{"secret", "name", "sensitivity", "source", "via"},
		Cypher: lines(
			"CALL () {",
			"  MATCH (s:Resource)-[r:READS]->(x:Resource:Secret) WHERE "+labelsOf("s", graph.KindInternet, graph.KindExternalPrincipal)+" AND "+visRel("r"),
			"  RETURN s.id AS source, null AS via, x.id AS secret",
			"  UNION",
			"  MATCH (s:Resource)-[r1:"+moveTypes+"]->(m:Resource) WHERE $max_hops >= 2 AND "+labelsOf("s", graph.KindInternet, graph.KindExternalPrincipal)+" AND "+visRel("r1"),
			"  MATCH (:Resource {id: m.id})-[r2:READS]->(x:Resource:Secret) WHERE "+visRel("r2"),
			"  RETURN s.id AS source, m.id AS via, x.id AS secret",
			"}",
			canon("secret", "x"),
			"RETURN secret, x.name AS name, x.sensitivity_name AS sensitivity, source, via",
			"ORDER BY secret, source, coalesce(via, '')",
		),
		run: func(ctx context.Context, g *graph.Graph, p Values) ([][]any, error) {
			reads := newAdjacency(g, kindsIn(graph.EdgeReads), false)
			type row struct{ source, via, secret string }
			seen := map[row]bool{}
			var rows [][]any
			add := func(src *graph.Node, via string, from int32) {
				for e := reads.off[from]; e < reads.off[from+1]; e++ {
					x := &g.Nodes[reads.to[e]]
					if x.Kind != graph.KindSecret {
						continue
					}
					r := row{src.ID, via, x.ID}
					if seen[r] {
						continue
					}
					seen[r] = true
					var v any
					if via != "" {
						v = via
					}
					rows = append(rows, []any{x.ID, x.Name, x.Sensitivity.String(), src.ID, v, via})
				}
			}
			moves := newAdjacency(g, isMove, false)
			for _, s := range nodesWhere(g, (*graph.Node).IsExposureSource) {
				src := &g.Nodes[s]
				add(src, "", s)
				if p.Int("max_hops") < 2 {
					continue
				}
				for e := moves.off[s]; e < moves.off[s+1]; e++ {
					m := moves.to[e]
					add(src, g.Nodes[m].ID, m)
				}
			}
			sortRows(rows, by(0, 3, 5))
			return trim(rows, 5), nil
		},
	}
}
