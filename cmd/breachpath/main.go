// Command breachpath collects cloud estates into a graph, finds attack paths
// from internet exposure to sensitive data, and reports the findings on them
// first. `breachpath --help` lists the commands; docs/ARCHITECTURE.md explains
// how the pieces fit.
package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"strings"
	"syscall"
)

// Exit codes, documented in README.md ("Exit codes") and docs/ci-gate.md.
const (
	exitOK      = 0
	exitError   = 1 // the command failed
	exitUsage   = 2 // bad flags or arguments
	exitPartial = 3 // the command finished, but part of the collection failed (see the run summary)
	// exitGateFailed (4, gate.go): gate found a new attack path at or above --fail-on
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	stopProfile := startProfile()
	code := run(ctx, os.Args[1:])
	stopProfile()
	stop()
	os.Exit(code)
}

// run executes the command line and maps errors to exit codes, printing
// every error as one line (no stack traces).
func run(ctx context.Context, args []string) int {
	app := newApp()
	root := app.rootCommand()
	root.SetArgs(args)
	err := root.ExecuteContext(ctx)
	if err == nil {
		return exitOK
	}
	var pe *partialError
	switch {
	case isGateFailure(err):
		fmt.Fprintln(os.Stderr, "breachpath: "+oneLine(err.Error()))
		return exitGateFailed
	case errors.As(err, &pe):
		fmt.Fprintln(os.Stderr, "breachpath: "+oneLine(err.Error()))
		return exitPartial
	case errors.Is(err, errUsage) || isCobraUsageError(err):
		fmt.Fprintln(os.Stderr, "breachpath: "+oneLine(err.Error()))
		fmt.Fprintln(os.Stderr, "Run 'breachpath --help' for usage.")
		return exitUsage
	case errors.Is(err, context.Canceled):
		fmt.Fprintln(os.Stderr, "breachpath: interrupted; nothing half-written was kept")
		return exitError
	default:
		fmt.Fprintln(os.Stderr, "breachpath: "+oneLine(err.Error()))
		return exitError
	}
}

// errUsage marks errors caused by the command line itself.
var errUsage = errors.New("usage")

func usageErrorf(format string, args ...any) error {
	return fmt.Errorf("%w: %s", errUsage, fmt.Sprintf(format, args...))
}

// partialError reports a command that completed but could not read part of
// what it was asked to read.
type partialError struct{ msg string }

func (e *partialError) Error() string { return e.msg }

// isCobraUsageError recognises cobra's own flag and argument errors, which it
// returns as plain errors.
func isCobraUsageError(err error) bool {
	msg := err.Error()
	for _, p := range []string{"unknown command", "unknown flag", "unknown shorthand flag", "flag needs an argument", "invalid argument", "accepts ", "requires at least", "required flag"} {
		if strings.Contains(msg, p) {
			return true
		}
	}
	return false
}

func oneLine(s string) string {
	s = strings.TrimSpace(s)
	s = strings.ReplaceAll(s, "\r", " ")
	return strings.ReplaceAll(s, "\n", "; ")
}
