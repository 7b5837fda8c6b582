package gate

import (
	"bytes"
	"context"
	"flag"
	"os"
	"strings"
	"testing"

	"github.com/breachpath/breachpath/scoring/sarif/sariftest"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/breachpath/breachpath/graph"
	"github.com/breachpath/breachpath/paths"
)

var update = flag.Bool("update", false, "rewrite the golden files")

// evilName is an attacker-chosen resource name: markdown, HTML, a table
// cell break, a terminal escape and a bidi override.
const evilName = "app <img src=x onerror=alert(1)> [click](https://evil.example) | x\x1b[31m\u202e"

// fixture is a change that exposes an instance (named by the attacker) to
// the Internet, whose role reads a confidential bucket, and that removes a
// public read of another bucket.
func fixture(t *testing.T) (*Report, Input) {
	t.Helper()
	nodes := func() []graph.Node {
		return []graph.Node{
			{ID: graph.InternetID, Kind: graph.KindInternet, Name: "Internet", Stub: true},
			{ID: "aws:anonymous", Kind: graph.KindExternalPrincipal, Name: "Anyone", Stub: true},
			{ID: "arn:aws:ec2:eu-west-1:123456789012:instance/i-1", Kind: graph.KindCompute, Cloud: graph.CloudAWS, Name: evilName},
			{ID: "arn:aws:iam::123456789012:role/app", Kind: graph.KindRole, Cloud: graph.CloudAWS, Name: "app"},
			{ID: "arn:aws:s3:::ledger", Kind: graph.KindBucket, Cloud: graph.CloudAWS, Name: "ledger", Sensitivity: graph.SensitivityConfidential},
			{ID: "arn:aws:s3:::reports", Kind: graph.KindBucket, Cloud: graph.CloudAWS, Name: "reports", Sensitivity: graph.SensitivityRestricted},
		}
	}
	uses := graph.Edge{From: "arn:aws:ec2:eu-west-1:123456789012:instance/i-1", To: "arn:aws:iam::123456789012:role/app", Kind: graph.EdgeUsesIdentity, Technique: "aws.ec2.imds-credential-theft", Likelihood: 0.8}
	reads := graph.Edge{From: "arn:aws:iam::123456789012:role/app", To: "arn:aws:s3:::ledger", Kind: graph.EdgeReads, Technique: "aws.s3.reads", Likelihood: 1}
	exposed := graph.Edge{From: graph.InternetID, To: "arn:aws:ec2:eu-west-1:123456789012:instance/i-1", Kind: graph.EdgeExposedTo, Technique: "aws.ec2.internet-exposed", Likelihood: 0.9, Evidence: []string{"security group sg-1 admits a public source on 22/tcp"}}
	public := graph.Edge{From: "aws:anonymous", To: "arn:aws:s3:::reports", Kind: graph.EdgeReads, Technique: "aws.s3.public-policy", Likelihood: 0.9}
	in := Input{
		Before:      graph.Assemble(nodes(), []graph.Edge{uses, reads, public}, nil),
		After:       graph.Assemble(nodes(), []graph.Edge{uses, reads, exposed}, nil),
		Added:       map[graph.EdgeKey]bool{exposed.Key(): true},
		Removed:     map[graph.EdgeKey]bool{public.Key(): true},
		NodeCauses:  map[string][]string{"arn:aws:ec2:eu-west-1:123456789012:instance/i-1": {`aws_instance.app["<b>x</b>"]`}, "arn:aws:s3:::reports": {"aws_s3_bucket_policy.reports"}},
		Locations:   map[string]Location{`aws_instance.app["<b>x</b>"]`: {File: "infra/main.tf", Line: 12}},
		Assumptions: []string{"aws_security_group.app ingress[0] source CIDR is unknown until apply: assumed 0.0.0.0/0"},
		Unsupported: []string{"aws_route53_record.www"},
		Baseline:    true,
	}
	r, err := Compare(context.Background(), in, Options{Search: paths.Options{}, FailOn: graph.SensitivityConfidential})
	if err != nil {
		t.Fatal(err)
	}
	return r, in
}

func TestCompareReportsOpenedAndClosedPathsWithTheirCauses(t *testing.T) {
	r, _ := fixture(t)
	if len(r.Opened) != 1 || r.Opened[0].Target != "arn:aws:s3:::ledger" {
		t.Fatalf("opened %+v, want the path to the ledger", r.Opened)
	}
	if got := r.Opened[0].Hops[0].Causes; len(got) != 1 || got[0] != `aws_instance.app["<b>x</b>"]` {
		t.Errorf("exposure hop caused by %q", got)
	}
	if c := r.Opened[0].Hops[1].Causes; len(c) != 0 {
		t.Errorf("unchanged hop caused by %q, want none", c)
	}
	if len(r.Closed) != 1 || r.Closed[0].Target != "arn:aws:s3:::reports" || r.Closed[0].Addresses[0] != "aws_s3_bucket_policy.reports" {
		t.Errorf("closed %+v, want the public read of reports", r.Closed)
	}
	if !r.Failed || !r.Opened[0].Fails {
		t.Error("a new path to confidential data did not fail the gate")
	}
}

func TestFailOnAboveTheTargetSensitivityPasses(t *testing.T) {
	_, in := fixture(t)
	r, err := Compare(context.Background(), in, Options{FailOn: graph.SensitivityRestricted})
	if err != nil {
		t.Fatal(err)
	}
	if r.Failed {
		t.Error("a path to confidential data failed a gate set to restricted")
	}
}

func TestMarkdownMatchesTheGoldenFile(t *testing.T) {
	r, _ := fixture(t)
	var buf bytes.Buffer
	if err := WriteMarkdown(&buf, r); err != nil {
		t.Fatal(err)
	}
	golden(t, "testdata/report.md", buf.Bytes())
	for _, bad := range []string{"<img", "](https://evil", "\x1b", "\u202e", "<b>"} {
		if strings.Contains(buf.String(), bad) {
			t.Errorf("markdown carries %q unescaped", bad)
		}
	}
}

func TestTableShowsNoActingCharacter(t *testing.T) {
	r, _ := fixture(t)
	var buf bytes.Buffer
	if err := WriteTable(&buf, r); err != nil {
		t.Fatal(err)
	}
	for _, bad := range []string{"\x1b", "\u202e"} {
		if strings.Contains(buf.String(), bad) {
			t.Errorf("table carries %q", bad)
		}
	}
}

func TestSARIFValidatesAgainstTheOfficialSchemaAndPointsAtTheTfFile(t *testing.T) {
	r, _ := fixture(t)
	for name, rep := range map[string]*Report{"change": r, "empty": {}} {
		t.Run(name, func(t *testing.T) {
			var buf bytes.Buffer
			if err := WriteSARIF(&buf, rep); err != nil {
				t.Fatal(err)
			}
			out := buf.String()
			inst, err := jsonschema.UnmarshalJSON(&buf)
			if err != nil {
				t.Fatal(err)
			}
			if err := sariftest.Schema(t).Validate(inst); err != nil {
				t.Errorf("SARIF output is invalid: %v", err)
			}
			if name == "change" {
				if !strings.Contains(out, `"uri": "infra/main.tf"`) || !strings.Contains(out, `"startLine": 12`) {
					t.Errorf("SARIF lacks the .tf location:\n%s", out)
				}
				if strings.Contains(out, "\x1b") || strings.Contains(out, "\\u001b") {
					t.Error("SARIF message carries a terminal escape")
				}
			}
		})
	}
}

func golden(t *testing.T, path string, got []byte) {
	t.Helper()
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the output:\n%s", path, got)
	}
}
