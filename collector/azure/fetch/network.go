package fetch

import (
	"context"
	"fmt"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/runtime"
	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/network/armnetwork/v7"

	"github.com/breachpath/breachpath/collector/azure/inventory"
)

// network reads, per subscription, what decides private reach and routing
// through the network provider's own clients (armnetwork): private
// endpoints with their private link connections, route tables with their
// routes, Azure Firewalls with their classic rule collections, and
// firewall policies with their rule collection groups. Resource Graph
// holds the first three too, but not the rule collection groups; reading
// them all from one provider keeps one consistent view of the routing.
// A failed call fails the subscription's network area (and compute with
// it, as for every network read): a half-read route table or firewall
// would draw reach that does not exist.
func (c *collector) network(ctx context.Context) {
	c.eachSubscription(ctx, inventory.AreaNetwork, "network provider", c.networkOf)
}

// eachSubscription runs read for every subscription whose area has not
// failed already, marks the area read where it succeeds and failed (with
// its dependents) where it does not.
func (c *collector) eachSubscription(ctx context.Context, area, what string, read func(context.Context, string) error) {
	for _, sub := range c.subIDs() {
		if ctx.Err() != nil {
			return
		}
		c.mu.Lock()
		failed := c.inv.Failed(sub, area)
		c.mu.Unlock()
		if failed {
			continue
		}
		if err := read(ctx, sub); err != nil {
			if ctx.Err() == nil {
				c.failArea(sub, area, fmt.Errorf("%s: %w", what, err))
			}
			continue
		}
		c.mu.Lock()
		c.inv.MarkRead(sub, area)
		c.mu.Unlock()
	}
}

func (c *collector) networkOf(ctx context.Context, sub string) error {
	f, err := armnetwork.NewClientFactory(sub, c.cred, c.armOpts)
	if err != nil {
		return err
	}
	if _, err := drain(ctx, c, "private endpoints", f.NewPrivateEndpointsClient().NewListBySubscriptionPager(nil),
		func(p armnetwork.PrivateEndpointsClientListBySubscriptionResponse) []*armnetwork.PrivateEndpoint {
			return p.Value
		}); err != nil {
		return err
	}
	if _, err := drain(ctx, c, "route tables", f.NewRouteTablesClient().NewListAllPager(nil),
		func(p armnetwork.RouteTablesClientListAllResponse) []*armnetwork.RouteTable { return p.Value }); err != nil {
		return err
	}
	if _, err := drain(ctx, c, "azure firewalls", f.NewAzureFirewallsClient().NewListAllPager(nil),
		func(p armnetwork.AzureFirewallsClientListAllResponse) []*armnetwork.AzureFirewall { return p.Value }); err != nil {
		return err
	}
	policies, err := drain(ctx, c, "firewall policies", f.NewFirewallPoliciesClient().NewListAllPager(nil),
		func(p armnetwork.FirewallPoliciesClientListAllResponse) []*armnetwork.FirewallPolicy { return p.Value })
	if err != nil {
		return err
	}
	rcgs := f.NewFirewallPolicyRuleCollectionGroupsClient()
	for _, p := range policies {
		pager := rcgs.NewListPager(inventory.ResourceGroupOf(lowerID(str(p.ID))), str(p.Name), nil)
		if _, err := drain(ctx, c, "rule collection groups of "+str(p.Name), pager,
			func(p armnetwork.FirewallPolicyRuleCollectionGroupsClientListResponse) []*armnetwork.FirewallPolicyRuleCollectionGroup {
				return p.Value
			}); err != nil {
			return err
		}
	}
	return nil
}

// drain pages through an SDK list, records every item in the inventory
// and returns them.
func drain[R, V any](ctx context.Context, c *collector, what string, pager *runtime.Pager[R], values func(R) []*V) ([]*V, error) {
	out, err := collectPages(ctx, what, pager, values)
	if err != nil {
		return nil, err
	}
	for _, v := range out {
		if err := c.addJSON(v); err != nil {
			return nil, fmt.Errorf("%s: %w", what, err)
		}
	}
	return out, nil
}
