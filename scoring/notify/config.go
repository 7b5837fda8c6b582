package notify

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"slices"
	"strings"
	"time"

	yaml "go.yaml.in/yaml/v4"

	"github.com/breachpath/breachpath/graph"
	"github.com/breachpath/breachpath/scoring/owner"
)

// Webhook payload formats.
const (
	FormatJSON  = "json"  // the generic signed JSON webhook
	FormatSlack = "slack" // a Slack incoming webhook (Block Kit message)
	FormatTeams = "teams" // a Microsoft Teams incoming webhook / workflow (Adaptive Card message)
)

// Config is the notify: section of the configuration file.
type Config struct {
	// State is the file that remembers what each sink was sent (default:
	// the change ledger's name plus ".notify"), mode 0600.
	State string `yaml:"state,omitempty" json:"state,omitempty"`
	// DeadLetter is the JSON-lines file that keeps what finally failed
	// (default: the change ledger's name plus ".deadletter"), mode 0600.
	DeadLetter string `yaml:"dead_letter,omitempty" json:"dead_letter,omitempty"`
	// NotifyExisting sends what is already open the first time a sink runs;
	// by default the first run only records it as the sink's baseline.
	NotifyExisting bool            `yaml:"notify_existing,omitempty" json:"notify_existing,omitempty"`
	Webhooks       []WebhookConfig `yaml:"webhooks,omitempty" json:"webhooks,omitempty"`
	Jira           *JiraConfig     `yaml:"jira,omitempty" json:"jira,omitempty"`
	Retry          RetryConfig     `yaml:"retry,omitempty" json:"retry,omitempty"`
	Timeout        Duration        `yaml:"timeout,omitempty" json:"timeout,omitempty"`
}

// RetryConfig bounds the retries of one delivery: Attempts tries in all,
// waiting Backoff, then twice that, and so on up to MaxBackoff (with
// jitter), after a 5xx answer, a 408/429 or a network error or timeout.
type RetryConfig struct {
	Attempts   int      `yaml:"attempts,omitempty" json:"attempts,omitempty"`
	Backoff    Duration `yaml:"backoff,omitempty" json:"backoff,omitempty"`
	MaxBackoff Duration `yaml:"max_backoff,omitempty" json:"max_backoff,omitempty"`
}

// Filter selects which events a sink receives.
type Filter struct {
	// Events lists event kinds ("finding.opened", "path.opened", ...);
	// empty means all.
	Events []string `yaml:"events,omitempty" json:"events,omitempty"`
	// MinSeverity drops finding events below it (info, low, medium, high,
	// critical; default info).
	MinSeverity string `yaml:"min_severity,omitempty" json:"min_severity,omitempty"`
	// Owners, when set, keeps only events whose owner matches one of these
	// patterns ('*' wildcard; "" matches an event with no owner): one sink
	// per team.
	Owners []string `yaml:"owners,omitempty" json:"owners,omitempty"`
}

// WebhookConfig is one webhook sink.
type WebhookConfig struct {
	// Name identifies the sink in the sent state and the logs (required,
	// unique): renaming a sink makes it start from a new baseline.
	Name   string `yaml:"name" json:"name"`
	Format string `yaml:"format,omitempty" json:"format,omitempty"` // json (default), slack, teams
	// The URL, given inline (json sinks only, where it holds no secret) or
	// read from an environment variable or a file: Slack and Teams URLs
	// are credentials.
	URL     string `yaml:"url,omitempty" json:"url,omitempty"`
	URLEnv  string `yaml:"url_env,omitempty" json:"url_env,omitempty"`
	URLFile string `yaml:"url_file,omitempty" json:"url_file,omitempty"`
	// The HMAC-SHA256 key of a json sink, from the environment or a file
	// (never inline).
	SecretEnv  string `yaml:"secret_env,omitempty" json:"secret_env,omitempty"`
	SecretFile string `yaml:"secret_file,omitempty" json:"secret_file,omitempty"`
	// BatchSize is the most events in one request (default 20).
	BatchSize int `yaml:"batch_size,omitempty" json:"batch_size,omitempty"`
	Filter    `yaml:",inline" json:",inline"`
}

