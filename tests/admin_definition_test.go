package tests

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"testing"

	"github.com/breachpath/breachpath/api"

	"github.com/breachpath/breachpath/ciem"
	awscollector "github.com/breachpath/breachpath/collector/aws"
	"github.com/breachpath/breachpath/collector/aws/inventory"
	"github.com/breachpath/breachpath/collector/synthetic"
	"github.com/breachpath/breachpath/graph"
	"github.com/breachpath/breachpath/graph/embedded"
	"github.com/breachpath/breachpath/paths"
	"github.com/breachpath/breachpath/queries"
)

// TestOneDefinitionOfCanReachAdmin: the escalation-to-admin query, the CIEM report's
// admin.via_escalation, `breachpath paths --target admin` and the API (GET
// /api/v1/queries/escalation-to-admin, the CIEM report of GET /api/v1/ciem and GET
// /api/v1/paths?target=admin, special-cased like the CLI's keyword) list exactly the
// principals paths.AdminReachers defines, on the synthetic estate and on an account imported from
// an authorization-details export. The CLI and the API are run for real, over a store the
// graph was synced into.
func TestOneDefinitionOfCanReachAdmin(t *testing.T) {
	ctx := context.Background()
	est, err := synthetic.Generate(ctx, synthetic.Options{Seed: 42, Resources: 2000})
	if err != nil {
		t.Fatal(err)
	}
	snap, err := awscollector.Transform(ctx, labAccount(), awscollector.TransformOptions{})
	if err != nil {
		t.Fatal(err)
	}
	bin := buildCLI(t)
	lab := func(names ...string) []string {
		var out []string
		for _, n := range names {
			out = append(out, "arn:aws:iam::123456789012:"+n)
		}
		return out
	}
	for _, tc := range []struct {
		name  string
		g     *graph.Graph
		snaps []*graph.Snapshot // what the CLI and the API read, through a store
		exact []string          // when set, the principals that must be listed
	}{
		{"synthetic estate", est.Graph(), est.Snapshots, nil},
		// Listed: the self-escalating user, dev through the role it assumes (and that role), the
		// conditional user, the group's member and the group (through the shared policy).
		// Not listed: the denied user, the policy node, the service-only roles.
		{"lab account", graph.Assemble(snap.Nodes, snap.Edges, snap.Findings), []*graph.Snapshot{snap},
			lab("group/deployers", "role/ops", "user/dev", "user/maybe", "user/member", "user/self")},
	} {
		t.Run(tc.name, func(t *testing.T) {
			reach, err := paths.AdminReachers(ctx, tc.g, paths.DefaultAdminHops)
			if err != nil {
				t.Fatal(err)
			}
			var want []string
			for _, r := range reach {
				want = append(want, r.Principal)
			}
			q, _ := queries.Get("escalation-to-admin")
			res, err := q.Run(ctx, tc.g, nil)
			if err != nil {
				t.Fatal(err)
			}
			var fromQuery []string
			for _, row := range res.Rows {
				fromQuery = append(fromQuery, row[0].(string))
			}
			rep, err := ciem.Build(ctx, tc.g, ciem.Sources{}, ciem.Options{})
			if err != nil {
				t.Fatal(err)
			}
			var fromCIEM []string
			for _, p := range rep.Principals {
				if p.Admin.ViaEscalation {
					fromCIEM = append(fromCIEM, p.ID)
				}
			}
			db := filepath.Join(t.TempDir(), "breachpath.db")
			syncStore(t, db, tc.snaps)
			fromCLI := cliAdmin(t, bin, db)
			apiQuery, apiCIEM, apiPaths := apiAdmin(t, db)
			for name, got := range map[string][]string{"escalation-to-admin": fromQuery, "ciem admin.via_escalation": fromCIEM,
				"paths --target admin": fromCLI, "API escalation-to-admin": apiQuery, "API ciem admin.via_escalation": apiCIEM,
				"API paths?target=admin": apiPaths} {
				slices.Sort(got)
				got = slices.Compact(got)
				if !slices.Equal(got, want) {
					t.Errorf("%s lists %d principals %v;\npaths.AdminReachers %d %v", name, len(got), got, len(want), want)
				}
			}
			if tc.exact != nil && !slices.Equal(want, tc.exact) {
				t.Errorf("paths.AdminReachers %v, want %v", want, tc.exact)
			}
			if len(want) == 0 {
				t.Error("the fixture must have principals that reach admin")
			}
		})
	}
}

