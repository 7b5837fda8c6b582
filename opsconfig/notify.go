package opsconfig

import (
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"
)

// Notify is the notify section: where notifications about new attack paths
// and new on-path findings go (webhooks, Slack, Teams, Jira).
// scoring/notify sends them; docs/notifications.md documents every key.
// Secrets (HMAC keys, Slack and Teams URLs, Jira tokens) are never written
// here: the section names the environment variable or file that holds them.
type Notify struct {
	// State is the file that remembers what each sink was sent (default:
	// the change ledger's name plus ".notify"), mode 0600.
	State string `yaml:"state,omitempty" json:"state,omitempty"`
	// DeadLetter is the JSON-lines file that keeps what finally failed
	// (default: the change ledger's name plus ".deadletter.jsonl"), mode 0600.
	DeadLetter string `yaml:"dead_letter,omitempty" json:"dead_letter,omitempty"`
	// NotifyExisting sends what is already open the first time a sink runs;
	// by default that first run only records it as the sink's baseline.
	NotifyExisting bool      `yaml:"notify_existing,omitempty" json:"notify_existing,omitempty"`
	Webhooks       []Webhook `yaml:"webhooks,omitempty" json:"webhooks,omitempty"`
	Jira           *Jira     `yaml:"jira,omitempty" json:"jira,omitempty"`
	Retry          Retry     `yaml:"retry,omitempty" json:"retry,omitempty"`
	// Timeout bounds one HTTP request (default 15s).
	Timeout Duration `yaml:"timeout,omitempty" json:"timeout,omitempty"`
}

// Retry bounds the retries of one delivery: Attempts tries in all (default
// 5), waiting about Backoff (default 1s), then twice that, up to MaxBackoff
// (default 1m), after a 5xx, 408 or 429 answer or a network error.
type Retry struct {
	Attempts   int      `yaml:"attempts,omitempty" json:"attempts,omitempty"`
	Backoff    Duration `yaml:"backoff,omitempty" json:"backoff,omitempty"`
	MaxBackoff Duration `yaml:"max_backoff,omitempty" json:"max_backoff,omitempty"`
}

// Filter selects which events a sink receives.
type Filter struct {
	// Events lists event kinds (NotifyEvents); empty means all.
	Events []string `yaml:"events,omitempty" json:"events,omitempty"`
	// MinSeverity drops finding events below it (Severities; default info).
	MinSeverity string `yaml:"min_severity,omitempty" json:"min_severity,omitempty"`
	// Owners keeps only events whose owner matches one of these patterns
	// ('*' wildcard): one sink per team. Empty means every owner.
	Owners []string `yaml:"owners,omitempty" json:"owners,omitempty"`
}

// Webhook formats.
const (
	WebhookJSON  = "json"
	WebhookSlack = "slack"
	WebhookTeams = "teams"
)

// Webhook is one webhook sink.
type Webhook struct {
	// Name identifies the sink in the sent state and the logs (required,
	// unique): renaming a sink starts it from a new baseline.
	Name string `yaml:"name" json:"name"`
	// Format is json (default: the signed generic webhook), slack or teams.
	Format string `yaml:"format,omitempty" json:"format,omitempty"`
	// URL inline (json sinks only: a Slack or Teams URL is a credential),
	// or from an environment variable or a file.
	URL     string `yaml:"url,omitempty" json:"url,omitempty"`
	URLEnv  string `yaml:"url_env,omitempty" json:"url_env,omitempty"`
	URLFile string `yaml:"url_file,omitempty" json:"url_file,omitempty"`
	// The HMAC-SHA256 key of a json sink, from the environment or a file.
	SecretEnv  string `yaml:"secret_env,omitempty" json:"secret_env,omitempty"`
	SecretFile string `yaml:"secret_file,omitempty" json:"secret_file,omitempty"`
	// BatchSize is the most events in one request (default 20; Slack and
	// Teams at most 20).
	BatchSize int `yaml:"batch_size,omitempty" json:"batch_size,omitempty"`
	Filter    `yaml:",inline" json:",inline"`
}

