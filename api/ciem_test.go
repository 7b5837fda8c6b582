package api

import (
	"context"
	"encoding/csv"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi3filter"

	"github.com/breachpath/breachpath/ciem"
	awscollector "github.com/breachpath/breachpath/collector/aws"
	"github.com/breachpath/breachpath/collector/aws/authdetails"
	"github.com/breachpath/breachpath/collector/aws/entitlements"
	"github.com/breachpath/breachpath/collector/aws/inventory"
	"github.com/breachpath/breachpath/graph"
	"github.com/breachpath/breachpath/graph/entitlement"
)

// The CIEM fixture account (ciem/aws/testdata): an authorization-details
// export with last-accessed data, dated relative to ciemNow.
const ciemAcct = "arn:aws:iam::111122223333:"

var (
	ciemNow  = time.Date(2026, 11, 25, 0, 0, 0, 0, time.UTC)
	bobID    = ciemAcct + "user/bob"
	ciDeploy = ciemAcct + "role/ci-deploy"
)

// ciemStore holds the small graph (its role lies on the one attack path,
// with no recorded entitlements) and the CIEM fixture account collected
// through the AWS transform, which records entitlements and usage on the
// principal nodes.
func ciemStore(t testing.TB) *countingStore {
	t.Helper()
	st := smallStore(t)
	f, err := os.Open("../ciem/aws/testdata/authdetails.json")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	iam, err := authdetails.Load(f)
	if err != nil {
		t.Fatal(err)
	}
	if iam.LastAccessed, err = entitlements.ReadLastAccessedFile("../ciem/aws/testdata/last-accessed.json"); err != nil {
		t.Fatal(err)
	}
	inv := &inventory.Inventory{AccountID: "111122223333", Partition: "aws", CollectedAt: ciemNow, IAM: iam,
		Coverage: graph.Coverage{Read: []graph.Area{{Service: "iam"}}}}
	snap, _, err := awscollector.TransformDetailed(context.Background(), inv, awscollector.TransformOptions{Logger: quietLogger()})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.Sync(context.Background(), snap); err != nil {
		t.Fatal(err)
	}
	return &countingStore{Store: st}
}

func init() {
	// The report downloads are text; the validator checks them as strings.
	openapi3filter.RegisterBodyDecoder("text/markdown", openapi3filter.PlainBodyDecoder)
	openapi3filter.RegisterBodyDecoder("text/html", openapi3filter.PlainBodyDecoder)
}

func ciemServer(t *testing.T) (*Server, *client) {
	t.Helper()
	return newServer(t, Config{Store: ciemStore(t), Now: func() time.Time { return ciemNow }, Rate: 1e6, Burst: 1e6})
}

func TestCIEMEndpointsAnswerAsDocumented(t *testing.T) {
	_, c := ciemServer(t)
	principal := func(id string) string { return "/api/v1/ciem/principals/" + url.PathEscape(id) }
	tests := []struct {
		name   string
		path   string
		status int
		code   string
	}{
		{"report json", "/api/v1/ciem", 200, ""},
		{"report csv", "/api/v1/ciem?format=csv", 200, ""},
		{"report markdown", "/api/v1/ciem?format=markdown", 200, ""},
		{"report html", "/api/v1/ciem?format=html", 200, ""},
		{"report filtered", "/api/v1/ciem?account=111122223333&principal=bob&principal=" + url.QueryEscape(ciDeploy) + "&last_accessed_days=360", 200, ""},
		{"report filter matching nothing", "/api/v1/ciem?account=999999999999", 200, ""},
		{"report window 0", "/api/v1/ciem?last_accessed_days=0", 400, codeBadParameter},
		{"report window over AWS tracking", "/api/v1/ciem?last_accessed_days=401", 400, codeBadParameter},
		{"report window not a number", "/api/v1/ciem?last_accessed_days=ninety", 400, codeBadParameter},
		{"report bad format", "/api/v1/ciem?format=xlsx", 400, codeBadParameter},
		{"report empty account", "/api/v1/ciem?account=", 400, codeBadParameter},
		{"report empty principal", "/api/v1/ciem?principal=%20", 400, codeBadParameter},
		{"principal", principal(bobID), 200, ""},
		{"principal on an attack path without entitlements", principal(roleID), 200, ""},
		{"principal window", principal(ciDeploy) + "?last_accessed_days=360", 200, ""},
		{"principal bad window", principal(bobID) + "?last_accessed_days=-1", 400, codeBadParameter},
		{"principal unknown", principal(ciemAcct + "user/nobody"), 404, codeNotFound},
		{"node that is no principal", principal(bucketID), 404, codeNotFound},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := c.get(tt.path)
			if a.status != tt.status {
				t.Fatalf("status %d, want %d: %.400s", a.status, tt.status, a.body)
			}
			if tt.code != "" {
				if got := a.errorCode(t); got != tt.code {
					t.Fatalf("code %q, want %q", got, tt.code)
				}
			}
		})
	}
}

