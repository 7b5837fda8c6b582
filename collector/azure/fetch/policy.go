package fetch

import (
	"context"
	"fmt"

	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/resources/armpolicy"

	"github.com/breachpath/breachpath/collector/azure/inventory"
)

// policy reads, per subscription, the Azure Policy assignments that apply
// to it (its own, its resource groups' and resources', and those inherited
// from management groups) with armpolicy, and the policy definitions and
// initiatives (set definitions) they use: the subscription's list of
// definitions holds the built-in, management-group and custom ones it can
// use; only those an assignment names, directly or through an initiative,
// are kept. A failed read fails the subscription's policy area: moves are
// then drawn as if no policy denied anything.
func (c *collector) policy(ctx context.Context) {
	c.eachSubscription(ctx, inventory.AreaPolicy, "azure policy", c.policyOf)
}

func (c *collector) policyOf(ctx context.Context, sub string) error {
	f, err := armpolicy.NewClientFactory(sub, c.cred, c.armOpts)
	if err != nil {
		return err
	}
	assignments, err := collectPages(ctx, "policy assignments", f.NewAssignmentsClient().NewListPager(nil),
		func(p armpolicy.AssignmentsClientListResponse) []*armpolicy.Assignment { return p.Value })
	if err != nil {
		return err
	}
	want := map[string]bool{}
	for _, a := range assignments {
		if a.Properties != nil {
			want[lowerID(str(a.Properties.PolicyDefinitionID))] = true
		}
	}
	sets, err := collectPages(ctx, "policy set definitions", f.NewSetDefinitionsClient().NewListPager(nil),
		func(p armpolicy.SetDefinitionsClientListResponse) []*armpolicy.SetDefinition { return p.Value })
	if err != nil {
		return err
	}
	var keepSets []*armpolicy.SetDefinition
	for _, s := range sets {
		if !want[lowerID(str(s.ID))] {
			continue
		}
		keepSets = append(keepSets, s)
		if s.Properties != nil {
			for _, ref := range s.Properties.PolicyDefinitions {
				want[lowerID(str(ref.PolicyDefinitionID))] = true
			}
		}
	}
	defs, err := collectPages(ctx, "policy definitions", f.NewDefinitionsClient().NewListPager(nil),
		func(p armpolicy.DefinitionsClientListResponse) []*armpolicy.Definition { return p.Value })
	if err != nil {
		return err
	}
	for _, a := range assignments {
		if err := c.addJSON(a); err != nil {
			return err
		}
	}
	for _, s := range keepSets {
		if err := c.addJSON(s); err != nil {
			return err
		}
	}
	for _, d := range defs {
		if want[lowerID(str(d.ID))] {
			if err := c.addJSON(d); err != nil {
				return err
			}
		}
	}
	return nil
}

// collectPages pages through an SDK list and returns its items.
func collectPages[R, V any](ctx context.Context, what string, pager interface {
	More() bool
	NextPage(context.Context) (R, error)
}, values func(R) []*V) ([]*V, error) {
	var out []*V
	for pager.More() {
		page, err := pager.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", what, err)
		}
		out = append(out, values(page)...)
	}
	return out, nil
}
