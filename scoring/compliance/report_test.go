package compliance

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/breachpath/breachpath/graph"
	"github.com/breachpath/breachpath/scoring"
)

// testFramework has one control of each kind the report distinguishes.
func testFramework() *Framework {
	return &Framework{ID: "test-1.0", Title: "Test Benchmark", Version: "1.0", Source: "a test", URL: "https://example.invalid",
		CitePrefix: "TEST-1.0", Catalogue: CatalogueComplete, Controls: []Control{
			{ID: "1.1", Title: "no rule evidences this", Rules: nil},
			{ID: "1.2", Title: "a rule that ran and found nothing", Rules: []string{"aws.quiet"}},
			{ID: "1.10", Title: "a rule that found something off path", Rules: []string{"aws.noisy"}},
			{ID: "2.1", Title: "a rule that found something on a path", Rules: []string{"aws.onpath"}},
			{ID: "2.2", Title: "a rule of a cloud not collected", Rules: []string{"gcp.thing"}},
			{ID: "3.1", Title: "cited only: the v4 variant", RulesIfCited: []string{"aws.port"}},
			{ID: "3.2", Title: "cited only: the v6 variant", RulesIfCited: []string{"aws.port"}},
			{ID: "4.1", Title: "a prefix entry", Rules: []string{"aws.esc-*"}},
			{ID: "4.2", Title: "a demo-estate-only rule", Rules: []string{"aws.demo-only"}},
		}}
}

func testRules() []graph.Rule {
	mk := func(id string, cloud graph.Cloud, collectors ...string) graph.Rule {
		return graph.Rule{ID: id, Cloud: cloud, Severity: graph.SeverityHigh, Title: id, Source: "test", Collectors: collectors}
	}
	return []graph.Rule{
		mk("aws.quiet", graph.CloudAWS, "aws"), mk("aws.noisy", graph.CloudAWS, "aws"), mk("aws.onpath", graph.CloudAWS, "aws"),
		mk("gcp.thing", graph.CloudGCP, "gcp"), mk("aws.port", graph.CloudAWS, "aws"),
		mk("aws.esc-a", graph.CloudAWS, "aws"), mk("aws.esc-b", graph.CloudAWS, "aws"),
		mk("aws.demo-only", graph.CloudAWS, "synthetic"),
	}
}

func row(rule, resource string, onPath bool, priority float64, controls ...string) scoring.Prioritised {
	f := &graph.Finding{ID: graph.FindingID(rule, resource), RuleID: rule, Resource: resource, Severity: graph.SeverityHigh,
		Title: "title of " + rule, Controls: controls}
	paths := 0
	if onPath {
		paths = 2
	}
	return scoring.Prioritised{Finding: f, OnPath: onPath, Paths: paths, Priority: priority, ResourceName: resource}
}

func testReport(queue ...scoring.Prioritised) *Report {
	return Build(Input{Framework: testFramework(), Rules: testRules(), Queue: queue,
		Collected:   []Collected{{Scope: graph.Scope{Cloud: graph.CloudAWS, ID: "111122223333"}, Collector: "aws"}},
		GeneratedAt: time.Date(2026, 12, 6, 10, 0, 0, 0, time.UTC)})
}

func TestBuildDecidesEachControl(t *testing.T) {
	rep := testReport(
		row("aws.noisy", "arn:aws:s3:::b1", false, 30),
		row("aws.onpath", "arn:aws:ec2:i-1", true, 80),
		row("aws.port", "arn:aws:ec2:sg-1", false, 40, "TEST-1.0:3.1"),
		row("aws.esc-b", "arn:aws:iam::role/r", false, 20),
	)
	byID := map[string]ControlResult{}
	for _, c := range rep.Controls {
		byID[c.ID] = c
	}
	for _, tc := range []struct {
		control  string
		status   Status
		failures []string
		reason   string
	}{
		{"1.1", StatusNotEvaluated, nil, "no finding rule"},
		{"1.2", StatusPass, nil, ""},
		{"1.10", StatusFail, []string{"arn:aws:s3:::b1"}, ""},
		{"2.1", StatusFail, []string{"arn:aws:ec2:i-1"}, ""},
		{"2.2", StatusNotEvaluated, nil, "no collected scope ran"},
		{"3.1", StatusFail, []string{"arn:aws:ec2:sg-1"}, ""},
		{"3.2", StatusPass, nil, ""}, // the finding cites the v4 control only
		{"4.1", StatusFail, []string{"arn:aws:iam::role/r"}, ""},
		{"4.2", StatusNotEvaluated, nil, "no collected scope ran"}, // only the demo estate runs it
	} {
		c, ok := byID[tc.control]
		if !ok {
			t.Errorf("control %s missing", tc.control)
			continue
		}
		var got []string
		for _, f := range c.Failures {
			got = append(got, f.Resource)
		}
		if c.Status != tc.status || !slices.Equal(got, tc.failures) || !strings.Contains(c.Reason, tc.reason) {
			t.Errorf("control %s: status %s failures %v reason %q; want %s %v %q", tc.control, c.Status, got, c.Reason, tc.status, tc.failures, tc.reason)
		}
	}
	want := Summary{Controls: 9, Pass: 2, Fail: 4, NotEvaluated: 3, FailOnPath: 1, PassRate: 100 * 2.0 / 6}
	if rep.Summary != want {
		t.Errorf("summary %+v, want %+v", rep.Summary, want)
	}
}

