// Package fetch is the get step of the AWS collector: it reads an account
// through the AWS APIs (read-only calls only) into an inventory.Inventory.
//
// Every area (a service in a region, or a global service) is read
// independently: an area that fails — access denied, throttled past the
// retries, timed out, 5xx — is recorded in Inventory.Coverage.Failed with a
// one-line reason and the rest of the account is still collected. A failed
// area means "unknown", never "no resources". docs/aws-collector.md lists the
// calls per resource type.
package fetch

import (
	"context"
	"crypto/rand"
	"fmt"
	"log/slog"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/breachpath/breachpath/collector/aws/inventory"
	"github.com/breachpath/breachpath/graph"
)

// Service names: the Options.Services filter and Coverage area services.
const (
	ServiceIAM            = "iam"
	ServiceOrg            = "org"
	ServiceS3             = "s3"
	ServiceEC2            = "ec2"
	ServiceELB            = "elb"
	ServiceRDS            = "rds"
	ServiceDynamoDB       = "dynamodb"
	ServiceEKS            = "eks"
	ServiceECS            = "ecs"
	ServiceKMS            = "kms"
	ServiceLambda         = "lambda"
	ServiceSQS            = "sqs"
	ServiceSNS            = "sns"
	ServiceSecretsManager = "secretsmanager"
	ServiceECR            = "ecr"
	ServiceMacie          = "macie"
	ServiceSSM            = "ssm"
	ServiceCodeBuild      = "codebuild"
	ServiceBeanstalk      = "elasticbeanstalk"
	// ServiceCognito reads Cognito user pools (cognito-idp) and identity
	// pools (cognito-identity).
	ServiceCognito = "cognito"
	// ServiceEFS reads EFS file systems, their mount targets, file-system
	// policies and access points.
	ServiceEFS = "efs"
)

// GlobalServices are read once per account; the others once per region.
var GlobalServices = []string{ServiceIAM, ServiceOrg, ServiceS3}

// RegionalServices are read in every collected region.
var RegionalServices = []string{
	ServiceEC2, ServiceELB, ServiceRDS, ServiceDynamoDB, ServiceEKS, ServiceECS, ServiceKMS,
	ServiceLambda, ServiceSQS, ServiceSNS, ServiceSecretsManager, ServiceECR, ServiceMacie,
	ServiceSSM, ServiceCodeBuild, ServiceBeanstalk, ServiceCognito, ServiceEFS,
}

// Options tunes a collection.
type Options struct {
	// Regions to read; empty means every region enabled for the account
	// (ec2:DescribeRegions).
	Regions []string
	// Concurrency bounds the areas read at once and, separately, the
	// per-resource detail calls of one area. Zero means 4.
	Concurrency int
	// Services restricts the collection to these services (see the
	// Service constants); empty means all.
	Services []string
	// Endpoint overrides every client's endpoint (a local emulator in tests).
	Endpoint string
	// MaxAttempts per API call, the first included; zero means
	// DefaultMaxAttempts. Ignored when Retryer is set.
	MaxAttempts int
	// Retryer overrides the SDK retryer (tests inject one with short backoff).
	Retryer func() aws.Retryer
	// LastAccessed also reads every principal's service and action
	// last-accessed data (iam:GenerateServiceLastAccessedDetails, one job
	// per principal) for the CIEM report.
	LastAccessed bool
	// CredentialSalt salts the fingerprints of credentials found in
	// configuration; nil means a random salt per collection (fingerprints
	// then compare only within one collection).
	CredentialSalt []byte
	// ScanConfigObjects also reads small text objects of buckets named or
	// tagged as holding configuration (s3:GetObject, the collector's one
	// data-plane read; off by default) and scans them for credentials,
	// within ConfigScanLimits (s3objects.go).
	ScanConfigObjects bool
	// ConfigScanLimits caps the configuration-object scan; zero fields take
	// the defaults (DefaultConfigScanLimits).
	ConfigScanLimits ConfigScanLimits
	// Kubernetes also reads every EKS cluster's Kubernetes API with
	// read-only verbs (pods, service accounts, nodes, RBAC, the aws-auth
	// ConfigMap; never Secrets), authenticating with an EKS token made from
	// the collector's own credentials (kubernetes.go). Off by default: the
	// collector's principal needs an access entry or aws-auth mapping.
	Kubernetes bool
	// KubeEndpoints override, per cluster name, the API server URL and CA
	// DescribeCluster gives (a private endpoint reached through a tunnel;
	// a local server in tests).
	KubeEndpoints map[string]KubeEndpoint
	// KubeExports are, per cluster name, kubectl JSON exports read instead
	// of the cluster's API (ParseKubeExport): for a collector whose
	// principal has no Kubernetes access. They apply without Kubernetes.
	KubeExports map[string][][]byte
	// Logger receives progress; nil means slog.Default().
	Logger *slog.Logger
}

