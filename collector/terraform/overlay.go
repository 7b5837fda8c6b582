package terraform

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"sort"
	"strings"

	tfjson "github.com/hashicorp/terraform-json"

	awscollector "github.com/breachpath/breachpath/collector/aws"
	azinv "github.com/breachpath/breachpath/collector/azure/inventory"
	aztransform "github.com/breachpath/breachpath/collector/azure/transform"
	gcpinv "github.com/breachpath/breachpath/collector/gcp/inventory"
	gcptransform "github.com/breachpath/breachpath/collector/gcp/transform"
	"github.com/breachpath/breachpath/graph"
)

// Change is a plan translated into graph terms by the AWS transform.
type Change struct {
	*Conversion
	Scope graph.Scope
	// Before and After are the transform of the plan's two sides alone:
	// with --no-baseline they are the graphs compared.
	Before, After *graph.Snapshot
	// Delta overlays the change on a stored graph: only what differs
	// between Before and After, so that the surroundings a plan cannot
	// see (modelled the same on both sides) open and close nothing.
	Delta graph.Delta
	// BeforeParts and AfterParts are the sides as the collectors' snapshots
	// (one per AWS account, Azure subscription and tenant, GCP project):
	// what a collection of that state would store.
	BeforeParts, AfterParts []*graph.Snapshot
	// NodeCauses maps a node id to the changed resource addresses behind
	// it (its own resource and attachments such as policies and rules).
	NodeCauses map[string][]string
}

// Analyse converts plan and runs the AWS transform on both sides.
func Analyse(ctx context.Context, plan *tfjson.Plan, opts Options, log *slog.Logger) (*Change, error) {
	conv, err := Convert(plan, opts)
	if err != nil {
		return nil, err
	}
	topts := awscollector.TransformOptions{Collector: "terraform-plan", Logger: log}
	before, err := awscollector.Transform(ctx, conv.Before, topts)
	if err != nil {
		return nil, fmt.Errorf("terraform plan, state before: %w", err)
	}
	after, err := awscollector.Transform(ctx, conv.After, topts)
	if err != nil {
		return nil, fmt.Errorf("terraform plan, planned state: %w", err)
	}
	beforeParts, afterParts := []*graph.Snapshot{clone(before)}, []*graph.Snapshot{clone(after)}
	for _, side := range []struct {
		into        *graph.Snapshot
		parts       *[]*graph.Snapshot
		azure       *azinv.Inventory
		gcp         *gcpinv.Inventory
		description string
	}{{before, &beforeParts, conv.AzureBefore, conv.GCPBefore, "state before"}, {after, &afterParts, conv.AzureAfter, conv.GCPAfter, "planned state"}} {
		snaps, err := otherClouds(ctx, side.azure, side.gcp, log)
		if err != nil {
			return nil, fmt.Errorf("terraform plan, %s: %w", side.description, err)
		}
		*side.parts = append(*side.parts, snaps...)
		merge(side.into, snaps)
	}
	c := &Change{Conversion: conv, Scope: after.Scope, Before: before, After: after, NodeCauses: map[string][]string{},
		BeforeParts: beforeParts, AfterParts: afterParts}
	own := map[string][]string{}
	for key, addr := range conv.Owners {
		id, _, _ := strings.Cut(key, "#")
		if _, changed := conv.Changed[addr]; changed {
			own[id] = appendUnique(own[id], addr)
			c.NodeCauses[id] = appendUnique(c.NodeCauses[id], addr)
		}
	}
	// moves changed through a node's surroundings are attributed to the
	// node, which itself stays the stored one
	for id, addrs := range conv.Via {
		for _, addr := range addrs {
			if _, changed := conv.Changed[addr]; changed {
				c.NodeCauses[id] = appendUnique(c.NodeCauses[id], addr)
			}
		}
	}
	for id := range c.NodeCauses {
		sort.Strings(c.NodeCauses[id])
	}
	c.Delta = delta(conv, before, after, own)
	return c, nil
}

// clone copies a snapshot's lists, which merge then extends on the original.
func clone(s *graph.Snapshot) *graph.Snapshot {
	c := *s
	c.Nodes, c.Edges, c.Findings = slices.Clone(s.Nodes), slices.Clone(s.Edges), slices.Clone(s.Findings)
	return &c
}

