package notify

import (
	"fmt"
	"os"
	"slices"
	"strings"

	"github.com/breachpath/breachpath/graph"
	"github.com/breachpath/breachpath/opsconfig"
	"github.com/breachpath/breachpath/scoring/owner"
)

// The configuration is the notify: section of the operations config file
// (opsconfig, docs/notifications.md).
type (
	Config        = opsconfig.Notify
	WebhookConfig = opsconfig.Webhook
	JiraConfig    = opsconfig.Jira
	RetryConfig   = opsconfig.Retry
	Filter        = opsconfig.Filter
	Duration      = opsconfig.Duration
)

// Webhook payload formats.
const (
	FormatJSON  = opsconfig.WebhookJSON  // the generic signed JSON webhook
	FormatSlack = opsconfig.WebhookSlack // a Slack incoming webhook (Block Kit message)
	FormatTeams = opsconfig.WebhookTeams // a Microsoft Teams incoming webhook / workflow (Adaptive Card message)
)

// keeps reports whether the filter passes e.
func keeps(f *Filter, e *Event) bool {
	if len(f.Events) > 0 && !slices.Contains(f.Events, string(e.Kind)) {
		return false
	}
	if f.MinSeverity != "" && e.Finding != nil {
		if min, err := graph.ParseSeverity(f.MinSeverity); err == nil && e.Finding.Severity < min {
			return false
		}
	}
	if len(f.Owners) == 0 {
		return true
	}
	for _, p := range f.Owners {
		for _, o := range e.ownerNames() {
			if owner.Match(p, o) {
				return true
			}
		}
	}
	return false
}

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
