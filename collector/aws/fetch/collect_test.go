package fetch

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/breachpath/breachpath/collector/aws/mototest"

	"github.com/breachpath/breachpath/collector/aws/inventory"
	"github.com/breachpath/breachpath/graph"
)

func quietLogger() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

func collectMoto(t *testing.T, endpoint string, opts Options) *inventory.Inventory {
	t.Helper()
	opts.Endpoint = endpoint
	if opts.Regions == nil {
		opts.Regions = []string{"us-east-1"}
	}
	if opts.Retryer == nil {
		opts.Retryer = fastRetryer(3)
	}
	opts.Logger = quietLogger()
	inv, err := Collect(testContext(t), testConfig("AKIAIOSFODNN7EXAMPLE"), opts)
	if err != nil {
		t.Fatalf("Collect: %v", err)
	}
	return inv
}

func TestCollectReadsEverySeededResourceFromMoto(t *testing.T) {
	ep := motoEndpoint(t)
	ctx := testContext(t)
	seed := seedAccountResources(t, ctx, testConfig("AKIAIOSFODNN7EXAMPLE"), ep)
	inv := collectMoto(t, ep, Options{})

	if inv.AccountID != seedAccount || inv.Partition != "aws" {
		t.Fatalf("account = %s/%s", inv.Partition, inv.AccountID)
	}
	if len(inv.Coverage.Failed) > 0 {
		t.Errorf("unexpected failed areas: %+v", inv.Coverage.Failed)
	}
	rd := inv.Regional["us-east-1"]
	blob := mustJSON(t, inv)

	users := map[string]inventory.User{}
	for _, u := range inv.IAM.Users {
		users[u.Name] = u
	}
	roles := map[string]inventory.Role{}
	for _, r := range inv.IAM.Roles {
		roles[r.Name] = r
	}
	alice := users["alice"]
	app := roles["app-role"]
	checks := []struct {
		name string
		ok   bool
	}{
		{"user in group", contains(alice.Groups, "developers")},
		// moto drops a user's permissions boundary (CreateUser ignores it);
		// the authdetails golden test covers user boundaries.
		{"user inline policy", len(alice.InlinePolicies) == 1 && strings.Contains(alice.InlinePolicies[0].Document, "iam:PassRole")},
		{"user access key", len(alice.AccessKeys) == 1 && alice.AccessKeys[0].Status == "Active"},
		{"user login profile", alice.LoginProfile},
		{"role trust (service)", strings.Contains(app.TrustPolicy, "ec2.amazonaws.com")},
		{"role trust (cross-account)", strings.Contains(roles["audit-cross-account"].TrustPolicy, "arn:aws:iam::999988887777:root")},
		{"role boundary", strings.HasSuffix(app.PermissionBoundary, ":policy/DeveloperBoundary")},
		{"role attached policy", len(app.AttachedPolicies) == 1 && app.AttachedPolicies[0].Name == "S3ReadRestricted"},
		{"role instance profile", len(app.InstanceProfiles) == 1 && strings.HasSuffix(app.InstanceProfiles[0], "instance-profile/app-profile")},
		{"instance profile listed", len(inv.IAM.InstanceProfiles) == 1 && contains(inv.IAM.InstanceProfiles[0].Roles, app.ARN)},
		{"password policy none", inv.IAM.PasswordPolicy != nil && inv.IAM.PasswordPolicy.None},
		{"account summary", inv.IAM.Summary != nil},
		{"credential report", len(inv.IAM.CredentialReport) >= 1 && inv.IAM.CredentialReport[0].User == "alice" && inv.IAM.CredentialReport[0].PasswordEnabled},
	}
	var groupOK, policyOK bool
	for _, g := range inv.IAM.Groups {
		groupOK = groupOK || (g.Name == "developers" && len(g.InlinePolicies) == 1 && len(g.AttachedPolicies) == 1)
	}
	for _, p := range inv.IAM.Policies {
		policyOK = policyOK || (p.Name == "S3ReadRestricted" && strings.Contains(p.Document, "customer-data/*") && !p.AWSManaged && p.AttachmentCount == 2)
	}
	checks = append(checks, struct {
		name string
		ok   bool
	}{"group with policies", groupOK}, struct {
		name string
		ok   bool
	}{"managed policy default document", policyOK})

	var vpcOK, subnetOK, rtOK, igwOK, sgOK, naclOK, instOK, dbOK, keyOK, secretOK, queueOK, topicOK, repoOK bool
	for _, v := range rd.VPCs {
		vpcOK = vpcOK || (v.ID == seed.vpc && contains(v.CIDRBlocks, "10.10.0.0/16"))
	}
	for _, s := range rd.Subnets {
		subnetOK = subnetOK || (s.ID == seed.subnet && s.MapPublicIPOnLaunch && s.VPCID == seed.vpc)
	}
	for _, r := range rd.RouteTables {
		if r.ID != seed.routeTable {
			continue
		}
		for _, rr := range r.Routes {
			rtOK = rtOK || (rr.DestinationCIDR == "0.0.0.0/0" && rr.GatewayID == seed.igw)
		}
		assoc := false
		for _, a := range r.Associations {
			assoc = assoc || a.SubnetID == seed.subnet
		}
		rtOK = rtOK && assoc
	}
	for _, g := range rd.InternetGateways {
		igwOK = igwOK || (g.ID == seed.igw && contains(g.VPCs, seed.vpc))
	}
	for _, g := range rd.SecurityGroups {
		if g.ID != seed.sg {
			continue
		}
		var p22, p443v6 bool
		for _, r := range g.Ingress {
			p22 = p22 || (r.Protocol == "tcp" && r.FromPort == 22 && r.ToPort == 22 && contains(r.CIDRs, "0.0.0.0/0"))
			p443v6 = p443v6 || (r.FromPort == 443 && contains(r.IPv6CIDRs, "::/0"))
		}
		sgOK = p22 && p443v6 && len(g.Egress) > 0
	}
	for _, a := range rd.NetworkACLs {
		for _, e := range a.Entries {
			naclOK = naclOK || (a.ID == seed.nacl && e.RuleNumber == 100 && e.Allow && !e.Egress && e.FromPort == 443 && e.CIDR == "0.0.0.0/0")
		}
	}
	for _, in := range rd.Instances {
		instOK = instOK || (in.ID == seed.instance && in.MetadataHTTPTokens == "optional" && in.SubnetID == seed.subnet &&
			contains(in.SecurityGroupIDs, seed.sg) && strings.HasSuffix(in.InstanceProfileARN, "instance-profile/app-profile") && in.Tags["Name"] == "web-1" && in.State == "running")
	}
	for _, d := range rd.DBInstances {
		dbOK = dbOK || (d.ID == "orders-db" && !d.PubliclyAccessible && d.StorageEncrypted && d.Engine == "postgres")
	}
	for _, k := range rd.KMSKeys {
		keyOK = keyOK || (k.ID == seed.keyID && k.KeyManager == "CUSTOMER" && strings.Contains(k.Policy, "kms:*") && k.Enabled)
	}
	for _, s := range rd.Secrets {
		secretOK = secretOK || (s.ARN == seed.secretARN && strings.Contains(s.Policy, "999988887777") && s.KMSKeyID != "")
	}
	for _, q := range rd.Queues {
		queueOK = queueOK || (q.URL == seed.queueURL && q.Name == "orders" && strings.Contains(q.Policy, "sqs:SendMessage") && strings.HasPrefix(q.ARN, "arn:aws:sqs:"))
	}
	for _, tp := range rd.Topics {
		topicOK = topicOK || (tp.ARN == seed.topicARN && strings.Contains(tp.Policy, "sns:Publish"))
	}
	for _, r := range rd.Repositories {
		repoOK = repoOK || (r.Name == "app" && strings.Contains(r.Policy, "ecr:BatchGetImage"))
	}
	var bucketOK bool
	for _, b := range inv.S3 {
		bucketOK = bucketOK || (b.Name == "customer-data" && b.Tags["data-classification"] == "restricted" && strings.Contains(b.Policy, "PublicRead") &&
			b.Region == "us-east-1" && len(b.ACL) > 0 && len(b.Errors) == 0)
	}
	for _, c := range []struct {
		name string
		ok   bool
	}{
		{"vpc", vpcOK}, {"public subnet", subnetOK}, {"route to igw", rtOK}, {"igw attached", igwOK}, {"sg 22/443", sgOK},
		{"nacl entry", naclOK}, {"instance imdsv1 + profile", instOK}, {"private encrypted db", dbOK}, {"kms key policy", keyOK},
		{"secret policy", secretOK}, {"queue policy", queueOK}, {"topic policy", topicOK}, {"ecr policy", repoOK}, {"tagged bucket", bucketOK},
	} {
		checks = append(checks, c)
	}
	for _, c := range checks {
		if !c.ok {
			t.Errorf("%s: not collected as seeded", c.name)
		}
	}

	if seed.lambdaOK {
		var fnOK bool
		for _, f := range rd.Functions {
			fnOK = fnOK || (f.Name == "thumbnailer" && strings.HasSuffix(f.Role, ":role/fn-role") && contains(f.EnvironmentNames, "DB_PASSWORD") &&
				len(f.FunctionURLs) == 1 && f.FunctionURLs[0].AuthType == "NONE" && strings.Contains(f.Policy, "lambda:InvokeFunctionUrl") &&
				f.Tags["team"] == "media")
		}
		if !fnOK {
			t.Errorf("lambda function not collected as seeded: %+v", rd.Functions)
		}
	} else {
		t.Logf("moto could not create a Lambda function here (%s); Lambda assertions skipped", seed.lambdaErr)
	}

	for _, leak := range []string{seedSecretValue, seedEnvValue, "Sup3r-secret-pw!", "Passw0rd-db!"} {
		if strings.Contains(blob, leak) {
			t.Errorf("inventory JSON contains a secret value %q", leak)
		}
	}
	if inv.Stats.APICalls == 0 || inv.Stats.Resources < 20 || inv.Stats.Retries != 0 {
		t.Errorf("stats = %+v", inv.Stats)
	}
	if !inventoryRead(inv, "iam", "") || !inventoryRead(inv, "ec2", "us-east-1") || !inventoryRead(inv, "s3", "") {
		t.Errorf("coverage read = %+v", inv.Coverage.Read)
	}
}

