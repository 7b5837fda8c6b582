//go:build unix

package notify

import (
	"context"
	"errors"
	"fmt"
	"os"
	"syscall"
	"time"
)

// lockState takes an exclusive lock beside the sent state (path + ".lock"),
// waiting for another process that holds it (a `collect` while `serve`'s
// schedule notifies): two notifiers reading the same state at once would
// both send the same change. The lock is released by the returned function
// or when the process ends.
func lockState(ctx context.Context, path string) (func(), error) {
	f, err := os.OpenFile(path+".lock", os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("lock notification state: %w", err)
	}
	for {
		err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
		if err == nil {
			return func() {
				_ = syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
				f.Close()
			}, nil
		}
		if !errors.Is(err, syscall.EWOULDBLOCK) && !errors.Is(err, syscall.EINTR) {
			f.Close()
			return nil, fmt.Errorf("lock notification state: %w", err)
		}
		// another notifier runs: poll, so that a cancelled context still ends the wait
		if err := sleepCtx(ctx, 50*time.Millisecond); err != nil {
			f.Close()
			return nil, fmt.Errorf("lock notification state: %w", err)
		}
	}
}
