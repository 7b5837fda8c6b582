// Package fetch collects a GCP organisation, folder or project live:
// Cloud Asset Inventory (cloud.google.com/go/asset, REST transport) is the
// backbone — resources per area, every IAM policy and every organisation
// policy in a few paged ListAssets calls for the whole scope — and the
// Cloud Storage JSON API adds buckets the asset inventory has not caught
// up with yet.
//
// Each area (a service: compute, storage, iam, ...) is listed on its own,
// so a failed or throttled area is recorded in the coverage and the rest
// of the collection stands; the store then keeps that area's previous rows,
// flagged stale, instead of deleting them.
package fetch

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"sync/atomic"
	"time"

	asset "cloud.google.com/go/asset/apiv1"
	"cloud.google.com/go/asset/apiv1/assetpb"
	"github.com/googleapis/gax-go/v2"
	"github.com/googleapis/gax-go/v2/apierror"
	"google.golang.org/api/googleapi"
	"google.golang.org/api/iterator"
	"google.golang.org/api/option"
	"google.golang.org/protobuf/encoding/protojson"

	"github.com/breachpath/breachpath/collector/credscan"
	"github.com/breachpath/breachpath/collector/gcp/inventory"
	"github.com/breachpath/breachpath/graph"
)

// Area names (graph.Area.Service) of a GCP collection.
const (
	AreaHierarchy = "cloudresourcemanager"
	AreaIAM       = "iam"
	AreaCompute   = "compute"
	AreaStorage   = "storage"
	AreaBigQuery  = "bigquery"
	AreaSecrets   = "secretmanager"
	AreaSQL       = "sqladmin"
	AreaFunctions = "cloudfunctions"
	AreaRun       = "run"
	AreaGKE       = "container"
	AreaKMS       = "cloudkms"
	AreaPubSub    = "pubsub"
	// AreaPolicies is the IAM policy listing: every move rests on it, so
	// its failure marks every area failed ("*").
	AreaPolicies = "iam-policy"
	// AreaOrgPolicy is the organisation policy listing.
	AreaOrgPolicy = "orgpolicy"
)

// Areas maps each resource area to the asset types listed for it.
var Areas = []struct {
	Service string
	Types   []string
}{
	{AreaHierarchy, []string{inventory.TypeOrganization, inventory.TypeFolder, inventory.TypeProject}},
	{AreaIAM, []string{inventory.TypeServiceAccount, inventory.TypeSAKey, inventory.TypeRole}},
	{AreaCompute, []string{inventory.TypeInstance, inventory.TypeFirewall, inventory.TypeNetwork, inventory.TypeSubnetwork,
		inventory.TypeRoute, inventory.TypeForwardingRule, inventory.TypeGlobalFwdRule, inventory.TypeTargetPool, inventory.TypeComputeProject,
		inventory.TypeBackendService, inventory.TypeRegionBackendService, inventory.TypeURLMap, inventory.TypeTargetHTTPProxy,
		inventory.TypeTargetHTTPSProxy, inventory.TypeTargetTCPProxy, inventory.TypeTargetSSLProxy, inventory.TypeInstanceGroup}},
	{AreaStorage, []string{inventory.TypeBucket}},
	{AreaBigQuery, []string{inventory.TypeDataset}},
	{AreaSecrets, []string{inventory.TypeSecret}},
	{AreaSQL, []string{inventory.TypeSQLInstance}},
	{AreaFunctions, []string{inventory.TypeFunctionV1, inventory.TypeFunctionV2}},
	{AreaRun, []string{inventory.TypeRunService}},
	{AreaGKE, []string{inventory.TypeCluster}},
	{AreaKMS, []string{inventory.TypeKeyRing, inventory.TypeCryptoKey}},
	{AreaPubSub, []string{inventory.TypeTopic, inventory.TypeSubscription}},
}

