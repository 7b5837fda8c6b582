package api

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// FuzzQueries sends arbitrary paths and query strings through the whole
// handler: whatever the input, the answer is never a 5xx and every error is
// the error JSON.
func FuzzQueries(f *testing.F) {
	for _, seed := range []string{
		"/api/v1/paths?limit=5&sort=hops&cloud=aws&min_risk=3.5",
		"/api/v1/paths?cursor=eyJnIjoiMSJ9&limit=-1",
		"/api/v1/paths?min_risk=NaN&min_sensitivity=secret",
		"/api/v1/findings?all=1&severity=high&rule=x&resource=y",
		"/api/v1/plan/whatif?fix=a&fix=b",
		"/api/v1/nodes/%2F%2F..%2F",
		"/api/v1/nodes/neighbourhood?id=internet&depth=3&limit=2000",
		"/api/v1/search?q=%00%ff",
		"/api/v1/queue?format=csv",
		"/api/v1/queries/public-sensitive-data?max_hops=99",
		"/api/v1/paths/path:%zz",
		"/../../etc/passwd",
	} {
		f.Add(seed)
	}
	s, err := New(Config{Store: smallStore(f), Token: testToken, Rate: 1e9, Burst: 1 << 30,
		Logger: quietLogger()})
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, target string) {
		if !strings.HasPrefix(target, "/") || strings.ContainsAny(target, " \r\n\t#") {
			return // not a request target a client can send
		}
		req, err := http.NewRequest(http.MethodGet, "http://127.0.0.1"+target, nil)
		if err != nil {
			return
		}
		req.Header.Set("Authorization", "Bearer "+testToken)
		rec := httptest.NewRecorder()
		s.ServeHTTP(rec, req)
		if rec.Code >= 500 && rec.Code != http.StatusServiceUnavailable {
			t.Fatalf("%s: %d %s", target, rec.Code, rec.Body)
		}
		if rec.Code >= 400 {
			var e ErrorBody
			if err := json.Unmarshal(rec.Body.Bytes(), &e); err != nil || e.Error.Code == "" {
				t.Fatalf("%s: %d without error JSON: %s", target, rec.Code, rec.Body)
			}
		}
	})
}
