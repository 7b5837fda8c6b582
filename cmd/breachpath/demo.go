package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sync/atomic"
	"time"

	"github.com/schollz/progressbar/v3"
	"github.com/spf13/cobra"

	"github.com/breachpath/breachpath/collector/sensitivity"
	"github.com/breachpath/breachpath/collector/snapshotfile"
	"github.com/breachpath/breachpath/collector/synthetic"
	"github.com/breachpath/breachpath/graph"
	"github.com/breachpath/breachpath/paths"
	"github.com/breachpath/breachpath/scoring"
)

func (a *app) demoCommand() *cobra.Command {
	var resources int
	var seed int64
	var showPaths, showPlan int
	var truthDir string
	var syncOnly bool
	cmd := &cobra.Command{
		Use:   "demo",
		Short: "Load a synthetic multi-cloud estate and show its attack paths",
		Long: `demo generates a deterministic synthetic estate (AWS accounts, Azure
subscriptions and GCP projects of one organisation, with planted attack paths and
decoy misconfigurations that lead nowhere), syncs it into the store, and prints a
summary, the riskiest attack paths and the first fixes of the choke-point plan.

It needs no cloud credentials. It refuses to write into a store that holds
collected (non-synthetic) data; use --db to pick another file.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if resources < synthetic.MinResources || resources > synthetic.MaxResources {
				return usageErrorf("--resources %d: want %d..%d", resources, synthetic.MinResources, synthetic.MaxResources)
			}
			return a.runDemo(cmd.Context(), resources, seed, showPaths, showPlan, truthDir, syncOnly)
		},
	}
	cmd.Flags().IntVar(&resources, "resources", 5000, "size of the estate in resources (nodes)")
	cmd.Flags().Int64Var(&seed, "seed", 1, "seed; the same seed and size give the same estate")
	cmd.Flags().IntVar(&showPaths, "paths", 5, "attack paths to print")
	cmd.Flags().IntVar(&showPlan, "plan", 5, "plan steps to print")
	cmd.Flags().BoolVar(&a.allOrNothing, "all-or-nothing", false,
		"switch every scope to the new estate together at the end: an interrupted demo leaves every scope at the previous one")
	cmd.Flags().BoolVar(&syncOnly, "sync-only", false,
		"generate and store the estate, then stop: no analysis and no change record (time a sync, or prepare a store for serve)")
	cmd.Flags().StringVar(&truthDir, "write-estate", "", "also write the estate (one JSON snapshot per scope) and its ground truth to this directory")
	cmd.Flags().StringVar(&a.sensitivityRules, "sensitivity-rules", "",
		"sensitivity rules file extending the defaults, as for collect (docs/sensitivity.md); the ground truth's store levels hold for the defaults")
	return cmd
}

func (a *app) runDemo(ctx context.Context, resources int, seed int64, showPaths, showPlan int, truthDir string, syncOnly bool) error {
	start := time.Now()
	rules, err := sensitivity.Load(a.sensitivityRules)
	if err != nil {
		return usageErrorf("%v", err)
	}
	// the estate is generated scope by scope as the sync takes it: memory
	// holds the scopes under way, not the estate; the record of every data
	// store's planted classification is kept only when it is written
	est, err := synthetic.NewStream(ctx, synthetic.Options{Seed: seed, Resources: resources, Sensitivity: rules, NoStoreTruth: truthDir == ""})
	if err != nil {
		return fmt.Errorf("generate demo estate: %w", err)
	}
	layoutTime := time.Since(start)
	if truthDir != "" {
		if err := os.MkdirAll(truthDir, 0o700); err != nil {
			return fmt.Errorf("write estate to %s: %w", truthDir, err)
		}
	}

	st, err := a.openStore(ctx)
	if err != nil {
		return err
	}
	defer st.Close()
	if err := refuseCollectedData(ctx, st, a.storeName()); err != nil {
		return err
	}

	var bar *progressbar.ProgressBar
	if a.showProgress() {
		bar = progressbar.NewOptions(est.Len(), progressbar.OptionSetWriter(a.stderr),
			progressbar.OptionSetDescription("syncing scopes"), progressbar.OptionShowCount(), progressbar.OptionClearOnFinish())
	}
	syncStart := time.Now()
	wanted := map[graph.Scope]bool{}
	var counts graph.Counts
	for _, sc := range est.Scopes {
		wanted[sc] = true
	}
	var fillTime atomic.Int64 // generating the scopes' background, summed over workers
	if _, err := graph.SyncEach(ctx, st, est.Scopes, func(i int) (*graph.Snapshot, error) {
		t := time.Now()
		snap := est.Snapshot(i)
		fillTime.Add(int64(time.Since(t)))
		if truthDir != "" {
			if err := snapshotfile.WriteFile(filepath.Join(truthDir, snapshotfile.FileName(snap.Scope)), snap); err != nil {
				return nil, err
			}
		}
		return snap, nil
	}, func(_ int, res graph.SyncResult) {
		counts.Nodes += res.Written.Nodes
		counts.Edges += res.Written.Edges
		counts.Findings += res.Written.Findings
		if bar != nil {
			_ = bar.Add(1)
		}
	}, a.syncOptions()); err != nil {
		return err
	}
	// Scopes of an earlier, larger demo would otherwise linger: empty them.
	scopes, err := st.Scopes(ctx)
	if err != nil {
		return fmt.Errorf("list scopes: %w", err)
	}
	for _, sc := range scopes {
		if !wanted[sc] {
			if _, err := st.Sync(ctx, &graph.Snapshot{Scope: sc, CollectedAt: time.Now().UTC(), Collector: "synthetic"}); err != nil {
				return fmt.Errorf("clear earlier demo scope %s: %w", sc, err)
			}
		}
	}
	syncTime := time.Since(syncStart)
	if truthDir != "" {
		// written once every scope is taken: the record of the data
		// stores' planted classifications is complete only then
		if err := synthetic.WriteTruthFile(truthDir, est.Truth); err != nil {
			return fmt.Errorf("write estate to %s: %w", truthDir, err)
		}
	}
	if !syncOnly {
		a.recordChanges(ctx, st)
	}
	a.log.Info("demo estate synced", "resources", resources, "scopes", est.Len(),
		"layout", layoutTime.Round(time.Millisecond).String(), "generate_cpu", time.Duration(fillTime.Load()).Round(time.Millisecond).String(),
		"sync", syncTime.Round(time.Millisecond).String())

	perCloud := map[graph.Cloud]int{}
	for _, sc := range est.Scopes {
		perCloud[sc.Cloud]++
	}
	w := a.stdout
	fmt.Fprintf(w, "Demo estate (seed %d): %d scopes — %s, %s, %s\n", seed, est.Len(),
		plural(perCloud[graph.CloudAWS], "AWS account"), plural(perCloud[graph.CloudAzure], "Azure subscription"), plural(perCloud[graph.CloudGCP], "GCP project"))
	fmt.Fprintf(w, "Stored in %s: %d nodes, %d edges, %d findings (generated and synced in %s)\n",
		a.storeName(), counts.Nodes, counts.Edges, counts.Findings, (layoutTime + syncTime).Round(time.Millisecond))
	fmt.Fprintf(w, "Planted: %d attack paths and %d decoy misconfigurations that lead nowhere\n", len(est.Truth.Planted), len(est.Truth.Decoys))
	a.printLines(est.Sensitivity().Lines())
	fmt.Fprintln(w)
	if syncOnly {
		fmt.Fprintln(w, "Next: breachpath paths --explain | breachpath queue --format csv | breachpath plan | breachpath graph stats")
		return nil
	}

	g, err := st.Load(ctx, graph.Filter{SkipFacts: true}) // analysis reads moves only
	if err != nil {
		return fmt.Errorf("load graph: %w", err)
	}
	opts := paths.Options{}
	owners, err := a.owners()
	if err != nil {
		return err
	}
	an, err := scoring.Analyse(ctx, g, opts, scoring.Options{Owners: owners})
	if err != nil {
		return err
	}
	onPath := 0
	for _, q := range an.Report.Queue {
		if q.OnPath {
			onPath++
		}
	}
	fmt.Fprintf(w, "Attack paths: %d; findings on a path: %d of %d (the rest rank below them as \"not on an attack path\")\n\n",
		len(an.Report.Paths), onPath, len(an.Report.Queue))
	top := an.Report.Paths
	if len(top) > showPaths {
		top = top[:showPaths]
	}
	fmt.Fprintf(w, "Top %d attack paths:\n", len(top))
	ex, err := newExplainer(ctx, an, opts)
	if err != nil {
		return err
	}
	if err := printPaths(w, top, an.Found.Truncated, ex); err != nil {
		return err
	}
	plan, err := planOf(ctx, an, opts)
	if err != nil {
		return err
	}
	fmt.Fprintln(w, "\nChoke-point plan:")
	if err := printPlan(w, g, plan, showPlan); err != nil {
		return err
	}
	fmt.Fprintln(w, "\nNext: breachpath paths --explain | breachpath queue --format csv | breachpath plan | breachpath graph stats")
	return nil
}

// refuseCollectedData stops the demo from mixing synthetic scopes into a
// store that holds real collections.
func refuseCollectedData(ctx context.Context, st graph.Store, name string) error {
	hist, err := st.History(ctx, graph.Scope{})
	if err != nil {
		return fmt.Errorf("read sync history of %s: %w", name, err)
	}
	for _, h := range hist {
		if h.Collector != "synthetic" {
			return fmt.Errorf("%s holds collected data (%s, collector %q); run the demo on another store, e.g. --db demo.db", name, h.Scope, h.Collector)
		}
	}
	return nil
}

func plural(n int, what string) string {
	if n == 1 {
		return fmt.Sprintf("1 %s", what)
	}
	return fmt.Sprintf("%d %ss", n, what)
}
