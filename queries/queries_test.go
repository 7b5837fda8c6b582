package queries_test

import (
	"context"
	"encoding/json"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/breachpath/breachpath/graph"
	"github.com/breachpath/breachpath/queries"
)

func TestRegistryDescribesEveryQuery(t *testing.T) {
	all := queries.All()
	if len(all) < 15 {
		t.Fatalf("%d queries, want at least 15", len(all))
	}
	kebab := regexp.MustCompile(`^[a-z0-9]+(-[a-z0-9]+)*$`)
	param := regexp.MustCompile(`\$([a-z_]+)`)
	for i, q := range all {
		if i > 0 && all[i-1].Name >= q.Name {
			t.Errorf("All() not sorted by unique name at %q", q.Name)
		}
		if !kebab.MatchString(q.Name) || q.Title == "" || q.Description == "" || len(q.Columns) == 0 || q.Cypher == "" {
			t.Errorf("%q: name must be kebab-case and title, description, columns and Cypher set", q.Name)
		}
		if got, ok := queries.Get(q.Name); !ok || got.Name != q.Name {
			t.Errorf("Get(%q) = %v, %v", q.Name, got.Name, ok)
		}
		// every parameter is used by the Cypher, and the Cypher uses no other
		used := map[string]bool{}
		for _, m := range param.FindAllStringSubmatch(q.Cypher, -1) {
			used[m[1]] = true
		}
		if !used["ns"] {
			t.Errorf("%s: Cypher ignores $ns, so it would read every namespace", q.Name)
		}
		delete(used, "ns")
		for _, p := range q.Params {
			if !used[p.Name] {
				t.Errorf("%s: Cypher does not use $%s", q.Name, p.Name)
			}
			delete(used, p.Name)
			if p.Description == "" || (!p.Required && p.Default == nil) {
				t.Errorf("%s: parameter %s needs a description and a default unless required", q.Name, p.Name)
			}
		}
		for name := range used {
			t.Errorf("%s: Cypher uses $%s, which is no parameter", q.Name, name)
		}
		if strings.Contains(q.Cypher, " CONTAINS ") && q.Name != "shadow-admins" {
			t.Errorf("%s: CONTAINS in Cypher; match on the model, not on text", q.Name)
		}
	}
	if _, ok := queries.Get("no-such-query"); ok {
		t.Error("Get of an unknown name succeeded")
	}
}

func TestBindValidatesParameters(t *testing.T) {
	q, _ := queries.Get("public-sensitive-data")
	from, _ := queries.Get("sensitive-reachable-from")
	tests := []struct {
		name    string
		q       queries.Query
		params  map[string]any
		want    map[string]any
		wantErr string
	}{
		{"defaults fill in", q, nil, map[string]any{"threshold": "confidential", "max_hops": int64(8)}, ""},
		{"command-line strings parse", q, map[string]any{"threshold": "Restricted", "max_hops": "3"}, map[string]any{"threshold": "restricted", "max_hops": int64(3)}, ""},
		{"JSON numbers parse", q, map[string]any{"max_hops": float64(4)}, map[string]any{"threshold": "confidential", "max_hops": int64(4)}, ""},
		{"unknown parameter", q, map[string]any{"hops": 3}, nil, `unknown parameter "hops"`},
		{"not an integer", q, map[string]any{"max_hops": "three"}, nil, `"three" is not an integer`},
		{"fractional number", q, map[string]any{"max_hops": 2.5}, nil, "not an integer"},
		{"out of range", q, map[string]any{"max_hops": 0}, nil, "out of range 1..16"},
		{"unknown level", q, map[string]any{"threshold": "secret"}, nil, `unknown sensitivity "secret"`},
		{"threshold none would select everything", q, map[string]any{"threshold": "none"}, nil, "below the lowest accepted level public"},
		{"required parameter missing", from, nil, nil, `parameter "from" is required`},
		{"empty node id", from, map[string]any{"from": ""}, nil, "must not be empty"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.q.Bind(tt.params)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("Bind(%v) error = %v, want one containing %q", tt.params, err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !jsonEqual(t, got.Map(), tt.want) {
				t.Errorf("Bind(%v) = %v, want %v", tt.params, got.Map(), tt.want)
			}
		})
	}
}

