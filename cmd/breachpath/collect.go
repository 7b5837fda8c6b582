package main

import (
	"context"
	"errors"
	"fmt"
	"github.com/breachpath/breachpath/collector/sensitivity"
	"io"
	"log/slog"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/schollz/progressbar/v3"
	"github.com/spf13/cobra"

	awscollector "github.com/breachpath/breachpath/collector/aws"
	"github.com/breachpath/breachpath/collector/aws/fetch"
	"github.com/breachpath/breachpath/collector/snapshotfile"
	"github.com/breachpath/breachpath/graph"
)

// collectCommand is `breachpath collect`, with one subcommand per cloud.
func (a *app) collectCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "collect",
		Short: "Collect a cloud estate into the store",
		Long: `Collect a cloud estate into the store. Each scope (account, subscription,
project) is replaced atomically; by default each switches to its new collection as
soon as it is written, so a run stopped half-way leaves some scopes new and some
old (graph stats says so). --all-or-nothing writes every scope first and switches
them all together at the end: a failed or interrupted run leaves every scope at its
previous collection.`,
	}
	// One rules file for every cloud (collector/sensitivity); --sensitivity-map
	// is the name issue #14 asked for, kept as an alias.
	cmd.PersistentFlags().StringVar(&a.sensitivityRules, "sensitivity-rules", "",
		"YAML/JSON file of data-sensitivity rules extending the defaults (docs/sensitivity.md)")
	cmd.PersistentFlags().StringVar(&a.sensitivityRules, "sensitivity-map", "", "alias of --sensitivity-rules")
	cmd.PersistentFlags().BoolVar(&a.allOrNothing, "all-or-nothing", false,
		"switch every scope written to its new collection together at the end: a failed or interrupted run leaves every scope at its previous collection (default: each scope switches as soon as it is written)")
	cmd.AddCommand(a.collectAWSCommand())
	cmd.AddCommand(a.collectAzureCommand())
	cmd.AddCommand(a.collectGCPCommand())
	cmd.AddCommand(a.collectAllCommand())
	return cmd
}

// awsCollectFlags are the flags of `collect aws`.
type awsCollectFlags struct {
	regions     []string
	profile     string
	org         bool
	roleName    string
	concurrency int
	fromFile    string
	// lastAccessed also reads every principal's last-accessed data, which
	// the CIEM report needs to tell used permissions from unused ones.
	lastAccessed bool
	// scanConfigObjects reads small text objects of configuration buckets
	// for credentials (s3:GetObject: the one data-plane read, off by default).
	scanConfigObjects bool
	// scanMaxKeys, scanMaxObjectKiB and scanMaxTotalMiB cap that scan
	// (keys listed per bucket, bytes per object, bytes per run).
	scanMaxKeys      int
	scanMaxObjectKiB int
	scanMaxTotalMiB  int
	// kubernetes reads every EKS cluster's Kubernetes API (read-only).
	kubernetes bool
	// kubeEndpoints and kubeCAs override a cluster's API server URL and CA
	// file (name=value); kubeFiles are kubectl JSON exports per cluster
	// (name=file, repeatable) read instead of the API.
	kubeEndpoints map[string]string
	kubeCAs       map[string]string
	kubeFiles     []string
	// snapshotsTo writes the snapshots to a directory instead of storing
	// them: for 'graph neo4j-import' (a first load) or a later 'collect file'.
	snapshotsTo string
	// endpoint sends every client to this URL; only the config file's
	// aws.endpoint sets it (AWS_ENDPOINT_URL does the same for one run).
	endpoint string
}

func (a *app) collectAWSCommand() *cobra.Command {
	cmd, _ := a.newCollectAWSCommand()
	return cmd
}

