package queries

import (
	"regexp"
	"slices"
	"strings"

	"github.com/breachpath/breachpath/graph"
)

// What a query reads of the edges is derived from its Cypher rather than
// declared beside it, so that the two cannot drift: the Cypher names the
// relationship type of every pattern it matches, and the equivalence test
// against Neo4j (neo4j_test.go) holds the Go answer to the Cypher's. A
// store that serves many questions (api) loads only these kinds; a test
// in this package runs every query over a graph holding only its kinds and
// over the whole graph, and fails if the answers differ.

// relPattern matches one relationship pattern, -[var:TYPE|TYPE ...]-, with
// or without a variable and a type list.
var relPattern = regexp.MustCompile(`-\[\s*\w*\s*(:\s*[A-Za-z_|\s]+)?[^\]]*\]-`)

// EdgeKinds returns the edge kinds the query reads, sorted; every is true
// when one of its patterns matches relationships of any type (kinds is
// then nil).
func (q Query) EdgeKinds() (kinds []graph.EdgeKind, every bool) {
	return cypherEdgeKinds(q.Cypher)
}

// FactKinds returns the fact edge kinds the query reads (EdgeKinds less
// the attacker moves), sorted; every is true when it reads every kind.
func (q Query) FactKinds() (kinds []graph.EdgeKind, every bool) {
	kinds, every = q.EdgeKinds()
	return slices.DeleteFunc(kinds, graph.EdgeKind.IsMove), every
}

func cypherEdgeKinds(cypher string) ([]graph.EdgeKind, bool) {
	var out []graph.EdgeKind
	for _, m := range relPattern.FindAllStringSubmatch(cypher, -1) {
		types := strings.TrimSpace(strings.TrimPrefix(m[1], ":"))
		if types == "" {
			return nil, true
		}
		for t := range strings.SplitSeq(types, "|") {
			if k := graph.EdgeKind(strings.TrimSpace(t)); !slices.Contains(out, k) {
				out = append(out, k)
			}
		}
	}
	slices.Sort(out)
	return out, false
}
