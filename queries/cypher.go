package queries

import (
	"strings"

	"github.com/breachpath/breachpath/graph"
)

// The Cypher of every query is assembled from the fragments below once, at
// package initialisation, from constants only: parameters always travel as
// $parameters, never spliced into the text.
//
// Three facts of the Neo4j schema (docs/neo4j-schema.md) shape them:
//   - rows are versioned per scope: a row is visible when its scope's
//     :Scope node (in namespace $ns) names an active sync inside the row's
//     [sync_from, sync_to) range;
//   - every scope keeps its own copy of the nodes it references (a stub of
//     the Internet, of a role in another account), so a walk that crosses
//     scopes continues from any copy with the same id, and a node's
//     attributes come from its owned (non-stub) copy when there is one — the
//     merge graph.Assemble does in memory;
//   - the same edge may be stored by several scopes: edges are identified
//     by (from id, type, to id, technique).

// vis is the visibility predicate of a node or finding.
func vis(v string) string {
	return "EXISTS { MATCH (vs:Scope {key: " + v + ".scope}) WHERE vs.ns = $ns AND " +
		v + ".sync_from <= vs.active AND (" + v + ".sync_to IS NULL OR " + v + ".sync_to > vs.active) }"
}

// visRel is the visibility predicate of a relationship: relationships
// carry no scope property of their own (they belong to their start node's
// scope).
func visRel(r string) string {
	return "EXISTS { MATCH (vs:Scope {key: startNode(" + r + ").scope}) WHERE vs.ns = $ns AND " +
		r + ".sync_from <= vs.active AND (" + r + ".sync_to IS NULL OR " + r + ".sync_to > vs.active) }"
}

// moveTypes is the relationship-type alternation of every move edge kind.
var moveTypes = func() string {
	var ks []string
	for _, k := range graph.EdgeKinds {
		if k.IsMove() {
			ks = append(ks, string(k))
		}
	}
	return strings.Join(ks, "|")
}()

// labelsOf renders a label predicate "(n:A OR n:B)" for node kinds.
func labelsOf(v string, kinds ...graph.Kind) string {
	parts := make([]string, len(kinds))
	for i, k := range kinds {
		parts[i] = v + ":" + string(k)
	}
	return "(" + strings.Join(parts, " OR ") + ")"
}

var (
	dataStoreKinds = func() []graph.Kind {
		var out []graph.Kind
		for _, k := range graph.NodeKinds {
			if k.IsDataStore() {
				out = append(out, k)
			}
		}
		return out
	}()
	// estatePrincipalKinds are principals of the estate itself; external
	// principals are covered by the exposure queries.
	estatePrincipalKinds = []graph.Kind{graph.KindUser, graph.KindGroup, graph.KindRole, graph.KindServiceAccount}
	principalKinds       = append(append([]graph.Kind(nil), estatePrincipalKinds...), graph.KindExternalPrincipal)
	workloadKinds        = []graph.Kind{graph.KindCompute, graph.KindFunction, graph.KindContainer, graph.KindCluster}
)

// canon binds `as` to the canonical copy of the node whose id is in
// variable id: the owned copy when one is visible, else a stub.
func canon(id, as string) string {
	return "CALL (" + id + ") { MATCH (" + as + ":Resource {id: " + id + "}) WHERE " + vis(as) +
		" RETURN " + as + " ORDER BY " + as + ".stub LIMIT 1 }"
}

// canonAll groups the visible copies of nodes matching labelPred (a label
// predicate on n; labels never differ between copies) into one canonical
// node n per id.
func canonAll(labelPred string) string {
	where := vis("n")
	if labelPred != "" {
		where = labelPred + " AND " + where
	}
	return "MATCH (n:Resource) WHERE " + where + "\nWITH n.id AS id, n ORDER BY n.stub\nWITH id, head(collect(n)) AS n"
}

// sources is a COLLECT expression of the ids of every exposure source.
var sources = "COLLECT { MATCH (n:Resource) WHERE " + labelsOf("n", graph.KindInternet, graph.KindExternalPrincipal) +
	" AND " + vis("n") + " RETURN DISTINCT n.id }"

// levelOf turns a sensitivity or severity name parameter into its level.
func levelOf(param string, names []string) string {
	quoted := make([]string, len(names))
	for i, n := range names {
		quoted[i] = "'" + n + "'"
	}
	return "[i IN range(0, " + itoa(len(names)-1) + ") WHERE [" + strings.Join(quoted, ", ") + "][i] = " + param + "][0]"
}

var (
	sensitivityNames = []string{"none", "public", "internal", "confidential", "restricted"}
	severityNames    = []string{"info", "low", "medium", "high", "critical"}
)

// reach is an expression for the layers of a breadth-first walk over
// relationships of the given types, from the ids in list variable start,
// at most hops moves: layers[d] holds the ids first reached after d moves
// (layers[0] is start). backward walks the relationships against their
// direction. Walking by id lets the walk cross from one scope's copy of a
// node to another's.
func reach(start, types string, backward bool, hops string) string {
	pat := "(a:Resource)-[r:" + types + "]->(b:Resource)"
	if backward {
		pat = "(b:Resource)-[r:" + types + "]->(a:Resource)"
	}
	return "reduce(st = {seen: " + start + ", frontier: " + start + ", layers: [" + start + "]}, i IN range(1, " + hops + ") |\n" +
		"    [nxt IN [COLLECT { MATCH " + pat + " WHERE a.id IN st.frontier AND NOT b.id IN st.seen AND " + visRel("r") +
		" RETURN DISTINCT b.id }] |\n" +
		"    {seen: st.seen + nxt, frontier: nxt, layers: st.layers + [nxt]}][0]).layers"
}

func itoa(i int) string {
	const digits = "0123456789"
	if i < 10 {
		return digits[i : i+1]
	}
	return itoa(i/10) + digits[i%10:i%10+1]
}

func lines(ls ...string) string { return strings.Join(ls, "\n") }