// newCollectAWSCommand also returns the flags the command parses into, so
// that tests can check what a command line asks of the fetch step.
func (a *app) newCollectAWSCommand() (*cobra.Command, *awsCollectFlags) {
	f := &awsCollectFlags{}
	cmd := &cobra.Command{
		Use:   "aws",
		Short: "Collect AWS accounts (read-only) and sync them into the store",
		Long: `Collect reads one AWS account with the default credential chain (environment,
shared config and credentials files, SSO, instance or container roles) — or,
with --org --role-name, every active account of the organization by assuming
that role — and replaces each account's graph in the store atomically.

Areas (a service in a region) that cannot be read are reported and their
earlier data is kept, flagged stale; the exit code is then 3. An interrupted
collection (Ctrl-C) writes nothing.

--from-file imports an 'aws iam get-account-authorization-details' export
instead: only the account's IAM data is replaced; whatever else the store holds
of the account (from a live collection) is kept, flagged stale.

--last-accessed also reads, for every user, group and role, which services and
actions it used (IAM service last-accessed data, one GenerateServiceLastAccessedDetails
job per principal; needs iam:GenerateServiceLastAccessedDetails and
iam:GetServiceLastAccessedDetails, both in SecurityAudit). 'breachpath ciem' then
tells used permissions from unused ones and suggests least-privilege policies;
without it, usage is reported unknown. It takes one job per principal, so it
slows large accounts down. How far back counts as used is chosen at report
time ('breachpath ciem --last-accessed-days'). A principal whose job fails
keeps unknown usage and the failure is reported (iam/last-accessed).

--scan-config-objects also lists the keys of buckets named or tagged as holding
configuration (name words config, settings, env, deploy, terraform, backup, ...;
tag breachpath:config-scan=true|false) and reads their small text objects with
s3:GetObject — the collector's only data-plane read — to find credentials left
in them (at most --scan-config-max-keys keys per bucket, default 1000;
--scan-config-max-object-kib KiB per object, default 256; and
--scan-config-max-total-mib MiB per run, default 64; binary objects are skipped). Only where a credential is, its kind, key id or endpoint
and a salted fingerprint are kept, never its value (docs/aws-collector.md).

--kubernetes also reads each EKS cluster's Kubernetes API with read-only verbs
(pods, service accounts, nodes, RBAC roles and bindings, the kube-system/aws-auth
ConfigMap; never Secrets), authenticating with an EKS token made from the
collector's own credentials (as 'aws eks get-token' does): the collector's
principal needs an access entry or aws-auth mapping and the read-only ClusterRole
in docs/aws-collector.md. --kubernetes-endpoint NAME=URL and --kubernetes-ca
NAME=FILE reach a cluster another way (a private endpoint through a tunnel).
--kubernetes-file NAME=FILE (repeatable) reads a kubectl JSON export instead of
the API: 'kubectl get pods,serviceaccounts,nodes,roles,rolebindings,clusterroles,clusterrolebindings
-A -o json' and 'kubectl get configmap aws-auth -n kube-system -o json'.

Custom endpoints (an emulator, VPC endpoints, a proxy) come from the SDK's own
settings: AWS_ENDPOINT_URL, AWS_ENDPOINT_URL_<SERVICE> (AWS_ENDPOINT_URL_S3,
AWS_ENDPOINT_URL_S3_CONTROL, AWS_ENDPOINT_URL_STS, ...) or endpoint_url in the
shared config; they apply to every client (docs/aws-collector.md).`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := f.validate(); err != nil {
				return err
			}
			return a.runCollectAWS(cmd.Context(), *f)
		},
	}
	fl := cmd.Flags()
	fl.StringSliceVar(&f.regions, "regions", nil, "regions to read, comma-separated (default: every region enabled for the account)")
	fl.StringVar(&f.profile, "profile", "", "shared config profile (default: AWS_PROFILE or the default chain)")
	fl.BoolVar(&f.org, "org", false, "collect every active account of the organization (needs --role-name)")
	fl.StringVar(&f.roleName, "role-name", "", "role to assume in each member account with --org")
	fl.IntVar(&f.concurrency, "concurrency", 4, "areas read at once")
	fl.StringVar(&f.fromFile, "from-file", "", "import an 'aws iam get-account-authorization-details' JSON file instead of calling AWS")
	fl.BoolVar(&f.lastAccessed, "last-accessed", false, "also read every principal's service and action last-accessed data (for 'breachpath ciem' usage)")
	fl.BoolVar(&f.scanConfigObjects, "scan-config-objects", false, "also read small text objects of configuration buckets (s3:GetObject) to find credentials left in them")
	d := fetch.DefaultConfigScanLimits
	fl.IntVar(&f.scanMaxKeys, "scan-config-max-keys", d.MaxObjects, "with --scan-config-objects: keys listed per configuration bucket (1.."+strconv.Itoa(maxScanKeys)+")")
	fl.IntVar(&f.scanMaxObjectKiB, "scan-config-max-object-kib", int(d.MaxObjectBytes>>10), "with --scan-config-objects: largest object read, in KiB; larger ones are skipped (1.."+strconv.Itoa(maxScanObjectKiB)+")")
	fl.IntVar(&f.scanMaxTotalMiB, "scan-config-max-total-mib", int(d.MaxTotalBytes>>20), "with --scan-config-objects: bytes read over the whole run, in MiB (1.."+strconv.Itoa(maxScanTotalMiB)+")")
	fl.BoolVar(&f.kubernetes, "kubernetes", false, "also read each EKS cluster's Kubernetes API with read-only verbs (pods, service accounts, nodes, RBAC, aws-auth; never Secrets)")
	fl.StringToStringVar(&f.kubeEndpoints, "kubernetes-endpoint", nil, "API server URL of a cluster instead of its DescribeCluster endpoint (NAME=URL, comma-separated)")
	fl.StringToStringVar(&f.kubeCAs, "kubernetes-ca", nil, "PEM file of the CA of a cluster's API server (NAME=FILE, comma-separated; default: the cluster's own CA)")
	fl.StringArrayVar(&f.kubeFiles, "kubernetes-file", nil, "kubectl JSON export of a cluster read instead of its API (NAME=FILE, repeatable)")
	fl.StringVar(&f.snapshotsTo, "snapshots-to", "", "write each account's snapshot to this directory instead of storing it (for 'graph neo4j-import' or a later 'collect file')")
	return cmd, f
}