func TestRunReportsUnknownFootholdNode(t *testing.T) {
	q, _ := queries.Get("sensitive-reachable-from")
	_, err := q.Run(context.Background(), assemble(nil), map[string]any{"from": "arn:aws:iam::1:role/nope"})
	if err == nil || !strings.Contains(err.Error(), `no node "arn:aws:iam::1:role/nope"`) {
		t.Fatalf("error = %v, want one naming the missing node", err)
	}
}

func TestRunHonoursCancellation(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	for _, q := range queries.All() {
		params := map[string]any{}
		if q.Name == "sensitive-reachable-from" {
			params["from"] = featWeb
		}
		if _, err := q.Run(ctx, assemble([]*graph.Snapshot{featureSnapshot(true)}), params); err == nil {
			t.Errorf("%s ran to completion on a cancelled context", q.Name)
		}
	}
}

// TestQueriesOnFeatureGraph checks every query against the hand-built
// feature scope: each case lists the rows that must come back, and the
// fixture holds a near miss for each (an IMDSv2 instance, an encrypted
// database, a conditional vendor trust, a tagged bucket ...) that must not.
func TestQueriesOnFeatureGraph(t *testing.T) {
	g := assemble([]*graph.Snapshot{featureSnapshot(true)})
	conf, restr := "confidential", "restricted"
	tests := []struct {
		query  string
		params map[string]any
		want   [][]any
	}{
		// the vendor reads the restricted secret through the role it assumes: public, two moves away
		{"public-sensitive-data", nil, [][]any{
			{featSecret, "Secret", "api-key", "aws", featAcct, restr, 2},
			{featBucket, "Bucket", "feat-untagged", "aws", featAcct, conf, 1},
			{featDBNoKey, "Database", "reports", "aws", featAcct, conf, 3},
		}},
		{"public-sensitive-data", map[string]any{"max_hops": 1}, [][]any{
			{featBucket, "Bucket", "feat-untagged", "aws", featAcct, conf, 1},
		}},
		{"public-sensitive-data", map[string]any{"threshold": "internal"}, [][]any{
			{featSecret, "Secret", "api-key", "aws", featAcct, restr, 2},
			{featBucket, "Bucket", "feat-untagged", "aws", featAcct, conf, 1},
			{featDBNoKey, "Database", "reports", "aws", featAcct, conf, 3},
			{featTagged, "Bucket", "feat-tagged", "aws", featAcct, "internal", 1},
		}},
		{"sensitive-reachable-from", map[string]any{"from": featWeb}, [][]any{
			{featDBNoKey, "Database", "reports", conf, false, 2},
			{featAdmin, "Role", "AdminRole", "none", true, 2},
			{featSuper, "Role", "ops-superuser", "none", true, 2},
		}},
		{"internet-exposed-admin-compute", nil, [][]any{
			{featWeb, "Compute", "web", featWebRole, "web", featAdmin, "AdminRole", 1},
			{featWeb, "Compute", "web", featWebRole, "web", featSuper, "ops-superuser", 1},
		}},
		{"escalation-to-admin", nil, [][]any{
			// assuming a role counts: web assumes AdminRole (conditionally), dana assumes ops-superuser
			{featWebRole, "Role", "web", featAdmin, "AdminRole", 1},
			{featWebRole, "Role", "web", featSuper, "ops-superuser", 1},
			{featUser, "User", "dana", featSuper, "ops-superuser", 1},
		}},
		{"shadow-admins", nil, [][]any{
			{featSuper, "Role", "ops-superuser", featAcct, 0},
			{featWebRole, "Role", "web", featAcct, 1},
			{featUser, "User", "dana", featAcct, 1},
		}},
		{"shadow-admins", map[string]any{"name_marker": "superuser"}, [][]any{
			{featAdmin, "Role", "AdminRole", featAcct, 0},
			{featWebRole, "Role", "web", featAcct, 1},
			{featUser, "User", "dana", featAcct, 1},
		}},
		{"external-trust-without-condition", nil, [][]any{
			{featVendRole, "vendor-integration", featAcct, featVendor, "vendor", "555555555555", "aws.sts.assume-role", 1},
		}},
		{"cross-account-assumes", nil, [][]any{
			{featVendor, "ExternalPrincipal", "555555555555", featVendRole, featAcct, "aws.sts.assume-role", false},
			{featVendor2, "ExternalPrincipal", "555555555556", featCondRole, featAcct, "aws.sts.assume-role", true},
		}},
		{"conditional-moves", nil, [][]any{
			{featAnon, "WRITES", featTagged, "aws.s3.public-write", 0},
			{featVendor2, "ASSUMES", featCondRole, "aws.sts.assume-role", 0},
			{featWebRole, "ASSUMES", featAdmin, "aws.sts.assume-role", 0},
		}},
		{"anonymous-data-access", nil, [][]any{
			{featAnon, "READS", "aws.s3.public-read", featBucket, "Bucket", "feat-untagged", conf},
			{featAnon, "WRITES", "aws.s3.public-write", featTagged, "Bucket", "feat-tagged", "internal"},
		}},
		{"secrets-readable-from-outside", nil, [][]any{
			{featSecret, "api-key", restr, featVendor, featVendRole},
		}},
		{"secrets-readable-from-outside", map[string]any{"max_hops": 1}, nil},
		{"imdsv1-compute-with-identity", nil, [][]any{
			{featWeb, "web", featAcct, featWebRole, true},
			{featWorker, "worker", featAcct, featWorkRole, false},
		}},
		{"unencrypted-sensitive-databases", nil, [][]any{
			{featDBPlain, "ledger", "aws", featAcct, restr, "encrypted=false"},
			{featDBNoKey, "reports", "aws", featAcct, conf, "no-key"},
		}},
		{"unencrypted-sensitive-databases", map[string]any{"threshold": "internal"}, [][]any{
			{featDBPlain, "ledger", "aws", featAcct, restr, "encrypted=false"},
			{featDBNoKey, "reports", "aws", featAcct, conf, "no-key"},
			{featDBLow, "scratch", "aws", featAcct, "internal", "encrypted=false"},
		}},
		{"data-stores-without-owner", nil, [][]any{
			{featBucket, "Bucket", "feat-untagged", "aws", featAcct, conf},
		}},
		{"data-stores-without-owner", map[string]any{"min_sensitivity": "restricted"}, nil},
		{"crown-jewels-most-inbound", nil, [][]any{
			{featSuper, "Role", "ops-superuser", 2, 2},
			{featAdmin, "Role", "AdminRole", 1, 1},
			{featSecret, "Secret", "api-key", 1, 1},
		}},
		{"crown-jewels-most-inbound", map[string]any{"limit": 1}, [][]any{
			{featSuper, "Role", "ops-superuser", 2, 2},
		}},
		// f-sg, f-imds, f-esc, f-trust and f-public enable moves on paths; f-unenc and f-mfa enable none
		{"findings-off-path", nil, [][]any{
			{"f-unenc", "test.f-unenc", "medium", featDBPlain, "finding f-unenc"},
			{"f-mfa", "test.f-mfa", "low", featUser, "finding f-mfa"},
		}},
		// within two moves only the vendor and anonymous paths fit: the three-move web chain's findings drop off
		{"findings-off-path", map[string]any{"max_hops": 2, "min_severity": "medium"}, [][]any{
			{"f-esc", "test.f-esc", "critical", featWebRole, "finding f-esc"},
			{"f-sg", "test.f-sg", "high", featWeb, "finding f-sg"},
			{"f-imds", "test.f-imds", "medium", featWeb, "finding f-imds"},
			{"f-unenc", "test.f-unenc", "medium", featDBPlain, "finding f-unenc"},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.query, func(t *testing.T) {
			q, ok := queries.Get(tt.query)
			if !ok {
				t.Fatalf("no query %q", tt.query)
			}
			res, err := q.Run(context.Background(), g, tt.params)
			if err != nil {
				t.Fatal(err)
			}
			for _, r := range res.Rows {
				if len(r) != len(res.Columns) {
					t.Fatalf("row %v has %d values for %d columns", r, len(r), len(res.Columns))
				}
			}
			if !jsonEqual(t, res.Rows, orEmpty(tt.want)) {
				t.Errorf("%s %v:\n got %s\nwant %s", tt.query, tt.params, mustJSON(t, res.Rows), mustJSON(t, orEmpty(tt.want)))
			}
		})
	}
}

func TestStaleNodesReportsStoreFlags(t *testing.T) {
	since := time.Date(2025, 6, 30, 7, 15, 42, 900_000_000, time.UTC)
	g := graph.Assemble([]graph.Node{
		{ID: "b", Kind: graph.KindBucket, Name: "logs", Account: "1", Service: "s3", Region: "eu-west-1", Stale: true, StaleSince: since},
		{ID: "a", Kind: graph.KindRole, Name: "ops", Account: "1", Service: "iam", Region: "global", Stale: true, StaleSince: since.Add(-time.Hour)},
		{ID: "c", Kind: graph.KindBucket, Name: "fresh", Account: "1", Service: "s3"},
	}, nil, nil)
	q, _ := queries.Get("stale-nodes")
	res, err := q.Run(context.Background(), g, nil)
	if err != nil {
		t.Fatal(err)
	}
	want := [][]any{
		{"a", "Role", "ops", "1", "iam", "global", "2025-06-30T06:15:42Z"},
		{"b", "Bucket", "logs", "1", "s3", "eu-west-1", "2025-06-30T07:15:42Z"},
	}
	if !jsonEqual(t, res.Rows, want) {
		t.Errorf("got %s, want %s", mustJSON(t, res.Rows), mustJSON(t, want))
	}
}

// TestStubsNeverOverrideOwnedNodes: attributes come from the owned copy of
// a node, whatever a stub in another scope says.
func TestStubsNeverOverrideOwnedNodes(t *testing.T) {
	other := &graph.Snapshot{Scope: graph.Scope{Cloud: graph.CloudAWS, ID: "2"}, Nodes: []graph.Node{
		{ID: featAnon, Kind: graph.KindExternalPrincipal, Stub: true, Props: graph.Props{graph.PropAnonymous: true}},
		{ID: featBucket, Kind: graph.KindBucket, Name: "stub-name", Stub: true, Tags: map[string]string{"owner": "x"}},
	}, Edges: []graph.Edge{move(featAnon, featBucket, graph.EdgeReads, "aws.s3.public-read")}}
	g := assemble([]*graph.Snapshot{other, featureSnapshot(true)})
	q, _ := queries.Get("data-stores-without-owner")
	res, err := q.Run(context.Background(), g, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Rows) != 1 || res.Rows[0][0] != featBucket || res.Rows[0][2] != "feat-untagged" {
		t.Errorf("rows %v: want the owned, untagged feat-untagged bucket once", res.Rows)
	}
}

func orEmpty(rows [][]any) [][]any {
	if rows == nil {
		return [][]any{}
	}
	return rows
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func jsonEqual(t *testing.T, a, b any) bool {
	t.Helper()
	return mustJSON(t, a) == mustJSON(t, b)
}
