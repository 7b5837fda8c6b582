package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"path/filepath"
	"sync"
	"time"

	"github.com/spf13/cobra"

	"github.com/breachpath/breachpath/api"
	"github.com/breachpath/breachpath/schedule"
	"github.com/breachpath/breachpath/web"
)

// serveFlags are the flags of `breachpath serve`.
type serveFlags struct {
	listen       string
	tokenFile    string
	noAuth       bool
	nearMax      int
	allowedHosts []string
	// collectEvery schedules the --config file's targets in the
	// background (docs/operations.md).
	collectEvery time.Duration
	// metricsPublic serves /metrics without the token.
	metricsPublic bool
}

func (a *app) serveCommand() *cobra.Command {
	var f serveFlags
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Serve the REST API and the attack-path explorer",
		Long: `serve answers the REST API under /api/v1 (docs/api.md) and the interactive
attack-path explorer at /, from the selected store.

It binds 127.0.0.1:8080 unless --listen says otherwise. Every API request needs
the bearer token kept in --token-file (default: breachpath.token next to the
store file); a random one is created, with mode 0600, and printed on first start.
--no-auth turns authentication off: only do that behind another gate.

Requests must name this server in their Host header: the listen address, a
loopback name (localhost, 127.0.0.1, [::1]) or a name given with --allowed-host
(repeatable; the name users type when the server listens on 0.0.0.0 behind a
proxy). Any other Host is refused, so a web page cannot reach the API by
rebinding its own DNS name to this machine.

--collect-every 6h collects every target of the operations config file
(--config, or BREACHPATH_CONFIG; docs/operations.md) in the background, each
one at a time, with jitter and exponential backoff after failures. Readers
keep the current analysis until the new one is ready. A failed run stores
nothing (the previous data stands); /readyz and GET /api/v1/collections show
the last run of every target. Without the flag the file's schedule.every is
used, if it sets one.

GET /metrics serves Prometheus metrics (API latency, collection durations and
outcomes, open attack paths and findings by severity). It needs the bearer
token like the API; --metrics-public serves it without (docs/security.md).`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return a.runServe(cmd.Context(), f)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&f.listen, "listen", "127.0.0.1:8080", "address to listen on (host:port)")
	fl.StringVar(&f.tokenFile, "token-file", "", "bearer token file (default: breachpath.token next to the store file)")
	fl.BoolVar(&f.noAuth, "no-auth", false, "serve the API without authentication (insecure)")
	fl.BoolVar(&f.metricsPublic, "metrics-public", false, "serve the Prometheus /metrics endpoint without the bearer token (it reveals attack-path counts and target names; docs/security.md)")
	fl.DurationVar(&f.collectEvery, "collect-every", 0, "collect the config's targets in the background at this interval, e.g. 6h (needs --config)")
	fl.StringArrayVar(&f.allowedHosts, "allowed-host", nil, "another Host header value to accept (repeatable), e.g. breachpath.internal.example")
	// measuring the neighbourhood's cut-off (docs/benchmarks.md) needs it
	// moved; users have no reason to
	fl.IntVar(&f.nearMax, "near-max-scopes", 0, "most scopes whose facts one neighbourhood or node answer loads before it reads every fact edge instead (0: the default; -1: always every fact edge)")
	_ = fl.MarkHidden("near-max-scopes")
	return cmd
}

