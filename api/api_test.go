package api

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/breachpath/breachpath/graph"
)

func TestEndpointsAnswerAsDocumented(t *testing.T) {
	_, c := newServer(t, Config{Store: smallStore(t)})
	var list PathList
	c.get("/api/v1/paths").decode(t, &list)
	if len(list.Items) != 1 {
		t.Fatalf("want the one planted path, got %+v", list)
	}
	pathID := list.Items[0].ID
	tests := []struct {
		name   string
		path   string
		status int
		code   string // error code, for errors
	}{
		{"healthz", "/healthz", 200, ""},
		{"readyz", "/readyz", 200, ""},
		{"openapi document", "/api/v1/openapi.json", 200, ""},
		{"paths", "/api/v1/paths?sort=hops&limit=5", 200, ""},
		{"paths filtered", "/api/v1/paths?cloud=aws&min_risk=1&technique=aws.s3.read&q=customer&min_sensitivity=confidential", 200, ""},
		{"paths target admin", "/api/v1/paths?target=admin&limit=2", 200, ""},
		{"paths target admin from a source", "/api/v1/paths?target=admin&source=" + url.QueryEscape(roleID), 200, ""},
		{"paths bad sort", "/api/v1/paths?sort=cost", 400, codeBadParameter},
		{"paths bad cloud", "/api/v1/paths?cloud=ibm", 400, codeBadParameter},
		{"paths bad min_risk", "/api/v1/paths?min_risk=abc", 400, codeBadParameter},
		{"paths risk over 100", "/api/v1/paths?min_risk=101", 400, codeBadParameter},
		{"paths bad limit", "/api/v1/paths?limit=0", 400, codeBadParameter},
		{"paths limit over max", "/api/v1/paths?limit=100000", 400, codeBadParameter},
		{"paths garbage cursor", "/api/v1/paths?cursor=!!!", 400, codeBadCursor},
		{"path detail", "/api/v1/paths/" + pathID, 200, ""},
		{"path unknown", "/api/v1/paths/path:000", 404, codeNotFound},
		{"findings on path", "/api/v1/findings", 200, ""},
		{"findings all", "/api/v1/findings?all=true&severity=critical", 200, ""},
		{"findings bad severity", "/api/v1/findings?severity=urgent", 400, codeBadParameter},
		{"findings bad all", "/api/v1/findings?all=maybe", 400, codeBadParameter},
		{"queue json", "/api/v1/queue", 200, ""},
		{"queue csv", "/api/v1/queue?format=csv", 200, ""},
		{"queue sarif", "/api/v1/queue?format=sarif", 200, ""},
		{"queue ocsf", "/api/v1/queue?format=ocsf", 200, ""},
		{"queue bad format", "/api/v1/queue?format=xlsx", 400, codeBadParameter},
		{"plan", "/api/v1/plan", 200, ""},
		{"whatif", "/api/v1/plan/whatif?fix=" + url.QueryEscape(findOpenSSH), 200, ""},
		{"whatif no fix", "/api/v1/plan/whatif", 400, codeBadParameter},
		{"whatif unknown finding", "/api/v1/plan/whatif?fix=nope", 400, codeBadParameter},
		{"node by query", "/api/v1/nodes?id=" + url.QueryEscape(vmID), 200, ""},
		{"node by escaped path", "/api/v1/nodes/" + url.PathEscape(vmID), 200, ""},
		{"node missing id", "/api/v1/nodes", 400, codeBadParameter},
		{"node unknown", "/api/v1/nodes?id=arn:nope", 404, codeNotFound},
		{"node unknown by path", "/api/v1/nodes/" + url.PathEscape("arn:aws:s3:::nope/x"), 404, codeNotFound},
		{"neighbourhood", "/api/v1/nodes/neighbourhood?id=" + url.QueryEscape(roleID) + "&depth=2", 200, ""},
		{"neighbourhood bad depth", "/api/v1/nodes/neighbourhood?id=" + url.QueryEscape(roleID) + "&depth=9", 400, codeBadParameter},
		{"neighbourhood unknown", "/api/v1/nodes/neighbourhood?id=x", 404, codeNotFound},
		{"search", "/api/v1/search?q=web", 200, ""},
		{"search empty", "/api/v1/search?q=", 400, codeBadParameter},
		{"search too long", "/api/v1/search?q=" + strings.Repeat("a", 201), 400, codeBadParameter},
		{"stats", "/api/v1/stats", 200, ""},
		{"unknown endpoint", "/api/v1/nope", 404, codeNotFound},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := c.get(tt.path)
			if a.status != tt.status {
				t.Fatalf("status %d, want %d: %s", a.status, tt.status, a.body)
			}
			if tt.code != "" {
				if got := a.errorCode(t); got != tt.code {
					t.Fatalf("code %q, want %q", got, tt.code)
				}
			}
		})
	}
}

