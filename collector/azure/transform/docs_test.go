package transform

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestTechniquesAndRulesDocumented(t *testing.T) {
	read := func(name string) string {
		b, err := os.ReadFile(filepath.Join("..", "..", "..", "docs", name))
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	tech, coll := read("techniques.md"), read("azure-collector.md")
	for _, id := range Techniques {
		if !strings.Contains(tech, "`"+id+"`") {
			t.Errorf("docs/techniques.md does not list %s", id)
		}
	}
	for _, id := range Rules() {
		if !strings.Contains(coll, "`"+id+"`") {
			t.Errorf("docs/azure-collector.md does not list rule %s", id)
		}
	}
}
