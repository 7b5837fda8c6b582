package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"

	gcpcollector "github.com/breachpath/breachpath/collector/gcp"
	gcpfetch "github.com/breachpath/breachpath/collector/gcp/fetch"
	"github.com/breachpath/breachpath/collector/gcp/transform"
	"github.com/breachpath/breachpath/graph"
)

// gcpCollectFlags are the flags of `collect gcp`.
type gcpCollectFlags struct {
	organization string
	folder       string
	project      string
	impersonate  string
	fromFiles    []string
	domains      []string
	noStorageAPI bool
	keyActivity  bool
	scanObjects  bool
	snapshotsTo  string
	noServices   bool
	dlpLocations []string
	// endpoints override API endpoints by API name (the config file's
	// gcp.endpoints); the CLOUDSDK_API_ENDPOINT_OVERRIDES_<API> variables
	// apply to the APIs it does not name.
	endpoints map[string]string
}

// getenv reads the endpoint overrides: the config's first, then the
// environment.
func (f *gcpCollectFlags) getenv(key string) string {
	if api, ok := strings.CutPrefix(key, gcpfetch.EndpointEnvPrefix); ok {
		if v, ok := f.endpoints[strings.ToLower(api)]; ok {
			return v
		}
	}
	return os.Getenv(key)
}