func TestPathDetailExplainsHopsAndEnablingFindings(t *testing.T) {
	_, c := newServer(t, Config{Store: smallStore(t)})
	var list PathList
	c.get("/api/v1/paths").decode(t, &list)
	var d PathDetail
	c.get("/api/v1/paths/"+list.Items[0].ID).decode(t, &d)
	if d.Source != graph.InternetID || d.Target != bucketID || len(d.Hops) != 3 {
		t.Fatalf("path %s -> %s with %d hops, want internet -> bucket in 3", d.Source, d.Target, len(d.Hops))
	}
	if !strings.Contains(d.Hops[0].Explanation, findOpenSSH) || d.Hops[0].Technique != "net.internet-exposure" {
		t.Fatalf("first hop explanation %q does not cite %s", d.Hops[0].Explanation, findOpenSSH)
	}
	var ids []string
	for _, f := range d.Findings {
		ids = append(ids, f.ID)
		if f.Remediation == "" || !f.OnPath {
			t.Fatalf("enabling finding %s without remediation or not on path", f.ID)
		}
	}
	slices.Sort(ids)
	want := []string{findOpenSSH, findRoleRead}
	slices.Sort(want)
	if !slices.Equal(ids, want) {
		t.Fatalf("enabling findings %v, want %v", ids, want)
	}
	if len(d.Nodes) != 4 {
		t.Fatalf("%d nodes along the path, want 4", len(d.Nodes))
	}
}

func TestAuthentication(t *testing.T) {
	st := smallStore(t)
	_, c := newServer(t, Config{Store: st})
	tests := []struct {
		name   string
		path   string
		header string
		status int
	}{
		{"no token", "/api/v1/paths", "", 401},
		{"wrong token", "/api/v1/paths", "Bearer wrong-token-wrong-token", 401},
		{"token prefix", "/api/v1/paths", "Bearer " + testToken[:10], 401},
		{"basic scheme", "/api/v1/paths", "Basic " + testToken, 401},
		{"right token", "/api/v1/paths", "Bearer " + testToken, 200},
		{"scheme is case-insensitive", "/api/v1/stats", "bearer " + testToken, 200},
		{"healthz needs none", "/healthz", "", 200},
		{"readyz needs none", "/readyz", "", 200},
		{"openapi needs none", "/api/v1/openapi.json", "", 200},
		{"unknown api path without token", "/api/v1/nope", "", 404},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, _ := http.NewRequest(http.MethodGet, c.base+tt.path, nil)
			if tt.header != "" {
				req.Header.Set("Authorization", tt.header)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != tt.status {
				t.Fatalf("status %d, want %d", resp.StatusCode, tt.status)
			}
			if tt.status == 401 && resp.Header.Get("WWW-Authenticate") == "" {
				t.Fatal("401 without WWW-Authenticate")
			}
		})
	}
	// and every 401 is the documented error JSON
	if a := c.do(http.MethodGet, "/api/v1/paths", "", nil); a.errorCode(t) != codeUnauthorized {
		t.Fatal("missing token is not an unauthorized error")
	}
	if a := c.do(http.MethodGet, "/api/v1/findings", "nope-nope-nope-nope", nil); a.errorCode(t) != codeUnauthorized {
		t.Fatal("wrong token is not an unauthorized error")
	}

	_, open := newServer(t, Config{Store: st, NoAuth: true})
	if a := open.do(http.MethodGet, "/api/v1/paths", "", nil); a.status != 200 {
		t.Fatalf("NoAuth server answered %d", a.status)
	}
	if _, err := New(Config{Store: st}); err == nil {
		t.Fatal("New accepted a server without token and without NoAuth")
	}
	// /healthz tells the explorer whether to ask for a token
	for _, tt := range []struct {
		name string
		c    *client
		want string
	}{{"token", c, "bearer"}, {"no auth", open, "none"}} {
		var st struct{ Status, Auth string }
		c := tt.c
		if err := json.Unmarshal(c.do(http.MethodGet, "/healthz", "", nil).body, &st); err != nil || st.Status != "ok" || st.Auth != tt.want {
			t.Errorf("%s: /healthz = %+v (%v), want auth %q", tt.name, st, err, tt.want)
		}
	}
}

