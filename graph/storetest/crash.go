package storetest

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/breachpath/breachpath/graph"
)

// Crash describes a store another process can open, for RunCrash.
type Crash struct {
	// New returns the location of a fresh, empty store: a file path for the
	// embedded store, a bolt URI plus database name for Neo4j, in whatever
	// form Open understands.
	New func(t *testing.T) string
	// Open opens the store at a location. It runs in the parent test and in
	// a child process, so it must depend on nothing but the location.
	Open func(ctx context.Context, location string) (graph.Store, error)
	// Nodes is the size of the sync the child is killed in (default 20000
	// nodes, about 44000 edges).
	Nodes int
	// KillAfter is the number of context checks the child's sync makes, on
	// the goroutine that called Sync, before it is frozen and killed
	// (default 100). It must be reached before the sync commits.
	KillAfter int64
	// AfterKill, when set, runs after the child is killed and before the
	// store is reopened: a store can check there that the kill left
	// uncommitted data behind (a write-ahead log, a lock file).
	AfterKill func(t *testing.T, location string)
}

// Environment of the child process.
const (
	crashEnvLocation = "BREACHPATH_STORETEST_CRASH_LOCATION"
	crashEnvAfter    = "BREACHPATH_STORETEST_CRASH_AFTER"
	crashEnvNodes    = "BREACHPATH_STORETEST_CRASH_NODES"
	crashMidSync     = "STORETEST-MIDSYNC"
	crashReturned    = "STORETEST-RETURNED"
)

// RunCrash checks that a process killed (SIGKILL) in the middle of a sync
// leaves the store as it was before the sync, and still usable. It re-runs
// the calling test in a child process that opens the same store and starts
// a large sync; the child freezes itself mid-sync and the parent kills it.
// The child re-runs exactly the calling (sub)test, so whatever that test
// does before RunCrash must be cheap and must not depend on other tests.
func RunCrash(t *testing.T, c Crash) {
	if c.Nodes == 0 {
		c.Nodes = 20000
	}
	if c.KillAfter == 0 {
		c.KillAfter = 100
	}
	if loc := os.Getenv(crashEnvLocation); loc != "" {
		crashChild(t, c, loc)
		return
	}
	if testing.Short() {
		t.Skip("crash test starts a child process and a large sync; skipped with -short")
	}
	const small = 300
	ctx := context.Background()
	loc := c.New(t)
	s, err := c.Open(ctx, loc)
	if err != nil {
		t.Fatalf("open %s: %v", loc, err)
	}
	mustSync(t, s, genSnapshot(scopeA, 1, small, at(0)))
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	// The deadline is a safety net against a child that never reaches the
	// kill point, not an assertion about speed.
	cctx, cancel := context.WithTimeout(ctx, 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(cctx, os.Args[0], "-test.run="+runPattern(t.Name()), "-test.count=1", "-test.v")
	cmd.Env = append(os.Environ(),
		crashEnvLocation+"="+loc,
		crashEnvAfter+"="+strconv.FormatInt(c.KillAfter, 10),
		crashEnvNodes+"="+strconv.Itoa(c.Nodes))
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var transcript strings.Builder
	midSync := false
	sc := bufio.NewScanner(out)
	for sc.Scan() {
		line := sc.Text()
		fmt.Fprintln(&transcript, line)
		if strings.Contains(line, crashMidSync) {
			midSync = true
			if err := cmd.Process.Kill(); err != nil { // SIGKILL: no deferred cleanup runs
				t.Fatal(err)
			}
			break
		}
	}
	_ = cmd.Wait()
	if !midSync {
		t.Fatalf("child never reached the kill point (KillAfter %d context checks); output:\n%s\n%s",
			c.KillAfter, transcript.String(), stderr.String())
	}

	if c.AfterKill != nil {
		c.AfterKill(t, loc)
	}
	s, err = c.Open(ctx, loc)
	if err != nil {
		t.Fatalf("reopen after the crash: %v", err)
	}
	defer s.Close()
	if err := checkGen(mustLoad(t, s, only(scopeA)), 1, small); err != nil {
		t.Fatalf("the killed sync changed the store: %v", err)
	}
	if h, err := s.History(ctx, scopeA); err != nil || len(h) != 1 {
		t.Fatalf("History after the crash = %d records, %v; want the 1 committed sync", len(h), err)
	}
	mustSync(t, s, genSnapshot(scopeA, 3, small+10, at(2)))
	if err := checkGen(mustLoad(t, s, only(scopeA)), 3, small+10); err != nil {
		t.Fatalf("sync after the crash: %v", err)
	}
}

// crashChild is the child side of RunCrash: open the store, start a large
// sync and freeze inside it.
func crashChild(t *testing.T, c Crash, loc string) {
	after, err := strconv.ParseInt(os.Getenv(crashEnvAfter), 10, 64)
	if err != nil {
		t.Fatalf("child: %s: %v", crashEnvAfter, err)
	}
	n, err := strconv.Atoi(os.Getenv(crashEnvNodes))
	if err != nil {
		t.Fatalf("child: %s: %v", crashEnvNodes, err)
	}
	s, err := c.Open(context.Background(), loc)
	if err != nil {
		t.Fatalf("child: open %s: %v", loc, err)
	}
	snap := genSnapshot(scopeA, 2, n, at(1))
	ctx := &freezeAfter{Context: context.Background(), limit: after, gid: goid()}
	_, err = s.Sync(ctx, snap)
	// reaching this line means the kill point was never reached
	fmt.Printf("%s %v after %d context checks\n", crashReturned, err, ctx.calls.Load())
	s.Close()
}

// freezeAfter is a context that, on the limit-th Done or Err call made by
// the goroutine that runs Sync, tells the parent and blocks that goroutine
// for good, so that the parent's SIGKILL lands inside the sync. Calls from
// other goroutines (driver watchers) neither count nor block: blocking one
// of those would let the sync run on to its commit.
type freezeAfter struct {
	context.Context
	limit int64
	gid   uint64
	calls atomic.Int64
}

func (c *freezeAfter) check() {
	if goid() != c.gid {
		return
	}
	if c.calls.Add(1) == c.limit {
		fmt.Println(crashMidSync)
		for { // wait for SIGKILL; a sleeping goroutine keeps the runtime's deadlock detector quiet
			time.Sleep(time.Hour)
		}
	}
}

// Done implements context.Context.
func (c *freezeAfter) Done() <-chan struct{} { c.check(); return c.Context.Done() }

// Err implements context.Context.
func (c *freezeAfter) Err() error { c.check(); return c.Context.Err() }

// goid returns the id of the calling goroutine from its stack header
// ("goroutine 18 [running]:"); test-only, nothing else needs it.
func goid() uint64 {
	var buf [64]byte
	b := buf[:runtime.Stack(buf[:], false)]
	b = bytes.TrimPrefix(b, []byte("goroutine "))
	if i := bytes.IndexByte(b, ' '); i > 0 {
		b = b[:i]
	}
	id, _ := strconv.ParseUint(string(b), 10, 64)
	return id
}

// runPattern turns a test name ("TestX/sub_name") into a -test.run pattern
// that selects exactly that test.
func runPattern(name string) string {
	parts := strings.Split(name, "/")
	for i, p := range parts {
		parts[i] = "^" + regexp.QuoteMeta(p) + "$"
	}
	return strings.Join(parts, "/")
}
