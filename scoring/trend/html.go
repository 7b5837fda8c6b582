package trend

import (
	_ "embed"
	"fmt"
	"html/template"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/breachpath/breachpath/graph/safetext/htmlcell"
)

//go:embed report.html.tmpl
var htmlTemplate string

// maxHTMLGroups bounds the accounts and owners listed in the HTML page;
// the JSON and CSV outputs have them all.
const maxHTMLGroups = 50

// Chart geometry, in SVG user units.
const (
	chartW, chartH = 720, 240
	padL, padR     = 48, 16
	padT, padB     = 16, 40
)

// severityColours are the series colours, most severe first (Severities).
var severityColours = map[string]string{"critical": "#b3261e", "high": "#e8710a", "medium": "#c9a400", "low": "#3b78e7", "info": "#8a8a8a"}

var pageTemplate = template.Must(template.New("trend").Funcs(template.FuncMap{
	"isolateCSS": func() template.CSS { return template.CSS(htmlcell.Style) },
	"when":       func(t time.Time) string { return t.UTC().Format("2006-01-02 15:04 UTC") },
	"hours":      hours,
	"colour":     func(sev string) template.CSS { return template.CSS(severityColours[sev]) },
	"add":        func(a, b int) int { return a + b },
}).Parse(htmlTemplate))

type htmlView struct {
	*Report
	ByAccount, ByOwner    []Stat
	MoreAcct, MoreOwner   int
	PathChart             lineChart
	AgeChart              barChart
	Severities            []string
	Width, Height         int
	HasPaths, HasRemedied bool
}

type lineChart struct {
	Series []series
	Points []dot
	YTicks []tick
	XTicks []tick
}

type series struct {
	Name, Colour, Points string
	Width                float64
}

type dot struct {
	X, Y  float64
	Title string
}

type tick struct {
	Pos    float64
	Label  string
	Anchor string // text-anchor of an x label: the end labels stay inside the chart
}

type barChart struct {
	Bars   []barStack
	YTicks []tick
}

type barStack struct {
	Label    string
	LabelX   float64
	Segments []segment
	Total    int
}

type segment struct {
	X, Y, W, H float64
	Colour     string
	Title      string
}

// WriteHTML writes the report as one self-contained page (inline CSS and
// SVG charts, no script, nothing fetched). Every estate string passes
// through htmlcell first (attacker-controlled names show their acting
// characters as escapes and stay bidirectionally isolated).
func WriteHTML(w io.Writer, r *Report) error {
	safe := htmlcell.Copy(r)
	v := htmlView{Report: safe, Severities: Severities, Width: chartW, Height: chartH,
		HasPaths: len(safe.Paths) > 0, HasRemedied: safe.Remediation.Overall.Resolved > 0}
	v.ByAccount, v.MoreAcct = capped(safe.Remediation.ByAccount)
	v.ByOwner, v.MoreOwner = capped(safe.Remediation.ByOwner)
	v.PathChart = pathChart(safe.Paths)
	v.AgeChart = ageChart(safe.OpenByAge)
	if err := pageTemplate.Execute(w, v); err != nil {
		return fmt.Errorf("write trend html: %w", err)
	}
	return nil
}

func capped(s []Stat) ([]Stat, int) {
	if len(s) <= maxHTMLGroups {
		return s, 0
	}
	return s[:maxHTMLGroups], len(s) - maxHTMLGroups
}

func hours(h float64) string {
	switch {
	case h == 0:
		return "-"
	case h < 48:
		return strconv.FormatFloat(h, 'f', 1, 64) + " h"
	}
	return strconv.FormatFloat(h/24, 'f', 1, 64) + " d"
}

// niceMax rounds v up to 1, 2 or 5 times a power of ten (at least 1), so
// the axis reads in round numbers.
func niceMax(v int) int {
	if v <= 1 {
		return 1
	}
	for p := 1; ; p *= 10 {
		for _, m := range []int{1, 2, 5} {
			if m*p >= v {
				return m * p
			}
		}
	}
}

