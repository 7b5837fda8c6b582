package trend_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"io"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/breachpath/breachpath/graph"
	"github.com/breachpath/breachpath/graph/embedded"
	"github.com/breachpath/breachpath/paths"
	"github.com/breachpath/breachpath/scoring/drift"
	"github.com/breachpath/breachpath/scoring/trend"
)

const (
	vmID     = "arn:aws:ec2:eu-west-1:111111111111:instance/i-web"
	roleID   = "arn:aws:iam::111111111111:role/web-role"
	bucketID = "arn:aws:s3:::customer-data"
	dbID     = "arn:aws:rds:eu-west-1:111111111111:db:orders"
)

var t0 = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

// estate: the Internet reaches a web VM (owner tag "web-team", or an
// attacker-chosen name) over SSH when exposed, the VM uses a role that reads
// a restricted bucket; db adds an unencrypted database of team "dba".
func estate(at time.Time, exposed, db bool, owner string) *graph.Snapshot {
	node := func(id string, k graph.Kind, svc string) graph.Node {
		return graph.Node{ID: id, Kind: k, Cloud: graph.CloudAWS, Account: "111111111111", Region: "eu-west-1", Name: filepath.Base(id), Service: svc}
	}
	vm := node(vmID, graph.KindCompute, "ec2")
	vm.Tags = map[string]string{"Owner": owner}
	bucket := node(bucketID, graph.KindBucket, "s3")
	bucket.Sensitivity = graph.SensitivityRestricted
	read := graph.FindingID("role-reads-all-buckets", roleID)
	s := &graph.Snapshot{
		Scope: graph.Scope{Cloud: graph.CloudAWS, ID: "111111111111"}, CollectedAt: at, Collector: "test",
		Nodes: []graph.Node{{ID: graph.InternetID, Kind: graph.KindInternet, Name: "Internet", Stub: true}, vm, node(roleID, graph.KindRole, "iam"), bucket},
		Edges: []graph.Edge{
			{From: vmID, To: roleID, Kind: graph.EdgeUsesIdentity, Technique: "aws.ec2.imds", Likelihood: 0.8},
			{From: roleID, To: bucketID, Kind: graph.EdgeReads, Technique: "aws.s3.read", Likelihood: 1, Findings: []string{read}},
		},
		Findings: []graph.Finding{{ID: read, RuleID: "role-reads-all-buckets", Resource: roleID, Severity: graph.SeverityMedium, Title: "Role reads every bucket"}},
	}
	if exposed {
		ssh := graph.FindingID("ssh-open-world", vmID)
		s.Edges = append(s.Edges, graph.Edge{From: graph.InternetID, To: vmID, Kind: graph.EdgeExposedTo, Technique: "net.internet-exposure", Likelihood: 0.9, Findings: []string{ssh}})
		s.Findings = append(s.Findings, graph.Finding{ID: ssh, RuleID: "ssh-open-world", Resource: vmID, Severity: graph.SeverityHigh, Title: "SSH open to the world"})
	}
	if db {
		db := node(dbID, graph.KindDatabase, "rds")
		db.Tags = map[string]string{"team": "dba"}
		s.Nodes = append(s.Nodes, db)
		s.Findings = append(s.Findings, graph.Finding{ID: graph.FindingID("rds-unencrypted", dbID), RuleID: "rds-unencrypted", Resource: dbID, Severity: graph.SeverityLow, Title: "Database unencrypted"})
	}
	return s
}

