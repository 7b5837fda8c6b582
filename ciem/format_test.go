package ciem

import (
	"bytes"
	"encoding/csv"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/breachpath/breachpath/graph"
	"github.com/breachpath/breachpath/graph/entitlement"
)

var update = flag.Bool("update", false, "rewrite the golden files")

// TestFormatsMatchGolden renders the test estate in every format and
// compares with testdata/report.<ext>.golden (go test -update rewrites them).
func TestFormatsMatchGolden(t *testing.T) {
	r := build(t, testGraph(t, nil), Sources{Policies: map[graph.Cloud]entitlement.PolicyWriter{graph.CloudGCP: &recordingWriter{}}}, Options{LastAccessedDays: 120})
	formats := map[string]func(*bytes.Buffer, *Report) error{
		"table": func(b *bytes.Buffer, r *Report) error { return WriteTable(b, r) },
		"json":  func(b *bytes.Buffer, r *Report) error { return WriteJSON(b, r) },
		"csv":   func(b *bytes.Buffer, r *Report) error { return WriteCSV(b, r) },
		"md":    func(b *bytes.Buffer, r *Report) error { return WriteMarkdown(b, r) },
		"html":  func(b *bytes.Buffer, r *Report) error { return WriteHTML(b, r) },
	}
	for name, write := range formats {
		t.Run(name, func(t *testing.T) {
			var b bytes.Buffer
			if err := write(&b, r); err != nil {
				t.Fatal(err)
			}
			path := filepath.Join("testdata", "report."+name+".golden")
			if *update {
				if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run go test ./ciem -run Golden -update)", err)
			}
			if !bytes.Equal(b.Bytes(), want) {
				t.Fatalf("%s output differs from %s (go test ./ciem -run Golden -update after checking the diff)\n%s", name, path, b.String())
			}
		})
	}
}

// hostile is a principal name built to break every output format.
const hostile = "=cmd|'/c calc'!A1 <script>alert(1)</script> | **x** `y`"

func TestOutputsEscapeHostileNames(t *testing.T) {
	g := testGraph(t, func(n []graph.Node) {
		for i := range n {
			if n[i].ID == "dev" {
				n[i].Name = hostile
			}
		}
	})
	r := build(t, g, Sources{}, Options{})
	var html, md, c bytes.Buffer
	if err := WriteHTML(&html, r); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(html.String(), "<script>") || !strings.Contains(html.String(), "&lt;script&gt;alert(1)&lt;/script&gt;") {
		t.Error("HTML does not escape the principal name")
	}
	if err := WriteMarkdown(&md, r); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(md.String(), "<script>") || strings.Contains(md.String(), "calc'!A1 <") || !strings.Contains(md.String(), `\| \*\*x\*\*`) {
		t.Error("Markdown does not escape the principal name")
	}
	if err := WriteCSV(&c, r); err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(&c).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, row := range rows[1:] {
		if row[2] == "dev" {
			found = true
			if row[3] != "'"+hostile {
				t.Errorf("CSV name cell %q, want it defused with a leading quote", row[3])
			}
		}
		if len(row) != len(csvHeader) {
			t.Errorf("row of %d cells, header has %d", len(row), len(csvHeader))
		}
	}
	if !found {
		t.Error("dev row missing from the CSV")
	}
}
