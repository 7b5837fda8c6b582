package fetch

import (
	"context"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsmw "github.com/aws/aws-sdk-go-v2/aws/middleware"
	"github.com/aws/aws-sdk-go-v2/aws/ratelimit"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/smithy-go/middleware"
)

// Retry defaults: enough attempts to ride out a burst of throttling on a
// large account without hiding a persistent failure for minutes.
const (
	DefaultMaxAttempts = 8
	DefaultMaxBackoff  = 20 * time.Second
)

// NewRetryer returns the retryer Collect uses unless Options.Retryer is set:
// the SDK's standard retryer (exponential backoff with jitter, throttling
// and 5xx and timeouts retried) with maxAttempts attempts and backoff capped
// at maxBackoff. The client-side retry quota is disabled: a collection
// issues many concurrent reads and should not fail calls because other
// calls were throttled.
func NewRetryer(maxAttempts int, maxBackoff time.Duration) func() aws.Retryer {
	return func() aws.Retryer {
		return retry.NewStandard(func(o *retry.StandardOptions) {
			o.MaxAttempts = maxAttempts
			o.MaxBackoff = maxBackoff
			o.RateLimiter = ratelimit.None
		})
	}
}

// callCounter counts operations and attempts per service through two
// middlewares on every client's stack.
type callCounter struct {
	mu         sync.Mutex
	operations int
	attempts   int
	byService  map[string]int
}

// install adds the counting middlewares: one in Initialize (once per
// operation) and one at the end of Finalize, after the retry middleware, so
// it runs once per attempt.
func (c *callCounter) install(stack *middleware.Stack) error {
	if err := stack.Initialize.Add(middleware.InitializeMiddlewareFunc("breachpath.countOperation",
		func(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (middleware.InitializeOutput, middleware.Metadata, error) {
			c.mu.Lock()
			c.operations++
			c.mu.Unlock()
			return next.HandleInitialize(ctx, in)
		}), middleware.Before); err != nil {
		return err
	}
	return stack.Finalize.Add(middleware.FinalizeMiddlewareFunc("breachpath.countAttempt",
		func(ctx context.Context, in middleware.FinalizeInput, next middleware.FinalizeHandler) (middleware.FinalizeOutput, middleware.Metadata, error) {
			svc := awsmw.GetServiceID(ctx)
			c.mu.Lock()
			c.attempts++
			if c.byService == nil {
				c.byService = map[string]int{}
			}
			c.byService[svc]++
			c.mu.Unlock()
			return next.HandleFinalize(ctx, in)
		}), middleware.After)
}

func (c *callCounter) snapshot() (attempts, retries int, bySvc map[string]int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	bySvc = make(map[string]int, len(c.byService))
	for k, v := range c.byService {
		bySvc[k] = v
	}
	return c.attempts, c.attempts - c.operations, bySvc
}

// configure returns a copy of cfg with the retryer, endpoint override and
// call counter of the options.
func configure(cfg aws.Config, opts *Options, counter *callCounter) aws.Config {
	cfg = cfg.Copy()
	if opts.Retryer != nil {
		cfg.Retryer = opts.Retryer
	} else {
		cfg.Retryer = NewRetryer(opts.maxAttempts(), DefaultMaxBackoff)
	}
	if opts.Endpoint != "" {
		cfg.BaseEndpoint = aws.String(opts.Endpoint)
	}
	cfg.APIOptions = append(append([]func(*middleware.Stack) error(nil), cfg.APIOptions...), counter.install)
	return cfg
}
