package api

import (
	"bufio"
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// loadRSSCeiling is the documented ceiling of the process's peak resident
// memory while 200 clients load the API at once (docs/security.md).
const loadRSSCeiling = 512 << 20

// peakRSS reads VmHWM, the process's peak resident set, in bytes.
func peakRSS(t *testing.T) int64 {
	t.Helper()
	f, err := os.Open("/proc/self/status")
	if err != nil {
		t.Skipf("no /proc/self/status: %v", err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "VmHWM:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			if err != nil {
				t.Fatal(err)
			}
			return kb << 10
		}
	}
	t.Skip("no VmHWM in /proc/self/status")
	return 0
}

// TestTwoHundredClientsStayUnderTheMemoryCeiling: 200 clients, each from
// its own loopback address, ask at once
// for large answers (500-row path pages and the whole queue as CSV) three
// times each. The global caps must keep the process's peak RSS under the
// ceiling; every answer is a success or a 503/429 that says to retry.
func TestTwoHundredClientsStayUnderTheMemoryCeiling(t *testing.T) {
	if testing.Short() {
		t.Skip("load test skipped in -short mode")
	}
	st := estateStore(t)
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	// Loopback sources share one rate bucket; the limiter is opened wide so
	// the load reaches the global caps this test is about.
	s, err := New(Config{Store: st, NoAuth: true, Logger: quiet, Rate: 1e6, Burst: 1e6})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(s)
	defer ts.Close()
	if err := s.Warm(context.Background()); err != nil {
		t.Fatal(err)
	}
	// reset the peak so it measures the load, not what earlier tests did
	_ = os.WriteFile("/proc/self/clear_refs", []byte("5"), 0)
	before := peakRSS(t)

	const clients, rounds = 200, 3
	var (
		mu     sync.Mutex
		status = map[int]int{}
		wg     sync.WaitGroup
	)
	for i := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			local := &net.TCPAddr{IP: net.IPv4(127, 0, byte(1+i/250), byte(2+i%250))}
			tr := &http.Transport{DialContext: (&net.Dialer{LocalAddr: local, Timeout: 30 * time.Second}).DialContext, MaxConnsPerHost: 1}
			defer tr.CloseIdleConnections()
			c := &http.Client{Transport: tr, Timeout: 2 * time.Minute}
			for r := range rounds {
				path := "/api/v1/paths?limit=500"
				if (i+r)%2 == 1 {
					path = "/api/v1/queue?format=csv"
				}
				resp, err := c.Get(ts.URL + path)
				code := -1
				if err == nil {
					_, _ = io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
					code = resp.StatusCode
				}
				mu.Lock()
				status[code]++
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	peak := peakRSS(t)
	t.Logf("200 clients x %d requests: statuses %v; peak RSS %d MiB (before the load %d MiB, ceiling %d MiB)",
		rounds, status, peak>>20, before>>20, loadRSSCeiling>>20)
	for code, n := range status {
		switch code {
		case http.StatusOK, http.StatusServiceUnavailable, http.StatusTooManyRequests:
		default:
			t.Errorf("%d answers with status %d", n, code)
		}
	}
	if status[http.StatusOK] == 0 {
		t.Error("no request succeeded")
	}
	if peak > loadRSSCeiling {
		t.Errorf("peak RSS %d MiB over the %d MiB ceiling", peak>>20, loadRSSCeiling>>20)
	}
}
