package aws

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"time"

	sdkaws "github.com/aws/aws-sdk-go-v2/aws"

	"github.com/breachpath/breachpath/collector/aws/authdetails"
	"github.com/breachpath/breachpath/collector/aws/fetch"
	"github.com/breachpath/breachpath/collector/aws/inventory"
	"github.com/breachpath/breachpath/graph"
)

// CollectOptions tune Collect.
type CollectOptions struct {
	Fetch fetch.Options
	// OrgRoleName, when set, collects every active account of the
	// organization by assuming this role in it (fetch.CollectOrg).
	OrgRoleName string
	Transform   TransformOptions
}

// AccountRun summarises one account's collection.
type AccountRun struct {
	AccountID string          `json:"account_id"`
	AreasRead int             `json:"areas_read"`
	Failed    []graph.Failure `json:"failed,omitempty"`
	// NotEnabled lists areas whose service is not enabled or not offered
	// (not failures: they do not make the run partial).
	NotEnabled []graph.Failure `json:"not_enabled,omitempty"`
	Resources  int             `json:"resources"`
	APICalls   int             `json:"api_calls"`
	Retries    int             `json:"retries"`
	Duration   time.Duration   `json:"duration_ns"`
	// DroppedStubs and DroppedEdges are what the transform left out (see
	// TransformResult).
	DroppedStubs int      `json:"dropped_stubs,omitempty"`
	DroppedEdges int      `json:"dropped_edges,omitempty"`
	Warnings     []string `json:"warnings,omitempty"`
}

// RunSummary summarises a collection run.
type RunSummary struct {
	Accounts []AccountRun `json:"accounts"`
	// AccountFailures lists organization accounts that could not be
	// collected at all.
	AccountFailures []fetch.AccountFailure `json:"account_failures,omitempty"`
	Duration        time.Duration          `json:"duration_ns"`
}

// Partial reports whether any area or account failed.
func (s *RunSummary) Partial() bool {
	if len(s.AccountFailures) > 0 {
		return true
	}
	for _, a := range s.Accounts {
		if len(RealFailures(a.Failed)) > 0 {
			return true
		}
	}
	return false
}

// Collect reads one account (or, with OrgRoleName, every account of the
// organization) and returns one snapshot per account with the run summary.
//
// A cancelled collection returns the context's error and no snapshot: an
// inventory cut short would make the store delete what was simply not read
// yet. Failed areas are not errors; they are in each snapshot's coverage
// and in the summary.
func Collect(ctx context.Context, cfg sdkaws.Config, opts CollectOptions) ([]*graph.Snapshot, *RunSummary, error) {
	start := time.Now()
	sum := &RunSummary{}
	var invs []*inventory.Inventory
	if opts.OrgRoleName != "" {
		res, err := fetch.CollectOrg(ctx, cfg, opts.OrgRoleName, opts.Fetch)
		if err != nil {
			return nil, nil, fmt.Errorf("collect aws organization: %w", err)
		}
		invs = res.Inventories
		sum.AccountFailures = res.Failures
		// Every account of the run belongs to the estate: principals of a
		// sibling account are references, not outsiders.
		known := slices.Clone(opts.Transform.Identity.KnownAccounts)
		for _, inv := range invs {
			known = append(known, inv.AccountID)
		}
		for _, f := range res.Failures {
			known = append(known, f.AccountID)
		}
		opts.Transform.Identity.KnownAccounts = known
	} else {
		inv, err := fetch.Collect(ctx, cfg, opts.Fetch)
		if err != nil {
			return nil, nil, fmt.Errorf("collect aws account: %w", err)
		}
		invs = []*inventory.Inventory{inv}
	}
	if err := ctx.Err(); err != nil {
		return nil, nil, fmt.Errorf("collect aws: %w", err)
	}
	var snaps []*graph.Snapshot
	for _, inv := range invs {
		if inv.Partial {
			return nil, nil, fmt.Errorf("collect aws account %s: collection stopped early; nothing synced: %w", inv.AccountID, context.Canceled)
		}
		snap, tr, err := TransformDetailed(ctx, inv, opts.Transform)
		if err != nil {
			return nil, nil, err
		}
		snaps = append(snaps, snap)
		sum.Accounts = append(sum.Accounts, AccountRun{
			AccountID: inv.AccountID, AreasRead: len(inv.Coverage.Read), Failed: slices.Clone(inv.Coverage.Failed),
			NotEnabled: slices.Clone(inv.NotEnabled),
			Resources:  inv.Stats.Resources, APICalls: inv.Stats.APICalls, Retries: inv.Stats.Retries,
			Duration: inv.Stats.Duration, DroppedStubs: tr.DroppedStubs, DroppedEdges: tr.DroppedEdges, Warnings: tr.Warnings,
		})
	}
	if sum.Accounts == nil && len(sum.AccountFailures) == 0 {
		return nil, nil, errors.New("collect aws: no account collected")
	}
	sum.Duration = time.Since(start)
	return snaps, sum, nil
}

