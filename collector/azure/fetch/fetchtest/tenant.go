// Package fetchtest serves a small Azure tenant to collector/azure/fetch in
// tests: the SDK's own fake servers (armsubscriptions, armresourcegraph,
// armstorage, armkeyvault, armsql, armnetwork) behind the real SDK clients, and local
// handlers answering the documented REST shapes of the ARM calls made on
// azcore's pipeline (App Service settings, Automation variables, federated
// credentials, RBAC) and of Microsoft Graph v1.0 (and the beta service
// principal sign-in report), and armmonitor's fake for the Activity Log.
// Areas can be made to
// fail (HTTP 429 on every attempt, or any other status) to exercise the
// stale rule.
package fetchtest

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	azfake "github.com/Azure/azure-sdk-for-go/sdk/azcore/fake"
	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/keyvault/armkeyvault"
	kvfake "github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/keyvault/armkeyvault/fake"
	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/monitor/armmonitor"
	monfake "github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/monitor/armmonitor/fake"
	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/network/armnetwork/v7"
	netfake "github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/network/armnetwork/v7/fake"
	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/resourcegraph/armresourcegraph"
	rgfake "github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/resourcegraph/armresourcegraph/fake"
	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/resources/armpolicy"
	polfake "github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/resources/armpolicy/fake"
	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/resources/armsubscriptions"
	subfake "github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/resources/armsubscriptions/fake"
	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/sql/armsql"
	sqlfake "github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/sql/armsql/fake"
	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/storage/armstorage"
	stfake "github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/storage/armstorage/fake"

	"github.com/breachpath/breachpath/collector/azure/inventory"
)

// Tenant is the data the fakes serve.
type Tenant struct {
	TenantID      string
	Subscriptions []string
	// Rows are what Resource Graph answers (resources and resourcecontainers).
	Rows []map[string]any
	// Provider details, ARM-shaped, keyed by parent resource id (lower-case).
	Containers    map[string][]map[string]any
	Secrets       map[string][]map[string]any
	Keys          map[string][]map[string]any
	FirewallRules map[string][]map[string]any
	// SQLVNetRules are SQL servers' virtual network rules by server id.
	SQLVNetRules map[string][]map[string]any
	Variables    map[string][]map[string]any
	Federated    map[string][]map[string]any
	// Network holds what the armnetwork and armpolicy fakes serve, keyed by
	// lower-case ARM type (private endpoints, route tables, Azure Firewalls,
	// firewall policies and their rule collection groups; Azure Policy
	// assignments, definitions and set definitions).
	Network map[string][]map[string]any
	// AppSettings maps a site id to its settings (name -> value); the
	// values exist only to prove the collector drops them.
	AppSettings map[string]map[string]string
	AuthEnabled map[string]bool
	// RBAC, ARM-shaped, served for every subscription.
	RoleAssignments []map[string]any
	RoleDefinitions []map[string]any
	DenyAssignments []map[string]any
	// Graph collections by path ("/v1.0/users", "/v1.0/groups/<id>/members", ...).
	Graph map[string][]map[string]any
	// Purview are the Microsoft Purview Data Map search results
	// (SearchResultValue) answered by POST
	// https://<account>.purview.azure.com/datamap/api/search/query, in
	// pages of the request's limit with a continuationToken.
	Purview []map[string]any
	// SignInForbidden makes Graph refuse a users request that selects
	// signInActivity (403, as without AuditLog.Read.All or an Entra ID P1
	// licence). Users' signInActivity is only returned when selected.
	SignInForbidden bool
	// ServicePrincipalSignIns are Microsoft Graph beta's
	// reports/servicePrincipalSignInActivities entries (documented shape:
	// appId, lastSignInActivity, applicationAuthenticationClientSignInActivity,
	// ... each with lastSignInDateTime); nil leaves the report unanswered
	// (404), so sign-in activity is unknown.
	ServicePrincipalSignIns []map[string]any
	// ServicePrincipalSignInForbidden makes that report answer 403, as
	// without AuditLog.Read.All.
	ServicePrincipalSignInForbidden bool
	// ActivityLog holds each subscription's Activity Log events in the
	// documented EventData shape, served by armmonitor's fake
	// ActivityLogsServer behind the real ActivityLogsClient; the events
	// outside the request's eventTimestamp filter are left out, and
	// ActivityPageSize (0: one page) splits the answer into pages.
	ActivityLog      map[string][]map[string]any
	ActivityPageSize int
	// ActivityFilters records the $filter of each Activity Log request.
	ActivityFilters []string
	// Throttle makes the first n requests whose path contains the key
	// answer 429 with Retry-After, then serves them.
	Throttle map[string]int
	// Fail makes every request of an area answer this HTTP status.
	Fail map[string]int
	// FailPath makes every request whose path contains the key answer
	// this HTTP status.
	FailPath map[string]int

	requests atomic.Int64
	mu       sync.Mutex
	// netSub is the subscription of the network request being answered.
	netSub string
	// Seen counts requests per area.
	Seen map[string]int
}

// Requests returns how many HTTP requests the fakes answered.
func (t *Tenant) Requests() int64 { return t.requests.Load() }

