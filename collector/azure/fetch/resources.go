package fetch

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/to"
	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/resourcegraph/armresourcegraph"
	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/resources/armsubscriptions"

	"github.com/breachpath/breachpath/collector/azure/inventory"
)

// subscriptions lists the subscriptions the credential can read, keeps
// the requested ones, and returns the tenant.
func (c *collector) subscriptions(ctx context.Context) ([]inventory.Subscription, string, error) {
	client, err := armsubscriptions.NewClient(c.cred, c.armOpts)
	if err != nil {
		return nil, "", fmt.Errorf("azure subscriptions client: %w", err)
	}
	want := map[string]bool{}
	for _, s := range c.opts.Subscriptions {
		want[strings.ToLower(s)] = true
	}
	var subs []inventory.Subscription
	tenant := strings.ToLower(c.opts.TenantID)
	pager := client.NewListPager(nil)
	for pager.More() {
		page, err := pager.NextPage(ctx)
		if err != nil {
			return nil, "", fmt.Errorf("list azure subscriptions: %w", err)
		}
		for _, s := range page.Value {
			id := strings.ToLower(str(s.SubscriptionID))
			if id == "" || (len(want) > 0 && !want[id]) {
				continue
			}
			st := ""
			if s.State != nil {
				st = string(*s.State)
			}
			subs = append(subs, inventory.Subscription{ID: id, DisplayName: str(s.DisplayName), TenantID: str(s.TenantID), State: st})
			if tenant == "" {
				tenant = strings.ToLower(str(s.TenantID))
			}
		}
	}
	if len(subs) == 0 {
		if len(want) > 0 {
			return nil, "", fmt.Errorf("collect azure: none of the subscriptions %s is readable by this identity", strings.Join(c.opts.Subscriptions, ", "))
		}
		return nil, "", errors.New("collect azure: the identity can read no subscription")
	}
	if tenant == "" {
		return nil, "", errors.New("collect azure: no tenant id (give --tenant)")
	}
	return subs, tenant, nil
}

// family is one Resource Graph query: the resource types of one area.
type family struct {
	area  string
	table string
	types []string
}

// families are the Resource Graph queries of a collection, one per area.
var families = []family{
	{inventory.AreaResources, "resourcecontainers", []string{inventory.TypeSubscription, inventory.TypeResourceGroup}},
	{inventory.AreaNetwork, "resources", []string{inventory.TypeVNet, inventory.TypeNIC, inventory.TypeNSG, inventory.TypePublicIP,
		inventory.TypeLoadBalancer, inventory.TypeAppGateway, inventory.TypeNATGateway}},
	{inventory.AreaCompute, "resources", []string{inventory.TypeVM, inventory.TypeVMSS, inventory.TypeVMExtension}},
	{inventory.AreaWeb, "resources", []string{inventory.TypeWebSite}},
	{inventory.AreaStorage, "resources", []string{inventory.TypeStorageAccount}},
	{inventory.AreaKeyVault, "resources", []string{inventory.TypeKeyVault}},
	{inventory.AreaSQL, "resources", []string{inventory.TypeSQLServer, inventory.TypeSQLDatabase}},
	{inventory.AreaDocumentDB, "resources", []string{inventory.TypeCosmosAccount}},
	{inventory.AreaAutomation, "resources", []string{inventory.TypeAutomationAccount, inventory.TypeRunbook}},
	{inventory.AreaLogic, "resources", []string{inventory.TypeLogicApp}},
	{inventory.AreaContainerService, "resources", []string{inventory.TypeAKS}},
	{inventory.AreaContainerRegistry, "resources", []string{inventory.TypeACR}},
	{inventory.AreaManagedIdentity, "resources", []string{inventory.TypeUserAssignedID}},
}

// Query returns the Resource Graph query of a family.
func (f family) Query() string {
	quoted := make([]string, len(f.types))
	for i, t := range f.types {
		quoted[i] = "'" + t + "'"
	}
	return f.table + " | where type in~ (" + strings.Join(quoted, ", ") + ")"
}

// resourceGraph runs one paged query per family across every subscription,
// and one tenant-level query for the management groups.
func (c *collector) resourceGraph(ctx context.Context) {
	client, err := armresourcegraph.NewClient(c.cred, c.armOpts)
	if err != nil {
		for _, f := range families {
			c.failAll(f.area, err)
		}
		return
	}
	subs := make([]*string, 0, len(c.inv.Subscriptions))
	for _, s := range c.inv.Subscriptions {
		subs = append(subs, to.Ptr(s.ID))
	}
	for _, f := range families {
		if ctx.Err() != nil {
			return
		}
		if err := c.query(ctx, client, f.Query(), subs); err != nil {
			c.failAll(f.area, fmt.Errorf("resource graph %s: %w", f.area, err))
			continue
		}
		c.readAll(f.area)
	}
	mg := "resourcecontainers | where type =~ '" + inventory.TypeManagementGroup + "'"
	if err := c.query(ctx, client, mg, nil); err != nil {
		c.mu.Lock()
		c.inv.MarkFailed("", inventory.AreaResources, fmt.Errorf("resource graph management groups: %w", err))
		c.mu.Unlock()
		return
	}
	c.mu.Lock()
	c.inv.MarkRead("", inventory.AreaResources)
	c.mu.Unlock()
}

// query runs one Resource Graph query through every page. A page that
// fails fails the whole query: a half-read family must not be synced as
// complete.
func (c *collector) query(ctx context.Context, client *armresourcegraph.Client, q string, subs []*string) error {
	var skip *string
	for {
		resp, err := client.Resources(ctx, armresourcegraph.QueryRequest{Query: to.Ptr(q), Subscriptions: subs,
			Options: &armresourcegraph.QueryRequestOptions{ResultFormat: to.Ptr(armresourcegraph.ResultFormatObjectArray), SkipToken: skip, Top: to.Ptr[int32](1000)}}, nil)
		if err != nil {
			return err
		}
		rows, ok := resp.Data.([]any)
		if !ok && resp.Data != nil {
			return fmt.Errorf("unexpected result format %T", resp.Data)
		}
		for _, row := range rows {
			raw, err := json.Marshal(row)
			if err != nil {
				return err
			}
			c.add(raw)
		}
		if resp.SkipToken == nil || *resp.SkipToken == "" {
			return nil
		}
		skip = resp.SkipToken
	}
}
