package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/breachpath/breachpath/graph"
	"github.com/breachpath/breachpath/graph/safetext/mdcell"
	"github.com/breachpath/breachpath/graph/safetext/termcell"
	"github.com/breachpath/breachpath/paths"
	"github.com/breachpath/breachpath/scoring/drift"
)

// changesPath is the change ledger of the selected store:
// BREACHPATH_CHANGES_DB when set, else the embedded file's name plus
// ".changes", or ./breachpath-changes.db beside a Neo4j store.
func (a *app) changesPath() string {
	if p := os.Getenv("BREACHPATH_CHANGES_DB"); p != "" {
		return p
	}
	if a.storeURI != "" {
		return "./breachpath-changes.db"
	}
	return a.dbPath + ".changes"
}

// recordChanges observes the store after a sync (drift.Record) so that
// `diff` and /api/v1/changes can say what this sync changed, then sends the
// notifications the configuration asks for (owners.go), and returns what
// changed since the ledger's previous observation (everything is new on the
// first one); nil when nothing was recorded. A failure is logged, not
// returned: the sync itself succeeded and is kept.
func (a *app) recordChanges(ctx context.Context, st graph.Store) *drift.Changes {
	l, err := drift.OpenLedger(ctx, a.changesPath())
	if err != nil {
		a.log.Warn("changes not recorded for this sync", "err", err)
		return nil
	}
	defer l.Close()
	prev, err := l.Latest(ctx)
	if errors.Is(err, drift.ErrNoObservations) {
		prev, err = &drift.Observation{}, nil
	}
	if err != nil {
		a.log.Warn("changes not recorded for this sync", "ledger", a.changesPath(), "err", err)
		return nil
	}
	owners, err := a.owners()
	if err != nil {
		a.log.Warn("changes not recorded for this sync", "err", err)
		return nil
	}
	o, err := drift.RecordOwned(ctx, st, l, paths.Options{}, owners, time.Now())
	if err != nil {
		a.log.Warn("changes not recorded for this sync", "ledger", a.changesPath(), "err", err)
		return nil
	}
	a.notify(ctx, o)
	return drift.Diff(prev, o)
}

func (a *app) diffCommand() *cobra.Command {
	var since string
	var from, to int64
	var format string
	cmd := &cobra.Command{
		Use:   "diff [--since 24h | --from SYNC --to SYNC]",
		Short: "Show which attack paths and findings changed between two syncs",
		Long: `diff compares two observations of the estate, each taken right after a sync
(collect, collect file, demo): the attack paths that appeared and disappeared
(a path keeps its id while the same hops exist) and the findings that opened,
resolved or reopened. A finding whose area failed to collect is reported as
unverified, never as resolved.

--since 24h compares the newest observation with the last one taken at least
24 hours ago (or the oldest one); --from/--to name sync ids (breachpath graph
history lists them), each meaning the observation taken after that sync.
The observations live in the change ledger beside the store (--db plus
".changes", or BREACHPATH_CHANGES_DB).`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			q := drift.Query{FromSync: from, ToSync: to, Now: time.Now()}
			switch {
			case since != "" && (from != 0 || to != 0):
				return usageErrorf("--since and --from/--to exclude each other")
			case from < 0 || to < 0:
				return usageErrorf("--from and --to are sync ids, positive")
			case from == 0 && to != 0:
				return usageErrorf("--to needs --from")
			case from == 0:
				if since == "" {
					since = "24h"
				}
				d, err := time.ParseDuration(since)
				if err != nil || d <= 0 {
					return usageErrorf("--since %q: want a positive duration such as 24h or 90m", since)
				}
				q.Since = d
			}
			if format != "table" && format != "json" && format != "markdown" {
				return usageErrorf("--format %q: want table, json or markdown", format)
			}
			ctx := cmd.Context()
			if _, err := os.Stat(a.changesPath()); err != nil {
				return fmt.Errorf("%w: no change ledger at %s (changes are recorded by collect and demo)", drift.ErrNoObservations, a.changesPath())
			}
			l, err := drift.OpenLedger(ctx, a.changesPath())
			if err != nil {
				return err
			}
			defer l.Close()
			c, err := l.Compare(ctx, q)
			if err != nil {
				if errors.Is(err, drift.ErrNoObservations) {
					return fmt.Errorf("%w in %s (changes are recorded by collect and demo)", err, a.changesPath())
				}
				return err
			}
			switch format {
			case "json":
				enc := json.NewEncoder(a.stdout)
				enc.SetIndent("", "  ")
				return enc.Encode(c)
			case "markdown":
				return writeChangesMarkdown(a.stdout, c)
			}
			return writeChangesTable(a.stdout, c)
		},
	}
	f := cmd.Flags()
	f.StringVar(&since, "since", "", "compare with the estate this long ago (default 24h)")
	f.Int64Var(&from, "from", 0, "sync id to compare from")
	f.Int64Var(&to, "to", 0, "sync id to compare to (default: the newest)")
	f.StringVar(&format, "format", "table", "output: table, json or markdown")
	return cmd
}