func inventoryRead(inv *inventory.Inventory, service, region string) bool {
	for _, a := range inv.Coverage.Read {
		if a.Service == service && a.Region == region {
			return true
		}
	}
	return false
}

func failedArea(inv *inventory.Inventory, service, region string) (graph.Failure, bool) {
	for _, f := range inv.Coverage.Failed {
		if f.Service == service && f.Region == region {
			return f, true
		}
	}
	return graph.Failure{}, false
}

// faultProxy forwards to moto but answers every S3 request with 503
// SlowDown and EC2 DescribeSecurityGroups with UnauthorizedOperation.
func faultProxy(t *testing.T, moto string) (endpoint string, s3Hits *atomic.Int64) {
	target, err := url.Parse(moto)
	if err != nil {
		t.Fatal(err)
	}
	proxy := httputil.NewSingleHostReverseProxy(target)
	s3Hits = &atomic.Int64{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		service := mototest.SignedService(r)
		body, _ := io.ReadAll(r.Body)
		r.Body = io.NopCloser(bytes.NewReader(body))
		switch {
		case service == "s3":
			// S3 Control (the account public access block) signs as s3
			// too; it fails the same way but only bucket calls are counted.
			if !strings.HasPrefix(r.URL.Path, "/v20180820/") {
				s3Hits.Add(1)
			}
			w.Header().Set("Content-Type", "application/xml")
			w.WriteHeader(http.StatusServiceUnavailable)
			io.WriteString(w, `<?xml version="1.0" encoding="UTF-8"?><Error><Code>SlowDown</Code><Message>Please reduce your request rate.</Message><RequestId>fault</RequestId></Error>`)
		case service == "ec2" && strings.Contains(string(body), "Action=DescribeSecurityGroups"):
			w.Header().Set("Content-Type", "text/xml")
			w.WriteHeader(http.StatusForbidden)
			io.WriteString(w, `<?xml version="1.0" encoding="UTF-8"?><Response><Errors><Error><Code>UnauthorizedOperation</Code><Message>You are not authorized to perform this operation.</Message></Error></Errors><RequestID>fault</RequestID></Response>`)
		default:
			proxy.ServeHTTP(w, r)
		}
	}))
	t.Cleanup(srv.Close)
	return srv.URL, s3Hits
}

