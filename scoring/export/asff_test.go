package export

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/breachpath/breachpath/collector/aws/mototest"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/securityhub"
	shtypes "github.com/aws/aws-sdk-go-v2/service/securityhub/types"

	"github.com/breachpath/breachpath/graph"
	"github.com/breachpath/breachpath/scoring"
)

var asffOpts = ASFFOptions{AccountID: "111122223333", Region: "eu-west-1", Now: time.Date(2025, 11, 20, 9, 0, 0, 0, time.UTC)}

func TestASFFMatchesGoldenFile(t *testing.T) {
	var buf bytes.Buffer
	if err := WriteASFF(&buf, report(t), asffOpts); err != nil {
		t.Fatal(err)
	}
	checkGolden(t, "asff", buf.Bytes())
}

// bigReport is a queue of n findings, with text over every ASFF limit.
func bigReport(n int) *scoring.Report {
	r := &scoring.Report{}
	for i := range n {
		f := &graph.Finding{ID: fmt.Sprintf("rule.x:%04d", i), RuleID: "rule.x", Resource: fmt.Sprintf("arn:aws:s3:::bucket-%d", i),
			Severity: graph.Severity(i % 5), Title: strings.Repeat("t", 400) + "\x1b[31m", Evidence: strings.Repeat("e", 2000),
			Remediation: strings.Repeat("r", 900)}
		for c := range 40 {
			f.Controls = append(f.Controls, fmt.Sprintf("CIS:%d", c))
		}
		r.Queue = append(r.Queue, scoring.Prioritised{Finding: f, Priority: float64(i % 100), OnPath: i%2 == 0,
			ResourceType: "AWS::S3::Bucket", Owner: "team-" + strings.Repeat("o", 300)})
	}
	return r
}

// decodeSDK decodes an ASFF batch line into the SDK's own type, refusing
// any field the SDK's AwsSecurityFinding does not have: a misspelt field
// name fails here rather than being dropped by Security Hub.
func decodeSDK(t *testing.T, line []byte) []shtypes.AwsSecurityFinding {
	t.Helper()
	var batch struct {
		Findings []shtypes.AwsSecurityFinding
	}
	dec := json.NewDecoder(bytes.NewReader(line))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&batch); err != nil {
		t.Fatalf("ASFF line does not decode into securityhub/types.AwsSecurityFinding: %v", err)
	}
	return batch.Findings
}

func asffLines(t *testing.T, r *scoring.Report, o ASFFOptions) [][]byte {
	t.Helper()
	var buf bytes.Buffer
	if err := WriteASFF(&buf, r, o); err != nil {
		t.Fatal(err)
	}
	var lines [][]byte
	sc := bufio.NewScanner(&buf)
	sc.Buffer(nil, 64<<20)
	for sc.Scan() {
		lines = append(lines, bytes.Clone(sc.Bytes()))
	}
	return lines
}

func TestASFFBatchesHoldAtMost100WithinFieldLimits(t *testing.T) {
	for _, n := range []int{0, 1, 100, 101, 250} {
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			lines := asffLines(t, bigReport(n), asffOpts)
			if want := (n + 99) / 100; len(lines) != want {
				t.Fatalf("%d batches, want %d", len(lines), want)
			}
			total := 0
			for _, l := range lines {
				fs := decodeSDK(t, l)
				if len(fs) == 0 || len(fs) > ASFFMaxBatch {
					t.Fatalf("batch of %d", len(fs))
				}
				total += len(fs)
				for _, f := range fs {
					if utf8.RuneCountInString(*f.Title) > 256 || utf8.RuneCountInString(*f.Description) > 1024 ||
						utf8.RuneCountInString(*f.Remediation.Recommendation.Text) > 512 || len(f.Compliance.RelatedRequirements) > 32 ||
						utf8.RuneCountInString(f.UserDefinedFields["owner"]) > 256 {
						t.Fatalf("over an ASFF limit: %+v", f)
					}
					if strings.ContainsRune(*f.Title, 0x1b) {
						t.Fatalf("control character in the title %q", *f.Title)
					}
					if *f.Resources[0].Type != "AwsS3Bucket" || f.Severity.Label == "" {
						t.Fatalf("resource %+v severity %+v", f.Resources[0], f.Severity)
					}
				}
			}
			if total != n {
				t.Fatalf("%d findings exported, want %d", total, n)
			}
		})
	}
}

func TestASFFResourceTypesFollowSecurityHubNames(t *testing.T) {
	for cfn, want := range map[string]string{
		"EC2::Instance": "AwsEc2Instance", "RDS::DBInstance": "AwsRdsDbInstance", "IAM::Role": "AwsIamRole",
		"S3::Bucket": "AwsS3Bucket", "DynamoDB::Table": "AwsDynamoDbTable", "SecretsManager::Secret": "AwsSecretsManagerSecret",
		"ElasticLoadBalancingV2::LoadBalancer": "AwsElbv2LoadBalancer", "EC2::SecurityGroup": "AwsEc2SecurityGroup",
		"KMS::Key": "AwsKmsKey", "Lambda::Function": "AwsLambdaFunction", "ECR::Repository": "AwsEcrRepository",
	} {
		if got := asffType(cfn); got != want {
			t.Errorf("asffType(%q) = %q, want %q", cfn, got, want)
		}
	}
}

