package aws

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/breachpath/breachpath/collector/aws/identity"
	"github.com/breachpath/breachpath/collector/aws/inventory"
	"github.com/breachpath/breachpath/graph"
)

// TestObjectCredentialReadersFollowObjectGrants builds a configuration
// bucket whose prod/.env holds the access key of an administrator user and
// checks who gets the read of that credential: identity grants and bucket
// policy grants count only when they cover the object's key (object or
// prefix), anonymous grants count unless Block Public Access restricts the
// bucket, and the credential always opens the key's owner.
func TestObjectCredentialReadersFollowObjectGrants(t *testing.T) {
	const (
		bucket = "arn:aws:s3:::deploy-config"
		keyID  = "AKIA2E3A4F3B2Z4CQ7WX"
		reader = "arn:aws:iam::111122223333:user/reader"
		admin  = "arn:aws:iam::111122223333:user/admin"
	)
	cred := inventory.CredentialNodeID(bucket, "object:prod/.env:line 2")
	grant := func(resource string) string {
		return `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"` + resource + `"}]}`
	}
	public := func(resource string) string {
		return `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"` + resource + `"}]}`
	}
	for _, tc := range []struct {
		name          string
		identity      string // the reader's inline policy
		bucketPolicy  string
		restrict      bool
		wantReader    bool
		wantAnonymous bool
	}{
		{name: "identity grant on the prefix reads it", identity: grant(bucket + "/prod/*"), wantReader: true},
		{name: "identity grant on the exact key reads it", identity: grant(bucket + "/prod/.env"), wantReader: true},
		{name: "identity grant on another prefix does not", identity: grant(bucket + "/public/*")},
		// Principal "*" admits the account's own principals too, without identity permission.
		{name: "anonymous bucket policy on the prefix reads it", bucketPolicy: public(bucket + "/prod/*"), wantReader: true, wantAnonymous: true},
		{name: "anonymous bucket policy on another prefix does not", bucketPolicy: public(bucket + "/public/*")},
		// RestrictPublicBuckets keeps the owner account's principals and drops everyone else.
		{name: "Block Public Access neutralises the anonymous grant", bucketPolicy: public(bucket + "/*"), restrict: true, wantReader: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			inv := &inventory.Inventory{AccountID: acct, Partition: "aws", Regions: []string{region}}
			inv.Region(region)
			u := inventory.User{ARN: reader, Name: "reader", Path: "/"}
			if tc.identity != "" {
				u.InlinePolicies = []inventory.InlinePolicy{{Name: "read", Document: tc.identity}}
			}
			inv.IAM.Users = []inventory.User{u, {ARN: admin, Name: "admin", Path: "/", AccessKeys: []inventory.AccessKey{{ID: keyID, Status: "Active"}},
				InlinePolicies: []inventory.InlinePolicy{{Name: "all", Document: `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}`}}}}
			bk := inventory.Bucket{Name: "deploy-config", ARN: bucket, Region: region, Policy: tc.bucketPolicy,
				ConfigScan: &inventory.BucketConfigScan{Reason: "name word config", Listed: 1, Scanned: 1, Objects: []inventory.ConfigObject{{Key: "prod/.env", Size: 90,
					Credentials: []inventory.ConfigCredential{{Location: "object:prod/.env:line 2", Kind: "aws-secret-access-key", Key: "AWS_SECRET_ACCESS_KEY", KeyID: keyID, Fingerprint: "hmac-sha256:00"}}}}}}
			if tc.restrict {
				bk.PublicAccessBlock = &inventory.PublicAccessBlock{BlockPublicACLs: true, IgnorePublicACLs: true, BlockPublicPolicy: true, RestrictPublicBuckets: true}
			}
			inv.S3 = []inventory.Bucket{bk}
			snap, err := Transform(context.Background(), inv, TransformOptions{})
			if err != nil {
				t.Fatal(err)
			}
			var gotReader, gotAnon, opens, finding bool
			for _, e := range snap.Edges {
				switch {
				case e.To == cred && e.From == reader && e.Kind == graph.EdgeReads:
					gotReader = true
				case e.To == cred && e.From == identity.AnonymousID && e.Kind == graph.EdgeReads:
					gotAnon = true
				case e.From == cred && e.To == admin && e.Kind == graph.EdgeUsesIdentity:
					opens = true
				}
			}
			for _, f := range snap.Findings {
				if f.RuleID == "aws.s3.credential-in-object" && strings.Contains(f.Evidence, "s3://deploy-config/prod/.env") {
					finding = true
				}
			}
			if gotReader != tc.wantReader || gotAnon != tc.wantAnonymous {
				t.Errorf("reader reads the credential %t (want %t), anyone reads it %t (want %t)", gotReader, tc.wantReader, gotAnon, tc.wantAnonymous)
			}
			if !opens || !finding {
				t.Errorf("credential opens the key's owner %t, finding raised %t; want both", opens, finding)
			}
		})
	}
}

