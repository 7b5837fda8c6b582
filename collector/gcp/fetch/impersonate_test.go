package fetch

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	dlp "google.golang.org/api/dlp/v2"
	"google.golang.org/api/option"
)

// iamCredentials answers IAM Credentials generateAccessToken (documented
// shape: POST /v1/projects/-/serviceAccounts/{email}:generateAccessToken with
// {"scope": [...], "lifetime": "3600s"}, answering {"accessToken",
// "expireTime"}); each token remembers the scope it was issued for.
type iamCredentials struct {
	mu     sync.Mutex
	scopes map[string]string // token -> scope
}

func (f *iamCredentials) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Scope []string `json:"scope"`
	}
	if r.Method != http.MethodPost || !strings.HasSuffix(r.URL.Path, ":generateAccessToken") || json.NewDecoder(r.Body).Decode(&req) != nil || len(req.Scope) != 1 {
		http.Error(w, `{"error":{"code":400,"message":"bad request"}}`, http.StatusBadRequest)
		return
	}
	f.mu.Lock()
	tok := "ya29.test-" + string(rune('a'+len(f.scopes)))
	f.scopes[tok] = req.Scope[0]
	f.mu.Unlock()
	_ = json.NewEncoder(w).Encode(map[string]string{"accessToken": tok, "expireTime": time.Now().Add(time.Hour).UTC().Format(time.RFC3339)})
}

// scopeChecked answers the DLP table data profile listing as the API does:
// a token without the cloud-platform scope gets 403
// ACCESS_TOKEN_SCOPE_INSUFFICIENT.
func scopeChecked(iam *iamCredentials) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		iam.mu.Lock()
		scope := iam.scopes[strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")]
		iam.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		if scope != CloudPlatformScope {
			w.WriteHeader(http.StatusForbidden)
			_, _ = w.Write([]byte(`{"error":{"code":403,"message":"Request had insufficient authentication scopes.","status":"PERMISSION_DENIED",
			 "details":[{"@type":"type.googleapis.com/google.rpc.ErrorInfo","reason":"ACCESS_TOKEN_SCOPE_INSUFFICIENT","domain":"googleapis.com"}]}}`))
			return
		}
		_, _ = w.Write([]byte(`{"tableDataProfiles":[]}`))
	})
}

// to sends every request to the test server, whatever host it names (the
// IAM Credentials endpoint is fixed in the impersonate package).
type to struct{ u *url.URL }

func (t to) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.URL.Scheme, r.URL.Host = t.u.Scheme, t.u.Host
	return http.DefaultTransport.RoundTrip(r)
}

// Impersonating a service account used to ask for one read-only token for
// every API; the Sensitive Data Protection API refuses it, so DLP failed
// under --impersonate-service-account. Apply gives DLP a cloud-platform
// token and every other API the read-only one.
func TestImpersonationGivesDLPTheScopeItAccepts(t *testing.T) {
	iam := &iamCredentials{scopes: map[string]string{}}
	iamSrv := httptest.NewServer(iam)
	defer iamSrv.Close()
	dlpSrv := httptest.NewServer(scopeChecked(iam))
	defer dlpSrv.Close()
	u, _ := url.Parse(iamSrv.URL)
	ctx := context.Background()
	imp, err := Impersonate(ctx, "collector@p.iam.gserviceaccount.com", option.WithHTTPClient(&http.Client{Transport: to{u}}))
	if err != nil {
		t.Fatal(err)
	}
	o := Options{ServiceOptions: map[string][]option.ClientOption{APIDLP: {option.WithEndpoint(dlpSrv.URL + "/")}}}
	imp.Apply(&o)
	c := &collector{opts: o}
	list := func(opts []option.ClientOption) error {
		svc, err := dlp.NewService(ctx, opts...)
		if err != nil {
			return err
		}
		_, err = svc.Projects.Locations.TableDataProfiles.List("projects/p/locations/us").Context(ctx).Do()
		return err
	}
	tests := []struct {
		name    string
		opts    []option.ClientOption
		wantErr string
	}{
		{"the DLP client gets the cloud-platform token", c.clientOptions(APIDLP), ""},
		{"the read-only token every other client gets is refused, as before the fix",
			append(append([]option.ClientOption{}, o.ClientOptions...), option.WithEndpoint(dlpSrv.URL+"/")), "insufficient authentication scopes"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := list(tc.opts)
			if tc.wantErr == "" && err != nil || tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)) {
				t.Fatalf("list table data profiles: %v, want %q", err, tc.wantErr)
			}
		})
	}
	iam.mu.Lock()
	defer iam.mu.Unlock()
	asked := map[string]bool{}
	for _, s := range iam.scopes {
		asked[s] = true
	}
	if !asked[ReadOnlyScope] || !asked[CloudPlatformScope] || len(asked) != 2 {
		t.Fatalf("scopes asked of IAM Credentials: %v", asked)
	}
}
