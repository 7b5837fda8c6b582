package main

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/breachpath/breachpath/api"
	"github.com/breachpath/breachpath/graph/embedded"
	"github.com/breachpath/breachpath/graph/safetext"
)

// The hostile estate (testdata/hostile): a snapshot file and an
// authorization-details export whose names, tags, policies and texts carry
// spreadsheet formulas, terminal escape sequences, newlines, HTML and
// script, markdown breakouts, bidi overrides, very long values and invalid
// UTF-8. Every output format must show them as text (docs/security.md).

func hostileStore(t *testing.T) string {
	t.Helper()
	db := filepath.Join(t.TempDir(), "hostile.db")
	for _, args := range [][]string{
		{"collect", "file", filepath.Join("testdata", "hostile", "aws-210987654321.json")},
		{"collect", "aws", "--from-file", filepath.Join("testdata", "hostile", "authdetails.json")},
	} {
		if _, _, err := runRoot(t, append([]string{"--db", db}, args...)...); err != nil {
			t.Fatalf("%v: %v", args, err)
		}
	}
	return db
}

// checkTerminal fails on any character that acts on a terminal (all but
// the line feeds between lines) and on lines longer than maxLine.
func checkTerminal(t *testing.T, what, out string) {
	t.Helper()
	if !utf8.ValidString(out) {
		t.Errorf("%s: output is not valid UTF-8", what)
	}
	for i, line := range strings.Split(out, "\n") {
		for _, r := range line {
			if safetext.Acts(r) {
				t.Errorf("%s: line %d holds %U: %q", what, i+1, r, clip(line))
				break
			}
		}
		if n := utf8.RuneCountInString(line); n > 4000 {
			t.Errorf("%s: line %d is %d characters long", what, i+1, n)
		}
	}
	if strings.Contains(out, "FAKE ROW") && strings.Contains(out, "\nFAKE ROW") {
		t.Errorf("%s: a newline in a name started a forged row", what)
	}
}

// checkCSV fails on any cell a spreadsheet would evaluate.
func checkCSV(t *testing.T, what string, data []byte) {
	t.Helper()
	r := csv.NewReader(bytes.NewReader(data))
	r.FieldsPerRecord = -1
	rows, err := r.ReadAll()
	if err != nil {
		t.Fatalf("%s: not CSV: %v", what, err)
	}
	if len(rows) < 2 {
		t.Fatalf("%s: %d rows, want the hostile data", what, len(rows))
	}
	for i, row := range rows {
		for j, cell := range row {
			c := strings.TrimLeft(cell, " \n")
			if c != "" && strings.ContainsRune("=+-@\t\r", rune(c[0])) {
				t.Errorf("%s: row %d cell %d is a live formula: %q", what, i+1, j+1, clip(cell))
			}
		}
	}
}

// checkMarkdown fails on raw HTML and on anything that acts.
func checkMarkdown(t *testing.T, what, out string) {
	t.Helper()
	if strings.Contains(out, "<") {
		i := strings.Index(out, "<")
		t.Errorf("%s: raw '<' in markdown: %q", what, clip(out[max(0, i-40):]))
	}
	if strings.Contains(out, "](javascript:") && !strings.Contains(out, `\](javascript:`) {
		t.Errorf("%s: a live javascript: link", what)
	}
	checkTerminal(t, what, out)
}

// checkHTML fails on injected elements and on raw bidi or control characters.
func checkHTML(t *testing.T, what, out string) {
	t.Helper()
	for _, bad := range []string{"<img src=x", "<script>alert", "onerror=alert(1)>"} {
		if strings.Contains(out, bad) {
			t.Errorf("%s: injected markup %q", what, bad)
		}
	}
	for _, r := range out {
		if r != '\n' && r != '\t' && safetext.Acts(r) {
			t.Errorf("%s: raw %U in HTML", what, r)
			break
		}
	}
	if !strings.Contains(out, "unicode-bidi:isolate") {
		t.Errorf("%s: no bidi isolation", what)
	}
}