func TestCIEMNeedsTheToken(t *testing.T) {
	_, c := ciemServer(t)
	for _, p := range []string{"/api/v1/ciem", "/api/v1/ciem?format=html", "/api/v1/ciem/principals/" + url.PathEscape(bobID)} {
		t.Run(p, func(t *testing.T) {
			a := c.do(http.MethodGet, p, "", nil) // validated against the documented 401
			if a.status != http.StatusUnauthorized || a.errorCode(t) != codeUnauthorized {
				t.Fatalf("without a token: %d %s", a.status, a.body)
			}
		})
	}
}

func TestCIEMReportJoinsTheAnalysisAttackPaths(t *testing.T) {
	_, c := ciemServer(t)
	var list PathList
	c.get("/api/v1/paths?limit=500").decode(t, &list)
	i := slices.IndexFunc(list.Items, func(p PathSummary) bool { return p.Target == bucketID })
	if i < 0 {
		t.Fatalf("the planted path to %s is missing from %+v", bucketID, list.Items)
	}
	var rep CIEMReport
	c.get("/api/v1/ciem").decode(t, &rep)
	if rep.Generation != list.Generation || rep.AttackPaths != list.Total || rep.WindowDays != ciem.DefaultWindowDays {
		t.Fatalf("report generation %s paths %d window %d; want %s, %d, %d", rep.Generation, rep.AttackPaths, rep.WindowDays,
			list.Generation, list.Total, ciem.DefaultWindowDays)
	}
	if !rep.GeneratedAt.Equal(ciemNow) {
		t.Errorf("generated at %s, want the analysis time %s", rep.GeneratedAt, ciemNow)
	}
	// The role on the planted path carries its id although nothing is known
	// of its permissions, and principals on paths come before every other.
	onPath := true
	for _, p := range rep.Principals {
		if len(p.AttackPaths) > 0 && !onPath {
			t.Fatalf("%s is on an attack path but ranked after principals that are not", p.ID)
		}
		onPath = len(p.AttackPaths) > 0
		if p.ID == roleID && (!slices.Contains(p.AttackPaths, list.Items[i].ID) || p.EntitlementsKnown) {
			t.Fatalf("%s on paths %v (entitlements known %v); want on %s, unknown", p.ID, p.AttackPaths, p.EntitlementsKnown, list.Items[i].ID)
		}
	}
}

func TestCIEMPrincipalCarriesEntitlementsAndUsage(t *testing.T) {
	_, c := ciemServer(t)
	var bob CIEMPrincipal
	c.get("/api/v1/ciem/principals/"+url.PathEscape(bobID)).decode(t, &bob)
	p := bob.Principal
	if p.ID != bobID || !p.EntitlementsKnown || p.Permissions.Total == 0 || !p.Usage.Known ||
		!slices.Equal(p.Usage.UsedServices, []string{"ec2", "s3"}) {
		t.Fatalf("bob = known %v, %d permissions, usage %+v; want recorded permissions and s3, ec2 used", p.EntitlementsKnown,
			p.Permissions.Total, p.Usage)
	}
	// ci-deploy used ec2 on 2025-12-01: unused in 90 days, used in 360.
	tests := []struct {
		query string
		want  string
	}{{"", ciem.StateUnused}, {"?last_accessed_days=360", ciem.StateUsed}}
	for _, tc := range tests {
		var ci CIEMPrincipal
		c.get("/api/v1/ciem/principals/"+url.PathEscape(ciDeploy)+tc.query).decode(t, &ci)
		i := slices.IndexFunc(ci.Principal.Permissions.Services, func(s ciem.ServiceView) bool { return s.Service == "ec2" })
		if i < 0 || ci.Principal.Permissions.Services[i].State != tc.want {
			t.Errorf("window %q: ec2 of ci-deploy = %+v, want %s", tc.query, ci.Principal.Permissions.Services, tc.want)
		}
	}
}

