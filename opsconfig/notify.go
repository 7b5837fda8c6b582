package opsconfig

// Notify is the notify section: where notifications about new attack paths
// and new on-path findings go (owner routing, webhooks, Slack, Teams,
// Jira). It has no options yet, so any key in it is refused rather than
// silently ignored; the notification work fills it in here.
type Notify struct{}

// validate checks the notify section.
func (n *Notify) validate() error { return nil }
