package main

import (
	"encoding/json"
	"errors"
	"io"
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
	"github.com/breachpath/breachpath/scoring/notify"
)

// webhookSink is a local HTTP server standing for a receiver of the signed
// JSON webhook: it verifies every request's signature as
// docs/notifications.md tells receivers to.
type webhookSink struct {
	t      *testing.T
	key    []byte
	mu     sync.Mutex
	events []notify.Event
}

func (w *webhookSink) ServeHTTP(rw http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	if err := notify.Verify(w.key, r.Header.Get(notify.HeaderSignature), r.Header.Get(notify.HeaderTimestamp), body, time.Now(), 5*time.Minute); err != nil {
		w.t.Errorf("signature: %v", err)
		rw.WriteHeader(http.StatusUnauthorized)
		return
	}
	var b notify.Body
	if err := json.Unmarshal(body, &b); err != nil {
		w.t.Errorf("body: %v", err)
	}
	w.mu.Lock()
	w.events = append(w.events, b.Events...)
	w.mu.Unlock()
	rw.WriteHeader(http.StatusOK)
}

// take returns "kind subject owner" of every event received, and forgets them.
func (w *webhookSink) take() []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	var out []string
	for _, e := range w.events {
		switch {
		case e.Finding != nil:
			out = append(out, string(e.Kind)+" "+e.Finding.RuleID+" "+e.Finding.Owner)
		case e.Path != nil:
			out = append(out, string(e.Kind)+" "+e.Path.Target+" "+strings.Join(e.Path.Owners, ","))
		}
	}
	w.events = nil
	slices.Sort(out)
	return out
}

func TestCollectNotifiesWhatChangedOnceAndNeverResolvesWhatItCouldNotSee(t *testing.T) {
	const key = "whk-4f1b9c-secret"
	t.Setenv("BP_CMD_TEST_HOOK_KEY", key)
	sink := &webhookSink{t: t, key: []byte(key)}
	srv := httptest.NewServer(sink)
	defer srv.Close()
	dir := t.TempDir()
	cfg := filepath.Join(dir, "breachpath.yaml")
	if err := os.WriteFile(cfg, []byte(`
targets:
  - {name: web, cloud: aws}
owners:
  scopes:
    aws:222222222222: team-web
notify:
  retry: {attempts: 2, backoff: 1ms}
  webhooks:
    - name: secops
      url: `+srv.URL+`/hook
      secret_env: BP_CMD_TEST_HOOK_KEY
`), 0o600); err != nil {
		t.Fatal(err)
	}
	db := filepath.Join(dir, "s.db")
	now := time.Now().UTC()
	collect := func(s *graph.Snapshot) string {
		t.Helper()
		body, _ := json.Marshal(s)
		f := filepath.Join(t.TempDir(), "snap.json")
		if err := os.WriteFile(f, body, 0o600); err != nil {
			t.Fatal(err)
		}
		_, stderr, err := runRoot(t, "--log-level", "debug", "--config", cfg, "--db", db, "collect", "file", f)
		var pe *partialError
		if err != nil && !errors.As(err, &pe) {
			t.Fatalf("collect file: %v\n%s", err, stderr)
		}
		return stderr
	}
	var logs strings.Builder
	logs.WriteString(collect(diffSnapshot(now.Add(-4*time.Hour), false, false)))
	if got := sink.take(); len(got) != 0 {
		t.Fatalf("the first collection is the baseline, sent %v", got)
	}
	logs.WriteString(collect(diffSnapshot(now.Add(-3*time.Hour), true, false)))
	want := []string{"finding.opened ssh-open-world team-web", "path.opened " + diffBucket + " team-web"}
	if got := sink.take(); !slices.Equal(got, want) {
		t.Fatalf("after SSH opened: %v, want %v", got, want)
	}
	logs.WriteString(collect(diffSnapshot(now.Add(-2*time.Hour), true, false)))
	logs.WriteString(collect(diffSnapshot(now.Add(-time.Hour), true, true))) // EC2 failed: stale, not resolved
	if got := sink.take(); len(got) != 0 {
		t.Fatalf("an unchanged estate and a failed area sent %v", got)
	}
	logs.WriteString(collect(diffSnapshot(now, false, false)))
	want = []string{"finding.resolved ssh-open-world team-web", "path.closed " + diffBucket + " "}
	if got := sink.take(); !slices.Equal(got, want) {
		t.Fatalf("after SSH closed: %v, want %v", got, want)
	}
	// the diff names the same owner
	md, _, err := runRoot(t, "--config", cfg, "--db", db, "diff", "--from", "1", "--to", "2", "--format", "markdown")
	if err != nil || !strings.Contains(md, "| team-web |") {
		t.Errorf("diff does not name the owner: %v\n%s", err, md)
	}
	if strings.Contains(logs.String(), key) {
		t.Fatal("the webhook key reached the log")
	}
	for _, f := range []string{db + ".changes.notify"} {
		if fi, err := os.Stat(f); err != nil || fi.Mode().Perm() != 0o600 {
			t.Errorf("%s: %v %v", f, err, fi)
		}
	}
}

