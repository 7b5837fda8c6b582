package ciem

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/breachpath/breachpath/graph"
	"github.com/breachpath/breachpath/graph/entitlement"
)

var testNow = time.Date(2026, 11, 25, 0, 0, 0, 0, time.UTC)

func daysAgo(d int) time.Time { return testNow.Add(-time.Duration(d) * 24 * time.Hour) }

func entProp(t *testing.T, e entitlement.Entitlements) string {
	t.Helper()
	e.Version = entitlement.Version
	b, err := json.Marshal(e)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func usageProp(t *testing.T, u entitlement.UsageData) string {
	t.Helper()
	u.Version = entitlement.Version
	b, err := json.Marshal(u)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// testGraph is a small cloud-agnostic estate:
//
//	internet -EXPOSED_TO-> vm -USES_IDENTITY-> app (Role) -READS-> payroll (restricted bucket)
//	dev (User) -ESCALATES_TO-> ops (Role, admin)
//	sa (GCP ServiceAccount) with entitlements and usage; nobody (User) with nothing recorded
func testGraph(t *testing.T, mutate func(nodes []graph.Node)) *graph.Graph {
	t.Helper()
	storage := entitlement.ServiceEntitlement{Service: "storage", Levels: map[entitlement.AccessLevel]int{entitlement.LevelRead: 3, entitlement.LevelWrite: 2}, Total: 5, Sensitive: 3,
		Actions:          []string{"storage.buckets.list", "storage.objects.create", "storage.objects.delete", "storage.objects.get", "storage.objects.list"},
		SensitiveActions: []string{"storage.objects.create", "storage.objects.delete", "storage.objects.get"}, Sources: []int{0}}
	pubsub := entitlement.ServiceEntitlement{Service: "pubsub", Levels: map[entitlement.AccessLevel]int{entitlement.LevelWrite: 4}, Total: 4, Sensitive: 4, Sources: []int{0}}
	saEnt := entitlement.Entitlements{Services: []entitlement.ServiceEntitlement{pubsub, storage},
		Sources:     []entitlement.Source{{Kind: entitlement.SourceIdentity, Policy: "roles/editor-binding", Statement: "#0"}},
		Credentials: []entitlement.Credential{{Kind: entitlement.CredentialAccessKey, ID: "****beef", Active: true, UsageKnown: true, Created: daysAgo(300)}},
		CreatedAt:   daysAgo(300)}
	saUse := entitlement.UsageData{Source: "test", CollectedAt: testNow, Services: []entitlement.ServiceUsage{{Service: "storage", LastAccessed: daysAgo(100)}}}
	appEnt := entitlement.Entitlements{Services: []entitlement.ServiceEntitlement{{Service: "s3", Levels: map[entitlement.AccessLevel]int{entitlement.LevelRead: 1}, Total: 1, Sensitive: 1, Actions: []string{"s3:GetObject"}}},
		Credentials: []entitlement.Credential{{Kind: entitlement.CredentialSession, Active: true, UsageKnown: true, LastUsed: daysAgo(1)}}}
	devEnt := entitlement.Entitlements{Services: []entitlement.ServiceEntitlement{{Service: "iam", Levels: map[entitlement.AccessLevel]int{entitlement.LevelPermissions: 2}, Total: 2, Sensitive: 2, Actions: []string{"iam:AttachRolePolicy", "iam:PassRole"}}},
		Wildcards: []entitlement.Wildcard{{Kinds: []string{entitlement.WildcardResource}, Policy: "p", Statement: "s", Sensitive: 2}}}
	nodes := []graph.Node{
		{ID: graph.InternetID, Kind: graph.KindInternet},
		{ID: "vm", Kind: graph.KindCompute, Account: "111", Cloud: graph.CloudAWS},
		{ID: "app", Kind: graph.KindRole, Name: "app", Account: "111", Cloud: graph.CloudAWS, Props: graph.Props{entitlement.PropEntitlements: entProp(t, appEnt)}},
		{ID: "payroll", Kind: graph.KindBucket, Name: "payroll", Account: "111", Cloud: graph.CloudAWS, Sensitivity: graph.SensitivityRestricted},
		{ID: "dev", Kind: graph.KindUser, Name: "dev", Account: "111", Cloud: graph.CloudAWS, Props: graph.Props{entitlement.PropEntitlements: entProp(t, devEnt)}},
		{ID: "ops", Kind: graph.KindRole, Name: "ops", Account: "111", Cloud: graph.CloudAWS, CrownJewel: true, Props: graph.Props{"admin": true}},
		{ID: "admin-node", Kind: graph.KindRole, Account: "111", Cloud: graph.CloudAWS, CrownJewel: true, Props: graph.Props{"admin": true, "synthetic": true}},
		{ID: "sa", Kind: graph.KindServiceAccount, Name: "sa", Account: "p1", Cloud: graph.CloudGCP,
			Props: graph.Props{entitlement.PropEntitlements: entProp(t, saEnt), entitlement.PropLastAccessed: usageProp(t, saUse)}},
		{ID: "nobody", Kind: graph.KindUser, Name: "nobody", Account: "111", Cloud: graph.CloudAWS},
		{ID: "ext", Kind: graph.KindExternalPrincipal, Name: "vendor", Props: graph.Props{"external_account": "999"}},
		{ID: "anyone", Kind: graph.KindExternalPrincipal, Name: "anyone", Stub: true, Props: graph.Props{graph.PropAnonymous: true}},
		{ID: "idp", Kind: graph.KindExternalPrincipal, Name: "token.actions.githubusercontent.com", Account: "111", Props: graph.Props{"provider": "token.actions.githubusercontent.com"}},
		{ID: "other-role", Kind: graph.KindRole, Name: "deployer", Account: "222", Cloud: graph.CloudAWS, Stub: true},
		{ID: "same-role", Kind: graph.KindRole, Name: "same", Account: "111", Cloud: graph.CloudAWS},
		{ID: "shared", Kind: graph.KindRole, Name: "shared", Account: "111", Cloud: graph.CloudAWS},
	}
	if mutate != nil {
		mutate(nodes)
	}
	edges := []graph.Edge{
		{From: graph.InternetID, To: "vm", Kind: graph.EdgeExposedTo, Technique: "net.internet-exposure", Likelihood: 0.9},
		{From: "vm", To: "app", Kind: graph.EdgeUsesIdentity, Technique: "imds", Likelihood: 0.9},
		{From: "app", To: "payroll", Kind: graph.EdgeReads, Technique: "aws.s3.reads", Likelihood: 1},
		{From: "dev", To: "ops", Kind: graph.EdgeEscalatesTo, Technique: "aws.iam.passrole", Likelihood: 0.8},
		{From: "ops", To: "admin-node", Kind: graph.EdgeAdministers, Technique: "admin", Likelihood: 1},
		{From: "ops", To: "ext", Kind: graph.EdgeTrusts, Props: graph.Props{"statement": "#0"}},
		{From: "ext", To: "ops", Kind: graph.EdgeAssumes, Technique: "assume", Likelihood: 1},
		{From: "shared", To: "anyone", Kind: graph.EdgeTrusts},
		{From: "shared", To: "idp", Kind: graph.EdgeTrusts},
		{From: "shared", To: "other-role", Kind: graph.EdgeTrusts},
		{From: "shared", To: "same-role", Kind: graph.EdgeTrusts},
	}
	return graph.Assemble(nodes, edges, nil)
}

func build(t *testing.T, g *graph.Graph, src Sources, opts Options) *Report {
	t.Helper()
	if opts.Now.IsZero() {
		opts.Now = testNow
	}
	r, err := Build(context.Background(), g, src, opts)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func row(t *testing.T, r *Report, id string) *Principal {
	t.Helper()
	p := r.Principal(id)
	if p == nil {
		t.Fatalf("no row for %s", id)
	}
	return p
}

func TestPrincipalsWithoutEntitlementsAreUnknown(t *testing.T) {
	r := build(t, testGraph(t, nil), Sources{}, Options{})
	p := row(t, r, "nobody")
	if p.EntitlementsKnown || p.Usage.Known || p.Activity.State != StateUnknown {
		t.Fatalf("nobody: %+v", p)
	}
	for name, cell := range map[string]string{"permissions": p.PermissionsCell(), "unused services": p.UnusedServicesCell(),
		"unused sensitive": p.UnusedSensitiveCell(), "wildcards": p.WildcardCell()} {
		if cell != StateUnknown {
			t.Errorf("%s cell = %q, want unknown", name, cell)
		}
	}
	if p.Suggestion != nil || p.SuggestionReason == "" {
		t.Errorf("suggestion %v, reason %q", p.Suggestion, p.SuggestionReason)
	}
	if r.Principal("admin-node") != nil || r.Principal("ext") != nil {
		t.Error("synthetic administrator or external principal listed as a principal")
	}
}

func TestAttackPathPrincipalsRankFirst(t *testing.T) {
	r := build(t, testGraph(t, nil), Sources{}, Options{})
	app := row(t, r, "app")
	if len(app.AttackPaths) != 1 {
		t.Fatalf("app paths %v, want its one attack path", app.AttackPaths)
	}
	pos := map[string]int{}
	for i, p := range r.Principals {
		pos[p.ID] = i
	}
	if dev := row(t, r, "dev"); dev.Score <= app.Score || pos["app"] > pos["dev"] {
		t.Fatalf("dev (%.1f, row %d) vs app (%.1f, row %d): app must rank above dev despite a lower score", dev.Score, pos["dev"], app.Score, pos["app"])
	}
	for i := 1; i < len(r.Principals); i++ {
		a, b := r.Principals[i-1], r.Principals[i]
		if len(a.AttackPaths) == 0 && len(b.AttackPaths) > 0 || (len(a.AttackPaths) > 0) == (len(b.AttackPaths) > 0) && a.Score < b.Score {
			t.Fatalf("rows %d and %d out of order: %s %.1f, %s %.1f", i, i+1, a.ID, a.Score, b.ID, b.Score)
		}
	}
	if len(app.SensitiveData) != 1 || app.SensitiveData[0].ID != "payroll" || app.ScoreParts.DataWeight != 1.75 {
		t.Fatalf("app sensitive data %+v, data weight %v", app.SensitiveData, app.ScoreParts.DataWeight)
	}
}

func TestEscalationAndTrust(t *testing.T) {
	r := build(t, testGraph(t, nil), Sources{}, Options{})
	dev, ops := row(t, r, "dev"), row(t, r, "ops")
	if dev.Admin.Direct || !dev.Admin.ViaEscalation || len(dev.Admin.Path) != 1 || !strings.Contains(dev.Admin.Path[0], "aws.iam.passrole") {
		t.Fatalf("dev admin %+v, want via escalation through passrole", dev.Admin)
	}
	if !ops.Admin.Direct {
		t.Fatalf("ops admin %+v, want direct", ops.Admin)
	}
	if len(ops.Trust) != 1 || ops.Trust[0].Kind != TrustExternal || ops.Trust[0].Account != "999" || !ops.Trust[0].CanAssume {
		t.Fatalf("ops trust %+v", ops.Trust)
	}
	var kinds []string
	for _, tr := range row(t, r, "shared").Trust {
		kinds = append(kinds, tr.Kind+":"+tr.Principal)
	}
	// Same-account trust is not outside trust.
	if want := []string{"public:anyone", "federated:idp", "cross-account:other-role"}; !slices.Equal(kinds, want) {
		t.Fatalf("shared trust %v, want %v", kinds, want)
	}
	if app := row(t, r, "app"); app.Admin.ViaEscalation || len(app.Trust) != 0 {
		t.Fatalf("app admin %+v trust %+v, want neither", app.Admin, app.Trust)
	}
}

func TestWindowAndDormantCredentials(t *testing.T) {
	tests := []struct {
		days        int
		storage     string
		activity    string
		unusedSens  int
		dormantKeys int
	}{
		{90, StateUnused, StateUnused, 7, 1}, // storage last used 100 days ago; pubsub never
		{120, StateUsed, StateUsed, 4, 1},    // storage inside the window; the key was never used
		{400, StateUsed, StateUsed, 4, 0},    // the key, created 300 days ago, is inside the window: new, not dormant
	}
	for _, tc := range tests {
		t.Run(fmt.Sprint(tc.days), func(t *testing.T) {
			sa := row(t, build(t, testGraph(t, nil), Sources{}, Options{LastAccessedDays: tc.days}), "sa")
			var storage ServiceView
			for _, s := range sa.Permissions.Services {
				if s.Service == "storage" {
					storage = s
				}
			}
			if storage.State != tc.storage || sa.Activity.State != tc.activity || sa.Usage.UnusedSensitive != tc.unusedSens || len(sa.Dormant) != tc.dormantKeys {
				t.Fatalf("storage %s activity %s unused sensitive %d dormant %d; want %s %s %d %d",
					storage.State, sa.Activity.State, sa.Usage.UnusedSensitive, len(sa.Dormant), tc.storage, tc.activity, tc.unusedSens, tc.dormantKeys)
			}
		})
	}
}

type recordingWriter struct{ got []string }

func (w *recordingWriter) LeastPrivilege(keep []entitlement.Keep, removed int) (*entitlement.Suggestion, error) {
	w.got = nil
	for _, k := range keep {
		if k.All {
			w.got = append(w.got, k.Service+":* except "+strings.Join(k.Except, ","))
		}
		w.got = append(w.got, k.Actions...)
	}
	return &entitlement.Suggestion{Policy: "{}", Actions: slices.Clone(w.got), Removed: removed}, nil
}

func TestSuggestionNeedsUsageAndAWriter(t *testing.T) {
	r := build(t, testGraph(t, nil), Sources{}, Options{LastAccessedDays: 120})
	if sa := row(t, r, "sa"); sa.Suggestion != nil || !strings.Contains(sa.SuggestionReason, `no policy writer for cloud "gcp"`) {
		t.Fatalf("sa without a writer: %v %q", sa.Suggestion, sa.SuggestionReason)
	}
	w := &recordingWriter{}
	r = build(t, testGraph(t, nil), Sources{Policies: map[graph.Cloud]entitlement.PolicyWriter{graph.CloudGCP: w}}, Options{LastAccessedDays: 120})
	sa := row(t, r, "sa")
	want := []string{"storage.buckets.list", "storage.objects.create", "storage.objects.delete", "storage.objects.get", "storage.objects.list"}
	if sa.Suggestion == nil || !slices.Equal(w.got, want) || sa.Suggestion.Removed != 4 {
		t.Fatalf("suggestion %+v from %v, want %v with pubsub's 4 permissions removed", sa.Suggestion, w.got, want)
	}
	// Usage supplied by Sources replaces the stored property: nothing used, nothing to suggest.
	src := Sources{Policies: map[graph.Cloud]entitlement.PolicyWriter{graph.CloudGCP: w}, Usage: map[string]*entitlement.UsageData{"sa": {Version: 1, Services: []entitlement.ServiceUsage{}}}}
	if sa := row(t, build(t, testGraph(t, nil), src, Options{LastAccessedDays: 120}), "sa"); sa.Suggestion != nil || !strings.Contains(sa.SuggestionReason, "nothing used") {
		t.Fatalf("sa with empty usage: %v %q", sa.Suggestion, sa.SuggestionReason)
	}
}

func TestFilters(t *testing.T) {
	g := testGraph(t, nil)
	r := build(t, g, Sources{}, Options{Accounts: []string{"p1"}})
	if len(r.Principals) != 1 || r.Principals[0].ID != "sa" {
		t.Fatalf("account filter kept %d principals", len(r.Principals))
	}
	r = build(t, g, Sources{}, Options{Principals: []string{"dev", "app"}})
	if len(r.Principals) != 2 {
		t.Fatalf("principal filter kept %d principals, want dev and app", len(r.Principals))
	}
}

func TestBadPropertiesAreErrors(t *testing.T) {
	tests := map[string]func(nodes []graph.Node){
		"unparsable entitlements": func(n []graph.Node) { n[2].Props[entitlement.PropEntitlements] = "{not json" },
		"future version":          func(n []graph.Node) { n[2].Props[entitlement.PropEntitlements] = `{"v":99,"services":[]}` },
		"unparsable usage":        func(n []graph.Node) { n[2].Props[entitlement.PropLastAccessed] = "[" },
	}
	for name, mutate := range tests {
		t.Run(name, func(t *testing.T) {
			if _, err := Build(context.Background(), testGraph(t, mutate), Sources{}, Options{Now: testNow}); err == nil || !strings.Contains(err.Error(), "app") {
				t.Fatalf("err = %v, want an error naming the node", err)
			}
		})
	}
	if _, err := Build(context.Background(), testGraph(t, nil), Sources{}, Options{LastAccessedDays: -1}); err == nil {
		t.Fatal("negative window accepted")
	}
}

func TestEscalationsThroughASharedPolicyNodeAreListedForItsHolders(t *testing.T) {
	nodes := []graph.Node{
		{ID: "sp", Kind: graph.KindServiceAccount, Name: "sp", Account: "sub", Cloud: graph.CloudAzure},
		{ID: "grant", Kind: graph.KindPolicy, Name: "Contributor at sub", Account: "sub", Cloud: graph.CloudAzure},
		{ID: "vm-mi", Kind: graph.KindServiceAccount, Name: "vm identity", Account: "sub", Cloud: graph.CloudAzure},
		{ID: "blob", Kind: graph.KindBucket, Name: "blob", Account: "sub", Cloud: graph.CloudAzure},
	}
	edges := []graph.Edge{
		{From: "sp", To: "grant", Kind: graph.EdgeEscalatesTo, Technique: "azure.authorization.holds-role", Likelihood: 1},
		{From: "grant", To: "vm-mi", Kind: graph.EdgeEscalatesTo, Technique: "azure.compute.run-command", Likelihood: 0.85},
		{From: "grant", To: "blob", Kind: graph.EdgeReads, Technique: "azure.storage.blob-read", Likelihood: 0.95},
	}
	sp := row(t, build(t, graph.Assemble(nodes, edges, nil), Sources{}, Options{}), "sp")
	if want := []string{"azure.compute.run-command -> vm identity (policy Contributor at sub)"}; !slices.Equal(sp.Admin.Escalations, want) {
		t.Fatalf("escalations %v, want %v", sp.Admin.Escalations, want)
	}
	if len(sp.Resources) != 1 || sp.Resources[0].ID != "blob" {
		t.Fatalf("resources %+v, want the blob through the grant", sp.Resources)
	}
}

// A source that tracks every allowed action (exhaustive usage, as GCP
// policy insights are) lets the report keep exactly the used actions of a
// service whose allowed names were not recorded; without it the row says
// the names are missing.
func TestExhaustiveUsageKeepsExactlyTheUsedActions(t *testing.T) {
	used := []entitlement.ActionUsage{{Action: "pubsub.topics.publish", LastAccessed: daysAgo(2)}, {Action: "pubsub.topics.create", LastAccessed: daysAgo(200)}}
	tests := []struct {
		name       string
		exhaustive bool
		want       []string
		reason     string
		unused     int
	}{
		{"exhaustive: only the action used in the window", true, []string{"pubsub.topics.publish"}, "", 3},
		{"not exhaustive: allowed names unknown", false, nil, "allowed actions of pubsub were not recorded", 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			u := &entitlement.UsageData{Version: entitlement.Version, Source: "test", CollectedAt: testNow, Services: []entitlement.ServiceUsage{
				{Service: "pubsub", LastAccessed: daysAgo(2), ActionLevel: true, Exhaustive: tc.exhaustive, Actions: used}}}
			w := &recordingWriter{}
			r := build(t, testGraph(t, nil), Sources{Policies: map[graph.Cloud]entitlement.PolicyWriter{graph.CloudGCP: w}, Usage: map[string]*entitlement.UsageData{"sa": u}},
				Options{LastAccessedDays: 90})
			sa := row(t, r, "sa")
			if tc.want == nil {
				if sa.Suggestion != nil || !strings.Contains(sa.SuggestionReason, tc.reason) {
					t.Fatalf("suggestion %+v reason %q, want none: %q", sa.Suggestion, sa.SuggestionReason, tc.reason)
				}
				return
			}
			if sa.Suggestion == nil || !slices.Equal(w.got, tc.want) {
				t.Fatalf("suggestion %+v (%q) from %v, want %v", sa.Suggestion, sa.SuggestionReason, w.got, tc.want)
			}
			if !slices.Contains(sa.Suggestion.Replaces, entitlement.Replaced{On: "roles/editor-binding"}) {
				t.Errorf("replaces %+v", sa.Suggestion.Replaces)
			}
			for _, s := range sa.Permissions.Services {
				if s.Service == "pubsub" && s.UnusedSensitive != tc.unused {
					t.Errorf("pubsub unused sensitive %d, want %d", s.UnusedSensitive, tc.unused)
				}
			}
		})
	}
}

// TestRowsSortRiskiestFirst: sorting row numbers and moving each row once
// orders the rows as sorting the rows themselves does (on-path first, then
// by score, then by id), whatever the input order.
func TestRowsSortRiskiestFirst(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	for _, n := range []int{0, 1, 2, 7, 300} {
		ps := make([]Principal, n)
		for i := range ps {
			ps[i] = Principal{ID: fmt.Sprintf("p%03d", r.IntN(1000)*1000+i), Score: float64(r.IntN(4)) * 12.5}
			if r.IntN(3) == 0 {
				ps[i].AttackPaths = []string{"path"}
			}
		}
		want := slices.Clone(ps)
		slices.SortFunc(want, func(x, y Principal) int {
			if x.AttackPaths != nil != (y.AttackPaths != nil) {
				if x.AttackPaths != nil {
					return -1
				}
				return 1
			}
			if x.Score != y.Score {
				return cmp.Compare(y.Score, x.Score)
			}
			return cmp.Compare(x.ID, y.ID)
		})
		sortRows(ps)
		for i := range ps {
			if ps[i].ID != want[i].ID {
				t.Fatalf("n=%d: row %d is %s, want %s", n, i, ps[i].ID, want[i].ID)
			}
		}
	}
}

// TestBuildReportsItsStagesWhenAsked: Options.Timing receives the stages'
// durations (the CLI logs them); without it Build works the same.
func TestBuildReportsItsStagesWhenAsked(t *testing.T) {
	g := graph.Assemble([]graph.Node{{ID: "u", Kind: graph.KindUser, Account: "111", Cloud: graph.CloudAWS}}, nil, nil)
	unset := Timing{Search: -1, Rows: -1, Order: -1}
	timing := unset
	rep, err := Build(t.Context(), g, Sources{}, Options{Now: testNow, Timing: &timing})
	if err != nil {
		t.Fatal(err)
	}
	if timing.Search < 0 || timing.Rows < 0 || timing.Order < 0 {
		t.Fatalf("stages not reported: %+v", timing)
	}
	plain, err := Build(t.Context(), g, Sources{}, Options{Now: testNow})
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Principals) != 1 || len(plain.Principals) != 1 {
		t.Fatalf("rows %d and %d, want 1 each", len(rep.Principals), len(plain.Principals))
	}
}
