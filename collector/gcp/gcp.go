// Package gcp is the GCP collector: it reads an organisation, folder or
// project live (collector/gcp/fetch: Cloud Asset Inventory plus the Cloud
// Storage API) or from Cloud Asset Inventory export files
// (collector/gcp/cai), and turns the inventory into one snapshot per
// project plus one for the organisation or folder above them
// (collector/gcp/transform). Both paths share the inventory shape, so the
// same organisation gives the same graph either way.
//
// docs/gcp-collector.md describes what is read, with which permissions,
// and what it becomes.
package gcp

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/breachpath/breachpath/collector/gcp/cai"
	"github.com/breachpath/breachpath/collector/gcp/fetch"
	"github.com/breachpath/breachpath/collector/gcp/inventory"
	"github.com/breachpath/breachpath/collector/gcp/transform"
	"github.com/breachpath/breachpath/graph"
)

// NotInImport is the coverage error of every area an offline import does
// not contain: the store keeps those rows (stale) instead of deleting them.
const NotInImport = "not in the imported files; kept from the last collection"

// Run summarises a collection.
type Run struct {
	Parent    string          `json:"parent,omitempty"`
	Files     []string        `json:"files,omitempty"`
	Scopes    []string        `json:"scopes"`
	Assets    int             `json:"assets"`
	APICalls  int             `json:"api_calls,omitempty"`
	Retries   int             `json:"retries,omitempty"`
	Failed    []graph.Failure `json:"failed,omitempty"`
	Warnings  []string        `json:"warnings,omitempty"`
	Duration  time.Duration   `json:"duration_ns"`
	Resources int             `json:"nodes"`
}

// Partial reports whether an area failed for a reason other than not
// being in an import.
func (r *Run) Partial() bool { return len(RealFailures(r.Failed)) > 0 }

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

// Collect reads a scope live and returns its snapshots.
//
// A cancelled collection returns the context's error and no snapshot: an
// inventory cut short would make the store delete what was simply not read.
func Collect(ctx context.Context, fo fetch.Options, to transform.Options) ([]*graph.Snapshot, *Run, error) {
	start := time.Now()
	inv, err := fetch.Collect(ctx, fo)
	if err != nil {
		return nil, nil, fmt.Errorf("collect gcp %s: %w", fo.Parent, err)
	}
	if inv.Partial {
		return nil, nil, fmt.Errorf("collect gcp %s: collection stopped early; nothing synced: %w", fo.Parent, context.Canceled)
	}
	if to.Collector == "" {
		to.Collector = "gcp"
	}
	snaps, run, err := build(ctx, inv, to)
	if err != nil {
		return nil, nil, err
	}
	run.Parent, run.APICalls, run.Retries, run.Duration = fo.Parent, inv.Stats.APICalls, inv.Stats.Retries, time.Since(start)
	return snaps, run, nil
}

// FromFiles imports Cloud Asset Inventory export files (any mix of
// resource, IAM-policy and org-policy exports and search-all-iam-policies
// output) and returns the snapshots a live collection of the same content
// would produce. Areas with no asset in the files are marked failed with
// NotInImport, so the store keeps their rows instead of deleting them.
func FromFiles(ctx context.Context, paths []string, to transform.Options) ([]*graph.Snapshot, *Run, error) {
	start := time.Now()
	if len(paths) == 0 {
		return nil, nil, fmt.Errorf("import gcp: no file")
	}
	inv := inventory.New(start)
	for _, p := range paths {
		if _, _, err := cai.ReadFile(ctx, p, inv); err != nil {
			return nil, nil, fmt.Errorf("import gcp: %w", err)
		}
	}
	inv.Coverage = importCoverage(inv)
	if to.Collector == "" {
		to.Collector = "gcp-file"
	}
	snaps, run, err := build(ctx, inv, to)
	if err != nil {
		return nil, nil, err
	}
	run.Files, run.Duration = slices.Clone(paths), time.Since(start)
	return snaps, run, nil
}

// importCoverage says which areas an import holds: an area is read when
// the files hold at least one asset of its types (IAM policies: at least
// one policy), otherwise failed with NotInImport.
func importCoverage(inv *inventory.Inventory) graph.Coverage {
	types := map[string]bool{}
	policies, orgPolicies := false, false
	for _, a := range inv.Assets {
		if a.HasData() {
			types[a.AssetType] = true
		}
		if a.IAMPolicy != nil {
			policies = true
		}
		if len(a.OrgPolicy) > 0 {
			orgPolicies = true
		}
	}
	var cov graph.Coverage
	for _, area := range fetch.Areas {
		if slices.ContainsFunc(area.Types, func(t string) bool { return types[t] }) {
			cov.Read = append(cov.Read, graph.Area{Service: area.Service})
		} else {
			cov.Failed = append(cov.Failed, graph.Failure{Area: graph.Area{Service: area.Service}, Error: NotInImport})
		}
	}
	if len(inv.DataProfiles) > 0 {
		cov.Read = append(cov.Read, graph.Area{Service: fetch.AreaDLP})
	}
	if policies {
		cov.Read = append(cov.Read, graph.Area{Service: fetch.AreaPolicies})
	} else {
		cov.Failed = append(cov.Failed, graph.Failure{Area: graph.Area{Service: "*"}, Error: NotInImport})
	}
	if orgPolicies {
		cov.Read = append(cov.Read, graph.Area{Service: fetch.AreaOrgPolicy})
	}
	if len(inv.DenyPolicies) > 0 {
		cov.Read = append(cov.Read, graph.Area{Service: fetch.AreaDeny})
	}
	if len(inv.Perimeters) > 0 {
		cov.Read = append(cov.Read, graph.Area{Service: fetch.AreaPerimeters})
	}
	return cov
}

func build(ctx context.Context, inv *inventory.Inventory, to transform.Options) ([]*graph.Snapshot, *Run, error) {
	res, err := transform.Transform(ctx, inv, to)
	if err != nil {
		return nil, nil, err
	}
	run := &Run{Assets: len(inv.Assets), Failed: slices.Clone(inv.Coverage.Failed), Warnings: res.Warnings}
	for _, s := range res.Snapshots {
		run.Scopes = append(run.Scopes, s.Scope.String())
		for i := range s.Nodes {
			if !s.Nodes[i].Stub {
				run.Resources++
			}
		}
	}
	return res.Snapshots, run, nil
}