func TestASFFRejectsAnIncompleteTarget(t *testing.T) {
	for _, o := range []ASFFOptions{{Region: "eu-west-1"}, {AccountID: "12345", Region: "eu-west-1"}, {AccountID: "111122223333"},
		{AccountID: "111122223333", Region: "Europe"}, {AccountID: "111122223333", Region: "eu-west-1", Partition: "azure"}} {
		if _, err := ASFFBatches(&scoring.Report{}, o); err == nil {
			t.Errorf("%+v accepted", o)
		}
	}
}

// TestASFFImportsIntoMotoSecurityHub sends every batch through the AWS SDK's
// BatchImportFindings (whose client checks the required members) to moto's
// Security Hub and reads the findings back. moto checks little of ASFF
// (docs/notifications.md says what): the SDK decoding above and the
// client's validation carry the rest.
func TestASFFImportsIntoMotoSecurityHub(t *testing.T) {
	ep := mototest.Endpoint(t)
	// A 12-digit access key id selects that moto account, so this test
	// shares the server with others without resetting it.
	account := "424242424242"
	cfg := aws.Config{Region: "eu-west-1", BaseEndpoint: aws.String(ep),
		Credentials: credentials.NewStaticCredentialsProvider(account, "fake-secret", "")}
	sh := securityhub.NewFromConfig(cfg)
	ctx := context.Background()
	if _, err := sh.EnableSecurityHub(ctx, &securityhub.EnableSecurityHubInput{}); err != nil && !strings.Contains(err.Error(), "already") {
		t.Fatalf("enable Security Hub in moto: %v", err)
	}
	o := ASFFOptions{AccountID: account, Region: "eu-west-1"}
	r := report(t)
	big := bigReport(150)
	// one fixed finding: imported archived
	big.Queue[0].Finding.ResolvedAt = time.Now().UTC()
	r.Queue = append(r.Queue, big.Queue...)
	lines := asffLines(t, r, o)
	if len(lines) != 2 {
		t.Fatalf("%d batches for %d findings", len(lines), len(r.Queue))
	}
	for _, l := range lines {
		fs := decodeSDK(t, l)
		out, err := sh.BatchImportFindings(ctx, &securityhub.BatchImportFindingsInput{Findings: fs})
		if err != nil {
			t.Fatalf("BatchImportFindings: %v", err)
		}
		if aws.ToInt32(out.FailedCount) != 0 || int(aws.ToInt32(out.SuccessCount)) != len(fs) {
			t.Fatalf("BatchImportFindings: %d failed (%+v), %d imported of %d", aws.ToInt32(out.FailedCount), out.FailedFindings, aws.ToInt32(out.SuccessCount), len(fs))
		}
	}
	// importing again updates, never duplicates: the ids are the findings' stable ids
	if _, err := sh.BatchImportFindings(ctx, &securityhub.BatchImportFindingsInput{Findings: decodeSDK(t, lines[0])}); err != nil {
		t.Fatal(err)
	}
	got := map[string]shtypes.AwsSecurityFinding{}
	p := securityhub.NewGetFindingsPaginator(sh, &securityhub.GetFindingsInput{MaxResults: aws.Int32(100)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			t.Fatalf("GetFindings: %v", err)
		}
		for _, f := range page.Findings {
			got[aws.ToString(f.Id)] = f
		}
	}
	if len(got) != len(r.Queue) {
		t.Fatalf("moto holds %d findings, want %d", len(got), len(r.Queue))
	}
	sg := got["sg-open:1"]
	if aws.ToString(sg.Title) != "Security group allows SSH from 0.0.0.0/0" || sg.Severity.Label != shtypes.SeverityLabelHigh ||
		sg.ProductFields["breachpath/OnAttackPath"] != "true" || aws.ToString(sg.Resources[0].Type) != "AwsEc2Instance" ||
		sg.UserDefinedFields["owner"] != "payments" || aws.ToString(sg.AwsAccountId) != account {
		t.Fatalf("read back: title %q severity %v resource type %q owner %q account %q", aws.ToString(sg.Title), sg.Severity, aws.ToString(sg.Resources[0].Type),
			sg.UserDefinedFields["owner"], aws.ToString(sg.AwsAccountId))
	}
	if fixed := got[big.Queue[0].Finding.ID]; fixed.RecordState != shtypes.RecordStateArchived || fixed.Workflow.Status != shtypes.WorkflowStatusResolved {
		t.Fatalf("resolved finding read back %s / %+v, want ARCHIVED / RESOLVED", fixed.RecordState, fixed.Workflow)
	}
	// what moto does check: a finding without resources is refused
	bad := decodeSDK(t, lines[0])[:1]
	bad[0].Resources = []shtypes.Resource{}
	bad[0].Id = aws.String("no-resources")
	out, err := sh.BatchImportFindings(ctx, &securityhub.BatchImportFindingsInput{Findings: bad})
	if err == nil && aws.ToInt32(out.FailedCount) != 1 {
		t.Fatalf("moto accepted a finding with no resources: %+v", out)
	}
}
