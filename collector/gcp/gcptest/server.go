package gcptest

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/breachpath/breachpath/collector/gcp/inventory"
)

// Fault makes the server fail requests for some asset types.
type Fault struct {
	// Types whose listing fails; empty matches the IAM-policy listing
	// when Policies is set.
	Types    []string
	Policies bool
	// Status is the HTTP status answered (429 throttling, 503 ...).
	Status int
	// Times is how many requests fail before the server answers; 0: all.
	Times  int
	failed int
}

// AssetServer answers the Cloud Asset API v1 ListAssets REST call
// (GET /v1/{parent}/assets) from a fixed set of assets, as documented:
// assetTypes filter, contentType RESOURCE / IAM_POLICY / ORG_POLICY (names
// or the enum numbers the Go client sends), pageSize / pageToken paging,
// and errors in the google.rpc.Status JSON shape.
type AssetServer struct {
	*httptest.Server
	mu        sync.Mutex
	resources []*inventory.Asset
	policies  []*inventory.Asset
	faults    []*Fault
	// Requests counts the requests served, failures included.
	Requests int
}

// NewAssetServer starts a server over the lab's (or any) assets.
func NewAssetServer(resources, policies []*inventory.Asset, faults ...*Fault) *AssetServer {
	s := &AssetServer{resources: resources, policies: policies, faults: faults}
	s.Server = httptest.NewServer(http.HandlerFunc(s.serve))
	return s
}

func (s *AssetServer) serve(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.Requests++
	if r.Method == http.MethodGet && strings.HasSuffix(r.URL.Path, "/activityTypes/serviceAccountKeyLastAuthentication/activities:query") {
		// Policy Analyzer v1 activities:query (same server, another API).
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]any{"activities": KeyActivities()})
		return
	}
	if r.Method != http.MethodGet || !strings.HasPrefix(r.URL.Path, "/v1/") || !strings.HasSuffix(r.URL.Path, "/assets") {
		writeError(w, http.StatusNotFound, "NOT_FOUND", "unknown method "+r.URL.Path)
		return
	}
	parent := strings.TrimSuffix(strings.TrimPrefix(r.URL.Path, "/v1/"), "/assets")
	q := r.URL.Query()
	types := q["assetTypes"]
	content := q.Get("contentType")
	for _, f := range s.faults {
		hit := (f.Policies && (content == "IAM_POLICY" || content == "2")) ||
			(len(f.Types) > 0 && slices.ContainsFunc(types, func(t string) bool { return slices.Contains(f.Types, t) }))
		if !hit {
			continue
		}
		if f.Times > 0 && f.failed >= f.Times {
			continue // spent: answer from now on
		}
		f.failed++
		status := map[int]string{429: "RESOURCE_EXHAUSTED", 503: "UNAVAILABLE", 403: "PERMISSION_DENIED"}[f.Status]
		writeError(w, f.Status, status, "injected failure")
		return
	}
	var src []*inventory.Asset
	switch content {
	case "RESOURCE", "1":
		src = s.resources
	case "IAM_POLICY", "2":
		src = s.policies
	case "ORG_POLICY", "4":
		for _, a := range append(slices.Clone(s.resources), s.policies...) {
			if len(a.OrgPolicy) > 0 {
				src = append(src, a)
			}
		}
	case "", "0", "CONTENT_TYPE_UNSPECIFIED":
		src = s.resources
	default:
		writeError(w, http.StatusBadRequest, "INVALID_ARGUMENT", "unsupported content type "+content)
		return
	}
	var out []map[string]any
	for _, a := range src {
		if len(types) > 0 && !slices.Contains(types, a.AssetType) {
			continue
		}
		if !inScope(a, parent) {
			continue
		}
		m := map[string]any{"name": a.Name, "assetType": a.AssetType, "ancestors": a.Ancestors}
		switch content {
		case "IAM_POLICY", "2":
			m["iamPolicy"] = a.IAMPolicy
		case "ORG_POLICY", "4":
			m["orgPolicy"] = a.OrgPolicy
		default:
			if a.Resource == nil {
				continue
			}
			m["resource"] = a.Resource
		}
		out = append(out, m)
	}
	size, _ := strconv.Atoi(q.Get("pageSize"))
	if size <= 0 || size > 1000 {
		size = 100
	}
	start, _ := strconv.Atoi(q.Get("pageToken"))
	start = min(max(start, 0), len(out))
	end := min(start+size, len(out))
	resp := map[string]any{"assets": out[start:end], "readTime": "2026-12-06T07:00:00Z"}
	if end < len(out) {
		resp["nextPageToken"] = strconv.Itoa(end)
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(resp)
}

// inScope reports whether an asset is under the parent (its ancestors
// name it, or it is the parent itself).
func inScope(a *inventory.Asset, parent string) bool {
	if slices.Contains(a.Ancestors, parent) {
		return true
	}
	// projects/<id> parents: the API accepts the id; ancestors hold the number.
	if id, ok := strings.CutPrefix(parent, "projects/"); ok && id == ProjectID {
		return slices.Contains(a.Ancestors, "projects/"+ProjectNumber)
	}
	return false
}

func writeError(w http.ResponseWriter, code int, status, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(map[string]any{"error": map[string]any{"code": code, "message": msg, "status": status}})
}
