package notify

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/breachpath/breachpath/scoring/drift"
)

// fakeJira answers the documented shapes of Jira's REST API v2 and v3 for
// the calls the sink makes: create issue, JQL search (v2 /search, v3
// /search/jql), add comment, get and do transitions. It checks the request
// shapes it is sent (ADF in v3, plain text in v2) and the auth header.
type fakeJira struct {
	t       *testing.T
	version string
	auth    string
	mu      sync.Mutex
	issues  []*fakeIssue
	creates int
	// failAll answers 500 to everything while set.
	failAll bool
}

type fakeIssue struct {
	key      string
	labels   []string
	summary  string
	status   string
	comments int
}

var labelJQL = regexp.MustCompile(`^project = "([^"]+)" AND labels = "([^"]+)"$`)

func (f *fakeJira) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.failAll {
		w.WriteHeader(http.StatusInternalServerError)
		return
	}
	if r.Header.Get("Authorization") != f.auth {
		w.WriteHeader(http.StatusUnauthorized)
		return
	}
	prefix := "/rest/api/" + f.version
	path := r.URL.Path
	if !strings.HasPrefix(path, prefix+"/") {
		f.t.Errorf("call outside API v%s: %s %s", f.version, r.Method, path)
		w.WriteHeader(http.StatusNotFound)
		return
	}
	rest := strings.TrimPrefix(path, prefix)
	reply := func(status int, v any) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		if v != nil {
			json.NewEncoder(w).Encode(v)
		}
	}
	var body map[string]any
	if r.Method == http.MethodPost {
		if err := json.NewDecoder(r.Body).Decode(&body); err != nil {
			reply(http.StatusBadRequest, map[string]any{"errorMessages": []string{"bad JSON"}})
			return
		}
	}
	searchPath := "/search"
	if f.version == "3" {
		searchPath = "/search/jql"
	}
	switch {
	case r.Method == http.MethodGet && rest == searchPath:
		m := labelJQL.FindStringSubmatch(r.URL.Query().Get("jql"))
		if m == nil {
			reply(http.StatusBadRequest, map[string]any{"errorMessages": []string{"unexpected JQL " + r.URL.Query().Get("jql")}})
			return
		}
		issues := []map[string]any{}
		for _, is := range f.issues {
			if strings.HasPrefix(is.key, m[1]+"-") && slices.Contains(is.labels, m[2]) {
				issues = append(issues, map[string]any{"id": "1", "key": is.key, "self": "x", "fields": map[string]any{}})
			}
		}
		if f.version == "3" {
			reply(http.StatusOK, map[string]any{"issues": issues})
		} else {
			reply(http.StatusOK, map[string]any{"startAt": 0, "maxResults": 1, "total": len(issues), "issues": issues})
		}
	case r.Method == http.MethodPost && rest == "/issue":
		fields, _ := body["fields"].(map[string]any)
		project, _ := fields["project"].(map[string]any)
		it, _ := fields["issuetype"].(map[string]any)
		summary, _ := fields["summary"].(string)
		if project["key"] == nil || it["name"] == nil || summary == "" || len(summary) > 255 || strings.Contains(summary, "\n") {
			reply(http.StatusBadRequest, map[string]any{"errors": map[string]string{"summary": "bad fields"}})
			return
		}
		f.checkText(fields["description"])
		var labels []string
		for _, l := range fields["labels"].([]any) {
			labels = append(labels, l.(string))
		}
		f.creates++
		is := &fakeIssue{key: fmt.Sprintf("%s-%d", project["key"], len(f.issues)+1), labels: labels, summary: summary, status: "To Do"}
		f.issues = append(f.issues, is)
		reply(http.StatusCreated, map[string]any{"id": "1000", "key": is.key, "self": "x"})
	case strings.HasPrefix(rest, "/issue/"):
		parts := strings.Split(strings.TrimPrefix(rest, "/issue/"), "/")
		var is *fakeIssue
		for _, x := range f.issues {
			if x.key == parts[0] {
				is = x
			}
		}
		if is == nil || len(parts) != 2 {
			reply(http.StatusNotFound, map[string]any{"errorMessages": []string{"Issue does not exist"}})
			return
		}
		switch {
		case parts[1] == "comment" && r.Method == http.MethodPost:
			f.checkText(body["body"])
			is.comments++
			reply(http.StatusCreated, map[string]any{"id": "1"})
		case parts[1] == "transitions" && r.Method == http.MethodGet:
			ts := []map[string]any{{"id": "31", "name": "Done", "to": map[string]any{"name": "Done"}}}
			if is.status == "Done" {
				ts = []map[string]any{{"id": "41", "name": "Reopen", "to": map[string]any{"name": "To Do"}}}
			}
			reply(http.StatusOK, map[string]any{"expand": "transitions", "transitions": ts})
		case parts[1] == "transitions" && r.Method == http.MethodPost:
			tr, _ := body["transition"].(map[string]any)
			switch {
			case tr["id"] == "31" && is.status != "Done":
				is.status = "Done"
			case tr["id"] == "41" && is.status == "Done":
				is.status = "To Do"
			default:
				reply(http.StatusBadRequest, map[string]any{"errorMessages": []string{"transition not valid"}})
				return
			}
			reply(http.StatusNoContent, nil)
		default:
			reply(http.StatusNotFound, nil)
		}
	default:
		f.t.Errorf("unexpected call %s %s", r.Method, r.URL)
		reply(http.StatusNotFound, nil)
	}
}

