package notify

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/breachpath/breachpath/graph/safetext"
)

// LabelPrefix starts the label that ties a Jira issue to one finding:
// "breachpath-" plus the first 16 hex digits of SHA-256(finding id). Jira
// labels hold no spaces and finding ids may, so the id is hashed; the
// label is what the idempotency search asks for.
const LabelPrefix = "breachpath-"

// FindingLabel is the label of a finding's issue.
func FindingLabel(findingID string) string {
	s := sha256.Sum256([]byte(findingID))
	return LabelPrefix + hex.EncodeToString(s[:8])
}

// jira creates one issue per on-path finding and comments on / transitions
// it when the finding is resolved or comes back. Every create is preceded
// by a search for the finding's label, so a lost sent state (or a second
// breachpath) never makes a duplicate.
type jira struct {
	cfg   *JiraConfig
	base  string
	auth  string // the Authorization header value: never logged
	c     *client
	label string // breachpath's own label on every issue
}

func newJira(cfg *JiraConfig, c *client) (*jira, error) {
	tok, err := secret(cfg.TokenEnv, cfg.TokenFile)
	if err != nil {
		return nil, fmt.Errorf("jira: token: %w", err)
	}
	auth := "Bearer " + tok
	if cfg.User != "" {
		auth = "Basic " + base64.StdEncoding.EncodeToString([]byte(cfg.User+":"+tok))
	}
	return &jira{cfg: cfg, base: strings.TrimRight(cfg.URL, "/"), auth: auth, c: c, label: "breachpath"}, nil
}

func (j *jira) version() string {
	if j.cfg.APIVersion == 3 {
		return "3"
	}
	return "2"
}

func (j *jira) call(ctx context.Context, method, path string, in any, out any) error {
	var body []byte
	if in != nil {
		var err error
		if body, err = json.Marshal(in); err != nil {
			return fmt.Errorf("jira: encode: %w", err)
		}
	}
	h := http.Header{}
	h.Set("Authorization", j.auth)
	h.Set("Accept", "application/json")
	resp, _, err := j.c.do(ctx, &request{method: method, url: j.base + path, header: h, body: body})
	if err != nil {
		return fmt.Errorf("jira %s %s: %w", method, path, err)
	}
	if out != nil && len(resp) > 0 {
		if err := json.Unmarshal(resp, out); err != nil {
			return fmt.Errorf("jira %s %s: decode answer: %w", method, path, err)
		}
	}
	return nil
}

// find returns the key of the issue labelled for the finding, or "".
func (j *jira) find(ctx context.Context, findingID string) (string, error) {
	jql := fmt.Sprintf(`project = %s AND labels = %s`, jqlString(j.cfg.Project), jqlString(FindingLabel(findingID)))
	q := url.Values{"jql": {jql}, "fields": {"key"}, "maxResults": {"1"}}
	// Jira Cloud's v3 search is /search/jql (the old /search is being
	// removed there); Data Center has /rest/api/2/search.
	path := "/rest/api/2/search?" + q.Encode()
	if j.version() == "3" {
		path = "/rest/api/3/search/jql?" + q.Encode()
	}
	var out struct {
		Issues []struct {
			Key string `json:"key"`
		} `json:"issues"`
	}
	if err := j.call(ctx, http.MethodGet, path, nil, &out); err != nil {
		return "", err
	}
	if len(out.Issues) == 0 {
		return "", nil
	}
	return out.Issues[0].Key, nil
}

// jqlString quotes a JQL string literal.
func jqlString(s string) string {
	return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(s) + `"`
}

func (j *jira) create(ctx context.Context, e *Event) (string, error) {
	f := e.Finding
	summary := safetext.Truncate(safetext.Visible(fmt.Sprintf("[breachpath] %s: %s", f.Severity, f.Title)), 250)
	labels := append([]string{j.label, FindingLabel(f.ID)}, j.cfg.Labels...)
	issueType := j.cfg.IssueType
	if issueType == "" {
		issueType = "Bug"
	}
	lines := []string{
		"breachpath found this misconfiguration on an attack path.",
		"",
		"Rule: " + f.RuleID,
		"Severity: " + f.Severity.String(),
		"Resource: " + f.Resource,
		"Owner: " + orNone(f.Owner),
		fmt.Sprintf("Attack paths through it: %d", len(e.FindingPaths)),
		"Finding id: " + f.ID,
	}
	fields := map[string]any{
		"project":     map[string]any{"key": j.cfg.Project},
		"summary":     summary,
		"issuetype":   map[string]any{"name": issueType},
		"labels":      labels,
		"description": j.text(lines),
	}
	var out struct {
		Key string `json:"key"`
	}
	if err := j.call(ctx, http.MethodPost, "/rest/api/"+j.version()+"/issue", map[string]any{"fields": fields}, &out); err != nil {
		return "", err
	}
	if out.Key == "" {
		return "", errors.New("jira: create issue: the answer names no key")
	}
	return out.Key, nil
}