// buildCLI builds the breachpath command once for the test.
func buildCLI(t *testing.T) string {
	t.Helper()
	gobin, err := exec.LookPath("go")
	if err != nil {
		gobin = filepath.Join(runtime.GOROOT(), "bin", "go")
	}
	bin := filepath.Join(t.TempDir(), "breachpath")
	cmd := exec.Command(gobin, "build", "-o", bin, "./cmd/breachpath")
	cmd.Dir = ".."
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build ./cmd/breachpath: %v\n%s", err, out)
	}
	return bin
}

// syncStore writes the snapshots into a fresh embedded store at db.
func syncStore(t *testing.T, db string, snaps []*graph.Snapshot) {
	t.Helper()
	st, err := embedded.Open(context.Background(), db, embedded.WithLogger(slog.New(slog.NewTextHandler(io.Discard, nil))))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	for _, s := range snaps {
		if _, err := st.Sync(context.Background(), s); err != nil {
			t.Fatal(err)
		}
	}
}

// cliAdmin runs `breachpath paths --target admin --format json` on the store.
func cliAdmin(t *testing.T, bin, db string) []string {
	t.Helper()
	cmd := exec.Command(bin, "--db", db, "--no-progress", "--log-level", "error", "paths", "--target", "admin", "--format", "json")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("paths --target admin: %v\n%s", err, stderr.String())
	}
	var got struct {
		Target     string `json:"target"`
		Principals []struct {
			Principal string `json:"principal"`
		} `json:"principals"`
	}
	if err := json.Unmarshal(out, &got); err != nil {
		t.Fatalf("paths --target admin printed no JSON: %v\n%s", err, out)
	}
	var ids []string
	for _, p := range got.Principals {
		ids = append(ids, p.Principal)
	}
	return ids
}