// changeRow is one line of the table and markdown outputs.
type changeRow struct{ change, id, severity, owner, what string }

func changeRows(c *drift.Changes) []changeRow {
	var rows []changeRow
	for _, p := range c.PathsOpened {
		rows = append(rows, changeRow{"path opened", p.ID, strconv.FormatFloat(p.Risk, 'f', 1, 64), strings.Join(p.Owners, ", "), p.Source + " -> " + p.Target})
	}
	for _, p := range c.PathsClosed {
		rows = append(rows, changeRow{"path closed", p.ID, strconv.FormatFloat(p.Risk, 'f', 1, 64), strings.Join(p.Owners, ", "), p.Source + " -> " + p.Target})
	}
	for _, set := range []struct {
		name string
		fs   []drift.FindingRecord
	}{{"finding opened", c.FindingsOpened}, {"finding reopened", c.FindingsReopened},
		{"finding resolved", c.FindingsResolved}, {"finding unverified", c.FindingsUnverified}} {
		for _, f := range set.fs {
			rows = append(rows, changeRow{set.name, f.ID, f.Severity.String(), f.Owner, f.Title + " on " + f.Resource})
		}
	}
	return rows
}

func changesHeading(c *drift.Changes) string {
	s := fmt.Sprintf("Changes from sync %d (%s) to sync %d (%s)", c.From.SyncID, c.From.At.Format(time.RFC3339),
		c.To.SyncID, c.To.At.Format(time.RFC3339))
	if c.Truncated {
		s += "; the path search was truncated, so opened/closed paths may include paths the bound hid"
	}
	return s
}

func writeChangesTable(w io.Writer, c *drift.Changes) error {
	if _, err := fmt.Fprintln(w, termcell.Line(changesHeading(c))); err != nil {
		return err
	}
	rows := changeRows(c)
	if len(rows) == 0 {
		_, err := fmt.Fprintln(w, "No attack path or finding changed.")
		return err
	}
	t := termcell.NewTable(w, "CHANGE", "ID", "RISK/SEVERITY", "OWNER", "WHAT").Wide(4, 120)
	for _, r := range rows {
		owner := r.owner
		if owner == "" {
			owner = "-"
		}
		t.Row(r.change, r.id, r.severity, owner, r.what)
	}
	return t.Flush()
}

func writeChangesMarkdown(w io.Writer, c *drift.Changes) error {
	var b strings.Builder
	fmt.Fprintf(&b, "## %s\n\n", mdcell.Text(changesHeading(c)))
	rows := changeRows(c)
	if len(rows) == 0 {
		b.WriteString("No attack path or finding changed.\n")
	} else {
		b.WriteString("| Change | Id | Risk / severity | Owner | What |\n|---|---|---|---|---|\n")
		for _, r := range rows {
			fmt.Fprintf(&b, "| %s | %s | %s | %s | %s |\n", mdcell.Text(r.change), mdcell.Text(r.id), mdcell.Text(r.severity), mdcell.Text(r.owner), mdcell.Text(r.what))
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}