func TestQueueShowsTheResolvedOwner(t *testing.T) {
	dir := t.TempDir()
	owners := filepath.Join(dir, "owners.yaml")
	if err := os.WriteFile(owners, []byte("resources:\n  - match: 'arn:aws:ec2:*:instance/i-web'\n    owner: web-oncall\ndefault: secops\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	db := filepath.Join(dir, "s.db")
	collectSnapshotFile(t, db, diffSnapshot(time.Now(), true, false))
	out, stderr, err := runRoot(t, "--db", db, "--owners", owners, "queue", "--format", "csv")
	if err != nil {
		t.Fatalf("queue: %v\n%s", err, stderr)
	}
	if !strings.Contains(out, "web-oncall") {
		t.Fatalf("queue lacks the mapped owner:\n%s", out)
	}
	if _, _, err := runRoot(t, "--db", db, "--owners", filepath.Join(dir, "missing.yaml"), "queue"); err == nil {
		t.Fatal("a missing owner mapping was accepted")
	}
}

func TestQueueWritesASFFBatchesForTheNamedSecurityHub(t *testing.T) {
	db := filepath.Join(t.TempDir(), "s.db")
	collectSnapshotFile(t, db, diffSnapshot(time.Now(), true, false))
	out, stderr, err := runRoot(t, "--db", db, "queue", "--format", "asff", "--asff-account", "111122223333", "--asff-region", "eu-west-1")
	if err != nil {
		t.Fatalf("queue --format asff: %v\n%s", err, stderr)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	var batch struct {
		Findings []struct {
			Id, AwsAccountId, ProductArn string
		}
	}
	if len(lines) != 1 || json.Unmarshal([]byte(lines[0]), &batch) != nil || len(batch.Findings) != 1 ||
		batch.Findings[0].AwsAccountId != "111122223333" || !strings.HasPrefix(batch.Findings[0].ProductArn, "arn:aws:securityhub:eu-west-1:111122223333:product/") {
		t.Fatalf("asff output:\n%s", out)
	}
	if _, _, err := runRoot(t, "--db", db, "queue", "--format", "asff"); err == nil || !strings.Contains(err.Error(), "usage") {
		t.Fatalf("asff without an account: %v", err)
	}
	// SSH closed: the resolved finding is exported archived, so Security Hub closes it
	collectSnapshotFile(t, db, diffSnapshot(time.Now(), false, false))
	args := []string{"--db", db, "queue", "--format", "asff", "--asff-account", "111122223333", "--asff-region", "eu-west-1"}
	if out, _, _ := runRoot(t, args...); strings.TrimSpace(out) != "" {
		t.Fatalf("without --asff-archive-resolved a resolved finding was exported:\n%s", out)
	}
	out, _, err = runRoot(t, append(args, "--asff-archive-resolved")...)
	var archived struct {
		Findings []struct {
			RecordState string
			Workflow    struct{ Status string }
			Compliance  struct{ Status string }
		}
	}
	if err != nil || json.Unmarshal([]byte(out), &archived) != nil || len(archived.Findings) != 1 ||
		archived.Findings[0].RecordState != "ARCHIVED" || archived.Findings[0].Workflow.Status != "RESOLVED" || archived.Findings[0].Compliance.Status != "PASSED" {
		t.Fatalf("--asff-archive-resolved: %v\n%s", err, out)
	}
	if _, _, err := runRoot(t, "--db", db, "queue", "--asff-archive-resolved"); err == nil {
		t.Fatal("--asff-archive-resolved without asff was accepted")
	}
}