func (a *app) runServe(ctx context.Context, f serveFlags) error {
	host, _, err := net.SplitHostPort(f.listen)
	if err != nil {
		return usageErrorf("--listen %q: want host:port, e.g. 127.0.0.1:8080", f.listen)
	}
	ops, err := a.config()
	if err != nil {
		return err
	}
	switch {
	case f.collectEvery < 0 || (f.collectEvery > 0 && f.collectEvery < time.Minute):
		return usageErrorf("--collect-every %s: want at least 1m", f.collectEvery)
	case f.collectEvery > 0 && (ops == nil || len(ops.Targets) == 0):
		return usageErrorf("--collect-every needs --config with targets (the targets to collect; docs/operations.md)")
	}
	var sched *schedule.Scheduler
	if ops != nil {
		every := f.collectEvery
		if every == 0 {
			every = ops.Schedule.Every.D()
		}
		if every > 0 {
			// The runs' summaries would interleave with the server's output:
			// the scheduler logs each run and keeps its status instead.
			opts := a.clock
			opts.Schedule, opts.Logger = ops.Schedule.WithEvery(every), a.log
			sched = schedule.New(ops.Targets, a.targetRunner(ops.Targets, io.Discard), opts)
			for _, sub := range a.subscribers {
				sched.Subscribe(sub)
			}
		}
	}
	var token string
	if f.noAuth {
		a.log.Warn("AUTHENTICATION IS OFF (--no-auth): anyone who reaches the listen address can read every attack path")
	} else {
		path := f.tokenFile
		if path == "" {
			path = a.defaultTokenFile()
		}
		tok, created, err := api.LoadOrCreateToken(path)
		if err != nil {
			return err
		}
		token = tok
		if created {
			fmt.Fprintf(a.stdout, "Created API token (stored in %s, mode 0600; it is not shown again):\n  %s\n", path, tok)
		} else {
			fmt.Fprintf(a.stdout, "API token: read from %s\n", path)
		}
	}
	if !isLoopback(host) {
		a.log.Warn("LISTENING ON A NON-LOOPBACK ADDRESS: the API and explorer are reachable from the network; put TLS in front of it",
			"listen", f.listen, "auth", !f.noAuth)
	}

	// A server that collects may start before the store exists: its first
	// collection creates it.
	open := a.openStoreRead
	if sched != nil {
		open = a.openStore
	}
	st, err := open(ctx)
	if err != nil {
		return err
	}
	defer st.Close()
	owners, err := a.owners()
	if err != nil {
		return err
	}
	cfg := api.Config{Store: st, Token: token, NoAuth: f.noAuth, Logger: a.log, Assets: web.Assets(),
		ListenAddr: f.listen, AllowedHosts: f.allowedHosts, ChangesPath: a.changesPath(), Owners: owners}
	cfg.MetricsPublic = f.metricsPublic
	cfg.NearMaxScopes = f.nearMax
	if sched != nil {
		cfg.Collections = sched.Statuses
	}
	srv, err := api.New(cfg)
	if err != nil {
		return fmt.Errorf("serve: %w", err)
	}
	if sched != nil {
		sched.Subscribe(srv) // collection metrics
	}
	ln, err := net.Listen("tcp", f.listen)
	if err != nil {
		return fmt.Errorf("serve: listen on %s: %w", f.listen, err)
	}
	hs := api.HTTPServer(f.listen, srv, a.log)
	fmt.Fprintf(a.stdout, "Serving %s: explorer http://%s/  API http://%s/api/v1/  (Ctrl-C stops)\n",
		a.storeName(), ln.Addr(), ln.Addr())

	// Warm the cache so the first page is fast; a failure is logged and
	// retried by the first request.
	go func() {
		if err := srv.Warm(ctx); err != nil && ctx.Err() == nil {
			a.log.Warn("initial analysis failed", "err", err)
		}
	}()

	// On the way out the scheduler is stopped first, then waited for: an
	// interrupted run is cancelled, which writes nothing.
	var collecting sync.WaitGroup
	defer collecting.Wait()
	collectCtx, stopCollecting := context.WithCancel(ctx)
	defer stopCollecting()
	if sched != nil {
		fmt.Fprintf(a.stdout, "Collecting %d targets in the background (status: /readyz, /api/v1/collections)\n", len(ops.Targets))
		collecting.Go(func() { _ = sched.Run(collectCtx) })
	}

	errc := make(chan error, 1)
	go func() { errc <- hs.Serve(ln) }()
	select {
	case err := <-errc:
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	shutdownCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	if err := hs.Shutdown(shutdownCtx); err != nil {
		return fmt.Errorf("serve: shutdown: %w", err)
	}
	if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("serve: %w", err)
	}
	fmt.Fprintln(a.stdout, "Stopped.")
	return nil
}

// defaultTokenFile is breachpath.token next to the embedded store file (in
// the working directory for a Neo4j store).
func (a *app) defaultTokenFile() string {
	if a.storeURI != "" {
		return "breachpath.token"
	}
	return filepath.Join(filepath.Dir(a.dbPath), "breachpath.token")
}

// isLoopback reports whether host names only the local machine.
func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
