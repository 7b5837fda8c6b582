package embedded

import (
	"context"
	"errors"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/breachpath/breachpath/graph"
)

// smallFS mounts a tmpfs of size bytes-sized on a fresh directory (root
// only) and unmounts it at the end of the test. Without root or mount, the
// test is skipped unless BREACHPATH_REQUIRE_DISKFULL is set (scripts/test.sh
// sets it when it runs as root).
func smallFS(t *testing.T, size string) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "small")
	if err := os.Mkdir(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size="+size+",mode=0700", "tmpfs", dir).CombinedOutput()
	if err != nil {
		msg := "cannot mount a size-limited tmpfs (needs root): " + strings.TrimSpace(string(out))
		if os.Getenv("BREACHPATH_REQUIRE_DISKFULL") != "" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	t.Cleanup(func() {
		if out, err := exec.Command("umount", dir).CombinedOutput(); err != nil {
			t.Errorf("umount %s: %v %s", dir, err, out)
		}
	})
	return dir
}

func remount(t *testing.T, dir, size string) {
	t.Helper()
	if out, err := exec.Command("mount", "-o", "remount,size="+size, dir).CombinedOutput(); err != nil {
		t.Fatalf("remount %s: %v %s", dir, err, out)
	}
}

func TestDiskFullLeavesAStoreThatOpensWithItsLastSync(t *testing.T) {
	ctx := context.Background()
	dir := smallFS(t, "6m")
	path := filepath.Join(dir, "s.db")
	quiet := WithLogger(slog.New(slog.NewTextHandler(io.Discard, nil)))
	st, err := Open(ctx, path, quiet)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.Sync(ctx, benchSnapshot(500)); err != nil {
		t.Fatal(err)
	}
	last := benchSnapshot(2000)
	if _, err := st.Sync(ctx, last); err != nil {
		t.Fatal(err)
	}
	// Grow the scope until the disk is full: the failed sync must change
	// nothing.
	full := false
	for n := 4000; n <= 256000 && !full; n *= 2 {
		if _, err := st.Sync(ctx, benchSnapshot(n)); err != nil {
			if !strings.Contains(err.Error(), "full") {
				t.Fatalf("sync of %d nodes failed, but not for a full disk: %v", n, err)
			}
			full = true
		}
	}
	if !full {
		t.Fatal("the small file system never filled up")
	}
	_ = st.Close() // its checkpoint may fail on the full disk: that is the case under test

	check := func(when string) {
		t.Helper()
		st, err := Open(ctx, path, quiet, WithMustExist())
		if err != nil {
			t.Fatalf("%s: open: %v", when, err)
		}
		defer st.Close()
		g, err := st.Load(ctx, graph.Filter{})
		if err != nil {
			t.Fatalf("%s: load: %v", when, err)
		}
		if len(g.Nodes) != len(last.Nodes) || g.Node(last.Nodes[len(last.Nodes)-1].ID) == nil {
			t.Fatalf("%s: %d nodes, want the last good sync's %d", when, len(g.Nodes), len(last.Nodes))
		}
	}
	check("disk still full")
	remount(t, dir, "64m")
	check("after space was freed")
	if wal, err := os.Stat(path + "-wal"); err == nil && wal.Size() > 0 {
		t.Errorf("the write-ahead log was not checkpointed once there was room (%d bytes left)", wal.Size())
	}
}

func TestReadsNeverCreateAStore(t *testing.T) {
	path := filepath.Join(t.TempDir(), "typo.db")
	_, err := Open(context.Background(), path, WithMustExist())
	if !errors.Is(err, graph.ErrNoStore) {
		t.Fatalf("open of a missing store for reading: %v, want ErrNoStore", err)
	}
	if _, err := os.Stat(path); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("the read created %s (%v)", path, err)
	}
}
