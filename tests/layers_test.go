// Package tests holds checks over the whole repository rather than one package.
package tests

import (
	"bufio"
	"bytes"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
)

const module = "github.com/breachpath/breachpath"

// layers says which of the module's packages each layer may import
// (besides itself), by path prefix relative to the module. Data flows
// collector -> graph <- paths <- scoring <- api/CLI: the collectors and the
// engine meet only in graph, and nothing below the API imports upward.
// A package matches the longest prefix listed.
var layers = []struct {
	prefix string
	may    []string
}{
	{"graph", []string{"graph"}},
	// graph/storetest is the stores' conformance suite, imported only by
	// their tests: its scoped-load property test compares answers (paths
	// and scores) over the synthetic estate, so it reads the layers above.
	{"graph/storetest", []string{"graph", "paths", "scoring", "collector/synthetic"}},
	{"collector", []string{"graph", "collector", "internal"}},
	{"paths", []string{"graph"}},
	{"scoring", []string{"graph", "paths", "scoring", "opsconfig", "internal"}},
	{"queries", []string{"graph", "paths", "scoring"}},
	{"ciem", []string{"graph", "paths", "scoring", "ciem", "internal"}},
	{"web", nil},
	// opsconfig parses the operations config file: a leaf every layer above
	// the collectors may read. schedule runs collections through a runner
	// the command supplies, so it knows no cloud.
	{"opsconfig", nil},
	// internal holds cloud-agnostic leaves (a wildcard matcher, browser
	// test support) that import nothing of the module.
	{"internal", nil},
	{"schedule", []string{"graph", "paths", "scoring", "opsconfig"}},
	{"api", []string{"graph", "collector", "paths", "scoring", "queries", "ciem", "opsconfig", "schedule"}},
	{"cmd", []string{"graph", "collector", "paths", "scoring", "queries", "ciem", "api", "web", "cmd", "opsconfig", "schedule"}},
}

// under reports whether rel is the package prefix or below it.
func under(rel, prefix string) bool {
	return rel == prefix || strings.HasPrefix(rel, prefix+"/")
}

func layerOf(rel string) (may []string, ok bool) {
	best := -1
	for i, l := range layers {
		if under(rel, l.prefix) && (best < 0 || len(l.prefix) > len(layers[best].prefix)) {
			best = i
		}
	}
	if best < 0 {
		return nil, false
	}
	return layers[best].may, true
}

// goList runs `go list` in the module root and returns its output lines.
func goList(t *testing.T, args ...string) []string {
	t.Helper()
	gobin, err := exec.LookPath("go")
	if err != nil {
		gobin = filepath.Join(runtime.GOROOT(), "bin", "go")
	}
	cmd := exec.Command(gobin, append([]string{"list"}, args...)...)
	cmd.Dir = ".."
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list %s: %v\n%s", strings.Join(args, " "), err, stderr.String())
	}
	var lines []string
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		if l := strings.TrimSpace(sc.Text()); l != "" {
			lines = append(lines, l)
		}
	}
	return lines
}

// TestImportsFlowOneWay checks every package's own (non-test) imports
// against its layer: a collector importing the report side (ciem), or the
// engine importing a collector, fails here.
func TestImportsFlowOneWay(t *testing.T) {
	lines := goList(t, "-f", "{{.ImportPath}}{{range .Imports}} {{.}}{{end}}", module+"/...")
	checked := 0
	for _, l := range lines {
		fields := strings.Fields(l)
		pkg, ok := strings.CutPrefix(fields[0], module+"/")
		if !ok {
			continue
		}
		may, ok := layerOf(pkg)
		if !ok {
			if pkg == "tests" {
				continue
			}
			t.Errorf("package %s belongs to no layer: add it to layers", pkg)
			continue
		}
		checked++
		for _, imp := range fields[1:] {
			rel, own := strings.CutPrefix(imp, module+"/")
			if !own {
				continue
			}
			allowed := false
			for _, m := range may {
				if under(rel, m) {
					allowed = true
				}
			}
			if !allowed {
				t.Errorf("%s imports %s: its layer may import only %v", pkg, rel, may)
			}
		}
	}
	if checked < 20 {
		t.Fatalf("checked %d packages; go list found too few", checked)
	}
}

// TestCollectorsNeverDependOnTheReport is the acceptance check as
// it was stated: no package under collector/ has anything under ciem/ among
// its dependencies, direct or not.
func TestCollectorsNeverDependOnTheReport(t *testing.T) {
	deps := goList(t, "-deps", module+"/collector/...")
	for _, d := range deps {
		rel := strings.TrimPrefix(d, module+"/")
		for _, above := range []string{"ciem", "paths", "scoring", "queries", "api", "cmd"} {
			if under(rel, above) {
				t.Errorf("a collector package depends on %s", rel)
			}
		}
	}
	if !slices.Contains(deps, module+"/graph/entitlement") {
		t.Errorf("collector/... does not depend on graph/entitlement: the check no longer sees the collectors")
	}
}