func (o *Options) concurrency() int {
	if o.Concurrency <= 0 {
		return 4
	}
	return o.Concurrency
}

func (o *Options) maxAttempts() int {
	if o.MaxAttempts <= 0 {
		return DefaultMaxAttempts
	}
	return o.MaxAttempts
}

func (o *Options) wants(service string) bool {
	return len(o.Services) == 0 || slices.Contains(o.Services, service)
}

func (o *Options) validate() error {
	known := append(slices.Clone(GlobalServices), RegionalServices...)
	for _, s := range o.Services {
		if !slices.Contains(known, s) {
			return fmt.Errorf("unknown service %q (want one of %s)", s, strings.Join(known, ", "))
		}
	}
	return nil
}

// session is the state of one account's collection.
type session struct {
	cfg     aws.Config
	opts    Options
	log     *slog.Logger
	inv     *inventory.Inventory
	counter *callCounter

	mu       sync.Mutex
	failures map[graph.Area][]string
	read     map[graph.Area]bool
	// notEnabled holds areas whose service is not enabled, not subscribed
	// or not offered in the region, with AWS's answer.
	notEnabled map[graph.Area]string
	// salt for credential fingerprints (Options.CredentialSalt or random).
	salt []byte
}

// markNotEnabled records that an area's service is not enabled (or not
// offered) in its region: an answer, not a failure. The area counts as
// read — it holds no resources — and the run is not partial.
func (s *session) markNotEnabled(service, region string, err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.notEnabled == nil {
		s.notEnabled = map[graph.Area]string{}
	}
	s.notEnabled[graph.Area{Service: service, Region: region}] = reason(err)
	s.log.Info("aws service not enabled", "service", service, "region", region, "reason", reason(err))
}

// fail records that an area could not be (fully) read.
func (s *session) fail(service, region string, err error) {
	r := reason(err)
	s.mu.Lock()
	defer s.mu.Unlock()
	a := graph.Area{Service: service, Region: region}
	// The first failure of an area is a warning; per-resource repeats (one
	// per snapshot, say) would flood the log, so they go to debug.
	if _, seen := s.failures[a]; seen {
		s.log.Debug("aws read failed", "service", service, "region", region, "reason", r)
	} else {
		s.log.Warn("aws read failed", "service", service, "region", region, "reason", r)
	}
	if !slices.Contains(s.failures[a], r) {
		s.failures[a] = append(s.failures[a], r)
	}
}

// maxReasons bounds how many distinct reasons one failed area reports, so
// that a thousand failing per-resource reads make one readable line.
const maxReasons = 3

func joinReasons(rs []string) string {
	if len(rs) <= maxReasons {
		return strings.Join(rs, "; ")
	}
	return fmt.Sprintf("%s; and %d more", strings.Join(rs[:maxReasons], "; "), len(rs)-maxReasons)
}

// detail records that a per-resource detail (a bucket's policy, a key's
// policy) could not be read. It is filed under "<service>/<detail>" so that
// the resources themselves, which were listed, are not taken as unknown;
// the resource's Errors field says which detail is missing.
func (s *session) detail(service, detail, region, resource string, err error) string {
	r := resource + ": " + reason(err)
	s.fail(service+"/"+detail, region, fmt.Errorf("%s", r))
	return detail + ": " + reason(err)
}

