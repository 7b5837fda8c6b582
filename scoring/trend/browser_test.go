package trend_test

import (
	"bytes"
	"context"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/breachpath/breachpath/scoring/trend"
)

// chromium returns the browser binary, skipping the test when it is missing
// unless BREACHPATH_REQUIRE_BROWSER is set.
func chromium(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("BREACHPATH_REQUIRE_BROWSER") != "" {
		t.Fatal("BREACHPATH_REQUIRE_BROWSER is set but no chromium is installed")
	}
	t.Skip("chromium not installed (set BREACHPATH_REQUIRE_BROWSER=1 to make this a failure)")
	return ""
}

// artifactsDir is BREACHPATH_ARTIFACTS (scripts/test.sh: the repository's
// artifacts/) or artifacts/ at the repository root.
func artifactsDir(t *testing.T) string {
	t.Helper()
	dir := os.Getenv("BREACHPATH_ARTIFACTS")
	if dir == "" {
		dir = filepath.Join("..", "..", "artifacts")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		t.Fatal(err)
	}
	return abs
}

// TestHTMLTrendRendersInHeadlessChromium renders the trend page of three
// syncs (a database fixed after 10 hours, SSH closed after 34) in
// Chromium: the charts and tables are in the DOM the browser built, an
// owner name with a right-to-left override shows the override as an
// escape, and the screenshot (kept as artifacts/trend-report.png) is not
// blank.
func TestHTMLTrendRendersInHeadlessChromium(t *testing.T) {
	bin := chromium(t)
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
	file := filepath.Join(t.TempDir(), "trend-report.html")
	if err := os.WriteFile(file, page.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	shot := filepath.Join(artifactsDir(t), "trend-report.png")
	_ = os.Remove(shot)
	flags := []string{"--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
		"--disable-sync", "--no-first-run", "--user-data-dir=" + t.TempDir()}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	dom, err := exec.CommandContext(ctx, bin, append(flags, "--dump-dom", "file://"+file)...).Output()
	if err != nil {
		t.Fatalf("chromium --dump-dom: %v", err)
	}
	for _, want := range []string{`id="paths-chart"`, "<polyline", `id="age-chart"`, "<rect", `id="mttr-severity"`, `id="mttr-owner"`,
		`web-team\u202egpj.exe`, "34.0 h", "10.0 h", "Attack paths over time"} {
		if !strings.Contains(string(dom), want) {
			t.Errorf("rendered DOM lacks %q", want)
		}
	}
	out, err := exec.CommandContext(ctx, bin, append(flags, "--screenshot="+shot, "--window-size=1280,1800", "--virtual-time-budget=5000", "file://"+file)...).CombinedOutput()
	if err != nil {
		t.Fatalf("chromium --screenshot: %v\n%s", err, out)
	}
	f, err := os.Open(shot)
	if err != nil {
		t.Fatalf("no screenshot: %v\n%s", err, out)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatalf("screenshot is not a PNG: %v", err)
	}
	if b := img.Bounds(); b.Dx() != 1280 || b.Dy() != 1800 {
		t.Fatalf("screenshot is %v, want 1280x1800", b)
	}
	colours := map[uint32]bool{}
	for y := 0; y < 1800; y += 4 {
		for x := 0; x < 1280; x += 4 {
			r, g, b, _ := img.At(x, y).RGBA()
			colours[(r>>11)<<10|(g>>11)<<5|b>>11] = true
		}
	}
	if len(colours) < 12 {
		t.Fatalf("screenshot has %d distinct colours: the page looks blank", len(colours))
	}
	t.Logf("screenshot: %s", shot)
}
