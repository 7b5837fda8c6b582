// Package azure is the Azure collector: it reads a tenant's subscriptions,
// RBAC and Entra ID live (collector/azure/fetch, through azidentity and the
// Azure SDK) or from export files (collector/azure/offline), and turns the
// inventory into one snapshot per subscription plus one for the tenant's
// directory (collector/azure/transform): get -> transform -> validate.
//
// docs/azure-collector.md says what is read with which permission and what
// it becomes.
package azure

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"

	"github.com/breachpath/breachpath/collector/azure/entitlements"
	"github.com/breachpath/breachpath/collector/azure/fetch"
	"github.com/breachpath/breachpath/collector/azure/inventory"
	"github.com/breachpath/breachpath/collector/azure/offline"
	"github.com/breachpath/breachpath/collector/azure/transform"
	"github.com/breachpath/breachpath/graph"
	"github.com/breachpath/breachpath/graph/entitlement"
)

// ScopeRun summarises one snapshot's collection.
type ScopeRun struct {
	Scope     string          `json:"scope"`
	AreasRead int             `json:"areas_read"`
	Failed    []graph.Failure `json:"failed,omitempty"`
	Nodes     int             `json:"nodes"`
	Edges     int             `json:"edges"`
	Findings  int             `json:"findings"`
}

// RunSummary summarises a collection or import.
type RunSummary struct {
	TenantID     string           `json:"tenant_id"`
	Scopes       []ScopeRun       `json:"scopes"`
	Files        []offline.Loaded `json:"files,omitempty"`
	APICalls     int              `json:"api_calls,omitempty"`
	Retries      int              `json:"retries,omitempty"`
	DroppedEdges int              `json:"dropped_edges,omitempty"`
	DroppedStubs int              `json:"dropped_stubs,omitempty"`
	Warnings     []string         `json:"warnings,omitempty"`
	Duration     time.Duration    `json:"duration_ns"`
}

// Partial reports whether any area failed for a reason other than not
// being in an offline import.
func (s *RunSummary) Partial() bool {
	for _, r := range s.Scopes {
		if len(RealFailures(r.Failed)) > 0 {
			return true
		}
	}
	return false
}

// RealFailures returns the failures other than offline.NotInImport.
func RealFailures(fs []graph.Failure) []graph.Failure {
	var out []graph.Failure
	for _, f := range fs {
		if f.Error != offline.NotInImport {
			out = append(out, f)
		}
	}
	return out
}

// FileOptions tune FromFiles.
type FileOptions struct {
	Offline   offline.Options
	Transform transform.Options
}

// FromFiles imports Azure export files (Resource Graph results, `az role
// assignment list --all`, `az role definition list`, AzureHound output)
// into snapshots. Areas no file covers fail with offline.NotInImport so
// that the store keeps (stale) what a live collection stored for them.
func FromFiles(ctx context.Context, paths []string, opts FileOptions) ([]*graph.Snapshot, *RunSummary, error) {
	start := time.Now()
	inv, loaded, err := offline.Load(ctx, paths, opts.Offline)
	if err != nil {
		return nil, nil, err
	}
	if opts.Transform.Collector == "" {
		opts.Transform.Collector = "azure-file"
	}
	snaps, sum, err := transformInventory(ctx, inv, opts.Transform)
	if err != nil {
		return nil, nil, err
	}
	sum.Files = loaded
	sum.Duration = time.Since(start)
	return snaps, sum, nil
}

// CollectOptions tune Collect.
type CollectOptions struct {
	Fetch     fetch.Options
	Transform transform.Options
}

// Collect reads the tenant live (collector/azure/fetch) and returns one
// snapshot per subscription plus the tenant's directory snapshot. A
// cancelled collection returns the context's error and no snapshot: an
// inventory cut short would make the store delete what was simply not read
// yet. Failed areas are not errors; they are in the snapshots' coverage
// and the summary.
func Collect(ctx context.Context, cred azcore.TokenCredential, opts CollectOptions) ([]*graph.Snapshot, *RunSummary, error) {
	start := time.Now()
	inv, err := fetch.Collect(ctx, cred, opts.Fetch)
	if err != nil {
		return nil, nil, err
	}
	snaps, sum, err := transformInventory(ctx, inv, opts.Transform)
	if err != nil {
		return nil, nil, err
	}
	sum.Duration = time.Since(start)
	return snaps, sum, nil
}

// transformInventory runs the transform and builds the summary.
func transformInventory(ctx context.Context, inv *inventory.Inventory, opts transform.Options) ([]*graph.Snapshot, *RunSummary, error) {
	if inv.Partial {
		return nil, nil, fmt.Errorf("collect azure: collection stopped early; nothing synced: %w", context.Canceled)
	}
	snaps, res, err := transform.Transform(ctx, inv, opts)
	if err != nil {
		return nil, nil, err
	}
	// The CIEM report needs what only the role definitions know (which
	// patterns each assignment grants, wildcards, credentials); it is
	// recorded on the principal nodes because the stored graph no longer
	// has the definitions.
	now := opts.Now
	if now.IsZero() {
		now = inv.CollectedAt
	}
	ents, usage, err := entitlements.Analyze(inv, func(oid string) string { return res.Principals[oid] }, now)
	if err != nil {
		return nil, nil, fmt.Errorf("azure entitlements: %w", err)
	}
	for _, s := range snaps {
		owned := map[string]*entitlement.Entitlements{}
		ownedUsage := map[string]*entitlement.UsageData{}
		for i := range s.Nodes {
			if e, ok := ents[s.Nodes[i].ID]; ok && !s.Nodes[i].Stub {
				owned[s.Nodes[i].ID] = e
				if u := usage[s.Nodes[i].ID]; u != nil {
					ownedUsage[s.Nodes[i].ID] = u
				}
			}
		}
		if err := entitlement.Annotate(s.Nodes, owned, ownedUsage); err != nil {
			return nil, nil, fmt.Errorf("azure entitlements: %w", err)
		}
	}
	sum := &RunSummary{TenantID: inv.TenantID, APICalls: inv.Stats.APICalls, Retries: inv.Stats.Retries,
		DroppedEdges: res.DroppedEdges, DroppedStubs: res.DroppedStubs, Warnings: slices.Clone(res.Warnings)}
	for _, s := range snaps {
		sum.Scopes = append(sum.Scopes, ScopeRun{Scope: s.Scope.String(), AreasRead: len(s.Coverage.Read), Failed: slices.Clone(s.Coverage.Failed),
			Nodes: len(s.Nodes), Edges: len(s.Edges), Findings: len(s.Findings)})
	}
	sort.Slice(sum.Scopes, func(i, j int) bool { return sum.Scopes[i].Scope < sum.Scopes[j].Scope })
	return snaps, sum, nil
}
