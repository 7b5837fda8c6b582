package notify

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/breachpath/breachpath/graph"
	"github.com/breachpath/breachpath/opsconfig"
	"github.com/breachpath/breachpath/scoring/drift"
)

var t0 = time.Date(2026, 12, 1, 8, 0, 0, 0, time.UTC)

// estate builds observations by hand: findings (id -> state) and paths
// (id -> the findings on it).
type estate struct {
	n     int64
	obs   *drift.Observation
	trunc bool
}

func (e *estate) next(findings map[string]drift.State, ps map[string][]string) *drift.Observation {
	e.n++
	o := &drift.Observation{ID: e.n, SyncID: e.n * 10, At: t0.Add(time.Duration(e.n) * time.Hour), Truncated: e.trunc}
	for id, st := range findings {
		o.Findings = append(o.Findings, drift.FindingRecord{ID: id, RuleID: "rule." + id, Resource: "arn:aws:s3:::" + id,
			Severity: graph.SeverityHigh, Title: "title " + id, State: st, Owner: "team-" + id})
	}
	for id, fs := range ps {
		o.Paths = append(o.Paths, drift.PathRecord{ID: id, Source: "internet", Target: "arn:aws:s3:::data", Hops: 2, Risk: 70, Findings: fs})
	}
	slices.SortFunc(o.Findings, func(a, b drift.FindingRecord) int { return strings.Compare(a.ID, b.ID) })
	slices.SortFunc(o.Paths, func(a, b drift.PathRecord) int { return strings.Compare(a.ID, b.ID) })
	e.obs = o
	return o
}

// receiver is a local webhook endpoint that verifies signatures and keeps
// every accepted body.
type receiver struct {
	t      *testing.T
	key    []byte
	mu     sync.Mutex
	bodies [][]byte
	// fail answers this status to the first failN requests (0: never).
	fail, failN, calls int
}

func (r *receiver) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	body, _ := io.ReadAll(req.Body)
	r.mu.Lock()
	defer r.mu.Unlock()
	r.calls++
	if r.calls <= r.failN {
		w.WriteHeader(r.fail)
		return
	}
	if r.key != nil {
		if err := Verify(r.key, req.Header.Get(HeaderSignature), req.Header.Get(HeaderTimestamp), body, time.Now(), 5*time.Minute); err != nil {
			r.t.Errorf("webhook signature: %v", err)
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		if req.Header.Get(HeaderDelivery) == "" {
			r.t.Errorf("no %s header", HeaderDelivery)
		}
	}
	r.bodies = append(r.bodies, body)
	w.WriteHeader(http.StatusNoContent)
}

// events returns the kinds and subjects of every event received so far,
// and forgets them.
func (r *receiver) take() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []string
	for _, b := range r.bodies {
		var body Body
		if err := json.Unmarshal(b, &body); err != nil {
			r.t.Fatalf("webhook body: %v", err)
		}
		if body.Schema != SchemaID {
			r.t.Errorf("schema %q", body.Schema)
		}
		for _, e := range body.Events {
			subj := ""
			if e.Finding != nil {
				subj = e.Finding.ID
			} else if e.Path != nil {
				subj = e.Path.ID
			}
			out = append(out, string(e.Kind)+" "+subj)
		}
	}
	r.bodies = nil
	slices.Sort(out)
	return out
}

type harness struct {
	t    *testing.T
	dir  string
	logs *bytes.Buffer
	cfg  *Config
}

func newHarness(t *testing.T, cfg *Config) *harness {
	cfg.Retry = RetryConfig{Attempts: 3, Backoff: Duration(time.Millisecond), MaxBackoff: Duration(2 * time.Millisecond)}
	return &harness{t: t, dir: t.TempDir(), logs: &bytes.Buffer{}, cfg: cfg}
}