func TestCollectRecordsThrottledAndDeniedAreasAndCollectsTheRest(t *testing.T) {
	ep := motoEndpoint(t)
	ctx := testContext(t)
	seed := seedAccountResources(t, ctx, testConfig("AKIAIOSFODNN7EXAMPLE"), ep)
	proxyURL, s3Hits := faultProxy(t, ep)
	const attempts = 4
	inv := collectMoto(t, proxyURL, Options{Retryer: fastRetryer(attempts)})

	s3Fail, ok := failedArea(inv, "s3", "")
	if !ok || !strings.Contains(s3Fail.Error, "SlowDown") || !strings.Contains(s3Fail.Error, "gave up after 4 attempts") || !strings.Contains(s3Fail.Error, "ListBuckets") {
		t.Errorf("s3 failure = %+v (ok=%v), want ListBuckets SlowDown after 4 attempts", s3Fail, ok)
	}
	if got := s3Hits.Load(); got != attempts {
		t.Errorf("S3 requests = %d, want %d (one ListBuckets, retried)", got, attempts)
	}
	if inv.Stats.APICallsByService["S3"] != attempts || inv.Stats.Retries < attempts-1 {
		t.Errorf("stats = %+v, want %d S3 attempts and at least %d retries", inv.Stats, attempts, attempts-1)
	}
	ec2Fail, ok := failedArea(inv, "ec2", "us-east-1")
	if !ok || !strings.Contains(ec2Fail.Error, "DescribeSecurityGroups") || !strings.Contains(ec2Fail.Error, "UnauthorizedOperation") {
		t.Errorf("ec2 failure = %+v (ok=%v)", ec2Fail, ok)
	}
	if strings.Contains(ec2Fail.Error, "attempts") {
		t.Errorf("access denied was retried: %s", ec2Fail.Error)
	}
	if inventoryRead(inv, "s3", "") || inventoryRead(inv, "ec2", "us-east-1") {
		t.Errorf("failed areas also listed as read: %+v", inv.Coverage.Read)
	}
	if len(inv.S3) != 0 {
		t.Errorf("S3 buckets from a failed area: %+v", inv.S3)
	}
	if len(inv.Coverage.Failed) != 2 {
		t.Errorf("failed areas = %+v, want only s3 and ec2", inv.Coverage.Failed)
	}
	// Everything else, EC2 included apart from security groups, is there.
	rd := inv.Regional["us-east-1"]
	var instance bool
	for _, in := range rd.Instances {
		instance = instance || in.ID == seed.instance
	}
	if !instance || len(rd.VPCs) == 0 || len(rd.SecurityGroups) != 0 || len(rd.KMSKeys) == 0 || len(rd.Secrets) != 1 || len(inv.IAM.Users) != 1 {
		t.Errorf("rest of the account not collected: instance=%v vpcs=%d sgs=%d keys=%d secrets=%d users=%d",
			instance, len(rd.VPCs), len(rd.SecurityGroups), len(rd.KMSKeys), len(rd.Secrets), len(inv.IAM.Users))
	}
	if !inventoryRead(inv, "iam", "") || !inventoryRead(inv, "kms", "us-east-1") {
		t.Errorf("coverage read = %+v", inv.Coverage.Read)
	}
	if !inv.Coverage.FailedFor("ec2", "us-east-1") || inv.Coverage.FailedFor("iam", "") {
		t.Errorf("FailedFor disagrees with the failures: %+v", inv.Coverage.Failed)
	}
}

