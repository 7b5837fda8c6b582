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
	"strings"
	"testing"
	"time"

	"github.com/breachpath/breachpath/internal/chromiumtest"

	"github.com/breachpath/breachpath/api"
	"github.com/breachpath/breachpath/collector/snapshotfile"
	"github.com/breachpath/breachpath/graph/embedded"
	"github.com/breachpath/breachpath/graph/safetext"
	"github.com/breachpath/breachpath/web"
)

// TestExplorerShowsTheHostileEstateAsText serves the hostile estate
// (cmd/breachpath/testdata/hostile) and drives the explorer over it in
// headless Chromium: no dialog, no console error, no injected element, no
// raw control or bidi character in anything shown, names isolated.
func TestExplorerShowsTheHostileEstateAsText(t *testing.T) {
	chromium := needBrowser(t)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	st, err := embedded.Open(ctx, filepath.Join(t.TempDir(), "hostile.db"), embedded.WithLogger(quiet))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	snap, err := snapshotfile.ReadFile(filepath.Join("..", "cmd", "breachpath", "testdata", "hostile", "aws-210987654321.json"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.Sync(ctx, snap); err != nil {
		t.Fatal(err)
	}
	const token = "hostile-e2e-token-0123456789"
	srv, err := api.New(api.Config{Store: st, Token: token, Logger: quiet, Assets: web.Assets(), Rate: 1000, Burst: 1000})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(srv)
	defer ts.Close()
	shot := filepath.Join(chromiumtest.ArtifactsDir(t), "explorer-hostile.png")
	cmd := exec.CommandContext(ctx, "node", filepath.Join("e2e", "hostile.e2e.mjs"))
	cmd.Env = append(os.Environ(), "BP_URL="+ts.URL+"/", "BP_TOKEN="+token, "BP_SCREENSHOT="+shot, "BP_CHROMIUM="+chromium)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("hostile e2e script: %v\nstderr:\n%s", err, stderr.String())
	}
	var res struct {
		ConsoleErrors []string `json:"consoleErrors"`
		Dialogs       []string `json:"dialogs"`
		PathsListed   int      `json:"pathsListed"`
		PathPanelText string   `json:"pathPanelText"`
		PathListText  string   `json:"pathListText"`
		NodePanels    []string `json:"nodePanels"`
		Labels        []string `json:"labels"`
		Injected      int      `json:"injected"`
		Isolated      string   `json:"isolated"`
	}
	if err := json.Unmarshal(bytes.TrimSpace(stdout.Bytes()), &res); err != nil {
		t.Fatalf("e2e output %q: %v", stdout.String(), err)
	}
	if len(res.Dialogs) > 0 || len(res.ConsoleErrors) > 0 {
		t.Fatalf("the hostile estate ran script: dialogs %q, console errors %q", res.Dialogs, res.ConsoleErrors)
	}
	if res.PathsListed == 0 || len(res.NodePanels) == 0 {
		t.Fatalf("nothing shown: %d paths, %d node panels", res.PathsListed, len(res.NodePanels))
	}
	if res.Injected != 0 {
		t.Errorf("%d elements injected by the estate", res.Injected)
	}
	if res.Isolated != "isolate" {
		t.Errorf("path names have unicode-bidi %q, want isolate", res.Isolated)
	}
	shown := append([]string{res.PathPanelText, res.PathListText}, res.NodePanels...)
	shown = append(shown, res.Labels...)
	all := strings.Join(shown, "\n")
	for _, r := range all {
		if r != '\n' && r != '\t' && safetext.Acts(r) {
			t.Errorf("the explorer shows a raw %U", r)
			break
		}
	}
	for _, want := range []string{`\u202e`, `\x1b]0;pwned\x07`, "<img src=x onerror=alert(1)>"} {
		if !strings.Contains(all, want) {
			t.Errorf("the explorer does not show %q as text", want)
		}
	}
}
