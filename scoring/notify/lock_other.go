//go:build !unix

package notify

import "context"

// lockState is a no-op where flock(2) does not exist: run one notifier at
// a time per sent state there (docs/notifications.md).
func lockState(context.Context, string) (func(), error) { return func() {}, nil }
