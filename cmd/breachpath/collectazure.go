package main

import (
	"context"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/spf13/cobra"

	azurecollector "github.com/breachpath/breachpath/collector/azure"
	"github.com/breachpath/breachpath/collector/azure/offline"
	"github.com/breachpath/breachpath/graph"
)

// azureCollectFlags are the flags of `collect azure`.
type azureCollectFlags struct {
	subscriptions []string
	tenant        string
	fromFiles     []string
	snapshotsTo   string
}

func (a *app) collectAzureCommand() *cobra.Command {
	f := &azureCollectFlags{}
	cmd := &cobra.Command{
		Use:   "azure",
		Short: "Collect Azure subscriptions and Entra ID (read-only) and sync them into the store",
		Long: `Collect reads an Azure tenant and replaces each subscription's graph, and the
tenant's directory graph, in the store atomically.

--from-file imports export files instead of calling Azure (repeat the flag or
give a comma-separated list; formats are recognised by content):
  - Azure Resource Graph results ('az graph query -q "Resources" -o json', also
    the resourcecontainers and authorizationresources tables),
  - 'az role assignment list --all -o json' and 'az role definition list -o json',
  - AzureHound output ('azurehound list ... -o FILE').
Areas no file covers (for example Entra ID with a Resource Graph export) keep
what the last collection stored, flagged stale.

Areas that cannot be read are reported and their earlier data is kept,
flagged stale; the exit code is then 3. An interrupted collection writes
nothing. docs/azure-collector.md lists the read-only permissions.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if len(f.fromFiles) == 0 {
				return usageErrorf("give --from-file: live collection is not in this build yet")
			}
			return a.runCollectAzure(cmd.Context(), *f)
		},
	}
	fl := cmd.Flags()
	fl.StringSliceVar(&f.subscriptions, "subscription", nil, "subscription ids to collect, comma-separated (default: every subscription the identity can read / the files name)")
	fl.StringVar(&f.tenant, "tenant", "", "tenant id, when the import files do not name it")
	fl.StringSliceVar(&f.fromFiles, "from-file", nil, "import Azure export files instead of calling Azure (Resource Graph, az role assignment/definition list, AzureHound)")
	fl.StringVar(&f.snapshotsTo, "snapshots-to", "", "write each snapshot to this directory instead of storing it (for 'graph neo4j-import' or a later 'collect file')")
	return cmd
}

func (a *app) runCollectAzure(ctx context.Context, f azureCollectFlags) error {
	snaps, sum, err := azurecollector.FromFiles(ctx, f.fromFiles, azurecollector.FileOptions{
		Offline: offline.Options{TenantID: f.tenant, Subscriptions: f.subscriptions}})
	if err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	return a.deliverSnapshots(ctx, snaps, f.snapshotsTo, func(results []graph.SyncResult, store string) {
		printAzureSummary(a.stdout, sum, results, store)
	}, sum.Partial(), func(stored bool) string {
		if !stored {
			return "collection partial: some areas failed; the snapshots record them as failed (see the summary)"
		}
		return "collection partial: some areas failed; their earlier data is kept and flagged stale (see the summary)"
	})
}

// printAzureSummary prints one block per scope: what was read, what failed
// and what the store changed.
func printAzureSummary(w io.Writer, sum *azurecollector.RunSummary, results []graph.SyncResult, store string) {
	byScope := map[string]graph.SyncResult{}
	for _, r := range results {
		byScope[r.Scope.String()] = r
	}
	for _, fl := range sum.Files {
		fmt.Fprintf(w, "read %s: %s, %d records\n", fl.Path, fl.Format, fl.Records)
	}
	for _, s := range sum.Scopes {
		failed := azurecollector.RealFailures(s.Failed)
		fmt.Fprintf(w, "Azure %s: %d areas read, %d failed; %d nodes, %d edges, %d findings\n",
			strings.TrimPrefix(s.Scope, "azure:"), s.AreasRead, len(failed), s.Nodes, s.Edges, s.Findings)
		for _, fl := range failed {
			fmt.Fprintf(w, "  failed %s: %s\n", fl.Service, oneLine(fl.Error))
		}
		res, ok := byScope[s.Scope]
		if n := len(s.Failed) - len(failed); n > 0 {
			fmt.Fprintf(w, "  %s\n", notInImport(n, store, ok, res.Stale))
		}
		if !ok {
			if store != "" {
				fmt.Fprintf(w, "  not synced\n")
			}
			continue
		}
		fmt.Fprintf(w, "  %s: written %d nodes, %d edges, %d findings; removed %d/%d/%d; stale %d/%d/%d; %d findings resolved\n",
			store, res.Written.Nodes, res.Written.Edges, res.Written.Findings,
			res.Removed.Nodes, res.Removed.Edges, res.Removed.Findings,
			res.Stale.Nodes, res.Stale.Edges, res.Stale.Findings, res.Resolved)
	}
	for _, warn := range sum.Warnings {
		fmt.Fprintf(w, "warning: %s\n", oneLine(warn))
	}
	if sum.APICalls > 0 {
		fmt.Fprintf(w, "%d API calls (%d retries).\n", sum.APICalls, sum.Retries)
	}
	fmt.Fprintf(w, "Done in %s.\n", sum.Duration.Round(time.Millisecond))
}
