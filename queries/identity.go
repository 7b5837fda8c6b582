package queries

import (
	"context"
	"strings"

	"github.com/breachpath/breachpath/graph"
	"github.com/breachpath/breachpath/paths"
)

// Identity questions: who becomes admin, who comes in from outside.
//
// An admin identity is a crown-jewel principal: collectors mark
// admin-equivalent identities as crown jewels (docs/model.md), so no query
// reads policy text to decide it.

func identityQueries() []Query {
	return []Query{escalationToAdmin(), shadowAdmins(), externalTrustWithoutCondition(), crossAccountAssumes(), conditionalMoves()}
}

// findingsUnion is a Cypher expression: the number of distinct finding ids
// cited by the copies (a list of relationships) of one edge.
const findingsUnion = "size(reduce(acc = [], c IN copies | acc + [f IN coalesce(c.findings, []) WHERE NOT f IN acc]))"

func escalationToAdmin() Query {
	return Query{
		Name:  "escalation-to-admin",
		Title: "Principals that can escalate to admin",
		Description: "Estate principals (users, groups, roles, service accounts; not admin themselves, not policies, not " +
			"principals only a cloud service acts as) that reach an admin identity (a crown-jewel principal) through a chain of " +
			"at most max_hops ASSUMES / ESCALATES_TO moves — assuming a role counts as much as a privilege-escalation " +
			"technique. The same definition as the CIEM report's admin.via_escalation (paths.AdminReachers). One row per " +
			"principal and admin; hops is the shortest chain.",
		Params:  []Param{maxHopsParam(paths.DefaultAdminHops, "in the ASSUMES / ESCALATES_TO chain")},
		Columns: []string{"principal", "kind", "name", "admin", "admin_name", "hops"},
		Cypher: lines(
			canonAll(labelsOf("n", principalKinds...)),
			"WITH id AS admin, n WHERE n.crown_jewel",
			"WITH admin, n.name AS admin_name, [admin] AS s0",
			"WITH admin, admin_name, "+reach("s0", "ASSUMES|ESCALATES_TO", true, "$max_hops")+" AS layers",
			"UNWIND range(1, size(layers) - 1) AS hops",
			"UNWIND layers[hops] AS principal",
			canon("principal", "p"),
			"WITH principal, p, admin, admin_name, hops WHERE "+labelsOf("p", estatePrincipalKinds...)+" AND NOT p.crown_jewel",
			"  AND NOT coalesce(p.stub, false) AND NOT coalesce(p.prop_service_only, false)",
			"RETURN principal, p.kind AS kind, p.name AS name, admin, admin_name, hops",
			"ORDER BY principal, admin",
		),
		run: func(ctx context.Context, g *graph.Graph, p Values) ([][]any, error) {
			back := newAdjacency(g, kindsIn(graph.EdgeAssumes, graph.EdgeEscalatesTo), true)
			var rows [][]any
			for _, a := range nodesWhere(g, isAdmin) {
				dist, err := back.bfs(ctx, []int32{a}, p.Int("max_hops"))
				if err != nil {
					return nil, err
				}
				admin := &g.Nodes[a]
				for i, d := range dist {
					pr := &g.Nodes[i]
					if d < 1 || !paths.CanEscalate(pr) {
						continue
					}
					rows = append(rows, []any{pr.ID, string(pr.Kind), pr.Name, admin.ID, admin.Name, int64(d)})
				}
			}
			sortRows(rows, by(0, 3))
			return rows, nil
		},
	}
}

func shadowAdmins() Query {
	return Query{
		Name:  "shadow-admins",
		Title: "Shadow admins: admin-equivalent principals not named admin",
		Description: "Users, groups, roles and service accounts that are admin-equivalent — an admin identity (crown-jewel " +
			"principal) themselves (hops 0), or able to become one through at most max_hops ASSUMES / ESCALATES_TO moves — " +
			"whose name does not contain name_marker (case-insensitive). These are the admins a review by name misses.",
		Params: []Param{
			maxHopsParam(4, "from the principal to an admin identity (ASSUMES, ESCALATES_TO)"),
			{Name: "name_marker", Type: TypeString, Default: "admin", Description: "a principal whose name contains this (any case) counts as named admin"},
		},
		Columns: []string{"principal", "kind", "name", "account", "hops"},
		Cypher: lines(
			canonAll(labelsOf("n", principalKinds...)),
			"WITH collect(CASE WHEN n.crown_jewel THEN id END) AS s0",
			"WITH "+reach("s0", "ASSUMES|ESCALATES_TO", true, "$max_hops")+" AS layers",
			"UNWIND range(0, size(layers) - 1) AS hops",
			"UNWIND layers[hops] AS principal",
			canon("principal", "p"),
			"WITH principal, p, hops WHERE "+labelsOf("p", estatePrincipalKinds...)+" AND NOT toLower(p.name) CONTAINS toLower($name_marker)",
			"RETURN principal, p.kind AS kind, p.name AS name, p.account AS account, hops",
			"ORDER BY hops, principal",
		),
		run: func(ctx context.Context, g *graph.Graph, p Values) ([][]any, error) {
			back := newAdjacency(g, kindsIn(graph.EdgeAssumes, graph.EdgeEscalatesTo), true)
			dist, err := back.bfs(ctx, nodesWhere(g, isAdmin), p.Int("max_hops"))
			if err != nil {
				return nil, err
			}
			marker := strings.ToLower(p.String("name_marker"))
			var rows [][]any
			for i, d := range dist {
				n := &g.Nodes[i]
				if d < 0 || !isEstatePrincipal(n) || strings.Contains(strings.ToLower(n.Name), marker) {
					continue
				}
				rows = append(rows, []any{n.ID, string(n.Kind), n.Name, n.Account, int64(d)})
			}
			sortRows(rows, by(4, 0))
			return rows, nil
		},
	}
}

