package schedule

import (
	"context"
	"errors"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/breachpath/breachpath/opsconfig"
	"github.com/breachpath/breachpath/scoring/drift"
)

func targets(names ...string) []opsconfig.Target {
	var ts []opsconfig.Target
	for _, n := range names {
		ts = append(ts, opsconfig.Target{Name: n, Cloud: opsconfig.AWS})
	}
	return ts
}

// fakeClock hands every requested wait to the test, which fires it.
type fakeClock struct {
	waits chan time.Duration
	fire  chan time.Time
	now   time.Time
}

func newFakeClock() *fakeClock {
	return &fakeClock{waits: make(chan time.Duration), fire: make(chan time.Time), now: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
}

func (c *fakeClock) after(d time.Duration) <-chan time.Time {
	c.waits <- d
	return c.fire
}

func sched() opsconfig.Schedule {
	return opsconfig.Schedule{Every: opsconfig.Duration(6 * time.Hour), Jitter: opsconfig.Duration(time.Minute),
		BackoffInitial: opsconfig.Duration(5 * time.Minute), BackoffMax: opsconfig.Duration(30 * time.Minute)}
}

func TestRunOnceRunsEveryTargetInOrderAndTellsSubscribers(t *testing.T) {
	changes := &drift.Changes{PathsOpened: []drift.PathRecord{{ID: "p1"}}}
	var order []string
	r := RunnerFunc(func(_ context.Context, name string) (Outcome, error) {
		order = append(order, name)
		switch name {
		case "bad":
			// a runner that failed must not pass changes on, even by mistake
			return Outcome{Changes: changes}, errors.New("moto: connection refused\nretry 3")
		case "partial":
			return Outcome{Scopes: []string{"222"}, Partial: true, Failures: []string{"ec2 (us-east-1)"}, Changes: changes}, nil
		}
		return Outcome{Scopes: []string{"111"}, Changes: changes}, nil
	})
	s := New(targets("good", "bad", "partial"), r, Options{Schedule: sched()})
	var got []Event
	s.Subscribe(SubscriberFunc(func(_ context.Context, ev Event) { got = append(got, ev) }))
	evs := s.RunOnce(context.Background())
	if len(evs) != 3 || len(got) != 3 || order[0] != "good" || order[1] != "bad" || order[2] != "partial" {
		t.Fatalf("order %v, events %d, told %d", order, len(evs), len(got))
	}
	tests := []struct {
		target      string
		state       State
		changes     bool
		failures    int
		lastErr     string
		consecutive int
	}{
		{"good", OK, true, 0, "", 0},
		{"bad", Failed, false, 0, "moto: connection refused retry 3", 1},
		{"partial", Partial, true, 1, "", 0},
	}
	st := s.Statuses()
	for i, tc := range tests {
		t.Run(tc.target, func(t *testing.T) {
			if got[i].Target != tc.target || got[i].State != tc.state || (got[i].Outcome.Changes != nil) != tc.changes {
				t.Errorf("event %+v", got[i])
			}
			s := st[i]
			if s.State != tc.state || s.LastError != tc.lastErr || s.ConsecutiveFailures != tc.consecutive ||
				len(s.Failures) != tc.failures || (s.Changes != nil) != tc.changes || s.LastFinished == nil {
				t.Errorf("status %+v", s)
			}
			if tc.changes && s.Changes.PathsOpened != 1 {
				t.Errorf("changes %+v", s.Changes)
			}
		})
	}
}

func TestAFailedRunKeepsTheLastSuccessfulRunsScopesAndTime(t *testing.T) {
	fail := false
	s := New(targets("a"), RunnerFunc(func(context.Context, string) (Outcome, error) {
		if fail {
			return Outcome{}, errors.New("down")
		}
		return Outcome{Scopes: []string{"111"}}, nil
	}), Options{Schedule: sched()})
	s.RunOnce(context.Background())
	ok := s.Statuses()[0]
	fail = true
	s.RunOnce(context.Background())
	st := s.Statuses()[0]
	if st.State != Failed || st.LastSuccess == nil || !st.LastSuccess.Equal(*ok.LastSuccess) || len(st.Scopes) != 1 {
		t.Errorf("after a failure: %+v", st)
	}
}

func TestNextDelayBacksOffExponentiallyUpToTheCapAndResetsOnSuccess(t *testing.T) {
	fail := true
	s := New(targets("a"), RunnerFunc(func(context.Context, string) (Outcome, error) {
		if fail {
			return Outcome{}, errors.New("down")
		}
		return Outcome{}, nil
	}), Options{Schedule: sched(), Jitter: func(time.Duration) time.Duration { return 0 }})
	if d := s.NextDelay("a"); d != 6*time.Hour {
		t.Errorf("before any run: %s", d)
	}
	want := []time.Duration{5 * time.Minute, 10 * time.Minute, 20 * time.Minute, 30 * time.Minute, 30 * time.Minute}
	for i, w := range want {
		s.RunOnce(context.Background())
		if d := s.NextDelay("a"); d != w {
			t.Errorf("after %d failures: %s, want %s", i+1, d, w)
		}
	}
	fail = false
	s.RunOnce(context.Background())
	if d := s.NextDelay("a"); d != 6*time.Hour {
		t.Errorf("after a success: %s", d)
	}
}

func TestJitterIsAddedToEveryWait(t *testing.T) {
	var asked []time.Duration
	s := New(targets("a"), RunnerFunc(func(context.Context, string) (Outcome, error) { return Outcome{}, nil }),
		Options{Schedule: sched(), Jitter: func(max time.Duration) time.Duration { asked = append(asked, max); return max / 2 }})
	if d := s.NextDelay("a"); d != 6*time.Hour+30*time.Second || len(asked) != 1 || asked[0] != time.Minute {
		t.Errorf("delay %s, jitter asked %v", d, asked)
	}
}

func TestRunWaitsTheScheduleBetweenRunsAndStopsOnCancel(t *testing.T) {
	clk := newFakeClock()
	var runs atomic.Int32
	s := New(targets("a"), RunnerFunc(func(context.Context, string) (Outcome, error) {
		if runs.Add(1) <= 2 {
			return Outcome{}, errors.New("down")
		}
		return Outcome{}, nil
	}), Options{Schedule: sched(), After: clk.after, Now: func() time.Time { return clk.now },
		Jitter: func(time.Duration) time.Duration { return 0 }})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx) }()
	// first run at once (no jitter), then two failures' backoffs, then the interval
	want := []time.Duration{0, 5 * time.Minute, 10 * time.Minute, 6 * time.Hour}
	for i, w := range want {
		if d := <-clk.waits; d != w {
			t.Fatalf("wait %d: %s, want %s", i, d, w)
		}
		if st := s.Statuses()[0]; st.NextRun == nil || !st.NextRun.Equal(clk.now.Add(w)) {
			t.Errorf("wait %d: next run %v", i, st.NextRun)
		}
		if i < len(want)-1 {
			clk.fire <- clk.now
		}
	}
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Errorf("Run returned %v", err)
	}
	if n := runs.Load(); n != 3 {
		t.Errorf("runs %d, want 3", n)
	}
}

