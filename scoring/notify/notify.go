// Package notify routes what changed after a sync to the people who fix it:
// new on-path findings and new attack paths (and, for what was announced,
// their resolution) go to signed JSON webhooks, Slack and Microsoft Teams
// incoming webhooks, and Jira issues.
//
// It reads the change ledger's newest observation (scoring/drift) and a
// per-sink sent state kept beside the ledger, and sends what the sink was
// not told yet. Working from the state rather than from one diff makes the
// sending idempotent: a restart sends nothing twice, and a run that
// stopped between recording and notifying catches up on the next one. A
// finding whose area failed to collect is stale, never resolved, so a
// failed or partial collection sends no "resolved" for what it could not
// see.
package notify

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/breachpath/breachpath/opsconfig"
	"github.com/breachpath/breachpath/scoring/drift"
)

// Options configure a Notifier.
type Options struct {
	Config *Config
	// StatePath and DeadLetterPath are the files (Config.State and
	// Config.DeadLetter when set, else the caller's defaults).
	StatePath      string
	DeadLetterPath string
	Logger         *slog.Logger
	// HTTP is the client (nil: one with Config.Timeout, default 15s).
	HTTP *http.Client
	// Now is the clock; Sleep waits between retries (tests shorten it).
	Now   func() time.Time
	Sleep func(ctx context.Context, d time.Duration) error
}

// Notifier sends notifications for observations.
type Notifier struct {
	opts  Options
	log   *slog.Logger
	c     *client
	hooks []*hook
	jira  *jira
	dead  *deadLetters
}

type hook struct {
	cfg    *WebhookConfig
	url    string // may be a credential: never logged
	secret []byte // never logged
}

// SinkResult says what one sink did in one run.
type SinkResult struct {
	Sink string `json:"sink"`
	// Baseline: the sink's first run recorded what exists without sending.
	Baseline     bool   `json:"baseline,omitempty"`
	Sent         int    `json:"sent"`
	DeadLettered int    `json:"dead_lettered"`
	Error        string `json:"error,omitempty"`
}