// notifier builds a fresh notifier over the same files: a restart.
func (h *harness) notifier() *Notifier {
	h.t.Helper()
	n, err := New(Options{Config: h.cfg, StatePath: filepath.Join(h.dir, "state"), DeadLetterPath: filepath.Join(h.dir, "dead"),
		Logger: slog.New(slog.NewTextHandler(h.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))})
	if err != nil {
		h.t.Fatal(err)
	}
	return n
}

func (h *harness) run(o *drift.Observation) []SinkResult {
	h.t.Helper()
	res, err := h.notifier().Run(context.Background(), o)
	if err != nil {
		h.t.Fatal(err)
	}
	return res
}

func jsonHook(t *testing.T, url string) WebhookConfig {
	t.Setenv("BP_TEST_HOOK_KEY", "hook-key-s3cr3t-value")
	return WebhookConfig{Name: "generic", URL: url, SecretEnv: "BP_TEST_HOOK_KEY"}
}

func TestWebhookSendsExactlyWhatChangedOnceAcrossRestarts(t *testing.T) {
	rcv := &receiver{t: t, key: []byte("hook-key-s3cr3t-value")}
	srv := httptest.NewServer(rcv)
	defer srv.Close()
	h := newHarness(t, &Config{Webhooks: []WebhookConfig{jsonHook(t, srv.URL)}})
	var e estate

	// first run: the baseline, nothing sent
	res := h.run(e.next(map[string]drift.State{"a": drift.Open, "off": drift.Open}, map[string][]string{"p1": {"a"}}))
	if !res[0].Baseline || len(rcv.take()) != 0 {
		t.Fatalf("first run sent: %+v", res)
	}
	// a new on-path finding and its path; an off-path finding opened too
	o2 := e.next(map[string]drift.State{"a": drift.Open, "b": drift.Open, "off": drift.Open, "off2": drift.Open},
		map[string][]string{"p1": {"a"}, "p2": {"b"}})
	h.run(o2)
	if got, want := rcv.take(), []string{"finding.opened b", "path.opened p2"}; !slices.Equal(got, want) {
		t.Fatalf("second run sent %v, want %v", got, want)
	}
	// the same observation again, and after a restart: nothing
	h.run(o2)
	h.run(o2)
	if got := rcv.take(); len(got) != 0 {
		t.Fatalf("repeat sent %v", got)
	}
	// b fixed, p2 gone; a finding that was never announced resolving says nothing
	h.run(e.next(map[string]drift.State{"a": drift.Open, "b": drift.Resolved, "off": drift.Resolved}, map[string][]string{"p1": {"a"}}))
	if got, want := rcv.take(), []string{"finding.resolved b", "path.closed p2"}; !slices.Equal(got, want) {
		t.Fatalf("resolve run sent %v, want %v", got, want)
	}
	// b back: reopened, p2 opened again
	h.run(e.next(map[string]drift.State{"a": drift.Open, "b": drift.Open}, map[string][]string{"p1": {"a"}, "p2": {"b"}}))
	if got, want := rcv.take(), []string{"finding.reopened b", "path.opened p2"}; !slices.Equal(got, want) {
		t.Fatalf("reopen run sent %v, want %v", got, want)
	}
}

func TestFailedCollectionSendsNoResolved(t *testing.T) {
	rcv := &receiver{t: t, key: []byte("hook-key-s3cr3t-value")}
	srv := httptest.NewServer(rcv)
	defer srv.Close()
	h := newHarness(t, &Config{Webhooks: []WebhookConfig{jsonHook(t, srv.URL)}, NotifyExisting: true})
	var e estate
	h.run(e.next(map[string]drift.State{"a": drift.Open}, map[string][]string{"p1": {"a"}}))
	if got := rcv.take(); len(got) != 2 {
		t.Fatalf("notify_existing: first run sent %v", got)
	}
	// the area failed: the finding is stale, its path kept through stale edges
	h.run(e.next(map[string]drift.State{"a": drift.Stale}, map[string][]string{"p1": {"a"}}))
	// and a run whose load did not see the finding at all
	h.run(e.next(map[string]drift.State{}, map[string][]string{"p1": {"a"}}))
	// a truncated search that misses the path says nothing about it either
	e.trunc = true
	h.run(e.next(map[string]drift.State{"a": drift.Stale}, nil))
	if got := rcv.take(); len(got) != 0 {
		t.Fatalf("a failed collection sent %v", got)
	}
	e.trunc = false
	h.run(e.next(map[string]drift.State{"a": drift.Resolved}, nil))
	if got, want := rcv.take(), []string{"finding.resolved a", "path.closed p1"}; !slices.Equal(got, want) {
		t.Fatalf("after a good collection: %v, want %v", got, want)
	}
}