// detailTypes are served by provider calls, not by Resource Graph.
var detailTypes = map[string]string{
	inventory.TypeBlobContainer:       "containers",
	inventory.TypeKeyVaultSecret:      "secrets",
	inventory.TypeKeyVaultKey:         "keys",
	inventory.TypeSQLFirewallRule:     "firewall",
	inventory.TypeSQLVNetRule:         "sqlvnet",
	inventory.TypeAutomationVariable:  "variables",
	inventory.TypeFederatedCredential: "federated",
	inventory.TypePrivateEndpoint:     "network",
	inventory.TypeRouteTable:          "network",
	inventory.TypeAzureFirewall:       "network",
	inventory.TypeFirewallPolicy:      "network",
	inventory.TypeFirewallPolicyRCG:   "network",
	inventory.TypePolicyAssignment:    "network",
	inventory.TypePolicyDefinition:    "network",
	inventory.TypePolicySetDefinition: "network",
}

// FromExport builds a tenant from an Azure Resource Graph export and an
// `az role assignment list` file: rows of types Resource Graph does not
// hold go to the provider fakes.
func FromExport(tenantID, resources, roleAssignments string) (*Tenant, error) {
	t := &Tenant{TenantID: tenantID, Containers: map[string][]map[string]any{}, Secrets: map[string][]map[string]any{},
		Keys: map[string][]map[string]any{}, FirewallRules: map[string][]map[string]any{}, SQLVNetRules: map[string][]map[string]any{}, Variables: map[string][]map[string]any{},
		Federated: map[string][]map[string]any{}, Network: map[string][]map[string]any{}, AppSettings: map[string]map[string]string{}, AuthEnabled: map[string]bool{},
		Graph: map[string][]map[string]any{}, Fail: map[string]int{}, FailPath: map[string]int{}, Seen: map[string]int{}}
	var exp struct {
		Data []map[string]any `json:"data"`
	}
	if err := readJSON(resources, &exp); err != nil {
		return nil, err
	}
	for _, row := range exp.Data {
		id := strings.ToLower(fmt.Sprint(row["id"]))
		typ := strings.ToLower(fmt.Sprint(row["type"]))
		if typ == inventory.TypeSubscription {
			t.Subscriptions = append(t.Subscriptions, inventory.SubscriptionOf(id))
		}
		switch detailTypes[typ] {
		case "containers":
			acct := id[:strings.Index(id, "/blobservices/")]
			t.Containers[acct] = append(t.Containers[acct], row)
		case "secrets":
			t.Secrets[inventory.Parent(id)] = append(t.Secrets[inventory.Parent(id)], row)
		case "keys":
			t.Keys[inventory.Parent(id)] = append(t.Keys[inventory.Parent(id)], row)
		case "firewall":
			t.FirewallRules[inventory.Parent(id)] = append(t.FirewallRules[inventory.Parent(id)], row)
		case "sqlvnet":
			t.SQLVNetRules[inventory.Parent(id)] = append(t.SQLVNetRules[inventory.Parent(id)], row)
		case "variables":
			t.Variables[inventory.Parent(id)] = append(t.Variables[inventory.Parent(id)], row)
		case "federated":
			t.Federated[inventory.Parent(id)] = append(t.Federated[inventory.Parent(id)], row)
		case "network":
			t.Network[typ] = append(t.Network[typ], row)
		default:
			t.Rows = append(t.Rows, row)
		}
	}
	if roleAssignments != "" {
		var ras []map[string]any
		if err := readJSON(roleAssignments, &ras); err != nil {
			return nil, err
		}
		for _, ra := range ras {
			// az CLI output is flattened; ARM nests the fields in properties.
			t.RoleAssignments = append(t.RoleAssignments, map[string]any{"id": ra["id"], "name": ra["name"], "type": "Microsoft.Authorization/roleAssignments",
				"properties": map[string]any{"roleDefinitionId": ra["roleDefinitionId"], "principalId": ra["principalId"],
					"principalType": ra["principalType"], "scope": ra["scope"]}})
		}
	}
	return t, nil
}

func readJSON(path string, v any) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	return json.Unmarshal(b, v)
}

// Row returns the Resource Graph row with the id (any case), or nil.
func (t *Tenant) Row(id string) map[string]any {
	for _, r := range t.Rows {
		if strings.EqualFold(fmt.Sprint(r["id"]), id) {
			return r
		}
	}
	return nil
}

