package main

import (
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/breachpath/breachpath/opsconfig"
	"github.com/breachpath/breachpath/scoring/owner"
	"golang.org/x/term"

	"github.com/breachpath/breachpath/graph"
	"github.com/breachpath/breachpath/schedule"
	"github.com/breachpath/breachpath/scoring/drift"
)

// app holds the global flags every command shares.
type app struct {
	dbPath     string
	storeURI   string
	logLevel   string
	noProgress bool
	// sensitivityRules is collect's --sensitivity-rules file ("" = defaults).
	sensitivityRules string
	// allOrNothing is --all-or-nothing of collect and demo: the scopes
	// written switch together (graph.SyncOptions.AllOrNothing).
	allOrNothing bool
	// staged, when set, is graph.SyncOptions.Staged of those writes: tests
	// stop an all-or-nothing write after some scopes were written.
	staged func(i int) error
	// ownersFile is the --owners mapping file ("" = owner tags only); the
	// resolver built from it is kept in resolver (owners.go).
	ownersFile string
	resolver   *owner.Resolver
	// configPath is --config: the configuration file whose owners: and
	// notify: sections owners.go reads (fileConfig, read once).
	configPath string
	fileConfig *opsconfig.Config

	// synced and changes are what this app's syncs wrote and the change
	// ledger's delta of the last one: a scheduled run (collectall.go)
	// works on its own copy of the app and reads them back.
	synced  []graph.SyncResult
	changes *drift.Changes
	// subscribers are told of every finished run of `collect all` and of
	// serve's scheduled collections (notifications, metrics).
	subscribers []schedule.Subscriber
	// clock replaces the scheduler's waits and jitter (tests; zero: real time).
	clock schedule.Options

	stdin  io.Reader
	stdout io.Writer
	stderr io.Writer
	log    *slog.Logger
}

func newApp() *app {
	return &app{stdin: os.Stdin, stdout: os.Stdout, stderr: os.Stderr}
}

// interactive reports whether a person can answer a question: stdin and
// stderr are both terminals.
func (a *app) interactive() bool {
	in, ok := a.stdin.(*os.File)
	if !ok || !term.IsTerminal(int(in.Fd())) {
		return false
	}
	f, ok := a.stderr.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

func (a *app) rootCommand() *cobra.Command {
	root := &cobra.Command{
		Use:   "breachpath",
		Short: "Graph-based cloud attack-path engine",
		Long: `breachpath loads cloud resources, identities, network reachability and data
sensitivity into a graph, searches for attack paths from internet exposure to
sensitive data, and ranks the findings that sit on real paths first.

Without cloud credentials, start with 'breachpath demo': it loads a synthetic
multi-cloud estate into the embedded store (./breachpath.db).`,
		SilenceErrors: true,
		SilenceUsage:  true,
		PersistentPreRunE: func(cmd *cobra.Command, _ []string) error {
			return a.setup()
		},
	}
	pf := root.PersistentFlags()
	pf.StringVar(&a.dbPath, "db", envOr("BREACHPATH_DB", "./breachpath.db"), "embedded store file (env BREACHPATH_DB)")
	pf.StringVar(&a.storeURI, "store", os.Getenv("BREACHPATH_NEO4J_URI"), "Neo4j store URI (neo4j://, bolt://, neo4j+s://; env BREACHPATH_NEO4J_URI); the embedded file is used when empty")
	pf.StringVar(&a.logLevel, "log-level", envOr("BREACHPATH_LOG_LEVEL", "warn"), "log level: debug, info, warn, error")
	pf.StringVar(&a.configPath, "config", os.Getenv("BREACHPATH_CONFIG"), "operations config file (docs/operations.md); collect and serve read its owners: and notify: sections (env BREACHPATH_CONFIG; docs/notifications.md)")
	pf.StringVar(&a.ownersFile, "owners", os.Getenv("BREACHPATH_OWNERS"), "owner mapping file: tag keys, resource patterns, account/subscription/project defaults (env BREACHPATH_OWNERS; docs/notifications.md)")
	pf.BoolVar(&a.noProgress, "no-progress", false, "never draw progress bars (they are drawn only when stderr is a terminal)")

	collect := a.collectCommand()
	collect.AddCommand(a.collectFileCommand())
	root.AddCommand(a.demoCommand(), collect, a.pathsCommand(), a.queueCommand(), a.planCommand(),
		a.queryCommand(), a.ciemCommand(), a.gateCommand(), a.sensitivityCommand(), a.serveCommand(), a.graphCommand(), a.versionCommand())
	root.AddCommand(a.diffCommand())       // the change ledger (diff.go)
	root.AddCommand(a.reportCommand())     // operational reports (report.go)
	root.AddCommand(a.complianceCommand()) // compliance reports (compliancecmd.go)
	return root
}

// setup configures logging once the flags are parsed.
func (a *app) setup() error {
	var lvl slog.Level
	switch strings.ToLower(a.logLevel) {
	case "debug":
		lvl = slog.LevelDebug
	case "info":
		lvl = slog.LevelInfo
	case "warn", "warning":
		lvl = slog.LevelWarn
	case "error":
		lvl = slog.LevelError
	default:
		return usageErrorf("--log-level %q: want debug, info, warn or error", a.logLevel)
	}
	a.log = slog.New(slog.NewTextHandler(a.stderr, &slog.HandlerOptions{Level: lvl}))
	slog.SetDefault(a.log)
	// a configuration named explicitly must be valid before any work starts
	if _, err := a.config(); err != nil {
		return err
	}
	return nil
}

// showProgress reports whether progress bars may be drawn: only on a
// terminal, so logs and pipes stay clean.
func (a *app) showProgress() bool {
	if a.noProgress {
		return false
	}
	f, ok := a.stderr.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

func (a *app) versionCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print the version",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			_, err := fmt.Fprintln(a.stdout, "breachpath", version)
			return err
		},
	}
}

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

func envOr(key, def string) string {
	if v := os.Getenv(key); v != "" {
		return v
	}
	return def
}
