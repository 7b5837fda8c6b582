package export

import (
	"bytes"
	"context"
	"flag"
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
// reads a restricted database, and an isolated dev box with a critical finding.
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
	nodes := []graph.Node{
		{ID: graph.InternetID, Kind: graph.KindInternet},
		{ID: web, Kind: graph.KindCompute, Cloud: graph.CloudAWS, NativeType: "AWS::EC2::Instance", Name: "web-1", Tags: map[string]string{"owner": "payments"}},
		{ID: role, Kind: graph.KindRole, Cloud: graph.CloudAWS, NativeType: "AWS::IAM::Role", Name: "web-role", Tags: map[string]string{"team": "platform"}},
		{ID: db, Kind: graph.KindDatabase, Cloud: graph.CloudAWS, NativeType: "AWS::RDS::DBInstance", Name: "customers", Sensitivity: graph.SensitivityRestricted},
		{ID: dev, Kind: graph.KindCompute, Cloud: graph.CloudAWS, NativeType: "AWS::EC2::Instance", Name: "dev, \"box\""},
	}
	findings := []graph.Finding{
		f("sg-open:1", "aws.ec2.sg-open-ssh", web, graph.SeverityHigh, "Security group allows SSH from 0.0.0.0/0", "Restrict port 22 to the bastion's security group.", "CIS-AWS-3.0:5.2"),
		f("imds:1", "aws.ec2.imdsv1", web, graph.SeverityMedium, "Instance allows IMDSv1", "Require IMDSv2 (HttpTokens=required).", "AWS-FSBP:EC2.8"),
		f("rds-read:1", "aws.iam.wildcard-rds", role, graph.SeverityLow, "Role reads every RDS database", "Scope rds-db:connect to the databases the role needs."),
		f("dev-open:1", "aws.ec2.sg-open-all", dev, graph.SeverityCritical, "Security group open to the world on all ports", "Remove the 0.0.0.0/0 ingress rule."),
	}
	edges := []graph.Edge{
		{From: graph.InternetID, To: web, Kind: graph.EdgeExposedTo, Technique: "net.internet-exposure", Findings: []string{"sg-open:1"}, Evidence: []string{"sg-1 allows 0.0.0.0/0:22"}},
		{From: web, To: role, Kind: graph.EdgeUsesIdentity, Technique: "aws.ec2.imds-credentials", Findings: []string{"imds:1"}},
		{From: role, To: db, Kind: graph.EdgeReads, Technique: "aws.rds.iam-auth", Findings: []string{"rds-read:1"}, Conditional: true},
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
			golden := filepath.Join("testdata", format+".golden")
			if *update {
				if err := os.WriteFile(golden, buf.Bytes(), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run go test -update to create it)", err)
			}
			if !bytes.Equal(buf.Bytes(), want) {
				t.Errorf("%s output differs from %s (go test -update rewrites it):\n%s", format, golden, buf.String())
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