// Transport returns the transport that routes each request to its fake.
func (t *Tenant) Transport() *Router {
	r := &Router{t: t}
	r.subs = subfake.NewServerFactoryTransport(&subfake.ServerFactory{Server: subfake.Server{NewListPager: t.listSubscriptions}})
	r.rg = rgfake.NewServerFactoryTransport(&rgfake.ServerFactory{Server: rgfake.Server{Resources: t.resources}})
	r.storage = stfake.NewServerFactoryTransport(&stfake.ServerFactory{BlobContainersServer: stfake.BlobContainersServer{NewListPager: t.listContainers}})
	r.kv = kvfake.NewServerFactoryTransport(&kvfake.ServerFactory{SecretsServer: kvfake.SecretsServer{NewListPager: t.listSecrets},
		KeysServer: kvfake.KeysServer{NewListPager: t.listKeys}})
	r.sql = sqlfake.NewServerFactoryTransport(&sqlfake.ServerFactory{FirewallRulesServer: sqlfake.FirewallRulesServer{NewListByServerPager: t.listFirewall},
		VirtualNetworkRulesServer: sqlfake.VirtualNetworkRulesServer{NewListByServerPager: t.listSQLVNetRules}})
	r.network = netfake.NewServerFactoryTransport(&netfake.ServerFactory{
		PrivateEndpointsServer:                   netfake.PrivateEndpointsServer{NewListBySubscriptionPager: t.listPrivateEndpoints},
		RouteTablesServer:                        netfake.RouteTablesServer{NewListAllPager: t.listRouteTables},
		AzureFirewallsServer:                     netfake.AzureFirewallsServer{NewListAllPager: t.listFirewalls},
		FirewallPoliciesServer:                   netfake.FirewallPoliciesServer{NewListAllPager: t.listFirewallPolicies},
		FirewallPolicyRuleCollectionGroupsServer: netfake.FirewallPolicyRuleCollectionGroupsServer{NewListPager: t.listRuleCollectionGroups},
	})
	r.policy = polfake.NewServerFactoryTransport(&polfake.ServerFactory{
		AssignmentsServer:    polfake.AssignmentsServer{NewListPager: t.listPolicyAssignments},
		DefinitionsServer:    polfake.DefinitionsServer{NewListPager: t.listPolicyDefinitions},
		SetDefinitionsServer: polfake.SetDefinitionsServer{NewListPager: t.listPolicySets},
	})
	return r
}

// Router is a policy.Transporter that dispatches requests to the fakes.
type Router struct {
	t                                           *Tenant
	subs, rg, storage, kv, sql, network, policy interface {
		Do(*http.Request) (*http.Response, error)
	}
	mu sync.Mutex
	// monitor holds one armmonitor fake per subscription: the fake's
	// pager function is not told the subscription.
	monitor map[string]*monfake.ActivityLogsServerTransport
}

// activityPath is the Activity Log list path under a subscription.
const activityPath = "/providers/microsoft.insights/eventtypes/management/values"

// activity routes an Activity Log request to its subscription's fake.
func (r *Router) activity(req *http.Request) (*http.Response, error) {
	sub := inventory.SubscriptionOf(req.URL.Path)
	r.mu.Lock()
	if r.monitor == nil {
		r.monitor = map[string]*monfake.ActivityLogsServerTransport{}
	}
	tr := r.monitor[sub]
	if tr == nil {
		tr = monfake.NewActivityLogsServerTransport(&monfake.ActivityLogsServer{NewListPager: func(filter string, _ *armmonitor.ActivityLogsClientListOptions) azfake.PagerResponder[armmonitor.ActivityLogsClientListResponse] {
			return r.t.activityPages(sub, filter)
		}})
		r.monitor[sub] = tr
	}
	r.mu.Unlock()
	return tr.Do(req)
}

// filterTimes reads "eventTimestamp ge '<t>' and eventTimestamp le '<t>'".
var filterTimes = regexp.MustCompile(`eventTimestamp (ge|le) '([^']+)'`)

// activityPages answers one Activity Log listing: the subscription's
// events inside the filter's time range, ActivityPageSize at a time.
func (t *Tenant) activityPages(sub, filter string) (resp azfake.PagerResponder[armmonitor.ActivityLogsClientListResponse]) {
	t.mu.Lock()
	t.ActivityFilters = append(t.ActivityFilters, filter)
	t.mu.Unlock()
	var from, to time.Time
	for _, m := range filterTimes.FindAllStringSubmatch(filter, -1) {
		at, err := time.Parse(time.RFC3339, m[2])
		if err != nil {
			continue
		}
		if m[1] == "ge" {
			from = at
		} else {
			to = at
		}
	}
	if from.IsZero() || to.IsZero() {
		resp.AddResponseError(http.StatusBadRequest, "BadRequest")
		return resp
	}
	var events []*armmonitor.EventData
	for _, e := range decodeAll[armmonitor.EventData](t.ActivityLog[strings.ToLower(sub)]) {
		if e.EventTimestamp != nil && !e.EventTimestamp.Before(from) && !e.EventTimestamp.After(to) {
			events = append(events, e)
		}
	}
	size := t.ActivityPageSize
	if size <= 0 {
		size = max(len(events), 1)
	}
	for start := 0; start < len(events) || start == 0; start += size {
		resp.AddPage(http.StatusOK, armmonitor.ActivityLogsClientListResponse{EventDataCollection: armmonitor.EventDataCollection{
			Value: events[start:min(start+size, len(events))]}}, nil)
		if len(events) == 0 {
			break
		}
	}
	return resp
}

var (
	reVaultItems = regexp.MustCompile(`(?i)/providers/microsoft\.keyvault/vaults/[^/]+/(secrets|keys)$`)
	reFirewall   = regexp.MustCompile(`(?i)/providers/microsoft\.sql/servers/[^/]+/(firewallrules|virtualnetworkrules)$`)
	reContainers = regexp.MustCompile(`(?i)/providers/microsoft\.storage/storageaccounts/[^/]+/blobservices/default/containers$`)
	rePolicy     = regexp.MustCompile(`(?i)^/subscriptions/[^/]+/providers/microsoft\.authorization/(policyassignments|policydefinitions|policysetdefinitions)$`)
	reNetwork    = regexp.MustCompile(`(?i)^/subscriptions/[^/]+/providers/microsoft\.network/(privateendpoints|routetables|azurefirewalls|firewallpolicies)$|/providers/microsoft\.network/firewallpolicies/[^/]+/rulecollectiongroups$`)
)

