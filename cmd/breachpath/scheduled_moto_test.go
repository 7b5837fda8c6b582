package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/breachpath/breachpath/collector/aws/mototest"

	sdkaws "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/breachpath/breachpath/api"
	"github.com/breachpath/breachpath/graph"
	"github.com/breachpath/breachpath/graph/embedded"
	"github.com/breachpath/breachpath/schedule"
	"github.com/breachpath/breachpath/scoring/drift"
	"github.com/breachpath/breachpath/scoring/trend"
)

// Proxy modes of motoGate.
const (
	gatePass int32 = iota
	gateDenyAll
	gateDenyEC2
)

// motoGate forwards to moto unless told to fail: every request (the whole
// collection fails) or only those signed for EC2 (a partial collection).
// It answers AccessDenied, which the SDK does not retry, so a failed run
// fails at once.
type motoGate struct {
	mode  atomic.Int32
	proxy *httputil.ReverseProxy
}

func (g *motoGate) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	switch mode := g.mode.Load(); {
	case mode == gateDenyAll, mode == gateDenyEC2 && mototest.SignedService(r) == "ec2":
		w.Header().Set("Content-Type", "text/xml")
		w.WriteHeader(http.StatusForbidden)
		if mototest.SignedService(r) == "ec2" {
			fmt.Fprint(w, `<?xml version="1.0" encoding="UTF-8"?><Response><Errors><Error><Code>UnauthorizedOperation</Code><Message>denied by the test</Message></Error></Errors><RequestID>x</RequestID></Response>`)
			return
		}
		fmt.Fprint(w, `<ErrorResponse><Error><Type>Sender</Type><Code>AccessDenied</Code><Message>denied by the test</Message></Error><RequestId>x</RequestId></ErrorResponse>`)
		return
	}
	g.proxy.ServeHTTP(w, r)
}

// scheduledEstate is a moto account in which a web instance with a role
// that reads a restricted bucket sits in a public subnet behind a security
// group that is closed: no attack path yet.
type scheduledEstate struct {
	account, sg, instance, bucket string
	ec2                           *ec2.Client
}

