// Package chromiumtest is test support for pages that must work in a real
// browser: it finds headless Chromium (skipping the test when it is
// missing, unless BREACHPATH_REQUIRE_BROWSER is set, as scripts/test.sh
// does), renders a self-contained HTML page to the DOM the browser parsed
// and a PNG screenshot kept under artifacts/, and says whether the
// screenshot is more than a blank page. The assertions stay in each test.
package chromiumtest

import (
	"context"
	"errors"
	"image"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"
)

// Find returns the Chromium binary: $BREACHPATH_CHROMIUM, or the first of
// chromium, chromium-browser, google-chrome on PATH. missing says why there
// is none, or is "".
func Find() (path, missing string) {
	if p := os.Getenv("BREACHPATH_CHROMIUM"); p != "" {
		if _, err := os.Stat(p); err != nil {
			return p, "chromium not found at " + p + " (BREACHPATH_CHROMIUM)"
		}
		return p, ""
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p, ""
		}
	}
	return "", "chromium not installed"
}

// Require skips the test because of what is missing, or fails it when
// BREACHPATH_REQUIRE_BROWSER is set: CI must never skip a browser test. It
// does nothing when missing is "".
func Require(t testing.TB, missing string) {
	t.Helper()
	if missing == "" {
		return
	}
	if os.Getenv("BREACHPATH_REQUIRE_BROWSER") != "" {
		t.Fatalf("BREACHPATH_REQUIRE_BROWSER is set but %s", missing)
	}
	t.Skipf("%s (set BREACHPATH_REQUIRE_BROWSER=1 to make this a failure)", missing)
}

// Binary is Find followed by Require.
func Binary(t testing.TB) string {
	t.Helper()
	p, missing := Find()
	Require(t, missing)
	return p
}

// ArtifactsDir is where screenshots are kept, created if need be:
// $BREACHPATH_ARTIFACTS (scripts/test.sh sets it), or artifacts/ at the
// repository root (the directory holding go.mod above the test's package).
func ArtifactsDir(t testing.TB) string {
	t.Helper()
	dir := os.Getenv("BREACHPATH_ARTIFACTS")
	if dir == "" {
		root, err := repoRoot()
		if err != nil {
			t.Fatal(err)
		}
		dir = filepath.Join(root, "artifacts")
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

func repoRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("no go.mod above the test's directory")
		}
		dir = parent
	}
}

// Page is an HTML page as headless Chromium rendered it.
type Page struct {
	// DOM is the document as the browser parsed it (--dump-dom).
	DOM string
	// Screenshot is the decoded PNG; ShotPath where it is kept.
	Screenshot image.Image
	ShotPath   string
}

// Render loads html from a file in headless Chromium (bin, from Binary),
// dumps its DOM and takes a width x height screenshot kept as
// ArtifactsDir/<name>.png. It fails the test when the browser fails or the
// screenshot is missing or of another size.
func Render(t testing.TB, bin, name string, html []byte, width, height int) Page {
	t.Helper()
	file := filepath.Join(t.TempDir(), name+".html")
	if err := os.WriteFile(file, html, 0o644); err != nil {
		t.Fatal(err)
	}
	shot := filepath.Join(ArtifactsDir(t), name+".png")
	_ = os.Remove(shot)
	flags := []string{"--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
		"--disable-sync", "--no-first-run", "--user-data-dir=" + t.TempDir()}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	dom, err := exec.CommandContext(ctx, bin, append(flags, "--dump-dom", "file://"+file)...).Output()
	if err != nil {
		t.Fatalf("chromium --dump-dom: %v", err)
	}
	size := "--window-size=" + strconv.Itoa(width) + "," + strconv.Itoa(height)
	out, err := exec.CommandContext(ctx, bin, append(flags, "--screenshot="+shot, size, "--virtual-time-budget=5000", "file://"+file)...).CombinedOutput()
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
	if b := img.Bounds(); b.Dx() != width || b.Dy() != height {
		t.Fatalf("screenshot is %v, want %dx%d", b, width, height)
	}
	return Page{DOM: string(dom), Screenshot: img, ShotPath: shot}
}

// Colours counts the distinct colours (5 bits a channel) of every step-th
// pixel in both directions. A blank page has one; a rendered report with
// header, badges and charts has many.
func Colours(img image.Image, step int) int {
	seen := map[uint32]bool{}
	b := img.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y += step {
		for x := b.Min.X; x < b.Max.X; x += step {
			r, g, bl, _ := img.At(x, y).RGBA()
			seen[(r>>11)<<10|(g>>11)<<5|bl>>11] = true
		}
	}
	return len(seen)
}