// Options configure a collection.
type Options struct {
	// Parent is the scope: "organizations/123", "folders/456" or
	// "projects/my-project".
	Parent string
	// ClientOptions go to every client (credentials).
	ClientOptions []option.ClientOption
	// ServiceOptions are added for one API's client, by API name (APIAsset,
	// APICompute, ...): endpoint overrides (EndpointOptions reads them
	// from the environment the way gcloud does).
	ServiceOptions map[string][]option.ClientOption
	// SkipStorageAPI leaves out the Cloud Storage listing.
	SkipStorageAPI bool
	// SkipServiceAPIs leaves out the service-detail reads (compute,
	// BigQuery, Secret Manager, Cloud SQL, Functions, Run, GKE, KMS APIs):
	// the asset inventory alone.
	SkipServiceAPIs bool
	// KeyActivity also reads when each service-account key last
	// authenticated (Policy Analyzer; needs
	// roles/policyanalyzer.activityAnalysisViewer), for dormant keys in
	// the CIEM report, and the IAM recommender's policy insights
	// (permission use per binding; roles/recommender.iamViewer) for unused
	// permissions.
	KeyActivity bool
	// DLPLocations are the locations whose Sensitive Data Protection data
	// profiles are listed (default DefaultDLPLocations); SkipServiceAPIs
	// leaves the profiles out too.
	DLPLocations []string
	// PageSize of ListAssets (default 500, the maximum the API allows for
	// resource content is 1000).
	PageSize int32
	// MaxAttempts per call on throttling and transient errors (default 5).
	MaxAttempts int
	// RetryBase is the first backoff (default 500ms); tests shorten it.
	RetryBase time.Duration
	// CallTimeout bounds one call including its retries (default 2m).
	CallTimeout time.Duration
	Logger      *slog.Logger
	// ScanConfigObjects lists the objects of buckets anyone may reach or
	// that hold configuration by name or label, and reads the small text
	// ones (storage.objects.list, storage.objects.get) to find credentials
	// left in them (objectscan.go); only what identifies each is kept.
	ScanConfigObjects bool
	// ConfigScanLimits caps that scan; zero fields take credscan.DefaultLimits.
	ConfigScanLimits credscan.Limits
	// CredentialSalt salts the fingerprints of credentials found (random
	// per collection when nil).
	CredentialSalt []byte
}

