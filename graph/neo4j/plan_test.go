package neo4j

import (
	"context"
	"strings"
	"testing"

	neo "github.com/neo4j/neo4j-go-driver/v5/neo4j"
)

// operators lists the operator names of a plan tree.
func operators(p neo.Plan) []string {
	out := []string{p.Operator()}
	for _, c := range p.Children() {
		out = append(out, operators(c)...)
	}
	return out
}

// TestElementIDStatementsSeek guards the planner trap described in
// statements.go: every statement that is given element ids must seek by
// them, never scan a scope through an index once per row (which turned a
// 1% re-sync into a full one).
func TestElementIDStatementsSeek(t *testing.T) {
	s := openTest(t)
	params := map[string]any{"rows": []any{}, "sk": "x", "sync": int64(1), "batch": int64(10)}
	for name, q := range elementIDStatements {
		t.Run(name, func(t *testing.T) {
			res, err := neo.ExecuteQuery(context.Background(), s.driver, "EXPLAIN "+q, params,
				neo.EagerResultTransformer, neo.ExecuteQueryWithDatabase(s.db))
			if err != nil {
				t.Fatal(err)
			}
			ops := operators(res.Summary.Plan())
			seeks := 0
			for _, op := range ops {
				op = strings.SplitN(op, "@", 2)[0]
				switch {
				case strings.HasSuffix(op, "ByElementIdSeek"):
					seeks++
				case strings.Contains(op, "IndexSeek"), strings.Contains(op, "Scan"):
					t.Errorf("plan has %s: %v", op, ops)
				}
			}
			if seeks == 0 {
				t.Errorf("plan has no element-id seek: %v", ops)
			}
		})
	}
}