func (f *awsCollectFlags) validate() error {
	switch {
	case f.org && f.roleName == "":
		return usageErrorf("--org needs --role-name (the role to assume in each member account)")
	case !f.org && f.roleName != "":
		return usageErrorf("--role-name is only used with --org")
	case f.concurrency < 1 || f.concurrency > 64:
		return usageErrorf("--concurrency %d: want 1..64", f.concurrency)
	case f.fromFile != "" && (f.org || len(f.regions) > 0 || f.profile != "" || f.lastAccessed || f.scanConfigObjects || f.kubernetes || len(f.kubeFiles) > 0):
		// An authorization-details export holds no last-accessed data;
		// 'breachpath ciem --from-file --last-accessed FILE' reads it offline.
		return usageErrorf("--from-file reads no AWS API: it cannot be combined with --org, --regions, --profile, --last-accessed, --scan-config-objects, --kubernetes or --kubernetes-file")
	}
	for _, kf := range f.kubeFiles {
		if name, file, ok := strings.Cut(kf, "="); !ok || name == "" || file == "" {
			return usageErrorf("--kubernetes-file %q: want CLUSTER=FILE", kf)
		}
	}
	if err := f.validateScanLimits(); err != nil {
		return err
	}
	for _, r := range f.regions {
		if strings.TrimSpace(r) == "" {
			return usageErrorf("--regions has an empty region name")
		}
	}
	return nil
}

// Upper bounds of the configuration-object scan caps: beyond them the scan
// stops being a bounded look at small configuration files.
const (
	maxScanKeys      = 100000
	maxScanObjectKiB = 10 << 10 // 10 MiB
	maxScanTotalMiB  = 10 << 10 // 10 GiB
)