func TestDeliveryRetriesOn5xxThenDeadLetters(t *testing.T) {
	cases := []struct {
		name      string
		status    int
		failN     int
		wantCalls int
		wantDead  bool
	}{
		{"two 503s then success", http.StatusServiceUnavailable, 2, 3, false},
		{"429 is retried", http.StatusTooManyRequests, 1, 2, false},
		{"always 500: dead letter after every attempt", http.StatusInternalServerError, 100, 3, true},
		{"400 is not retried", http.StatusBadRequest, 100, 1, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			rcv := &receiver{t: t, key: []byte("hook-key-s3cr3t-value"), fail: tc.status, failN: tc.failN}
			srv := httptest.NewServer(rcv)
			defer srv.Close()
			h := newHarness(t, &Config{Webhooks: []WebhookConfig{jsonHook(t, srv.URL)}, NotifyExisting: true})
			var e estate
			res := h.run(e.next(map[string]drift.State{"a": drift.Open}, map[string][]string{"p1": {"a"}}))
			if rcv.calls != tc.wantCalls {
				t.Errorf("calls = %d, want %d", rcv.calls, tc.wantCalls)
			}
			dead := filepath.Join(h.dir, "dead")
			b, err := os.ReadFile(dead)
			if !tc.wantDead {
				if err == nil || res[0].Sent != 2 {
					t.Fatalf("delivered: result %+v, dead letter present: %v", res[0], err == nil)
				}
				return
			}
			if err != nil {
				t.Fatalf("no dead-letter file: %v", err)
			}
			if fi, _ := os.Stat(dead); fi.Mode().Perm() != 0o600 {
				t.Errorf("dead-letter mode %v", fi.Mode().Perm())
			}
			var dl DeadLetter
			if err := json.Unmarshal(bytes.TrimSpace(b), &dl); err != nil {
				t.Fatalf("dead letter: %v", err)
			}
			var body Body
			if err := json.Unmarshal(dl.Body, &body); err != nil || len(body.Events) != 2 || dl.Attempts != tc.wantCalls || dl.Sink != "generic" {
				t.Fatalf("dead letter %+v (body %v)", dl, err)
			}
			if bytes.Contains(b, []byte("hook-key")) || bytes.Contains(b, []byte(srv.URL)) {
				t.Errorf("the dead letter holds the key or the URL: %s", b)
			}
			// given up: a later run does not send it again
			calls := rcv.calls
			h.run(e.obs)
			if rcv.calls != calls {
				t.Errorf("a dead-lettered delivery was sent again")
			}
		})
	}
}

