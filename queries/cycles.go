package queries

import (
	"context"
	"slices"

	"github.com/breachpath/breachpath/graph"
	"github.com/breachpath/breachpath/paths"
)

// Cycle questions: groups of identities that reach each other.

func cycleQueries() []Query { return []Query{escalationCycles()} }

// escalationKinds are the moves of mutual escalation: assuming a role,
// impersonating or escalating to an identity.
var escalationKinds = []graph.EdgeKind{graph.EdgeAssumes, graph.EdgeEscalatesTo}

func escalationCycles() Query {
	types := string(graph.EdgeAssumes) + "|" + string(graph.EdgeEscalatesTo)
	// A member of a cycle has a move in and a move out of these kinds.
	candidates := "MATCH (n:Resource)-[r:" + types + "]->(m:Resource) WHERE " + visRel("r")
	return Query{
		Name:  "escalation-cycles",
		Title: "Cycles of mutual escalation",
		Description: "Groups of two or more nodes — roles that assume each other, identities that impersonate or escalate to " +
			"each other — every one of which reaches every other through ASSUMES and ESCALATES_TO moves: the strongly " +
			"connected components of those moves (gonum's topo.TarjanSCC over the path engine's projection in Go; " +
			"forward and backward closures intersected in Cypher). Whoever holds one member holds them all, so each is " +
			"one unit: cut the ways into it, or break the loop. One row per cycle: cycle is its smallest member id, " +
			"members every member id (sorted), accounts the members' accounts, admin whether a member is an admin " +
			"identity (a crown-jewel principal).",
		Columns: []string{"cycle", "size", "members", "accounts", "admin"},
		Cypher: lines(
			candidates,
			"WITH collect(DISTINCT n.id) AS outs, collect(DISTINCT m.id) AS ins",
			"WITH [x IN outs WHERE x IN ins] AS cand",
			"UNWIND cand AS seed",
			"WITH seed, size(cand) AS bound, [seed] AS s0",
			"WITH seed, "+reach("s0", types, false, "bound")+" AS fw,",
			"     "+reach("s0", types, true, "bound")+" AS bw",
			"WITH seed, reduce(acc = [], l IN fw | acc + l) AS fwd, reduce(acc = [], l IN bw | acc + l) AS bwd",
			"WITH seed, [x IN fwd WHERE x IN bwd] AS comp WHERE size(comp) >= 2",
			"UNWIND comp AS x",
			"WITH seed, x ORDER BY x",
			"WITH seed, collect(x) AS members",
			"WITH DISTINCT members",
			"UNWIND members AS id",
			canon("id", "p"),
			"WITH members, p ORDER BY p.account",
			"WITH members, collect(DISTINCT CASE WHEN p.account <> '' THEN p.account END) AS accounts,",
			"     max(CASE WHEN coalesce(p.crown_jewel, false) AND "+labelsOf("p", principalKinds...)+" THEN 1 ELSE 0 END) = 1 AS admin",
			"RETURN members[0] AS cycle, size(members) AS size, members, accounts, admin",
			"ORDER BY size DESC, cycle",
		),
		run: func(ctx context.Context, g *graph.Graph, _ Values) ([][]any, error) {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
			proj := paths.NewProjection(g)
			c := proj.Cycles(func(e *graph.Edge) bool { return slices.Contains(escalationKinds, e.Kind) })
			var rows [][]any
			for i := range c.Len() {
				var members, accounts []string
				admin := false
				for _, m := range c.Members(i) {
					n := &g.Nodes[m]
					members = append(members, n.ID)
					if n.Account != "" {
						accounts = append(accounts, n.Account)
					}
					admin = admin || isAdmin(n)
				}
				slices.Sort(accounts)
				rows = append(rows, []any{members[0], int64(len(members)), members, slices.Compact(accounts), admin})
			}
			sortRows(rows, by(-2, 0))
			return rows, nil
		},
	}
}