// areaOf names the area a request belongs to, for failure injection.
func (r *Router) areaOf(req *http.Request, body []byte) string {
	p := strings.ToLower(req.URL.Path)
	switch {
	case req.URL.Host == "graph.microsoft.com":
		return inventory.AreaEntra
	case strings.HasSuffix(req.URL.Host, ".purview.azure.com"):
		return inventory.AreaPurview
	case p == "/subscriptions":
		return "subscriptions"
	case strings.HasSuffix(p, "/providers/microsoft.resourcegraph/resources"):
		var q struct {
			Query string `json:"query"`
		}
		_ = json.Unmarshal(body, &q)
		for _, typ := range queryTypes(q.Query) {
			if a := inventory.AreaOf(typ); a != "" {
				return a
			}
		}
		return inventory.AreaResources
	case strings.Contains(p, "/providers/microsoft.authorization/"):
		return inventory.AreaAuthorization
	case strings.Contains(p, activityPath):
		return inventory.AreaActivityLog
	}
	return inventory.AreaOf(inventory.TypeOf(p))
}

// Do routes one request.
func (r *Router) Do(req *http.Request) (*http.Response, error) {
	r.t.requests.Add(1)
	var body []byte
	if req.Body != nil {
		body, _ = io.ReadAll(req.Body)
		req.Body = io.NopCloser(bytes.NewReader(body))
	}
	area := r.areaOf(req, body)
	r.t.mu.Lock()
	if r.t.Seen == nil {
		r.t.Seen = map[string]int{}
	}
	r.t.Seen[area]++
	status := r.t.Fail[area]
	for frag, st := range r.t.FailPath {
		if strings.Contains(req.URL.Path, frag) {
			status = st
		}
	}
	for frag, n := range r.t.Throttle {
		if n > 0 && strings.Contains(req.URL.Path, frag) {
			r.t.Throttle[frag] = n - 1
			status = http.StatusTooManyRequests
		}
	}
	r.t.mu.Unlock()
	if status != 0 {
		return errorResponse(req, status), nil
	}
	p := req.URL.Path
	switch {
	case area == inventory.AreaEntra:
		return r.serve(req, r.t.graph)
	case area == inventory.AreaPurview:
		return r.serve(req, r.t.purview)
	case area == "subscriptions":
		return r.subs.Do(req)
	case area == inventory.AreaActivityLog:
		return r.activity(req)
	case strings.HasSuffix(strings.ToLower(p), "/providers/microsoft.resourcegraph/resources"):
		return r.rg.Do(req)
	case reContainers.MatchString(p):
		return r.storage.Do(req)
	case reVaultItems.MatchString(p):
		return r.kv.Do(req)
	case reFirewall.MatchString(p):
		return r.sql.Do(req)
	case rePolicy.MatchString(p):
		r.t.mu.Lock()
		r.t.netSub = inventory.SubscriptionOf(p)
		r.t.mu.Unlock()
		return r.policy.Do(req)
	case reNetwork.MatchString(p):
		r.t.mu.Lock()
		r.t.netSub = inventory.SubscriptionOf(p)
		r.t.mu.Unlock()
		return r.network.Do(req)
	}
	return r.serve(req, r.t.arm)
}

func errorResponse(req *http.Request, status int) *http.Response {
	code := "TooManyRequests"
	if status != http.StatusTooManyRequests {
		code = http.StatusText(status)
	}
	b, _ := json.Marshal(map[string]any{"error": map[string]string{"code": code, "message": "injected by fetchtest"}})
	h := http.Header{"Content-Type": {"application/json"}, "x-ms-error-code": {code}}
	if status == http.StatusTooManyRequests {
		h.Set("Retry-After", "0")
	}
	return &http.Response{StatusCode: status, Status: http.StatusText(status), Header: h, Body: io.NopCloser(bytes.NewReader(b)), Request: req}
}

func (r *Router) serve(req *http.Request, h http.HandlerFunc) (*http.Response, error) {
	rec := httptest.NewRecorder()
	h(rec, req)
	resp := rec.Result()
	resp.Request = req
	return resp, nil
}

// queryTypes extracts the types of a "... | where type in~ ('a', 'b')" or
// "type =~ 'a'" query.
func queryTypes(q string) []string {
	var out []string
	for _, m := range regexp.MustCompile(`'([^']+)'`).FindAllStringSubmatch(q, -1) {
		out = append(out, strings.ToLower(m[1]))
	}
	return out
}

func (t *Tenant) listSubscriptions(*armsubscriptions.ClientListOptions) (resp azfake.PagerResponder[armsubscriptions.ClientListResponse]) {
	var page armsubscriptions.ClientListResponse
	for _, s := range t.Subscriptions {
		id, tid, name, state := s, t.TenantID, "sub "+s, armsubscriptions.SubscriptionStateEnabled
		page.Value = append(page.Value, &armsubscriptions.Subscription{SubscriptionID: &id, TenantID: &tid, DisplayName: &name, State: &state})
	}
	resp.AddPage(http.StatusOK, page, nil)
	return resp
}