func TestSlackPayloadFollowsBlockKit(t *testing.T) {
	rcv := &receiver{t: t}
	srv := httptest.NewServer(rcv)
	defer srv.Close()
	t.Setenv("BP_TEST_SLACK_URL", srv.URL+"/services/T000/B000/XXXXSECRET")
	h := newHarness(t, &Config{NotifyExisting: true, Webhooks: []WebhookConfig{{Name: "slack", Format: FormatSlack, URLEnv: "BP_TEST_SLACK_URL"}}})
	var e estate
	o := e.next(map[string]drift.State{"a": drift.Open}, map[string][]string{"p1": {"a"}})
	o.Findings[0].Title = "<!channel> <http://evil.example|click> " + strings.Repeat("x", 4000)
	h.run(o)
	if len(rcv.bodies) != 1 {
		t.Fatalf("%d messages", len(rcv.bodies))
	}
	var msg struct {
		Text   string `json:"text"`
		Blocks []struct {
			Type string `json:"type"`
			Text *struct {
				Type, Text string
				Emoji      bool
			} `json:"text"`
			Fields   []struct{ Type, Text string } `json:"fields"`
			Elements []struct{ Type, Text string } `json:"elements"`
		} `json:"blocks"`
	}
	dec := json.NewDecoder(bytes.NewReader(rcv.bodies[0]))
	if err := dec.Decode(&msg); err != nil {
		t.Fatal(err)
	}
	if msg.Text == "" || strings.Contains(msg.Text, "<!channel>") {
		t.Errorf("fallback text %q", msg.Text)
	}
	if len(msg.Blocks) > 50 || msg.Blocks[0].Type != "header" || msg.Blocks[len(msg.Blocks)-1].Type != "context" {
		t.Fatalf("blocks %+v", msg.Blocks)
	}
	if n := len([]rune(msg.Blocks[0].Text.Text)); msg.Blocks[0].Text.Type != "plain_text" || n > 150 {
		t.Errorf("header %+v", msg.Blocks[0].Text)
	}
	sections := 0
	for _, b := range msg.Blocks[1 : len(msg.Blocks)-1] {
		if b.Type != "section" || b.Text == nil || b.Text.Type != "plain_text" || len([]rune(b.Text.Text)) > 3000 || len(b.Fields) > 10 {
			t.Fatalf("section %+v", b)
		}
		for _, f := range b.Fields {
			// estate text only ever as plain_text: no mrkdwn, mention or link parsing
			if f.Type != "plain_text" || len([]rune(f.Text)) > 2000 {
				t.Errorf("field %+v", f)
			}
		}
		sections++
	}
	if sections != 2 {
		t.Errorf("%d sections, want one per event (2)", sections)
	}
}

