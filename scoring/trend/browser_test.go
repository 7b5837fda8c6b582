package trend_test

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/breachpath/breachpath/internal/chromiumtest"

	"github.com/breachpath/breachpath/scoring/trend"
)

// TestHTMLTrendRendersInHeadlessChromium renders the trend page of three
// syncs (a database fixed after 10 hours, SSH closed after 34) in
// Chromium: the charts and tables are in the DOM the browser built, an
// owner name with a right-to-left override shows the override as an
// escape, and the screenshot (kept as artifacts/trend-report.png) is not
// blank.
func TestHTMLTrendRendersInHeadlessChromium(t *testing.T) {
	bin := chromiumtest.Binary(t)
	g, l := history(t, "web-team\u202egpj.exe")
	r, err := trend.Build(context.Background(), g, l, trend.Options{Now: t0.Add(10 * 24 * time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	var page bytes.Buffer
	if err := trend.WriteHTML(&page, r); err != nil {
		t.Fatal(err)
	}
	html := page.String()
	for _, forbidden := range []string{"<script", "http://", "https://", "<link", "@import", "src=", "\u202e"} {
		if strings.Contains(html, forbidden) {
			t.Fatalf("HTML trend is not self-contained or safe: contains %q", forbidden)
		}
	}
	pg := chromiumtest.Render(t, bin, "trend-report", page.Bytes(), 1280, 1800)
	for _, want := range []string{`id="paths-chart"`, "<polyline", `id="age-chart"`, "<rect", `id="mttr-severity"`, `id="mttr-owner"`,
		`web-team\u202egpj.exe`, "34.0 h", "10.0 h", "Attack paths over time"} {
		if !strings.Contains(pg.DOM, want) {
			t.Errorf("rendered DOM lacks %q", want)
		}
	}
	if n := chromiumtest.Colours(pg.Screenshot, 4); n < 12 {
		t.Fatalf("screenshot has %d distinct colours: the page looks blank", n)
	}
	t.Logf("screenshot: %s", pg.ShotPath)
}