func TestCIEMFiltersAndDownloads(t *testing.T) {
	_, c := ciemServer(t)
	tests := []struct {
		name  string
		query string
		want  []string // principal ids, in report order
	}{
		{"account", "?account=111111111111", []string{roleID}},
		{"principal by name and id", "?principal=bob&principal=" + url.QueryEscape(roleID), []string{roleID, bobID}},
		{"account and principal", "?account=111122223333&principal=web-role", nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var rep CIEMReport
			c.get("/api/v1/ciem"+tc.query).decode(t, &rep)
			var got []string
			for _, p := range rep.Principals {
				got = append(got, p.ID)
			}
			if !slices.Equal(got, tc.want) {
				t.Fatalf("principals %v, want %v", got, tc.want)
			}
		})
	}
	downloads := []struct {
		format, ctype, file, contains string
	}{
		{"json", "application/json", "breachpath-ciem.json", `"principals"`},
		{"csv", "text/csv", "breachpath-ciem.csv", "bob"},
		{"markdown", "text/markdown", "breachpath-ciem.md", "| "},
		{"html", "text/html", "breachpath-ciem.html", "<html"},
	}
	for _, d := range downloads {
		t.Run(d.format, func(t *testing.T) {
			a := c.get("/api/v1/ciem?format=" + d.format)
			if !strings.HasPrefix(a.header.Get("Content-Type"), d.ctype) {
				t.Fatalf("content type %q, want %s", a.header.Get("Content-Type"), d.ctype)
			}
			if cd := a.header.Get("Content-Disposition"); cd != `attachment; filename="`+d.file+`"` {
				t.Fatalf("content disposition %q", cd)
			}
			if !strings.Contains(string(a.body), d.contains) {
				t.Fatalf("%s download lacks %q: %.300s", d.format, d.contains, a.body)
			}
		})
	}
	var rep CIEMReport
	c.get("/api/v1/ciem").decode(t, &rep)
	rows, err := csv.NewReader(strings.NewReader(string(c.get("/api/v1/ciem?format=csv").body))).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != len(rep.Principals)+1 {
		t.Fatalf("%d CSV rows for %d principals, want one each plus the header", len(rows), len(rep.Principals))
	}
}

// The CIEM documents on principal nodes are JSON text of up to 64 KB each;
// /nodes leaves them out (they are served structured by /ciem).
func TestNodesLeaveOutCIEMProps(t *testing.T) {
	st := ciemStore(t)
	g, err := st.Load(context.Background(), graph.Filter{})
	if err != nil {
		t.Fatal(err)
	}
	if n := g.Node(bobID); n == nil || n.Props[entitlement.PropEntitlements] == nil || n.Props[entitlement.PropLastAccessed] == nil {
		t.Fatalf("the stored node of bob lacks the CIEM props the test is about: %+v", n)
	}
	_, c := newServer(t, Config{Store: st, Now: func() time.Time { return ciemNow }})
	for _, p := range []string{"/api/v1/nodes/" + url.PathEscape(bobID), "/api/v1/nodes?id=" + url.QueryEscape(bobID)} {
		a := c.get(p)
		var d NodeDetail
		a.decode(t, &d)
		if d.ID != bobID || strings.Contains(string(a.body), "ciem_") {
			t.Fatalf("%s serves the CIEM documents: %.300s", p, a.body)
		}
	}
	if !strings.HasPrefix(entitlement.PropEntitlements, ciemPropPrefix) || !strings.HasPrefix(entitlement.PropLastAccessed, ciemPropPrefix) {
		t.Fatal("a CIEM property does not start with the prefix the API filters")
	}
}

func TestCIEMReportIsCachedPerGenerationAndOptions(t *testing.T) {
	st := ciemStore(t)
	now := ciemNow
	var mu sync.Mutex
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	advance := func(d time.Duration) { mu.Lock(); now = now.Add(d); mu.Unlock() }
	s, c := newServer(t, Config{Store: st, Now: clock, CheckInterval: time.Second, TTL: time.Hour, Rate: 1e6, Burst: 1e6})
	entries := func() (int, *analysis) {
		an, err := s.cache.get(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		an.ciemMu.Lock()
		defer an.ciemMu.Unlock()
		return len(an.ciem), an
	}

	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if a := c.get("/api/v1/ciem?principal=bob&principal=alice"); a.status != 200 {
				t.Errorf("status %d", a.status)
			}
		}()
	}
	wg.Wait()
	// The same question in another order, the same answer in another format.
	c.get("/api/v1/ciem?principal=alice&principal=bob&format=csv")
	n, first := entries()
	if n != 1 {
		t.Fatalf("one question asked 10 times left %d cached reports, want 1", n)
	}
	// The principal endpoint shares the unfiltered report of its window.
	c.get("/api/v1/ciem")
	c.get("/api/v1/ciem/principals/" + url.PathEscape(bobID))
	c.get("/api/v1/ciem/principals/" + url.PathEscape(bobID) + "?last_accessed_days=30")
	if n, _ := entries(); n != 3 {
		t.Fatalf("%d cached reports, want 3 (bob+alice, unfiltered 90 days, unfiltered 30 days)", n)
	}
	// Clients choose filters: the cache stays bounded.
	for i := range maxCIEMReports + 5 {
		c.get("/api/v1/ciem?principal=p" + strings.Repeat("x", i))
	}
	if n, _ := entries(); n != maxCIEMReports {
		t.Fatalf("%d cached reports, want the bound %d", n, maxCIEMReports)
	}

	// A sync is a new generation: its analysis starts without reports.
	if _, err := st.Sync(context.Background(), smallSnapshot()); err != nil {
		t.Fatal(err)
	}
	advance(2 * time.Second)
	c.get("/api/v1/stats") // answered from the current analysis; the new one is computed behind it
	s.cache.idle()
	if n, an := entries(); an == first || n != 0 {
		t.Fatalf("after a sync: same analysis %v, %d cached reports; want a new analysis without any", an == first, n)
	}
}