func clip(s string) string {
	if len(s) > 160 {
		return s[:160] + "…"
	}
	return s
}

func TestHostileEstateIsShownAsTextInEveryFormat(t *testing.T) {
	db := hostileStore(t)
	run := func(args ...string) string {
		t.Helper()
		out, _, err := runRoot(t, append([]string{"--db", db}, args...)...)
		if err != nil {
			t.Fatalf("%v: %v", args, err)
		}
		return out
	}
	for _, args := range [][]string{
		{"paths"}, {"paths", "--explain"}, {"plan"}, {"queue"}, {"ciem"}, {"graph", "stats"},
		{"query", "findings-off-path"}, {"query", "crown-jewels-most-inbound"}, {"query", "--list"},
	} {
		out := run(args...)
		if strings.Join(args, " ") == "paths --explain" && !strings.Contains(out, `\x1b]0;pwned\x07`) {
			t.Errorf("paths --explain does not show the escape sequence as text:\n%s", clip(out))
		}
		checkTerminal(t, strings.Join(args, " "), out)
	}
	for _, args := range [][]string{
		{"queue", "--format", "csv"}, {"ciem", "--format", "csv"}, {"query", "findings-off-path", "--format", "csv"},
	} {
		checkCSV(t, strings.Join(args, " "), []byte(run(args...)))
	}
	checkMarkdown(t, "ciem --format markdown", run("ciem", "--format", "markdown"))
	checkHTML(t, "ciem --format html", run("ciem", "--format", "html"))
	for _, args := range [][]string{{"queue", "--format", "json"}, {"queue", "--format", "sarif"}, {"queue", "--format", "ocsf"}, {"graph", "export"}, {"ciem", "--format", "json"}} {
		out := run(args...)
		if !json.Valid([]byte(out)) {
			t.Errorf("%v: not valid JSON", args)
		}
	}
}

func TestHostileEstateThroughTheAPI(t *testing.T) {
	db := hostileStore(t)
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	st, err := embedded.Open(t.Context(), db, embedded.WithLogger(quiet), embedded.WithMustExist())
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	const token = "hostile-token-0123456789"
	srv, err := api.New(api.Config{Store: st, Token: token, Logger: quiet, ListenAddr: "127.0.0.1:8080"})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(srv)
	defer ts.Close()
	get := func(path, host string) (int, []byte) {
		t.Helper()
		req, _ := http.NewRequest(http.MethodGet, ts.URL+path, nil)
		if host != "" {
			req.Host = host
		}
		req.Header.Set("Authorization", "Bearer "+token)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, b
	}
	if code, b := get("/api/v1/queue?format=csv", ""); code != http.StatusOK {
		t.Fatalf("queue csv: %d %s", code, b)
	} else {
		checkCSV(t, "GET /api/v1/queue?format=csv", b)
	}
	for _, f := range []struct{ format, kind string }{{"csv", "csv"}, {"markdown", "md"}, {"html", "html"}} {
		code, b := get("/api/v1/ciem?format="+f.format, "")
		if code != http.StatusOK {
			t.Fatalf("ciem %s: %d %s", f.format, code, b)
		}
		switch f.kind {
		case "csv":
			checkCSV(t, "GET /api/v1/ciem?format=csv", b)
		case "md":
			checkMarkdown(t, "GET /api/v1/ciem?format=markdown", string(b))
		case "html":
			checkHTML(t, "GET /api/v1/ciem?format=html", string(b))
		}
	}
	if code, _ := get("/api/v1/paths", "evil.example"); code != http.StatusMisdirectedRequest {
		t.Errorf("a foreign Host got %d, want 421", code)
	}
	if code, b := get("/api/v1/paths", ""); code != http.StatusOK || !json.Valid(b) {
		t.Errorf("paths: %d", code)
	}
}
