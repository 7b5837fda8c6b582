package fetch

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/runtime"
	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/keyvault/armkeyvault"
	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/sql/armsql"
	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/storage/armstorage"

	"github.com/breachpath/breachpath/collector/azure/inventory"
)

// API versions of the REST calls made on azcore's pipeline.
const (
	apiWeb        = "2023-12-01"
	apiAutomation = "2023-11-01"
	apiMSI        = "2023-01-31"
)

// detail is one per-resource read that completes an area.
type detail struct {
	area string
	typ  string
	read func(ctx context.Context, r *inventory.Resource) error
}

// details reads what Resource Graph does not hold, per resource, for the
// areas Resource Graph read. A failed detail read fails its area for the
// resource's subscription: the area's resources leave the inventory, so
// the store keeps their earlier rows (and every edge they carry) stale
// instead of replacing them with a half-read version.
func (c *collector) details(ctx context.Context) {
	ds := []detail{
		{inventory.AreaStorage, inventory.TypeStorageAccount, c.blobContainers},
		{inventory.AreaKeyVault, inventory.TypeKeyVault, c.vaultItems},
		{inventory.AreaSQL, inventory.TypeSQLServer, c.sqlFirewall},
		{inventory.AreaWeb, inventory.TypeWebSite, c.webSettings},
		{inventory.AreaAutomation, inventory.TypeAutomationAccount, c.automationVariables},
		{inventory.AreaManagedIdentity, inventory.TypeUserAssignedID, c.federatedCredentials},
	}
	for _, d := range ds {
		c.mu.Lock()
		rs := c.inv.OfType(d.typ)
		c.mu.Unlock()
		failed := map[string]error{}
		var fmu = &c.mu
		_ = forEach(ctx, c.opts.Concurrency, rs, func(ctx context.Context, r *inventory.Resource) error {
			fmu.Lock()
			if failed[r.SubscriptionID] != nil || c.inv.Failed(r.SubscriptionID, d.area) {
				fmu.Unlock()
				return nil
			}
			fmu.Unlock()
			if err := d.read(ctx, r); err != nil && ctx.Err() == nil {
				fmu.Lock()
				if failed[r.SubscriptionID] == nil {
					failed[r.SubscriptionID] = fmt.Errorf("%s %s: %w", d.area, r.Name, err)
				}
				fmu.Unlock()
			}
			return nil
		})
		for sub, err := range failed {
			c.failArea(sub, d.area, err)
		}
	}
	if c.opts.VerifyPublicBlobs {
		c.verifyPublicBlobs(ctx)
	}
}

// failArea marks an area failed for a subscription and drops the area's
// resources of that subscription from the inventory.
func (c *collector) failArea(sub, area string, err error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.failAreaLocked(sub, area, err)
	for _, dep := range dependents[area] {
		c.failAreaLocked(sub, dep, fmt.Errorf("kept from the last collection: its exposure depends on the %s area, which failed", area))
	}
}

func (c *collector) failAreaLocked(sub, area string, err error) {
	c.inv.MarkFailed(sub, area, err)
	for id, r := range c.inv.Resources {
		if r.SubscriptionID == sub && inventory.AreaOf(r.Type) == area {
			delete(c.inv.Resources, id)
		}
	}
	c.log.Warn("azure area failed", "subscription", sub, "area", area, "err", err)
}

func (c *collector) addJSON(v any) error {
	raw, err := json.Marshal(v)
	if err != nil {
		return err
	}
	c.add(raw)
	return nil
}

func (c *collector) blobContainers(ctx context.Context, r *inventory.Resource) error {
	client, err := armstorage.NewBlobContainersClient(r.SubscriptionID, c.cred, c.armOpts)
	if err != nil {
		return err
	}
	pager := client.NewListPager(r.ResourceGroup, r.Name, nil)
	for pager.More() {
		page, err := pager.NextPage(ctx)
		if err != nil {
			return err
		}
		for _, item := range page.Value {
			if err := c.addJSON(item); err != nil {
				return err
			}
		}
	}
	return nil
}

// vaultItems lists secret and key metadata through the management plane
// (Microsoft.KeyVault/vaults/secrets/read): names, attributes, content
// types and tags. Values are never requested.
func (c *collector) vaultItems(ctx context.Context, r *inventory.Resource) error {
	secrets, err := armkeyvault.NewSecretsClient(r.SubscriptionID, c.cred, c.armOpts)
	if err != nil {
		return err
	}
	sp := secrets.NewListPager(r.ResourceGroup, r.Name, nil)
	for sp.More() {
		page, err := sp.NextPage(ctx)
		if err != nil {
			return err
		}
		for _, s := range page.Value {
			if s.Properties != nil {
				s.Properties.Value = nil // never kept, never written (the list API does not return it either)
			}
			if err := c.addJSON(s); err != nil {
				return err
			}
		}
	}
	keys, err := armkeyvault.NewKeysClient(r.SubscriptionID, c.cred, c.armOpts)
	if err != nil {
		return err
	}
	kp := keys.NewListPager(r.ResourceGroup, r.Name, nil)
	for kp.More() {
		page, err := kp.NextPage(ctx)
		if err != nil {
			return err
		}
		for _, k := range page.Value {
			if err := c.addJSON(k); err != nil {
				return err
			}
		}
	}
	return nil
}

