package queries

import (
	"context"

	"github.com/breachpath/breachpath/graph"
)

// Hygiene questions: configuration as the collectors recorded it.

func hygieneQueries() []Query {
	return []Query{imdsv1WithIdentity(), unencryptedDatabases(), staleNodes(), storesWithoutOwner()}
}

// imdsV1 reports whether a compute node answers IMDSv1. The AWS collector
// records prop imds_v1 (bool, already false when the endpoint is
// disabled); the synthetic estate records the raw metadata_http_tokens.
func imdsV1(n *graph.Node) bool {
	if v, ok := propBool(n, "imds_v1"); ok && v {
		return true
	}
	s, _ := n.Props["metadata_http_tokens"].(string)
	return s == "optional"
}

func imdsv1WithIdentity() Query {
	return Query{
		Name:  "imdsv1-compute-with-identity",
		Title: "Compute answering IMDSv1 that holds an identity",
		Description: "Instances whose metadata service answers IMDSv1 (prop imds_v1 = true, or metadata_http_tokens = " +
			"'optional') and that run as an identity (RUNS_AS a principal, RUNS_AS an instance profile that PROFILE_CONTAINS " +
			"one, or USES_IDENTITY): an SSRF on them yields the identity's credentials. internet_exposed says the Internet " +
			"reaches the instance directly.",
		Columns: []string{"compute", "name", "account", "identity", "internet_exposed"},
		Cypher: lines(
			canonAll(labelsOf("n", graph.KindCompute)),
			"WITH id, n WHERE n.prop_imds_v1 = true OR n.prop_metadata_http_tokens = 'optional'",
			"CALL (id) {",
			"  MATCH (:Resource {id: id})-[r:RUNS_AS|USES_IDENTITY]->(p:Resource) WHERE "+labelsOf("p", estatePrincipalKinds...)+" AND "+visRel("r"),
			"  RETURN p.id AS identity",
			"  UNION",
			"  MATCH (:Resource {id: id})-[r:RUNS_AS]->(ip:Resource:InstanceProfile) WHERE "+visRel("r"),
			"  MATCH (:Resource {id: ip.id})-[r2:PROFILE_CONTAINS]->(p:Resource) WHERE "+labelsOf("p", estatePrincipalKinds...)+" AND "+visRel("r2"),
			"  RETURN p.id AS identity",
			"}",
			"RETURN id AS compute, n.name AS name, n.account AS account, identity,",
			"       EXISTS { MATCH (:Resource:Internet)-[e:EXPOSED_TO]->(:Resource {id: id}) WHERE "+visRel("e")+" } AS internet_exposed",
			"ORDER BY compute, identity",
		),
		run: func(ctx context.Context, g *graph.Graph, _ Values) ([][]any, error) {
			runs := newAdjacency(g, kindsIn(graph.EdgeRunsAs, graph.EdgeUsesIdentity), false)
			profile := newAdjacency(g, kindsIn(graph.EdgeProfileContains), false)
			exposed := map[string]bool{}
			for _, e := range mergedEdges(g, kindsIn(graph.EdgeExposedTo)) {
				if g.Node(e.From).Kind == graph.KindInternet {
					exposed[e.To] = true
				}
			}
			var rows [][]any
			for _, c := range nodesWhere(g, func(n *graph.Node) bool { return n.Kind == graph.KindCompute && imdsV1(n) }) {
				ids := map[int32]bool{}
				for e := runs.off[c]; e < runs.off[c+1]; e++ {
					t := runs.to[e]
					switch tn := &g.Nodes[t]; {
					case isEstatePrincipal(tn):
						ids[t] = true
					case tn.Kind == graph.KindInstanceProfile && g.Edges[runs.edge[e]].Kind == graph.EdgeRunsAs:
						for f := profile.off[t]; f < profile.off[t+1]; f++ {
							if isEstatePrincipal(&g.Nodes[profile.to[f]]) {
								ids[profile.to[f]] = true
							}
						}
					}
				}
				n := &g.Nodes[c]
				for i := range ids {
					rows = append(rows, []any{n.ID, n.Name, n.Account, g.Nodes[i].ID, exposed[n.ID]})
				}
			}
			sortRows(rows, by(0, 3))
			return rows, nil
		},
	}
}

