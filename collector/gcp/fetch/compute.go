package fetch

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	compute "google.golang.org/api/compute/v1"

	"github.com/breachpath/breachpath/collector/gcp/inventory"
)

// computeCollection is one Compute Engine collection read per project.
type computeCollection struct {
	assetType  string
	collection string // URL segment: instances, firewalls, ...
	// list pages through the collection; each page is handed over as the
	// client decoded it. Aggregated lists group items by scope.
	list       func(ctx context.Context, svc *compute.Service, project string, page func(any) error) error
	aggregated bool
}

// computeCollections are read with the Compute Engine API (compute/v1).
// Aggregated lists cover every zone and region in one paged call.
var computeCollections = []computeCollection{
	{inventory.TypeInstance, "instances", func(ctx context.Context, s *compute.Service, p string, f func(any) error) error {
		return s.Instances.AggregatedList(p).Context(ctx).Pages(ctx, func(r *compute.InstanceAggregatedList) error { return f(r) })
	}, true},
	{inventory.TypeFirewall, "firewalls", func(ctx context.Context, s *compute.Service, p string, f func(any) error) error {
		return s.Firewalls.List(p).Context(ctx).Pages(ctx, func(r *compute.FirewallList) error { return f(r) })
	}, false},
	{inventory.TypeNetwork, "networks", func(ctx context.Context, s *compute.Service, p string, f func(any) error) error {
		return s.Networks.List(p).Context(ctx).Pages(ctx, func(r *compute.NetworkList) error { return f(r) })
	}, false},
	{inventory.TypeSubnetwork, "subnetworks", func(ctx context.Context, s *compute.Service, p string, f func(any) error) error {
		return s.Subnetworks.AggregatedList(p).Context(ctx).Pages(ctx, func(r *compute.SubnetworkAggregatedList) error { return f(r) })
	}, true},
	{inventory.TypeRoute, "routes", func(ctx context.Context, s *compute.Service, p string, f func(any) error) error {
		return s.Routes.List(p).Context(ctx).Pages(ctx, func(r *compute.RouteList) error { return f(r) })
	}, false},
	{inventory.TypeForwardingRule, "forwardingRules", func(ctx context.Context, s *compute.Service, p string, f func(any) error) error {
		return s.ForwardingRules.AggregatedList(p).Context(ctx).Pages(ctx, func(r *compute.ForwardingRuleAggregatedList) error { return f(r) })
	}, true},
	{inventory.TypeGlobalFwdRule, "forwardingRules", func(ctx context.Context, s *compute.Service, p string, f func(any) error) error {
		return s.GlobalForwardingRules.List(p).Context(ctx).Pages(ctx, func(r *compute.ForwardingRuleList) error { return f(r) })
	}, false},
	{inventory.TypeTargetPool, "targetPools", func(ctx context.Context, s *compute.Service, p string, f func(any) error) error {
		return s.TargetPools.AggregatedList(p).Context(ctx).Pages(ctx, func(r *compute.TargetPoolAggregatedList) error { return f(r) })
	}, true},
	{inventory.TypeBackendService, "backendServices", func(ctx context.Context, s *compute.Service, p string, f func(any) error) error {
		return s.BackendServices.AggregatedList(p).Context(ctx).Pages(ctx, func(r *compute.BackendServiceAggregatedList) error { return f(r) })
	}, true},
	{inventory.TypeURLMap, "urlMaps", func(ctx context.Context, s *compute.Service, p string, f func(any) error) error {
		return s.UrlMaps.AggregatedList(p).Context(ctx).Pages(ctx, func(r *compute.UrlMapsAggregatedList) error { return f(r) })
	}, true},
	{inventory.TypeTargetHTTPProxy, "targetHttpProxies", func(ctx context.Context, s *compute.Service, p string, f func(any) error) error {
		return s.TargetHttpProxies.AggregatedList(p).Context(ctx).Pages(ctx, func(r *compute.TargetHttpProxyAggregatedList) error { return f(r) })
	}, true},
	{inventory.TypeTargetHTTPSProxy, "targetHttpsProxies", func(ctx context.Context, s *compute.Service, p string, f func(any) error) error {
		return s.TargetHttpsProxies.AggregatedList(p).Context(ctx).Pages(ctx, func(r *compute.TargetHttpsProxyAggregatedList) error { return f(r) })
	}, true},
	{inventory.TypeTargetTCPProxy, "targetTcpProxies", func(ctx context.Context, s *compute.Service, p string, f func(any) error) error {
		return s.TargetTcpProxies.AggregatedList(p).Context(ctx).Pages(ctx, func(r *compute.TargetTcpProxyAggregatedList) error { return f(r) })
	}, true},
	{inventory.TypeTargetSSLProxy, "targetSslProxies", func(ctx context.Context, s *compute.Service, p string, f func(any) error) error {
		return s.TargetSslProxies.List(p).Context(ctx).Pages(ctx, func(r *compute.TargetSslProxyList) error { return f(r) })
	}, false},
	{inventory.TypeInstanceGroup, "instanceGroups", func(ctx context.Context, s *compute.Service, p string, f func(any) error) error {
		return s.InstanceGroups.AggregatedList(p).Context(ctx).Pages(ctx, func(r *compute.InstanceGroupAggregatedList) error { return f(r) })
	}, true},
}