func (t *Tenant) resources(_ context.Context, q armresourcegraph.QueryRequest, _ *armresourcegraph.ClientResourcesOptions) (resp azfake.Responder[armresourcegraph.ClientResourcesResponse], errResp azfake.ErrorResponder) {
	query := ""
	if q.Query != nil {
		query = *q.Query
	}
	table := strings.TrimSpace(strings.SplitN(query, "|", 2)[0])
	want := map[string]bool{}
	for _, typ := range queryTypes(query) {
		want[typ] = true
	}
	subs := map[string]bool{}
	for _, s := range q.Subscriptions {
		subs[strings.ToLower(*s)] = true
	}
	var data []any
	for _, row := range t.Rows {
		typ := strings.ToLower(fmt.Sprint(row["type"]))
		container := typ == inventory.TypeSubscription || typ == inventory.TypeResourceGroup || typ == inventory.TypeManagementGroup
		if !want[typ] || container != (table == "resourcecontainers") {
			continue
		}
		if len(subs) > 0 && !subs[inventory.SubscriptionOf(fmt.Sprint(row["id"]))] {
			continue
		}
		data = append(data, row)
	}
	n := int64(len(data))
	resp.SetResponse(http.StatusOK, armresourcegraph.ClientResourcesResponse{QueryResponse: armresourcegraph.QueryResponse{Count: &n, TotalRecords: &n,
		Data: data, ResultTruncated: toPtr(armresourcegraph.ResultTruncatedFalse)}}, nil)
	return resp, errResp
}

func toPtr[T any](v T) *T { return &v }

// decodeAll converts ARM-shaped maps into SDK models.
func decodeAll[T any](rows []map[string]any) []*T {
	var out []*T
	for _, r := range rows {
		b, _ := json.Marshal(r)
		v := new(T)
		if err := json.Unmarshal(b, v); err == nil {
			out = append(out, v)
		}
	}
	return out
}

func (t *Tenant) parent(rg, provider, name string) string {
	for _, s := range t.Subscriptions {
		id := strings.ToLower("/subscriptions/" + s + "/resourcegroups/" + rg + "/providers/" + provider + "/" + name)
		if t.Row(id) != nil {
			return id
		}
	}
	return ""
}

func (t *Tenant) listContainers(rg, account string, _ *armstorage.BlobContainersClientListOptions) (resp azfake.PagerResponder[armstorage.BlobContainersClientListResponse]) {
	rows := t.Containers[t.parent(rg, "microsoft.storage/storageaccounts", account)]
	resp.AddPage(http.StatusOK, armstorage.BlobContainersClientListResponse{ListContainerItems: armstorage.ListContainerItems{Value: decodeAll[armstorage.ListContainerItem](rows)}}, nil)
	return resp
}

func (t *Tenant) listSecrets(rg, vault string, _ *armkeyvault.SecretsClientListOptions) (resp azfake.PagerResponder[armkeyvault.SecretsClientListResponse]) {
	rows := t.Secrets[t.parent(rg, "microsoft.keyvault/vaults", vault)]
	resp.AddPage(http.StatusOK, armkeyvault.SecretsClientListResponse{SecretListResult: armkeyvault.SecretListResult{Value: decodeAll[armkeyvault.Secret](rows)}}, nil)
	return resp
}

func (t *Tenant) listKeys(rg, vault string, _ *armkeyvault.KeysClientListOptions) (resp azfake.PagerResponder[armkeyvault.KeysClientListResponse]) {
	rows := t.Keys[t.parent(rg, "microsoft.keyvault/vaults", vault)]
	resp.AddPage(http.StatusOK, armkeyvault.KeysClientListResponse{KeyListResult: armkeyvault.KeyListResult{Value: decodeAll[armkeyvault.Key](rows)}}, nil)
	return resp
}

func (t *Tenant) listFirewall(rg, server string, _ *armsql.FirewallRulesClientListByServerOptions) (resp azfake.PagerResponder[armsql.FirewallRulesClientListByServerResponse]) {
	rows := t.FirewallRules[t.parent(rg, "microsoft.sql/servers", server)]
	resp.AddPage(http.StatusOK, armsql.FirewallRulesClientListByServerResponse{FirewallRuleListResult: armsql.FirewallRuleListResult{Value: decodeAll[armsql.FirewallRule](rows)}}, nil)
	return resp
}

func (t *Tenant) listSQLVNetRules(rg, server string, _ *armsql.VirtualNetworkRulesClientListByServerOptions) (resp azfake.PagerResponder[armsql.VirtualNetworkRulesClientListByServerResponse]) {
	rows := t.SQLVNetRules[t.parent(rg, "microsoft.sql/servers", server)]
	resp.AddPage(http.StatusOK, armsql.VirtualNetworkRulesClientListByServerResponse{VirtualNetworkRuleListResult: armsql.VirtualNetworkRuleListResult{Value: decodeAll[armsql.VirtualNetworkRule](rows)}}, nil)
	return resp
}

