package fetch

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
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/macie2"
	macietypes "github.com/aws/aws-sdk-go-v2/service/macie2/types"

	"github.com/breachpath/breachpath/collector/aws/inventory"
	"github.com/breachpath/breachpath/graph"
)

// macieFixture is testdata/macie/findings.json: findings in the macie2
// wire format, and a filler finding cloned for bulk listings.
type macieFixture struct {
	Findings []map[string]any `json:"findings"`
	Filler   map[string]any   `json:"filler"`
}

// fakeMacie serves ListFindings and GetFindings from the fixture, the way
// the macie2 REST-JSON API does, and GetMacieSession through session (a
// canned answer, or moto behind a proxy). moto 5.1.22 implements sessions
// but not findings.
type fakeMacie struct {
	fx      macieFixture
	fillers int
	session http.Handler

	mu         sync.Mutex
	listBodies []string
	batches    []int
}

func newFakeMacie(t *testing.T, fillers int, session http.Handler) *fakeMacie {
	t.Helper()
	raw, err := os.ReadFile("testdata/macie/findings.json")
	if err != nil {
		t.Fatal(err)
	}
	f := &fakeMacie{fillers: fillers, session: session}
	if err := json.Unmarshal(raw, &f.fx); err != nil {
		t.Fatal(err)
	}
	return f
}

func (f *fakeMacie) ids() []string {
	var ids []string
	for _, fd := range f.fx.Findings {
		ids = append(ids, fd["id"].(string))
	}
	for i := range f.fillers {
		ids = append(ids, fmt.Sprintf("filler-%d", i))
	}
	return ids
}

func (f *fakeMacie) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	w.Header().Set("Content-Type", "application/json")
	switch {
	case r.Method == http.MethodGet && r.URL.Path == "/macie":
		r.Body = io.NopCloser(strings.NewReader(string(body)))
		f.session.ServeHTTP(w, r)
	case r.Method == http.MethodPost && r.URL.Path == "/findings":
		var in struct {
			MaxResults int    `json:"maxResults"`
			NextToken  string `json:"nextToken"`
		}
		json.Unmarshal(body, &in)
		f.mu.Lock()
		f.listBodies = append(f.listBodies, string(body))
		f.mu.Unlock()
		ids := f.ids()
		start, _ := strconv.Atoi(in.NextToken)
		if in.MaxResults <= 0 {
			in.MaxResults = 50
		}
		end := min(start+in.MaxResults, len(ids))
		out := map[string]any{"findingIds": ids[start:end]}
		if end < len(ids) {
			out["nextToken"] = strconv.Itoa(end)
		}
		json.NewEncoder(w).Encode(out)
	case r.Method == http.MethodPost && r.URL.Path == "/findings/describe":
		var in struct {
			FindingIDs []string `json:"findingIds"`
		}
		json.Unmarshal(body, &in)
		f.mu.Lock()
		f.batches = append(f.batches, len(in.FindingIDs))
		f.mu.Unlock()
		byID := map[string]map[string]any{}
		for _, fd := range f.fx.Findings {
			byID[fd["id"].(string)] = fd
		}
		var out []map[string]any
		for _, id := range in.FindingIDs {
			fd, ok := byID[id]
			if !ok {
				fd = map[string]any{}
				for k, v := range f.fx.Filler {
					fd[k] = v
				}
				fd["id"] = id
			}
			out = append(out, fd)
		}
		json.NewEncoder(w).Encode(map[string]any{"findings": out})
	default:
		w.WriteHeader(http.StatusNotFound)
		io.WriteString(w, `{"message":"not served by the fake"}`)
	}
}

// macieAnswer is a canned GetMacieSession response.
func macieAnswer(status int, errType, body string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		if errType != "" {
			w.Header().Set("x-amzn-ErrorType", errType)
		}
		w.WriteHeader(status)
		io.WriteString(w, body)
	})
}

// collectMacieArea runs the macie area of us-east-1 against endpoint with
// the same session, area and coverage machinery Collect uses.
func collectMacieArea(t *testing.T, endpoint string) *inventory.Inventory {
	t.Helper()
	s := &session{opts: Options{Endpoint: endpoint, Retryer: fastRetryer(2)}, counter: &callCounter{}, log: quietLogger(),
		failures: map[graph.Area][]string{}, read: map[graph.Area]bool{}}
	s.cfg = configure(testConfig("AKIAIOSFODNN7EXAMPLE"), &s.opts, s.counter)
	s.inv = &inventory.Inventory{AccountID: seedAccount, Partition: "aws", CollectedAt: time.Now()}
	rd := s.inv.Region("us-east-1")
	s.area(testContext(t), ServiceMacie, "us-east-1", func(ctx context.Context) error { return s.collectMacie(ctx, "us-east-1", rd) })
	s.finish()
	return s.inv
}

