package compliance

import (
	_ "embed"
	"fmt"
	"html/template"
	"io"
	"strings"

	"github.com/breachpath/breachpath/graph/safetext/htmlcell"
)

//go:embed report.html.tmpl
var htmlTemplate string

var reportTemplate = template.Must(template.New("compliance").Funcs(template.FuncMap{
	"isolateCSS": func() template.CSS { return template.CSS(htmlcell.Style) },
	"statusLabel": func(s Status) string {
		return strings.ToUpper(strings.ReplaceAll(string(s), "_", " "))
	},
	"pct":  func(f float64) string { return fmt.Sprintf("%.1f", f) },
	"date": func(r *Report) string { return r.GeneratedAt.UTC().Format("2006-01-02 15:04 MST") },
	"or": func(a, b string) string {
		if a != "" {
			return a
		}
		return b
	},
	"bar": summaryBar,
}).Parse(htmlTemplate))

// segment is one coloured run of the summary bar.
type segment struct {
	X, W  int
	Color string
	Label string
}

// summaryBar lays the pass / fail / not-evaluated counts out as one
// horizontal SVG bar 600 units wide.
func summaryBar(s Summary) []segment {
	const width = 600
	if s.Controls == 0 {
		return nil
	}
	var out []segment
	x := 0
	for _, p := range []struct {
		n     int
		color string
		label string
	}{{s.Fail, "#c62828", "fail"}, {s.Pass, "#2e7d32", "pass"}, {s.NotEvaluated, "#9e9e9e", "not evaluated"}} {
		w := width * p.n / s.Controls
		if p.n > 0 && w == 0 {
			w = 1
		}
		out = append(out, segment{X: x, W: w, Color: p.color, Label: fmt.Sprintf("%d %s", p.n, p.label)})
		x += w
	}
	return out
}

// WriteHTML writes a self-contained HTML report: inline CSS and one inline
// SVG bar, no scripts or external assets. Every string is escaped by
// html/template and follows the browser rule of graph/safetext/htmlcell
// (acting characters shown as escapes, every text element a bidirectional
// island), because resource names and evidence come from the estate.
func WriteHTML(w io.Writer, r *Report) error {
	if err := reportTemplate.Execute(w, htmlcell.Copy(r)); err != nil {
		return fmt.Errorf("render compliance HTML report: %w", err)
	}
	return nil
}
