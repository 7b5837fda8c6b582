package ciem_test

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

	"github.com/breachpath/breachpath/ciem"
	"github.com/breachpath/breachpath/collector"
	awscollector "github.com/breachpath/breachpath/collector/aws"
	"github.com/breachpath/breachpath/collector/aws/authdetails"
	"github.com/breachpath/breachpath/collector/aws/entitlements"
	"github.com/breachpath/breachpath/collector/aws/inventory"
	"github.com/breachpath/breachpath/graph"
)

// fixtureReport builds the report of the AWS fixture account with its
// last-accessed data, as `breachpath ciem --from-file --last-accessed` does.
func fixtureReport(t *testing.T) *ciem.Report {
	t.Helper()
	ctx := context.Background()
	now := time.Date(2026, 11, 25, 0, 0, 0, 0, time.UTC)
	buf, err := os.ReadFile(filepath.Join("aws", "testdata", "authdetails.json"))
	if err != nil {
		t.Fatal(err)
	}
	snap, _, err := awscollector.FromAuthDetails(ctx, bytes.NewReader(buf), "authdetails.json", awscollector.TransformOptions{})
	if err != nil {
		t.Fatal(err)
	}
	iam, err := authdetails.Load(bytes.NewReader(buf))
	if err != nil {
		t.Fatal(err)
	}
	if iam.LastAccessed, err = entitlements.ReadLastAccessedFile(filepath.Join("aws", "testdata", "last-accessed.json")); err != nil {
		t.Fatal(err)
	}
	inv := &inventory.Inventory{AccountID: "111122223333", Partition: "aws", CollectedAt: now, IAM: iam}
	if _, err := entitlements.Annotate(ctx, snap, inv, entitlements.Options{Now: now}); err != nil {
		t.Fatal(err)
	}
	rep, err := ciem.Build(ctx, graph.Assemble(snap.Nodes, snap.Edges, snap.Findings), ciem.Sources{Policies: collector.PolicyWriters()}, ciem.Options{Now: now})
	if err != nil {
		t.Fatal(err)
	}
	return rep
}

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

func artifactsDir(t *testing.T) string {
	t.Helper()
	dir := os.Getenv("BREACHPATH_ARTIFACTS")
	if dir == "" {
		dir = filepath.Join("..", "artifacts")
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

func TestHTMLReportRendersInHeadlessChromium(t *testing.T) {
	bin := chromium(t)
	rep := fixtureReport(t)
	var page bytes.Buffer
	if err := ciem.WriteHTML(&page, rep); err != nil {
		t.Fatal(err)
	}
	html := page.String()
	for _, forbidden := range []string{"<script", "http://", "https://", "<link", "@import", "src="} {
		if strings.Contains(html, forbidden) {
			t.Fatalf("HTML report is not self-contained: contains %q", forbidden)
		}
	}
	file := filepath.Join(t.TempDir(), "ciem-report.html")
	if err := os.WriteFile(file, page.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	shot := filepath.Join(artifactsDir(t), "ciem-report.png")
	_ = os.Remove(shot)
	flags := []string{"--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
		"--disable-sync", "--no-first-run", "--user-data-dir=" + t.TempDir()}

	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	// The DOM as the browser parsed it: the table and chart must be there.
	dom, err := exec.CommandContext(ctx, bin, append(flags, "--dump-dom", "file://"+file)...).Output()
	if err != nil {
		t.Fatalf("chromium --dump-dom: %v", err)
	}
	for _, want := range []string{"break-glass", "ci-deploy", "<svg", "Principals by over-privilege score", "Least-privilege policy", "lambda:GetFunction"} {
		if !strings.Contains(string(dom), want) {
			t.Errorf("rendered DOM lacks %q", want)
		}
	}
	out, err := exec.CommandContext(ctx, bin, append(flags, "--screenshot="+shot, "--window-size=1280,1600", "--virtual-time-budget=5000", "file://"+file)...).CombinedOutput()
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
	if b := img.Bounds(); b.Dx() != 1280 || b.Dy() != 1600 {
		t.Fatalf("screenshot is %v, want 1280x1600", b)
	}
	// A blank page is one colour; the report has a dark header, coloured score badges and bars.
	colours := map[uint32]bool{}
	for y := 0; y < 1600; y += 8 {
		for x := 0; x < 1280; x += 8 {
			r, g, b, _ := img.At(x, y).RGBA()
			colours[(r>>11)<<10|(g>>11)<<5|b>>11] = true
		}
	}
	if len(colours) < 20 {
		t.Fatalf("screenshot has %d distinct colours: the page looks blank", len(colours))
	}
	t.Logf("screenshot: %s", shot)
}
