package schedule

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"strings"
	"sync"
	"time"

	"github.com/breachpath/breachpath/graph/secrets"
	"github.com/breachpath/breachpath/opsconfig"
)

// maxErrorChars bounds an error kept in a status: it is shown by /readyz
// and the API, and one line is what an operator needs there (the log has
// the rest).
const maxErrorChars = 500

// Status is the last run of one target, as /readyz and
// GET /api/v1/collections show it.
type Status struct {
	Target string `json:"target"`
	Cloud  string `json:"cloud"`
	State  State  `json:"state"`
	// LastStarted and LastFinished bound the last finished run (LastStarted
	// alone while one runs).
	LastStarted         *time.Time `json:"last_started,omitempty"`
	LastFinished        *time.Time `json:"last_finished,omitempty"`
	LastDurationSeconds float64    `json:"last_duration_seconds,omitempty"`
	// LastSuccess is when a run last stored data (ok or partial).
	LastSuccess *time.Time `json:"last_success,omitempty"`
	// LastError is the failed run's error, one line.
	LastError string `json:"last_error,omitempty"`
	// Failures are the areas a partial run could not read.
	Failures            []string `json:"failures,omitempty"`
	ConsecutiveFailures int      `json:"consecutive_failures"`
	// NextRun is when the scheduler runs the target next (absent when it
	// does not schedule, as in `collect all`).
	NextRun *time.Time `json:"next_run,omitempty"`
	Scopes  []string   `json:"scopes,omitempty"`
	// Changes of the last run that stored data; absent when it recorded
	// no observation.
	Changes *ChangeCounts `json:"changes,omitempty"`
}

// ChangeCounts summarises a run's drift.Changes.
type ChangeCounts struct {
	PathsOpened        int `json:"paths_opened"`
	PathsClosed        int `json:"paths_closed"`
	FindingsOpened     int `json:"findings_opened"`
	FindingsResolved   int `json:"findings_resolved"`
	FindingsReopened   int `json:"findings_reopened"`
	FindingsUnverified int `json:"findings_unverified"`
}

// Options tune a Scheduler. Schedule should be normalized
// (opsconfig.Schedule.WithEvery); zero fields fall back to its defaults.
type Options struct {
	Schedule opsconfig.Schedule
	Logger   *slog.Logger
	// Now is the clock; After waits (both replaced in tests, so that no
	// test waits for real time).
	Now   func() time.Time
	After func(time.Duration) <-chan time.Time
	// Jitter returns a random duration in [0, max); max may be zero.
	Jitter func(max time.Duration) time.Duration
}

// Scheduler runs targets through a Runner and keeps their statuses.
type Scheduler struct {
	targets []opsconfig.Target
	runner  Runner
	opts    Options
	log     *slog.Logger
	slots   chan struct{}

	mu      sync.Mutex
	status  map[string]*Status
	running map[string]bool
	subs    []Subscriber
}

// New returns a scheduler of the targets.
func New(targets []opsconfig.Target, r Runner, o Options) *Scheduler {
	o.Schedule = o.Schedule.WithEvery(o.Schedule.Every.D())
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.After == nil {
		o.After = time.After
	}
	if o.Jitter == nil {
		o.Jitter = func(max time.Duration) time.Duration {
			if max <= 0 {
				return 0
			}
			return rand.N(max)
		}
	}
	s := &Scheduler{targets: targets, runner: r, opts: o, log: o.Logger,
		slots: make(chan struct{}, o.Schedule.Concurrency), status: map[string]*Status{}, running: map[string]bool{}}
	for _, t := range targets {
		s.status[t.Name] = &Status{Target: t.Name, Cloud: t.Cloud, State: NeverRun}
	}
	return s
}

// Subscribe adds a subscriber; call it before Run or RunOnce.
func (s *Scheduler) Subscribe(sub Subscriber) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.subs = append(s.subs, sub)
}

// Statuses returns every target's status, in the config's order.
func (s *Scheduler) Statuses() []Status {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Status, 0, len(s.targets))
	for _, t := range s.targets {
		st := *s.status[t.Name]
		st.Scopes = append([]string(nil), st.Scopes...)
		st.Failures = append([]string(nil), st.Failures...)
		out = append(out, st)
	}
	return out
}

// RunOnce runs every target once, in the config's order, and returns their
// events. It stops early only when ctx is cancelled.
func (s *Scheduler) RunOnce(ctx context.Context) []Event {
	var evs []Event
	for _, t := range s.targets {
		if ctx.Err() != nil {
			break
		}
		if ev, ran := s.run(ctx, t.Name); ran {
			evs = append(evs, ev)
		}
	}
	return evs
}

// Run schedules every target until ctx is cancelled: a first run after a
// random delay within the jitter, then every Schedule.Every plus jitter, or
// after a failure the backoff (doubling from BackoffInitial up to
// BackoffMax) plus jitter. It returns when every loop has stopped.
func (s *Scheduler) Run(ctx context.Context) error {
	if s.opts.Schedule.Every <= 0 {
		return errors.New("schedule: no interval (set --collect-every or schedule.every)")
	}
	var wg sync.WaitGroup
	for _, t := range s.targets {
		wg.Go(func() { s.loop(ctx, t.Name) })
	}
	wg.Wait()
	return ctx.Err()
}

