// Package fetch collects one Azure tenant live: subscriptions
// (armsubscriptions), resources by type family through Azure Resource Graph
// (armresourcegraph, one paged query per family across every subscription),
// private endpoints, route tables, Azure Firewalls and firewall policy rule
// collection groups through the network provider's client (armnetwork),
// Azure Policy assignments and the definitions they use (armpolicy),
// details only the resource providers give (blob containers through
// armstorage, Key Vault secret and key metadata through armkeyvault, SQL
// firewall rules through armsql, App Service setting names, Automation
// variables, federated credentials and RBAC through the ARM REST API on
// azcore's pipeline), Entra ID through Microsoft Graph REST on the same
// pipeline (docs/ARCHITECTURE.md says why not the Graph SDK), and each
// subscription's Activity Log (armmonitor) for the CIEM report's usage.
//
// Every area that fails is recorded in the inventory's coverage, never
// taken for "no resources"; the store then keeps the area's earlier rows,
// flagged stale.
package fetch

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/arm"
	armruntime "github.com/Azure/azure-sdk-for-go/sdk/azcore/arm/runtime"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/cloud"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/runtime"

	"github.com/breachpath/breachpath/collector/azure/inventory"
	"github.com/breachpath/breachpath/collector/credscan"
)

// Options tune Collect. The zero value collects every readable subscription
// of the credential's tenant in Azure's public cloud.
type Options struct {
	// Subscriptions limits the collection to these subscription ids.
	Subscriptions []string
	// TenantID names the tenant when no subscription is readable.
	TenantID string
	// Cloud selects the ARM endpoint (sovereign clouds); zero means public.
	Cloud cloud.Configuration
	// GraphEndpoint is Microsoft Graph's base URL; default
	// https://graph.microsoft.com.
	GraphEndpoint string
	// Transport replaces the HTTP transport of every client (tests route it
	// to the SDK's fake servers and local REST handlers).
	Transport policy.Transporter
	// Retry tunes retries of throttled and failed calls; zero means the
	// SDK's defaults (3 retries, exponential back-off).
	Retry policy.RetryOptions
	// Concurrency bounds the per-resource detail calls in flight (default 8).
	Concurrency int
	// SkipEntra leaves the directory out (no Graph permissions).
	SkipEntra bool
	// VerifyPublicBlobs lists every container whose public access level is
	// Container anonymously (no credential) to confirm the exposure.
	VerifyPublicBlobs bool
	// ScanConfigObjects lists the blobs of containers that anyone may read
	// or that hold configuration by name or account tag, and reads the
	// small text ones (Storage Blob Data Reader) to find credentials left
	// in them (objectscan.go); only what identifies each credential is kept.
	ScanConfigObjects bool
	// ConfigScanLimits caps that scan; zero fields take credscan.DefaultLimits.
	ConfigScanLimits credscan.Limits
	// CredentialSalt salts the fingerprints of credentials found (random
	// per collection when nil).
	CredentialSalt []byte
	// NewContainerClient builds the blob client of the scan (default: the
	// collection's token credential).
	NewContainerClient NewContainerClient
	// PurviewEndpoints are Microsoft Purview account endpoints
	// (https://<account>.purview.azure.com) whose Data Map classifications
	// are read; none means no Purview read.
	PurviewEndpoints []string
	// Logger receives progress and warnings; slog.Default when nil.
	Logger *slog.Logger
}

// collector holds one run's clients and counters.
type collector struct {
	cred    azcore.TokenCredential
	opts    Options
	armOpts *arm.ClientOptions
	arm     runtime.Pipeline
	armHost string
	graph   runtime.Pipeline
	inv     *inventory.Inventory
	log     *slog.Logger
	mu      sync.Mutex
	calls   atomic.Int64
	tries   atomic.Int64
}

// countPolicy counts logical calls (per call) or attempts (per retry).
type countPolicy struct{ n *atomic.Int64 }

func (p countPolicy) Do(req *policy.Request) (*http.Response, error) {
	p.n.Add(1)
	return req.Next()
}