func externalTrustWithoutCondition() Query {
	return Query{
		Name:  "external-trust-without-condition",
		Title: "Roles external accounts can assume with no condition (no external id)",
		Description: "ASSUMES moves from a named external principal (an ExternalPrincipal that is not anonymous: another " +
			"organisation's account, a vendor) that are not conditional. Collectors mark an ASSUMES move conditional when the " +
			"trust policy has request-time conditions the graph cannot resolve — sts:ExternalId among them — so an " +
			"unconditional one is a trust without an external id or any other guard. findings counts the findings the move cites.",
		Columns: []string{"role", "role_name", "role_account", "external", "external_name", "external_account", "technique", "findings"},
		Cypher: lines(
			"MATCH (x:Resource:ExternalPrincipal)-[r:ASSUMES]->(t:Resource) WHERE "+visRel("r"),
			"WITH x.id AS external, t.id AS role, coalesce(r.technique, '') AS technique, collect(r) AS copies",
			"WHERE any(c IN copies WHERE NOT coalesce(c.conditional, false))",
			canon("external", "x"),
			"WITH external, role, technique, copies, x WHERE coalesce(x.prop_anonymous, false) = false",
			canon("role", "t"),
			"RETURN role, t.name AS role_name, t.account AS role_account, external, x.name AS external_name,",
			"       x.account AS external_account, technique, "+findingsUnion+" AS findings",
			"ORDER BY role, external, technique",
		),
		run: func(ctx context.Context, g *graph.Graph, _ Values) ([][]any, error) {
			var rows [][]any
			for _, e := range mergedEdges(g, kindsIn(graph.EdgeAssumes)) {
				x, t := g.Node(e.From), g.Node(e.To)
				if x.Kind != graph.KindExternalPrincipal || x.IsAnonymous() || e.Conditional {
					continue
				}
				rows = append(rows, []any{t.ID, t.Name, t.Account, x.ID, x.Name, x.Account, e.Technique, int64(len(e.Findings))})
			}
			sortRows(rows, by(0, 3, 6))
			return rows, nil
		},
	}
}

func crossAccountAssumes() Query {
	return Query{
		Name:  "cross-account-assumes",
		Title: "Cross-account ASSUMES moves",
		Description: "ASSUMES moves whose principal and role belong to different accounts (subscriptions, projects), external " +
			"accounts included. conditional says the move holds only if request-time conditions hold.",
		Columns: []string{"principal", "principal_kind", "principal_account", "role", "role_account", "technique", "conditional"},
		Cypher: lines(
			"MATCH (a:Resource)-[r:ASSUMES]->(b:Resource) WHERE "+visRel("r"),
			"WITH a.id AS principal, b.id AS role, coalesce(r.technique, '') AS technique, collect(coalesce(r.conditional, false)) AS conds",
			canon("principal", "a"),
			canon("role", "b"),
			"WITH principal, role, technique, conds, a, b WHERE a.account <> '' AND b.account <> '' AND a.account <> b.account",
			"RETURN principal, a.kind AS principal_kind, a.account AS principal_account, role, b.account AS role_account,",
			"       technique, all(c IN conds WHERE c) AS conditional",
			"ORDER BY principal, role, technique",
		),
		run: func(ctx context.Context, g *graph.Graph, _ Values) ([][]any, error) {
			var rows [][]any
			for _, e := range mergedEdges(g, kindsIn(graph.EdgeAssumes)) {
				a, b := g.Node(e.From), g.Node(e.To)
				if a.Account == "" || b.Account == "" || a.Account == b.Account {
					continue
				}
				rows = append(rows, []any{a.ID, string(a.Kind), a.Account, b.ID, b.Account, e.Technique, e.Conditional})
			}
			sortRows(rows, by(0, 3, 5))
			return rows, nil
		},
	}
}

func conditionalMoves() Query {
	return Query{
		Name:  "conditional-moves",
		Title: "Conditional moves: IAM conditions the graph could not resolve",
		Description: "Attacker moves that hold only if request-time conditions hold (source IP, MFA, tags, external id): the " +
			"collector could not decide them, and the path engine counts them at half likelihood. Review them to confirm " +
			"or rule them out. findings counts the findings the move cites.",
		Columns: []string{"source", "move", "target", "technique", "findings"},
		Cypher: lines(
			"MATCH (a:Resource)-[r:"+moveTypes+"]->(b:Resource) WHERE "+visRel("r"),
			"WITH a.id AS source, type(r) AS move, b.id AS target, coalesce(r.technique, '') AS technique, collect(r) AS copies",
			"WHERE all(c IN copies WHERE coalesce(c.conditional, false))",
			"RETURN source, move, target, technique, "+findingsUnion+" AS findings",
			"ORDER BY source, move, target, technique",
		),
		run: func(ctx context.Context, g *graph.Graph, _ Values) ([][]any, error) {
			var rows [][]any
			for _, e := range mergedEdges(g, isMove) {
				if e.Conditional {
					rows = append(rows, []any{e.From, string(e.Kind), e.To, e.Technique, int64(len(e.Findings))})
				}
			}
			sortRows(rows, by(0, 1, 2, 3))
			return rows, nil
		},
	}
}