func yTicks(top int) []tick {
	plotH := float64(chartH - padT - padB)
	var ts []tick
	for i := 0; i <= 4; i++ {
		v := float64(top) * float64(i) / 4
		if v != float64(int(v)) && top < 4 {
			continue
		}
		ts = append(ts, tick{Pos: float64(padT) + plotH - plotH*float64(i)/4, Label: strconv.FormatFloat(v, 'f', -1, 64)})
	}
	return ts
}

// pathChart draws the total and the per-severity path counts over time.
func pathChart(ps []PathPoint) lineChart {
	var c lineChart
	if len(ps) == 0 {
		return c
	}
	top := 0
	for _, p := range ps {
		top = max(top, p.Paths)
	}
	top = niceMax(top)
	c.YTicks = yTicks(top)
	plotW, plotH := float64(chartW-padL-padR), float64(chartH-padT-padB)
	t0, t1 := ps[0].At, ps[len(ps)-1].At
	x := func(i int) float64 {
		span := t1.Sub(t0)
		if span <= 0 {
			if len(ps) == 1 {
				return float64(padL) + plotW/2
			}
			return float64(padL) + plotW*float64(i)/float64(len(ps)-1)
		}
		return float64(padL) + plotW*float64(ps[i].At.Sub(t0))/float64(span)
	}
	y := func(v int) float64 { return float64(padT) + plotH - plotH*float64(v)/float64(top) }
	line := func(val func(PathPoint) int) string {
		var b strings.Builder
		for i, p := range ps {
			if i > 0 {
				b.WriteByte(' ')
			}
			fmt.Fprintf(&b, "%.1f,%.1f", x(i), y(val(p)))
		}
		return b.String()
	}
	c.Series = append(c.Series, series{Name: "all paths", Colour: "#222", Width: 2.5, Points: line(func(p PathPoint) int { return p.Paths })})
	for _, sev := range Severities {
		used := false
		for _, p := range ps {
			used = used || p.BySeverity[sev] > 0
		}
		if used {
			c.Series = append(c.Series, series{Name: sev, Colour: severityColours[sev], Width: 1.5,
				Points: line(func(p PathPoint) int { return p.BySeverity[sev] })})
		}
	}
	for i, p := range ps {
		c.Points = append(c.Points, dot{X: x(i), Y: y(p.Paths),
			Title: fmt.Sprintf("sync %d, %s: %d paths, %d open findings", p.SyncID, p.At.UTC().Format("2006-01-02 15:04"), p.Paths, p.OpenFindings)})
	}
	c.XTicks = []tick{{Pos: x(0), Label: t0.UTC().Format("2006-01-02 15:04"), Anchor: "start"}}
	if len(ps) == 1 {
		c.XTicks[0].Anchor = "middle"
	} else {
		c.XTicks = append(c.XTicks, tick{Pos: x(len(ps) - 1), Label: t1.UTC().Format("2006-01-02 15:04"), Anchor: "end"})
	}
	return c
}

// ageChart stacks each age bucket's open findings by severity.
func ageChart(bs []AgeBucket) barChart {
	var c barChart
	top := 0
	for _, b := range bs {
		top = max(top, b.Count)
	}
	top = niceMax(top)
	c.YTicks = yTicks(top)
	plotW, plotH := float64(chartW-padL-padR), float64(chartH-padT-padB)
	slot := plotW / float64(max(len(bs), 1))
	for i, b := range bs {
		st := barStack{Label: b.Label, Total: b.Count, LabelX: float64(padL) + slot*(float64(i)+0.5)}
		base := float64(padT) + plotH
		for j := len(Severities) - 1; j >= 0; j-- { // least severe at the bottom
			sev := Severities[j]
			n := b.BySeverity[sev]
			if n == 0 {
				continue
			}
			h := plotH * float64(n) / float64(top)
			base -= h
			st.Segments = append(st.Segments, segment{X: float64(padL) + slot*float64(i) + slot*0.2, Y: base, W: slot * 0.6, H: h,
				Colour: severityColours[sev], Title: fmt.Sprintf("%s: %d %s", b.Label, n, sev)})
		}
		c.Bars = append(c.Bars, st)
	}
	return c
}