// networkRows returns the rows of a network type in a subscription.
func (t *Tenant) networkRows(typ, sub string) []map[string]any {
	var out []map[string]any
	for _, row := range t.Network[typ] {
		if inventory.SubscriptionOf(fmt.Sprint(row["id"])) == strings.ToLower(sub) {
			out = append(out, row)
		}
	}
	return out
}

// currentSub is the subscription of the request a pager answers:
// the fakes' pager callbacks do not receive it, so one Router serves one
// subscription's network at a time (the last one requested).
func (t *Tenant) currentSub() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.netSub
}

// networkPage answers a network list with the current subscription's rows
// of a type.
func networkPage[M, R any](t *Tenant, typ string, wrap func([]*M) R) (resp azfake.PagerResponder[R]) {
	resp.AddPage(http.StatusOK, wrap(decodeAll[M](t.networkRows(typ, t.currentSub()))), nil)
	return resp
}

func (t *Tenant) listPrivateEndpoints(*armnetwork.PrivateEndpointsClientListBySubscriptionOptions) azfake.PagerResponder[armnetwork.PrivateEndpointsClientListBySubscriptionResponse] {
	return networkPage(t, inventory.TypePrivateEndpoint, func(v []*armnetwork.PrivateEndpoint) armnetwork.PrivateEndpointsClientListBySubscriptionResponse {
		return armnetwork.PrivateEndpointsClientListBySubscriptionResponse{PrivateEndpointListResult: armnetwork.PrivateEndpointListResult{Value: v}}
	})
}

func (t *Tenant) listRouteTables(*armnetwork.RouteTablesClientListAllOptions) azfake.PagerResponder[armnetwork.RouteTablesClientListAllResponse] {
	return networkPage(t, inventory.TypeRouteTable, func(v []*armnetwork.RouteTable) armnetwork.RouteTablesClientListAllResponse {
		return armnetwork.RouteTablesClientListAllResponse{RouteTableListResult: armnetwork.RouteTableListResult{Value: v}}
	})
}

func (t *Tenant) listFirewalls(*armnetwork.AzureFirewallsClientListAllOptions) azfake.PagerResponder[armnetwork.AzureFirewallsClientListAllResponse] {
	return networkPage(t, inventory.TypeAzureFirewall, func(v []*armnetwork.AzureFirewall) armnetwork.AzureFirewallsClientListAllResponse {
		return armnetwork.AzureFirewallsClientListAllResponse{AzureFirewallListResult: armnetwork.AzureFirewallListResult{Value: v}}
	})
}

func (t *Tenant) listFirewallPolicies(*armnetwork.FirewallPoliciesClientListAllOptions) azfake.PagerResponder[armnetwork.FirewallPoliciesClientListAllResponse] {
	return networkPage(t, inventory.TypeFirewallPolicy, func(v []*armnetwork.FirewallPolicy) armnetwork.FirewallPoliciesClientListAllResponse {
		return armnetwork.FirewallPoliciesClientListAllResponse{FirewallPolicyListResult: armnetwork.FirewallPolicyListResult{Value: v}}
	})
}

func (t *Tenant) listRuleCollectionGroups(rg, policy string, _ *armnetwork.FirewallPolicyRuleCollectionGroupsClientListOptions) (resp azfake.PagerResponder[armnetwork.FirewallPolicyRuleCollectionGroupsClientListResponse]) {
	parent := strings.ToLower("/subscriptions/" + t.currentSub() + "/resourcegroups/" + rg + "/providers/microsoft.network/firewallpolicies/" + policy)
	var rows []map[string]any
	for _, row := range t.Network[inventory.TypeFirewallPolicyRCG] {
		if inventory.Parent(fmt.Sprint(row["id"])) == parent {
			rows = append(rows, row)
		}
	}
	resp.AddPage(http.StatusOK, armnetwork.FirewallPolicyRuleCollectionGroupsClientListResponse{FirewallPolicyRuleCollectionGroupListResult: armnetwork.FirewallPolicyRuleCollectionGroupListResult{Value: decodeAll[armnetwork.FirewallPolicyRuleCollectionGroup](rows)}}, nil)
	return resp
}

// listPolicyAssignments answers the assignments that apply to the current
// subscription: those under it and those of management groups (no
// subscription in their id).
func (t *Tenant) listPolicyAssignments(*armpolicy.AssignmentsClientListOptions) (resp azfake.PagerResponder[armpolicy.AssignmentsClientListResponse]) {
	var rows []map[string]any
	for _, row := range t.Network[inventory.TypePolicyAssignment] {
		if s := inventory.SubscriptionOf(fmt.Sprint(row["id"])); s == "" || s == t.currentSub() {
			rows = append(rows, row)
		}
	}
	resp.AddPage(http.StatusOK, armpolicy.AssignmentsClientListResponse{AssignmentListResult: armpolicy.AssignmentListResult{Value: decodeAll[armpolicy.Assignment](rows)}}, nil)
	return resp
}