func (s *Scheduler) loop(ctx context.Context, name string) {
	delay := s.opts.Jitter(s.opts.Schedule.Jitter.D())
	for {
		next := s.opts.Now().Add(delay)
		s.mu.Lock()
		s.status[name].NextRun = &next
		s.mu.Unlock()
		select {
		case <-ctx.Done():
			return
		case <-s.opts.After(delay):
		}
		s.run(ctx, name)
		delay = s.NextDelay(name)
	}
}

// NextDelay is how long the target waits before its next run, given its
// last one: the interval after a success, the backoff after failures, plus
// jitter either way.
func (s *Scheduler) NextDelay(name string) time.Duration {
	s.mu.Lock()
	n := s.status[name].ConsecutiveFailures
	s.mu.Unlock()
	sc := s.opts.Schedule
	base := sc.Every.D()
	if n > 0 {
		base = sc.BackoffInitial.D()
		for i := 1; i < n && base < sc.BackoffMax.D(); i++ {
			base *= 2
		}
		if sc.BackoffMax > 0 {
			base = min(base, sc.BackoffMax.D())
		}
	}
	return base + s.opts.Jitter(sc.Jitter.D())
}

// run performs one run of the target unless one is already running (then
// ran is false). Runs of different targets wait for a slot
// (Schedule.Concurrency).
func (s *Scheduler) run(ctx context.Context, name string) (ev Event, ran bool) {
	s.mu.Lock()
	if s.running[name] {
		s.mu.Unlock()
		return Event{}, false
	}
	s.running[name] = true
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		delete(s.running, name)
		s.mu.Unlock()
	}()

	select {
	case s.slots <- struct{}{}:
	case <-ctx.Done():
		return Event{}, false
	}
	started := s.opts.Now()
	s.mu.Lock()
	st := s.status[name]
	st.State, st.LastStarted, st.NextRun = Running, &started, nil
	s.mu.Unlock()

	out, err := s.call(ctx, name)
	<-s.slots
	finished := s.opts.Now()
	ev = Event{Target: name, Started: started, Finished: finished, Err: err, Outcome: out}
	switch {
	case err != nil:
		ev.State = Failed
		ev.Outcome.Changes = nil // a failed run stored nothing: nothing opened or resolved
	case out.Partial:
		ev.State = Partial
	default:
		ev.State = OK
	}

	s.mu.Lock()
	st.State, st.LastFinished, st.LastDurationSeconds = ev.State, &finished, finished.Sub(started).Seconds()
	st.Failures = st.Failures[:0:0]
	for _, f := range ev.Outcome.Failures {
		st.Failures = append(st.Failures, oneLine(f))
	}
	if err != nil {
		st.ConsecutiveFailures++
		st.LastError = oneLine(err.Error())
	} else {
		st.ConsecutiveFailures, st.LastError, st.LastSuccess = 0, "", &finished
		st.Scopes = append([]string(nil), out.Scopes...)
		st.Changes = nil
		if c := out.Changes; c != nil {
			st.Changes = &ChangeCounts{PathsOpened: len(c.PathsOpened), PathsClosed: len(c.PathsClosed),
				FindingsOpened: len(c.FindingsOpened), FindingsResolved: len(c.FindingsResolved),
				FindingsReopened: len(c.FindingsReopened), FindingsUnverified: len(c.FindingsUnverified)}
		}
	}
	subs := append([]Subscriber(nil), s.subs...)
	s.mu.Unlock()

	if err != nil {
		s.log.Warn("collection failed; the previous data is kept", "target", name, "err", st.LastError,
			"consecutive_failures", st.ConsecutiveFailures)
	} else {
		s.log.Info("collection finished", "target", name, "state", ev.State, "duration", ev.Duration().Round(time.Millisecond))
	}
	for _, sub := range subs {
		sub.CollectionFinished(ctx, ev)
	}
	return ev, true
}

// call runs the runner with the run timeout, turning a panic in a
// collector into a failed run: one target's bug must not stop the server
// or the other targets.
func (s *Scheduler) call(ctx context.Context, name string) (out Outcome, err error) {
	if t := s.opts.Schedule.Timeout.D(); t > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, t)
		defer cancel()
	}
	defer func() {
		if r := recover(); r != nil {
			s.log.Error("collection panicked", "target", name, "panic", r)
			out, err = Outcome{}, fmt.Errorf("collect %s: internal error: %v", name, r)
		}
	}()
	return s.runner.Run(ctx, name)
}

// oneLine makes an error fit a status: one line, secret-shaped parts
// redacted (an error may quote a URL or a response, and statuses are shown
// by /readyz and the API), capped.
func oneLine(s string) string {
	s, _ = secrets.Redact(s)
	s = strings.Join(strings.Fields(s), " ")
	if r := []rune(s); len(r) > maxErrorChars {
		s = string(r[:maxErrorChars]) + "…"
	}
	return s
}