// NotInImport is the coverage error of every area an offline IAM import
// does not contain.
const NotInImport = "not in an offline IAM import; kept from the last live collection"

// FromAuthDetailsFile imports an `aws iam get-account-authorization-details`
// JSON export into the snapshot a live collection of that IAM data would
// produce: the same identity nodes, edges and findings (less what the
// export lacks: access keys, MFA, login profiles, the credential report).
//
// The coverage says "iam" was read and every other area failed with
// NotInImport. That is deliberate: the store deletes a scope's rows that a
// snapshot omits unless their area failed, so a coverage that merely left
// the other areas out would make an IAM import wipe the account's network,
// compute and data from the store. Marked failed, those rows are kept and
// flagged stale until the next live collection refreshes them. Callers that
// report partial runs should not count NotInImport failures.
func FromAuthDetailsFile(ctx context.Context, path string, opts TransformOptions) (*graph.Snapshot, *AccountRun, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, fmt.Errorf("import %s: %w", path, err)
	}
	defer f.Close()
	return FromAuthDetails(ctx, f, path, opts)
}

// FromAuthDetails is FromAuthDetailsFile over a reader; name is used in errors.
func FromAuthDetails(ctx context.Context, r io.Reader, name string, opts TransformOptions) (*graph.Snapshot, *AccountRun, error) {
	start := time.Now()
	iam, err := authdetails.Load(r)
	if err != nil {
		return nil, nil, fmt.Errorf("import %s: %w", name, err)
	}
	account, partition := accountOf(&iam)
	if account == "" {
		return nil, nil, fmt.Errorf("import %s: no customer-managed ARN to take the account id from", name)
	}
	if err := ctx.Err(); err != nil {
		return nil, nil, fmt.Errorf("import %s: %w", name, err)
	}
	inv := &inventory.Inventory{AccountID: account, Partition: partition, CollectedAt: start.UTC(), IAM: iam}
	inv.Coverage.Read = []graph.Area{{Service: fetch.ServiceIAM}}
	for _, svc := range append(slices.Clone(fetch.GlobalServices), fetch.RegionalServices...) {
		if svc == fetch.ServiceIAM {
			continue
		}
		inv.Coverage.Failed = append(inv.Coverage.Failed, graph.Failure{Area: graph.Area{Service: svc}, Error: NotInImport})
	}
	inv.Stats.Resources = inv.CountResources()
	if opts.Collector == "" {
		opts.Collector = "aws-file"
	}
	snap, tr, err := TransformDetailed(ctx, inv, opts)
	if err != nil {
		return nil, nil, fmt.Errorf("import %s: %w", name, err)
	}
	run := &AccountRun{AccountID: account, AreasRead: 1, Failed: inv.Coverage.Failed, Resources: inv.Stats.Resources,
		Duration: time.Since(start), DroppedStubs: tr.DroppedStubs, DroppedEdges: tr.DroppedEdges, Warnings: tr.Warnings}
	return snap, run, nil
}

// RealFailures returns the failures other than NotInImport.
func RealFailures(fs []graph.Failure) []graph.Failure {
	var out []graph.Failure
	for _, f := range fs {
		if f.Error != NotInImport {
			out = append(out, f)
		}
	}
	return out
}

// accountOf takes the account id and partition from the first
// customer-owned ARN of the export (AWS-managed policies carry "aws").
func accountOf(iam *inventory.IAMData) (account, partition string) {
	var arns []string
	for _, u := range iam.Users {
		arns = append(arns, u.ARN)
	}
	for _, g := range iam.Groups {
		arns = append(arns, g.ARN)
	}
	for _, r := range iam.Roles {
		arns = append(arns, r.ARN)
	}
	for _, p := range iam.Policies {
		arns = append(arns, p.ARN)
	}
	for _, a := range arns {
		parts := strings.SplitN(a, ":", 6)
		if len(parts) == 6 && parts[0] == "arn" && len(parts[4]) == 12 {
			return parts[4], parts[1]
		}
	}
	return "", ""
}
