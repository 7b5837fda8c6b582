package inventory

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/breachpath/breachpath/graph"
)

func TestEncodeDecodeRoundTripKeepsEveryArea(t *testing.T) {
	inv := &Inventory{AccountID: "111122223333", Partition: "aws", CollectedAt: time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)}
	inv.IAM.Users = []User{{ARN: "arn:aws:iam::111122223333:user/a", Name: "a", AccessKeys: []AccessKey{{ID: "AKIA1", Status: "Active"}}}}
	inv.IAM.Roles = []Role{{ARN: "arn:aws:iam::111122223333:role/r", TrustPolicy: `{"Version":"2012-10-17"}`}}
	inv.S3 = []Bucket{{Name: "b", Region: "us-east-1", Tags: Tags{"data-classification": "restricted"}}}
	r := inv.Region("us-east-1")
	r.Instances = []Instance{{ID: "i-1", MetadataHTTPTokens: "optional"}}
	r.SecurityGroups = []SecurityGroup{{ID: "sg-1", Ingress: []SGRule{{Protocol: "tcp", FromPort: 22, ToPort: 22, CIDRs: []string{"0.0.0.0/0"}}}}}
	inv.Coverage.Failed = []graph.Failure{{Area: graph.Area{Service: "ec2", Region: "eu-west-1"}, Error: "AccessDenied"}}

	var buf bytes.Buffer
	if err := Encode(&buf, inv); err != nil {
		t.Fatal(err)
	}
	got, err := Decode(&buf)
	if err != nil {
		t.Fatal(err)
	}
	if got.CountResources() != 5 {
		t.Errorf("CountResources = %d, want 5", got.CountResources())
	}
	if got.Regional["us-east-1"].SecurityGroups[0].Ingress[0].CIDRs[0] != "0.0.0.0/0" {
		t.Errorf("security group rule lost: %+v", got.Regional["us-east-1"].SecurityGroups)
	}
	if !got.Coverage.FailedFor("ec2", "eu-west-1") || got.Coverage.FailedFor("ec2", "us-east-1") {
		t.Errorf("coverage lost: %+v", got.Coverage)
	}
	if !got.CollectedAt.Equal(inv.CollectedAt) {
		t.Errorf("CollectedAt = %v", got.CollectedAt)
	}
}

func TestDecodeRejectsBadInput(t *testing.T) {
	for _, tc := range []struct {
		name, in, want string
	}{
		{"truncated", `{"account_id":"1"`, "truncated"},
		{"wrong type", `{"account_id":5}`, "cannot unmarshal"},
		{"no account", `{}`, "no account_id"},
		{"empty", ``, "truncated"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Decode(strings.NewReader(tc.in))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Decode(%q) error = %v, want it to mention %q", tc.in, err, tc.want)
			}
		})
	}
}