// readCompute reads every project's Compute Engine collections, the
// members of each instance group, and the project's common instance
// metadata (enable-oslogin, block-project-ssh-keys; ssh-keys values are
// never copied into the graph).
func readCompute(ctx context.Context, c *collector, projects []projectRef) ([]*inventory.Asset, error) {
	svc, err := compute.NewService(ctx, c.clientOptions(APICompute)...)
	if err != nil {
		return nil, fmt.Errorf("compute client: %w", err)
	}
	var out []*inventory.Asset
	members := map[string][]string{}
	for _, p := range projects {
		for _, col := range computeCollections {
			var got []*inventory.Asset
			err := c.call(ctx, func() error {
				got = got[:0]
				return col.list(ctx, svc, p.ID, func(page any) error {
					items, err := pageItems(page, col.collection, col.aggregated)
					if err != nil {
						return err
					}
					for _, it := range items {
						a, err := computeAsset(it, col, p)
						if err != nil {
							return err
						}
						got = append(got, a)
					}
					return nil
				})
			})
			if err != nil {
				return nil, fmt.Errorf("%s of %s: %w", col.collection, p.ID, err)
			}
			out = append(out, got...)
		}
		for _, g := range out {
			if g.AssetType != inventory.TypeInstanceGroup || !strings.Contains(g.Name, "/projects/"+p.ID+"/") {
				continue
			}
			m, err := groupMembers(ctx, c, svc, p, g)
			if err != nil {
				return nil, err
			}
			members[g.Name] = m
		}
		var prj *compute.Project
		if err := c.call(ctx, func() (err error) {
			prj, err = svc.Projects.Get(p.ID).Context(ctx).Do()
			return err
		}); err != nil {
			return nil, fmt.Errorf("project %s: %w", p.ID, err)
		}
		a, err := newAsset("//compute.googleapis.com/projects/"+p.ID, inventory.TypeComputeProject, p, "global",
			map[string]any{"name": prj.Name, "commonInstanceMetadata": prj.CommonInstanceMetadata})
		if err != nil {
			return nil, err
		}
		out = append(out, a)
	}
	if c.inv.GroupMembers == nil {
		c.inv.GroupMembers = map[string][]string{}
	}
	for g, m := range members {
		c.inv.GroupMembers[g] = m
	}
	return out, nil
}

// rawItem is one listed resource in its REST JSON, with the scope
// ("zones/us-west1-c", "regions/us-west1", "global") it was listed under.
type rawItem struct {
	scope string
	data  map[string]json.RawMessage
}

