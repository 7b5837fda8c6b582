package fetch

import (
	"context"
	"fmt"
	"slices"
	"strings"

	acm "google.golang.org/api/accesscontextmanager/v1"

	"github.com/breachpath/breachpath/collector/gcp/inventory"
	"github.com/breachpath/breachpath/graph"
)

// AreaPerimeters is the VPC Service Controls listing. No node belongs to
// it: when it fails, data moves are drawn as if no perimeter existed.
const AreaPerimeters = "accesscontextmanager"

// APIAccessContextManager is its endpoint override name.
const APIAccessContextManager = "accesscontextmanager"

// perimeters reads the service perimeters of every access policy of the
// organisations above the collected projects: accessPolicies.list
// (parent organizations/N), then servicePerimeters.list per policy.
func (c *collector) perimeters(ctx context.Context) {
	svc, err := acm.NewService(ctx, c.clientOptions(APIAccessContextManager)...)
	if err != nil {
		c.perimetersFailed(fmt.Errorf("access context manager client: %w", err))
		return
	}
	var orgs []string
	for _, a := range c.inv.Assets {
		if n := len(a.Ancestors); n > 0 && strings.HasPrefix(a.Ancestors[n-1], "organizations/") {
			orgs = append(orgs, a.Ancestors[n-1])
		}
	}
	slices.Sort(orgs)
	var got []inventory.Perimeter
	for _, org := range slices.Compact(orgs) {
		pols, err := listAll(ctx, c, func(add func(...*acm.AccessPolicy)) error {
			return svc.AccessPolicies.List().Parent(org).Context(ctx).Pages(ctx, func(r *acm.ListAccessPoliciesResponse) error { add(r.AccessPolicies...); return nil })
		})
		if err != nil {
			if ctx.Err() == nil {
				c.perimetersFailed(fmt.Errorf("access policies of %s: %w", org, err))
			}
			return
		}
		for _, pol := range pols {
			sps, err := listAll(ctx, c, func(add func(...*acm.ServicePerimeter)) error {
				return svc.AccessPolicies.ServicePerimeters.List(pol.Name).Context(ctx).Pages(ctx,
					func(r *acm.ListServicePerimetersResponse) error { add(r.ServicePerimeters...); return nil })
			})
			if err != nil {
				if ctx.Err() == nil {
					c.perimetersFailed(fmt.Errorf("perimeters of %s: %w", pol.Name, err))
				}
				return
			}
			for _, sp := range sps {
				var p inventory.Perimeter
				if err := recode(sp, &p); err != nil {
					c.perimetersFailed(err)
					return
				}
				got = append(got, p)
			}
		}
	}
	c.inv.Perimeters = got
	c.inv.Coverage.Read = append(c.inv.Coverage.Read, graph.Area{Service: AreaPerimeters})
}

func (c *collector) perimetersFailed(err error) {
	c.opts.Logger.Warn("gcp area failed", "area", AreaPerimeters, "error", err)
	c.inv.Perimeters = nil
	c.inv.Coverage.Failed = append(c.inv.Coverage.Failed, graph.Failure{Area: graph.Area{Service: AreaPerimeters},
		Error: AreaPerimeters + " (accesscontextmanager API): " + err.Error() + "; data moves drawn without VPC Service Controls"})
}