// defaultScanLimits sets the scan caps to the collector's defaults (what
// the flags default to), for flags built without the command line.
func (f *awsCollectFlags) defaultScanLimits() {
	d := fetch.DefaultConfigScanLimits
	f.scanMaxKeys, f.scanMaxObjectKiB, f.scanMaxTotalMiB = d.MaxObjects, int(d.MaxObjectBytes>>10), int(d.MaxTotalBytes>>20)
}

// validateScanLimits checks the configuration-object scan caps: in range,
// an object cap no larger than the run's, and set only with the scan on.
func (f *awsCollectFlags) validateScanLimits() error {
	d := fetch.DefaultConfigScanLimits
	changed := f.scanMaxKeys != d.MaxObjects || int64(f.scanMaxObjectKiB)<<10 != d.MaxObjectBytes || int64(f.scanMaxTotalMiB)<<20 != d.MaxTotalBytes
	switch {
	case changed && !f.scanConfigObjects:
		return usageErrorf("--scan-config-max-keys, --scan-config-max-object-kib and --scan-config-max-total-mib need --scan-config-objects")
	case f.scanMaxKeys < 1 || f.scanMaxKeys > maxScanKeys:
		return usageErrorf("--scan-config-max-keys %d: want 1..%d", f.scanMaxKeys, maxScanKeys)
	case f.scanMaxObjectKiB < 1 || f.scanMaxObjectKiB > maxScanObjectKiB:
		return usageErrorf("--scan-config-max-object-kib %d: want 1..%d", f.scanMaxObjectKiB, maxScanObjectKiB)
	case f.scanMaxTotalMiB < 1 || f.scanMaxTotalMiB > maxScanTotalMiB:
		return usageErrorf("--scan-config-max-total-mib %d: want 1..%d", f.scanMaxTotalMiB, maxScanTotalMiB)
	case int64(f.scanMaxObjectKiB)<<10 > int64(f.scanMaxTotalMiB)<<20:
		return usageErrorf("--scan-config-max-object-kib %d is larger than --scan-config-max-total-mib %d: no object that size could be read", f.scanMaxObjectKiB, f.scanMaxTotalMiB)
	}
	return nil
}

// fetchOptions is what the flags ask of a live collection. It reads the
// files the Kubernetes flags name.
func (f *awsCollectFlags) fetchOptions(log *slog.Logger) (fetch.Options, error) {
	o := fetch.Options{Regions: f.regions, Concurrency: f.concurrency, LastAccessed: f.lastAccessed, ScanConfigObjects: f.scanConfigObjects,
		Kubernetes: f.kubernetes, Logger: log}
	if f.scanConfigObjects {
		o.ConfigScanLimits = fetch.ConfigScanLimits{MaxObjects: f.scanMaxKeys, MaxObjectBytes: int64(f.scanMaxObjectKiB) << 10, MaxTotalBytes: int64(f.scanMaxTotalMiB) << 20}
	}
	for name, url := range f.kubeEndpoints {
		if o.KubeEndpoints == nil {
			o.KubeEndpoints = map[string]fetch.KubeEndpoint{}
		}
		o.KubeEndpoints[name] = fetch.KubeEndpoint{URL: url}
	}
	for name, file := range f.kubeCAs {
		pem, err := readCapped(file, 1<<20)
		if err != nil {
			return o, usageErrorf("--kubernetes-ca %s: %v", name, err)
		}
		ep, ok := o.KubeEndpoints[name]
		if !ok {
			return o, usageErrorf("--kubernetes-ca %s: give the cluster's --kubernetes-endpoint too", name)
		}
		ep.CAPEM = pem
		o.KubeEndpoints[name] = ep
	}
	for _, kf := range f.kubeFiles {
		name, file, _ := strings.Cut(kf, "=")
		data, err := readCapped(file, 512<<20)
		if err != nil {
			return o, usageErrorf("--kubernetes-file %s: %v", name, err)
		}
		if o.KubeExports == nil {
			o.KubeExports = map[string][][]byte{}
		}
		o.KubeExports[name] = append(o.KubeExports[name], data)
	}
	return o, nil
}

