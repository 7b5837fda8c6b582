package api

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/legacy"

	"github.com/breachpath/breachpath/collector/synthetic"
	"github.com/breachpath/breachpath/graph"
	"github.com/breachpath/breachpath/graph/embedded"
)

const testToken = "test-token-0123456789abcdef"

// Ids of the small hand-built graph: the Internet reaches a web VM, the VM
// uses a role, the role reads a confidential bucket.
const (
	vmID     = "arn:aws:ec2:eu-west-1:111111111111:instance/i-web"
	roleID   = "arn:aws:iam::111111111111:role/web-role"
	bucketID = "arn:aws:s3:::customer-data"
	idleID   = "arn:aws:ec2:eu-west-1:111111111111:instance/i-idle"
)

var (
	findOpenSSH   = graph.FindingID("ssh-open-world", vmID)
	findRoleRead  = graph.FindingID("role-reads-all-buckets", roleID)
	findIdleNoMFA = graph.FindingID("idle-unpatched", idleID)
)

func smallSnapshot() *graph.Snapshot {
	aws := func(id string, k graph.Kind, name string) graph.Node {
		return graph.Node{ID: id, Kind: k, Cloud: graph.CloudAWS, Account: "111111111111", Region: "eu-west-1", Name: name, Service: "ec2"}
	}
	vm := aws(vmID, graph.KindCompute, "web")
	vm.Tags = map[string]string{"owner": "team-web", "Deploy-Token": "tag-secret-value"}
	vm.Props = graph.Props{"instance_type": "t3.micro", "db_password": "hunter2", "privateKey": "-----BEGIN", "AWS_ACCESS_KEY_ID": "AKIA...", "public": true}
	bucket := aws(bucketID, graph.KindBucket, "customer-data")
	bucket.Sensitivity = graph.SensitivityRestricted
	bucket.Service = "s3"
	role := aws(roleID, graph.KindRole, "web-role")
	role.Service = "iam"
	return &graph.Snapshot{
		Scope:       graph.Scope{Cloud: graph.CloudAWS, ID: "111111111111"},
		CollectedAt: time.Date(2025, 6, 1, 0, 0, 0, 0, time.UTC),
		Collector:   "test",
		Nodes: []graph.Node{
			{ID: graph.InternetID, Kind: graph.KindInternet, Name: "Internet", Stub: true},
			vm, role, bucket, aws(idleID, graph.KindCompute, "idle"),
		},
		Edges: []graph.Edge{
			{From: graph.InternetID, To: vmID, Kind: graph.EdgeExposedTo, Technique: "net.internet-exposure", Likelihood: 0.9,
				Evidence: []string{"sg-1 allows 0.0.0.0/0 on 22"}, Findings: []string{findOpenSSH}},
			{From: vmID, To: roleID, Kind: graph.EdgeUsesIdentity, Technique: "aws.ec2.imds", Likelihood: 0.8, Evidence: []string{"instance profile web"}},
			{From: roleID, To: bucketID, Kind: graph.EdgeReads, Technique: "aws.s3.read", Likelihood: 1,
				Evidence: []string{"policy read-all s3:GetObject *"}, Findings: []string{findRoleRead}},
			{From: vmID, To: roleID, Kind: graph.EdgeRunsAs},
		},
		Findings: []graph.Finding{
			{ID: findOpenSSH, RuleID: "ssh-open-world", Resource: vmID, Severity: graph.SeverityHigh, Title: "SSH open to the world",
				Remediation: "Restrict port 22 to the bastion", Controls: []string{"CIS-AWS-3.0:5.2"}},
			{ID: findRoleRead, RuleID: "role-reads-all-buckets", Resource: roleID, Severity: graph.SeverityMedium, Title: "Role reads every bucket",
				Remediation: "Scope s3:GetObject to the buckets the app needs"},
			{ID: findIdleNoMFA, RuleID: "idle-unpatched", Resource: idleID, Severity: graph.SeverityCritical, Title: "Idle box unpatched",
				Remediation: "Patch or delete it"},
		},
	}
}