// area runs fn as the read of one area and marks the area read unless fn
// (or anything it called) recorded a failure for it.
func (s *session) area(ctx context.Context, service, region string, fn func(context.Context) error) {
	start := time.Now()
	if err := fn(ctx); err != nil {
		if serviceNotEnabled(err) {
			s.markNotEnabled(service, region, err)
		} else {
			s.fail(service, region, err)
		}
	}
	s.mu.Lock()
	a := graph.Area{Service: service, Region: region}
	_, failed := s.failures[a]
	if !failed {
		s.read[a] = true
	}
	s.mu.Unlock()
	s.log.Debug("aws area done", "service", service, "region", region, "failed", failed, "took", time.Since(start).Round(time.Millisecond))
}

// forEach runs fn for i in [0,n) with at most limit running at once and
// stops starting new work once ctx is done.
func forEach(ctx context.Context, n, limit int, fn func(ctx context.Context, i int)) {
	sem := make(chan struct{}, limit)
	var wg sync.WaitGroup
	for i := 0; i < n; i++ {
		select {
		case <-ctx.Done():
			wg.Wait()
			return
		case sem <- struct{}{}:
		}
		wg.Add(1)
		go func() {
			defer func() { <-sem; wg.Done() }()
			fn(ctx, i)
		}()
	}
	wg.Wait()
}

// Collect reads one account with the credentials of cfg. It returns an
// error only when the account cannot be identified (sts:GetCallerIdentity),
// its regions cannot be listed, or ctx ends; in the last case the partial
// inventory is returned too, flagged Partial. Every other failure is in the
// inventory's Coverage.
func Collect(ctx context.Context, cfg aws.Config, opts Options) (*inventory.Inventory, error) {
	if err := opts.validate(); err != nil {
		return nil, err
	}
	start := time.Now()
	s := &session{opts: opts, counter: &callCounter{}, failures: map[graph.Area][]string{}, read: map[graph.Area]bool{},
		notEnabled: map[graph.Area]string{}}
	s.log = opts.Logger
	if s.log == nil {
		s.log = slog.Default()
	}
	if cfg.Region == "" {
		cfg.Region = "us-east-1"
	}
	s.cfg = configure(cfg, &s.opts, s.counter)
	s.salt = opts.CredentialSalt
	if s.salt == nil {
		s.salt = make([]byte, 32)
		if _, err := rand.Read(s.salt); err != nil {
			return nil, fmt.Errorf("credential fingerprint salt: %w", err)
		}
	}

	id, err := sts.NewFromConfig(s.cfg).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil {
		return nil, fmt.Errorf("identify account: %s", reason(err))
	}
	inv := &inventory.Inventory{
		AccountID:   aws.ToString(id.Account),
		Partition:   partitionOf(aws.ToString(id.Arn)),
		CollectedAt: start.UTC(),
		Regional:    map[string]*inventory.RegionData{},
	}
	s.inv = inv
	s.log = s.log.With("account", inv.AccountID)

	regions := slices.Clone(opts.Regions)
	if len(regions) == 0 {
		out, err := ec2.NewFromConfig(s.cfg).DescribeRegions(ctx, &ec2.DescribeRegionsInput{})
		if err != nil {
			return nil, fmt.Errorf("list enabled regions of account %s: %s", inv.AccountID, reason(err))
		}
		for _, r := range out.Regions {
			regions = append(regions, aws.ToString(r.RegionName))
		}
	}
	sort.Strings(regions)
	regions = slices.Compact(regions)
	inv.Regions = regions
	for _, r := range regions {
		inv.Region(r)
	}
	s.log.Info("aws collection started", "regions", len(regions), "concurrency", opts.concurrency())

	type job struct {
		service, region string
		fn              func(context.Context) error
	}
	var jobs []job
	// Global services first: IAM is the slowest and most valuable area.
	if opts.wants(ServiceIAM) {
		jobs = append(jobs, job{ServiceIAM, "", func(ctx context.Context) error { return s.collectIAM(ctx) }})
	}
	if opts.wants(ServiceOrg) {
		jobs = append(jobs, job{ServiceOrg, "", func(ctx context.Context) error { return s.collectOrg(ctx) }})
	}
	if opts.wants(ServiceS3) {
		jobs = append(jobs, job{ServiceS3, "", func(ctx context.Context) error { return s.collectS3(ctx) }})
	}
	regional := map[string]func(context.Context, string, *inventory.RegionData) error{
		ServiceEC2: s.collectEC2, ServiceELB: s.collectELB, ServiceRDS: s.collectRDS,
		ServiceDynamoDB: s.collectDynamoDB, ServiceEKS: s.collectEKS, ServiceECS: s.collectECS,
		ServiceKMS: s.collectKMS, ServiceLambda: s.collectLambda, ServiceSQS: s.collectSQS,
		ServiceSNS: s.collectSNS, ServiceSecretsManager: s.collectSecrets, ServiceECR: s.collectECR,
		ServiceMacie: s.collectMacie, ServiceSSM: s.collectSSM, ServiceCodeBuild: s.collectCodeBuild,
		ServiceBeanstalk: s.collectBeanstalk, ServiceCognito: s.collectCognito, ServiceEFS: s.collectEFS,
	}
	for _, region := range regions {
		rd := inv.Regional[region]
		for _, svc := range RegionalServices {
			if !opts.wants(svc) {
				continue
			}
			fn := regional[svc]
			jobs = append(jobs, job{svc, region, func(ctx context.Context) error { return fn(ctx, region, rd) }})
		}
	}
	forEach(ctx, len(jobs), opts.concurrency(), func(ctx context.Context, i int) {
		j := jobs[i]
		s.area(ctx, j.service, j.region, j.fn)
	})

	s.finish()
	if err := ctx.Err(); err != nil {
		inv.Partial = true
		return inv, fmt.Errorf("collect account %s: %w", inv.AccountID, err)
	}
	s.log.Info("aws collection done", "resources", inv.Stats.Resources, "api_calls", inv.Stats.APICalls,
		"retries", inv.Stats.Retries, "failed_areas", len(inv.Coverage.Failed), "took", inv.Stats.Duration.Round(time.Millisecond))
	return inv, nil
}

