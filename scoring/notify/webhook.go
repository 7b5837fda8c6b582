package notify

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/breachpath/breachpath/graph/safetext"
	"github.com/breachpath/breachpath/graph/safetext/mdcell"
)

// SchemaID names the shape of the generic JSON webhook body.
const SchemaID = "breachpath.notification/v1"

// Body is the generic JSON webhook body: a batch of events.
type Body struct {
	Schema string `json:"schema"`
	// Delivery identifies the batch (the hash of its event ids): the same
	// batch retried keeps it; also sent as the X-Breachpath-Delivery header.
	Delivery string    `json:"delivery"`
	SentAt   time.Time `json:"sent_at"`
	Events   []Event   `json:"events"`
}

func deliveryID(events []Event) string {
	h := sha256.New()
	for _, e := range events {
		h.Write([]byte(e.ID))
		h.Write([]byte{0})
	}
	return hex.EncodeToString(h.Sum(nil)[:16])
}

func jsonBody(events []Event, now time.Time) ([]byte, error) {
	return json.Marshal(Body{Schema: SchemaID, Delivery: deliveryID(events), SentAt: now.UTC(), Events: events})
}

// headline is the one-line summary of an event, from our own words only.
func headline(e *Event) string {
	switch e.Kind {
	case FindingOpened:
		return "New finding on an attack path"
	case FindingReopened:
		return "Finding reopened on an attack path"
	case FindingResolved:
		return "Finding resolved"
	case PathOpened:
		return "New attack path"
	case PathClosed:
		return "Attack path closed"
	}
	return string(e.Kind)
}

// fact is one labelled value of an event; values are estate text
// (attacker-controlled), escaped by each format.
type fact struct{ label, value string }

func facts(e *Event) (title string, fs []fact) {
	if f := e.Finding; f != nil {
		fs = append(fs, fact{"Severity", f.Severity.String()}, fact{"Rule", f.RuleID}, fact{"Resource", f.Resource})
		if f.Owner != "" {
			fs = append(fs, fact{"Owner", f.Owner})
		}
		if n := len(e.FindingPaths); n > 0 {
			fs = append(fs, fact{"Attack paths", fmt.Sprint(n)})
		}
		fs = append(fs, fact{"Finding", f.ID})
		return f.Title, fs
	}
	if p := e.Path; p != nil {
		if p.Source != "" {
			fs = append(fs, fact{"From", p.Source}, fact{"To", p.Target})
		}
		if p.Hops > 0 {
			fs = append(fs, fact{"Hops", fmt.Sprint(p.Hops)}, fact{"Risk", fmt.Sprintf("%.1f", p.Risk)})
		}
		if len(p.Owners) > 0 {
			fs = append(fs, fact{"Owners", strings.Join(p.Owners, ", ")})
		}
		fs = append(fs, fact{"Path", p.ID})
		return "", fs
	}
	return "", nil
}

// Slack Block Kit limits (docs: api.slack.com/reference/block-kit/blocks):
// 50 blocks per message, 150 characters of plain text in a header, 3000 in
// a section's text, 10 fields of 2000 each.
const (
	slackMaxEvents = 20 // header + one section per event + a context block < 50
	slackText      = 2900
	slackField     = 1900
)

// slackPlain is estate text as Slack plain_text: one visible line, cut.
// plain_text is not parsed for mrkdwn, mentions or links.
func slackPlain(s string, n int) map[string]any {
	return map[string]any{"type": "plain_text", "text": safetext.Truncate(safetext.Visible(s), n), "emoji": false}
}

func slackBody(events []Event, observed time.Time) ([]byte, error) {
	blocks := []map[string]any{{
		"type": "header",
		"text": slackPlain(fmt.Sprintf("breachpath: %d change(s) to attack paths", len(events)), 150),
	}}
	var fallback []string
	for i := range events {
		e := &events[i]
		title, fs := facts(e)
		text := headline(e)
		if title != "" {
			text += ": " + title
		}
		fields := make([]map[string]any, 0, len(fs))
		for _, f := range fs {
			if len(fields) == 10 {
				break
			}
			fields = append(fields, slackPlain(f.label+": "+f.value, slackField))
		}
		blocks = append(blocks, map[string]any{"type": "section", "text": slackPlain(text, slackText), "fields": fields})
		fallback = append(fallback, headline(e))
	}
	blocks = append(blocks, map[string]any{"type": "context", "elements": []map[string]any{
		slackPlain("Observed "+observed.UTC().Format(time.RFC3339)+" by breachpath", 150),
	}})
	// text is the notification fallback (push notifications, screen
	// readers); our own words only.
	return json.Marshal(map[string]any{"text": "breachpath: " + strings.Join(fallback, "; "), "blocks": blocks})
}

// teamsBody is a Teams message with one Adaptive Card (docs: "Send
// Adaptive Cards using an Incoming Webhook" / Workflows): type message,
// attachments[0].contentType application/vnd.microsoft.card.adaptive.
// Estate text goes through the markdown rule (mdcell): TextBlock and
// FactSet render markdown.
func teamsBody(events []Event, observed time.Time) ([]byte, error) {
	body := []map[string]any{{
		"type": "TextBlock", "size": "Large", "weight": "Bolder", "wrap": true,
		"text": fmt.Sprintf("breachpath: %d change(s) to attack paths", len(events)),
	}}
	for i := range events {
		e := &events[i]
		title, fs := facts(e)
		text := headline(e)
		if title != "" {
			text += ": " + mdcell.Cell(title, 300)
		}
		tf := make([]map[string]any, 0, len(fs))
		for _, f := range fs {
			tf = append(tf, map[string]any{"title": f.label, "value": mdcell.Cell(f.value, 500)})
		}
		body = append(body,
			map[string]any{"type": "TextBlock", "text": text, "weight": "Bolder", "wrap": true, "separator": true},
			map[string]any{"type": "FactSet", "facts": tf})
	}
	body = append(body, map[string]any{"type": "TextBlock", "isSubtle": true, "size": "Small", "wrap": true,
		"text": "Observed " + observed.UTC().Format(time.RFC3339) + " by breachpath"})
	card := map[string]any{
		"$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
		"type":    "AdaptiveCard",
		"version": "1.4",
		"body":    body,
	}
	return json.Marshal(map[string]any{
		"type": "message",
		"attachments": []map[string]any{{
			"contentType": "application/vnd.microsoft.card.adaptive",
			"contentUrl":  nil,
			"content":     card,
		}},
	})
}