func TestTeamsPayloadIsAnAdaptiveCardMessage(t *testing.T) {
	rcv := &receiver{t: t}
	srv := httptest.NewServer(rcv)
	defer srv.Close()
	dir := t.TempDir()
	urlFile := filepath.Join(dir, "teams-url")
	if err := os.WriteFile(urlFile, []byte(srv.URL+"/webhookb2/SECRETPART\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	h := newHarness(t, &Config{NotifyExisting: true, Webhooks: []WebhookConfig{{Name: "teams", Format: FormatTeams, URLFile: urlFile}}})
	var e estate
	o := e.next(map[string]drift.State{"a": drift.Open}, map[string][]string{"p1": {"a"}})
	o.Findings[0].Title = "[click](http://evil.example) **bold**"
	h.run(o)
	if len(rcv.bodies) != 1 {
		t.Fatalf("%d messages", len(rcv.bodies))
	}
	var msg struct {
		Type        string `json:"type"`
		Attachments []struct {
			ContentType string          `json:"contentType"`
			ContentURL  *string         `json:"contentUrl"`
			Content     json.RawMessage `json:"content"`
		} `json:"attachments"`
	}
	if err := json.Unmarshal(rcv.bodies[0], &msg); err != nil {
		t.Fatal(err)
	}
	if msg.Type != "message" || len(msg.Attachments) != 1 || msg.Attachments[0].ContentType != "application/vnd.microsoft.card.adaptive" {
		t.Fatalf("message %+v", msg)
	}
	var card struct {
		Schema  string `json:"$schema"`
		Type    string `json:"type"`
		Version string `json:"version"`
		Body    []struct {
			Type  string `json:"type"`
			Text  string `json:"text"`
			Facts []struct{ Title, Value string }
		} `json:"body"`
	}
	if err := json.Unmarshal(msg.Attachments[0].Content, &card); err != nil {
		t.Fatal(err)
	}
	if card.Type != "AdaptiveCard" || card.Version != "1.4" || !strings.Contains(card.Schema, "adaptive-card.json") {
		t.Fatalf("card %+v", card)
	}
	facts, found := 0, false
	for _, b := range card.Body {
		switch b.Type {
		case "TextBlock":
			if strings.Contains(b.Text, "[click](http") || strings.Contains(b.Text, "**bold**") {
				t.Errorf("estate markdown renders: %q", b.Text)
			}
			found = found || strings.Contains(b.Text, "click")
		case "FactSet":
			facts++
		default:
			t.Errorf("unexpected element %q", b.Type)
		}
	}
	if facts != 2 || !found {
		t.Errorf("facts %d, title shown %v", facts, found)
	}
}

func TestSecretsNeverReachLogsOrResults(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusBadGateway)
	}))
	defer srv.Close()
	t.Setenv("BP_TEST_SLACK_URL", srv.URL+"/services/T000/B000/SLACKSECRET")
	t.Setenv("BP_TEST_JIRA_TOKEN", "jira-token-SECRET")
	cfg := &Config{NotifyExisting: true, Webhooks: []WebhookConfig{jsonHook(t, srv.URL+"/hook"),
		{Name: "slack", Format: FormatSlack, URLEnv: "BP_TEST_SLACK_URL"}},
		Jira: &JiraConfig{URL: srv.URL, Project: "SEC", User: "bot@example.com", TokenEnv: "BP_TEST_JIRA_TOKEN"}}
	h := newHarness(t, cfg)
	var e estate
	res := h.run(e.next(map[string]drift.State{"a": drift.Open}, map[string][]string{"p1": {"a"}}))
	out, _ := json.Marshal(res)
	dead, _ := os.ReadFile(filepath.Join(h.dir, "dead"))
	for _, where := range []struct {
		name string
		text string
	}{{"logs", h.logs.String()}, {"results", string(out)}, {"dead letter", string(dead)}} {
		for _, s := range []string{"hook-key-s3cr3t-value", "SLACKSECRET", "jira-token-SECRET", "Ym90QGV4YW1wbGUuY29tOmppcmEtdG9rZW4tU0VDUkVU"} {
			if strings.Contains(where.text, s) {
				t.Errorf("%s hold a secret (%s)", where.name, s)
			}
		}
	}
	if !strings.Contains(h.logs.String(), "dead-letter") {
		t.Errorf("the failures were not logged: %s", h.logs.String())
	}
}

