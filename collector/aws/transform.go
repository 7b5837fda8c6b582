// Package aws is the AWS collector: it turns one account's inventory
// (collected live by collector/aws/fetch or imported from an IAM
// authorization-details export by collector/aws/authdetails) into one
// graph.Snapshot, by running the resource part (collector/aws/resources) and
// the identity part (collector/aws/identity) and merging them.
//
// docs/aws-transform.md describes what becomes nodes, edges and findings.
package aws

import (
	"cmp"
	"context"
	"fmt"
	"log/slog"
	"slices"

	"github.com/breachpath/breachpath/collector/aws/entitlements"
	"github.com/breachpath/breachpath/collector/aws/identity"
	"github.com/breachpath/breachpath/collector/aws/inventory"
	"github.com/breachpath/breachpath/collector/aws/resources"
	"github.com/breachpath/breachpath/graph"
	"github.com/breachpath/breachpath/graph/entitlement"
)

// TransformOptions tune Transform. The zero value is valid.
type TransformOptions struct {
	Resources resources.Options
	Identity  identity.Options
	// Collector names the snapshot's source; "aws" when empty.
	Collector string
	// Usage supplies last-accessed data per principal ARN (for example
	// entitlements.ReadUsageFile); it takes precedence over the inventory's.
	Usage map[string]*entitlement.UsageData
	// Logger receives warnings; slog.Default when nil.
	Logger *slog.Logger
}

// TransformResult says what Transform had to leave out, for the run summary.
type TransformResult struct {
	// DroppedStubs counts stubs left out because their area failed: the
	// store keeps the previously owned node (and its edges) flagged stale
	// rather than replacing it with a stub.
	DroppedStubs int
	// DroppedEdges counts edges left out because an endpoint is missing.
	DroppedEdges int
	// Warnings are the identity part's warnings plus the transform's own,
	// each once; Transform does not log them (the caller reports them).
	Warnings []string
}

// Transform builds one account's snapshot from its inventory.
//
// The parts are merged by id: an owned node beats a stub with the same id
// (the resource part references roles and instance profiles the identity
// part owns); edges with the same key are merged (evidence and findings
// united, the higher likelihood kept, conditional only if both are). A stub
// whose own area failed in this collection (a role referenced by an
// instance while IAM could not be read) is dropped with its edges, because
// writing it would replace the owned node the store holds with a bare stub;
// without it, the store keeps the old node and edges, flagged stale. Edges
// whose endpoints are absent are dropped and counted. The coverage is
// copied from the inventory, so the store keeps the rows of failed areas.
func Transform(ctx context.Context, inv *inventory.Inventory, opts TransformOptions) (*graph.Snapshot, error) {
	snap, _, err := TransformDetailed(ctx, inv, opts)
	return snap, err
}