func TestErrorsAreJSONForEveryFailure(t *testing.T) {
	s, c := newServer(t, Config{Store: smallStore(t), MaxBodyBytes: 16})
	s.engine.GET("/api/v1/boom", func(*gin.Context) { panic("boom") })
	tests := []struct {
		name   string
		method string
		path   string
		body   []byte
		status int
		code   string
	}{
		{"method not allowed", http.MethodPost, "/api/v1/paths", nil, 405, codeMethodNotAllowed},
		{"delete not allowed", http.MethodDelete, "/api/v1/stats", nil, 405, codeMethodNotAllowed},
		{"no such route", http.MethodGet, "/api/v2/paths", nil, 404, codeNotFound},
		{"no such file", http.MethodGet, "/nope.js", nil, 404, codeNotFound},
		{"body too large", http.MethodGet, "/api/v1/stats", []byte(strings.Repeat("x", 64)), 413, codeBodyTooLarge},
		{"panic", http.MethodGet, "/api/v1/boom", nil, 500, codeInternal},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := c.do(tt.method, tt.path, testToken, tt.body)
			if a.status != tt.status {
				t.Fatalf("status %d, want %d: %s", a.status, tt.status, a.body)
			}
			if got := a.errorCode(t); got != tt.code {
				t.Fatalf("code %q, want %q", got, tt.code)
			}
			if ct := a.header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
				t.Fatalf("content type %q", ct)
			}
		})
	}
}

func TestSecurityHeaders(t *testing.T) {
	_, c := newServer(t, Config{Store: smallStore(t)})
	for _, p := range []string{"/healthz", "/api/v1/stats", "/api/v1/nope"} {
		a := c.get(p)
		csp := a.header.Get("Content-Security-Policy")
		if !strings.Contains(csp, "default-src 'self'") || !strings.Contains(csp, "frame-ancestors 'none'") ||
			strings.Contains(csp, "unsafe-inline") {
			t.Fatalf("%s: CSP %q", p, csp)
		}
		if a.header.Get("X-Content-Type-Options") != "nosniff" {
			t.Fatalf("%s: no nosniff", p)
		}
	}
}

func TestSecretLikePropsNeverLeave(t *testing.T) {
	_, c := newServer(t, Config{Store: smallStore(t)})
	for _, p := range []string{"/api/v1/nodes?id=" + url.QueryEscape(vmID), "/api/v1/nodes/" + url.PathEscape(vmID)} {
		a := c.get(p)
		var d NodeDetail
		a.decode(t, &d)
		for _, leaked := range []string{"hunter2", "BEGIN", "AKIA", "tag-secret-value"} {
			if strings.Contains(string(a.body), leaked) {
				t.Fatalf("%s leaks %q: %s", p, leaked, a.body)
			}
		}
		if d.Props["instance_type"] != "t3.micro" || d.Tags["owner"] != "team-web" {
			t.Fatalf("harmless props or tags were stripped too: %+v %+v", d.Props, d.Tags)
		}
	}
	// and search does not match on a secret tag's value
	var sr SearchResult
	c.get("/api/v1/search?q=tag-secret-value").decode(t, &sr)
	if len(sr.Items) != 0 {
		t.Fatalf("search matched a secret tag value: %+v", sr.Items)
	}
}

func TestSecretLikeKeys(t *testing.T) {
	tests := []struct {
		key    string
		secret bool
	}{
		{"password", true}, {"DB_PASSWORD", true}, {"private_key", true}, {"privateKey", true},
		{"aws-access-key-id", true}, {"client.secret", true}, {"api_token", true}, {"ConnectionString", true},
		{"instance_type", false}, {"port", false}, {"public", false}, {"owner", false}, {"key_id_arn", false},
	}
	for _, tt := range tests {
		if got := secretLike(tt.key); got != tt.secret {
			t.Errorf("secretLike(%q) = %v, want %v", tt.key, got, tt.secret)
		}
	}
}