func openStore(t testing.TB, dir string) *embedded.Store {
	t.Helper()
	st, err := embedded.Open(context.Background(), filepath.Join(dir, "breachpath.db"),
		embedded.WithLogger(slog.New(slog.NewTextHandler(io.Discard, nil))))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

func smallStore(t testing.TB) *embedded.Store {
	t.Helper()
	st := openStore(t, t.TempDir())
	if _, err := st.Sync(context.Background(), smallSnapshot()); err != nil {
		t.Fatal(err)
	}
	return st
}

func quietLogger() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// syntheticStore syncs a synthetic estate of the given size into a fresh store.
func syntheticStore(t testing.TB, dir string, resources int) *embedded.Store {
	t.Helper()
	est, err := synthetic.Generate(context.Background(), synthetic.Options{Seed: 1, Resources: resources})
	if err != nil {
		t.Fatal(err)
	}
	st := openStore(t, dir)
	for _, snap := range est.Snapshots {
		if _, err := st.Sync(context.Background(), snap); err != nil {
			t.Fatal(err)
		}
	}
	return st
}

// countingStore counts graph loads, to see the cache at work: loads are
// the analyses' (attacker moves only), factLoads the fact edges' (every edge).
type countingStore struct {
	graph.Store
	loads     atomic.Int32
	factLoads atomic.Int32
}

func (c *countingStore) Load(ctx context.Context, f graph.Filter) (*graph.Graph, error) {
	if f.SkipFacts {
		c.loads.Add(1)
	} else {
		c.factLoads.Add(1)
	}
	return c.Store.Load(ctx, f)
}

// client talks to a test server and checks every answer against the
// OpenAPI document.
type client struct {
	t      testing.TB
	base   string
	token  string
	router routers.Router
	doc    *openapi3.T
}

var openAPIOnce = sync.OnceValues(func() (*openapi3.T, error) { return OpenAPI() })

func newServer(t testing.TB, cfg Config) (*Server, *client) {
	t.Helper()
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if cfg.Token == "" && !cfg.NoAuth {
		cfg.Token = testToken
	}
	s, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(s) // binds 127.0.0.1
	t.Cleanup(ts.Close)
	doc, err := openAPIOnce()
	if err != nil {
		t.Fatal(err)
	}
	r, err := legacy.NewRouter(doc)
	if err != nil {
		t.Fatal(err)
	}
	return s, &client{t: t, base: ts.URL, token: cfg.Token, router: r, doc: doc}
}

func init() {
	openapi3filter.RegisterBodyDecoder("application/sarif+json", openapi3filter.JSONBodyDecoder)
}

type answer struct {
	status int
	header http.Header
	body   []byte
}

// decode unmarshals the body into v.
func (a answer) decode(t testing.TB, v any) {
	t.Helper()
	if err := json.Unmarshal(a.body, v); err != nil {
		t.Fatalf("decode %s: %v", a.body, err)
	}
}

// errorCode returns the code of an error JSON answer.
func (a answer) errorCode(t testing.TB) string {
	t.Helper()
	var e ErrorBody
	a.decode(t, &e)
	if e.Error.Code == "" || e.Error.Message == "" {
		t.Fatalf("error answer without code or message: %s", a.body)
	}
	return e.Error.Code
}

// get requests path with the client's token.
func (c *client) get(path string) answer { return c.do(http.MethodGet, path, c.token, nil) }

// do sends a request and validates the answer against the OpenAPI document:
// documented routes by openapi3filter.ValidateResponse (status included),
// anything else must be the Error schema when it is an error.
func (c *client) do(method, path, token string, body []byte) answer {
	c.t.Helper()
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequest(method, c.base+path, rd)
	if err != nil {
		c.t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		c.t.Fatal(err)
	}
	a := answer{status: resp.StatusCode, header: resp.Header, body: b}
	c.validate(req, a)
	return a
}

func (c *client) validate(req *http.Request, a answer) {
	c.t.Helper()
	// The router matches decoded paths: route on the escaped form so an id
	// holding %2F stays one segment, as it does for gin.
	rreq := req.Clone(context.Background())
	rreq.URL.Path = strings.ReplaceAll(req.URL.EscapedPath(), "%2F", "_")
	rreq.URL.RawPath = ""
	route, params, err := c.router.FindRoute(rreq)
	if err != nil {
		if a.status < 400 && !strings.HasPrefix(req.URL.Path, "/api/") {
			return // the explorer's static files are not part of the API
		}
		if a.status < 400 {
			c.t.Fatalf("%s %s: undocumented route answered %d", req.Method, req.URL, a.status)
		}
		var v any
		if err := json.Unmarshal(a.body, &v); err != nil {
			c.t.Fatalf("%s %s: error answer is not JSON: %s", req.Method, req.URL, a.body)
		}
		if err := c.doc.Components.Schemas["Error"].Value.VisitJSON(v); err != nil {
			c.t.Fatalf("%s %s: error answer does not match the Error schema: %v", req.Method, req.URL, err)
		}
		return
	}
	opts := &openapi3filter.Options{IncludeResponseStatus: true, AuthenticationFunc: openapi3filter.NoopAuthenticationFunc}
	in := &openapi3filter.ResponseValidationInput{
		RequestValidationInput: &openapi3filter.RequestValidationInput{Request: req, PathParams: params, Route: route, Options: opts},
		Status:                 a.status,
		Header:                 a.header,
		Body:                   io.NopCloser(bytes.NewReader(a.body)),
		Options:                opts,
	}
	if err := openapi3filter.ValidateResponse(context.Background(), in); err != nil {
		c.t.Fatalf("%s %s -> %d does not match the OpenAPI document: %v\nbody: %.600s", req.Method, req.URL, a.status, err, a.body)
	}
}