// JiraConfig is the Jira sink: one issue per on-path finding.
type JiraConfig struct {
	// Name identifies the sink in the sent state (default "jira").
	Name string `yaml:"name,omitempty" json:"name,omitempty"`
	// URL is the site (https://example.atlassian.net or a Data Center base).
	URL string `yaml:"url" json:"url"`
	// APIVersion is 2 (default; plain-text fields) or 3 (Atlassian Document Format).
	APIVersion int    `yaml:"api_version,omitempty" json:"api_version,omitempty"`
	Project    string `yaml:"project" json:"project"`
	IssueType  string `yaml:"issue_type,omitempty" json:"issue_type,omitempty"` // default Bug
	// User (an e-mail on Jira Cloud) with the token makes basic auth; with
	// no user the token is sent as a bearer token (Data Center personal
	// access tokens).
	User      string `yaml:"user,omitempty" json:"user,omitempty"`
	TokenEnv  string `yaml:"token_env,omitempty" json:"token_env,omitempty"`
	TokenFile string `yaml:"token_file,omitempty" json:"token_file,omitempty"`
	// Labels are added to every issue besides breachpath's own.
	Labels []string `yaml:"labels,omitempty" json:"labels,omitempty"`
	// ResolveTransition is the workflow transition applied when the finding
	// is resolved (default "Done"); ReopenTransition when it comes back
	// (default: none, a comment only).
	ResolveTransition string `yaml:"resolve_transition,omitempty" json:"resolve_transition,omitempty"`
	ReopenTransition  string `yaml:"reopen_transition,omitempty" json:"reopen_transition,omitempty"`
	Filter            `yaml:",inline" json:",inline"`
}

// FileConfig is the part of the configuration file this package reads:
// owners: and notify:, other sections are left to their packages.
type FileConfig struct {
	Owners *owner.Config `yaml:"owners,omitempty"`
	Notify *Config       `yaml:"notify,omitempty"`
}

// MaxConfigFile bounds a configuration file read from disk.
const MaxConfigFile = 4 << 20

// LoadFile reads the owners: and notify: sections of a configuration file
// (YAML; other top-level sections are ignored here, checked by their own
// readers).
func LoadFile(path string) (*FileConfig, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("configuration: %w", err)
	}
	defer f.Close()
	doc, err := io.ReadAll(io.LimitReader(f, MaxConfigFile+1))
	if err != nil {
		return nil, fmt.Errorf("configuration %s: %w", path, err)
	}
	if len(doc) > MaxConfigFile {
		return nil, fmt.Errorf("configuration %s: larger than %d bytes", path, MaxConfigFile)
	}
	return ParseFile(doc)
}

// ParseFile parses the owners: and notify: sections of a configuration
// document; unknown keys inside them are errors.
func ParseFile(doc []byte) (*FileConfig, error) {
	var top map[string]yaml.Node
	if err := yaml.Unmarshal(doc, &top); err != nil {
		return nil, fmt.Errorf("configuration: %w", err)
	}
	fc := &FileConfig{}
	strict := func(key string, into any) error {
		n, ok := top[key]
		if !ok {
			return nil
		}
		b, err := yaml.Marshal(&n)
		if err != nil {
			return fmt.Errorf("configuration: %s: %w", key, err)
		}
		dec := yaml.NewDecoder(bytes.NewReader(b))
		dec.KnownFields(true)
		if err := dec.Decode(into); err != nil && !errors.Is(err, io.EOF) {
			return fmt.Errorf("configuration: %s: %w", key, err)
		}
		return nil
	}
	var oc owner.Config
	if err := strict("owners", &oc); err != nil {
		return nil, err
	}
	if _, ok := top["owners"]; ok {
		fc.Owners = &oc
	}
	var nc Config
	if err := strict("notify", &nc); err != nil {
		return nil, err
	}
	if _, ok := top["notify"]; ok {
		if err := nc.Validate(); err != nil {
			return nil, err
		}
		fc.Notify = &nc
	}
	return fc, nil
}

