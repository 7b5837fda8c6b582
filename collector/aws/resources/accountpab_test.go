package resources

import (
	"testing"

	"github.com/breachpath/breachpath/collector/aws/inventory"
)

// TestAccountPublicAccessBlockDecidesBucketPublicness: a bucket is public
// only if neither its own nor the account's Block Public Access blocks the
// grant; each of the four settings counts at either level.
func TestAccountPublicAccessBlockDecidesBucketPublicness(t *testing.T) {
	const pubARN = "arn:aws:s3:::open-data"
	publicPolicy := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"` + pubARN + `/*"}]}`
	allOn := &inventory.PublicAccessBlock{BlockPublicACLs: true, IgnorePublicACLs: true, BlockPublicPolicy: true, RestrictPublicBuckets: true}
	tests := []struct {
		name            string
		bucket, account *inventory.PublicAccessBlock
		wantACL         bool // anonymous READS through the ACL grant
		wantPolicy      bool // anonymous READS through the bucket policy
	}{
		{name: "neither level configured: public by ACL and policy", wantACL: true, wantPolicy: true},
		{name: "account blocks everything", account: allOn},
		{name: "bucket blocks everything", bucket: allOn},
		{name: "account ignores public ACLs, policy still public", account: &inventory.PublicAccessBlock{IgnorePublicACLs: true}, wantPolicy: true},
		{name: "account restricts public buckets, ACL still public", account: &inventory.PublicAccessBlock{RestrictPublicBuckets: true}, wantACL: true},
		{name: "bucket ignores ACLs and account restricts policies", bucket: &inventory.PublicAccessBlock{IgnorePublicACLs: true},
			account: &inventory.PublicAccessBlock{RestrictPublicBuckets: true}},
		// BlockPublicAcls/BlockPublicPolicy only refuse new grants: existing
		// ones keep working.
		{name: "account only blocks new grants", account: &inventory.PublicAccessBlock{BlockPublicACLs: true, BlockPublicPolicy: true}, wantACL: true, wantPolicy: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			inv := fixture()
			inv.S3AccountPublicAccessBlock = tt.account
			inv.S3 = []inventory.Bucket{{Name: "open-data", Region: region, Versioning: "Enabled", Policy: publicPolicy, PublicAccessBlock: tt.bucket,
				ACL: []inventory.Grant{{GranteeType: "Group", GranteeURI: granteeAllUsers, Permission: "READ"}}}}
			p := build(t, inv, Options{})
			acl := findEdgeTechnique(p, AnonymousID, "READS", pubARN, TechS3PublicACL)
			pol := findEdgeTechnique(p, AnonymousID, "READS", pubARN, TechS3PublicPolicy)
			if acl != tt.wantACL || pol != tt.wantPolicy {
				t.Errorf("public by ACL = %v, by policy = %v; want %v, %v", acl, pol, tt.wantACL, tt.wantPolicy)
			}
			if got := hasFinding(p, RuleS3AccountPAB, accountNodeID("aws", acct)); got == pabAllOn(tt.account) {
				t.Errorf("account Block Public Access finding = %v with account setting %+v", got, tt.account)
			}
		})
	}
}

func findEdgeTechnique(p *Part, from, kind, to, technique string) bool {
	for _, e := range p.Edges {
		if e.From == from && string(e.Kind) == kind && e.To == to && e.Technique == technique {
			return true
		}
	}
	return false
}
