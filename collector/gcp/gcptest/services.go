package gcptest

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/breachpath/breachpath/collector/gcp/inventory"
)

// ServiceFault makes the service server fail the requests of one API.
type ServiceFault struct {
	API    string // "compute", "bigquery", "secretmanager", "sql", "cloudfunctions", "run", "container", "cloudkms"
	Status int    // 429, 503, 403 ...
	Times  int    // how many requests fail before the server answers; 0: all
	failed int
}

// ServiceServer answers the documented REST shapes of the service APIs
// the collector reads for detail, from a fixed set of assets (their
// resource data is each service's own REST representation, as in the
// asset inventory):
//
//   - Compute Engine v1: aggregated and global lists
//     (GET projects/{p}/aggregated/{collection}, projects/{p}/global/{collection})
//     with maxResults/pageToken paging (two items a page unless asked),
//     instanceGroups.listInstances (POST) and projects.get;
//   - BigQuery v2 datasets.list / datasets.get;
//   - Secret Manager v1 secrets.list and :getIamPolicy;
//   - Cloud SQL Admin v1 instances.list;
//   - Cloud Functions v2 functions.list (locations/-) and :getIamPolicy,
//     1st gen functions rendered in the v2 shape the API returns;
//   - Cloud Run Admin v2 services.list (one region, no wildcard) and :getIamPolicy;
//   - GKE v1 clusters.list (locations/-);
//   - Cloud KMS v1 cryptoKeys.list and :getIamPolicy.
//
// Each API is served under its own first path segment (Endpoint), so one
// server stands in for every host; errors use the google.rpc.Status JSON shape.
type ServiceServer struct {
	*httptest.Server
	mu        sync.Mutex
	resources []*inventory.Asset
	policies  map[string]*inventory.Policy
	members   map[string][]string
	faults    []*ServiceFault
	// Requests counts requests per API.
	Requests map[string]int
	// DenyPolicies are answered by the IAM v2 policies API (set before the
	// first request).
	DenyPolicies []inventory.DenyPolicy
	// Perimeters are answered by Access Context Manager v1 (their access
	// policy is the accessPolicies/<p> prefix of their name; every policy
	// belongs to the lab organisation).
	Perimeters []inventory.Perimeter
	// DataProfiles are Sensitive Data Protection data profiles (table, file
	// store and project profiles in their REST shape), answered by DLP v2
	// projects|organizations.locations.<kind>.list under the parent and
	// location their name starts with.
	DataProfiles []map[string]any
	// DLPDisabled answers every DLP call as an API that is not enabled
	// (403 SERVICE_DISABLED, the documented ErrorInfo).
	DLPDisabled bool
	// Insights are the IAM recommender's google.iam.policy.Insight
	// insights per project id, answered by Recommender v1.
	Insights map[string][]map[string]any
}

// NewServiceServer starts a server over the assets; members lists the
// instances (self links) of each instance group by full name.
func NewServiceServer(resources, policies []*inventory.Asset, members map[string][]string, faults ...*ServiceFault) *ServiceServer {
	s := &ServiceServer{resources: resources, policies: map[string]*inventory.Policy{}, members: members, faults: faults,
		Requests: map[string]int{}}
	for _, p := range policies {
		if p.IAMPolicy != nil {
			s.policies[p.Name] = p.IAMPolicy
		}
	}
	s.Server = httptest.NewServer(http.HandlerFunc(s.serve))
	return s
}

// basePaths are the APIs' documented base paths below the host.
var basePaths = map[string]string{"compute": "compute/v1/", "bigquery": "bigquery/v2/"}

// Endpoint returns the endpoint to give the API's client (option.WithEndpoint
// or CLOUDSDK_API_ENDPOINT_OVERRIDES_<API>).
func (s *ServiceServer) Endpoint(api string) string { return s.URL + "/" + api + "/" + basePaths[api] }

