//go:build unix

package notify

import (
	"context"
	"path/filepath"
	"testing"
)

// Two notifiers over one sent state take turns: while one holds the lock
// the other waits (here: gives up at once, its context being cancelled),
// and gets the lock once it is released.
func TestOneNotifierAtATimePerSentState(t *testing.T) {
	state := filepath.Join(t.TempDir(), "state")
	unlock, err := lockState(context.Background(), state)
	if err != nil {
		t.Fatal(err)
	}
	cancelled, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := lockState(cancelled, state); err == nil {
		t.Fatal("a second notifier took the lock while the first held it")
	}
	unlock()
	again, err := lockState(cancelled, state)
	if err != nil {
		t.Fatalf("the lock was not released: %v", err)
	}
	again()
}
