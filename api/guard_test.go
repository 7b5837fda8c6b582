package api

import (
	"context"
	"encoding/json"
	"io"
	"math"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/breachpath/breachpath/graph"
)

// rawGet sends one request with the given Host header and no answer check.
func rawGet(t *testing.T, c *client, path, host string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, c.base+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Host = host
	req.Header.Set("Authorization", "Bearer "+c.token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	var e ErrorBody
	_ = json.Unmarshal(b, &e)
	return resp.StatusCode, e.Error.Code
}

func TestForeignHostIsRefused(t *testing.T) {
	_, c := newServer(t, Config{Store: smallStore(t), NoAuth: true, ListenAddr: "127.0.0.1:8080", AllowedHosts: []string{"breachpath.internal.example"}})
	cases := []struct {
		host, path string
		status     int
	}{
		{"evil.example", "/api/v1/stats", http.StatusMisdirectedRequest},
		{"evil.example:8080", "/", http.StatusMisdirectedRequest},
		{"127.0.0.1.nip.io", "/api/v1/stats", http.StatusMisdirectedRequest},
		{"localhost:8080", "/api/v1/stats", http.StatusOK},
		{"127.0.0.1:8080", "/api/v1/stats", http.StatusOK},
		{"127.3.4.5", "/api/v1/stats", http.StatusOK},
		{"[::1]:8080", "/api/v1/stats", http.StatusOK},
		{"app.localhost", "/api/v1/stats", http.StatusOK},
		{"BreachPath.Internal.Example:443", "/api/v1/stats", http.StatusOK},
		{"evil.example", "/healthz", http.StatusOK},
	}
	for _, tc := range cases {
		status, code := rawGet(t, c, tc.path, tc.host)
		if status != tc.status {
			t.Errorf("GET %s with Host %q: %d %s, want %d", tc.path, tc.host, status, code, tc.status)
		}
		if tc.status == http.StatusMisdirectedRequest && code != codeForeignHost {
			t.Errorf("GET %s with Host %q: code %q, want %q", tc.path, tc.host, code, codeForeignHost)
		}
	}
}

// blockingStore holds Load until released, so a request stays in flight.
type blockingStore struct {
	graph.Store
	entered chan struct{}
	release chan struct{}
}

func (b *blockingStore) Load(ctx context.Context, f graph.Filter) (*graph.Graph, error) {
	b.entered <- struct{}{}
	<-b.release
	return b.Store.Load(ctx, f)
}

func TestRequestsBeyondTheInFlightCapAreRefused(t *testing.T) {
	st := &blockingStore{Store: smallStore(t), entered: make(chan struct{}, 1), release: make(chan struct{})}
	_, c := newServer(t, Config{Store: st, MaxInFlight: 1})
	first := make(chan answer, 1)
	go func() { first <- c.get("/api/v1/stats") }()
	<-st.entered // the first request holds the only slot
	busy := c.get("/api/v1/stats")
	if busy.status != http.StatusServiceUnavailable || busy.errorCode(t) != codeBusy || busy.header.Get("Retry-After") == "" {
		t.Errorf("second request while the first is in flight: %d %s", busy.status, busy.body)
	}
	close(st.release)
	if a := <-first; a.status != http.StatusOK {
		t.Errorf("first request: %d %s", a.status, a.body)
	}
	if a := c.get("/api/v1/stats"); a.status != http.StatusOK {
		t.Errorf("request after the slot was freed: %d %s", a.status, a.body)
	}
}

func TestAnswersBeyondTheBufferedBytesBudgetAreRefused(t *testing.T) {
	s, c := newServer(t, Config{Store: smallStore(t), MaxBufferedBytes: 1 << 20})
	if a := c.get("/api/v1/queue?format=csv"); a.status != http.StatusOK {
		t.Fatalf("queue download within the budget: %d %s", a.status, a.body)
	}
	if !s.buffered.take(1<<20 - 10) { // a slow reader holds almost all of it
		t.Fatal("the budget was not free after the answers were written")
	}
	for _, p := range []string{"/api/v1/queue?format=csv", "/api/v1/paths"} {
		if a := c.get(p); a.status != http.StatusServiceUnavailable || a.errorCode(t) != codeBusy {
			t.Errorf("GET %s with the budget held: %d %s", p, a.status, a.body)
		}
	}
	s.buffered.give(1<<20 - 10)
	if a := c.get("/api/v1/paths"); a.status != http.StatusOK {
		t.Errorf("GET /paths after the budget was returned: %d %s", a.status, a.body)
	}
}

func TestCursorOutOfRangeIsRefused(t *testing.T) {
	_, c := newServer(t, Config{Store: smallStore(t)})
	var list PathList
	c.get("/api/v1/paths?limit=1").decode(t, &list)
	for _, off := range []int{math.MaxInt, math.MaxInt - 1, maxCursorOffset + 1} {
		cur := cursor{Generation: list.Generation, List: "paths", Query: queryKey(nil), Offset: off}.encode()
		a := c.get("/api/v1/paths?limit=1&cursor=" + cur)
		if a.status != http.StatusBadRequest || a.errorCode(t) != codeBadCursor {
			t.Errorf("cursor at offset %d: %d %s", off, a.status, a.body)
		}
	}
}

// getFrom asks the server at base for path from the given local address.
func getFrom(t *testing.T, base, path, token string, local net.IP) int {
	t.Helper()
	tr := &http.Transport{DialContext: (&net.Dialer{LocalAddr: &net.TCPAddr{IP: local}}).DialContext}
	defer tr.CloseIdleConnections()
	req, err := http.NewRequest(http.MethodGet, base+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := (&http.Client{Transport: tr}).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, resp.Body)
	return resp.StatusCode
}

// TestLoopbackSourcesShareOneRateBucket: a local process may use any source
// address in 127.0.0.0/8; each must not buy a fresh bucket.
func TestLoopbackSourcesShareOneRateBucket(t *testing.T) {
	_, c := newServer(t, Config{Store: smallStore(t), Rate: 0.001, Burst: 3})
	for i := range 3 {
		if code := getFrom(t, c.base, "/api/v1/stats", c.token, net.IPv4(127, 0, 0, byte(2+i))); code != http.StatusOK {
			t.Fatalf("request %d: %d", i, code)
		}
	}
	if code := getFrom(t, c.base, "/api/v1/stats", c.token, net.IPv4(127, 0, 9, 9)); code != http.StatusTooManyRequests {
		t.Fatalf("a fourth loopback address after the shared burst: %d, want 429", code)
	}
}

func TestClientKeyGroupsAddressesThatOneHostControls(t *testing.T) {
	for _, tc := range []struct{ a, b string }{
		{"127.0.0.1", "127.200.3.4"},
		{"127.0.0.1", "::1"},
		{"::ffff:127.0.0.5", "127.0.0.9"},
		{"2001:db8:1:2::1", "2001:db8:1:2:ffff:ffff:ffff:ffff"},
	} {
		if clientKey(tc.a) != clientKey(tc.b) {
			t.Errorf("%s and %s have buckets %q and %q, want one", tc.a, tc.b, clientKey(tc.a), clientKey(tc.b))
		}
	}
	for _, tc := range []struct{ a, b string }{
		{"192.0.2.1", "192.0.2.2"},
		{"2001:db8:1:2::1", "2001:db8:1:3::1"},
		{"127.0.0.1", "192.0.2.1"},
	} {
		if clientKey(tc.a) == clientKey(tc.b) {
			t.Errorf("%s and %s share bucket %q", tc.a, tc.b, clientKey(tc.a))
		}
	}
}

// TestRateBucketsAreBounded: a scan from more distinct addresses than the
// limiter keeps buckets for leaves the map at its bound; the newcomers share
// the overflow bucket, which still limits them.
func TestRateBucketsAreBounded(t *testing.T) {
	now := time.Unix(1_800_000_000, 0)
	l := newClientLimiter(0.001, 2, func() time.Time { return now })
	l.max = 100
	for i := range 1000 {
		l.allow(net.IPv4(198, 51, byte(i>>8), byte(i)).String())
	}
	if n := len(l.clients); n > l.max+1 {
		t.Fatalf("%d buckets after 1000 addresses, bound %d", n, l.max+1)
	}
	if ok, _ := l.allow("203.0.113.7"); ok {
		t.Fatal("a newcomer while the map is full got a token: the overflow bucket does not limit")
	}
	// once the buckets are idle, a newcomer gets its own again
	now = now.Add(limiterIdle + time.Minute)
	if ok, _ := l.allow("203.0.113.7"); !ok {
		t.Fatal("a newcomer after the idle buckets went was limited")
	}
	if n := len(l.clients); n != 1 {
		t.Fatalf("%d buckets after the sweep, want 1", n)
	}
}

// TestReadyzAndStatsSayAMultiScopeWriteDidNotFinish: an open sync
// generation (a collect or demo of many scopes stopped half-way) keeps the
// server ready, and /readyz and /api/v1/stats say the estate may mix two
// collections; once a write completes they no longer do.
func TestReadyzAndStatsSayAMultiScopeWriteDidNotFinish(t *testing.T) {
	st := smallStore(t)
	ctx := context.Background()
	scopes := []graph.Scope{{Cloud: graph.CloudAWS, ID: "111111111111"}, {Cloud: graph.CloudAWS, ID: "222222222222"}}
	id, err := st.BeginGeneration(ctx, scopes)
	if err != nil {
		t.Fatal(err)
	}
	s, c := newServer(t, Config{Store: st})
	if err := s.Warm(ctx); err != nil {
		t.Fatal(err)
	}
	var ready struct {
		Status          string           `json:"status"`
		IncompleteWrite *IncompleteWrite `json:"incomplete_write"`
	}
	a := c.get("/readyz")
	a.decode(t, &ready)
	if a.status != http.StatusOK || ready.IncompleteWrite == nil || ready.IncompleteWrite.Generation != id ||
		len(ready.IncompleteWrite.Scopes) != 2 || !strings.Contains(ready.IncompleteWrite.Message, "did not finish") {
		t.Fatalf("/readyz with an open generation: %d %s", a.status, a.body)
	}
	var stats Stats
	c.get("/api/v1/stats").decode(t, &stats)
	if stats.IncompleteWrite == nil || stats.IncompleteWrite.Scopes[1] != "aws:222222222222" {
		t.Fatalf("/api/v1/stats with an open generation: %+v", stats.IncompleteWrite)
	}
	if err := st.EndGeneration(ctx, id); err != nil {
		t.Fatal(err)
	}
	ready.IncompleteWrite, stats.IncompleteWrite = nil, nil
	c.get("/readyz").decode(t, &ready)
	c.get("/api/v1/stats").decode(t, &stats)
	if ready.IncompleteWrite != nil || stats.IncompleteWrite != nil {
		t.Fatalf("after the generation ended: readyz %+v, stats %+v", ready.IncompleteWrite, stats.IncompleteWrite)
	}
}