// Collect reads the tenant the credential belongs to. A cancelled
// collection returns the context's error with Partial set on the inventory.
func Collect(ctx context.Context, cred azcore.TokenCredential, opts Options) (*inventory.Inventory, error) {
	start := time.Now()
	if opts.Concurrency <= 0 {
		opts.Concurrency = 8
	}
	if opts.GraphEndpoint == "" {
		opts.GraphEndpoint = "https://graph.microsoft.com"
	}
	if opts.Cloud.Services == nil {
		opts.Cloud = cloud.AzurePublic
	}
	log := opts.Logger
	if log == nil {
		log = slog.Default()
	}
	c := &collector{cred: cred, opts: opts, log: log}
	c.armOpts = &arm.ClientOptions{ClientOptions: policy.ClientOptions{Cloud: opts.Cloud, Transport: opts.Transport, Retry: opts.Retry,
		PerCallPolicies: []policy.Policy{countPolicy{&c.calls}}, PerRetryPolicies: []policy.Policy{countPolicy{&c.tries}}}}
	pl, err := armruntime.NewPipeline("breachpath-azure", "v1", cred, runtime.PipelineOptions{}, c.armOpts)
	if err != nil {
		return nil, fmt.Errorf("azure arm pipeline: %w", err)
	}
	c.arm = pl
	c.armHost = strings.TrimRight(opts.Cloud.Services[cloud.ResourceManager].Endpoint, "/")
	gopts := policy.ClientOptions{Transport: opts.Transport, Retry: opts.Retry,
		PerCallPolicies: []policy.Policy{countPolicy{&c.calls}}, PerRetryPolicies: []policy.Policy{countPolicy{&c.tries}}}
	bearer := runtime.NewBearerTokenPolicy(cred, []string{strings.TrimRight(opts.GraphEndpoint, "/") + "/.default"}, nil)
	c.graph = runtime.NewPipeline("breachpath-graph", "v1", runtime.PipelineOptions{PerRetry: []policy.Policy{bearer}}, &gopts)

	subs, tenant, err := c.subscriptions(ctx)
	if err != nil {
		return nil, err
	}
	c.inv = inventory.New(tenant, start.UTC())
	for _, s := range subs {
		c.inv.AddSubscription(s)
	}
	steps := []func(context.Context){c.resourceGraph, c.network, c.details, c.scanObjects, c.policy, c.authorization, c.entra, c.activity, c.purview}
	for _, step := range steps {
		if err := ctx.Err(); err != nil {
			c.inv.Partial = true
			return c.inv, fmt.Errorf("collect azure: %w", err)
		}
		step(ctx)
	}
	if err := ctx.Err(); err != nil {
		c.inv.Partial = true
		return c.inv, fmt.Errorf("collect azure: %w", err)
	}
	c.inv.Stats = inventory.Stats{APICalls: int(c.calls.Load()), Retries: int(c.tries.Load() - c.calls.Load()), Duration: time.Since(start)}
	return c.inv, nil
}

// subIDs returns the collected subscription ids.
func (c *collector) subIDs() []string {
	out := make([]string, 0, len(c.inv.Subscriptions))
	for _, s := range c.inv.Subscriptions {
		out = append(out, s.ID)
	}
	return out
}

// dependents lists areas whose moves are drawn from another area's data:
// VMs and scale sets are exposed (or not) by NICs, NSGs and public IPs. When
// the network cannot be read, the compute area is failed too, so that the
// store keeps the VMs with their exposure edges (stale) instead of storing
// VMs that merely look unexposed.
var dependents = map[string][]string{inventory.AreaNetwork: {inventory.AreaCompute}}

// failAll records an area failure for every subscription.
func (c *collector) failAll(area string, err error) {
	for _, s := range c.subIDs() {
		c.failArea(s, area, err)
	}
}

func (c *collector) readAll(area string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, s := range c.subIDs() {
		if !c.inv.Failed(s, area) {
			c.inv.MarkRead(s, area)
		}
	}
}