// TestObjectACLsMakeObjectCredentialsPublic: an object ACL granting READ to
// AllUsers or AuthenticatedUsers lets anyone read the credential in it,
// unless the bucket's ACLs are disabled (BucketOwnerEnforced) or Block
// Public Access ignores public ACLs; other grantees and permissions do not.
func TestObjectACLsMakeObjectCredentialsPublic(t *testing.T) {
	const (
		bucket   = "arn:aws:s3:::deploy-config"
		allUsers = "http://acs.amazonaws.com/groups/global/AllUsers"
		anyAWS   = "http://acs.amazonaws.com/groups/global/AuthenticatedUsers"
	)
	cred := inventory.CredentialNodeID(bucket, "object:prod/.env:line 2")
	for _, tc := range []struct {
		name      string
		acl       []inventory.Grant
		ownership string
		ignore    bool
		want      bool
	}{
		{name: "READ to AllUsers", acl: []inventory.Grant{{GranteeType: "Group", GranteeURI: allUsers, Permission: "READ"}}, want: true},
		{name: "FULL_CONTROL to AuthenticatedUsers", acl: []inventory.Grant{{GranteeType: "Group", GranteeURI: anyAWS, Permission: "FULL_CONTROL"}}, want: true},
		{name: "READ_ACP to AllUsers reads the ACL, not the object", acl: []inventory.Grant{{GranteeType: "Group", GranteeURI: allUsers, Permission: "READ_ACP"}}},
		{name: "owner only", acl: []inventory.Grant{{GranteeType: "CanonicalUser", GranteeID: "abc", Permission: "FULL_CONTROL"}}},
		{name: "ACLs disabled (BucketOwnerEnforced)", acl: []inventory.Grant{{GranteeType: "Group", GranteeURI: allUsers, Permission: "READ"}},
			ownership: "BucketOwnerEnforced"},
		{name: "IgnorePublicAcls", acl: []inventory.Grant{{GranteeType: "Group", GranteeURI: allUsers, Permission: "READ"}}, ignore: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			inv := &inventory.Inventory{AccountID: acct, Partition: "aws", Regions: []string{region}}
			inv.Region(region)
			bk := inventory.Bucket{Name: "deploy-config", ARN: bucket, Region: region, ObjectOwnership: tc.ownership,
				ConfigScan: &inventory.BucketConfigScan{Reason: "name word config", Listed: 1, Scanned: 1, Objects: []inventory.ConfigObject{{Key: "prod/.env", Size: 90,
					ACL:         tc.acl,
					Credentials: []inventory.ConfigCredential{{Location: "object:prod/.env:line 2", Kind: "password", Key: "DB_PASSWORD", Fingerprint: "hmac-sha256:00"}}}}}}
			if tc.ignore {
				bk.PublicAccessBlock = &inventory.PublicAccessBlock{IgnorePublicACLs: true}
			}
			inv.S3 = []inventory.Bucket{bk}
			snap, err := Transform(context.Background(), inv, TransformOptions{})
			if err != nil {
				t.Fatal(err)
			}
			var got *graph.Edge
			for i, e := range snap.Edges {
				if e.To == cred && e.From == identity.AnonymousID && e.Kind == graph.EdgeReads && e.Technique == "aws.s3.public-object-acl" {
					got = &snap.Edges[i]
				}
			}
			if (got != nil) != tc.want {
				t.Fatalf("anyone reads the credential through the object ACL: %+v, want %v", got, tc.want)
			}
			if got == nil {
				return
			}
			var finding bool
			for _, f := range snap.Findings {
				if f.RuleID == "aws.s3.object-public-acl" && strings.Contains(f.Evidence, "prod/.env") && slices.Contains(got.Findings, f.ID) {
					finding = true
				}
			}
			if !finding {
				t.Errorf("edge findings %v: want the object-public-acl finding", got.Findings)
			}
		})
	}
}