func (a *app) collectGCPCommand() *cobra.Command {
	f := &gcpCollectFlags{}
	cmd := &cobra.Command{
		Use:   "gcp",
		Short: "Collect a GCP organisation, folder or project (read-only) and sync it into the store",
		Long: `Collect reads a GCP organisation (--organization ID), folder (--folder ID) or
project (--project ID) with Application Default Credentials ('gcloud auth
application-default login', a service-account key file in
GOOGLE_APPLICATION_CREDENTIALS, the metadata server, or an ADC file of type
impersonated_service_account), optionally impersonating a service account
(--impersonate-service-account; the caller needs
roles/iam.serviceAccountTokenCreator on it).

Cloud Asset Inventory lists every resource, IAM policy and organisation
policy of the scope in a few paged calls per area; the Cloud Storage API adds
buckets the inventory has not caught up with, and each service's own API
(Compute Engine, BigQuery, Secret Manager, Cloud SQL, Cloud Functions, Cloud
Run, GKE, Cloud KMS) adds what the inventory lacks or holds stale
(instance-group members, getIamPolicy answers); the service's answer wins.
IAM deny policies on the organisation, folders and projects subtract from
what the allow policies grant, and VPC Service Controls perimeters make data
moves from outside them conditional (--no-service-apis skips these reads).

Endpoints follow gcloud's overrides: CLOUDSDK_API_ENDPOINT_OVERRIDES_<API>
(CLOUDASSET, STORAGE, POLICYANALYZER, COMPUTE, BIGQUERY, SECRETMANAGER, SQL,
CLOUDFUNCTIONS, RUN, CONTAINER, CLOUDKMS, IAM, ACCESSCONTEXTMANAGER,
RECOMMENDER), for example
CLOUDSDK_API_ENDPOINT_OVERRIDES_COMPUTE=https://compute-psc.p.googleapis.com/compute/v1/
for Private Service Connect. An http:// override (an emulator) is called
without credentials: tokens never travel in clear text. Each project becomes one scope
in the store (gcp:<project-id>), the organisation or folder above them one more.

Areas that cannot be read are reported and their earlier data is kept,
flagged stale; the exit code is then 3. An interrupted collection writes nothing.

--from-file imports Cloud Asset Inventory exports instead (repeat the flag or
separate files with commas): 'gcloud asset export --content-type=resource'
and '--content-type=iam-policy' (and org-policy) output as written to Cloud
Storage, 'gcloud asset list --format=json', 'gcloud asset
search-all-iam-policies --format=json' and 'gcloud policy-intelligence
query-activity --activity-type=serviceAccountKeyLastAuthentication --format=json'
a JSON array of 'gcloud iam policies get --kind=denypolicies --format=json'
outputs (deny policies) and 'gcloud access-context-manager perimeters list
--format=json' (VPC Service Controls).

--key-activity also reads when each service-account key last authenticated
(Policy Analyzer, roles/policyanalyzer.activityAnalysisViewer) and the IAM
recommender's policy insights (roles/recommender.iamViewer), so that
'breachpath ciem' can name dormant keys and unused permissions; without it
their use is unknown.

--scan-config-objects also lists the objects of buckets allUsers or
allAuthenticatedUsers may reach, or named or labelled as holding configuration
or keys (name words config, secrets, keys, certs, ssh, backup, ...; label
breachpath-config-scan=true|false), and reads their small text objects
(storage.objects.list and storage.objects.get) to find credentials left in
them: service-account key files, SSH private keys, passwords and tokens (at
most 1000 objects per bucket, 256 KiB per object, 64 MiB per run). Only the
kind, the object's name and what identifies the credential (client_email and
private_key_id, an SSH key's public fingerprint, a salted fingerprint) are
kept, never its value (docs/gcp-collector.md).

Areas absent from the files keep
their earlier data, flagged stale. docs/gcp-collector.md lists the read-only
roles the live collection needs.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := f.validate(); err != nil {
				return err
			}
			return a.runCollectGCP(cmd.Context(), *f)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&f.organization, "organization", "", "organisation id to collect (every folder and project below it)")
	fl.StringVar(&f.folder, "folder", "", "folder id to collect (every folder and project below it)")
	fl.StringVar(&f.project, "project", "", "project id or number to collect")
	fl.StringVar(&f.impersonate, "impersonate-service-account", "", "impersonate this service account (email) on top of Application Default Credentials")
	fl.StringSliceVar(&f.fromFiles, "from-file", nil, "import Cloud Asset Inventory export files instead of calling GCP (repeatable)")
	fl.StringSliceVar(&f.domains, "domain", nil, "the organisation's own domains: users outside them are external principals (default: the organisation's name)")
	fl.BoolVar(&f.noStorageAPI, "no-storage-api", false, "do not list buckets with the Cloud Storage API (the asset inventory only)")
	fl.BoolVar(&f.keyActivity, "key-activity", false, "also read when each service-account key last authenticated (Policy Analyzer) and the IAM recommender's permission-use insights, for dormant keys and unused permissions in 'breachpath ciem'")
	fl.BoolVar(&f.scanObjects, "scan-config-objects", false, "also read small text objects of public or configuration buckets (storage.objects.get) to find credentials left in them")
	fl.StringVar(&f.snapshotsTo, "snapshots-to", "", "write each scope's snapshot to this directory instead of storing it")
	fl.BoolVar(&f.noServices, "no-service-apis", false, "do not read the service APIs (compute, BigQuery, Secret Manager, Cloud SQL, Functions, Run, GKE, KMS) for detail: the asset inventory only")
	fl.StringSliceVar(&f.dlpLocations, "dlp-location", nil, "locations whose Sensitive Data Protection data profiles are read (repeatable; default "+strings.Join(gcpfetch.DefaultDLPLocations, ",")+")")
	return cmd
}

func (f *gcpCollectFlags) validate() error {
	set := 0
	for _, v := range []string{f.organization, f.folder, f.project} {
		if v != "" {
			set++
		}
	}
	switch {
	case len(f.fromFiles) > 0 && (set > 0 || f.impersonate != "" || f.keyActivity || f.scanObjects):
		return usageErrorf("--from-file reads no GCP API: it cannot be combined with --organization, --folder, --project or --impersonate-service-account")
	case len(f.fromFiles) == 0 && set != 1:
		return usageErrorf("give exactly one of --organization, --folder, --project (or --from-file)")
	}
	for _, v := range []string{f.organization, f.folder, f.project} {
		if strings.Contains(v, "/") {
			return usageErrorf("scope %q: give the bare id (for example 123456789012 or my-project)", v)
		}
	}
	return nil
}

func (f *gcpCollectFlags) parent() string {
	switch {
	case f.organization != "":
		return "organizations/" + f.organization
	case f.folder != "":
		return "folders/" + f.folder
	}
	return "projects/" + f.project
}

func (a *app) runCollectGCP(ctx context.Context, f gcpCollectFlags) error {
	to := transform.Options{Domains: f.domains, Logger: a.log}
	var (
		snaps []*graph.Snapshot
		run   *gcpcollector.Run
		err   error
	)
	if len(f.fromFiles) > 0 {
		snaps, run, err = gcpcollector.FromFiles(ctx, f.fromFiles, to)
	} else {
		fo := gcpfetch.Options{Parent: f.parent(), SkipStorageAPI: f.noStorageAPI, SkipServiceAPIs: f.noServices, KeyActivity: f.keyActivity,
			ScanConfigObjects: f.scanObjects, DLPLocations: f.dlpLocations, Logger: a.log, ServiceOptions: gcpfetch.EndpointOptions(f.getenv)}
		if f.impersonate != "" {
			imp, ierr := gcpfetch.Impersonate(ctx, f.impersonate)
			if ierr != nil {
				return ierr
			}
			imp.Apply(&fo)
		}
		snaps, run, err = gcpcollector.Collect(ctx, fo, to)
	}
	if err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	return a.deliverSnapshots(ctx, snaps, f.snapshotsTo,
		func(results []graph.SyncResult, store string) { printGCPSummary(a.stdout, run, results, store) },
		run.Partial(), func(stored bool) string { return gcpPartialMessage(run, stored) })
}

func gcpPartialMessage(run *gcpcollector.Run, stored bool) string {
	msg := fmt.Sprintf("collection partial: %d areas failed", len(gcpcollector.RealFailures(run.Failed)))
	if !stored {
		return msg + "; the snapshots record them as failed, so loading them keeps those areas' earlier data (see the summary)"
	}
	return msg + "; their earlier data is kept and flagged stale (see the summary)"
}

// printGCPSummary prints what was read, what failed and what the store
// changed, one line per scope.
func printGCPSummary(w io.Writer, run *gcpcollector.Run, results []graph.SyncResult, store string) {
	src := run.Parent
	if src == "" {
		src = strings.Join(run.Files, ", ")
	}
	failed := gcpcollector.RealFailures(run.Failed)
	fmt.Fprintf(w, "GCP %s: %d assets, %d scopes, %d nodes; %d API calls (%d retries); %d areas failed\n",
		src, run.Assets, len(run.Scopes), run.Resources, run.APICalls, run.Retries, len(failed))
	for _, fl := range failed {
		fmt.Fprintf(w, "  failed %s: %s\n", fl.Service, oneLine(fl.Error))
	}
	if n := len(run.Failed) - len(failed); n > 0 {
		var stale graph.Counts
		for _, res := range results {
			stale.Nodes, stale.Edges, stale.Findings = stale.Nodes+res.Stale.Nodes, stale.Edges+res.Stale.Edges, stale.Findings+res.Stale.Findings
		}
		fmt.Fprintf(w, "  %s\n", notInImport(n, store, len(results) > 0, stale))
	}
	for _, warn := range run.Warnings {
		fmt.Fprintf(w, "  warning: %s\n", oneLine(warn))
	}
	for _, res := range results {
		fmt.Fprintf(w, "  %s %s: %s\n", res.Scope, store, syncLine(res))
	}
	fmt.Fprintf(w, "Done in %s.\n", run.Duration.Round(time.Millisecond))
}
