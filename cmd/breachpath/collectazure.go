package main

import (
	"context"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/cloud"
	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"

	azurecollector "github.com/breachpath/breachpath/collector/azure"
	"github.com/breachpath/breachpath/collector/azure/fetch"
	"github.com/breachpath/breachpath/collector/azure/offline"
	"github.com/breachpath/breachpath/collector/azure/transform"
	"github.com/breachpath/breachpath/graph"
)

// azureCollectFlags are the flags of `collect azure`.
type azureCollectFlags struct {
	subscriptions []string
	tenant        string
	fromFiles     []string
	snapshotsTo   string
	skipEntra     bool
	verifyBlobs   bool
	scanObjects   bool
	purview       []string
	concurrency   int
	// armEndpoint and graphEndpoint replace Azure Resource Manager's and
	// Microsoft Graph's base URLs; only the config file sets them.
	armEndpoint, graphEndpoint string
}

func (f *azureCollectFlags) validate() error {
	switch {
	case f.concurrency < 1 || f.concurrency > 64:
		return usageErrorf("--concurrency %d: want 1..64", f.concurrency)
	case len(f.fromFiles) > 0 && (f.skipEntra || f.verifyBlobs || f.scanObjects || len(f.purview) > 0):
		return usageErrorf("--from-file reads no Azure API: it cannot be combined with --skip-entra, --verify-public-blobs, --scan-config-objects or --purview-endpoint")
	}
	for _, s := range f.subscriptions {
		if strings.TrimSpace(s) == "" {
			return usageErrorf("--subscription has an empty id")
		}
	}
	return nil
}