func TestCollectStopsOnCancelAndFlagsPartial(t *testing.T) {
	ep := motoEndpoint(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	inv, err := Collect(ctx, testConfig("AKIAIOSFODNN7EXAMPLE"), Options{Endpoint: ep, Regions: []string{"us-east-1"}, Logger: quietLogger()})
	// Cancelled before the account is identified: no inventory at all.
	if err == nil || inv != nil {
		t.Fatalf("Collect on a cancelled context = %v, %v; want an error and no inventory", inv, err)
	}

	// Cancelled mid-way: the partial inventory comes back flagged.
	ctx2, cancel2 := context.WithCancel(context.Background())
	defer cancel2()
	opts := Options{Endpoint: ep, Regions: []string{"us-east-1"}, Logger: quietLogger(), Concurrency: 1, Retryer: fastRetryer(1)}
	var calls atomic.Int64
	opts.Services = []string{ServiceIAM, ServiceEC2, ServiceKMS}
	cfg := testConfig("AKIAIOSFODNN7EXAMPLE")
	cfg.HTTPClient = cancelAfter(&calls, 3, cancel2)
	inv, err = Collect(ctx2, cfg, opts)
	if !errors.Is(err, context.Canceled) || inv == nil || !inv.Partial {
		t.Fatalf("Collect cancelled mid-way = partial %v, err %v; want a partial inventory and context.Canceled", inv != nil && inv.Partial, err)
	}
}

// cancelAfter is an HTTP client that cancels the collection once n requests
// have gone through.
func cancelAfter(calls *atomic.Int64, n int64, cancel context.CancelFunc) *http.Client {
	return &http.Client{Transport: roundTripFunc(func(r *http.Request) (*http.Response, error) {
		if calls.Add(1) == n {
			cancel()
		}
		return http.DefaultTransport.RoundTrip(r)
	})}
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

func TestOptionsRejectUnknownService(t *testing.T) {
	_, err := Collect(context.Background(), testConfig("x"), Options{Services: []string{"ec3"}})
	if err == nil || !strings.Contains(err.Error(), `unknown service "ec3"`) {
		t.Fatalf("err = %v", err)
	}
}