// pageItems takes the items out of a list page: {"items": [...]} or, for
// aggregated lists, {"items": {"zones/z": {"<collection>": [...]}}}.
func pageItems(page any, collection string, aggregated bool) ([]rawItem, error) {
	b, err := json.Marshal(page)
	if err != nil {
		return nil, fmt.Errorf("encode page: %w", err)
	}
	var out []rawItem
	if !aggregated {
		var p struct {
			Items []map[string]json.RawMessage `json:"items"`
		}
		if err := json.Unmarshal(b, &p); err != nil {
			return nil, fmt.Errorf("decode page: %w", err)
		}
		for _, it := range p.Items {
			out = append(out, rawItem{scope: "global", data: it})
		}
		return out, nil
	}
	var p struct {
		Items map[string]map[string]json.RawMessage `json:"items"`
	}
	if err := json.Unmarshal(b, &p); err != nil {
		return nil, fmt.Errorf("decode page: %w", err)
	}
	for scope, sl := range p.Items {
		raw, ok := sl[collection]
		if !ok {
			continue // a scope with nothing carries only a warning
		}
		var items []map[string]json.RawMessage
		if err := json.Unmarshal(raw, &items); err != nil {
			return nil, fmt.Errorf("decode %s of %s: %w", collection, scope, err)
		}
		for _, it := range items {
			out = append(out, rawItem{scope: scope, data: it})
		}
	}
	return out, nil
}

// computeAsset names a listed Compute Engine resource as the asset
// inventory does: //compute.googleapis.com/projects/<id>/<scope>/<collection>/<name>.
func computeAsset(it rawItem, col computeCollection, p projectRef) (*inventory.Asset, error) {
	var name string
	if err := json.Unmarshal(it.data["name"], &name); err != nil || name == "" {
		return nil, fmt.Errorf("%s item without a name", col.collection)
	}
	scope, typ := it.scope, col.assetType
	switch {
	case typ == inventory.TypeBackendService && strings.HasPrefix(scope, "regions/"):
		typ = inventory.TypeRegionBackendService
	case typ == inventory.TypeForwardingRule && scope == "global":
		typ = inventory.TypeGlobalFwdRule
	}
	if col.collection == "firewalls" {
		// The API always sends a rule's priority; the client drops a zero
		// (omitempty), and a missing priority would read as the default 1000.
		if _, ok := it.data["priority"]; !ok {
			it.data["priority"] = json.RawMessage("0")
		}
	}
	loc := strings.TrimPrefix(strings.TrimPrefix(scope, "zones/"), "regions/")
	full := "//compute.googleapis.com/projects/" + p.ID + "/" + scope + "/" + col.collection + "/" + name
	return newAsset(full, typ, p, loc, it.data)
}

// groupMembers lists an instance group's instances (zonal or regional).
func groupMembers(ctx context.Context, c *collector, svc *compute.Service, p projectRef, g *inventory.Asset) ([]string, error) {
	rest := strings.TrimPrefix(g.Name, "//compute.googleapis.com/projects/"+p.ID+"/")
	parts := strings.Split(rest, "/") // zones/<z>/instanceGroups/<n> or regions/<r>/instanceGroups/<n>
	if len(parts) != 4 {
		return nil, nil
	}
	var out []string
	err := c.call(ctx, func() error {
		out = out[:0]
		add := func(items []*compute.InstanceWithNamedPorts) {
			for _, i := range items {
				if n := inventory.SelfLinkToName(i.Instance, p.ID); n != "" {
					out = append(out, n)
				}
			}
		}
		if parts[0] == "regions" {
			return svc.RegionInstanceGroups.ListInstances(p.ID, parts[1], parts[3], &compute.RegionInstanceGroupsListInstancesRequest{InstanceState: "ALL"}).
				Context(ctx).Pages(ctx, func(r *compute.RegionInstanceGroupsListInstances) error { add(r.Items); return nil })
		}
		return svc.InstanceGroups.ListInstances(p.ID, parts[1], parts[3], &compute.InstanceGroupsListInstancesRequest{InstanceState: "ALL"}).
			Context(ctx).Pages(ctx, func(r *compute.InstanceGroupsListInstances) error { add(r.Items); return nil })
	})
	if err != nil {
		return nil, fmt.Errorf("members of instance group %s: %w", g.Name, err)
	}
	return out, nil
}
