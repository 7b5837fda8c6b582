package compliance

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
)

// chromium returns the browser binary, skipping the test when it is missing
// unless BREACHPATH_REQUIRE_BROWSER is set (scripts/test.sh sets it).
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

// artifactsDir is where the screenshot is kept: BREACHPATH_ARTIFACTS, or
// the repository's artifacts/ directory.
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

// TestHTMLReportRendersInHeadlessChromium renders the self-contained HTML
// report in a real browser: the parsed DOM holds every control row in the
// report's order with the failing resources, a hostile resource name stays
// text, and the screenshot (kept as artifacts/compliance-report.png) is not
// blank.
func TestHTMLReportRendersInHeadlessChromium(t *testing.T) {
	bin := chromium(t)
	hostile := row("aws.onpath", "arn:aws:ec2:eu-west-1:111122223333:instance/i-0abc", true, 82)
	hostile.ResourceName = `<img src=x onerror="document.title='pwned'">web-1`
	rep := testReport(hostile,
		row("aws.noisy", "arn:aws:s3:::logs-bucket", false, 35),
		row("aws.port", "arn:aws:ec2:eu-west-1:111122223333:security-group/sg-1", false, 40, "TEST-1.0:3.1"))
	var page bytes.Buffer
	if err := WriteHTML(&page, rep); err != nil {
		t.Fatal(err)
	}
	html := page.String()
	for _, forbidden := range []string{"<script", "<link", "@import", "<img"} {
		if strings.Contains(html, forbidden) {
			t.Fatalf("HTML report is not self-contained or not inert: contains %q", forbidden)
		}
	}
	file := filepath.Join(t.TempDir(), "compliance-report.html")
	if err := os.WriteFile(file, page.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	shot := filepath.Join(artifactsDir(t), "compliance-report.png")
	_ = os.Remove(shot)
	flags := []string{"--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
		"--disable-sync", "--no-first-run", "--user-data-dir=" + t.TempDir()}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	dom, err := exec.CommandContext(ctx, bin, append(flags, "--dump-dom", "file://"+file)...).Output()
	if err != nil {
		t.Fatalf("chromium --dump-dom: %v", err)
	}
	d := string(dom)
	if strings.Contains(d, "pwned") && !strings.Contains(d, "&lt;img") {
		t.Fatal("the hostile resource name became markup")
	}
	var order []string
	for _, part := range strings.Split(d, `data-control="`)[1:] {
		order = append(order, part[:strings.IndexByte(part, '"')])
	}
	if got := strings.Join(order, " "); got != "2.1 3.1 1.10 1.2 3.2 4.1 1.1 2.2 4.2" {
		t.Errorf("rendered control order %q", got)
	}
	for _, want := range []string{"Test Benchmark", "logs-bucket", "on 2 attack path(s)", "<svg", "not evaluated"} {
		if !strings.Contains(d, want) {
			t.Errorf("rendered DOM lacks %q", want)
		}
	}
	out, err := exec.CommandContext(ctx, bin, append(flags, "--screenshot="+shot, "--window-size=1280,1000", "--virtual-time-budget=5000", "file://"+file)...).CombinedOutput()
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
	if b := img.Bounds(); b.Dx() != 1280 || b.Dy() != 1000 {
		t.Fatalf("screenshot is %v, want 1280x1000", b)
	}
	colours := map[uint32]bool{}
	for y := 0; y < 1000; y += 8 {
		for x := 0; x < 1280; x += 8 {
			r, g, b, _ := img.At(x, y).RGBA()
			colours[(r>>11)<<10|(g>>11)<<5|b>>11] = true
		}
	}
	if len(colours) < 8 {
		t.Fatalf("screenshot has %d distinct colours: the page looks blank", len(colours))
	}
	t.Logf("screenshot: %s", shot)
}
