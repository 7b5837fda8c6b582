package notify

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"sync"
	"time"
)

// Signature headers of the generic JSON webhook. The signature is
// "sha256=" + hex(HMAC-SHA256(key, timestamp + "." + body)), where
// timestamp is the X-Breachpath-Timestamp header (Unix seconds): binding
// the time into the MAC lets a receiver refuse a replayed request.
const (
	HeaderSignature = "X-Breachpath-Signature"
	HeaderTimestamp = "X-Breachpath-Timestamp"
	HeaderDelivery  = "X-Breachpath-Delivery"
	HeaderEvent     = "X-Breachpath-Event"
)

// Sign returns the signature header value for body sent at ts.
func Sign(key []byte, ts time.Time, body []byte) string {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(strconv.FormatInt(ts.Unix(), 10)))
	m.Write([]byte{'.'})
	m.Write(body)
	return "sha256=" + hex.EncodeToString(m.Sum(nil))
}

// Verify checks a received request's signature and timestamp (within
// tolerance of now) in constant time: the receiver's side of Sign,
// documented in docs/notifications.md.
func Verify(key []byte, signature, timestamp string, body []byte, now time.Time, tolerance time.Duration) error {
	sec, err := strconv.ParseInt(timestamp, 10, 64)
	if err != nil {
		return errors.New("verify: bad timestamp header")
	}
	ts := time.Unix(sec, 0)
	if d := now.Sub(ts); d > tolerance || d < -tolerance {
		return errors.New("verify: timestamp outside the tolerance")
	}
	if !hmac.Equal([]byte(Sign(key, ts, body)), []byte(signature)) {
		return errors.New("verify: signature does not match")
	}
	return nil
}

// request is one HTTP request a sink wants made.
type request struct {
	method, url string
	header      http.Header
	body        []byte
	// sign, when set, signs the body at each attempt (the timestamp is the
	// attempt's, so a retried delivery is not refused as stale).
	sign []byte
}

// httpError is a non-2xx answer.
type httpError struct {
	status int
	body   string
}

func (e *httpError) Error() string {
	return fmt.Sprintf("HTTP %d: %s", e.status, e.body)
}

// retryable: 5xx, 408 and 429 answers and transport errors (timeouts,
// refused connections) are worth another try; any other 4xx is not.
func retryable(err error) bool {
	var he *httpError
	if errors.As(err, &he) {
		return he.status >= 500 || he.status == http.StatusRequestTimeout || he.status == http.StatusTooManyRequests
	}
	return !errors.Is(err, context.Canceled)
}

// client makes requests with retries and exponential backoff.
type client struct {
	http       *http.Client
	attempts   int
	backoff    time.Duration
	maxBackoff time.Duration
	now        func() time.Time
	// sleep waits d or until ctx ends (tests replace it to stay fast).
	sleep func(ctx context.Context, d time.Duration) error
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// do makes the request, retrying what is retryable; it returns the answer's
// body (capped), the attempts made and the last error.
func (c *client) do(ctx context.Context, r *request) ([]byte, int, error) {
	var last error
	wait := c.backoff
	for attempt := 1; attempt <= c.attempts; attempt++ {
		body, err := c.once(ctx, r)
		if err == nil {
			return body, attempt, nil
		}
		last = err
		if !retryable(err) || attempt == c.attempts || ctx.Err() != nil {
			return nil, attempt, last
		}
		// full jitter on top of the exponential step, so many breachpath
		// instances do not retry in step
		d := wait/2 + rand.N(wait/2+1)
		if err := c.sleep(ctx, d); err != nil {
			return nil, attempt, fmt.Errorf("%w (then %w)", last, err)
		}
		wait = min(wait*2, c.maxBackoff)
	}
	return nil, c.attempts, last
}

// maxAnswer bounds what is read of an answer.
const maxAnswer = 1 << 20

func (c *client) once(ctx context.Context, r *request) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, r.method, r.url, bytes.NewReader(r.body))
	if err != nil {
		// the URL may hold a credential (Slack, Teams): never print it
		return nil, errors.New("build request: malformed URL")
	}
	for k, v := range r.header {
		req.Header[k] = v
	}
	if r.body != nil && req.Header.Get("Content-Type") == "" {
		req.Header.Set("Content-Type", "application/json")
	}
	if r.sign != nil {
		ts := c.now()
		req.Header.Set(HeaderTimestamp, strconv.FormatInt(ts.Unix(), 10))
		req.Header.Set(HeaderSignature, Sign(r.sign, ts, r.body))
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, scrubURLError(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxAnswer))
	if err != nil {
		return nil, fmt.Errorf("read answer: %w", err)
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return nil, &httpError{status: resp.StatusCode, body: short(string(body))}
	}
	return body, nil
}

// scrubURLError drops the URL from a transport error: Slack and Teams
// webhook URLs are credentials and must not reach a log.
func scrubURLError(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) && ue.Err != nil {
		return fmt.Errorf("request failed: %w", ue.Err)
	}
	return errors.New("request failed")
}

func short(s string) string {
	if len(s) > 200 {
		return s[:200] + "…"
	}
	return s
}

// DeadLetter is one line of the dead-letter file: a delivery that finally
// failed, with the exact body, so that it can be inspected and sent again by
// hand. It holds no credential (no URL, no signature, no token).
type DeadLetter struct {
	At       time.Time       `json:"at"`
	Sink     string          `json:"sink"`
	Format   string          `json:"format"`
	Events   []string        `json:"events"`
	Attempts int             `json:"attempts"`
	Error    string          `json:"error"`
	Body     json.RawMessage `json:"body"`
}

// deadLetters appends to the dead-letter file (mode 0600), one JSON object
// per line.
type deadLetters struct {
	path string
	mu   sync.Mutex
}

func (d *deadLetters) add(l *DeadLetter) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	b, err := json.Marshal(l)
	if err != nil {
		return fmt.Errorf("dead letter: %w", err)
	}
	f, err := os.OpenFile(d.path, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o600)
	if err != nil {
		return fmt.Errorf("dead letter: %w", err)
	}
	if _, err := f.Write(append(b, '\n')); err != nil {
		f.Close()
		return fmt.Errorf("dead letter %s: %w", d.path, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("dead letter %s: %w", d.path, err)
	}
	return nil
}
