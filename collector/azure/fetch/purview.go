package fetch

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/runtime"

	"github.com/breachpath/breachpath/collector/azure/inventory"
)

// PurviewAPIVersion is the Data Map data-plane version searched.
const PurviewAPIVersion = "2023-09-01"

// PurviewScope is the token audience of the Purview data plane.
const PurviewScope = "https://purview.azure.net/.default"

// PurviewEntityTypes are the Data Map entity types whose classifications
// the collector reads: storage accounts, containers, ADLS Gen2 file
// systems and the paths and resource sets below them (scans classify
// those), Azure SQL databases, tables and columns (scans classify
// columns).
var PurviewEntityTypes = []string{
	"azure_storage_account", "azure_blob_container", "azure_blob_path", "azure_blob_resource_set",
	"azure_datalake_gen2_filesystem", "azure_datalake_gen2_path", "azure_datalake_gen2_resource_set",
	"azure_sql_db", "azure_sql_schema", "azure_sql_table", "azure_sql_view", "azure_sql_column",
}

// purviewPageSize is the search page (the API allows up to 1000).
const purviewPageSize = 1000

// purview searches each configured Purview account's Data Map for the
// classified storage and SQL entities. Only search results are read (the
// Data Reader role), never data or the scan's samples. A failure marks the
// tenant-wide purview area failed; what other accounts answered is dropped
// too, so a partial answer is never mistaken for the whole.
func (c *collector) purview(ctx context.Context) {
	if len(c.opts.PurviewEndpoints) == 0 {
		return
	}
	gopts := policy.ClientOptions{Transport: c.opts.Transport, Retry: c.opts.Retry,
		PerCallPolicies: []policy.Policy{countPolicy{&c.calls}}, PerRetryPolicies: []policy.Policy{countPolicy{&c.tries}}}
	bearer := runtime.NewBearerTokenPolicy(c.cred, []string{PurviewScope}, nil)
	pl := runtime.NewPipeline("breachpath-purview", "v1", runtime.PipelineOptions{PerRetry: []policy.Policy{bearer}}, &gopts)
	var got []inventory.PurviewAsset
	for _, ep := range c.opts.PurviewEndpoints {
		assets, err := purviewSearch(ctx, pl, strings.TrimRight(ep, "/"))
		if err != nil {
			c.mu.Lock()
			c.inv.MarkFailed("", inventory.AreaPurview, fmt.Errorf("purview data map %s: %w", ep, err))
			c.mu.Unlock()
			c.log.Warn("azure area failed", "area", inventory.AreaPurview, "endpoint", ep, "err", err)
			return
		}
		got = append(got, assets...)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.inv.PurviewAssets = got
	c.inv.MarkRead("", inventory.AreaPurview)
}

// purviewSearch pages through one account's search/query answer.
func purviewSearch(ctx context.Context, pl runtime.Pipeline, endpoint string) ([]inventory.PurviewAsset, error) {
	var filter []map[string]any
	for _, t := range PurviewEntityTypes {
		filter = append(filter, map[string]any{"entityType": t})
	}
	u := endpoint + "/datamap/api/search/query?api-version=" + PurviewAPIVersion
	var out []inventory.PurviewAsset
	token := ""
	for {
		body := map[string]any{"keywords": nil, "limit": purviewPageSize, "filter": map[string]any{"or": filter}}
		if token != "" {
			body["continuationToken"] = token
		}
		req, err := runtime.NewRequest(ctx, http.MethodPost, u)
		if err != nil {
			return nil, err
		}
		if err := runtime.MarshalAsJSON(req, body); err != nil {
			return nil, err
		}
		var page struct {
			Value             []inventory.PurviewAsset `json:"value"`
			ContinuationToken string                   `json:"continuationToken"`
		}
		if err := doJSON(pl, req, &page); err != nil {
			return nil, err
		}
		for _, a := range page.Value {
			a.Account = endpoint
			out = append(out, a)
		}
		if page.ContinuationToken == "" || page.ContinuationToken == token || len(page.Value) == 0 {
			return out, nil
		}
		token = page.ContinuationToken
	}
}

// doJSON sends a prepared request and decodes a JSON answer.
func doJSON(pl runtime.Pipeline, req *policy.Request, out any) error {
	resp, err := pl.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if !runtime.HasStatusCode(resp, http.StatusOK) {
		body, _ := runtime.Payload(resp)
		return &errStatus{code: resp.StatusCode, msg: errorMessage(body)}
	}
	body, err := runtime.Payload(resp)
	if err != nil {
		return err
	}
	return json.Unmarshal(body, out)
}
