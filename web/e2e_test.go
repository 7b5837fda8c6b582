package web_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/breachpath/breachpath/internal/chromiumtest"

	"github.com/breachpath/breachpath/api"
	"github.com/breachpath/breachpath/collector/synthetic"
	"github.com/breachpath/breachpath/graph"
	"github.com/breachpath/breachpath/graph/embedded"
	"github.com/breachpath/breachpath/paths"
	"github.com/breachpath/breachpath/scoring"
	"github.com/breachpath/breachpath/web"
)

// e2eResult is what web/e2e/explorer.e2e.mjs reports.
type e2eResult struct {
	ConsoleErrors        []string                                        `json:"consoleErrors"`
	PathsListed          int                                             `json:"pathsListed"`
	PlanSteps            int                                             `json:"planSteps"`
	TopPath              string                                          `json:"topPath"`
	HopEdges             int                                             `json:"hopEdges"`
	HopTechniques        []string                                        `json:"hopTechniques"`
	PathNodes            int                                             `json:"pathNodes"`
	PanelFindings        int                                             `json:"panelFindings"`
	PanelFindingIDs      []string                                        `json:"panelFindingIds"`
	PanelHops            int                                             `json:"panelHops"`
	MustPassHops         []string                                        `json:"mustPassHops"`
	MustPassMarked       int                                             `json:"mustPassMarked"`
	LongestPath          string                                          `json:"longestPath"`
	LongestMustPass      []string                                        `json:"longestMustPass"`
	ElementsBeforeExpand int                                             `json:"elementsBeforeExpand"`
	ElementsAfterExpand  int                                             `json:"elementsAfterExpand"`
	GraphDataNodes       int                                             `json:"graphDataNodes"`
	CutPaths             int                                             `json:"cutPaths"`
	Stress5k             struct{ AddMs, LayoutMs, FirstFrameMs float64 } `json:"stress5k"`
	StressElements       int                                             `json:"stressElements"`
	DownloadName         string                                          `json:"downloadName"`
	DownloadHeader       string                                          `json:"downloadHeader"`
	Zoom5kMs             float64                                         `json:"zoom5kMs"`
}

// needBrowser returns the Chromium to drive (chromiumtest.Find), or skips
// the test when it, node or node_modules are missing, unless
// BREACHPATH_REQUIRE_BROWSER is set, which turns that into a failure.
func needBrowser(t *testing.T) string {
	t.Helper()
	chromium, missing := chromiumtest.Find()
	if missing == "" {
		if _, err := exec.LookPath("node"); err != nil {
			missing = "node is not on PATH"
		} else if _, err := os.Stat(filepath.Join("node_modules", "playwright-core")); err != nil {
			missing = "web/node_modules is missing: run cd web && npm ci"
		}
	}
	chromiumtest.Require(t, missing)
	if testing.Short() {
		t.Skip("browser test skipped in -short mode")
	}
	return chromium
}

// serveEstate serves the API (cfg, with the store and the embedded
// explorer filled in) over a synthetic estate of the given size on
// 127.0.0.1; both are closed when the test ends.
func serveEstate(t *testing.T, ctx context.Context, resources int, cfg api.Config) (graph.Store, *httptest.Server) {
	t.Helper()
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	st, err := embedded.Open(ctx, filepath.Join(t.TempDir(), "breachpath.db"), embedded.WithLogger(quiet))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	est, err := synthetic.Generate(ctx, synthetic.Options{Seed: 1, Resources: resources})
	if err != nil {
		t.Fatal(err)
	}
	for _, snap := range est.Snapshots {
		if _, err := st.Sync(ctx, snap); err != nil {
			t.Fatal(err)
		}
	}
	cfg.Store, cfg.Logger, cfg.Assets, cfg.Rate, cfg.Burst = st, quiet, web.Assets(), 1000, 1000
	srv, err := api.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(srv) // 127.0.0.1 only
	t.Cleanup(ts.Close)
	return st, ts
}

