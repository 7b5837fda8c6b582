package api

import "log/slog"

// slogLevel logs server errors as errors, client errors as warnings (they
// show probing and broken clients), everything else at info.
func slogLevel(status int) slog.Level {
	switch {
	case status >= 500:
		return slog.LevelError
	case status >= 400:
		return slog.LevelWarn
	}
	return slog.LevelInfo
}