func TestMacieSummarizesClassificationFindingsPerBucketFromFixtures(t *testing.T) {
	fake := newFakeMacie(t, 56, macieAnswer(http.StatusOK, "", `{"status":"ENABLED","findingPublishingFrequency":"FIFTEEN_MINUTES"}`))
	srv := httptest.NewServer(fake)
	t.Cleanup(srv.Close)
	inv := collectMacieArea(t, srv.URL)

	if len(inv.Coverage.Failed) > 0 || !inventoryRead(inv, ServiceMacie, "us-east-1") {
		t.Fatalf("coverage = %+v, want macie/us-east-1 read", inv.Coverage)
	}
	md := inv.Regional["us-east-1"].Macie
	if md == nil || md.Status != inventory.MacieEnabled || md.Findings != 59 || md.SampleFindings != 1 {
		t.Fatalf("macie = %+v, want ENABLED, 59 findings, 1 sample skipped", md)
	}
	if fmt.Sprint(fake.batches) != "[50 10]" {
		t.Errorf("GetFindings batches = %v, want [50 10]", fake.batches)
	}
	if len(fake.listBodies) != 2 {
		t.Errorf("ListFindings pages = %d, want 2", len(fake.listBodies))
	}
	for _, b := range fake.listBodies {
		var in struct {
			FindingCriteria struct {
				Criterion map[string]struct {
					Eq []string `json:"eq"`
				} `json:"criterion"`
			} `json:"findingCriteria"`
		}
		if err := json.Unmarshal([]byte(b), &in); err != nil {
			t.Fatal(err)
		}
		c := in.FindingCriteria.Criterion
		if fmt.Sprint(c["category"].Eq) != "[CLASSIFICATION]" || fmt.Sprint(c["archived"].Eq) != "[false]" {
			t.Errorf("ListFindings criteria = %s, want category CLASSIFICATION and archived false", b)
		}
	}

	byName := map[string]inventory.MacieBucketSummary{}
	for _, b := range md.Buckets {
		byName[b.Bucket] = b
	}
	tests := []struct {
		bucket     string
		findings   int
		severity   string
		categories map[string]int64
		types      map[string]int64
		updated    string
	}{
		{"payroll-exports", 2, "High",
			map[string]int64{"CREDENTIALS": 2, "PERSONAL_INFORMATION": 40, "FINANCIAL_INFORMATION": 5, "CUSTOM_IDENTIFIER": 3},
			map[string]int64{"AWS_CREDENTIALS": 2, "USA_SOCIAL_SECURITY_NUMBER": 25, "NAME": 15, "CREDIT_CARD_NUMBER": 5, "custom:employee-id": 3},
			"2026-11-03T08:30:00Z"},
		// No totalCount in the finding: the detections' counts stand in.
		{"marketing-assets", 1, "Low", map[string]int64{"PERSONAL_INFORMATION": 12}, map[string]int64{"EMAIL_ADDRESS": 12}, "2026-10-20T00:00:00Z"},
		{"bulk-logs", 56, "Low", map[string]int64{"PERSONAL_INFORMATION": 56}, map[string]int64{"IP_ADDRESS": 56}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.bucket, func(t *testing.T) {
			got, ok := byName[tt.bucket]
			if !ok {
				t.Fatalf("no summary for %s in %+v", tt.bucket, md.Buckets)
			}
			if got.Findings != tt.findings || got.HighestSeverity != tt.severity || got.ARN != "arn:aws:s3:::"+tt.bucket || got.Account != seedAccount {
				t.Errorf("summary = %+v, want %d findings, severity %s", got, tt.findings, tt.severity)
			}
			if fmt.Sprint(got.Categories) != fmt.Sprint(tt.categories) || fmt.Sprint(got.Types) != fmt.Sprint(tt.types) {
				t.Errorf("categories %v types %v, want %v %v", got.Categories, got.Types, tt.categories, tt.types)
			}
			if upd := got.LastUpdated.Format(time.RFC3339); tt.updated != "" && upd != tt.updated {
				t.Errorf("last updated = %s, want %s", upd, tt.updated)
			}
		})
	}
	if _, ok := byName["macie-sample-finding-bucket"]; ok || len(md.Buckets) != 3 {
		t.Errorf("buckets = %+v, want the three real ones (sample finding skipped)", md.Buckets)
	}
	blob := mustJSON(t, inv)
	for _, leak := range []string{"ssn-export", "AKIAEXAMPLE", "newsletter", "C7", "cellReference", "lineRanges", "macie-results", "logs/part.json"} {
		if strings.Contains(blob, leak) {
			t.Errorf("inventory holds %q from a finding's sample data, object key or location", leak)
		}
	}
}