func (j *jira) comment(ctx context.Context, key string, lines []string) error {
	return j.call(ctx, http.MethodPost, "/rest/api/"+j.version()+"/issue/"+url.PathEscape(key)+"/comment",
		map[string]any{"body": j.text(lines)}, nil)
}

// transition applies the named workflow transition when the issue offers
// it; an issue already past it (closed by hand) is left as it is.
func (j *jira) transition(ctx context.Context, key, name string) error {
	if name == "" {
		return nil
	}
	path := "/rest/api/" + j.version() + "/issue/" + url.PathEscape(key) + "/transitions"
	var out struct {
		Transitions []struct {
			ID   string `json:"id"`
			Name string `json:"name"`
			To   struct {
				Name string `json:"name"`
			} `json:"to"`
		} `json:"transitions"`
	}
	if err := j.call(ctx, http.MethodGet, path, nil, &out); err != nil {
		return err
	}
	for _, t := range out.Transitions {
		if strings.EqualFold(t.Name, name) || strings.EqualFold(t.To.Name, name) {
			return j.call(ctx, http.MethodPost, path, map[string]any{"transition": map[string]any{"id": t.ID}}, nil)
		}
	}
	return nil
}

// text renders lines as a v2 plain-text field or a v3 Atlassian Document
// Format document. Estate text is attacker-controlled: in v2 (wiki
// markup) each line is wrapped in {noformat} so no link or macro renders;
// in ADF text nodes are never parsed.
func (j *jira) text(lines []string) any {
	if j.version() == "3" {
		content := make([]map[string]any, 0, len(lines))
		for _, l := range lines {
			p := map[string]any{"type": "paragraph", "content": []map[string]any{}}
			if l = safetext.Visible(l); l != "" {
				p["content"] = []map[string]any{{"type": "text", "text": l}}
			}
			content = append(content, p)
		}
		return map[string]any{"type": "doc", "version": 1, "content": content}
	}
	var b strings.Builder
	for _, l := range lines {
		l = strings.ReplaceAll(safetext.Visible(l), "{noformat}", "{ noformat}")
		if l == "" {
			b.WriteString("\n")
			continue
		}
		b.WriteString("{noformat}" + l + "{noformat}\n")
	}
	return b.String()
}

func orNone(s string) string {
	if s == "" {
		return "(none)"
	}
	return s
}

// apply carries one event out and returns the issue key it concerns.
// Path events are not Jira's: they are skipped (the filter keeps them out).
func (j *jira) apply(ctx context.Context, e *Event, known Sent) (string, error) {
	if e.Finding == nil {
		return "", nil
	}
	key := known.Ref
	if key == "" {
		k, err := j.find(ctx, e.Finding.ID)
		if err != nil {
			return "", err
		}
		key = k
	}
	switch e.Kind {
	case FindingOpened:
		if key != "" {
			return key, nil // made by an earlier run whose state was lost
		}
		return j.create(ctx, e)
	case FindingReopened:
		if key == "" {
			return j.create(ctx, e)
		}
		if err := j.comment(ctx, key, []string{"breachpath: the finding is open on an attack path again (sync " + fmt.Sprint(e.SyncID) + ")."}); err != nil {
			return "", err
		}
		return key, j.transition(ctx, key, j.cfg.ReopenTransition)
	case FindingResolved:
		if key == "" {
			return "", nil // never filed: nothing to close
		}
		if err := j.comment(ctx, key, []string{"breachpath: the finding is resolved: its area was collected and the misconfiguration is gone (sync " + fmt.Sprint(e.SyncID) + ")."}); err != nil {
			return "", err
		}
		t := j.cfg.ResolveTransition
		if t == "" {
			t = "Done"
		}
		return key, j.transition(ctx, key, t)
	}
	return key, nil
}
