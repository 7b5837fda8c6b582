// Package queries is the saved-query library: named analyst questions
// ("which sensitive data stores can the Internet reach?", "who can escalate
// to admin?") answered over the in-memory graph, each with the equivalent
// Cypher for Neo4j Browser users. Both answers are the same table, row for
// row: the equivalence test in this package runs every query's Cypher
// against a real Neo4j loaded through graph/neo4j and compares.
// docs/queries.md documents every query.
package queries

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/breachpath/breachpath/graph"
)

// Query is one named analyst question.
type Query struct {
	// Name is stable, kebab-case, and what `breachpath query NAME` takes.
	Name        string
	Title       string
	Description string
	// Params are the parameters the query takes, with their defaults.
	Params []Param
	// Columns name the result columns, in order.
	Columns []string
	// Cypher is the equivalent openCypher for the Neo4j store's schema
	// (docs/neo4j-schema.md), parameterised with $name for every Param plus
	// $ns, the store namespace ("" unless the store was opened with one).
	Cypher string

	run func(ctx context.Context, g *graph.Graph, p Values) ([][]any, error)
}

// Result is a query's answer: a uniform table whose values are JSON
// friendly (strings, int64, bool, []string, nil), rows in a deterministic
// order that the Cypher's ORDER BY reproduces.
type Result struct {
	Query   string         `json:"query"`
	Params  map[string]any `json:"params"`
	Columns []string       `json:"columns"`
	Rows    [][]any        `json:"rows"`
}

// Run answers the query over g. params maps parameter names to values
// (native Go values or their string forms, as a command line gives them);
// missing parameters take their defaults.
func (q Query) Run(ctx context.Context, g *graph.Graph, params map[string]any) (*Result, error) {
	if g == nil {
		return nil, fmt.Errorf("query %s: nil graph", q.Name)
	}
	v, err := q.Bind(params)
	if err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("query %s: %w", q.Name, err)
	}
	rows, err := q.run(ctx, g, v)
	if err != nil {
		return nil, fmt.Errorf("query %s: %w", q.Name, err)
	}
	if rows == nil {
		rows = [][]any{} // an empty table, not null, in JSON
	}
	return &Result{Query: q.Name, Params: v.Map(), Columns: q.Columns, Rows: rows}, nil
}

// CypherParams returns the parameters to send with Cypher: the validated
// values of params (defaults filled in) as Cypher values, plus $ns set to
// namespace.
func (q Query) CypherParams(params map[string]any, namespace string) (map[string]any, error) {
	v, err := q.Bind(params)
	if err != nil {
		return nil, err
	}
	out := v.Map()
	out["ns"] = namespace
	return out, nil
}

// Bind validates params against the query's parameters and fills in the
// defaults. Unknown names and malformed or out-of-range values are errors.
func (q Query) Bind(params map[string]any) (Values, error) {
	v := Values{}
	for name := range params {
		if !slices.ContainsFunc(q.Params, func(p Param) bool { return p.Name == name }) {
			return nil, fmt.Errorf("query %s: unknown parameter %q (%s)", q.Name, name, q.paramList())
		}
	}
	for _, p := range q.Params {
		raw, ok := params[p.Name]
		if !ok || raw == nil {
			if p.Required {
				return nil, fmt.Errorf("query %s: parameter %q is required (%s)", q.Name, p.Name, p.Description)
			}
			raw = p.Default
		}
		val, err := p.parse(raw)
		if err != nil {
			return nil, fmt.Errorf("query %s: parameter %s: %w", q.Name, p.Name, err)
		}
		v[p.Name] = val
	}
	return v, nil
}

func (q Query) paramList() string {
	if len(q.Params) == 0 {
		return "it takes none"
	}
	names := make([]string, len(q.Params))
	for i, p := range q.Params {
		names[i] = p.Name
	}
	return "it takes " + strings.Join(names, ", ")
}

var registry = func() []Query {
	all := slices.Concat(exposureQueries(), identityQueries(), hygieneQueries(), findingQueries(), cycleQueries())
	slices.SortFunc(all, func(a, b Query) int { return strings.Compare(a.Name, b.Name) })
	return all
}()

// All returns every query, sorted by name.
func All() []Query { return slices.Clone(registry) }

// Get returns the query with the given name.
func Get(name string) (Query, bool) {
	i := slices.IndexFunc(registry, func(q Query) bool { return q.Name == name })
	if i < 0 {
		return Query{}, false
	}
	return registry[i], true
}