func TestBuildPutsControlsFailingOnAttackPathsFirst(t *testing.T) {
	rep := testReport(
		row("aws.noisy", "arn:aws:s3:::b1", false, 45),
		row("aws.onpath", "arn:aws:ec2:i-1", true, 60),
		row("aws.esc-a", "arn:aws:iam::user/u", false, 49),
	)
	var order []string
	for _, c := range rep.Controls {
		order = append(order, c.ID+":"+string(c.Status))
	}
	want := []string{"2.1:fail", "4.1:fail", "1.10:fail", "1.2:pass", "3.1:pass", "3.2:pass", "1.1:not_evaluated", "2.2:not_evaluated", "4.2:not_evaluated"}
	if !slices.Equal(order, want) {
		t.Errorf("order %v\nwant  %v", order, want)
	}
}

func TestBuildIgnoresResolvedFindings(t *testing.T) {
	r := row("aws.noisy", "arn:aws:s3:::b1", false, 45)
	r.Finding.ResolvedAt = time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	for _, c := range testReport(r).Controls {
		if c.ID == "1.10" && c.Status != StatusPass {
			t.Fatalf("a resolved finding still fails its control: %+v", c)
		}
	}
}

func TestCSVNeutralisesEveryCell(t *testing.T) {
	r := row("aws.noisy", "=HYPERLINK(\"http://evil\",\"x\")", false, 45)
	r.ResourceName = "+cmd|' /C calc'!A0"
	r.Owner = "@SUM(1+1)"
	var buf bytes.Buffer
	if err := Write(&buf, "csv", testReport(r)); err != nil {
		t.Fatal(err)
	}
	recs, err := csv.NewReader(&buf).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, rec := range recs {
		for _, cell := range rec {
			if cell != "" && strings.ContainsRune("=+-@\t\r", rune(cell[0])) {
				t.Errorf("cell %q would be evaluated by a spreadsheet", cell)
			}
			if strings.Contains(cell, "HYPERLINK") {
				found = true
			}
		}
	}
	if !found || len(recs) != 1+9 {
		t.Fatalf("%d records; hostile row present: %v", len(recs), found)
	}
}

func TestHTMLShowsHostileTextInert(t *testing.T) {
	r := row("aws.onpath", "arn:aws:ec2:i-1", true, 80)
	r.ResourceName = "<script>alert(1)</script>evil\u202egpj.exe"
	r.Finding.Evidence = "<img src=x onerror=alert(1)>"
	var buf bytes.Buffer
	if err := Write(&buf, "html", testReport(r)); err != nil {
		t.Fatal(err)
	}
	page := buf.String()
	for _, bad := range []string{"<script", "<img", "\u202e"} {
		if strings.Contains(page, bad) {
			t.Errorf("HTML contains %q raw", bad)
		}
	}
	for _, want := range []string{"&lt;script&gt;", `\u202e`, "Test Benchmark", `data-control="2.1"`} {
		if !strings.Contains(page, want) {
			t.Errorf("HTML lacks %q", want)
		}
	}
}

func TestTableShowsControlsAndFailures(t *testing.T) {
	var buf bytes.Buffer
	if err := Write(&buf, "table", testReport(row("aws.onpath", "arn:aws:ec2:i-1\x1b[2J", true, 80))); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	if strings.Contains(out, "\x1b") {
		t.Error("the table passes an escape sequence through")
	}
	for _, want := range []string{"9 controls, 5 pass, 1 fail (1 with failures on attack paths), 3 not evaluated", "FAIL", "* high aws.onpath on"} {
		if !strings.Contains(out, want) {
			t.Errorf("table lacks %q:\n%s", want, out)
		}
	}
}

func TestWriteRejectsUnknownFormat(t *testing.T) {
	if err := Write(&bytes.Buffer{}, "pdf", testReport()); err == nil || !strings.Contains(err.Error(), "table, csv, json, html, ocsf") {
		t.Fatalf("err = %v", err)
	}
}

func TestJSONRoundTripsTheReport(t *testing.T) {
	var buf bytes.Buffer
	if err := Write(&buf, "json", testReport(row("aws.noisy", "arn:aws:s3:::b1", false, 45))); err != nil {
		t.Fatal(err)
	}
	var back Report
	if err := json.Unmarshal(buf.Bytes(), &back); err != nil {
		t.Fatal(err)
	}
	if back.Framework.ID != "test-1.0" || back.Summary.Fail != 1 || len(back.Controls) != 9 {
		t.Fatalf("round trip: %+v", back.Summary)
	}
}