// Jira is the Jira sink: one issue per on-path finding.
type Jira struct {
	// Name identifies the sink in the sent state (default "jira").
	Name string `yaml:"name,omitempty" json:"name,omitempty"`
	// URL is the site (https://example.atlassian.net or a Data Center base).
	URL string `yaml:"url" json:"url"`
	// APIVersion is 2 (default; plain-text fields) or 3 (Atlassian
	// Document Format, Jira Cloud).
	APIVersion int    `yaml:"api_version,omitempty" json:"api_version,omitempty"`
	Project    string `yaml:"project" json:"project"`
	IssueType  string `yaml:"issue_type,omitempty" json:"issue_type,omitempty"`
	// User (an e-mail on Jira Cloud) with the token makes basic auth; with
	// no user the token is a bearer token (Data Center personal access tokens).
	User      string   `yaml:"user,omitempty" json:"user,omitempty"`
	TokenEnv  string   `yaml:"token_env,omitempty" json:"token_env,omitempty"`
	TokenFile string   `yaml:"token_file,omitempty" json:"token_file,omitempty"`
	Labels    []string `yaml:"labels,omitempty" json:"labels,omitempty"`
	// ResolveTransition is applied when the finding is resolved (default
	// "Done"); ReopenTransition when it comes back (default: a comment only).
	ResolveTransition string `yaml:"resolve_transition,omitempty" json:"resolve_transition,omitempty"`
	ReopenTransition  string `yaml:"reopen_transition,omitempty" json:"reopen_transition,omitempty"`
	Filter            `yaml:",inline" json:",inline"`
}

// SinkName is the Jira sink's name in the sent state.
func (j *Jira) SinkName() string {
	if j.Name == "" {
		return "jira"
	}
	return j.Name
}

// WebhookFormat is the webhook's format, json when unset.
func (w *Webhook) WebhookFormat() string {
	if w.Format == "" {
		return WebhookJSON
	}
	return w.Format
}

// NotifyEvents are the event kinds a filter may name (scoring/notify's
// kinds; a test there keeps the two lists equal).
var NotifyEvents = []string{"finding.opened", "finding.reopened", "finding.resolved", "path.opened", "path.closed"}

// Severities are the severity names, lowest first (graph's; a test in
// scoring/notify keeps the two lists equal).
var Severities = []string{"info", "low", "medium", "high", "critical"}

