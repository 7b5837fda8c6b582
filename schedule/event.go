// Package schedule runs collections: every target of the operations config
// once (`breachpath collect all`) or on a schedule in the background
// (`breachpath serve --collect-every`), one run at a time per target, with
// jitter and exponential backoff after failures, and it keeps the last
// run's status per target for /readyz and GET /api/v1/collections.
//
// What a run does (collect, sync into the store, record the change ledger's
// observation) is the Runner's business, supplied by the command; the
// package knows no cloud. Whoever needs to act on a finished run — the
// notifications, the Prometheus metrics — subscribes to its Events.
package schedule

import (
	"context"
	"time"

	"github.com/breachpath/breachpath/scoring/drift"
)

// State is the state of a target's last run.
type State string

// Run states. Partial means the run stored what it read but some areas
// failed (their earlier data kept, stale); Failed means nothing was stored
// and the previous data stands.
const (
	NeverRun State = "never_run"
	Running  State = "running"
	OK       State = "ok"
	Partial  State = "partial"
	Failed   State = "failed"
)

// Outcome is what a Runner reports about one run.
type Outcome struct {
	// Scopes are the scopes the run synced (account, subscription, project ids).
	Scopes []string
	// Partial says some areas failed; Failures name them (one line each,
	// never a secret: collectors report service and region).
	Partial  bool
	Failures []string
	// Changes is what the run changed, from the change ledger's newest
	// observation before the run to the one taken after it; nil when no
	// observation was recorded (nothing stored, or the ledger failed).
	Changes *drift.Changes
}

// Runner performs one run of one target.
type Runner interface {
	// Run collects the target and syncs it. An error means the run failed
	// and must have stored nothing; a partial collection is not an error.
	Run(ctx context.Context, target string) (Outcome, error)
}

// RunnerFunc adapts a function to Runner.
type RunnerFunc func(ctx context.Context, target string) (Outcome, error)

// Run calls f.
func (f RunnerFunc) Run(ctx context.Context, target string) (Outcome, error) { return f(ctx, target) }

// Event tells subscribers that a run finished.
type Event struct {
	Target   string
	State    State // OK, Partial or Failed
	Started  time.Time
	Finished time.Time
	// Err is the run's error when it failed (Changes is then nil: a failed
	// run stored nothing, so nothing opened or resolved).
	Err     error
	Outcome Outcome
}

// Duration is how long the run took.
func (e Event) Duration() time.Duration { return e.Finished.Sub(e.Started) }

// Subscriber is told about every finished run, in order, from the run's
// goroutine: a slow subscriber delays that target's next run, never a
// reader of the API. Subscribers that call out (webhooks) should queue.
type Subscriber interface {
	CollectionFinished(ctx context.Context, ev Event)
}

// SubscriberFunc adapts a function to Subscriber.
type SubscriberFunc func(ctx context.Context, ev Event)

// CollectionFinished calls f.
func (f SubscriberFunc) CollectionFinished(ctx context.Context, ev Event) { f(ctx, ev) }
