package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/spf13/cobra"

	"github.com/breachpath/breachpath/graph"
	"github.com/breachpath/breachpath/scoring/drift"
	"github.com/breachpath/breachpath/scoring/trend"
)

// reportCommand is `breachpath report`, one subcommand per report.
func (a *app) reportCommand() *cobra.Command {
	cmd := &cobra.Command{Use: "report", Short: "Operational reports over the store's history"}
	cmd.AddCommand(a.reportTrendCommand())
	return cmd
}

func (a *app) reportTrendCommand() *cobra.Command {
	var since, format string
	cmd := &cobra.Command{
		Use:   "trend [--since 90d] [--format json|csv|html]",
		Short: "Remediation metrics: time to remediate, open findings by age, attack paths over time",
		Long: `trend reports, over the window --since (default 90d):
  - mean and median time to remediate (first seen to resolved) of the findings
    resolved in the window, overall, per severity, per account / subscription /
    project and per owner (tags, the --owners mapping file and the config's
    owners: section, as everywhere: docs/notifications.md; a finding whose
    resource was deleted keeps the owner the change ledger recorded);
  - open findings by age (stale findings count as open: nobody saw them fixed);
  - the attack-path count of every observation in the change ledger (one per
    sync), per severity (the highest severity of the findings that enable a path).

--format html writes one self-contained page with charts (inline SVG, no script,
nothing fetched from the network); json is the answer of GET /api/v1/metrics/trend.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			d, err := trend.ParseWindow(since)
			if err != nil || d <= 0 {
				return usageErrorf("--since %q: want a positive duration such as 30d, 24h or 90m", since)
			}
			switch format {
			case "json", "csv", "html":
			default:
				return usageErrorf("--format %q: want json, csv or html", format)
			}
			return a.runReportTrend(cmd.Context(), d, format)
		},
	}
	cmd.Flags().StringVar(&since, "since", "90d", "window: a number of days (30d) or a duration (72h)")
	cmd.Flags().StringVar(&format, "format", "json", "output format: json, csv or html")
	return cmd
}

func (a *app) runReportTrend(ctx context.Context, since time.Duration, format string) error {
	owners, err := a.owners()
	if err != nil {
		return err
	}
	g, err := a.loadGraph(ctx, graph.Filter{IncludeResolved: true, SkipFacts: true})
	if err != nil {
		return err
	}
	var l *drift.Ledger
	if _, err := os.Stat(a.changesPath()); err == nil {
		if l, err = drift.OpenLedger(ctx, a.changesPath()); err != nil {
			return err
		}
		defer l.Close()
	} else if !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("change ledger %s: %w", a.changesPath(), err)
	}
	now := time.Now()
	r, err := trend.Build(ctx, g, l, trend.Options{Now: now, Since: now.Add(-since), Owners: owners})
	if err != nil {
		return err
	}
	switch format {
	case "csv":
		return trend.WriteCSV(a.stdout, r)
	case "html":
		return trend.WriteHTML(a.stdout, r)
	}
	return trend.WriteJSON(a.stdout, r)
}