// readCapped reads a file the user named, refusing one larger than max bytes.
func readCapped(path string, max int64) ([]byte, error) {
	fh, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer fh.Close()
	data, err := io.ReadAll(io.LimitReader(fh, max+1))
	if err != nil {
		return nil, fmt.Errorf("read: %w", err)
	}
	if int64(len(data)) > max {
		return nil, fmt.Errorf("larger than %d bytes", max)
	}
	return data, nil
}

func (a *app) runCollectAWS(ctx context.Context, f awsCollectFlags) error {
	var (
		snaps []*graph.Snapshot
		sum   *awscollector.RunSummary
		err   error
	)
	topts := awscollector.TransformOptions{Logger: a.log}
	if f.fromFile != "" {
		snap, run, ierr := awscollector.FromAuthDetailsFile(ctx, f.fromFile, topts)
		if ierr != nil {
			return ierr
		}
		snaps = []*graph.Snapshot{snap}
		sum = &awscollector.RunSummary{Accounts: []awscollector.AccountRun{*run}, Duration: run.Duration}
	} else {
		var loadOpts []func(*config.LoadOptions) error
		if f.profile != "" {
			loadOpts = append(loadOpts, config.WithSharedConfigProfile(f.profile))
		}
		if f.endpoint != "" {
			loadOpts = append(loadOpts, config.WithBaseEndpoint(f.endpoint))
		}
		cfg, cerr := config.LoadDefaultConfig(ctx, loadOpts...)
		if cerr != nil {
			return fmt.Errorf("load AWS configuration: %w", cerr)
		}
		fo, ferr := f.fetchOptions(a.log)
		if ferr != nil {
			return ferr
		}
		opts := awscollector.CollectOptions{
			Fetch:     fo,
			Transform: topts,
		}
		if f.org {
			opts.OrgRoleName = f.roleName
		}
		snaps, sum, err = awscollector.Collect(ctx, cfg, opts)
		if err != nil {
			return err
		}
	}
	// A collection interrupted after it returned must not be half-synced
	// either: check before the first write.
	if err := ctx.Err(); err != nil {
		return err
	}
	return a.deliverSnapshots(ctx, snaps, f.snapshotsTo, func(results []graph.SyncResult, store string) {
		printCollectSummary(a.stdout, sum, results, store)
	}, sum.Partial(), func(stored bool) string { return partialMessage(sum, stored) })
}

// deliverSnapshots stores the snapshots (or, with dir set, writes them as
// files), prints the summary through print, and reports a partial
// collection as a partialError with msg's text.
func (a *app) deliverSnapshots(ctx context.Context, snaps []*graph.Snapshot, dir string, print func([]graph.SyncResult, string),
	partial bool, msg func(stored bool) string) error {
	if dir == "" {
		if err := a.keepStaleClassifiers(ctx, snaps); err != nil {
			return err
		}
	}
	classified, err := a.classify(snaps)
	if err != nil {
		return err
	}
	if dir != "" {
		paths, err := snapshotfile.WriteDir(dir, snaps)
		if err != nil {
			return err
		}
		print(nil, "")
		a.printLines(classified.Lines())
		for i, p := range paths {
			fmt.Fprintf(a.stdout, "%s: snapshot written to %s (not stored)\n", snaps[i].Scope, p)
		}
		if partial {
			return &partialError{msg: msg(false)}
		}
		return nil
	}
	results, err := a.syncSnapshots(ctx, snaps)
	print(results, a.storeName())
	a.printLines(classified.Lines())
	if err != nil {
		return err
	}
	if partial {
		return &partialError{msg: msg(true)}
	}
	return nil
}

// classify applies the sensitivity rules (the defaults extended by
// --sensitivity-rules) to the snapshots before anything is stored, so every
// cloud's data stores are classified by one rule set and record why.
func (a *app) classify(snaps []*graph.Snapshot) (sensitivity.Summary, error) {
	rules, err := sensitivity.Load(a.sensitivityRules)
	if err != nil {
		return sensitivity.Summary{}, usageErrorf("%v", err)
	}
	return rules.Apply(snaps), nil
}