// New builds a notifier, reading the secrets from the environment or files.
func New(opts Options) (*Notifier, error) {
	if opts.Config == nil {
		return nil, errors.New("notify: no configuration")
	}
	if err := opts.Config.Validate(); err != nil {
		return nil, err
	}
	if opts.StatePath == "" || opts.DeadLetterPath == "" {
		return nil, errors.New("notify: state and dead-letter paths are required")
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Sleep == nil {
		opts.Sleep = sleepCtx
	}
	cfg := opts.Config
	if opts.HTTP == nil {
		t := time.Duration(cfg.Timeout)
		if t == 0 {
			t = 15 * time.Second
		}
		opts.HTTP = &http.Client{Timeout: t}
	}
	r := cfg.Retry
	if r.Attempts == 0 {
		r.Attempts = 5
	}
	if r.Backoff == 0 {
		r.Backoff = Duration(time.Second)
	}
	if r.MaxBackoff == 0 {
		r.MaxBackoff = Duration(time.Minute)
	}
	n := &Notifier{opts: opts, log: opts.Logger, dead: &deadLetters{path: opts.DeadLetterPath},
		c: &client{http: opts.HTTP, attempts: r.Attempts, backoff: time.Duration(r.Backoff),
			maxBackoff: time.Duration(r.MaxBackoff), now: opts.Now, sleep: opts.Sleep}}
	for i := range cfg.Webhooks {
		w := &cfg.Webhooks[i]
		h := &hook{cfg: w, url: w.URL}
		if h.url == "" {
			u, err := secret(w.URLEnv, w.URLFile)
			if err != nil {
				return nil, fmt.Errorf("notify: webhook %s: url: %w", w.Name, err)
			}
			if err := opsconfig.CheckNotifyURL(u); err != nil {
				return nil, fmt.Errorf("notify: webhook %s: %w", w.Name, err)
			}
			h.url = u
		}
		if w.WebhookFormat() == FormatJSON {
			s, err := secret(w.SecretEnv, w.SecretFile)
			if err != nil {
				return nil, fmt.Errorf("notify: webhook %s: secret: %w", w.Name, err)
			}
			h.secret = []byte(s)
		}
		n.hooks = append(n.hooks, h)
	}
	if cfg.Jira != nil {
		j, err := newJira(cfg.Jira, n.c)
		if err != nil {
			return nil, fmt.Errorf("notify: %w", err)
		}
		n.jira = j
	}
	return n, nil
}

// Run notifies every sink of what the observation holds that the sink was
// not told yet. One sink failing does not stop the others; the error
// returned joins what went wrong with the state itself (a delivery that
// failed is in the dead-letter file and the sink's result instead).
func (n *Notifier) Run(ctx context.Context, cur *drift.Observation) ([]SinkResult, error) {
	unlock, err := lockState(ctx, n.opts.StatePath)
	if err != nil {
		return nil, err
	}
	defer unlock()
	st, err := OpenState(ctx, n.opts.StatePath)
	if err != nil {
		return nil, err
	}
	defer st.Close()
	var out []SinkResult
	var errs []error
	for _, h := range n.hooks {
		r, err := n.runHook(ctx, st, h, cur)
		out = append(out, r)
		errs = append(errs, err)
	}
	if n.jira != nil {
		r, err := n.runJira(ctx, st, cur)
		out = append(out, r)
		errs = append(errs, err)
	}
	return out, errors.Join(errs...)
}

// pending loads the sink's state and returns its events, or records the
// baseline on a sink's first run.
func (n *Notifier) pending(ctx context.Context, st *State, sink string, f *Filter, cur *drift.Observation) ([]Event, map[string]Sent, bool, error) {
	known, err := st.Known(ctx, sink)
	if err != nil {
		return nil, nil, false, err
	}
	sent, err := st.Load(ctx, sink)
	if err != nil {
		return nil, nil, false, err
	}
	all := Pending(cur, sent)
	if !known && !n.opts.Config.NotifyExisting {
		if err := st.Baseline(ctx, sink, cur.ID, all, n.opts.Now()); err != nil {
			return nil, nil, false, err
		}
		n.log.Info("notifications: first run of this sink, existing findings and paths recorded as its baseline",
			"sink", sink, "subjects", len(all))
		return nil, sent, true, nil
	}
	var keep []Event
	for i := range all {
		if keeps(f, &all[i]) {
			keep = append(keep, all[i])
		}
	}
	return keep, sent, false, nil
}

func (n *Notifier) runHook(ctx context.Context, st *State, h *hook, cur *drift.Observation) (SinkResult, error) {
	res := SinkResult{Sink: h.cfg.Name}
	events, _, base, err := n.pending(ctx, st, h.cfg.Name, &h.cfg.Filter, cur)
	if err != nil || base {
		res.Baseline = base
		return res, err
	}
	size := h.cfg.BatchSize
	if size <= 0 {
		size = 20
	}
	if h.cfg.WebhookFormat() != FormatJSON {
		size = min(size, slackMaxEvents)
	}
	for len(events) > 0 {
		b := events[:min(size, len(events))]
		events = events[len(b):]
		now := n.opts.Now()
		var body []byte
		var err error
		switch h.cfg.WebhookFormat() {
		case FormatSlack:
			body, err = slackBody(b, cur.At)
		case FormatTeams:
			body, err = teamsBody(b, cur.At)
		default:
			body, err = jsonBody(b, now)
		}
		if err != nil {
			return res, fmt.Errorf("notify: webhook %s: encode: %w", h.cfg.Name, err)
		}
		hdr := http.Header{}
		var sign []byte
		if h.cfg.WebhookFormat() == FormatJSON {
			hdr.Set(HeaderDelivery, deliveryID(b))
			hdr.Set(HeaderEvent, "batch")
			sign = h.secret
		}
		_, attempts, derr := n.c.do(ctx, &request{method: http.MethodPost, url: h.url, header: hdr, body: body, sign: sign})
		if derr != nil && ctx.Err() != nil {
			// cancelled (shutdown): nothing is marked, the next run sends it
			return res, ctx.Err()
		}
		dead := derr != nil
		if dead {
			ids := make([]string, len(b))
			for i := range b {
				ids[i] = b[i].ID
			}
			n.log.Warn("notification failed after retries; kept in the dead-letter file", "sink", h.cfg.Name,
				"events", len(b), "attempts", attempts, "err", derr, "dead_letter", n.dead.path)
			if err := n.dead.add(&DeadLetter{At: now.UTC(), Sink: h.cfg.Name, Format: h.cfg.WebhookFormat(), Events: ids,
				Attempts: attempts, Error: derr.Error(), Body: json.RawMessage(body)}); err != nil {
				// not recorded anywhere: leave the state so the next run tries again
				return res, err
			}
			res.DeadLettered += len(b)
			res.Error = derr.Error()
		} else {
			res.Sent += len(b)
		}
		if err := st.Mark(ctx, h.cfg.Name, b, nil, dead, now); err != nil {
			return res, err
		}
	}
	if res.Sent+res.DeadLettered > 0 {
		n.log.Info("notifications sent", "sink", h.cfg.Name, "sent", res.Sent, "dead_lettered", res.DeadLettered)
	}
	return res, nil
}

func (n *Notifier) runJira(ctx context.Context, st *State, cur *drift.Observation) (SinkResult, error) {
	name := n.jira.cfg.SinkName()
	res := SinkResult{Sink: name}
	events, sent, base, err := n.pending(ctx, st, name, &n.jira.cfg.Filter, cur)
	if err != nil || base {
		res.Baseline = base
		return res, err
	}
	for i := range events {
		e := &events[i]
		if e.Finding == nil {
			continue // attack paths are not Jira issues; the finding on them is
		}
		now := n.opts.Now()
		key, err := n.jira.apply(ctx, e, sent[e.subject])
		if err != nil {
			if ctx.Err() != nil {
				return res, ctx.Err()
			}
			// Not marked: the next run tries again, and its label search
			// keeps that from filing the issue twice.
			n.log.Warn("jira update failed; kept in the dead-letter file and retried next run", "sink", name,
				"finding", e.Finding.ID, "err", err, "dead_letter", n.dead.path)
			body, _ := json.Marshal(e)
			if derr := n.dead.add(&DeadLetter{At: now.UTC(), Sink: name, Format: "jira", Events: []string{e.ID},
				Attempts: n.c.attempts, Error: err.Error(), Body: body}); derr != nil {
				return res, derr
			}
			res.DeadLettered++
			res.Error = err.Error()
			continue
		}
		if err := st.Mark(ctx, name, []Event{*e}, []string{key}, false, now); err != nil {
			return res, err
		}
		res.Sent++
	}
	return res, nil
}