// Validate checks the configuration without reading any secret.
func (c *Config) Validate() error {
	names := map[string]bool{}
	for i, w := range c.Webhooks {
		if w.Name == "" {
			return fmt.Errorf("notify: webhooks[%d]: name is required", i)
		}
		if names[w.Name] {
			return fmt.Errorf("notify: webhooks[%d]: name %q used twice", i, w.Name)
		}
		names[w.Name] = true
		switch w.format() {
		case FormatJSON, FormatSlack, FormatTeams:
		default:
			return fmt.Errorf("notify: webhook %s: format %q: want json, slack or teams", w.Name, w.Format)
		}
		if n := btoi(w.URL != "") + btoi(w.URLEnv != "") + btoi(w.URLFile != ""); n != 1 {
			return fmt.Errorf("notify: webhook %s: give exactly one of url, url_env, url_file", w.Name)
		}
		if w.URL != "" && w.format() != FormatJSON {
			return fmt.Errorf("notify: webhook %s: a %s webhook URL is a credential: give it with url_env or url_file", w.Name, w.format())
		}
		if w.URL != "" {
			if err := checkURL(w.URL); err != nil {
				return fmt.Errorf("notify: webhook %s: %w", w.Name, err)
			}
		}
		if w.format() == FormatJSON && w.SecretEnv == "" && w.SecretFile == "" {
			return fmt.Errorf("notify: webhook %s: a json webhook is signed: give secret_env or secret_file", w.Name)
		}
		if err := w.Filter.validate(); err != nil {
			return fmt.Errorf("notify: webhook %s: %w", w.Name, err)
		}
	}
	if j := c.Jira; j != nil {
		if names[j.name()] {
			return fmt.Errorf("notify: jira: name %q is also a webhook's", j.name())
		}
		if err := checkURL(j.URL); err != nil {
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
	if c.Retry.Attempts < 0 {
		return errors.New("notify: retry.attempts must not be negative")
	}
	return nil
}

func checkURL(raw string) error {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return errors.New("url: want an http(s) URL")
	}
	return nil
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}

func (w *WebhookConfig) format() string {
	if w.Format == "" {
		return FormatJSON
	}
	return w.Format
}

func (j *JiraConfig) name() string {
	if j.Name == "" {
		return "jira"
	}
	return j.Name
}

func (f *Filter) validate() error {
	for _, e := range f.Events {
		if !slices.Contains(AllKinds, Kind(e)) {
			return fmt.Errorf("events: unknown event %q", e)
		}
	}
	if f.MinSeverity != "" {
		if _, err := graph.ParseSeverity(f.MinSeverity); err != nil {
			return fmt.Errorf("min_severity: %w", err)
		}
	}
	return nil
}

// keeps reports whether the filter passes e.
func (f *Filter) keeps(e *Event) bool {
	if len(f.Events) > 0 && !slices.Contains(f.Events, string(e.Kind)) {
		return false
	}
	if f.MinSeverity != "" && e.Finding != nil {
		if min, err := graph.ParseSeverity(f.MinSeverity); err == nil && e.Finding.Severity < min {
			return false
		}
	}
	if len(f.Owners) > 0 {
		for _, p := range f.Owners {
			for _, o := range e.ownerNames() {
				if owner.Match(p, o) {
					return true
				}
			}
		}
		return false
	}
	return true
}

// Duration is a time.Duration written as "30s" in the configuration.
type Duration time.Duration

// UnmarshalText parses a Go duration.
func (d *Duration) UnmarshalText(b []byte) error {
	v, err := time.ParseDuration(string(b))
	if err != nil || v < 0 {
		return fmt.Errorf("duration %q: want a non-negative duration such as 30s", b)
	}
	*d = Duration(v)
	return nil
}

// MarshalText prints the duration.
func (d Duration) MarshalText() ([]byte, error) { return []byte(time.Duration(d).String()), nil }

// secret reads a secret from an environment variable or a file (the first
// given), trimming surrounding whitespace. The value is never logged: the
// errors name the variable or the file, never the content.
func secret(env, file string) (string, error) {
	switch {
	case env != "":
		v := strings.TrimSpace(os.Getenv(env))
		if v == "" {
			return "", fmt.Errorf("environment variable %s is empty or unset", env)
		}
		return v, nil
	case file != "":
		b, err := os.ReadFile(file)
		if err != nil {
			return "", fmt.Errorf("read secret file: %w", err)
		}
		v := strings.TrimSpace(string(b))
		if v == "" {
			return "", fmt.Errorf("secret file %s is empty", file)
		}
		return v, nil
	}
	return "", nil
}