func TestMacieSessionAnswersDecideNotEnabledReadOrFailed(t *testing.T) {
	tests := []struct {
		name       string
		session    http.Handler
		wantStatus string // "" = no Macie data
		wantFailed string // substring of the area's failure; "" = read
		wantList   bool
	}{
		{name: "AWS not enabled answer is recorded, area read",
			session:    macieAnswer(http.StatusForbidden, "AccessDeniedException", `{"message":"Macie is not enabled."}`),
			wantStatus: inventory.MacieNotEnabled},
		{name: "resource not found (moto) is not enabled",
			session:    macieAnswer(http.StatusNotFound, "ResourceNotFoundException", `{"message":"The request failed because the specified resource doesn't exist."}`),
			wantStatus: inventory.MacieNotEnabled},
		{name: "missing permission fails the area: Macie may be running",
			session:    macieAnswer(http.StatusForbidden, "AccessDeniedException", `{"message":"User: arn:aws:iam::123456789012:user/audit is not authorized to perform: macie2:GetMacieSession"}`),
			wantFailed: "GetMacieSession: AccessDeniedException"},
		{name: "paused Macie still has readable findings",
			session:    macieAnswer(http.StatusOK, "", `{"status":"PAUSED"}`),
			wantStatus: inventory.MaciePaused, wantList: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fake := newFakeMacie(t, 0, tt.session)
			srv := httptest.NewServer(fake)
			t.Cleanup(srv.Close)
			inv := collectMacieArea(t, srv.URL)
			md := inv.Regional["us-east-1"].Macie
			f, failed := failedArea(inv, ServiceMacie, "us-east-1")
			switch {
			case tt.wantFailed != "":
				if !failed || !strings.Contains(f.Error, tt.wantFailed) || inventoryRead(inv, ServiceMacie, "us-east-1") || md != nil {
					t.Errorf("failure %+v (failed=%v), macie %+v: want failed with %q and no data", f, failed, md, tt.wantFailed)
				}
			case failed || !inventoryRead(inv, ServiceMacie, "us-east-1"):
				t.Errorf("coverage = %+v, want macie read", inv.Coverage)
			case md == nil || md.Status != tt.wantStatus:
				t.Errorf("macie = %+v, want status %s", md, tt.wantStatus)
			}
			if listed := len(fake.listBodies) > 0; listed != tt.wantList {
				t.Errorf("ListFindings called = %v, want %v", listed, tt.wantList)
			}
			if tt.wantList && (md == nil || md.Findings != 3) {
				t.Errorf("macie = %+v, want the fixture's 3 real findings", md)
			}
		})
	}
}

// TestCollectMacieFromMoto: moto answers GetMacieSession (a fresh moto
// account has Macie enabled; DisableMacie turns it off); it does not
// implement findings, so those come from the fixture server behind the
// same endpoint.
func TestCollectMacieFromMoto(t *testing.T) {
	tests := []struct {
		name string
		seed func(context.Context, *macie2.Client) error
		want string
		// buckets with findings expected in the inventory
		buckets int
	}{
		{name: "disabled in moto is not enabled, no findings read", want: inventory.MacieNotEnabled,
			seed: func(ctx context.Context, c *macie2.Client) error {
				_, err := c.DisableMacie(ctx, &macie2.DisableMacieInput{})
				return err
			}},
		{name: "enabled in moto, findings from fixtures", want: inventory.MacieEnabled, buckets: 2},
		{name: "paused in moto, findings still read", want: inventory.MaciePaused, buckets: 2,
			seed: func(ctx context.Context, c *macie2.Client) error {
				_, err := c.EnableMacie(ctx, &macie2.EnableMacieInput{Status: macietypes.MacieStatusPaused})
				return err
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ep := motoEndpoint(t)
			if tt.seed != nil {
				cfg := testConfig("AKIAIOSFODNN7EXAMPLE")
				cfg.BaseEndpoint = aws.String(ep)
				if err := tt.seed(testContext(t), macie2.NewFromConfig(cfg)); err != nil {
					t.Fatalf("seed macie in moto: %v", err)
				}
			}
			target, err := url.Parse(ep)
			if err != nil {
				t.Fatal(err)
			}
			moto := httputil.NewSingleHostReverseProxy(target)
			fake := newFakeMacie(t, 0, moto)
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if strings.HasPrefix(r.URL.Path, "/findings") {
					fake.ServeHTTP(w, r)
					return
				}
				moto.ServeHTTP(w, r)
			}))
			t.Cleanup(srv.Close)

			inv := collectMoto(t, srv.URL, Options{Services: []string{ServiceMacie}})
			if len(inv.Coverage.Failed) > 0 || !inventoryRead(inv, ServiceMacie, "us-east-1") {
				t.Fatalf("coverage = %+v, want macie read", inv.Coverage)
			}
			md := inv.Regional["us-east-1"].Macie
			if md == nil || md.Status != tt.want || len(md.Buckets) != tt.buckets {
				t.Errorf("macie = %+v, want status %s with %d buckets", md, tt.want, tt.buckets)
			}
			if listed := len(fake.listBodies) > 0; listed != (tt.buckets > 0) {
				t.Errorf("ListFindings called = %v with status %s", listed, tt.want)
			}
		})
	}
}