func (a *app) collectAzureCommand() *cobra.Command {
	f := &azureCollectFlags{}
	cmd := &cobra.Command{
		Use:   "azure",
		Short: "Collect Azure subscriptions and Entra ID (read-only) and sync them into the store",
		Long: `Collect reads an Azure tenant and replaces each subscription's graph, and the
tenant's directory graph, in the store atomically.

Credentials come from azidentity's DefaultAzureCredential: environment
(AZURE_CLIENT_ID / AZURE_TENANT_ID / AZURE_CLIENT_SECRET or a certificate),
workload identity, managed identity, then the Azure CLI's sign-in. Every
subscription the identity can read is collected unless --subscription names
some. Resources come from Azure Resource Graph (one paged query per resource
family), details from the resource providers (blob containers, Key Vault secret
and key metadata, SQL firewall rules, App Service setting names, Automation
variables, federated credentials), RBAC from the ARM authorization API, the
directory from Microsoft Graph (with users' and service principals' sign-in
activity when AuditLog.Read.All allows), and each subscription's Activity Log
for the last 90 days (which principal performed which control-plane operation
where), from which 'breachpath ciem' suggests verified least-privilege custom
roles. Values of secrets and settings are never read or stored.

--verify-public-blobs lists each container whose public access level is
Container once, anonymously, to confirm the exposure (blob names of the first
page only; contents are never read).

--scan-config-objects also lists the blobs of containers anyone may read
(public access level Blob or Container on an account allowing it) or named or
tagged as holding configuration or keys (name words config, secrets, keys,
certs, ssh, backup, ...; account tag breachpath-config-scan=true|false), and
reads their small text blobs (Storage Blob Data Reader) to find credentials
left in them: SSH and certificate private keys, client secrets next to their
client id, passwords and tokens (at most 1000 blobs per container, 256 KiB
per blob, 64 MiB per run; binary blobs are skipped). Only the kind, the
blob's name and what identifies the credential (an SSH key's public
fingerprint, a certificate's thumbprint, a client id, a salted fingerprint)
are kept, never its value; the key opens the VMs and service principals that
accept it (docs/azure-collector.md).

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
			if err := f.validate(); err != nil {
				return err
			}
			return a.runCollectAzure(cmd.Context(), *f)
		},
	}
	fl := cmd.Flags()
	fl.StringSliceVar(&f.subscriptions, "subscription", nil, "subscription ids to collect, comma-separated (default: every subscription the identity can read / the files name)")
	fl.StringVar(&f.tenant, "tenant", "", "tenant id, when the import files do not name it")
	fl.StringSliceVar(&f.fromFiles, "from-file", nil, "import Azure export files instead of calling Azure (Resource Graph, az role assignment/definition list, AzureHound)")
	fl.BoolVar(&f.skipEntra, "skip-entra", false, "do not read Entra ID (no Microsoft Graph permissions); the directory's earlier data is kept, stale")
	fl.StringSliceVar(&f.purview, "purview-endpoint", nil, "Microsoft Purview account endpoint (https://ACCOUNT.purview.azure.com) whose Data Map classifications raise storage and SQL sensitivity (repeatable; needs the Data Reader role)")
	fl.BoolVar(&f.verifyBlobs, "verify-public-blobs", false, "confirm containers with public access level Container by one anonymous listing each")
	fl.BoolVar(&f.scanObjects, "scan-config-objects", false, "also read small text blobs of public or configuration containers (Storage Blob Data Reader) to find credentials left in them")
	fl.IntVar(&f.concurrency, "concurrency", 8, "per-resource detail calls in flight")
	fl.StringVar(&f.snapshotsTo, "snapshots-to", "", "write each snapshot to this directory instead of storing it (for 'graph neo4j-import' or a later 'collect file')")
	return cmd
}

func (a *app) runCollectAzure(ctx context.Context, f azureCollectFlags) error {
	var (
		snaps []*graph.Snapshot
		sum   *azurecollector.RunSummary
		err   error
	)
	topts := transform.Options{Logger: a.log}
	if len(f.fromFiles) > 0 {
		snaps, sum, err = azurecollector.FromFiles(ctx, f.fromFiles, azurecollector.FileOptions{
			Offline: offline.Options{TenantID: f.tenant, Subscriptions: f.subscriptions}, Transform: topts})
	} else {
		var cred *azidentity.DefaultAzureCredential
		cred, err = azidentity.NewDefaultAzureCredential(&azidentity.DefaultAzureCredentialOptions{TenantID: f.tenant})
		if err != nil {
			return fmt.Errorf("azure credentials: %w", err)
		}
		snaps, sum, err = azurecollector.Collect(ctx, cred, azurecollector.CollectOptions{Transform: topts, Fetch: fetch.Options{
			Subscriptions: f.subscriptions, TenantID: f.tenant, SkipEntra: f.skipEntra, VerifyPublicBlobs: f.verifyBlobs, ScanConfigObjects: f.scanObjects,
			PurviewEndpoints: f.purview, Concurrency: f.concurrency, Logger: a.log, Cloud: armCloud(f.armEndpoint), GraphEndpoint: f.graphEndpoint}})
	}
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
		fmt.Fprintf(w, "  %s: %s\n", store, syncLine(res))
	}
	for _, warn := range sum.Warnings {
		fmt.Fprintf(w, "warning: %s\n", oneLine(warn))
	}
	if sum.APICalls > 0 {
		fmt.Fprintf(w, "%d API calls (%d retries).\n", sum.APICalls, sum.Retries)
	}
	fmt.Fprintf(w, "Done in %s.\n", sum.Duration.Round(time.Millisecond))
}

// armCloud is the public cloud with its Resource Manager endpoint replaced
// (zero, the public cloud, when endpoint is empty).
func armCloud(endpoint string) cloud.Configuration {
	if endpoint == "" {
		return cloud.Configuration{}
	}
	rm := cloud.AzurePublic.Services[cloud.ResourceManager]
	rm.Endpoint = endpoint
	return cloud.Configuration{ActiveDirectoryAuthorityHost: cloud.AzurePublic.ActiveDirectoryAuthorityHost,
		Services: map[cloud.ServiceName]cloud.ServiceConfiguration{cloud.ResourceManager: rm}}
}