// finish fills Coverage and Stats in a deterministic order.
func (s *session) finish() {
	inv := s.inv
	s.mu.Lock()
	for a := range s.read {
		inv.Coverage.Read = append(inv.Coverage.Read, a)
	}
	for a, rs := range s.failures {
		inv.Coverage.Failed = append(inv.Coverage.Failed, graph.Failure{Area: a, Error: joinReasons(rs)})
	}
	for a, r := range s.notEnabled {
		inv.NotEnabled = append(inv.NotEnabled, graph.Failure{Area: a, Error: r})
	}
	s.mu.Unlock()
	less := func(a, b graph.Area) int {
		if c := strings.Compare(a.Service, b.Service); c != 0 {
			return c
		}
		return strings.Compare(a.Region, b.Region)
	}
	slices.SortFunc(inv.Coverage.Read, less)
	slices.SortFunc(inv.Coverage.Failed, func(a, b graph.Failure) int { return less(a.Area, b.Area) })
	slices.SortFunc(inv.NotEnabled, func(a, b graph.Failure) int { return less(a.Area, b.Area) })
	inv.Stats.APICalls, inv.Stats.Retries, inv.Stats.APICallsByService = s.counter.snapshot()
	inv.Stats.Resources = inv.CountResources()
	inv.Stats.Duration = time.Since(inv.CollectedAt)
}

// partitionOf reads the partition from an ARN ("arn:aws:sts::...").
func partitionOf(arn string) string {
	parts := strings.SplitN(arn, ":", 3)
	if len(parts) < 3 || parts[1] == "" {
		return "aws"
	}
	return parts[1]
}

// tagMap converts any SDK tag list through the key and value accessors.
func tagMap[T any](in []T, kv func(T) (*string, *string)) inventory.Tags {
	if len(in) == 0 {
		return nil
	}
	out := make(inventory.Tags, len(in))
	for _, t := range in {
		k, v := kv(t)
		out[aws.ToString(k)] = aws.ToString(v)
	}
	return out
}

func defaultLogger() *slog.Logger { return slog.Default() }

func compareStrings(a, b string) int { return strings.Compare(a, b) }