func TestRunsOfOneTargetNeverOverlapAndConcurrencyBoundsTheRest(t *testing.T) {
	release := make(chan struct{})
	entered := make(chan string, 4)
	var inside, most atomic.Int32
	s := New(targets("a", "b"), RunnerFunc(func(_ context.Context, name string) (Outcome, error) {
		n := inside.Add(1)
		for {
			m := most.Load()
			if n <= m || most.CompareAndSwap(m, n) {
				break
			}
		}
		entered <- name
		<-release
		inside.Add(-1)
		return Outcome{}, nil
	}), Options{Schedule: sched()})
	var wg sync.WaitGroup
	wg.Go(func() { s.run(context.Background(), "a") })
	<-entered // a is running
	if _, ran := s.run(context.Background(), "a"); ran {
		t.Fatal("a second run of a started while the first was running")
	}
	if st := s.Statuses()[0]; st.State != Running {
		t.Errorf("state while running: %s", st.State)
	}
	wg.Go(func() { s.run(context.Background(), "b") }) // waits for the one slot
	close(release)
	wg.Wait()
	if most.Load() != 1 {
		t.Errorf("%d runs at once with concurrency 1", most.Load())
	}
}

func TestAPanickingCollectorFailsItsRunOnly(t *testing.T) {
	s := New(targets("a", "b"), RunnerFunc(func(_ context.Context, name string) (Outcome, error) {
		if name == "a" {
			var m map[string]int
			m["x"]++ // a collector bug
		}
		return Outcome{}, nil
	}), Options{Schedule: sched()})
	s.RunOnce(context.Background())
	st := s.Statuses()
	if st[0].State != Failed || st[0].LastError == "" || st[1].State != OK {
		t.Errorf("statuses %+v", st)
	}
}

func TestAStatusNeverShowsASecretTheErrorQuoted(t *testing.T) {
	const key = "AKIAZ7QXTN3WFH2LJ5VR"
	const secret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLEKEY"
	s := New(targets("a"), RunnerFunc(func(context.Context, string) (Outcome, error) {
		return Outcome{}, errors.New("GET https://h/?aws_access_key_id=" + key + "&aws_secret_access_key=" + secret + " failed")
	}), Options{Schedule: sched()})
	s.RunOnce(context.Background())
	if st := s.Statuses()[0]; strings.Contains(st.LastError, secret) || !strings.Contains(st.LastError, "failed") {
		t.Errorf("last error %q", st.LastError)
	}
}

func TestRunRefusesWithoutAnInterval(t *testing.T) {
	s := New(targets("a"), RunnerFunc(func(context.Context, string) (Outcome, error) { return Outcome{}, nil }), Options{})
	if err := s.Run(context.Background()); err == nil {
		t.Error("Run without an interval did not fail")
	}
}
