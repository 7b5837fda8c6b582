package main

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/breachpath/breachpath/collector/synthetic"
	"github.com/breachpath/breachpath/graph/embedded"
)

// lockedBuffer is a bytes.Buffer safe to write from the server goroutine.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

var servingRe = regexp.MustCompile(`explorer http://([0-9.:]+)/`)

// startServe runs `serve` on an ephemeral loopback port and returns its
// address once it prints it.
func startServe(t *testing.T, db string, f serveFlags) (addr string, out *lockedBuffer, stop func() error) {
	t.Helper()
	a := newApp()
	out = &lockedBuffer{}
	a.stdout, a.stderr, a.dbPath, a.logLevel = out, io.Discard, db, "error"
	if err := a.setup(); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	go func() { errc <- a.runServe(ctx, f) }()
	for {
		if m := servingRe.FindStringSubmatch(out.String()); m != nil {
			return m[1], out, func() error { cancel(); return <-errc }
		}
		select {
		case err := <-errc:
			cancel()
			t.Fatalf("serve ended before listening: %v\n%s", err, out.String())
		case <-time.After(20 * time.Millisecond): // polling for the address line, not a timing assertion
		}
	}
}

func TestServeCreatesTokenOnceAndShutsDown(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "breachpath.db")
	st, err := embedded.Open(context.Background(), db)
	if err != nil {
		t.Fatal(err)
	}
	est, err := synthetic.Generate(context.Background(), synthetic.Options{Seed: 1, Resources: 1000})
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range est.Snapshots {
		if _, err := st.Sync(context.Background(), s); err != nil {
			t.Fatal(err)
		}
	}
	st.Close()

	addr, out, stop := startServe(t, db, serveFlags{listen: "127.0.0.1:0"})
	tokenFile := filepath.Join(dir, "breachpath.token")
	info, err := os.Stat(tokenFile)
	if err != nil || info.Mode().Perm() != 0o600 {
		t.Fatalf("token file next to the store: %v, mode %v", err, info.Mode().Perm())
	}
	raw, _ := os.ReadFile(tokenFile)
	token := strings.TrimSpace(string(raw))
	if strings.Count(out.String(), token) != 1 {
		t.Fatalf("the new token is not printed exactly once:\n%s", out.String())
	}
	get := func(path, tok string) int {
		req, _ := http.NewRequest(http.MethodGet, "http://"+addr+path, nil)
		if tok != "" {
			req.Header.Set("Authorization", "Bearer "+tok)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	for _, c := range []struct {
		path, tok string
		want      int
	}{
		{"/healthz", "", 200}, {"/", "", 200}, {"/app.js", "", 200},
		{"/api/v1/stats", "", 401}, {"/api/v1/stats", token, 200},
	} {
		if got := get(c.path, c.tok); got != c.want {
			t.Fatalf("GET %s: %d, want %d", c.path, got, c.want)
		}
	}
	if err := stop(); err != nil {
		t.Fatalf("graceful shutdown: %v", err)
	}
	if !strings.Contains(out.String(), "Stopped.") {
		t.Fatalf("no shutdown message:\n%s", out.String())
	}

	// A second start reuses the token and never prints it.
	_, out2, stop2 := startServe(t, db, serveFlags{listen: "127.0.0.1:0"})
	if strings.Contains(out2.String(), token) || !strings.Contains(out2.String(), "read from") {
		t.Fatalf("second start:\n%s", out2.String())
	}
	if err := stop2(); err != nil {
		t.Fatal(err)
	}
}

func TestServeRejectsBadListenAddress(t *testing.T) {
	a := newApp()
	a.stdout, a.stderr, a.dbPath, a.logLevel = io.Discard, io.Discard, filepath.Join(t.TempDir(), "x.db"), "error"
	if err := a.setup(); err != nil {
		t.Fatal(err)
	}
	if err := a.runServe(context.Background(), serveFlags{listen: "8080"}); !errors.Is(err, errUsage) {
		t.Fatalf("--listen 8080: %v, want a usage error", err)
	}
}

func TestIsLoopback(t *testing.T) {
	for host, want := range map[string]bool{"127.0.0.1": true, "::1": true, "localhost": true, "0.0.0.0": false, "": false, "10.0.0.1": false} {
		if got := isLoopback(host); got != want {
			t.Errorf("isLoopback(%q) = %v, want %v", host, got, want)
		}
	}
}
