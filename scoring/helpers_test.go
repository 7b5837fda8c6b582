package scoring

import (
	"fmt"
	"math/rand/v2"

	"github.com/breachpath/breachpath/graph"
)

type builder struct {
	nodes    []graph.Node
	edges    []graph.Edge
	findings []graph.Finding
}

func (b *builder) node(id string, kind graph.Kind, s graph.Sensitivity) *builder {
	b.nodes = append(b.nodes, graph.Node{ID: id, Kind: kind, Cloud: graph.CloudAWS, Account: "111", Sensitivity: s, Name: id})
	return b
}

func (b *builder) finding(id, resource string, sev graph.Severity, effort float64) *builder {
	b.findings = append(b.findings, graph.Finding{ID: id, RuleID: "rule." + id, Resource: resource, Severity: sev,
		Title: "title " + id, Remediation: "fix " + id, Controls: []string{"CIS:" + id}, FixEffort: effort})
	return b
}

func (b *builder) move(from, to string, kind graph.EdgeKind, l float64, findings ...string) *builder {
	b.edges = append(b.edges, graph.Edge{From: from, To: to, Kind: kind, Technique: "t." + string(kind), Likelihood: l, Findings: findings})
	return b
}

func (b *builder) build() *graph.Graph {
	return graph.Assemble(append([]graph.Node(nil), b.nodes...), append([]graph.Edge(nil), b.edges...),
		append([]graph.Finding(nil), b.findings...))
}

// randomPlanGraph: the Internet, n nodes (some restricted targets), m moves;
// each move cites one of nf findings or, rarely, none. With shared true a
// finding may be cited by several moves.
func randomPlanGraph(r *rand.Rand, n, m, nf int, shared bool) *builder {
	b := (&builder{}).node(graph.InternetID, graph.KindInternet, 0)
	b.nodes[0].Cloud = ""
	for i := range n {
		s := graph.SensitivityNone
		if r.IntN(3) == 0 {
			s = graph.SensitivityRestricted
		}
		b.node(fmt.Sprintf("n%d", i), graph.KindCompute, s)
	}
	next := 0
	seen := map[string]bool{}
	for range m {
		from := graph.InternetID
		if r.IntN(3) != 0 {
			from = fmt.Sprintf("n%d", r.IntN(n))
		}
		to := fmt.Sprintf("n%d", r.IntN(n))
		if from == to || seen[from+to] {
			continue
		}
		seen[from+to] = true
		var fs []string
		switch {
		case r.IntN(10) == 0: // uncuttable move
		case shared:
			id := fmt.Sprintf("f%d", r.IntN(nf))
			fs = []string{id}
		default:
			id := fmt.Sprintf("f%d", next)
			next++
			b.finding(id, from, graph.SeverityMedium, float64(1+r.IntN(4)))
			fs = []string{id}
		}
		b.move(from, to, graph.EdgeReaches, 0.5, fs...)
	}
	if shared {
		for i := range nf {
			b.finding(fmt.Sprintf("f%d", i), fmt.Sprintf("n%d", i%n), graph.SeverityMedium, float64(1+r.IntN(4)))
		}
	}
	return b
}