func unencryptedDatabases() Query {
	return Query{
		Name:  "unencrypted-sensitive-databases",
		Title: "Unencrypted sensitive databases",
		Description: "Databases holding data at or above the threshold that are not encrypted at rest: prop encrypted = false " +
			"as the collector read it (basis encrypted=false), or, where the collector recorded no encrypted prop, no " +
			"ENCRYPTED_BY key edge (basis no-key).",
		Params:  []Param{thresholdParam()},
		Columns: []string{"id", "name", "cloud", "account", "sensitivity", "basis"},
		Cypher: lines(
			canonAll(labelsOf("n", graph.KindDatabase)),
			"WITH id, n WHERE NOT n.stub AND n.sensitivity >= "+levelOf("$threshold", sensitivityNames),
			"WITH id, n, CASE",
			"    WHEN n.prop_encrypted = false THEN 'encrypted=false'",
			"    WHEN n.prop_encrypted IS NULL AND NOT EXISTS { MATCH (:Resource {id: id})-[r:ENCRYPTED_BY]->(:Resource) WHERE "+visRel("r")+" } THEN 'no-key'",
			"  END AS basis",
			"WHERE basis IS NOT NULL",
			"RETURN id, n.name AS name, n.cloud AS cloud, n.account AS account, n.sensitivity_name AS sensitivity, basis",
			"ORDER BY n.sensitivity DESC, id",
		),
		run: func(ctx context.Context, g *graph.Graph, p Values) ([][]any, error) {
			th := p.Sensitivity("threshold")
			keyed := map[string]bool{}
			for _, e := range mergedEdges(g, kindsIn(graph.EdgeEncryptedBy)) {
				keyed[e.From] = true
			}
			var rows [][]any
			for i := range g.Nodes {
				n := &g.Nodes[i]
				if n.Kind != graph.KindDatabase || n.Stub || n.Sensitivity < th {
					continue
				}
				basis := ""
				if enc, ok := propBool(n, "encrypted"); ok && !enc {
					basis = "encrypted=false"
				} else if _, has := n.Props["encrypted"]; !has && !keyed[n.ID] {
					basis = "no-key"
				}
				if basis != "" {
					rows = append(rows, []any{n.ID, n.Name, string(n.Cloud), n.Account, n.Sensitivity.String(), basis, int64(n.Sensitivity)})
				}
			}
			sortRows(rows, by(-7, 0))
			return trim(rows, 6), nil
		},
	}
}

func staleNodes() Query {
	return Query{
		Name:  "stale-nodes",
		Title: "Stale nodes kept from failed collections",
		Description: "Nodes the last collection could not refresh because their area (service, region) failed: the store kept " +
			"them, flagged stale, so that a throttled API never makes an attack path disappear. stale_since (UTC, to the " +
			"second) says since when; oldest first.",
		Columns: []string{"id", "kind", "name", "account", "service", "region", "stale_since"},
		Cypher: lines(
			canonAll(""),
			"WITH id, n WHERE n.stale = true",
			"WITH id, n, CASE WHEN n.stale_since IS NULL THEN null",
			"    ELSE toString(datetime({epochSeconds: n.stale_since.epochSeconds})) END AS since",
			"RETURN id, n.kind AS kind, n.name AS name, n.account AS account, n.service AS service, n.region AS region, since AS stale_since",
			"ORDER BY coalesce(since, ''), id",
		),
		run: func(ctx context.Context, g *graph.Graph, _ Values) ([][]any, error) {
			var rows [][]any
			for i := range g.Nodes {
				n := &g.Nodes[i]
				if !n.Stale {
					continue
				}
				var since any
				key := ""
				if !n.StaleSince.IsZero() {
					key = timestamp(n.StaleSince)
					since = key
				}
				rows = append(rows, []any{n.ID, string(n.Kind), n.Name, n.Account, n.Service, n.Region, since, key})
			}
			sortRows(rows, by(7, 0))
			return trim(rows, 7), nil
		},
	}
}

func storesWithoutOwner() Query {
	return Query{
		Name:  "data-stores-without-owner",
		Title: "Data stores without an owner tag",
		Description: "Data stores owned by a collected scope that carry no tag named tag (default owner), so findings on them " +
			"cannot be routed to a team; sensitive ones first. min_sensitivity keeps only data at or above a level.",
		Params: []Param{
			{Name: "tag", Type: TypeString, Default: "owner", Description: "the tag key that names the owner"},
			{Name: "min_sensitivity", Type: TypeSensitivity, Default: "none", Description: "lowest data sensitivity to list: none, public, internal, confidential or restricted"},
		},
		Columns: []string{"id", "kind", "name", "cloud", "account", "sensitivity"},
		Cypher: lines(
			canonAll(labelsOf("n", dataStoreKinds...)),
			"WITH id, n WHERE NOT n.stub AND n['tag_' + $tag] IS NULL AND n.sensitivity >= "+levelOf("$min_sensitivity", sensitivityNames),
			"RETURN id, n.kind AS kind, n.name AS name, n.cloud AS cloud, n.account AS account, n.sensitivity_name AS sensitivity",
			"ORDER BY n.sensitivity DESC, id",
		),
		run: func(ctx context.Context, g *graph.Graph, p Values) ([][]any, error) {
			tag, minSens := p.String("tag"), p.Sensitivity("min_sensitivity")
			var rows [][]any
			for i := range g.Nodes {
				n := &g.Nodes[i]
				if !n.Kind.IsDataStore() || n.Stub || n.Sensitivity < minSens {
					continue
				}
				if _, ok := n.Tags[tag]; ok {
					continue
				}
				rows = append(rows, []any{n.ID, string(n.Kind), n.Name, string(n.Cloud), n.Account, n.Sensitivity.String(), int64(n.Sensitivity)})
			}
			sortRows(rows, by(-7, 0))
			return trim(rows, 6), nil
		},
	}
}