// add records a resource unless its area already failed for its
// subscription (a dependent area failed with another one).
func (c *collector) add(raw json.RawMessage) {
	var head struct {
		ID   string `json:"id"`
		Type string `json:"type"`
	}
	_ = json.Unmarshal(raw, &head)
	typ := head.Type
	if typ == "" {
		typ = inventory.TypeOf(head.ID)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if a := inventory.AreaOf(typ); a != "" && c.inv.Failed(inventory.SubscriptionOf(head.ID), a) {
		return
	}
	if err := c.inv.Add(raw); err != nil {
		c.inv.Warn("azure: %v", err)
	}
}

// errStatus is a REST call that answered with an error status.
type errStatus struct {
	code int
	msg  string
}

func (e *errStatus) Error() string { return fmt.Sprintf("HTTP %d: %s", e.code, e.msg) }

// statusOf returns the HTTP status of an error from a REST or SDK call, or 0.
func statusOf(err error) int {
	var es *errStatus
	if errors.As(err, &es) {
		return es.code
	}
	var re *azcore.ResponseError
	if errors.As(err, &re) {
		return re.StatusCode
	}
	return 0
}

// rest sends one request through a pipeline and decodes a JSON answer.
func rest(ctx context.Context, pl runtime.Pipeline, method, u string, out any) error {
	req, err := runtime.NewRequest(ctx, method, u)
	if err != nil {
		return err
	}
	req.Raw().Header.Set("Accept", "application/json")
	resp, err := pl.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	if err != nil {
		return err
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return &errStatus{code: resp.StatusCode, msg: errorMessage(body)}
	}
	if out == nil {
		return nil
	}
	return json.Unmarshal(body, out)
}

// errorMessage extracts the message of an ARM or Graph error body.
func errorMessage(body []byte) string {
	var e struct {
		Error struct {
			Code    string `json:"code"`
			Message string `json:"message"`
		} `json:"error"`
	}
	if json.Unmarshal(body, &e) == nil && (e.Error.Code != "" || e.Error.Message != "") {
		return strings.TrimSpace(e.Error.Code + " " + e.Error.Message)
	}
	if len(body) > 200 {
		body = body[:200]
	}
	return strings.TrimSpace(string(body))
}

// pages walks a paged collection: ARM lists ({"value", "nextLink"}) and
// Microsoft Graph collections ({"value", "@odata.nextLink"}).
func pages(ctx context.Context, pl runtime.Pipeline, u string, each func(json.RawMessage) error) error {
	for u != "" {
		var page struct {
			Value     []json.RawMessage `json:"value"`
			NextLink  string            `json:"nextLink"`
			ODataNext string            `json:"@odata.nextLink"`
		}
		if err := rest(ctx, pl, http.MethodGet, u, &page); err != nil {
			return err
		}
		for _, v := range page.Value {
			if err := each(v); err != nil {
				return err
			}
		}
		u = firstNonEmpty(page.NextLink, page.ODataNext)
	}
	return nil
}

// armList pages through an ARM list.
func (c *collector) armList(ctx context.Context, path string, each func(json.RawMessage) error) error {
	return pages(ctx, c.arm, c.armHost+path, each)
}

// armPost sends a POST to an ARM path and decodes the answer.
func (c *collector) armPost(ctx context.Context, path string, out any) error {
	return rest(ctx, c.arm, http.MethodPost, c.armHost+path, out)
}

// armGet sends a GET to an ARM path and decodes the answer.
func (c *collector) armGet(ctx context.Context, path string, out any) error {
	return rest(ctx, c.arm, http.MethodGet, c.armHost+path, out)
}

// graphList pages through a Microsoft Graph collection.
func (c *collector) graphList(ctx context.Context, path string, each func(json.RawMessage) error) error {
	return pages(ctx, c.graph, strings.TrimRight(c.opts.GraphEndpoint, "/")+path, each)
}

// forEach runs fn over items with bounded concurrency and returns the
// first error.
func forEach[T any](ctx context.Context, n int, items []T, fn func(context.Context, T) error) error {
	var (
		wg    sync.WaitGroup
		mu    sync.Mutex
		first error
		sem   = make(chan struct{}, n)
	)
	for _, it := range items {
		if ctx.Err() != nil {
			break
		}
		sem <- struct{}{}
		wg.Add(1)
		go func(it T) {
			defer wg.Done()
			defer func() { <-sem }()
			if err := fn(ctx, it); err != nil {
				mu.Lock()
				if first == nil {
					first = err
				}
				mu.Unlock()
			}
		}(it)
	}
	wg.Wait()
	if first == nil {
		first = ctx.Err()
	}
	return first
}

func apiVersion(path, v string) string {
	if strings.Contains(path, "?") {
		return path + "&api-version=" + v
	}
	return path + "?api-version=" + v
}

func escape(s string) string { return url.PathEscape(s) }

func lowerID(id string) string { return strings.ToLower(strings.TrimRight(id, "/")) }

// str dereferences an SDK string pointer.
func str(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}