// sqlFirewall reads a SQL server's firewall rules and its virtual network
// rules, which admit subnets through their Microsoft.Sql service endpoint
// (Microsoft.Sql/servers/virtualNetworkRules/read).
func (c *collector) sqlFirewall(ctx context.Context, r *inventory.Resource) error {
	client, err := armsql.NewFirewallRulesClient(r.SubscriptionID, c.cred, c.armOpts)
	if err != nil {
		return err
	}
	if err := addPages(ctx, c, client.NewListByServerPager(r.ResourceGroup, r.Name, nil),
		func(p armsql.FirewallRulesClientListByServerResponse) []*armsql.FirewallRule { return p.Value }); err != nil {
		return fmt.Errorf("firewall rules of %s: %w", r.Name, err)
	}
	vnr, err := armsql.NewVirtualNetworkRulesClient(r.SubscriptionID, c.cred, c.armOpts)
	if err != nil {
		return err
	}
	if err := addPages(ctx, c, vnr.NewListByServerPager(r.ResourceGroup, r.Name, nil),
		func(p armsql.VirtualNetworkRulesClientListByServerResponse) []*armsql.VirtualNetworkRule {
			return p.Value
		}); err != nil {
		return fmt.Errorf("virtual network rules of %s: %w", r.Name, err)
	}
	return nil
}

// addPages adds every item of every page a pager returns.
func addPages[R, T any](ctx context.Context, c *collector, p *runtime.Pager[R], items func(R) []T) error {
	for p.More() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return err
		}
		for _, it := range items(page) {
			if err := c.addJSON(it); err != nil {
				return err
			}
		}
	}
	return nil
}

// webSettings reads the names of an app's settings and connection strings
// (the values arrive in the answer and are dropped here, never stored)
// and whether App Service Authentication is on. Listing settings needs
// Microsoft.Web/sites/config/list/action, which Reader lacks: without it
// the names are skipped with a warning, not failed.
func (c *collector) webSettings(ctx context.Context, r *inventory.Resource) error {
	var names []string
	accounts := map[string]string{}
	for _, kind := range []string{"appsettings", "connectionstrings"} {
		var resp struct {
			Properties map[string]json.RawMessage `json:"properties"`
		}
		err := c.armPost(ctx, apiVersion(r.ID+"/config/"+kind+"/list", apiWeb), &resp)
		if st := statusOf(err); st == http.StatusForbidden || st == http.StatusUnauthorized {
			c.mu.Lock()
			c.inv.Warn("web app %s: %s names skipped: %v (needs Microsoft.Web/sites/config/list/action)", r.Name, kind, err)
			c.mu.Unlock()
			names = nil
			break
		} else if err != nil {
			return err
		}
		for k, raw := range resp.Properties {
			names = append(names, k)
			if a := storageAccountOf(raw); a != "" {
				accounts[k] = a
			}
		}
		clear(resp.Properties)
	}
	var auth struct {
		Properties struct {
			Platform struct {
				Enabled *bool `json:"enabled"`
			} `json:"platform"`
		} `json:"properties"`
	}
	err := c.armGet(ctx, apiVersion(r.ID+"/config/authsettingsV2", apiWeb), &auth)
	if st := statusOf(err); err != nil && st != http.StatusForbidden && st != http.StatusNotFound {
		return err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if res := c.inv.Get(r.ID); res != nil {
		if names != nil {
			res.AppSettingNames = names
			if len(accounts) > 0 {
				res.AppSettingStorageAccounts = accounts
			}
		}
		if err == nil && auth.Properties.Platform.Enabled != nil {
			v := *auth.Properties.Platform.Enabled
			res.AuthEnabled = &v
		}
	}
	return nil
}

// automationVariables lists an Automation account's variables (names and
// whether they are encrypted; the list carries no values of encrypted ones
// and plain values are dropped here).
func (c *collector) automationVariables(ctx context.Context, r *inventory.Resource) error {
	return c.armList(ctx, apiVersion(r.ID+"/variables", apiAutomation), func(raw json.RawMessage) error {
		var v struct {
			ID         string `json:"id"`
			Name       string `json:"name"`
			Type       string `json:"type"`
			Properties struct {
				IsEncrypted bool `json:"isEncrypted"`
			} `json:"properties"`
		}
		if err := json.Unmarshal(raw, &v); err != nil {
			return err
		}
		if v.ID == "" {
			v.ID = r.ID + "/variables/" + v.Name
		}
		return c.addJSON(map[string]any{"id": v.ID, "name": v.Name, "type": inventory.TypeAutomationVariable,
			"properties": map[string]any{"isEncrypted": v.Properties.IsEncrypted}})
	})
}

func (c *collector) federatedCredentials(ctx context.Context, r *inventory.Resource) error {
	return c.armList(ctx, apiVersion(r.ID+"/federatedIdentityCredentials", apiMSI), func(raw json.RawMessage) error {
		var v map[string]any
		if err := json.Unmarshal(raw, &v); err != nil {
			return err
		}
		if id, _ := v["id"].(string); id == "" || !strings.Contains(strings.ToLower(id), "/federatedidentitycredentials/") {
			return nil
		}
		c.add(raw)
		return nil
	})
}

// storageAccountOf returns the storage account a setting's value (an app
// setting's string, or a connection string's {"value", "type"}) grants
// with a key, or "". The value itself is dropped by the caller.
func storageAccountOf(raw json.RawMessage) string {
	var v string
	if json.Unmarshal(raw, &v) != nil {
		var cs struct {
			Value string `json:"value"`
		}
		if json.Unmarshal(raw, &cs) != nil {
			return ""
		}
		v = cs.Value
	}
	return inventory.StorageAccountOfConnectionString(v)
}
