package web

import (
	"crypto/sha256"
	"encoding/hex"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// sourceFiles must list the same files as sourceFiles in build.mjs.
func sourceFiles(t *testing.T) []string {
	t.Helper()
	entries, err := os.ReadDir("src")
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range entries {
		if !strings.HasPrefix(e.Name(), ".") {
			out = append(out, "src/"+e.Name())
		}
	}
	out = append(out, "build.mjs", "package-lock.json", "tsconfig.json")
	slices.Sort(out)
	return out
}

// TestDistUpToDate fails when web/dist was not rebuilt after a change to
// the explorer's sources: run `make web` (cd web && npm ci && npm run build).
func TestDistUpToDate(t *testing.T) {
	h := sha256.New()
	for _, f := range sourceFiles(t) {
		b, err := os.ReadFile(filepath.FromSlash(f))
		if err != nil {
			t.Fatal(err)
		}
		h.Write([]byte(f + "\n"))
		h.Write(b)
		h.Write([]byte("\n"))
	}
	want := hex.EncodeToString(h.Sum(nil))
	got, err := fs.ReadFile(Assets(), "SOURCES.sha256")
	if err != nil {
		t.Fatalf("dist has no SOURCES.sha256: run make web (%v)", err)
	}
	if strings.TrimSpace(string(got)) != want {
		t.Fatalf("web/dist is stale (built from sources %s, the sources are now %s): run make web", strings.TrimSpace(string(got)), want)
	}
}

func TestAssetsHoldTheExplorer(t *testing.T) {
	for _, name := range []string{"index.html", "app.js", "style.css"} {
		b, err := fs.ReadFile(Assets(), name)
		if err != nil || len(b) == 0 {
			t.Fatalf("%s missing from the embedded assets: %v", name, err)
		}
	}
	index, _ := fs.ReadFile(Assets(), "index.html")
	// The CSP forbids inline scripts and remote assets: the page must not need them.
	for _, bad := range []string{"<script>", "onclick=", "http://", "https://", "<style"} {
		if strings.Contains(string(index), bad) {
			t.Fatalf("index.html contains %q", bad)
		}
	}
}