func TestWhatIfRemovesThePathsTheFixCuts(t *testing.T) {
	_, c := newServer(t, Config{Store: smallStore(t)})
	var list PathList
	c.get("/api/v1/paths").decode(t, &list)
	var w WhatIf
	c.get("/api/v1/plan/whatif?fix="+url.QueryEscape(findRoleRead)).decode(t, &w)
	if w.PathsBefore != 1 || w.PathsAfter != 0 || !slices.Equal(w.Removed, []string{list.Items[0].ID}) ||
		!slices.Equal(w.ProtectedTargets, []string{bucketID}) {
		t.Fatalf("what-if %+v", w)
	}
	c.get("/api/v1/plan/whatif?fix="+url.QueryEscape(findIdleNoMFA)).decode(t, &w)
	if w.PathsAfter != 1 || len(w.Removed) != 0 {
		t.Fatalf("fixing an off-path finding removed paths: %+v", w)
	}
}

func TestFindingsAreOnPathUnlessAll(t *testing.T) {
	_, c := newServer(t, Config{Store: smallStore(t)})
	var on, all FindingList
	c.get("/api/v1/findings").decode(t, &on)
	c.get("/api/v1/findings?all=true").decode(t, &all)
	if on.Total != 2 || all.Total != 3 {
		t.Fatalf("on-path %d, all %d; want 2 and 3", on.Total, all.Total)
	}
	for _, f := range on.Items {
		if !f.OnPath {
			t.Fatalf("off-path finding %s in the default list", f.ID)
		}
	}
	var bySev FindingList
	c.get("/api/v1/findings?all=true&severity=critical").decode(t, &bySev)
	if bySev.Total != 1 || bySev.Items[0].ID != findIdleNoMFA {
		t.Fatalf("severity filter: %+v", bySev)
	}
	var byRes FindingList
	c.get("/api/v1/findings?resource="+url.QueryEscape(roleID)).decode(t, &byRes)
	if byRes.Total != 1 || byRes.Items[0].ID != findRoleRead {
		t.Fatalf("resource filter: %+v", byRes)
	}
}

func TestQueueDownloads(t *testing.T) {
	_, c := newServer(t, Config{Store: smallStore(t)})
	tests := []struct {
		format, ctype, file string
	}{
		{"csv", "text/csv", "breachpath-queue.csv"},
		{"json", "application/json", "breachpath-queue.json"},
		{"sarif", "application/sarif+json", "breachpath-queue.sarif"},
		{"ocsf", "application/json", "breachpath-queue.ocsf.json"},
	}
	for _, tt := range tests {
		t.Run(tt.format, func(t *testing.T) {
			a := c.get("/api/v1/queue?format=" + tt.format)
			if !strings.HasPrefix(a.header.Get("Content-Type"), tt.ctype) {
				t.Fatalf("content type %q", a.header.Get("Content-Type"))
			}
			if cd := a.header.Get("Content-Disposition"); cd != fmt.Sprintf(`attachment; filename="%s"`, tt.file) {
				t.Fatalf("content disposition %q", cd)
			}
		})
	}
	rows, err := csv.NewReader(strings.NewReader(string(c.get("/api/v1/queue?format=csv").body))).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 4 { // header + 3 findings
		t.Fatalf("%d CSV rows, want 4", len(rows))
	}
}

func TestNeighbourhoodIsCapped(t *testing.T) {
	_, c := newServer(t, Config{Store: smallStore(t)})
	var full, capped Neighbourhood
	c.get("/api/v1/nodes/neighbourhood?depth=3&id="+url.QueryEscape(vmID)).decode(t, &full)
	if len(full.Nodes) != 4 || full.Truncated {
		t.Fatalf("full neighbourhood: %d nodes, truncated %v", len(full.Nodes), full.Truncated)
	}
	// vm -> role is two edges (a fact and a move); both are listed once
	kinds := map[string]bool{}
	for _, e := range full.Edges {
		kinds[e.From+string(e.Kind)+e.To] = true
	}
	if len(kinds) != len(full.Edges) || len(full.Edges) != 4 {
		t.Fatalf("edges %+v", full.Edges)
	}
	c.get("/api/v1/nodes/neighbourhood?depth=3&limit=2&id="+url.QueryEscape(vmID)).decode(t, &capped)
	if len(capped.Nodes) != 2 || !capped.Truncated {
		t.Fatalf("capped neighbourhood: %d nodes, truncated %v", len(capped.Nodes), capped.Truncated)
	}
}