// apiAdmin serves the store with the API and reads the escalation-to-admin query, the CIEM
// report's admin.via_escalation and GET /paths?target=admin (every page) from it.
func apiAdmin(t *testing.T, db string) (fromQuery, fromCIEM, fromPaths []string) {
	t.Helper()
	st, err := embedded.Open(context.Background(), db, embedded.WithLogger(slog.New(slog.NewTextHandler(io.Discard, nil))))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	const token = "admin-definition-test-token"
	srv, err := api.New(api.Config{Store: st, Token: token, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(srv)
	defer ts.Close()
	get := func(path string, into any) {
		t.Helper()
		req, err := http.NewRequest(http.MethodGet, ts.URL+path, nil)
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Authorization", "Bearer "+token)
		resp, err := ts.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("GET %s: %s\n%s", path, resp.Status, body)
		}
		if err := json.Unmarshal(body, into); err != nil {
			t.Fatalf("GET %s: %v", path, err)
		}
	}
	var q struct {
		Rows [][]any `json:"rows"`
	}
	get("/api/v1/queries/escalation-to-admin", &q)
	for _, row := range q.Rows {
		if id, ok := row[0].(string); ok {
			fromQuery = append(fromQuery, id)
		}
	}
	var rep struct {
		Principals []struct {
			ID    string `json:"id"`
			Admin struct {
				ViaEscalation bool `json:"via_escalation"`
			} `json:"admin"`
		} `json:"principals"`
	}
	get("/api/v1/ciem?format=json", &rep)
	for _, p := range rep.Principals {
		if p.Admin.ViaEscalation {
			fromCIEM = append(fromCIEM, p.ID)
		}
	}
	// pages of 7, so that the cursor is followed on both fixtures
	for path := "/api/v1/paths?target=admin&limit=7"; path != ""; {
		var page struct {
			Target     string `json:"target"`
			NextCursor string `json:"next_cursor"`
			Principals []struct {
				Principal string `json:"principal"`
			} `json:"principals"`
		}
		get(path, &page)
		if page.Target != "admin" {
			t.Fatalf("GET %s answered target %q, want the admin keyword's answer", path, page.Target)
		}
		for _, p := range page.Principals {
			fromPaths = append(fromPaths, p.Principal)
		}
		path = ""
		if page.NextCursor != "" {
			path = "/api/v1/paths?target=admin&limit=7&cursor=" + page.NextCursor
		}
	}
	return fromQuery, fromCIEM, fromPaths
}

// labAccount is an IAM lab in the spirit of iam-vulnerable: a self-escalating user, a user who
// reaches admin by assuming a role that escalates (a chain starting with sts:AssumeRole), a user
// whose move is conditional, a service-only role that could escalate (never listed), a group
// member's shared policy, and a user whose escalation is denied.
func labAccount() *inventory.Inventory {
	const acct = "123456789012"
	arn := func(res string) string { return "arn:aws:iam::" + acct + ":" + res }
	doc := func(stmts string) string { return `{"Version":"2012-10-17","Statement":[` + stmts + `]}` }
	inline := func(d string) []inventory.InlinePolicy { return []inventory.InlinePolicy{{Name: "p", Document: d}} }
	user := func(name, d string) inventory.User {
		return inventory.User{ARN: arn("user/" + name), Name: name, ID: "AIDA" + name, Path: "/", InlinePolicies: inline(d), AccessKeysRead: true, LoginProfileRead: true}
	}
	shared := arn("policy/deployers")
	return &inventory.Inventory{AccountID: acct, Partition: "aws", Regions: []string{"us-east-1"}, IAM: inventory.IAMData{
		Users: []inventory.User{
			user("self", doc(`{"Effect":"Allow","Action":"iam:AttachUserPolicy","Resource":"*"}`)),
			user("dev", doc(`{"Effect":"Allow","Action":"sts:AssumeRole","Resource":"`+arn("role/ops")+`"}`)),
			user("maybe", doc(`{"Effect":"Allow","Action":"iam:PutUserPolicy","Resource":"*","Condition":{"Bool":{"aws:MultiFactorAuthPresent":"true"}}}`)),
			user("denied", doc(`{"Effect":"Allow","Action":"iam:AttachUserPolicy","Resource":"*"},{"Effect":"Deny","Action":"iam:*","Resource":"*"}`)),
			{ARN: arn("user/member"), Name: "member", ID: "AIDAmember", Path: "/", Groups: []string{"deployers"}, AccessKeysRead: true, LoginProfileRead: true},
		},
		Groups: []inventory.Group{{ARN: arn("group/deployers"), Name: "deployers", Path: "/", AttachedPolicies: []inventory.AttachedPolicy{{ARN: shared, Name: "deployers"}}}},
		Policies: []inventory.ManagedPolicy{{ARN: shared, Name: "deployers", Path: "/", DefaultVersionID: "v1", IsAttachable: true,
			Document: doc(`{"Effect":"Allow","Action":["iam:PassRole","lambda:CreateFunction","lambda:InvokeFunction"],"Resource":"*"}`)}},
		Roles: []inventory.Role{
			{ARN: arn("role/ops"), Name: "ops", ID: "AROAops", Path: "/", TrustPolicy: doc(`{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::` + acct + `:root"},"Action":"sts:AssumeRole"}`),
				InlinePolicies: inline(doc(`{"Effect":"Allow","Action":"iam:PutRolePolicy","Resource":"*"}`))},
			{ARN: arn("role/fn"), Name: "fn", ID: "AROAfn", Path: "/", TrustPolicy: doc(`{"Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole"}`),
				InlinePolicies: inline(doc(`{"Effect":"Allow","Action":"*","Resource":"*"}`))},
			{ARN: arn("role/worker"), Name: "worker", ID: "AROAworker", Path: "/", TrustPolicy: doc(`{"Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole"}`),
				InlinePolicies: inline(doc(`{"Effect":"Allow","Action":"iam:AttachRolePolicy","Resource":"*"}`))},
		},
	}}
}