// history syncs the estate three times and records an observation after
// each: at t0 everything is open; at +10h the database is fixed; at +34h
// SSH is closed (the only path closes with it).
func history(t *testing.T, owner string) (*graph.Graph, *drift.Ledger) {
	t.Helper()
	ctx := context.Background()
	dir := t.TempDir()
	st, err := embedded.Open(ctx, filepath.Join(dir, "bp.db"), embedded.WithLogger(slog.New(slog.NewTextHandler(io.Discard, nil))))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	l, err := drift.OpenLedger(ctx, filepath.Join(dir, "bp.db.changes"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	for _, s := range []*graph.Snapshot{estate(t0, true, true, owner), estate(t0.Add(10*time.Hour), true, false, owner), estate(t0.Add(34*time.Hour), false, false, owner)} {
		if _, err := st.Sync(ctx, s); err != nil {
			t.Fatal(err)
		}
		if _, err := drift.RecordOwned(ctx, st, l, paths.Options{}, nil, s.CollectedAt); err != nil {
			t.Fatal(err)
		}
	}
	g, err := st.Load(ctx, graph.Filter{IncludeResolved: true})
	if err != nil {
		t.Fatal(err)
	}
	return g, l
}

func TestTrendMeasuresTimeToRemediateAndThePathCountFromTheHistory(t *testing.T) {
	g, l := history(t, "web-team")
	now := t0.Add(24 * 10 * time.Hour) // day 10: the open finding is 10 days old
	r, err := trend.Build(context.Background(), g, l, trend.Options{Now: now})
	if err != nil {
		t.Fatal(err)
	}
	rem := r.Remediation
	if o := rem.Overall; o.Resolved != 2 || o.MeanHours != 22 || o.MedianHours != 22 || o.Open != 1 {
		t.Errorf("overall %+v, want 2 resolved, mean and median 22h, 1 open", o)
	}
	want := map[string]trend.Stat{
		"high":   {Key: "high", Resolved: 1, MeanHours: 34, MedianHours: 34},
		"low":    {Key: "low", Resolved: 1, MeanHours: 10, MedianHours: 10},
		"medium": {Key: "medium", Open: 1},
	}
	if len(rem.BySeverity) != len(want) {
		t.Errorf("by severity %+v", rem.BySeverity)
	}
	for _, s := range rem.BySeverity {
		if s != want[s.Key] {
			t.Errorf("severity %s: %+v, want %+v", s.Key, s, want[s.Key])
		}
	}
	if len(rem.ByAccount) != 1 || rem.ByAccount[0].Key != "111111111111" || rem.ByAccount[0].Resolved != 2 {
		t.Errorf("by account %+v", rem.ByAccount)
	}
	owners := map[string]trend.Stat{}
	for _, s := range rem.ByOwner {
		owners[s.Key] = s
	}
	// the database was deleted to fix its finding: its owner comes from the ledger
	if owners["web-team"].Resolved != 1 || owners["web-team"].MeanHours != 34 || owners["dba"].Resolved != 1 || owners[trend.NoOwner].Open != 1 {
		t.Errorf("by owner %+v", rem.ByOwner)
	}
	ages := map[string]int{}
	for _, b := range r.OpenByAge {
		ages[b.Label] = b.Count
	}
	if ages["7-30 days"] != 1 || r.OpenByAge[2].BySeverity["medium"] != 1 {
		t.Errorf("open by age %+v", r.OpenByAge)
	}
	var counts []int
	for _, p := range r.Paths {
		counts = append(counts, p.Paths)
	}
	if len(counts) != 3 || counts[0] != 1 || counts[1] != 1 || counts[2] != 0 {
		t.Fatalf("path counts %v, want [1 1 0]", counts)
	}
	if r.Paths[0].BySeverity["high"] != 1 || r.Paths[0].OpenFindings != 3 || r.Paths[2].OpenFindings != 1 {
		t.Errorf("first point %+v, last %+v", r.Paths[0], r.Paths[2])
	}

	// the window leaves out what was resolved and observed before it
	r, err = trend.Build(context.Background(), g, l, trend.Options{Now: now, Since: t0.Add(20 * time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	if r.Remediation.Overall.Resolved != 1 || len(r.Paths) != 1 {
		t.Errorf("window: %d resolved, %d points; want 1 and 1", r.Remediation.Overall.Resolved, len(r.Paths))
	}
}

func TestTrendFormatsCarryTheSameNumbers(t *testing.T) {
	g, l := history(t, "=HYPERLINK(\"http://evil\")\u202egpj")
	r, err := trend.Build(context.Background(), g, l, trend.Options{Now: t0.Add(48 * time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	var js bytes.Buffer
	if err := trend.WriteJSON(&js, r); err != nil {
		t.Fatal(err)
	}
	var back trend.Report
	if err := json.Unmarshal(js.Bytes(), &back); err != nil || len(back.Paths) != 3 || back.Remediation.Overall.Resolved != 2 {
		t.Errorf("json round trip: %v %+v", err, back.Remediation.Overall)
	}

	var cs bytes.Buffer
	if err := trend.WriteCSV(&cs, r); err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(&cs).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	sections := map[string]int{}
	for _, row := range rows[1:] {
		sections[row[0]]++
		if strings.HasPrefix(row[1], "=") {
			t.Errorf("a cell reads as a formula: %q", row[1])
		}
	}
	if sections["paths"] != 3 || sections["open_by_age"] != 5 || sections["remediation_overall"] != 1 {
		t.Errorf("csv sections %v", sections)
	}

	var h bytes.Buffer
	if err := trend.WriteHTML(&h, r); err != nil {
		t.Fatal(err)
	}
	page := h.String()
	for _, bad := range []string{"\u202e", "<script", "http://evil\">", "src=\"http"} {
		if strings.Contains(page, bad) {
			t.Errorf("html page holds %q", bad)
		}
	}
	for _, want := range []string{`id="paths-chart"`, `id="age-chart"`, "<polyline", `\u202e`, "HYPERLINK"} {
		if !strings.Contains(page, want) {
			t.Errorf("html page lacks %q", want)
		}
	}
}