func TestSearchRanksExactMatchesFirst(t *testing.T) {
	_, c := newServer(t, Config{Store: smallStore(t)})
	var sr SearchResult
	c.get("/api/v1/search?q=WEB").decode(t, &sr)
	if len(sr.Items) != 2 || sr.Items[0].ID != vmID {
		t.Fatalf("search web: %+v", sr.Items)
	}
	c.get("/api/v1/search?q=team-web").decode(t, &sr) // a tag value
	if len(sr.Items) != 1 || sr.Items[0].ID != vmID {
		t.Fatalf("search by tag: %+v", sr.Items)
	}
	c.get("/api/v1/search?q=i-&limit=1").decode(t, &sr)
	if len(sr.Items) != 1 || !sr.Truncated {
		t.Fatalf("limited search: %+v", sr)
	}
}

func TestRateLimitPerClient(t *testing.T) {
	_, c := newServer(t, Config{Store: smallStore(t), Rate: 0.001, Burst: 3})
	for i := range 3 {
		if a := c.get("/api/v1/stats"); a.status != 200 {
			t.Fatalf("request %d: %d", i, a.status)
		}
	}
	a := c.get("/api/v1/stats")
	if a.status != http.StatusTooManyRequests || a.errorCode(t) != codeRateLimited || a.header.Get("Retry-After") == "" {
		t.Fatalf("4th request: %d %s (Retry-After %q)", a.status, a.body, a.header.Get("Retry-After"))
	}
	// liveness is not rate limited: orchestrators poll it
	if a := c.get("/healthz"); a.status != 200 {
		t.Fatalf("healthz limited: %d", a.status)
	}
}

func TestAccessLogNeverHoldsTheToken(t *testing.T) {
	var buf lockedLog
	log := slog.New(slog.NewJSONHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug}))
	_, c := newServer(t, Config{Store: smallStore(t), Logger: log})
	c.get("/api/v1/paths?q=web")
	c.do(http.MethodGet, "/api/v1/paths", "wrong-token-but-still-a-secret", nil)
	out := buf.String()
	if !strings.Contains(out, `"msg":"http request"`) || !strings.Contains(out, `"path":"/api/v1/paths"`) || !strings.Contains(out, `"status":401`) {
		t.Fatalf("no access log lines:\n%s", out)
	}
	for _, secret := range []string{testToken, "wrong-token-but-still-a-secret", "Bearer"} {
		if strings.Contains(out, secret) {
			t.Fatalf("the access log holds %q:\n%s", secret, out)
		}
	}
}

func TestHTTPServerHasTimeouts(t *testing.T) {
	hs := HTTPServer("127.0.0.1:0", http.NotFoundHandler(), slog.Default())
	if hs.ReadHeaderTimeout <= 0 || hs.ReadTimeout <= 0 || hs.WriteTimeout <= 0 || hs.IdleTimeout <= 0 || hs.MaxHeaderBytes <= 0 {
		t.Fatalf("missing timeouts: %+v", hs)
	}
}

// lockedLog collects log output written from server goroutines.
type lockedLog struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *lockedLog) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedLog) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func TestStoreFailuresAre503(t *testing.T) {
	st := smallStore(t)
	_, c := newServer(t, Config{Store: st})
	st.Close() // before the first analysis: nothing cached to fall back on
	for _, p := range []string{"/readyz", "/api/v1/paths", "/api/v1/stats"} {
		a := c.get(p)
		if a.status != http.StatusServiceUnavailable || a.errorCode(t) != codeUnavailable {
			t.Fatalf("%s with a closed store: %d %s", p, a.status, a.body)
		}
		if strings.Contains(string(a.body), "sql") {
			t.Fatalf("%s leaks store internals: %s", p, a.body)
		}
	}
	if a := c.get("/healthz"); a.status != 200 {
		t.Fatalf("liveness failed with the store: %d", a.status)
	}
}

func TestLastGoodAnalysisOutlivesTheStore(t *testing.T) {
	st := smallStore(t)
	now := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	var mu sync.Mutex
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	_, c := newServer(t, Config{Store: st, Now: clock})
	if a := c.get("/api/v1/paths"); a.status != 200 {
		t.Fatalf("first request: %d", a.status)
	}
	st.Close()
	mu.Lock()
	now = now.Add(time.Hour) // past the check interval and the TTL
	mu.Unlock()
	var list PathList
	c.get("/api/v1/paths").decode(t, &list)
	if list.Total != 1 {
		t.Fatalf("after the store went away: %+v", list)
	}
	if a := c.get("/readyz"); a.status != http.StatusServiceUnavailable {
		t.Fatalf("readyz with a closed store: %d", a.status)
	}
}
