package ciem

import (
	"cmp"
	_ "embed"
	"fmt"
	"github.com/breachpath/breachpath/graph/safetext/htmlcell"
	"html/template"
	"io"
	"slices"
	"strings"

	"github.com/breachpath/breachpath/graph/entitlement"
)

//go:embed report.html.tmpl
var htmlTemplate string

// maxHTMLServices bounds the services listed per principal in the HTML
// report (an administrator holds hundreds); the JSON output has them all.
const maxHTMLServices = 25

var reportTemplate = template.Must(template.New("ciem").Funcs(template.FuncMap{
	"scoreClass": scoreClass,
	"isolateCSS": func() template.CSS { return template.CSS(htmlcell.Style) },
	"day":        day,
	"join":       strings.Join,
	"inc":        func(i int) int { return i + 1 },
	"pct":        func(f float64) string { return fmt.Sprintf("%.1f", f) },
	"levels":     levelCells,
	"services":   topServices,
	"more":       func(p *Principal) int { return max(0, len(p.Permissions.Services)-maxHTMLServices) },
	"access":     accessList,
	"nameOr":     nameOr,
	"sourceKind": sourceLabel,
	"wildKinds": func(p *Principal) []string {
		if k := p.WildcardCell(); k != "-" && k != StateUnknown {
			return strings.Split(k, ",")
		}
		return nil
	},
}).Parse(htmlTemplate))

// htmlView is the template's data: the report plus precomputed chart geometry.
type htmlView struct {
	*Report
	Charts []chart
}

type chart struct {
	Account AccountSummary
	Bars    []bar
	Width   int
	Height  int
}

type bar struct {
	Label  string
	Count  int
	X, Y   int
	W, H   int
	Color  string
	TextX  int
	TextY  int
	LabelY int
}

var bandColors = []string{"#2e7d32", "#9e9d24", "#f9a825", "#ef6c00", "#c62828"}
var bandLabels = []string{"0–19", "20–39", "40–59", "60–79", "80–100"}

// WriteHTML writes a self-contained HTML report: inline CSS, one inline SVG
// score chart per account, no scripts or external assets. Every string is
// escaped by html/template and follows the browser rule of
// graph/safetext/htmlcell: acting characters shown as escapes, every text
// element a bidirectional island (docs/security.md).
func WriteHTML(w io.Writer, r *Report) error {
	v := htmlView{Report: htmlcell.Copy(r)}
	for _, a := range r.Accounts {
		v.Charts = append(v.Charts, scoreChart(a))
	}
	if err := reportTemplate.Execute(w, v); err != nil {
		return fmt.Errorf("render CIEM HTML report: %w", err)
	}
	return nil
}

// scoreChart lays out a vertical bar chart of the account's score bands.
func scoreChart(a AccountSummary) chart {
	const width, height, top, bottom, left, gap = 360, 170, 18, 28, 10, 12
	c := chart{Account: a, Width: width, Height: height}
	peak := 1
	for _, n := range a.ScoreBands {
		peak = max(peak, n)
	}
	bw := (width - 2*left - 4*gap) / 5
	for i, n := range a.ScoreBands {
		h := (height - top - bottom) * n / peak
		if n > 0 {
			h = max(h, 2)
		}
		x := left + i*(bw+gap)
		y := height - bottom - h
		c.Bars = append(c.Bars, bar{Label: bandLabels[i], Count: n, X: x, Y: y, W: bw, H: h, Color: bandColors[i],
			TextX: x + bw/2, TextY: y - 4, LabelY: height - bottom + 16})
	}
	return c
}

func scoreClass(s float64) string {
	switch {
	case s >= 80:
		return "crit"
	case s >= 60:
		return "high"
	case s >= 40:
		return "med"
	case s >= 20:
		return "low"
	}
	return "min"
}

type levelCell struct {
	Level entitlement.AccessLevel
	Count int
}

func levelCells(m map[entitlement.AccessLevel]int) []levelCell {
	var out []levelCell
	for _, l := range entitlement.Levels {
		if n := m[l]; n > 0 {
			out = append(out, levelCell{l, n})
		}
	}
	return out
}

// topServices orders services by unused sensitive, then sensitive, then
// total permissions, and keeps the first maxHTMLServices.
func topServices(p *Principal) []ServiceView {
	s := slices.Clone(p.Permissions.Services)
	slices.SortStableFunc(s, func(x, y ServiceView) int {
		if c := cmp.Compare(y.UnusedSensitive, x.UnusedSensitive); c != 0 {
			return c
		}
		if c := cmp.Compare(y.Sensitive, x.Sensitive); c != 0 {
			return c
		}
		return cmp.Compare(y.Total, x.Total)
	})
	if len(s) > maxHTMLServices {
		s = s[:maxHTMLServices]
	}
	return s
}

func sourceLabel(s entitlement.Source) string {
	switch s.Kind {
	case entitlement.SourceGroup:
		return "group " + lastPart(s.Via)
	case entitlement.SourceBoundary:
		return "boundary"
	case entitlement.SourceResource:
		return "resource policy"
	case entitlement.SourceOrg:
		return "organisation policy"
	}
	return "attached"
}

func lastPart(id string) string {
	if i := strings.LastIndexAny(id, "/:"); i >= 0 {
		return id[i+1:]
	}
	return id
}
