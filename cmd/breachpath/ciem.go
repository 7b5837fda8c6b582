package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/breachpath/breachpath/ciem"
	"github.com/breachpath/breachpath/collector"
	awscollector "github.com/breachpath/breachpath/collector/aws"
	"github.com/breachpath/breachpath/collector/aws/entitlements"
	"github.com/breachpath/breachpath/collector/aws/identity"
	"github.com/breachpath/breachpath/graph"
	"github.com/breachpath/breachpath/graph/entitlement"
)

// ciemFlags are the flags of `breachpath ciem`.
type ciemFlags struct {
	scopeFlags
	format       string
	fromFile     string
	lastAccessed string
	days         int
	accounts     []string
	principals   []string
	output       string
	now          string
}

var ciemFormats = []string{"table", "json", "csv", "html", "markdown"}

func (a *app) ciemCommand() *cobra.Command {
	var f ciemFlags
	cmd := &cobra.Command{
		Use:   "ciem",
		Short: "Over-privilege report: entitlements, unused permissions, dormant credentials, escalation, riskiest first",
		Long: `ciem reports, for every user, group, role and service account, what it is allowed
to do and what it reaches, what it used in the last --last-accessed-days days,
its wildcard grants, dormant credentials and outside trust, whether it is
admin-equivalent directly or through an escalation path, and a least-privilege
policy built from what it used. Principals on attack paths come first, then by
over-privilege score (docs/ciem.md).

By default the report is computed from the store. --from-file reads an
'aws iam get-account-authorization-details' export instead (nothing is
written to the store). Without last-accessed data usage is "unknown" — never
"unused" — and no least-privilege policy is suggested; --last-accessed adds it
from a JSON object mapping principal ARNs to 'aws iam
get-service-last-accessed-details' outputs.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := f.validate(); err != nil {
				return err
			}
			return a.runCIEM(cmd.Context(), f)
		},
	}
	f.scopeFlags.add(cmd)
	fl := cmd.Flags()
	fl.StringVar(&f.format, "format", "table", "output format: "+strings.Join(ciemFormats, ", "))
	fl.StringVar(&f.fromFile, "from-file", "", "analyse an 'aws iam get-account-authorization-details' JSON file instead of the store")
	fl.StringVar(&f.lastAccessed, "last-accessed", "", "JSON file of last-accessed data: {\"<principal ARN>\": <get-service-last-accessed-details output>}")
	fl.IntVar(&f.days, "last-accessed-days", ciem.DefaultWindowDays, "permissions and credentials not used for this many days are unused")
	fl.StringSliceVar(&f.accounts, "account", nil, "only principals of these accounts; repeatable")
	fl.StringSliceVar(&f.principals, "principal", nil, "only these principals (id or name); repeatable")
	fl.StringVarP(&f.output, "output", "o", "", "write the report to this file instead of stdout")
	fl.StringVar(&f.now, "now", "", "reference time of the window (RFC 3339; reproducible reports and tests)")
	_ = fl.MarkHidden("now")
	return cmd
}

func (f *ciemFlags) validate() error {
	switch {
	case !slices.Contains(ciemFormats, f.format):
		return usageErrorf("--format %q: want one of %s", f.format, strings.Join(ciemFormats, ", "))
	case f.days < 1 || f.days > 400:
		return usageErrorf("--last-accessed-days %d: want 1..400 (AWS tracks 400 days)", f.days)
	case f.fromFile != "" && (len(f.scopes) > 0 || len(f.clouds) > 0):
		return usageErrorf("--from-file reads no store: it cannot be combined with --scope or --cloud")
	}
	if f.now != "" {
		if _, err := time.Parse(time.RFC3339, f.now); err != nil {
			return usageErrorf("--now %q: want an RFC 3339 time", f.now)
		}
	}
	return nil
}

func (a *app) runCIEM(ctx context.Context, f ciemFlags) error {
	var usage map[string]*entitlement.UsageData
	if f.lastAccessed != "" {
		var err error
		if usage, err = entitlements.ReadUsageFile(f.lastAccessed); err != nil {
			return err
		}
	}
	now, _ := time.Parse(time.RFC3339, f.now) // validated; zero when unset
	start := time.Now()
	var g *graph.Graph
	if f.fromFile != "" {
		snap, run, err := awscollector.FromAuthDetailsFile(ctx, f.fromFile,
			awscollector.TransformOptions{Logger: a.log, Identity: identity.Options{Now: now}, Usage: usage})
		if err != nil {
			return err
		}
		for _, w := range run.Warnings {
			a.log.Warn(w)
		}
		g = graph.Assemble(snap.Nodes, snap.Edges, snap.Findings)
	} else {
		filter, err := f.filter()
		if err != nil {
			return err
		}
		// the report reads nodes, moves and two kinds of facts: leave the
		// other facts and the findings in the store
		if g, err = a.loadGraph(ctx, ciem.LoadFilter(filter)); err != nil {
			return err
		}
	}
	loaded := time.Now()
	src := ciem.Sources{Usage: usage, Policies: collector.PolicyWriters()}
	var timing ciem.Timing
	rep, err := ciem.Build(ctx, g, src, ciem.Options{Now: now, LastAccessedDays: f.days, Accounts: f.accounts, Principals: f.principals, Timing: &timing})
	if err != nil {
		return err
	}
	// the graph and the report are both held here: the heap's peak
	writeAnalysedProfile()
	// load against build (the attack-path join included) is what
	// docs/benchmarks.md tracks; writing the report follows
	built := time.Now()
	a.log.Info("ciem report built", "load", loaded.Sub(start).Round(time.Millisecond).String(),
		"build", built.Sub(loaded).Round(time.Millisecond).String(),
		"search", timing.Search.Round(time.Millisecond).String(), "rows", timing.Rows.Round(time.Millisecond).String(),
		"order", timing.Order.Round(time.Millisecond).String(),
		"nodes", len(g.Nodes), "edges", len(g.Edges), "principals", len(rep.Principals), "attack_paths", rep.AttackPaths)
	if len(f.principals) > 0 && len(rep.Principals) == 0 {
		return fmt.Errorf("ciem: no principal matches --principal %s", strings.Join(f.principals, ", "))
	}
	w := a.stdout
	var file *os.File
	if f.output != "" {
		if file, err = os.Create(f.output); err != nil {
			return fmt.Errorf("ciem: %w", err)
		}
		w = file
	}
	err = writeCIEM(w, f.format, rep)
	if file != nil {
		if cerr := file.Close(); err == nil && cerr != nil {
			err = fmt.Errorf("ciem: %w", cerr)
		}
	}
	if err == nil {
		a.log.Info("ciem report written", "format", f.format, "write", time.Since(built).Round(time.Millisecond).String())
	}
	return err
}

func writeCIEM(w io.Writer, format string, rep *ciem.Report) error {
	switch format {
	case "json":
		return ciem.WriteJSON(w, rep)
	case "csv":
		return ciem.WriteCSV(w, rep)
	case "html":
		return ciem.WriteHTML(w, rep)
	case "markdown":
		return ciem.WriteMarkdown(w, rep)
	}
	return ciem.WriteTable(w, rep)
}