// TestExplorerEndToEnd serves the API and the embedded explorer over the
// synthetic estate on 127.0.0.1 and drives the explorer in headless
// Chromium (see needBrowser for when it skips).
func TestExplorerEndToEnd(t *testing.T) {
	chromium := needBrowser(t)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	const token = "e2e-token-0123456789abcdef"
	st, ts := serveEstate(t, ctx, 2000, api.Config{Token: token})

	shot := filepath.Join(chromiumtest.ArtifactsDir(t), "explorer.png")
	cmd := exec.CommandContext(ctx, "node", filepath.Join("e2e", "explorer.e2e.mjs"))
	cmd.Env = append(os.Environ(), "BP_URL="+ts.URL+"/", "BP_TOKEN="+token, "BP_SCREENSHOT="+shot, "BP_CHROMIUM="+chromium)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("explorer e2e script: %v\nstderr:\n%s\nstdout:\n%s", err, stderr.String(), stdout.String())
	}
	var res e2eResult
	if err := json.Unmarshal(bytes.TrimSpace(stdout.Bytes()), &res); err != nil {
		t.Fatalf("e2e output %q: %v", stdout.String(), err)
	}

	// What the browser shows must be what the engine computed.
	g, err := st.Load(ctx, graphFilterAll)
	if err != nil {
		t.Fatal(err)
	}
	found, err := paths.Search(ctx, g, paths.Options{})
	if err != nil {
		t.Fatal(err)
	}
	rep := scoring.Score(g, found, scoring.Options{})
	top := rep.Paths[0]
	if res.TopPath != top.ID {
		t.Fatalf("the explorer's first path is %s, the engine's riskiest is %s", res.TopPath, top.ID)
	}
	if res.HopEdges != len(top.Hops) || res.PanelHops != len(top.Hops) {
		t.Fatalf("drawn %d hop edges and %d panel hops, the path has %d", res.HopEdges, res.PanelHops, len(top.Hops))
	}
	for i, h := range top.Hops {
		if res.HopTechniques[i] != h.Technique {
			t.Fatalf("hop %d labelled %q, want %q", i, res.HopTechniques[i], h.Technique)
		}
	}
	if !slices.Equal(res.PanelFindingIDs, top.Findings()) {
		t.Fatalf("side panel findings %v, want the enabling findings %v", res.PanelFindingIDs, top.Findings())
	}
	dom, err := paths.NewProjection(g).Dominators(ctx, paths.Options{})
	if err != nil {
		t.Fatal(err)
	}
	mustPass := func(target string) []string {
		mp, ok := dom.For(target)
		if !ok {
			t.Fatalf("no must-pass analysis for target %s", target)
		}
		var ids []string
		for _, h := range mp.Hops {
			ids = append(ids, h.ID)
		}
		return ids
	}
	if want := mustPass(top.Target); !slices.Equal(res.MustPassHops, want) || res.MustPassMarked != len(want) {
		t.Fatalf("must-pass panel %v with %d nodes marked, want %v", res.MustPassHops, res.MustPassMarked, want)
	}
	longest := slices.IndexFunc(rep.Paths, func(p scoring.ScoredPath) bool { return p.ID == res.LongestPath })
	if longest < 0 {
		t.Fatalf("the explorer's longest path %q is not the engine's", res.LongestPath)
	}
	if want := mustPass(rep.Paths[longest].Target); len(want) == 0 || !slices.Equal(res.LongestMustPass, want) {
		t.Fatalf("must-pass panel of the longest path %v, want %v (not empty)", res.LongestMustPass, want)
	}
	if res.ElementsAfterExpand <= res.ElementsBeforeExpand || res.GraphDataNodes == 0 {
		t.Fatalf("expanding a node did not add elements: %d -> %d", res.ElementsBeforeExpand, res.ElementsAfterExpand)
	}
	if res.PlanSteps > 0 && res.CutPaths == 0 {
		t.Fatal("what-if on the first choke point marked no path as cut")
	}
	if res.DownloadName != "breachpath-queue.csv" || !strings.Contains(res.DownloadHeader, "priority") {
		t.Fatalf("queue download %q, first line %q", res.DownloadName, res.DownloadHeader)
	}
	if res.StressElements != 5000 {
		t.Fatalf("stress drew %d elements, want 5000", res.StressElements)
	}
	if len(res.ConsoleErrors) > 0 {
		t.Fatalf("browser console errors (CSP violations show here): %v", res.ConsoleErrors)
	}
	t.Logf("explorer: %d paths listed, %d plan steps; expand %d -> %d elements; what-if cut %d paths",
		res.PathsListed, res.PlanSteps, res.ElementsBeforeExpand, res.ElementsAfterExpand, res.CutPaths)
	t.Logf("5k elements (measured, not asserted): add %.0f ms, layout %.0f ms, first frame %.0f ms; zoom to next frame %.0f ms",
		res.Stress5k.AddMs, res.Stress5k.LayoutMs, res.Stress5k.FirstFrameMs, res.Zoom5kMs)
	t.Logf("screenshot: %s", shot)
}

var graphFilterAll = graph.Filter{}

// TestExplorerUnderNoAuthAsksForNoToken serves the explorer with
// authentication off (serve --no-auth) and expects the paths to load in
// headless Chromium without the token dialog ever opening.
func TestExplorerUnderNoAuthAsksForNoToken(t *testing.T) {
	chromium := needBrowser(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	_, ts := serveEstate(t, ctx, 500, api.Config{NoAuth: true})
	cmd := exec.CommandContext(ctx, "node", filepath.Join("e2e", "noauth.e2e.mjs"))
	cmd.Env = append(os.Environ(), "BP_URL="+ts.URL+"/", "BP_CHROMIUM="+chromium)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("no-auth e2e script (did the explorer wait for a token?): %v\nstderr:\n%s\nstdout:\n%s", err, stderr.String(), stdout.String())
	}
	var res struct {
		ConsoleErrors []string `json:"consoleErrors"`
		PathsListed   int      `json:"pathsListed"`
		LoginOpened   bool     `json:"loginOpened"`
	}
	if err := json.Unmarshal(bytes.TrimSpace(stdout.Bytes()), &res); err != nil {
		t.Fatalf("e2e output %q: %v", stdout.String(), err)
	}
	if res.LoginOpened {
		t.Error("the explorer asked for a token although the server runs without authentication")
	}
	if res.PathsListed == 0 {
		t.Error("no paths listed")
	}
	if len(res.ConsoleErrors) > 0 {
		t.Errorf("browser console errors: %v", res.ConsoleErrors)
	}
}
