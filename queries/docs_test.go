package queries_test

import (
	"flag"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/breachpath/breachpath/queries"
)

var update = flag.Bool("update", false, "rewrite docs/queries.md from the registry")

const docsPath = "../docs/queries.md"

// TestDocsDescribeEveryQuery keeps docs/queries.md in step with the
// registry: the reference part is generated (go test ./queries -run Docs
// -update) below a hand-written introduction.
func TestDocsDescribeEveryQuery(t *testing.T) {
	cur, err := os.ReadFile(docsPath)
	if err != nil && !*update {
		t.Fatal(err)
	}
	intro, _, _ := strings.Cut(string(cur), generatedMarker)
	want := intro + generatedMarker + reference()
	if *update {
		if err := os.WriteFile(docsPath, []byte(want), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	if string(cur) != want {
		t.Errorf("%s is out of date: run go test ./queries -run TestDocsDescribeEveryQuery -update", docsPath)
	}
}

const generatedMarker = "<!-- generated from the registry below this line: go test ./queries -run TestDocsDescribeEveryQuery -update -->\n"

func reference() string {
	var b strings.Builder
	b.WriteString("\n## Index\n\n| name | title |\n|---|---|\n")
	for _, q := range queries.All() {
		fmt.Fprintf(&b, "| [`%s`](#%s) | %s |\n", q.Name, q.Name, q.Title)
	}
	for _, q := range queries.All() {
		fmt.Fprintf(&b, "\n## %s\n\n**%s.** %s\n\n", q.Name, q.Title, q.Description)
		if len(q.Params) == 0 {
			b.WriteString("Parameters: none (besides `$ns`).\n\n")
		} else {
			b.WriteString("| parameter | type | default | meaning |\n|---|---|---|---|\n")
			for _, p := range q.Params {
				def := fmt.Sprintf("`%v`", p.Default)
				if p.Required {
					def = "required"
				}
				typ := string(p.Type)
				if p.Type == queries.TypeInt {
					typ = fmt.Sprintf("int %d..%d", p.Min, p.Max)
				}
				fmt.Fprintf(&b, "| `%s` | %s | %s | %s |\n", p.Name, typ, def, p.Description)
			}
			b.WriteString("\n")
		}
		fmt.Fprintf(&b, "Columns: %s.\n\n```cypher\n%s\n```\n", "`"+strings.Join(q.Columns, "`, `")+"`", q.Cypher)
	}
	return b.String()
}