func (o *Options) defaults() {
	if o.PageSize == 0 {
		o.PageSize = 500
	}
	if o.MaxAttempts == 0 {
		o.MaxAttempts = 5
	}
	if o.RetryBase == 0 {
		o.RetryBase = 500 * time.Millisecond
	}
	if o.CallTimeout == 0 {
		o.CallTimeout = 2 * time.Minute
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
}

// ValidParent reports whether p names an organisation, folder or project.
func ValidParent(p string) bool {
	kind, id, ok := strings.Cut(p, "/")
	return ok && id != "" && !strings.Contains(id, "/") && (kind == "organizations" || kind == "folders" || kind == "projects")
}

// collector carries one run's state.
type collector struct {
	opts     Options
	inv      *inventory.Inventory
	client   *asset.Client
	calls    atomic.Int64
	retries  atomic.Int64
	assetsIn atomic.Int64
}

// Collect reads the scope into an inventory. Failed areas are in the
// coverage; only a cancelled context (or no usable client) is an error.
func Collect(ctx context.Context, opts Options) (*inventory.Inventory, error) {
	opts.defaults()
	if !ValidParent(opts.Parent) {
		return nil, fmt.Errorf("gcp scope %q: want organizations/ID, folders/ID or projects/ID", opts.Parent)
	}
	start := time.Now()
	c := &collector{opts: opts, inv: inventory.New(start)}
	client, err := asset.NewRESTClient(ctx, c.clientOptions(APIAsset)...)
	if err != nil {
		return nil, fmt.Errorf("cloud asset client: %w", err)
	}
	defer client.Close()
	c.client = client
	for _, area := range Areas {
		c.area(ctx, area.Service, area.Types, assetpb.ContentType_RESOURCE)
		if ctx.Err() != nil {
			break
		}
	}
	if ctx.Err() == nil {
		c.area(ctx, AreaPolicies, nil, assetpb.ContentType_IAM_POLICY)
	}
	if ctx.Err() == nil {
		c.area(ctx, AreaOrgPolicy, nil, assetpb.ContentType_ORG_POLICY)
	}
	if ctx.Err() == nil && !opts.SkipStorageAPI && !c.inv.Coverage.FailedFor(AreaStorage, "") {
		c.storage(ctx)
	}
	if ctx.Err() == nil && opts.ScanConfigObjects && !opts.SkipStorageAPI && !c.inv.Coverage.FailedFor(AreaStorage, "") && !c.inv.Coverage.FailedFor(AreaPolicies, "") {
		c.scanObjects(ctx)
	}
	if ctx.Err() == nil && !opts.SkipServiceAPIs {
		c.services(ctx)
	}
	if ctx.Err() == nil && !opts.SkipServiceAPIs && !c.inv.Coverage.FailedFor(AreaPolicies, "") {
		c.denyPolicies(ctx)
	}
	if ctx.Err() == nil && !opts.SkipServiceAPIs {
		c.perimeters(ctx)
	}
	if ctx.Err() == nil && !opts.SkipServiceAPIs {
		c.dlpProfiles(ctx)
	}
	if ctx.Err() == nil && opts.KeyActivity {
		c.insights(ctx)
	}
	if ctx.Err() == nil && opts.KeyActivity {
		c.keyActivity(ctx)
	}
	if err := ctx.Err(); err != nil {
		c.inv.Partial = true
		return c.inv, fmt.Errorf("gcp collection: %w", err)
	}
	c.inv.Stats = inventory.Stats{Assets: int(c.assetsIn.Load()), APICalls: int(c.calls.Load()), Retries: int(c.retries.Load()),
		Duration: time.Since(start)}
	return c.inv, nil
}

// clientOptions returns the options of one API's client: the shared
// ones, then that API's own (an endpoint override comes last and wins).
func (c *collector) clientOptions(api string) []option.ClientOption {
	return append(slices.Clone(c.opts.ClientOptions), c.opts.ServiceOptions[api]...)
}

// area lists one area's assets; a failure is recorded, not returned.
func (c *collector) area(ctx context.Context, service string, types []string, content assetpb.ContentType) {
	var got []*inventory.Asset
	err := c.list(ctx, types, content, func(a *inventory.Asset) { got = append(got, a) })
	if err != nil {
		if ctx.Err() != nil {
			return
		}
		failed := service
		if service == AreaPolicies {
			failed = "*" // every move rests on the IAM policies
		}
		c.opts.Logger.Warn("gcp area failed", "area", service, "error", err)
		c.inv.Coverage.Failed = append(c.inv.Coverage.Failed, graph.Failure{Area: graph.Area{Service: failed}, Error: service + ": " + err.Error()})
		return
	}
	for _, a := range got {
		if err := c.inv.Add(a); err != nil {
			c.opts.Logger.Warn("gcp asset skipped", "area", service, "error", err)
		}
	}
	c.inv.Coverage.Read = append(c.inv.Coverage.Read, graph.Area{Service: service})
}

// list pages through ListAssets and converts each asset to the inventory
// shape (the same JSON an export holds).
func (c *collector) list(ctx context.Context, types []string, content assetpb.ContentType, each func(*inventory.Asset)) error {
	ctx, cancel := context.WithTimeout(ctx, c.opts.CallTimeout)
	defer cancel()
	req := &assetpb.ListAssetsRequest{Parent: c.opts.Parent, AssetTypes: types, ContentType: content, PageSize: c.opts.PageSize}
	it := c.client.ListAssets(ctx, req, gax.WithRetry(func() gax.Retryer { return c.retryer() }))
	n := 0
	for {
		pa, err := it.Next()
		if errors.Is(err, iterator.Done) {
			break
		}
		if err != nil {
			return err
		}
		n++
		b, err := protojson.Marshal(pa)
		if err != nil {
			return fmt.Errorf("encode asset %s: %w", pa.GetName(), err)
		}
		a, err := inventory.ParseAsset(b)
		if err != nil {
			return err
		}
		c.assetsIn.Add(1)
		each(a)
	}
	c.calls.Add(int64(1 + n/int(c.opts.PageSize)))
	return nil
}

// retryer retries throttling and transient errors with capped attempts
// and exponential backoff.
type retryer struct {
	c       *collector
	attempt int
	pause   time.Duration
}

func (c *collector) retryer() gax.Retryer { return &retryer{c: c, pause: c.opts.RetryBase} }

// Retry implements gax.Retryer.
func (r *retryer) Retry(err error) (time.Duration, bool) {
	r.attempt++
	if r.attempt >= r.c.opts.MaxAttempts || !Transient(err) {
		return 0, false
	}
	r.c.retries.Add(1)
	p := r.pause
	r.pause = min(r.pause*2, 30*time.Second)
	return p, true
}

// Transient reports whether an error is throttling or a transient server
// error worth retrying.
func Transient(err error) bool {
	var ge *googleapi.Error
	if errors.As(err, &ge) {
		return ge.Code == http.StatusTooManyRequests || ge.Code >= 500
	}
	var ae *apierror.APIError
	if errors.As(err, &ae) {
		if ae.HTTPCode() == http.StatusTooManyRequests || ae.HTTPCode() >= 500 {
			return true
		}
	}
	return false
}