// TransformDetailed is Transform that also reports what was left out.
func TransformDetailed(ctx context.Context, inv *inventory.Inventory, opts TransformOptions) (*graph.Snapshot, *TransformResult, error) {
	if inv == nil {
		return nil, nil, fmt.Errorf("aws transform: nil inventory")
	}
	log := opts.Logger
	if log == nil {
		log = slog.Default()
	}
	if opts.Resources.Logger == nil {
		opts.Resources.Logger = log
	}
	if opts.Identity.Logger == nil {
		opts.Identity.Logger = log
	}
	res, err := resources.Build(ctx, inv, opts.Resources)
	if err != nil {
		return nil, nil, fmt.Errorf("aws transform account %s: %w", inv.AccountID, err)
	}
	opts.Identity.EndpointRoutes = res.EndpointRoutes
	opts.Identity.NFSMounts = res.NFSMounts
	id, err := identity.Build(ctx, inv, opts.Identity)
	if err != nil {
		return nil, nil, fmt.Errorf("aws transform account %s: %w", inv.AccountID, err)
	}
	out := &TransformResult{Warnings: slices.Clone(id.Warnings)}
	collector := opts.Collector
	if collector == "" {
		collector = "aws"
	}
	snap := &graph.Snapshot{
		Scope:       graph.Scope{Cloud: graph.CloudAWS, ID: inv.AccountID},
		CollectedAt: inv.CollectedAt,
		Collector:   collector,
		Coverage:    copyCoverage(inv.Coverage),
	}
	nodes := append(slices.Clone(res.Nodes), id.Nodes...)
	edges := append(slices.Clone(res.Edges), id.Edges...)
	findings := append(slices.Clone(res.Findings), id.Findings...)
	if err := ctx.Err(); err != nil {
		return nil, nil, fmt.Errorf("aws transform account %s: %w", inv.AccountID, err)
	}
	var dropped map[string]bool
	snap.Nodes, dropped = mergeNodes(nodes, &snap.Coverage, out)
	present := make(map[string]bool, len(snap.Nodes))
	for i := range snap.Nodes {
		present[snap.Nodes[i].ID] = true
	}
	snap.Edges = mergeEdges(edges, present, dropped, out)
	snap.Findings = mergeFindings(findings, present)
	ensureInternet(snap)
	dropUncitedFindings(snap)
	// The CIEM report needs what only the policy documents know (where each
	// permission comes from, wildcards, credentials, usage); it is recorded
	// on the principal nodes now because the stored graph no longer has the
	// documents. The identity part is passed so that the report and the
	// attack graph come from one evaluation.
	cr, err := entitlements.Annotate(ctx, snap, inv, entitlements.Options{Identity: id, Now: opts.Identity.Now, Usage: opts.Usage, Logger: log})
	if err != nil {
		return nil, nil, fmt.Errorf("aws transform account %s: %w", inv.AccountID, err)
	}
	// Warnings are returned for the caller to report once (the collect
	// summary); they are only logged at debug level here.
	for _, w := range cr.Warnings {
		log.Debug(w, "account", inv.AccountID)
		out.Warnings = append(out.Warnings, w)
	}
	if out.DroppedEdges > 0 {
		msg := fmt.Sprintf("%d edges referenced nodes absent from account %s and were left out", out.DroppedEdges, inv.AccountID)
		log.Debug(msg)
		out.Warnings = append(out.Warnings, msg)
	}
	if err := snap.Validate(); err != nil {
		return nil, nil, fmt.Errorf("aws transform account %s: %w", inv.AccountID, err)
	}
	return snap, out, nil
}

func copyCoverage(c graph.Coverage) graph.Coverage {
	return graph.Coverage{Read: slices.Clone(c.Read), Failed: slices.Clone(c.Failed)}
}

// mergeNodes keeps one node per id, an owned one when there is one, and
// drops stubs whose area failed.
func mergeNodes(nodes []graph.Node, cov *graph.Coverage, out *TransformResult) ([]graph.Node, map[string]bool) {
	slices.SortStableFunc(nodes, graph.CompareOwnedFirst)
	merged := nodes[:0]
	for _, n := range nodes {
		if k := len(merged); k > 0 && merged[k-1].ID == n.ID {
			prev := &merged[k-1]
			if prev.Stub && n.Stub && staleStub(prev, cov) && !staleStub(&n, cov) {
				// Two parts reference one node (the anonymous principal):
				// keep the reference that survives a failed area.
				*prev = n
				continue
			}
			// Two owned nodes with one id (both parts own it): keep the
			// first, but never lose a crown-jewel mark or a higher level.
			prev.CrownJewel = prev.CrownJewel || n.CrownJewel
			prev.Sensitivity = max(prev.Sensitivity, n.Sensitivity)
			continue
		}
		merged = append(merged, n)
	}
	kept := merged[:0]
	dropped := map[string]bool{}
	for _, n := range merged {
		if staleStub(&n, cov) {
			out.DroppedStubs++
			dropped[n.ID] = true
			continue
		}
		kept = append(kept, n)
	}
	return kept, dropped
}