// checkText checks a description or comment body: a string in v2, an
// Atlassian Document Format doc in v3.
func (f *fakeJira) checkText(v any) {
	if f.version == "2" {
		if s, ok := v.(string); !ok || s == "" {
			f.t.Errorf("v2 text field %T %v, want a string", v, v)
		}
		return
	}
	doc, ok := v.(map[string]any)
	if !ok || doc["type"] != "doc" || doc["version"] != float64(1) {
		f.t.Errorf("v3 text field %v, want an ADF doc", v)
		return
	}
	for _, p := range doc["content"].([]any) {
		pm := p.(map[string]any)
		if pm["type"] != "paragraph" {
			f.t.Errorf("ADF node %v", pm)
		}
		for _, tn := range pm["content"].([]any) {
			if tm := tn.(map[string]any); tm["type"] != "text" || tm["text"] == "" {
				f.t.Errorf("ADF text node %v", tm)
			}
		}
	}
}

func (f *fakeJira) snapshot() (creates int, byKey map[string]fakeIssue) {
	f.mu.Lock()
	defer f.mu.Unlock()
	byKey = map[string]fakeIssue{}
	for _, is := range f.issues {
		byKey[is.key] = *is
	}
	return f.creates, byKey
}

func TestJiraFilesOnceClosesOnResolveAndNeverDuplicates(t *testing.T) {
	for _, version := range []string{"2", "3"} {
		t.Run("api v"+version, func(t *testing.T) {
			t.Setenv("BP_TEST_JIRA_TOKEN", "jira-token-value")
			fj := &fakeJira{t: t, version: version,
				auth: "Basic " + base64.StdEncoding.EncodeToString([]byte("bot@example.com:jira-token-value"))}
			srv := httptest.NewServer(fj)
			defer srv.Close()
			v := 2
			if version == "3" {
				v = 3
			}
			h := newHarness(t, &Config{NotifyExisting: true, Jira: &JiraConfig{URL: srv.URL + "/", APIVersion: v, Project: "SEC",
				User: "bot@example.com", TokenEnv: "BP_TEST_JIRA_TOKEN", Labels: []string{"cloud-security"}, ReopenTransition: "Reopen"}})
			var e estate
			both := map[string][]string{"p1": {"a"}, "p2": {"b"}}
			o1 := e.next(map[string]drift.State{"a": drift.Open, "b": drift.Open, "off": drift.Open}, both)
			h.run(o1)
			creates, issues := fj.snapshot()
			if creates != 2 || len(issues) != 2 {
				t.Fatalf("first run: %d creates, issues %v (want one per on-path finding)", creates, issues)
			}
			a := issues["SEC-1"]
			if !slices.Contains(a.labels, FindingLabel("a")) || !slices.Contains(a.labels, "breachpath") || !slices.Contains(a.labels, "cloud-security") {
				t.Errorf("labels %v", a.labels)
			}
			// second run and a restart over the same state: nothing new
			h.run(o1)
			h.run(o1)
			// the state is lost: the label search finds the issues
			if err := os.Remove(filepath.Join(h.dir, "state")); err != nil {
				t.Fatal(err)
			}
			h.run(o1)
			if creates, _ := fj.snapshot(); creates != 2 {
				t.Fatalf("%d creates after reruns and a lost state, want 2", creates)
			}
			// a's area fails (stale): nothing; then a is fixed: comment and Done
			h.run(e.next(map[string]drift.State{"a": drift.Stale, "b": drift.Open}, both))
			if _, issues := fj.snapshot(); issues["SEC-1"].status != "To Do" || issues["SEC-1"].comments != 0 {
				t.Fatalf("a stale finding touched its issue: %+v", issues["SEC-1"])
			}
			h.run(e.next(map[string]drift.State{"a": drift.Resolved, "b": drift.Open}, map[string][]string{"p2": {"b"}}))
			_, issues = fj.snapshot()
			if is := issues["SEC-1"]; is.status != "Done" || is.comments != 1 {
				t.Fatalf("resolved finding's issue %+v, want Done with one comment", is)
			}
			if is := issues["SEC-2"]; is.status != "To Do" || is.comments != 0 {
				t.Fatalf("open finding's issue %+v", is)
			}
			// a comes back: the same issue, reopened
			h.run(e.next(map[string]drift.State{"a": drift.Open, "b": drift.Open}, both))
			creates, issues = fj.snapshot()
			if is := issues["SEC-1"]; creates != 2 || is.status != "To Do" || is.comments != 2 {
				t.Fatalf("reopen: %d creates, issue %+v", creates, is)
			}
		})
	}
}

func TestJiraFailureIsRetriedNextRunWithoutDuplicates(t *testing.T) {
	t.Setenv("BP_TEST_JIRA_TOKEN", "pat-value")
	fj := &fakeJira{t: t, version: "2", auth: "Bearer pat-value", failAll: true}
	srv := httptest.NewServer(fj)
	defer srv.Close()
	h := newHarness(t, &Config{NotifyExisting: true, Jira: &JiraConfig{URL: srv.URL, Project: "SEC", TokenEnv: "BP_TEST_JIRA_TOKEN"}})
	var e estate
	o := e.next(map[string]drift.State{"a": drift.Open}, map[string][]string{"p1": {"a"}})
	res := h.run(o)
	if res[0].DeadLettered != 1 || res[0].Sent != 0 {
		t.Fatalf("result %+v", res[0])
	}
	if b, err := os.ReadFile(filepath.Join(h.dir, "dead")); err != nil || !strings.Contains(string(b), `"sink":"jira"`) {
		t.Fatalf("dead letter %s %v", b, err)
	}
	fj.mu.Lock()
	fj.failAll = false
	fj.mu.Unlock()
	h.run(o)
	h.run(o)
	if creates, _ := fj.snapshot(); creates != 1 {
		t.Fatalf("%d creates, want 1", creates)
	}
}