// keepStaleClassifiers carries a cloud classifier's stored results over a
// collection whose read of it failed (sensitivity.Rules.KeepStale): a
// failing Macie, Sensitive Data Protection or Purview read keeps the stores
// it classified classified, marked stale, as a failed area's rows are kept,
// instead of turning them unclassified and closing their attack paths.
func (a *app) keepStaleClassifiers(ctx context.Context, snaps []*graph.Snapshot) error {
	rules, err := sensitivity.Load(a.sensitivityRules)
	if err != nil {
		return usageErrorf("%v", err)
	}
	var need []*graph.Snapshot
	for _, s := range snaps {
		if len(rules.FailedClassifiers(s)) > 0 {
			need = append(need, s)
		}
	}
	if len(need) == 0 {
		return nil
	}
	st, err := a.openStore(ctx)
	if err != nil {
		return err
	}
	defer st.Close()
	for _, s := range need {
		hist, err := st.History(ctx, s.Scope)
		if err != nil {
			return fmt.Errorf("read sync history of %s: %w", s.Scope, err)
		}
		if len(hist) == 0 {
			continue // first collection of the scope: nothing to keep
		}
		prev, err := st.Load(ctx, graph.Filter{Scopes: []graph.Scope{s.Scope}, SkipFacts: true})
		if err != nil {
			return fmt.Errorf("load the stored %s to keep its classifier results: %w", s.Scope, err)
		}
		since := hist[0].CollectedAt // newest first: the collection the kept values come from
		if n := rules.KeepStale(s, prev, since); n > 0 {
			a.log.Warn("classifier read failed: stored results kept, marked stale", "scope", s.Scope.String(), "nodes", n)
		}
	}
	return nil
}

func (a *app) printLines(lines []string) {
	for _, l := range lines {
		fmt.Fprintln(a.stdout, l)
	}
}

// syncSnapshots writes the accounts, several at once when the store
// benefits (graph.SyncAll). Each sync is atomic; a cancelled or failed sync
// leaves that account as it was, and no further account is started. With
// --all-or-nothing the accounts switch together, so such a failure leaves
// every account as it was.
func (a *app) syncSnapshots(ctx context.Context, snaps []*graph.Snapshot) ([]graph.SyncResult, error) {
	st, err := a.openStore(ctx)
	if err != nil {
		return nil, err
	}
	defer st.Close()
	var bar *progressbar.ProgressBar
	if a.showProgress() && len(snaps) > 1 {
		bar = progressbar.NewOptions(len(snaps), progressbar.OptionSetWriter(a.stderr),
			progressbar.OptionSetDescription("syncing accounts"), progressbar.OptionShowCount(), progressbar.OptionClearOnFinish())
	}
	res, err := graph.SyncAll(ctx, st, snaps, func(int, graph.SyncResult) {
		if bar != nil {
			_ = bar.Add(1)
		}
	}, a.syncOptions())
	var out []graph.SyncResult
	for _, r := range res {
		if r != nil {
			out = append(out, *r)
		}
	}
	a.synced = append(a.synced, out...)
	if len(out) > 0 {
		a.changes = a.recordChanges(ctx, st)
	}
	if err != nil {
		if errors.Is(err, context.Canceled) {
			return out, err
		}
		return out, fmt.Errorf("%w (store %s)", err, a.storeName())
	}
	return out, nil
}

// partialMessage names what failed; stored says whether the snapshots went
// into a store (which kept the failed areas' earlier data) or into files
// (whose coverage records the failures for whoever loads them).
func partialMessage(sum *awscollector.RunSummary, stored bool) string {
	areas, accounts := 0, 0
	for _, acc := range sum.Accounts {
		if n := len(awscollector.RealFailures(acc.Failed)); n > 0 {
			areas += n
			accounts++
		}
	}
	msg := fmt.Sprintf("collection partial: %d areas failed in %d accounts", areas, accounts)
	if n := len(sum.AccountFailures); n > 0 {
		msg += fmt.Sprintf(", %d accounts could not be collected", n)
	}
	if !stored {
		return msg + "; the snapshots record them as failed, so loading them keeps those areas' earlier data (see the summary)"
	}
	return msg + "; their earlier data is kept and flagged stale (see the summary)"
}

