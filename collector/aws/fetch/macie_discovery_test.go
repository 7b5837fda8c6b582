package fetch

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"testing"

	"github.com/breachpath/breachpath/collector/aws/inventory"
)

// fakeDiscovery answers GetAutomatedDiscoveryConfiguration and
// DescribeBuckets in the macie2 REST-JSON shapes; findings and the session
// come from fakeMacie.
type fakeDiscovery struct {
	status    string // "" answers the configuration with 404 (operation not offered)
	confErr   int    // an HTTP status to fail the configuration with
	bucketErr int    // an HTTP status to fail DescribeBuckets with
	buckets   int

	mu        *sync.Mutex
	describes []string // request bodies
}

func (f *fakeDiscovery) handles(r *http.Request) bool {
	return r.URL.Path == "/automated-discovery/configuration" || r.URL.Path == "/datasources/s3"
}

func (f *fakeDiscovery) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	switch {
	case r.Method == http.MethodGet && r.URL.Path == "/automated-discovery/configuration":
		if f.confErr != 0 {
			w.Header().Set("X-Amzn-ErrorType", "AccessDeniedException")
			w.WriteHeader(f.confErr)
			io.WriteString(w, `{"message":"User is not authorized to perform: macie2:GetAutomatedDiscoveryConfiguration"}`)
			return
		}
		if f.status == "" {
			w.WriteHeader(http.StatusNotFound)
			io.WriteString(w, `<html>not found</html>`)
			return
		}
		fmt.Fprintf(w, `{"status":%q,"autoEnableOrganizationMembers":"NONE","classificationScopeId":"s1","sensitivityInspectionTemplateId":"t1"}`, f.status)
	case r.Method == http.MethodPost && r.URL.Path == "/datasources/s3":
		body, _ := io.ReadAll(r.Body)
		f.mu.Lock()
		f.describes = append(f.describes, string(body))
		f.mu.Unlock()
		if f.bucketErr != 0 {
			w.Header().Set("X-Amzn-ErrorType", "InternalServerException")
			w.WriteHeader(f.bucketErr)
			io.WriteString(w, `{"message":"internal error"}`)
			return
		}
		var in struct {
			MaxResults int    `json:"maxResults"`
			NextToken  string `json:"nextToken"`
		}
		json.Unmarshal(body, &in)
		start, _ := strconv.Atoi(in.NextToken)
		end := min(start+max(in.MaxResults, 1), f.buckets)
		var out []map[string]any
		for i := start; i < end; i++ {
			name := fmt.Sprintf("bucket-%03d", f.buckets-1-i) // served out of order
			status := "MONITORED"
			if i%2 == 1 {
				status = "NOT_MONITORED"
			}
			out = append(out, map[string]any{
				"accountId": seedAccount, "bucketArn": "arn:aws:s3:::" + name, "bucketName": name,
				"sensitivityScore": i%101 - 1, "automatedDiscoveryMonitoringStatus": status,
				"classifiableObjectCount": i * 10, "objectCount": i * 11,
			})
		}
		// One bucket Macie has no score for yet is skipped.
		if start == 0 {
			out = append(out, map[string]any{"accountId": seedAccount, "bucketName": "no-score"})
		}
		resp := map[string]any{"buckets": out}
		if end < f.buckets {
			resp["nextToken"] = strconv.Itoa(end)
		}
		json.NewEncoder(w).Encode(resp)
	default:
		w.WriteHeader(http.StatusNotFound)
	}
}

func TestMacieDiscoveryReadsScoresOnlyWhileEnabled(t *testing.T) {
	tests := []struct {
		name          string
		fake          fakeDiscovery
		wantStatus    string
		wantBuckets   int
		wantDescribes int
		wantFailed    bool
	}{
		{name: "enabled: every bucket's score over three pages", fake: fakeDiscovery{status: "ENABLED", buckets: 120},
			wantStatus: inventory.MacieDiscoveryEnabled, wantBuckets: 120, wantDescribes: 3},
		{name: "disabled: placeholder scores are not read", fake: fakeDiscovery{status: "DISABLED", buckets: 120},
			wantStatus: inventory.MacieDiscoveryDisabled},
		{name: "an endpoint without the operation: unavailable, the area is read", fake: fakeDiscovery{},
			wantStatus: inventory.MacieDiscoveryUnavailable},
		{name: "denied configuration fails the area", fake: fakeDiscovery{confErr: http.StatusForbidden}, wantFailed: true},
		{name: "failing DescribeBuckets fails the area", fake: fakeDiscovery{status: "ENABLED", buckets: 10, bucketErr: http.StatusInternalServerError},
			wantFailed: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			findings := newFakeMacie(t, 0, macieAnswer(http.StatusOK, "", `{"status":"ENABLED"}`))
			fake := tt.fake
			disc := &fake
			disc.mu = &sync.Mutex{}
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if disc.handles(r) {
					disc.ServeHTTP(w, r)
					return
				}
				findings.ServeHTTP(w, r)
			}))
			t.Cleanup(srv.Close)
			inv := collectMacieArea(t, srv.URL)
			if failed := len(inv.Coverage.Failed) > 0; failed != tt.wantFailed {
				t.Fatalf("failed areas = %+v, want failed %v", inv.Coverage.Failed, tt.wantFailed)
			}
			if tt.wantFailed {
				return
			}
			md := inv.Regional["us-east-1"].Macie
			if md == nil || md.Discovery == nil {
				t.Fatalf("macie = %+v, want discovery data", md)
			}
			d := md.Discovery
			if d.Status != tt.wantStatus || len(d.Buckets) != tt.wantBuckets {
				t.Fatalf("discovery status %s with %d buckets, want %s with %d", d.Status, len(d.Buckets), tt.wantStatus, tt.wantBuckets)
			}
			if tt.wantStatus == inventory.MacieDiscoveryEnabled {
				if len(disc.describes) != tt.wantDescribes {
					t.Errorf("DescribeBuckets calls = %d, want %d", len(disc.describes), tt.wantDescribes)
				}
				for i := 1; i < len(d.Buckets); i++ {
					if d.Buckets[i-1].Bucket >= d.Buckets[i].Bucket {
						t.Fatalf("buckets not sorted: %s then %s", d.Buckets[i-1].Bucket, d.Buckets[i].Bucket)
					}
				}
				// bucket-119 was served first (i = 0): score -1, monitored, 0 objects.
				first := d.Buckets[len(d.Buckets)-1]
				if first.Bucket != "bucket-119" || first.Score != -1 || !first.Monitored || first.ClassifiableObjects != 0 {
					t.Errorf("bucket-119 = %+v", first)
				}
				b := d.Buckets[len(d.Buckets)-2] // bucket-118, i = 1
				if b.Score != 0 || b.Monitored || b.ClassifiableObjects != 10 || b.ARN != "arn:aws:s3:::bucket-118" || b.Account != seedAccount {
					t.Errorf("bucket-118 = %+v", b)
				}
			} else if len(disc.describes) != 0 {
				t.Errorf("DescribeBuckets called %d times while discovery is %s", len(disc.describes), tt.wantStatus)
			}
		})
	}
}