func (s *ServiceServer) serve(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	api, path, _ := strings.Cut(strings.TrimPrefix(r.URL.Path, "/"), "/")
	s.Requests[api]++
	for _, f := range s.faults {
		if f.API != api || (f.Times > 0 && f.failed >= f.Times) {
			continue
		}
		f.failed++
		writeError(w, f.Status, map[int]string{429: "RESOURCE_EXHAUSTED", 503: "UNAVAILABLE", 403: "PERMISSION_DENIED", 500: "INTERNAL"}[f.Status], "injected failure")
		return
	}
	path = strings.TrimPrefix(path, basePaths[api])
	var resp any
	ok := false
	switch api {
	case "compute":
		resp, ok = s.compute(r, path)
	case "bigquery":
		resp, ok = s.bigquery(path)
	case "secretmanager":
		resp, ok = s.list(path, "v1/", "/secrets", inventory.TypeSecret, "secrets", nil)
	case "sql":
		resp, ok = s.list(path, "v1/", "/instances", inventory.TypeSQLInstance, "items", nil)
	case "cloudfunctions":
		resp, ok = s.list(path, "v2/", "/functions", "", "functions", functionV2)
	case "run":
		resp, ok = s.list(path, "v2/", "/services", inventory.TypeRunService, "services", nil)
	case "container":
		resp, ok = s.list(path, "v1/", "/clusters", inventory.TypeCluster, "clusters", nil)
	case "cloudkms":
		resp, ok = s.list(path, "v1/", "/cryptoKeys", inventory.TypeCryptoKey, "cryptoKeys", nil)
	case "recommender":
		rest, ok1 := strings.CutPrefix(path, "v1/projects/")
		project, tail, _ := strings.Cut(rest, "/")
		ok = ok1 && tail == "locations/global/insightTypes/google.iam.policy.Insight/insights"
		resp = map[string]any{"insights": s.Insights[project]}
	case "accesscontextmanager":
		resp, ok = s.accessPolicies(r, path)
	case "dlp":
		if s.DLPDisabled {
			writeServiceDisabled(w, "dlp.googleapis.com")
			return
		}
		resp, ok = s.dataProfiles(path)
	case "iam":
		// The attachment point is URL-encoded inside the name (%2F); the
		// client escapes the name once more, so the path decoded once
		// holds the documented name.
		resp, ok = s.denyPolicies(path)
	}
	if !ok {
		writeError(w, http.StatusNotFound, "NOT_FOUND", "unknown method "+r.Method+" "+r.URL.Path)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(resp)
}

// data returns an asset's resource data as a JSON object.
func data(a *inventory.Asset) map[string]any {
	var m map[string]any
	if a.Resource != nil {
		_ = json.Unmarshal(a.Resource.Data, &m)
	}
	if m == nil {
		m = map[string]any{}
	}
	return m
}

// underParent reports whether a full name lies below a REST parent
// ("projects/p/locations/us-west1/keyRings/r"); "-" matches any segment
// and the project may be given by id or number.
func underParent(full, parent string) bool {
	rel := full[strings.Index(full[2:], "/")+3:]
	ps, rs := strings.Split(parent, "/"), strings.Split(rel, "/")
	if len(rs) <= len(ps) {
		return false
	}
	for i, p := range ps {
		if p == "-" || p == rs[i] || (i == 1 && (p == ProjectID || p == ProjectNumber) && (rs[i] == ProjectID || rs[i] == ProjectNumber)) {
			continue
		}
		return false
	}
	return true
}

// list answers a collection list ({parent}{suffix}) or a :getIamPolicy.
func (s *ServiceServer) list(path, version, suffix, typ, key string, render func(*inventory.Asset) map[string]any) (any, bool) {
	rest, ok := strings.CutPrefix(path, version)
	if !ok {
		return nil, false
	}
	if res, ok := strings.CutSuffix(rest, ":getIamPolicy"); ok {
		for name, p := range s.policies {
			if strings.HasSuffix(name, "/"+res) || strings.HasSuffix(name, "/"+swapProject(res)) {
				return map[string]any{"version": 1, "bindings": p.Bindings, "etag": "BwYAAAAAAAA="}, true
			}
		}
		return map[string]any{"etag": "ACAB"}, true // no binding: the documented empty policy
	}
	parent, ok := strings.CutSuffix(rest, suffix)
	if !ok {
		return nil, false
	}
	var items []map[string]any
	for _, a := range s.resources {
		match := a.AssetType == typ || (typ == "" && (a.AssetType == inventory.TypeFunctionV1 || a.AssetType == inventory.TypeFunctionV2))
		if !match || !underParent(a.Name, parent) {
			continue
		}
		if render != nil {
			items = append(items, render(a))
		} else {
			items = append(items, data(a))
		}
	}
	return map[string]any{key: items}, true
}

func swapProject(name string) string {
	if strings.Contains(name, "projects/"+ProjectID+"/") {
		return strings.Replace(name, "projects/"+ProjectID+"/", "projects/"+ProjectNumber+"/", 1)
	}
	return strings.Replace(name, "projects/"+ProjectNumber+"/", "projects/"+ProjectID+"/", 1)
}

// denyPolicies answers IAM v2 policies.listPolicies (metadata only, no
// rules, as documented) and policies.get.
func (s *ServiceServer) denyPolicies(path string) (any, bool) {
	rest, ok := strings.CutPrefix(path, "v2/")
	if !ok {
		return nil, false
	}
	if strings.HasSuffix(rest, "/denypolicies") {
		var out []map[string]any
		for _, p := range s.DenyPolicies {
			if strings.HasPrefix(p.Name, rest+"/") {
				out = append(out, map[string]any{"name": p.Name, "kind": "DenyPolicy", "displayName": p.DisplayName})
			}
		}
		return map[string]any{"policies": out}, true
	}
	for _, p := range s.DenyPolicies {
		if p.Name == rest {
			return p, true
		}
	}
	return nil, false
}

// accessPolicies answers accessPolicies.list (parent organizations/N) and
// servicePerimeters.list.
func (s *ServiceServer) accessPolicies(r *http.Request, path string) (any, bool) {
	switch {
	case path == "v1/accessPolicies":
		if r.URL.Query().Get("parent") != "organizations/"+OrgNumber {
			return map[string]any{}, true
		}
		var out []map[string]any
		seen := map[string]bool{}
		for _, p := range s.Perimeters {
			pol, _, _ := strings.Cut(p.Name, "/servicePerimeters/")
			if !seen[pol] {
				seen[pol] = true
				out = append(out, map[string]any{"name": pol, "parent": "organizations/" + OrgNumber, "title": "lab policy"})
			}
		}
		return map[string]any{"accessPolicies": out}, true
	case strings.HasPrefix(path, "v1/accessPolicies/") && strings.HasSuffix(path, "/servicePerimeters"):
		pol := strings.TrimSuffix(strings.TrimPrefix(path, "v1/"), "/servicePerimeters")
		var out []inventory.Perimeter
		for _, p := range s.Perimeters {
			if strings.HasPrefix(p.Name, pol+"/") {
				out = append(out, p)
			}
		}
		return map[string]any{"servicePerimeters": out}, true
	}
	return nil, false
}

// functionV2 renders a function in the Cloud Functions v2 shape: 1st gen
// functions listed through v2 carry environment GEN_1, url and a
// serviceConfig with the runtime account, ingress and environment.
func functionV2(a *inventory.Asset) map[string]any {
	d := data(a)
	if a.AssetType != inventory.TypeFunctionV1 {
		return d
	}
	out := map[string]any{"name": d["name"], "environment": "GEN_1", "state": "ACTIVE", "labels": d["labels"]}
	sc := map[string]any{"serviceAccountEmail": d["serviceAccountEmail"], "ingressSettings": d["ingressSettings"],
		"environmentVariables": d["environmentVariables"]}
	if t, ok := d["httpsTrigger"].(map[string]any); ok {
		out["url"], sc["uri"] = t["url"], t["url"]
	}
	out["serviceConfig"] = sc
	return out
}

// bigquery answers datasets.list (references only) and datasets.get.
func (s *ServiceServer) bigquery(path string) (any, bool) {
	parts := strings.Split(path, "/") // projects/p/datasets[/d]
	if len(parts) < 3 || parts[0] != "projects" || parts[2] != "datasets" {
		return nil, false
	}
	var list []map[string]any
	for _, a := range s.resources {
		if a.AssetType != inventory.TypeDataset || !strings.Contains(a.Name, "/projects/"+parts[1]+"/") {
			continue
		}
		d := data(a)
		if len(parts) == 4 {
			if inventory.LastSegment(a.Name) == parts[3] {
				return d, true
			}
			continue
		}
		list = append(list, map[string]any{"kind": "bigquery#dataset", "id": parts[1] + ":" + inventory.LastSegment(a.Name),
			"datasetReference": d["datasetReference"], "location": d["location"]})
	}
	if len(parts) == 4 {
		return nil, false
	}
	return map[string]any{"kind": "bigquery#datasetList", "datasets": list}, true
}

// computeTypes maps a URL collection to the asset types it lists.
var computeTypes = map[string][]string{
	"instances":          {inventory.TypeInstance},
	"firewalls":          {inventory.TypeFirewall},
	"networks":           {inventory.TypeNetwork},
	"subnetworks":        {inventory.TypeSubnetwork},
	"routes":             {inventory.TypeRoute},
	"forwardingRules":    {inventory.TypeForwardingRule, inventory.TypeGlobalFwdRule},
	"targetPools":        {inventory.TypeTargetPool},
	"backendServices":    {inventory.TypeBackendService, inventory.TypeRegionBackendService},
	"urlMaps":            {inventory.TypeURLMap},
	"targetHttpProxies":  {inventory.TypeTargetHTTPProxy},
	"targetHttpsProxies": {inventory.TypeTargetHTTPSProxy},
	"targetTcpProxies":   {inventory.TypeTargetTCPProxy},
	"targetSslProxies":   {inventory.TypeTargetSSLProxy},
	"instanceGroups":     {inventory.TypeInstanceGroup},
}

// compute answers the Compute Engine calls.
func (s *ServiceServer) compute(r *http.Request, path string) (any, bool) {
	parts := strings.Split(path, "/")
	if len(parts) < 2 || parts[0] != "projects" {
		return nil, false
	}
	project := parts[1]
	prefix := "//compute.googleapis.com/projects/" + project + "/"
	switch {
	case len(parts) == 2 && r.Method == http.MethodGet:
		d := map[string]any{"name": project, "kind": "compute#project"}
		if a := s.find(prefix[:len(prefix)-1]); a != nil {
			for k, v := range data(a) {
				d[k] = v
			}
		}
		return d, true
	case len(parts) == 7 && parts[6] == "listInstances" && r.Method == http.MethodPost:
		var items []map[string]any
		for _, m := range s.members[prefix+strings.Join(parts[2:6], "/")] {
			items = append(items, map[string]any{"instance": m, "status": "RUNNING"})
		}
		return map[string]any{"kind": "compute#instanceGroupsListInstances", "items": items}, true
	case len(parts) == 4 && (parts[2] == "aggregated" || parts[2] == "global") && r.Method == http.MethodGet:
		types, ok := computeTypes[parts[3]]
		if !ok {
			return nil, false
		}
		var sel []*inventory.Asset
		for _, a := range s.resources {
			rest, ok := strings.CutPrefix(a.Name, prefix)
			if !ok || !slices.Contains(types, a.AssetType) {
				continue
			}
			scope := scopeOf(rest)
			if parts[2] == "global" && scope != "global" {
				continue
			}
			if parts[2] == "aggregated" && parts[3] == "forwardingRules" && scope == "global" {
				continue // global forwarding rules have their own list
			}
			sel = append(sel, a)
		}
		size, _ := strconv.Atoi(r.URL.Query().Get("maxResults"))
		if size <= 0 {
			size = 2
		}
		start, _ := strconv.Atoi(r.URL.Query().Get("pageToken"))
		start = min(max(start, 0), len(sel))
		end := min(start+size, len(sel))
		resp := map[string]any{"kind": "compute#list", "id": "projects/" + project}
		if end < len(sel) {
			resp["nextPageToken"] = strconv.Itoa(end)
		}
		if parts[2] == "global" {
			var items []map[string]any
			for _, a := range sel[start:end] {
				items = append(items, data(a))
			}
			resp["items"] = items
			return resp, true
		}
		items := map[string]any{}
		for _, a := range sel[start:end] {
			scope := scopeOf(strings.TrimPrefix(a.Name, prefix))
			sl, _ := items[scope].(map[string]any)
			if sl == nil {
				sl = map[string]any{parts[3]: []map[string]any{}}
				items[scope] = sl
			}
			sl[parts[3]] = append(sl[parts[3]].([]map[string]any), data(a))
		}
		// Empty scopes carry a warning, as the API's do.
		items["zones/us-east1-b"] = map[string]any{"warning": map[string]any{"code": "NO_RESULTS_ON_PAGE", "message": "There are no results for scope 'zones/us-east1-b' on this page."}}
		resp["items"] = items
		return resp, true
	}
	return nil, false
}

// scopeOf returns "global", "zones/z" or "regions/r" of a name relative to its project.
func scopeOf(rel string) string {
	parts := strings.Split(rel, "/")
	if len(parts) >= 2 && (parts[0] == "zones" || parts[0] == "regions") {
		return parts[0] + "/" + parts[1]
	}
	return "global"
}

func (s *ServiceServer) find(name string) *inventory.Asset {
	for _, a := range s.resources {
		if a.Name == name {
			return a
		}
	}
	return nil
}

// Env returns the CLOUDSDK_API_ENDPOINT_OVERRIDES_<API> variables that point
// every service API at this server, for fetch.EndpointOptions.
func (s *ServiceServer) Env() map[string]string {
	out := map[string]string{}
	for _, api := range []string{"compute", "bigquery", "secretmanager", "sql", "cloudfunctions", "run", "container", "cloudkms", "iam", "accesscontextmanager", "recommender", "dlp"} {
		out["CLOUDSDK_API_ENDPOINT_OVERRIDES_"+strings.ToUpper(api)] = s.Endpoint(api)
	}
	return out
}

// Servers are local stand-ins for every API a live collection calls: the
// Cloud Asset API (and Policy Analyzer), fake-gcs-server and the service APIs.
type Servers struct {
	Assets   *AssetServer
	Storage  *StorageServer
	Services *ServiceServer
}

// StartServers starts the three servers over the same assets (the lab's
// buckets in fake-gcs-server) and stops them when the test ends.
func StartServers(t testing.TB, res, pol []*inventory.Asset, members map[string][]string, faults []*Fault, svcFaults ...*ServiceFault) *Servers {
	t.Helper()
	as := NewAssetServer(res, pol, faults...)
	t.Cleanup(as.Close)
	// The storage server holds the buckets the inventory lists, as the
	// Storage API of the same organisation would.
	var buckets []string
	for _, a := range res {
		if a.AssetType == inventory.TypeBucket {
			buckets = append(buckets, strings.TrimPrefix(a.Name, "//storage.googleapis.com/"))
		}
	}
	ss, err := NewStorageServer(buckets...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(ss.Stop)
	svc := NewServiceServer(res, pol, members, svcFaults...)
	t.Cleanup(svc.Close)
	return &Servers{Assets: as, Storage: ss, Services: svc}
}

// Env returns the CLOUDSDK_API_ENDPOINT_OVERRIDES_<API> variables for every API.
func (s *Servers) Env() map[string]string {
	env := s.Services.Env()
	env["CLOUDSDK_API_ENDPOINT_OVERRIDES_CLOUDASSET"] = s.Assets.URL
	env["CLOUDSDK_API_ENDPOINT_OVERRIDES_POLICYANALYZER"] = s.Assets.URL + "/"
	env["CLOUDSDK_API_ENDPOINT_OVERRIDES_STORAGE"] = s.Storage.Endpoint()
	return env
}

// dataProfiles answers v2/<parent>/locations/<l>/<kind> with the profiles
// named under it ({"<kind>": [...]}, no next page).
func (s *ServiceServer) dataProfiles(path string) (any, bool) {
	rest, ok := strings.CutPrefix(path, "v2/")
	kind := rest[strings.LastIndex(rest, "/")+1:]
	if !ok || (kind != inventory.ProfileTable && kind != inventory.ProfileFileStore && kind != inventory.ProfileProject) {
		return nil, false
	}
	out := []map[string]any{}
	for _, p := range s.DataProfiles {
		if name, _ := p["name"].(string); strings.HasPrefix(name, rest+"/") {
			out = append(out, p)
		}
	}
	return map[string]any{kind: out}, true
}

// writeServiceDisabled answers as Google APIs do when the API is not
// enabled in the project: 403 PERMISSION_DENIED with an ErrorInfo of
// reason SERVICE_DISABLED.
func writeServiceDisabled(w http.ResponseWriter, service string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusForbidden)
	_ = json.NewEncoder(w).Encode(map[string]any{"error": map[string]any{"code": 403, "status": "PERMISSION_DENIED",
		"message": service + " has not been used in project before or it is disabled.",
		"details": []map[string]any{{"@type": "type.googleapis.com/google.rpc.ErrorInfo", "reason": "SERVICE_DISABLED",
			"domain": "googleapis.com", "metadata": map[string]string{"service": service}}}}})
}