func (t *Tenant) listPolicyDefinitions(*armpolicy.DefinitionsClientListOptions) (resp azfake.PagerResponder[armpolicy.DefinitionsClientListResponse]) {
	resp.AddPage(http.StatusOK, armpolicy.DefinitionsClientListResponse{DefinitionListResult: armpolicy.DefinitionListResult{Value: decodeAll[armpolicy.Definition](t.Network[inventory.TypePolicyDefinition])}}, nil)
	return resp
}

func (t *Tenant) listPolicySets(*armpolicy.SetDefinitionsClientListOptions) (resp azfake.PagerResponder[armpolicy.SetDefinitionsClientListResponse]) {
	resp.AddPage(http.StatusOK, armpolicy.SetDefinitionsClientListResponse{SetDefinitionListResult: armpolicy.SetDefinitionListResult{Value: decodeAll[armpolicy.SetDefinition](t.Network[inventory.TypePolicySetDefinition])}}, nil)
	return resp
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// arm answers the ARM REST calls fetch makes on azcore's pipeline.
func (t *Tenant) arm(w http.ResponseWriter, req *http.Request) {
	p := strings.ToLower(req.URL.Path)
	switch {
	case strings.HasSuffix(p, "/providers/microsoft.authorization/roleassignments"):
		writeJSON(w, 200, map[string]any{"value": t.RoleAssignments})
	case strings.HasSuffix(p, "/providers/microsoft.authorization/roledefinitions"):
		writeJSON(w, 200, map[string]any{"value": t.RoleDefinitions})
	case strings.HasSuffix(p, "/providers/microsoft.authorization/denyassignments"):
		writeJSON(w, 200, map[string]any{"value": t.DenyAssignments})
	case strings.HasSuffix(p, "/providers/microsoft.authorization/roleeligibilityscheduleinstances"):
		writeJSON(w, 200, map[string]any{"value": []any{}})
	case strings.HasSuffix(p, "/config/appsettings/list") && req.Method == http.MethodPost:
		site := strings.TrimSuffix(p, "/config/appsettings/list")
		writeJSON(w, 200, map[string]any{"id": site + "/config/appsettings", "name": "appsettings", "properties": t.AppSettings[site]})
	case strings.HasSuffix(p, "/config/connectionstrings/list") && req.Method == http.MethodPost:
		writeJSON(w, 200, map[string]any{"properties": map[string]any{}})
	case strings.HasSuffix(p, "/config/authsettingsv2"):
		site := strings.TrimSuffix(p, "/config/authsettingsv2")
		writeJSON(w, 200, map[string]any{"properties": map[string]any{"platform": map[string]any{"enabled": t.AuthEnabled[site]}}})
	case strings.HasSuffix(p, "/variables"):
		writeJSON(w, 200, map[string]any{"value": t.Variables[strings.TrimSuffix(p, "/variables")]})
	case strings.HasSuffix(p, "/federatedidentitycredentials"):
		writeJSON(w, 200, map[string]any{"value": t.Federated[strings.TrimSuffix(p, "/federatedidentitycredentials")]})
	default:
		writeJSON(w, 404, map[string]any{"error": map[string]string{"code": "NotFound", "message": "fetchtest: no route for " + req.Method + " " + p}})
	}
}

// graph answers Microsoft Graph v1.0 collection reads.
func (t *Tenant) graph(w http.ResponseWriter, req *http.Request) {
	p := req.URL.Path
	if p == "/v1.0/users" {
		t.users(w, req)
		return
	}
	if p == "/beta/reports/servicePrincipalSignInActivities" && t.ServicePrincipalSignIns != nil {
		if t.ServicePrincipalSignInForbidden {
			writeJSON(w, http.StatusForbidden, map[string]any{"error": map[string]string{"code": "Authorization_RequestDenied",
				"message": "Insufficient privileges to complete the operation."}})
			return
		}
		writeJSON(w, 200, map[string]any{"value": append([]map[string]any{}, t.ServicePrincipalSignIns...)})
		return
	}
	if v, ok := t.Graph[p]; ok {
		writeJSON(w, 200, map[string]any{"value": v})
		return
	}
	// Unlisted collections (owners of an object without any) are empty.
	if strings.HasSuffix(p, "/owners") || strings.HasSuffix(p, "/members") || strings.HasSuffix(p, "/appRoleAssignedTo") ||
		strings.HasPrefix(p, "/v1.0/roleManagement/") || p == "/v1.0/directory/administrativeUnits" || p == "/v1.0/users" || p == "/v1.0/groups" || p == "/v1.0/servicePrincipals" || p == "/v1.0/applications" {
		writeJSON(w, 200, map[string]any{"value": []any{}})
		return
	}
	writeJSON(w, 404, map[string]any{"error": map[string]string{"code": "Request_ResourceNotFound", "message": "fetchtest: " + p}})
}

// users answers GET /v1.0/users: signInActivity only when $select names it,
// and 403 Authorization_RequestDenied then when SignInForbidden.
func (t *Tenant) users(w http.ResponseWriter, req *http.Request) {
	selected := strings.Contains(strings.ToLower(req.URL.Query().Get("$select")), "signinactivity")
	if selected && t.SignInForbidden {
		writeJSON(w, http.StatusForbidden, map[string]any{"error": map[string]string{"code": "Authorization_RequestDenied",
			"message": "Insufficient privileges to complete the operation."}})
		return
	}
	out := []map[string]any{}
	for _, u := range t.Graph["/v1.0/users"] {
		c := map[string]any{}
		for k, v := range u {
			if k != "signInActivity" || selected {
				c[k] = v
			}
		}
		out = append(out, c)
	}
	writeJSON(w, 200, map[string]any{"value": out})
}

// purview answers the Data Map search (api-version 2023-09-01): the
// results whose entityType the request's {"or": [{"entityType": ...}]}
// filter names, a page of `limit` at a time; the continuation token is the
// next offset.
func (t *Tenant) purview(w http.ResponseWriter, req *http.Request) {
	if req.Method != http.MethodPost || req.URL.Path != "/datamap/api/search/query" || req.URL.Query().Get("api-version") == "" {
		writeJSON(w, http.StatusNotFound, map[string]any{"error": map[string]string{"code": "NotFound", "message": req.Method + " " + req.URL.Path}})
		return
	}
	var q struct {
		Limit             int    `json:"limit"`
		ContinuationToken string `json:"continuationToken"`
		Filter            struct {
			Or []struct {
				EntityType string `json:"entityType"`
			} `json:"or"`
		} `json:"filter"`
	}
	if err := json.NewDecoder(req.Body).Decode(&q); err != nil || q.Limit <= 0 {
		writeJSON(w, http.StatusBadRequest, map[string]any{"error": map[string]string{"code": "BadRequest", "message": "bad query"}})
		return
	}
	types := map[string]bool{}
	for _, f := range q.Filter.Or {
		types[f.EntityType] = true
	}
	var match []map[string]any
	for _, a := range t.Purview {
		if et, _ := a["entityType"].(string); types[et] {
			match = append(match, a)
		}
	}
	start, _ := strconv.Atoi(q.ContinuationToken)
	start = min(max(start, 0), len(match))
	end := min(start+q.Limit, len(match))
	resp := map[string]any{"@search.count": len(match), "@search.count.approximate": false, "value": match[start:end]}
	if end < len(match) {
		resp["continuationToken"] = strconv.Itoa(end)
	}
	writeJSON(w, http.StatusOK, resp)
}

// AddAzureHound serves the directory objects of an AzureHound output file
// (the offline import's format) as the Microsoft Graph v1.0 collections the
// collector reads: users, groups with members and owners, service
// principals and applications with owners, directory role assignments
// (with their directoryScopeId) and the Microsoft Graph service
// principal's appRoleAssignedTo. One lab file then feeds both the offline
// import and the live collection.
func (t *Tenant) AddAzureHound(data []byte) error {
	var file struct {
		Data []struct {
			Kind string         `json:"kind"`
			Data map[string]any `json:"data"`
		} `json:"data"`
	}
	if err := json.Unmarshal(data, &file); err != nil {
		return fmt.Errorf("azurehound: %w", err)
	}
	lower := func(v any) string { return strings.ToLower(fmt.Sprint(v)) }
	add := func(path string, v map[string]any) { t.Graph[path] = append(t.Graph[path], v) }
	ids := func(items any, field string) []map[string]any {
		var out []map[string]any
		list, _ := items.([]any)
		for _, it := range list {
			m, _ := it.(map[string]any)
			o, _ := m[field].(map[string]any)
			out = append(out, map[string]any{"id": o["id"], "@odata.type": o["@odata.type"]})
		}
		return out
	}
	graphSP := ""
	for _, r := range file.Data {
		if r.Kind == "AZServicePrincipal" && lower(r.Data["appId"]) == inventory.MicrosoftGraphAppID {
			graphSP = lower(r.Data["id"])
		}
	}
	// Object kinds, and the kinds listing an object's members or owners
	// (the collection, the record's field naming the object, the list).
	objects := map[string]string{"AZUser": "/v1.0/users", "AZGroup": "/v1.0/groups", "AZServicePrincipal": "/v1.0/servicePrincipals",
		"AZApp": "/v1.0/applications"}
	links := map[string][3]string{"AZGroupMember": {"groups", "groupId", "members"}, "AZGroupOwner": {"groups", "groupId", "owners"},
		"AZServicePrincipalOwner": {"servicePrincipals", "servicePrincipalId", "owners"}, "AZAppOwner": {"applications", "appId", "owners"}}
	for _, r := range file.Data {
		d := r.Data
		if p, ok := objects[r.Kind]; ok {
			add(p, d)
			continue
		}
		if l, ok := links[r.Kind]; ok {
			for _, m := range ids(d[l[2]], strings.TrimSuffix(l[2], "s")) {
				add("/v1.0/"+l[0]+"/"+lower(d[l[1]])+"/"+l[2], m)
			}
			continue
		}
		switch r.Kind {
		case "AZRoleAssignment":
			list, _ := d["roleAssignments"].([]any)
			for _, it := range list {
				m, _ := it.(map[string]any)
				add("/v1.0/roleManagement/directory/roleAssignments", m)
			}
		case "AZAppRoleAssignment":
			if graphSP == "" {
				return fmt.Errorf("azurehound: app role assignment %v without the Microsoft Graph service principal", d["id"])
			}
			add("/v1.0/servicePrincipals/"+graphSP+"/appRoleAssignedTo", d)
		}
	}
	return nil
}
