package main

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/breachpath/breachpath/graph"
	"github.com/breachpath/breachpath/graph/embedded"
	"github.com/breachpath/breachpath/queries"
)

// queryStore writes a two-move estate into a fresh embedded store: the
// anonymous principal reads a confidential bucket, and a user assumes an
// admin role.
func queryStore(t *testing.T) string {
	t.Helper()
	ctx := context.Background()
	db := filepath.Join(t.TempDir(), "q.db")
	st, err := embedded.Open(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	snap := &graph.Snapshot{
		Scope: graph.Scope{Cloud: graph.CloudAWS, ID: "111122223333"},
		Nodes: []graph.Node{
			{ID: "anonymous:aws", Kind: graph.KindExternalPrincipal, Name: "*", Stub: true, Props: graph.Props{graph.PropAnonymous: true}},
			{ID: "arn:aws:s3:::payroll", Kind: graph.KindBucket, Cloud: graph.CloudAWS, Name: "payroll, 2025", Account: "111122223333", Sensitivity: graph.SensitivityConfidential},
			{ID: "arn:aws:iam::111122223333:user/ana", Kind: graph.KindUser, Cloud: graph.CloudAWS, Name: "ana", Account: "111122223333"},
			{ID: "arn:aws:iam::111122223333:role/ops", Kind: graph.KindRole, Cloud: graph.CloudAWS, Name: "ops", Account: "111122223333", CrownJewel: true},
		},
		Edges: []graph.Edge{
			{From: "anonymous:aws", To: "arn:aws:s3:::payroll", Kind: graph.EdgeReads, Technique: "aws.s3.public-read"},
			{From: "arn:aws:iam::111122223333:user/ana", To: "arn:aws:iam::111122223333:role/ops", Kind: graph.EdgeAssumes, Technique: "aws.sts.assume-role"},
		},
	}
	if _, err := st.Sync(ctx, snap); err != nil {
		t.Fatal(err)
	}
	return db
}

func runQuery(t *testing.T, db string, args ...string) (string, error) {
	t.Helper()
	var out bytes.Buffer
	a := &app{dbPath: db, stdout: &out, stderr: &out}
	cmd := a.queryCommand()
	cmd.SetArgs(args)
	cmd.SetOut(&out)
	cmd.SetErr(&out)
	err := cmd.ExecuteContext(context.Background())
	return out.String(), err
}

func TestQueryCommandPrintsResults(t *testing.T) {
	db := queryStore(t)
	tests := []struct {
		name  string
		args  []string
		check func(t *testing.T, out string)
	}{
		{"table of the anonymous read", []string{"anonymous-data-access"}, func(t *testing.T, out string) {
			if !strings.Contains(out, "PRINCIPAL") || !strings.Contains(out, "arn:aws:s3:::payroll") || !strings.HasSuffix(out, "1 rows\n") {
				t.Errorf("table:\n%s", out)
			}
		}},
		{"json carries columns, rows and bound params", []string{"shadow-admins", "--format", "json", "--param", "max_hops=2"}, func(t *testing.T, out string) {
			var res queries.Result
			if err := json.Unmarshal([]byte(out), &res); err != nil {
				t.Fatalf("%v:\n%s", err, out)
			}
			// ops is admin and not named so; ana assumes it
			if len(res.Rows) != 2 || res.Rows[0][0] != "arn:aws:iam::111122223333:role/ops" || res.Rows[1][0] != "arn:aws:iam::111122223333:user/ana" ||
				res.Params["max_hops"] != float64(2) {
				t.Errorf("json: %+v", res)
			}
		}},
		{"csv quotes values with commas", []string{"public-sensitive-data", "--format", "csv"}, func(t *testing.T, out string) {
			recs, err := csv.NewReader(strings.NewReader(out)).ReadAll()
			if err != nil {
				t.Fatal(err)
			}
			if len(recs) != 2 || recs[0][0] != "id" || recs[1][2] != "payroll, 2025" || recs[1][6] != "1" {
				t.Errorf("csv: %q", recs)
			}
		}},
		{"list names every query", []string{"--list"}, func(t *testing.T, out string) {
			for _, q := range queries.All() {
				if !strings.Contains(out, q.Name) {
					t.Errorf("--list misses %s", q.Name)
				}
			}
		}},
		{"cypher prints browser params and the query", []string{"public-sensitive-data", "--cypher", "--param", "threshold=restricted"}, func(t *testing.T, out string) {
			q, _ := queries.Get("public-sensitive-data")
			if !strings.Contains(out, `:param threshold => "restricted"`) || !strings.Contains(out, ":param max_hops => 8") ||
				!strings.Contains(out, `:param ns => ""`) || !strings.Contains(out, q.Cypher) {
				t.Errorf("cypher output:\n%s", out)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, err := runQuery(t, db, tt.args...)
			if err != nil {
				t.Fatalf("%v\n%s", err, out)
			}
			tt.check(t, out)
		})
	}
}

func TestQueryCommandRejectsBadUsage(t *testing.T) {
	db := queryStore(t)
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"no name", nil, "name a query"},
		{"unknown query", []string{"no-such-query"}, `"no-such-query": no such query`},
		{"malformed param", []string{"public-sensitive-data", "--param", "threshold"}, "want key=value"},
		{"unknown param", []string{"public-sensitive-data", "--param", "depth=3"}, `unknown parameter "depth"`},
		{"bad value", []string{"public-sensitive-data", "--param", "max_hops=99"}, "out of range"},
		{"missing required param", []string{"sensitive-reachable-from"}, `"from" is required`},
		{"bad format", []string{"stale-nodes", "--format", "xml"}, "want table, json or csv"},
		{"duplicate param", []string{"public-sensitive-data", "--param", "max_hops=2", "--param", "max_hops=3"}, "given twice"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := runQuery(t, db, tt.args...)
			if err == nil || !errors.Is(err, errUsage) || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error = %v, want a usage error containing %q", err, tt.want)
			}
		})
	}
}