// mergeEdges merges edges by key and leaves out those with an absent
// endpoint; only those not explained by a dropped stub are counted.
// staleStub reports whether n is a stub of an area that failed.
func staleStub(n *graph.Node, cov *graph.Coverage) bool {
	return n.Stub && n.Service != "" && cov.FailedFor(n.Service, n.Region)
}

func mergeEdges(edges []graph.Edge, present, droppedStubs map[string]bool, out *TransformResult) []graph.Edge {
	slices.SortStableFunc(edges, func(a, b graph.Edge) int { return a.Key().Compare(b.Key()) })
	merged := edges[:0]
	for _, e := range edges {
		if !present[e.From] || !present[e.To] {
			if !droppedStubs[e.From] && !droppedStubs[e.To] {
				out.DroppedEdges++
			}
			continue
		}
		if k := len(merged); k > 0 && merged[k-1].Key() == e.Key() {
			prev := &merged[k-1]
			prev.Evidence = union(prev.Evidence, e.Evidence)
			prev.Findings = union(prev.Findings, e.Findings)
			prev.Likelihood = max(prev.Likelihood, e.Likelihood)
			prev.Conditional = prev.Conditional && e.Conditional
			prev.Props = mergeProps(prev.Props, e.Props)
			continue
		}
		merged = append(merged, e)
	}
	return merged
}

// mergeProps unites the props of two copies of one edge; list values (ports)
// are united, scalars keep the first copy's value.
func mergeProps(a, b graph.Props) graph.Props {
	if len(b) == 0 {
		return a
	}
	if a == nil {
		a = graph.Props{}
	}
	for k, v := range b {
		old, ok := a[k]
		if !ok {
			a[k] = v
			continue
		}
		if ol, isList := old.([]string); isList {
			if nl, ok := v.([]string); ok {
				a[k] = union(ol, nl)
			}
		}
	}
	return a
}

func mergeFindings(fs []graph.Finding, present map[string]bool) []graph.Finding {
	slices.SortStableFunc(fs, func(a, b graph.Finding) int { return cmp.Compare(a.ID, b.ID) })
	out := fs[:0]
	for _, f := range fs {
		if !present[f.Resource] {
			continue
		}
		if k := len(out); k > 0 && out[k-1].ID == f.ID {
			out[k-1].Controls = union(out[k-1].Controls, f.Controls)
			continue
		}
		out = append(out, f)
	}
	return out
}

// dropUncitedFindings removes edge citations of findings that were left out
// (their resource was dropped), so the snapshot validates.
func dropUncitedFindings(s *graph.Snapshot) {
	ids := make(map[string]bool, len(s.Findings))
	for i := range s.Findings {
		ids[s.Findings[i].ID] = true
	}
	for i := range s.Edges {
		e := &s.Edges[i]
		e.Findings = slices.DeleteFunc(e.Findings, func(f string) bool { return !ids[f] })
	}
}

// ensureInternet adds the Internet stub when an edge starts there, or when
// an area failed: the stored exposure edges of the nodes that area's
// failure keeps stale start at the Internet, and the store keeps a stale
// edge only while both its ends remain in the scope. Without the stub, a
// failed EC2 read would drop every stored exposure and report the attack
// paths through them closed, for what the collection could not see.
func ensureInternet(s *graph.Snapshot) {
	need, have := len(s.Coverage.Failed) > 0, false
	for i := range s.Edges {
		if s.Edges[i].From == graph.InternetID {
			need = true
			break
		}
	}
	for i := range s.Nodes {
		if s.Nodes[i].ID == graph.InternetID {
			have = true
			break
		}
	}
	if need && !have {
		s.Nodes = append(s.Nodes, graph.Node{ID: graph.InternetID, Kind: graph.KindInternet, Name: "Internet", Stub: true})
	}
}

func union(a, b []string) []string {
	if len(b) == 0 {
		return a
	}
	out := append(slices.Clone(a), b...)
	slices.Sort(out)
	return slices.Compact(out)
}