func seedScheduledEstate(t *testing.T, ctx context.Context, ep string) (scheduledEstate, sdkaws.Credentials) {
	t.Helper()
	check := func(what string, err error) {
		t.Helper()
		if err != nil {
			t.Fatalf("seed %s: %v", what, err)
		}
	}
	var e scheduledEstate
	var cfg sdkaws.Config
	var creds sdkaws.Credentials
	e.account, cfg, creds = motoAccount(t, ep, 400000000000, "AKIABREACHPATHTEST01", "scheduled", "scheduled")
	s := sdkaws.String
	e.bucket = "ledger-" + e.account

	ic := iam.NewFromConfig(cfg)
	_, err := ic.CreateRole(ctx, &iam.CreateRoleInput{RoleName: s("app"), AssumeRolePolicyDocument: s(
		`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}`)})
	check("role", err)
	_, err = ic.PutRolePolicy(ctx, &iam.PutRolePolicyInput{RoleName: s("app"), PolicyName: s("read-ledger"),
		PolicyDocument: s(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::` + e.bucket + `/*"}]}`)})
	check("role policy", err)
	_, err = ic.CreateInstanceProfile(ctx, &iam.CreateInstanceProfileInput{InstanceProfileName: s("app")})
	check("instance profile", err)
	_, err = ic.AddRoleToInstanceProfile(ctx, &iam.AddRoleToInstanceProfileInput{InstanceProfileName: s("app"), RoleName: s("app")})
	check("profile role", err)

	e.ec2 = ec2.NewFromConfig(cfg)
	vpc, err := e.ec2.CreateVpc(ctx, &ec2.CreateVpcInput{CidrBlock: s("10.40.0.0/16")})
	check("vpc", err)
	igw, err := e.ec2.CreateInternetGateway(ctx, &ec2.CreateInternetGatewayInput{})
	check("igw", err)
	_, err = e.ec2.AttachInternetGateway(ctx, &ec2.AttachInternetGatewayInput{InternetGatewayId: igw.InternetGateway.InternetGatewayId, VpcId: vpc.Vpc.VpcId})
	check("attach igw", err)
	sub, err := e.ec2.CreateSubnet(ctx, &ec2.CreateSubnetInput{VpcId: vpc.Vpc.VpcId, CidrBlock: s("10.40.1.0/24")})
	check("subnet", err)
	rt, err := e.ec2.CreateRouteTable(ctx, &ec2.CreateRouteTableInput{VpcId: vpc.Vpc.VpcId})
	check("route table", err)
	_, err = e.ec2.CreateRoute(ctx, &ec2.CreateRouteInput{RouteTableId: rt.RouteTable.RouteTableId, DestinationCidrBlock: s("0.0.0.0/0"), GatewayId: igw.InternetGateway.InternetGatewayId})
	check("default route", err)
	_, err = e.ec2.AssociateRouteTable(ctx, &ec2.AssociateRouteTableInput{RouteTableId: rt.RouteTable.RouteTableId, SubnetId: sub.Subnet.SubnetId})
	check("associate", err)
	sg, err := e.ec2.CreateSecurityGroup(ctx, &ec2.CreateSecurityGroupInput{GroupName: s("web"), Description: s("web"), VpcId: vpc.Vpc.VpcId})
	check("sg", err)
	e.sg = *sg.GroupId
	run, err := e.ec2.RunInstances(ctx, &ec2.RunInstancesInput{ImageId: s("ami-12c6146b"), MinCount: sdkaws.Int32(1), MaxCount: sdkaws.Int32(1),
		InstanceType: ec2types.InstanceTypeT3Micro, SubnetId: sub.Subnet.SubnetId, SecurityGroupIds: []string{e.sg},
		IamInstanceProfile: &ec2types.IamInstanceProfileSpecification{Name: s("app")},
		MetadataOptions:    &ec2types.InstanceMetadataOptionsRequest{HttpTokens: ec2types.HttpTokensStateOptional, HttpEndpoint: ec2types.InstanceMetadataEndpointStateEnabled}})
	check("instance", err)
	e.instance = *run.Instances[0].InstanceId
	eip, err := e.ec2.AllocateAddress(ctx, &ec2.AllocateAddressInput{Domain: ec2types.DomainTypeVpc})
	check("elastic ip", err)
	_, err = e.ec2.AssociateAddress(ctx, &ec2.AssociateAddressInput{AllocationId: eip.AllocationId, InstanceId: s(e.instance)})
	check("associate elastic ip", err)

	s3c := s3.NewFromConfig(cfg, func(o *s3.Options) { o.UsePathStyle = true })
	_, err = s3c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: s(e.bucket)})
	check("bucket", err)
	_, err = s3c.PutBucketTagging(ctx, &s3.PutBucketTaggingInput{Bucket: s(e.bucket),
		Tagging: &s3types.Tagging{TagSet: []s3types.Tag{{Key: s("data-classification"), Value: s("restricted")}}}})
	check("bucket tags", err)
	return e, creds
}

// openSSH is the change between two collections: SSH open to the world.
func (e scheduledEstate) openSSH(t *testing.T, ctx context.Context) {
	t.Helper()
	_, err := e.ec2.AuthorizeSecurityGroupIngress(ctx, &ec2.AuthorizeSecurityGroupIngressInput{GroupId: sdkaws.String(e.sg), IpPermissions: []ec2types.IpPermission{
		{IpProtocol: sdkaws.String("tcp"), FromPort: sdkaws.Int32(22), ToPort: sdkaws.Int32(22), IpRanges: []ec2types.IpRange{{CidrIp: sdkaws.String("0.0.0.0/0")}}}}})
	if err != nil {
		t.Fatalf("open ssh: %v", err)
	}
}

// stepClock hands the scheduler's waits to the test: the scheduler asks
// for its next wait only once the previous run (and its subscribers) are
// done, so receiving a wait means a run finished.
type stepClock struct {
	waits chan time.Duration
	fire  chan time.Time
}

func (c *stepClock) after(d time.Duration) <-chan time.Time {
	c.waits <- d
	return c.fire
}

// runNext lets the scheduler's pending wait elapse and returns the wait it
// asks for after the run.
func (c *stepClock) runNext(t *testing.T) time.Duration {
	t.Helper()
	c.fire <- time.Now()
	return <-c.waits
}

// eventLog is a subscriber keeping every event.
type eventLog struct {
	mu  sync.Mutex
	evs []schedule.Event
}

func (l *eventLog) CollectionFinished(_ context.Context, ev schedule.Event) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.evs = append(l.evs, ev)
}

func (l *eventLog) last(t *testing.T, n int) schedule.Event {
	t.Helper()
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.evs) != n {
		t.Fatalf("%d events, want %d", len(l.evs), n)
	}
	return l.evs[n-1]
}

// getJSON reads an API answer (serve runs with --no-auth on loopback).
func getJSON(t *testing.T, addr, path string, v any) {
	t.Helper()
	resp, err := http.Get("http://" + addr + path)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 {
		t.Fatalf("GET %s: %d %s", path, resp.StatusCode, b)
	}
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
}

func pathIDs(ps []drift.PathRecord) []string {
	var ids []string
	for _, p := range ps {
		ids = append(ids, p.ID)
	}
	slices.Sort(ids)
	return ids
}

func findingIDs(fs []drift.FindingRecord) []string {
	var ids []string
	for _, f := range fs {
		ids = append(ids, f.ID)
	}
	slices.Sort(ids)
	return ids
}

// TestScheduledCollectionReportsExactlyTheChangeAndAFailedRunResolvesNothing
// is issue 19's end-to-end test: serve --collect-every runs a config's
// target against moto; between two runs one security group opens SSH to
// the world. The subscriber's event, the diff command, GET /api/v1/changes
// and the trend report all show exactly that change: the attack paths it
// opens and the findings on the security group and the instance, nothing
// closed or resolved, and so does the signed webhook (received by a local
// server that verifies its signature). Then the endpoint fails entirely (the run fails,
// stores nothing, records no observation, and backs off), and then only
// EC2 fails (a partial run): neither reports anything resolved or closed,
// nor notifies anything.
func TestScheduledCollectionReportsExactlyTheChangeAndAFailedRunResolvesNothing(t *testing.T) {
	ep := mototest.Endpoint(t)
	ctx := context.Background()
	estate, as := seedScheduledEstate(t, ctx, ep)
	target, err := url.Parse(ep)
	if err != nil {
		t.Fatal(err)
	}
	gate := &motoGate{proxy: httputil.NewSingleHostReverseProxy(target)}
	proxy := httptest.NewServer(gate) // 127.0.0.1
	defer proxy.Close()

	// the standard credential chain: the account's credentials in the environment
	for _, k := range []string{"AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_S3", "AWS_ENDPOINT_URL_S3_CONTROL", "AWS_ENDPOINT_URL_STS", "AWS_ENDPOINT_URL_EC2", "AWS_PROFILE"} {
		t.Setenv(k, "")
		os.Unsetenv(k)
	}
	t.Setenv("AWS_ACCESS_KEY_ID", as.AccessKeyID)
	t.Setenv("AWS_SECRET_ACCESS_KEY", as.SecretAccessKey)
	t.Setenv("AWS_SESSION_TOKEN", as.SessionToken)
	t.Setenv("AWS_REGION", "us-east-1")
	t.Setenv("AWS_CONFIG_FILE", filepath.Join(t.TempDir(), "none"))
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(t.TempDir(), "none"))
	t.Setenv("BREACHPATH_CHANGES_DB", "")

	dir := t.TempDir()
	db := filepath.Join(dir, "bp.db")
	cfgPath := filepath.Join(dir, "breachpath.yaml")
	// the signed webhook of docs/notifications.md, received and verified by a local server
	const hookKey = "whk-scheduled-7c2e-secret"
	t.Setenv("BP_SCHED_HOOK_KEY", hookKey)
	sink := &webhookSink{t: t, key: []byte(hookKey)}
	hook := httptest.NewServer(sink)
	defer hook.Close()
	cfgDoc := fmt.Sprintf("schedule:\n  backoff_initial: 5m\ntargets:\n  - name: moto\n    cloud: aws\n    aws:\n      regions: [us-east-1]\n      concurrency: 16\n      endpoint: %s\n"+
		"notify:\n  retry: {attempts: 2, backoff: 1ms}\n  webhooks:\n    - {name: secops, url: %s/hook, secret_env: BP_SCHED_HOOK_KEY}\n", proxy.URL, hook.URL)
	if err := os.WriteFile(cfgPath, []byte(cfgDoc), 0o600); err != nil {
		t.Fatal(err)
	}

	clk := &stepClock{waits: make(chan time.Duration), fire: make(chan time.Time)}
	events := &eventLog{}
	a := newApp()
	out := &lockedBuffer{}
	a.stdout, a.stderr, a.dbPath, a.logLevel, a.configPath = out, io.Discard, db, "error", cfgPath
	a.clock = schedule.Options{After: clk.after, Jitter: func(time.Duration) time.Duration { return 0 }}
	a.subscribers = []schedule.Subscriber{events}
	if err := a.setup(); err != nil {
		t.Fatal(err)
	}
	sctx, cancel := context.WithCancel(ctx)
	errc := make(chan error, 1)
	go func() {
		errc <- a.runServe(sctx, serveFlags{listen: "127.0.0.1:0", noAuth: true, collectEvery: 6 * time.Hour})
	}()
	defer func() {
		cancel()
		go func() { // the scheduler may be waiting to hand over its next wait
			for range clk.waits {
			}
		}()
		if err := <-errc; err != nil {
			t.Errorf("serve: %v", err)
		}
	}()
	if d := <-clk.waits; d != 0 {
		t.Fatalf("first wait %s, want 0 (no jitter)", d)
	}
	var addr string
	for addr == "" {
		if m := servingRe.FindStringSubmatch(out.String()); m != nil {
			addr = m[1]
		}
	}

	// Run 1: the closed estate.
	if d := clk.runNext(t); d != 6*time.Hour {
		t.Fatalf("wait after a good run %s, want the interval", d)
	}
	first := events.last(t, 1)
	if first.State != schedule.OK || first.Outcome.Changes == nil {
		t.Fatalf("first run: %+v (%v)\n%s", first, first.Err, out.String())
	}
	sync1 := first.Outcome.Changes.To.SyncID
	if got := sink.take(); len(got) != 0 {
		t.Errorf("the first collection is the baseline, the webhook got %v", got)
	}
	var cols api.CollectionsBody
	getJSON(t, addr, "/api/v1/collections", &cols)
	if len(cols.Collections) != 1 || cols.Collections[0].State != schedule.OK || !slices.Equal(cols.Collections[0].Scopes, []string{estate.account}) {
		t.Fatalf("collections after run 1: %+v", cols)
	}

	// The change, then run 2.
	estate.openSSH(t, ctx)
	clk.runNext(t)
	second := events.last(t, 2)
	ch := second.Outcome.Changes
	if second.State != schedule.OK || ch == nil {
		t.Fatalf("second run: %+v (%v)", second, second.Err)
	}
	sync2 := ch.To.SyncID
	bucket := "arn:aws:s3:::" + estate.bucket
	if len(ch.PathsOpened) == 0 {
		t.Fatal("opening SSH opened no attack path")
	}
	for _, p := range ch.PathsOpened {
		if p.Source != graph.InternetID || p.Target != bucket {
			t.Errorf("opened path %s: %s -> %s, want Internet -> %s", p.ID, p.Source, p.Target, bucket)
		}
	}
	if len(ch.FindingsOpened) == 0 {
		t.Error("opening SSH opened no finding")
	}
	for _, f := range ch.FindingsOpened {
		if !strings.Contains(f.Resource, estate.sg) && !strings.Contains(f.Resource, estate.instance) {
			t.Errorf("opened finding %s on %s: not the security group or the instance", f.RuleID, f.Resource)
		}
	}
	if n := len(ch.PathsClosed) + len(ch.FindingsResolved) + len(ch.FindingsReopened) + len(ch.FindingsUnverified); n != 0 {
		t.Errorf("the change also closed, resolved, reopened or left unverified %d things: %+v", n, ch)
	}

	// The webhook got exactly the opened paths and the findings now on them
	// (new ones, and older ones the new paths put on a path for the first time).
	onNewPaths := map[string]bool{}
	for _, p := range ch.PathsOpened {
		for _, id := range p.Findings {
			onNewPaths[id[:strings.LastIndexByte(id, ':')]] = true // graph.FindingID: rule id, ':', hash
		}
	}
	notified := map[string]bool{}
	paths := 0
	for _, ev := range sink.take() {
		kind, rest, _ := strings.Cut(ev, " ")
		subject, _, _ := strings.Cut(rest, " ")
		switch {
		case kind == "path.opened" && subject == bucket:
			paths++
		case kind == "finding.opened" && onNewPaths[subject]:
			notified[subject] = true
		default:
			t.Errorf("webhook event %q is not part of the change", ev)
		}
	}
	if paths != len(ch.PathsOpened) || len(notified) != len(onNewPaths) {
		t.Errorf("webhook: %d path.opened, findings %v; want %d and %v", paths, notified, len(ch.PathsOpened), onNewPaths)
	}

	// The API and the diff command say exactly the same.
	var viaAPI drift.Changes
	getJSON(t, addr, fmt.Sprintf("/api/v1/changes?from=%d&to=%d", sync1, sync2), &viaAPI)
	diffOut, err := runSub(t, ctx, db, (*app).diffCommand, "--from", fmt.Sprint(sync1), "--to", fmt.Sprint(sync2), "--format", "json")
	if err != nil {
		t.Fatalf("diff: %v\n%s", err, diffOut)
	}
	var viaCLI drift.Changes
	if err := json.Unmarshal([]byte(diffOut), &viaCLI); err != nil {
		t.Fatalf("diff json: %v\n%s", err, diffOut)
	}
	for name, got := range map[string]*drift.Changes{"api": &viaAPI, "diff": &viaCLI} {
		if !slices.Equal(pathIDs(got.PathsOpened), pathIDs(ch.PathsOpened)) || !slices.Equal(findingIDs(got.FindingsOpened), findingIDs(ch.FindingsOpened)) ||
			len(got.PathsClosed)+len(got.FindingsResolved)+len(got.FindingsReopened)+len(got.FindingsUnverified) != 0 {
			t.Errorf("%s: opened paths %v findings %v; the run's event: %v %v", name, pathIDs(got.PathsOpened), findingIDs(got.FindingsOpened),
				pathIDs(ch.PathsOpened), findingIDs(ch.FindingsOpened))
		}
	}

	// The trend: one point per run, the second higher by exactly the opened paths.
	trendPoints := func() []trend.PathPoint {
		var r trend.Report
		getJSON(t, addr, "/api/v1/metrics/trend", &r)
		return r.Paths
	}
	pts := trendPoints()
	if len(pts) != 2 || pts[0].SyncID != sync1 || pts[1].SyncID != sync2 || pts[1].Paths-pts[0].Paths != len(ch.PathsOpened) {
		t.Errorf("trend points %+v, want two, the second %d paths higher", pts, len(ch.PathsOpened))
	}
	report, err := runSub(t, ctx, db, (*app).reportCommand, "trend", "--format", "json")
	if err != nil {
		t.Fatalf("report trend: %v", err)
	}
	var r trend.Report
	if err := json.Unmarshal([]byte(report), &r); err != nil || len(r.Paths) != 2 || r.Paths[1].Paths != pts[1].Paths {
		t.Errorf("report trend: %v, %+v", err, r.Paths)
	}

	// Run 3: the endpoint fails. Nothing is stored, nothing recorded, and
	// the next run backs off.
	gate.mode.Store(gateDenyAll)
	if d := clk.runNext(t); d != 5*time.Minute {
		t.Errorf("wait after a failed run %s, want the 5m backoff", d)
	}
	failed := events.last(t, 3)
	if failed.State != schedule.Failed || failed.Outcome.Changes != nil {
		t.Errorf("failed run: state %s, changes %+v", failed.State, failed.Outcome.Changes)
	}
	getJSON(t, addr, "/api/v1/collections", &cols)
	if st := cols.Collections[0]; st.State != schedule.Failed || st.LastError == "" || st.ConsecutiveFailures != 1 {
		t.Errorf("status after a failed run: %+v", st)
	}
	if pts := trendPoints(); len(pts) != 2 {
		t.Errorf("a failed run recorded an observation: %d points", len(pts))
	}
	if got := sink.take(); len(got) != 0 {
		t.Errorf("a failed run notified %v", got)
	}

	// Run 4: only EC2 fails. The run is partial; the security group's
	// findings are unverified, never resolved, and no path closes.
	gate.mode.Store(gateDenyEC2)
	clk.runNext(t)
	partial := events.last(t, 4)
	if partial.State != schedule.Partial || partial.Outcome.Changes == nil {
		t.Fatalf("partial run: state %s (%v)", partial.State, partial.Err)
	}
	pc := partial.Outcome.Changes
	if len(pc.FindingsResolved) != 0 || len(pc.PathsClosed) != 0 {
		t.Errorf("a partial run resolved %v and closed %v", findingIDs(pc.FindingsResolved), pathIDs(pc.PathsClosed))
	}
	if got := sink.take(); len(got) != 0 {
		t.Errorf("a partial run notified %v (nothing changed that it could see)", got)
	}
	events.mu.Lock()
	for i, ev := range events.evs {
		t.Logf("run %d: %s in %s", i+1, ev.State, ev.Duration().Round(time.Millisecond))
	}
	events.mu.Unlock()
	st, err := embedded.Open(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	g, err := st.Load(ctx, graph.Filter{IncludeResolved: true})
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range ch.FindingsOpened {
		if got := g.Finding(f.ID); got == nil || !got.ResolvedAt.IsZero() {
			t.Errorf("finding %s after the failed and partial runs: %+v, want kept open", f.ID, got)
		}
	}
}
