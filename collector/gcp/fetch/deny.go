package fetch

import (
	"context"
	"fmt"
	"net/url"
	"slices"
	"strings"

	iamv2 "google.golang.org/api/iam/v2"

	"github.com/breachpath/breachpath/collector/gcp/inventory"
	"github.com/breachpath/breachpath/graph"
)

// AreaDeny is the IAM deny policy listing. No node belongs to it: when it
// fails, every allow grant is drawn as if no deny policy existed (more
// moves, never fewer), and the coverage says so.
const AreaDeny = "iam-deny"

// APIIAM is the IAM API (v2 policies) endpoint override name.
const APIIAM = "iam"

// denyPolicies reads the deny policies attached to the organisation, every
// folder and every project: IAM v2 policies.listPolicies per attachment
// point (metadata only), then policies.get per policy for its rules.
func (c *collector) denyPolicies(ctx context.Context) {
	svc, err := iamv2.NewService(ctx, c.clientOptions(APIIAM)...)
	if err != nil {
		c.denyFailed(fmt.Errorf("iam client: %w", err))
		return
	}
	var points []string
	for _, t := range []string{inventory.TypeOrganization, inventory.TypeFolder, inventory.TypeProject} {
		for _, a := range c.inv.ByType(t) {
			points = append(points, strings.TrimPrefix(a.Name, "//"))
		}
	}
	slices.Sort(points)
	var got []inventory.DenyPolicy
	for _, p := range points {
		// The attachment point is URL-encoded in the parent, as documented
		// (cloudresourcemanager.googleapis.com%2Fprojects%2F123).
		parent := "policies/" + url.PathEscape(p) + "/denypolicies"
		list, err := listAll(ctx, c, func(add func(...*iamv2.GoogleIamV2Policy)) error {
			return svc.Policies.ListPolicies(parent).Context(ctx).Pages(ctx, func(r *iamv2.GoogleIamV2ListPoliciesResponse) error { add(r.Policies...); return nil })
		})
		if err != nil {
			if ctx.Err() == nil {
				c.denyFailed(fmt.Errorf("deny policies of %s: %w", p, err))
			}
			return
		}
		for _, l := range list {
			var full *iamv2.GoogleIamV2Policy
			if err := c.call(ctx, func() (err error) {
				full, err = svc.Policies.Get(l.Name).Context(ctx).Do()
				return err
			}); err != nil {
				if ctx.Err() == nil {
					c.denyFailed(fmt.Errorf("deny policy %s: %w", l.Name, err))
				}
				return
			}
			var d inventory.DenyPolicy
			if err := recode(full, &d); err != nil {
				c.denyFailed(err)
				return
			}
			got = append(got, d)
		}
	}
	for _, d := range got {
		if err := c.inv.AddDenyPolicy(d); err != nil {
			c.opts.Logger.Warn("gcp deny policy skipped", "error", err)
		}
	}
	c.inv.Coverage.Read = append(c.inv.Coverage.Read, graph.Area{Service: AreaDeny})
}

func (c *collector) denyFailed(err error) {
	c.opts.Logger.Warn("gcp area failed", "area", AreaDeny, "error", err)
	c.inv.DenyPolicies = nil
	c.inv.Coverage.Failed = append(c.inv.Coverage.Failed, graph.Failure{Area: graph.Area{Service: AreaDeny},
		Error: AreaDeny + " (iam API): " + err.Error() + "; allow grants drawn without deny policies"})
}