func TestConfigRejectsUnsafeOrIncompleteSinks(t *testing.T) {
	const target = "targets:\n  - {name: a, cloud: aws}\n"
	cases := map[string]string{
		"inline slack url":      "notify:\n  webhooks:\n    - name: s\n      format: slack\n      url: https://hooks.example/x\n",
		"unsigned json webhook": "notify:\n  webhooks:\n    - name: s\n      url: https://example.com/x\n",
		"inline secret key":     "notify:\n  webhooks:\n    - name: s\n      url: https://example.com/x\n      secret: abc\n",
		"unknown format":        "notify:\n  webhooks:\n    - name: s\n      format: irc\n      url_env: X\n",
		"duplicate names":       "notify:\n  webhooks:\n    - {name: s, url_env: X, format: slack}\n    - {name: s, url_env: Y, format: slack}\n",
		"unknown event":         "notify:\n  webhooks:\n    - {name: s, url_env: X, format: slack, events: [finding.fixed]}\n",
		"jira without token":    "notify:\n  jira:\n    url: https://jira.example\n    project: SEC\n",
		"jira inline token":     "notify:\n  jira:\n    url: https://jira.example\n    project: SEC\n    token: abc\n",
		"jira bad api version":  "notify:\n  jira: {url: https://jira.example, project: SEC, token_env: T, api_version: 4}\n",
		"unknown owners key":    "owners:\n  tagkeys: [x]\n",
		"non-http webhook url":  "notify:\n  webhooks:\n    - {name: s, url: 'file:///etc/passwd', secret_env: K}\n",
		"url with credentials":  "notify:\n  webhooks:\n    - {name: s, url: 'https://u:p@example.com/', secret_env: K}\n",
		"bad min severity":      "notify:\n  webhooks:\n    - {name: s, url_env: X, format: teams, min_severity: urgent}\n",
	}
	for name, doc := range cases {
		t.Run(name, func(t *testing.T) {
			if _, err := opsconfig.Parse([]byte(target + doc)); err == nil {
				t.Fatalf("accepted:\n%s", doc)
			}
		})
	}
	c, err := opsconfig.Parse([]byte(target + `
owners:
  tag_keys: [owner]
  default: secops
notify:
  timeout: 10s
  webhooks:
    - name: secops
      url: https://example.com/hook
      secret_file: /run/secrets/hook
      min_severity: high
      owners: ["team-*"]
  jira:
    url: https://example.atlassian.net
    project: SEC
    api_version: 3
    user: bot@example.com
    token_env: JIRA_TOKEN
`))
	if err != nil {
		t.Fatal(err)
	}
	if c.Owners.Default != "secops" || len(c.Notify.Webhooks) != 1 || c.Notify.Webhooks[0].MinSeverity != "high" ||
		c.Notify.Jira.APIVersion != 3 || c.Notify.Timeout.D() != 10*time.Second {
		t.Fatalf("parsed %+v", c)
	}
}

// The config file is checked by opsconfig, which imports nothing of
// breachpath: its lists of event kinds and severities must stay ours.
func TestConfigListsMatchTheKindsAndSeverities(t *testing.T) {
	var kinds []string
	for _, k := range AllKinds {
		kinds = append(kinds, string(k))
	}
	if !slices.Equal(kinds, opsconfig.NotifyEvents) {
		t.Errorf("opsconfig.NotifyEvents %v, want %v", opsconfig.NotifyEvents, kinds)
	}
	var sev []string
	for s := graph.SeverityInfo; s <= graph.SeverityCritical; s++ {
		sev = append(sev, s.String())
	}
	if !slices.Equal(sev, opsconfig.Severities) {
		t.Errorf("opsconfig.Severities %v, want %v", opsconfig.Severities, sev)
	}
}

func TestFilterRoutesByOwnerSeverityAndKind(t *testing.T) {
	f := &drift.FindingRecord{ID: "a", Severity: graph.SeverityMedium, Owner: "team-pay"}
	cases := []struct {
		name   string
		filter Filter
		e      Event
		want   bool
	}{
		{"no filter", Filter{}, Event{Kind: FindingOpened, Finding: f}, true},
		{"owner pattern", Filter{Owners: []string{"team-*"}}, Event{Kind: FindingOpened, Finding: f}, true},
		{"other owner", Filter{Owners: []string{"team-data"}}, Event{Kind: FindingOpened, Finding: f}, false},
		{"path owners", Filter{Owners: []string{"team-data"}}, Event{Kind: PathOpened, Path: &drift.PathRecord{Owners: []string{"a", "team-data"}}}, true},
		{"below min severity", Filter{MinSeverity: "high"}, Event{Kind: FindingOpened, Finding: f}, false},
		{"severity does not drop paths", Filter{MinSeverity: "high"}, Event{Kind: PathOpened, Path: &drift.PathRecord{}}, true},
		{"kind not listed", Filter{Events: []string{"path.opened"}}, Event{Kind: FindingOpened, Finding: f}, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := keeps(&tc.filter, &tc.e); got != tc.want {
				t.Fatalf("keeps = %v, want %v", got, tc.want)
			}
		})
	}
}