// otherClouds runs the Azure and GCP transforms on a side's azurerm and
// google inventories.
func otherClouds(ctx context.Context, az *azinv.Inventory, gcp *gcpinv.Inventory, log *slog.Logger) ([]*graph.Snapshot, error) {
	var snaps []*graph.Snapshot
	if az != nil {
		s, _, err := aztransform.Transform(ctx, az, aztransform.Options{Collector: "terraform-plan", Logger: log})
		if err != nil {
			return nil, err
		}
		snaps = append(snaps, s...)
	}
	if gcp != nil {
		res, err := gcptransform.Transform(ctx, gcp, gcptransform.Options{Collector: "terraform-plan", Logger: log})
		if err != nil {
			return nil, err
		}
		snaps = append(snaps, res.Snapshots...)
	}
	return snaps, nil
}

// merge adds the snapshots' contents to into: the gate compares one graph
// per side, whatever the clouds.
func merge(into *graph.Snapshot, snaps []*graph.Snapshot) {
	at := make(map[string]int, len(into.Nodes))
	for i := range into.Nodes {
		at[into.Nodes[i].ID] = i
	}
	for _, s := range snaps {
		for _, n := range s.Nodes {
			// a node two snapshots hold (the Internet, a stub of another
			// scope's resource) appears once, the owned copy kept
			if i, ok := at[n.ID]; ok {
				if into.Nodes[i].Stub && !n.Stub {
					into.Nodes[i] = n
				}
				continue
			}
			at[n.ID] = len(into.Nodes)
			into.Nodes = append(into.Nodes, n)
		}
		into.Edges = append(into.Edges, s.Edges...)
		into.Findings = append(into.Findings, s.Findings...)
	}
}

func delta(conv *Conversion, before, after *graph.Snapshot, causes map[string][]string) graph.Delta {
	var d graph.Delta
	// A resource the plan leaves unchanged keeps the stored node: the store
	// may know more of it (Macie sensitivity, CIEM annotations) than the
	// plan, and replacing it would open or close paths the change does not.
	// A node counts as changed when its resource or an attachment of it
	// (a policy, a rule, a public-access block) changes.
	changed := func(id string) bool { return len(causes[id]) > 0 }
	for _, n := range after.Nodes {
		if changed(n.ID) && !n.Stub {
			d.Upsert = append(d.Upsert, n)
		} else {
			d.Context = append(d.Context, n)
		}
	}
	d.RemoveNodes = append(d.RemoveNodes, conv.Deleted...)
	bk := make(map[graph.EdgeKey]bool, len(before.Edges))
	for i := range before.Edges {
		bk[before.Edges[i].Key()] = true
	}
	ak := make(map[graph.EdgeKey]bool, len(after.Edges))
	for i := range after.Edges {
		e := after.Edges[i]
		ak[e.Key()] = true
		if !bk[e.Key()] {
			d.AddEdges = append(d.AddEdges, e)
		}
	}
	for i := range before.Edges {
		if k := before.Edges[i].Key(); !ak[k] {
			d.RemoveEdges = append(d.RemoveEdges, k)
		}
	}
	for _, f := range after.Findings {
		if changed(f.Resource) {
			d.Findings = append(d.Findings, f)
		}
	}
	return d
}

func appendUnique(s []string, v string) []string {
	for _, x := range s {
		if x == v {
			return s
		}
	}
	return append(s, v)
}

// Known returns the delta that adds to base what the plan's prior state
// knows and base does not (resources the store has not collected yet, or
// collected before they existed): the nodes of the state before the change
// that base lacks, and the moves between them and base. The gate applies
// it to both sides, so that these resources are compared too, while a
// resource base already holds keeps its stored edges (the plan's own view
// of its surroundings is an assumption; the store's is a collection).
func (c *Change) Known(base *graph.Graph) graph.Delta {
	var d graph.Delta
	missing := map[string]bool{}
	for _, n := range c.Before.Nodes {
		if base.Node(n.ID) == nil {
			missing[n.ID] = true
			d.Context = append(d.Context, n)
		}
	}
	for _, e := range c.Before.Edges {
		if missing[e.From] || missing[e.To] {
			d.AddEdges = append(d.AddEdges, e)
		}
	}
	for _, f := range c.Before.Findings {
		if missing[f.Resource] {
			d.Findings = append(d.Findings, f)
		}
	}
	return d
}
