package resources

import (
	"slices"
	"strings"
	"testing"

	"github.com/breachpath/breachpath/graph"
)

// TestPublicBucketPolicyOnObjects: anonymous grants on one key or prefix make the bucket public,
// with the key pattern as evidence; grants gated by aws:Referer or aws:SourceIp are public with a
// condition (conditional edge, finding raised); a deny on the key overrides.
func TestPublicBucketPolicyOnObjects(t *testing.T) {
	pol := func(stmts ...string) string {
		return `{"Version":"2012-10-17","Statement":[` + strings.Join(stmts, ",") + `]}`
	}
	allow := func(resource, cond string) string {
		s := `{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"` + resource + `"`
		if cond != "" {
			s += `,"Condition":` + cond
		}
		return s + "}"
	}
	referer := `{"StringLike":{"aws:Referer":"https://www.example.com/*"}}`
	sourceIP := `{"IpAddress":{"aws:SourceIp":"203.0.113.0/24"}}`
	tests := []struct {
		name        string
		policy      string
		want        bool
		conditional bool
		evidence    string
	}{
		{"anonymous grant on a single key", pol(allow(bucketARN+"/flag.txt", "")), true, false, bucketARN + "/flag.txt"},
		{"anonymous grant on a prefix", pol(allow(bucketARN+"/exports/*", "")), true, false, bucketARN + "/exports/*"},
		{"anonymous grant on a key of another bucket", pol(allow("arn:aws:s3:::other/flag.txt", "")), false, false, ""},
		{"deny on the key overrides the key grant", pol(allow(bucketARN+"/flag.txt", ""),
			`{"Effect":"Deny","Principal":"*","Action":"s3:GetObject","Resource":"`+bucketARN+`/flag.txt"}`), false, false, ""},
		{"Referer-gated grant is public with a condition", pol(allow(bucketARN+"/*", referer)), true, true, "aws:referer"},
		{"Referer-gated grant on a single key is public with a condition", pol(allow(bucketARN+"/site/index.html", referer)), true, true, bucketARN + "/site/index.html"},
		{"SourceIp-gated grant is public with a condition", pol(allow(bucketARN+"/*", sourceIP)), true, true, "aws:sourceip"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			inv := fixture()
			inv.S3[0].Policy, inv.S3[0].PublicAccessBlock = tc.policy, nil
			inv.S3AccountPublicAccessBlock = nil
			p := build(t, inv, Options{})
			e := findEdge(p, AnonymousID, string(graph.EdgeReads), bucketARN)
			if !tc.want {
				if e != nil || hasFinding(p, RuleS3PublicRead, bucketARN) {
					t.Fatalf("bucket public: %+v", e)
				}
				return
			}
			if e == nil {
				t.Fatal("no anonymous read of the bucket")
			}
			if e.Technique != TechS3PublicPolicy || e.Conditional != tc.conditional {
				t.Errorf("edge technique %s conditional %t, want %s %t", e.Technique, e.Conditional, TechS3PublicPolicy, tc.conditional)
			}
			if !slices.ContainsFunc(e.Evidence, func(s string) bool { return strings.Contains(strings.ToLower(s), strings.ToLower(tc.evidence)) }) {
				t.Errorf("evidence %q does not name %q", e.Evidence, tc.evidence)
			}
			if !slices.Contains(e.Findings, graph.FindingID(RuleS3PublicRead, bucketARN)) {
				t.Errorf("edge cites %v, want the public-read finding", e.Findings)
			}
		})
	}
}
