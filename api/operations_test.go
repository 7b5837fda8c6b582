package api

import (
	"testing"
	"time"

	"github.com/breachpath/breachpath/schedule"
	"github.com/breachpath/breachpath/scoring/trend"
)

func TestTrendShowsTheResolvedFindingAndThePathCountPerSync(t *testing.T) {
	cfg, obs := changedStore(t)
	_, c := newServer(t, *cfg)
	var r trend.Report
	a := c.get("/api/v1/metrics/trend")
	if a.status != 200 {
		t.Fatalf("status %d: %s", a.status, a.body)
	}
	a.decode(t, &r)
	if len(r.Paths) != 2 || r.Paths[0].Paths != len(obs[0].Paths) || r.Paths[1].Paths != len(obs[1].Paths) || r.Paths[0].SyncID != obs[0].SyncID {
		t.Errorf("paths %+v, want the two observations' counts", r.Paths)
	}
	// the SSH finding was open from the first sync to the second, an hour later
	if o := r.Remediation.Overall; o.Resolved != 1 || o.MeanHours != 1 || o.MedianHours != 1 {
		t.Errorf("overall %+v, want one finding resolved in 1h", o)
	}
	for _, q := range []string{"?since=yesterday", "?since=-1h", "?since=400d"} {
		if a := c.get("/api/v1/metrics/trend" + q); a.status != 400 || a.errorCode(t) != codeBadParameter {
			t.Errorf("%s: status %d", q, a.status)
		}
	}
}

func TestCollectionsAndReadyzShowTheLastRunOfEveryTarget(t *testing.T) {
	cfg, _ := changedStore(t)
	fin := time.Date(2026, 1, 1, 6, 0, 0, 0, time.UTC)
	statuses := []schedule.Status{
		{Target: "prod", Cloud: "aws", State: schedule.OK, LastFinished: &fin, LastSuccess: &fin, Scopes: []string{"111111111111"},
			Changes: &schedule.ChangeCounts{PathsOpened: 1}},
		{Target: "corp", Cloud: "azure", State: schedule.Failed, LastFinished: &fin, LastError: "token expired", ConsecutiveFailures: 2},
	}
	cfg.Collections = func() []schedule.Status { return statuses }
	s, c := newServer(t, *cfg)
	var body CollectionsBody
	a := c.get("/api/v1/collections")
	if a.status != 200 {
		t.Fatalf("status %d: %s", a.status, a.body)
	}
	a.decode(t, &body)
	if !body.Scheduled || len(body.Collections) != 2 || body.Collections[1].State != schedule.Failed || body.Collections[1].LastError != "token expired" {
		t.Errorf("collections %+v", body)
	}
	if err := s.Warm(t.Context()); err != nil {
		t.Fatal(err)
	}
	var ready struct {
		Status      string            `json:"status"`
		Collections []schedule.Status `json:"collections"`
	}
	a = c.do("GET", "/readyz", "", nil)
	a.decode(t, &ready)
	// a failed collection leaves the server ready: it serves the previous data
	if a.status != 200 || ready.Status != "ready" || len(ready.Collections) != 2 {
		t.Errorf("readyz %d %s", a.status, a.body)
	}

	_, plain := newServer(t, Config{Store: smallStore(t)})
	a = plain.get("/api/v1/collections")
	a.decode(t, &body)
	if a.status != 200 || body.Scheduled || len(body.Collections) != 0 {
		t.Errorf("without a schedule: %d %s", a.status, a.body)
	}
	if a := c.get("/api/v1/collections"); a.status != 200 {
		t.Errorf("status %d", a.status)
	}
	if a := c.do("GET", "/api/v1/collections", "", nil); a.status != 401 {
		t.Errorf("without a token: %d", a.status)
	}
}
