package web_test

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/breachpath/breachpath/api"
	"github.com/breachpath/breachpath/graph"
	"github.com/breachpath/breachpath/graph/embedded"
	"github.com/breachpath/breachpath/web"
)

// runExplorerScript stores snap in a fresh embedded store, serves it with
// the explorer behind a token, runs e2e/<name>.e2e.mjs in headless
// Chromium against it and returns what the script printed.
func runExplorerScript(t *testing.T, name string, snap *graph.Snapshot) []byte {
	t.Helper()
	chromium := needBrowser(t)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	st, err := embedded.Open(ctx, filepath.Join(t.TempDir(), name+".db"), embedded.WithLogger(quiet))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if _, err := st.Sync(ctx, snap); err != nil {
		t.Fatal(err)
	}
	token := name + "-e2e-token-0123456789"
	srv, err := api.New(api.Config{Store: st, Token: token, Logger: quiet, Assets: web.Assets(), Rate: 1000, Burst: 1000})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(srv)
	defer ts.Close()
	cmd := exec.CommandContext(ctx, "node", filepath.Join("e2e", name+".e2e.mjs"))
	cmd.Env = append(os.Environ(), "BP_URL="+ts.URL+"/", "BP_TOKEN="+token, "BP_CHROMIUM="+chromium)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("%s e2e script: %v\nstderr:\n%s", name, err, stderr.String())
	}
	return stdout.Bytes()
}
