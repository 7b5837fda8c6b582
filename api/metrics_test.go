package api

import (
	"bufio"
	"bytes"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/breachpath/breachpath/schedule"
)

// samples parses the Prometheus text format into "name{labels}" -> value.
func samples(t *testing.T, body []byte) map[string]float64 {
	t.Helper()
	out := map[string]float64{}
	sc := bufio.NewScanner(bytes.NewReader(body))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		i := strings.LastIndexByte(line, ' ')
		v, err := strconv.ParseFloat(line[i+1:], 64)
		if err != nil {
			t.Fatalf("metrics line %q: %v", line, err)
		}
		out[line[:i]] = v
	}
	return out
}

func TestMetricsNeedTheTokenAndCountPathsRequestsAndCollections(t *testing.T) {
	st := smallStore(t)
	s, c := newServer(t, Config{Store: st})
	if err := s.Warm(t.Context()); err != nil {
		t.Fatal(err)
	}
	if a := c.do("GET", "/metrics", "", nil); a.status != 401 {
		t.Fatalf("/metrics without the token: %d", a.status)
	}
	var list PathList
	c.get("/api/v1/paths").decode(t, &list)
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	s.CollectionFinished(t.Context(), schedule.Event{Target: "prod", State: schedule.OK, Started: start, Finished: start.Add(90 * time.Second)})
	s.CollectionFinished(t.Context(), schedule.Event{Target: "prod", State: schedule.Failed, Started: start, Finished: start.Add(time.Second)})

	a := c.get("/metrics")
	if a.status != 200 || !strings.HasPrefix(a.header.Get("Content-Type"), "text/plain") {
		t.Fatalf("/metrics: %d %s", a.status, a.header.Get("Content-Type"))
	}
	m := samples(t, a.body)
	total := 0.0
	for _, sev := range []string{"info", "low", "medium", "high", "critical"} {
		v, ok := m[`breachpath_open_attack_paths{severity="`+sev+`"}`]
		if !ok {
			t.Errorf("no open paths gauge for %s", sev)
		}
		total += v
	}
	if int(total) != list.Total || total == 0 {
		t.Errorf("open paths by severity sum to %v, the API lists %d", total, list.Total)
	}
	for key, want := range map[string]float64{
		`breachpath_api_request_duration_seconds_count{code="200",method="GET",route="/api/v1/paths"}`: 1,
		`breachpath_collection_duration_seconds_count{state="ok",target="prod"}`:                       1,
		`breachpath_collection_duration_seconds_sum{state="ok",target="prod"}`:                         90,
		`breachpath_collection_runs_total{state="failed",target="prod"}`:                               1,
		`breachpath_collection_last_success_timestamp_seconds{target="prod"}`:                          float64(start.Add(90 * time.Second).Unix()),
	} {
		if got, ok := m[key]; !ok || got != want {
			t.Errorf("%s = %v (present %v), want %v", key, got, ok, want)
		}
	}
	for key := range m {
		if strings.Contains(key, "arn:") || strings.Contains(key, "i-web") {
			t.Errorf("a metric label holds estate data: %s", key)
		}
	}

	_, public := newServer(t, Config{Store: st, MetricsPublic: true})
	if a := public.do("GET", "/metrics", "", nil); a.status != 200 {
		t.Errorf("public /metrics without the token: %d", a.status)
	}
}