// syncLine says what a sync changed in the store.
func syncLine(res graph.SyncResult) string {
	return fmt.Sprintf("written %d nodes, %d edges, %d findings; removed %d/%d/%d; stale %d/%d/%d; %d findings resolved",
		res.Written.Nodes, res.Written.Edges, res.Written.Findings,
		res.Removed.Nodes, res.Removed.Edges, res.Removed.Findings,
		res.Stale.Nodes, res.Stale.Edges, res.Stale.Findings, res.Resolved)
}

// notInImport says what became of the n areas an offline import does not
// contain: their earlier data kept stale when the store had some (the sync
// kept rows stale), nothing to keep in a store without it, or, when the
// snapshots went to files (store empty), recorded as not read so that
// loading them keeps what the store has.
func notInImport(n int, store string, synced bool, stale graph.Counts) string {
	switch {
	case store == "":
		return fmt.Sprintf("%d areas not in the import; the snapshots record them as not read, so loading them keeps those areas' earlier data", n)
	case synced && stale == (graph.Counts{}):
		return fmt.Sprintf("%d areas not in the import; the store had no earlier data of them to keep", n)
	}
	return fmt.Sprintf("%d areas not in the import; their earlier data is kept, flagged stale", n)
}

// printCollectSummary prints what was read, what failed and what the store
// changed, one block per account (store empty: nothing was stored).
func printCollectSummary(w io.Writer, sum *awscollector.RunSummary, results []graph.SyncResult, store string) {
	byScope := map[string]graph.SyncResult{}
	for _, r := range results {
		byScope[r.Scope.ID] = r
	}
	for _, acc := range sum.Accounts {
		res, synced := byScope[acc.AccountID]
		failed := awscollector.RealFailures(acc.Failed)
		fmt.Fprintf(w, "AWS account %s: %d areas read, %d failed; %d resources; %d API calls (%d retries); %s\n",
			acc.AccountID, acc.AreasRead, len(failed), acc.Resources, acc.APICalls, acc.Retries, acc.Duration.Round(time.Millisecond))
		for _, fl := range failed {
			where := fl.Region
			if where == "" {
				where = "global"
			}
			fmt.Fprintf(w, "  failed %s (%s): %s\n", fl.Service, where, oneLine(fl.Error))
		}
		for _, ne := range acc.NotEnabled {
			where := ne.Region
			if where == "" {
				where = "global"
			}
			fmt.Fprintf(w, "  not enabled %s (%s): %s\n", ne.Service, where, oneLine(ne.Error))
		}
		if n := len(acc.Failed) - len(failed); n > 0 {
			fmt.Fprintf(w, "  %s\n", notInImport(n, store, synced, res.Stale))
		}
		for _, warn := range acc.Warnings {
			fmt.Fprintf(w, "  warning: %s\n", oneLine(warn))
		}
		if !synced {
			if store != "" {
				fmt.Fprintf(w, "  not synced\n")
			}
			continue
		}
		fmt.Fprintf(w, "  %s: %s\n", store, syncLine(res))
	}
	for _, af := range sum.AccountFailures {
		fmt.Fprintf(w, "AWS account %s: not collected: %s\n", af.AccountID, oneLine(af.Error))
	}
	fmt.Fprintf(w, "Done in %s.\n", sum.Duration.Round(time.Millisecond))
}

// syncOptions are the options of every multi-scope write of the command.
func (a *app) syncOptions() graph.SyncOptions {
	return graph.SyncOptions{AllOrNothing: a.allOrNothing, Staged: a.staged}
}