// Validate checks the notify section without reading any secret.
func (n *Notify) Validate() error {
	names := map[string]bool{}
	for i := range n.Webhooks {
		w := &n.Webhooks[i]
		if w.Name == "" {
			return fmt.Errorf("notify: webhooks[%d]: name is required", i)
		}
		if names[w.Name] {
			return fmt.Errorf("notify: webhooks[%d]: name %q used twice", i, w.Name)
		}
		names[w.Name] = true
		f := w.WebhookFormat()
		if f != WebhookJSON && f != WebhookSlack && f != WebhookTeams {
			return fmt.Errorf("notify: webhook %s: format %q: want json, slack or teams", w.Name, w.Format)
		}
		set := 0
		for _, v := range []string{w.URL, w.URLEnv, w.URLFile} {
			if v != "" {
				set++
			}
		}
		if set != 1 {
			return fmt.Errorf("notify: webhook %s: give exactly one of url, url_env, url_file", w.Name)
		}
		if w.URL != "" && f != WebhookJSON {
			return fmt.Errorf("notify: webhook %s: a %s webhook URL is a credential: give it with url_env or url_file", w.Name, f)
		}
		if w.URL != "" {
			if err := CheckNotifyURL(w.URL); err != nil {
				return fmt.Errorf("notify: webhook %s: %w", w.Name, err)
			}
		}
		if f == WebhookJSON && w.SecretEnv == "" && w.SecretFile == "" {
			return fmt.Errorf("notify: webhook %s: a json webhook is signed: give secret_env or secret_file", w.Name)
		}
		if w.BatchSize < 0 {
			return fmt.Errorf("notify: webhook %s: batch_size must not be negative", w.Name)
		}
		if err := w.Filter.validate(); err != nil {
			return fmt.Errorf("notify: webhook %s: %w", w.Name, err)
		}
	}
	if j := n.Jira; j != nil {
		if names[j.SinkName()] {
			return fmt.Errorf("notify: jira: name %q is also a webhook's", j.SinkName())
		}
		if err := CheckNotifyURL(j.URL); err != nil {
			return fmt.Errorf("notify: jira: %w", err)
		}
		if j.Project == "" {
			return errors.New("notify: jira: project is required")
		}
		if j.APIVersion != 0 && j.APIVersion != 2 && j.APIVersion != 3 {
			return fmt.Errorf("notify: jira: api_version %d: want 2 or 3", j.APIVersion)
		}
		if j.TokenEnv == "" && j.TokenFile == "" {
			return errors.New("notify: jira: give token_env or token_file")
		}
		for _, l := range j.Labels {
			if l == "" || strings.ContainsAny(l, " \t\n") {
				return fmt.Errorf("notify: jira: label %q: Jira labels hold no spaces", l)
			}
		}
		if err := j.Filter.validate(); err != nil {
			return fmt.Errorf("notify: jira: %w", err)
		}
	}
	if n.Retry.Attempts < 0 || n.Retry.Attempts > 20 {
		return errors.New("notify: retry.attempts: want 0 (default 5) to 20")
	}
	return nil
}

func (n *Notify) validate() error { return n.Validate() }

// CheckNotifyURL accepts an http(s) URL with a host and no user
// information. It never prints the URL: a Slack or Teams URL is a credential.
func CheckNotifyURL(raw string) error {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return errors.New("url: want an http(s) URL")
	}
	if u.User != nil {
		return errors.New("url: credentials do not belong in a URL here")
	}
	return nil
}

func (f *Filter) validate() error {
	for _, e := range f.Events {
		if !slices.Contains(NotifyEvents, e) {
			return fmt.Errorf("events: unknown event %q (want %s)", e, strings.Join(NotifyEvents, ", "))
		}
	}
	if f.MinSeverity != "" && !slices.Contains(Severities, f.MinSeverity) {
		return fmt.Errorf("min_severity %q: want one of %s", f.MinSeverity, strings.Join(Severities, ", "))
	}
	return nil
}

// Owners is the owners section: how a finding's owner is found
// (scoring/owner resolves it). A separate mapping file (File, or the
// --owners flag) holds the same keys.
type Owners struct {
	// TagKeys are the tag keys naming a resource's owner, first match wins
	// (default owner, Owner, team, contact).
	TagKeys []string `yaml:"tag_keys,omitempty" json:"tag_keys,omitempty"`
	// Resources map resource-id patterns to owners, first match wins; '*'
	// matches any run of characters ('/' and ':' included), '?' one.
	Resources []OwnerRule `yaml:"resources,omitempty" json:"resources,omitempty"`
	// Scopes map "cloud:id" (aws:123456789012) or a bare account,
	// subscription or project id to its default owner.
	Scopes map[string]string `yaml:"scopes,omitempty" json:"scopes,omitempty"`
	// Default owns everything nothing else names ("" = none).
	Default string `yaml:"default,omitempty" json:"default,omitempty"`
	// File names a mapping file read after the rules given here.
	File string `yaml:"file,omitempty" json:"file,omitempty"`
}

// OwnerRule maps resources whose id matches a pattern to an owner.
type OwnerRule struct {
	Match string `yaml:"match" json:"match"`
	Owner string `yaml:"owner" json:"owner"`
}
