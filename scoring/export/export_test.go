package export

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/breachpath/breachpath/graph"
	"github.com/breachpath/breachpath/paths"
	"github.com/breachpath/breachpath/scoring"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// report scores a small estate: an internet-exposed web server whose role
// reads a restricted secret, and a restricted database only under a condition
// the collection could not decide (so rds-read:1 is on conditional paths only),
// and an isolated dev box with a critical finding.
func report(t *testing.T) *scoring.Report {
	t.Helper()
	seen := time.Date(2025, 11, 20, 8, 0, 0, 0, time.UTC)
	f := func(id, rule, res string, sev graph.Severity, title, fix string, controls ...string) graph.Finding {
		return graph.Finding{ID: id, RuleID: rule, Resource: res, Severity: sev, Title: title, Remediation: fix,
			Controls: controls, FirstSeen: seen.Add(-72 * time.Hour), LastSeen: seen, Evidence: "rule matched " + rule}
	}
	web := "arn:aws:ec2:eu-west-1:111122223333:instance/i-0abc"
	role := "arn:aws:iam::111122223333:role/web-role"
	db := "arn:aws:rds:eu-west-1:111122223333:db:customers"
	dev := "arn:aws:ec2:eu-west-1:111122223333:instance/i-0dev"
	secret := "arn:aws:secretsmanager:eu-west-1:111122223333:secret:api-key"
	nodes := []graph.Node{
		{ID: graph.InternetID, Kind: graph.KindInternet},
		{ID: web, Kind: graph.KindCompute, Cloud: graph.CloudAWS, NativeType: "AWS::EC2::Instance", Name: "web-1", Tags: map[string]string{"owner": "payments"}},
		{ID: role, Kind: graph.KindRole, Cloud: graph.CloudAWS, NativeType: "AWS::IAM::Role", Name: "web-role", Tags: map[string]string{"team": "platform"}},
		{ID: db, Kind: graph.KindDatabase, Cloud: graph.CloudAWS, NativeType: "AWS::RDS::DBInstance", Name: "customers", Sensitivity: graph.SensitivityRestricted},
		{ID: dev, Kind: graph.KindCompute, Cloud: graph.CloudAWS, NativeType: "AWS::EC2::Instance", Name: "dev, \"box\""},
		{ID: secret, Kind: graph.KindSecret, Cloud: graph.CloudAWS, NativeType: "AWS::SecretsManager::Secret", Name: "api-key", Sensitivity: graph.SensitivityRestricted},
	}
	findings := []graph.Finding{
		f("sg-open:1", "aws.ec2.sg-open-ssh", web, graph.SeverityHigh, "Security group allows SSH from 0.0.0.0/0", "Restrict port 22 to the bastion's security group.", "CIS-AWS-3.0:5.2"),
		f("imds:1", "aws.ec2.imdsv1", web, graph.SeverityMedium, "Instance allows IMDSv1", "Require IMDSv2 (HttpTokens=required).", "AWS-FSBP:EC2.8"),
		f("rds-read:1", "aws.iam.wildcard-rds", role, graph.SeverityLow, "Role reads every RDS database", "Scope rds-db:connect to the databases the role needs."),
		f("secret-read:1", "aws.iam.wildcard-secrets", role, graph.SeverityLow, "Role reads every secret", "Scope secretsmanager:GetSecretValue to the secrets the role needs."),
		f("dev-open:1", "aws.ec2.sg-open-all", dev, graph.SeverityCritical, "Security group open to the world on all ports", "Remove the 0.0.0.0/0 ingress rule."),
	}
	edges := []graph.Edge{
		{From: graph.InternetID, To: web, Kind: graph.EdgeExposedTo, Technique: "net.internet-exposure", Findings: []string{"sg-open:1"}, Evidence: []string{"sg-1 allows 0.0.0.0/0:22"}},
		{From: web, To: role, Kind: graph.EdgeUsesIdentity, Technique: "aws.ec2.imds-credentials", Findings: []string{"imds:1"}},
		{From: role, To: db, Kind: graph.EdgeReads, Technique: "aws.rds.iam-auth", Findings: []string{"rds-read:1"}, Conditional: true},
		{From: role, To: secret, Kind: graph.EdgeReads, Technique: "aws.secretsmanager.read", Findings: []string{"secret-read:1"}},
		{From: graph.InternetID, To: dev, Kind: graph.EdgeExposedTo, Technique: "net.internet-exposure", Findings: []string{"dev-open:1"}},
	}
	g := graph.Assemble(nodes, edges, findings)
	res, err := paths.Search(context.Background(), g, paths.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return scoring.Score(g, res, scoring.Options{})
}

func TestWriteMatchesGoldenFiles(t *testing.T) {
	r := report(t)
	for _, format := range Formats() {
		t.Run(format, func(t *testing.T) {
			var buf bytes.Buffer
			if err := Write(&buf, format, r); err != nil {
				t.Fatal(err)
			}
			checkGolden(t, format, buf.Bytes())
		})
	}
}

// checkGolden compares a format's output with testdata/FORMAT.golden
// (go test -update rewrites it).
func checkGolden(t *testing.T, format string, got []byte) {
	t.Helper()
	golden := filepath.Join("testdata", format+".golden")
	if *update {
		if err := os.WriteFile(golden, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s output differs from %s (go test -update rewrites it):\n%s", format, golden, got)
	}
}

// TestEveryFormatMarksAFindingOnlyOnConditionalPathsAsConditional: rds-read:1 enables only
// the path through the conditional hop, sg-open:1 also enables the unconditional one, and
// dev-open:1 enables none; every format says so.
func TestEveryFormatMarksAFindingOnlyOnConditionalPathsAsConditional(t *testing.T) {
	r := report(t)
	want := map[string]bool{"rds-read:1": true, "sg-open:1": false, "imds:1": false, "secret-read:1": false, "dev-open:1": false}
	out := func(format string) []byte {
		var buf bytes.Buffer
		if err := Write(&buf, format, r); err != nil {
			t.Fatal(err)
		}
		return buf.Bytes()
	}
	for _, tc := range []struct {
		format string
		// conditional reads each finding's conditional mark from the output
		conditional func(t *testing.T, b []byte) map[string]bool
	}{
		{FormatTable, func(t *testing.T, b []byte) map[string]bool {
			got := map[string]bool{}
			// rows name the rule, not the finding id: map rules back
			rule := map[string]string{}
			for _, q := range r.Queue {
				rule[q.Finding.RuleID] = q.Finding.ID
			}
			for _, line := range strings.Split(string(b), "\n")[1:] {
				for rid, id := range rule {
					if strings.Contains(line, " "+rid+" ") {
						got[id] = strings.HasSuffix(strings.TrimSpace(line), "(conditional)")
					}
				}
			}
			return got
		}},
		{FormatCSV, func(t *testing.T, b []byte) map[string]bool {
			rows, err := csv.NewReader(bytes.NewReader(b)).ReadAll()
			if err != nil {
				t.Fatal(err)
			}
			col := map[string]int{}
			for i, h := range rows[0] {
				col[h] = i
			}
			got := map[string]bool{}
			for _, row := range rows[1:] {
				got[row[col["finding_id"]]] = row[col["conditional"]] == "true"
			}
			return got
		}},
		{FormatJSON, func(t *testing.T, b []byte) map[string]bool {
			var doc struct {
				Queue []struct {
					Finding     struct{ ID string }
					Conditional *bool `json:"conditional"`
				} `json:"queue"`
			}
			if err := json.Unmarshal(b, &doc); err != nil {
				t.Fatal(err)
			}
			got := map[string]bool{}
			for _, q := range doc.Queue {
				if q.Conditional == nil {
					t.Fatalf("%s: no conditional field", q.Finding.ID)
				}
				got[q.Finding.ID] = *q.Conditional
			}
			return got
		}},
		{FormatSARIF, func(t *testing.T, b []byte) map[string]bool {
			var doc struct {
				Runs []struct {
					Results []struct {
						PartialFingerprints map[string]string `json:"partialFingerprints"`
						Properties          map[string]any    `json:"properties"`
					} `json:"results"`
				} `json:"runs"`
			}
			if err := json.Unmarshal(b, &doc); err != nil {
				t.Fatal(err)
			}
			got := map[string]bool{}
			for _, res := range doc.Runs[0].Results {
				c, ok := res.Properties["conditional"].(bool)
				if !ok {
					t.Fatalf("result %v: no boolean conditional property", res.PartialFingerprints)
				}
				got[res.PartialFingerprints["breachpathFindingId/v1"]] = c
			}
			return got
		}},
		{FormatOCSF, func(t *testing.T, b []byte) map[string]bool {
			var events []struct {
				FindingInfo struct {
					UID string `json:"uid"`
				} `json:"finding_info"`
				Unmapped map[string]any `json:"unmapped"`
			}
			if err := json.Unmarshal(b, &events); err != nil {
				t.Fatal(err)
			}
			got := map[string]bool{}
			for _, e := range events {
				c, ok := e.Unmapped["conditional"].(bool)
				if !ok {
					t.Fatalf("event %s: no boolean unmapped.conditional", e.FindingInfo.UID)
				}
				got[e.FindingInfo.UID] = c
			}
			return got
		}},
	} {
		t.Run(tc.format, func(t *testing.T) {
			got := tc.conditional(t, out(tc.format))
			for id, w := range want {
				if c, ok := got[id]; !ok || c != w {
					t.Errorf("%s: conditional = %v (listed %v), want %v", id, c, ok, w)
				}
			}
		})
	}
}

func TestWriteRejectsUnknownFormat(t *testing.T) {
	err := Write(&bytes.Buffer{}, "xml", report(t))
	if err == nil || !strings.Contains(err.Error(), "want one of csv, json, ocsf, sarif, table") {
		t.Errorf("err = %v", err)
	}
	if err := Write(&bytes.Buffer{}, FormatJSON, nil); err == nil {
		t.Error("nil report accepted")
	}
}

func TestWriteEmptyReport(t *testing.T) {
	for _, format := range Formats() {
		var buf bytes.Buffer
		if err := Write(&buf, format, &scoring.Report{}); err != nil {
			t.Errorf("%s: %v", format, err)
		}
	}
}

// TestJSONIsTheOnePieceEncodingOfALargeReport: the queue and the paths are
// encoded a batch at a time on every core and streamed; the bytes must be
// those of encoding the whole document at once, for a report longer than
// many batches and for an empty one.
func TestJSONIsTheOnePieceEncodingOfALargeReport(t *testing.T) {
	small := report(t)
	large := &scoring.Report{Truncated: true}
	for i := range 1000 {
		for _, q := range small.Queue {
			f := *q.Finding
			f.ID = fmt.Sprintf("%s#%d<&>", f.ID, i)
			q.Finding = &f
			large.Queue = append(large.Queue, q)
		}
		for _, p := range small.Paths {
			p.ID = fmt.Sprintf("%s#%d", p.ID, i)
			large.Paths = append(large.Paths, p)
		}
	}
	for name, r := range map[string]*scoring.Report{"large": large, "empty": {}, "small": small} {
		t.Run(name, func(t *testing.T) {
			var want bytes.Buffer
			enc := json.NewEncoder(&want)
			enc.SetIndent("", "  ")
			q, p := r.Queue, r.Paths
			if q == nil {
				q = []scoring.Prioritised{}
			}
			if p == nil {
				p = []scoring.ScoredPath{}
			}
			if err := enc.Encode(jsonDoc{Schema: JSONSchemaID, Truncated: r.Truncated, Queue: q, Paths: p}); err != nil {
				t.Fatal(err)
			}
			var got bytes.Buffer
			if err := Write(&got, "json", r); err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got.Bytes(), want.Bytes()) {
				t.Fatalf("streamed JSON (%d bytes) differs from the one-piece encoding (%d bytes)", got.Len(), want.Len())
			}
		})
	}
}

// jsonDoc is the shape of the JSON export, encoded in one piece.
type jsonDoc struct {
	Schema    string                `json:"schema"`
	Truncated bool                  `json:"truncated"`
	Queue     []scoring.Prioritised `json:"queue"`
	Paths     []scoring.ScoredPath  `json:"paths"`
}
