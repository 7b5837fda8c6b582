package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	gcpfetch "github.com/breachpath/breachpath/collector/gcp/fetch"
	"github.com/breachpath/breachpath/opsconfig"
	"github.com/breachpath/breachpath/schedule"
)

// collectAllCommand is `breachpath collect all --config FILE`.
func (a *app) collectAllCommand() *cobra.Command {
	var only []string
	cmd := &cobra.Command{
		Use:   "all --config FILE",
		Short: "Collect every target of the operations config file, one after another",
		Long: `all reads the operations config file (docs/operations.md) and collects each of
its targets in turn, exactly as 'collect aws|azure|gcp' would with the target's
options, each with its cloud's standard credential chain. Every target is
synced atomically per scope and observed in the change ledger.

A target that fails stores nothing (its previous data stands) and the others
still run. The exit code is 0 when every target was read completely, 3 when
some failed or were partial, 1 when none stored anything.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := a.config()
			if err != nil {
				return err
			}
			if cfg == nil || len(cfg.Targets) == 0 {
				return usageErrorf("collect all needs --config (or BREACHPATH_CONFIG) naming a file with targets (docs/operations.md)")
			}
			return a.runCollectAll(cmd.Context(), cfg, only)
		},
	}
	cmd.Flags().StringSliceVar(&only, "target", nil, "collect only these targets (names, comma-separated)")
	return cmd
}

func (a *app) runCollectAll(ctx context.Context, cfg *opsconfig.Config, only []string) error {
	targets := cfg.Targets
	if len(only) > 0 {
		targets = nil
		for _, name := range only {
			t, ok := cfg.Target(name)
			if !ok {
				return usageErrorf("--target %q: no such target in the config", name)
			}
			targets = append(targets, *t)
		}
	}
	s := schedule.New(targets, a.targetRunner(targets, a.stdout), schedule.Options{Schedule: cfg.Schedule, Logger: a.log})
	for _, sub := range a.subscribers {
		s.Subscribe(sub)
	}
	evs := s.RunOnce(ctx)
	if err := ctx.Err(); err != nil {
		return err
	}
	counts := map[schedule.State]int{}
	for _, ev := range evs {
		counts[ev.State]++
		if ev.Err != nil {
			fmt.Fprintf(a.stdout, "target %s: failed, its previous data is kept: %s\n", ev.Target, oneLine(ev.Err.Error()))
		}
	}
	fmt.Fprintf(a.stdout, "%d targets: %d ok, %d partial, %d failed.\n", len(evs), counts[schedule.OK], counts[schedule.Partial], counts[schedule.Failed])
	switch {
	case counts[schedule.Failed] == len(evs):
		return errors.New("collect all: every target failed; nothing was stored")
	case counts[schedule.Failed]+counts[schedule.Partial] > 0:
		return &partialError{msg: fmt.Sprintf("collection partial: %d of %d targets failed, %d partial (see the summary)",
			counts[schedule.Failed], len(evs), counts[schedule.Partial])}
	}
	return nil
}

// targetRunner runs the targets through the collect commands' own code,
// writing their summaries to w.
func (a *app) targetRunner(targets []opsconfig.Target, w io.Writer) schedule.Runner {
	byName := map[string]opsconfig.Target{}
	for _, t := range targets {
		byName[t.Name] = t
	}
	return schedule.RunnerFunc(func(ctx context.Context, name string) (schedule.Outcome, error) {
		t, ok := byName[name]
		if !ok {
			return schedule.Outcome{}, fmt.Errorf("no target %q", name)
		}
		return a.runTarget(ctx, t, w)
	})
}

// runTarget collects one target and syncs it. It works on a copy of the app
// so that concurrent runs keep their sync results apart.
func (a *app) runTarget(ctx context.Context, t opsconfig.Target, w io.Writer) (schedule.Outcome, error) {
	ra := *a
	ra.stdout, ra.synced, ra.changes = w, nil, nil
	fmt.Fprintf(w, "== target %s (%s)\n", t.Name, t.Cloud)
	var err error
	switch t.Cloud {
	case opsconfig.AWS:
		f := awsFlagsOf(t)
		if err = f.validate(); err == nil {
			err = ra.runCollectAWS(ctx, f)
		}
	case opsconfig.Azure:
		f := azureFlagsOf(t)
		if err = f.validate(); err == nil {
			err = ra.runCollectAzure(ctx, f)
		}
	case opsconfig.GCP:
		f := gcpFlagsOf(t)
		for api := range f.endpoints {
			if !slices.Contains(gcpfetch.APIs, api) {
				return schedule.Outcome{}, fmt.Errorf("collect %s: gcp.endpoints: unknown API %q (want one of %s)", t.Name, api, strings.Join(gcpfetch.APIs, ", "))
			}
		}
		if err = f.validate(); err == nil {
			err = ra.runCollectGCP(ctx, f)
		}
	default:
		err = fmt.Errorf("cloud %q: want aws, azure or gcp", t.Cloud)
	}
	var pe *partialError
	partial := errors.As(err, &pe)
	if err != nil && !partial {
		return schedule.Outcome{}, fmt.Errorf("collect %s: %w", t.Name, err)
	}
	if len(ra.synced) == 0 {
		// partial with nothing stored (every account failed): a failure
		return schedule.Outcome{}, fmt.Errorf("collect %s: nothing stored: %s", t.Name, oneLine(err.Error()))
	}
	out := schedule.Outcome{Partial: partial, Changes: ra.changes}
	for _, r := range ra.synced {
		out.Scopes = append(out.Scopes, r.Scope.ID)
		for _, f := range r.Coverage.Failed {
			where := f.Region
			if where == "" {
				where = "global"
			}
			out.Failures = append(out.Failures, fmt.Sprintf("%s: %s (%s)", r.Scope.ID, f.Service, where))
		}
	}
	return out, nil
}

func awsFlagsOf(t opsconfig.Target) awsCollectFlags {
	f := awsCollectFlags{concurrency: 4, fromFile: strings.Join(t.FromFiles, ",")}
	f.defaultScanLimits()
	if o := t.AWS; o != nil {
		f.profile, f.regions, f.org, f.roleName, f.lastAccessed, f.endpoint = o.Profile, o.Regions, o.Org, o.RoleName, o.LastAccessed, o.Endpoint
		if o.Concurrency > 0 {
			f.concurrency = o.Concurrency
		}
	}
	return f
}

func azureFlagsOf(t opsconfig.Target) azureCollectFlags {
	f := azureCollectFlags{concurrency: 8, fromFiles: t.FromFiles}
	if o := t.Azure; o != nil {
		f.subscriptions, f.tenant, f.skipEntra, f.verifyBlobs = o.Subscriptions, o.Tenant, o.SkipEntra, o.VerifyPublicBlobs
		f.armEndpoint, f.graphEndpoint = o.ARMEndpoint, o.GraphEndpoint
		if o.Concurrency > 0 {
			f.concurrency = o.Concurrency
		}
	}
	return f
}

func gcpFlagsOf(t opsconfig.Target) gcpCollectFlags {
	f := gcpCollectFlags{fromFiles: t.FromFiles}
	if o := t.GCP; o != nil {
		f.organization, f.folder, f.project, f.impersonate = o.Organization, o.Folder, o.Project, o.ImpersonateServiceAccount
		f.domains, f.noStorageAPI, f.keyActivity, f.noServices = o.Domains, o.NoStorageAPI, o.KeyActivity, o.NoServiceAPIs
		f.endpoints = o.Endpoints
	}
	return f
}
