package fetch

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/breachpath/breachpath/collector/aws/inventory"
)

func TestConfigBucketReasonByNameWordAndTag(t *testing.T) {
	for _, tc := range []struct {
		name string
		tags inventory.Tags
		want bool
	}{
		{"config-bucket", nil, true},
		{"acme-terraform-state", nil, true},
		{"prod.settings.example", nil, true},
		{"nightly_backups", nil, true},
		{"reconfigure-assets", nil, false}, // a word, not a substring
		{"app-assets", nil, false},
		{"app-assets", inventory.Tags{"breachpath:config-scan": "true"}, true},
		{"config-bucket", inventory.Tags{"breachpath:config-scan": "false"}, false},
	} {
		if got := configBucketReason(tc.name, tc.tags) != ""; got != tc.want {
			t.Errorf("configBucketReason(%q, %v) scanned = %t, want %t", tc.name, tc.tags, got, tc.want)
		}
	}
}

func TestCredentialFileNameMatchesKeyFilesOnly(t *testing.T) {
	for key, want := range map[string]bool{"prod/.env": true, "keys/deploy.pem": true, "home/.aws/credentials": true, "tf/terraform.tfstate": true,
		".env.production": true, "ssh/id_rsa": true, "users/admin_accessKeys.csv": true, "logo.png": false, "README.md": false, "environment.md": false} {
		if got := credentialFileName(key); got != want {
			t.Errorf("credentialFileName(%q) = %t, want %t", key, got, want)
		}
	}
}

// The planted values of the configuration-object scan tests.
const (
	plantedObjectKeyID  = "AKIA2E3A4F3B2Z4CQ7WX"
	plantedObjectSecret = "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"
)

// TestConfigObjectScan seeds a configuration bucket (a planted .env, an
// object over the size cap, a binary object holding a key id, a key file
// too large to read) and an ordinary bucket, and checks what the scan
// reads and finds with the flag, and that nothing is read without it.
func TestConfigObjectScan(t *testing.T) {
	ep := motoEndpoint(t)
	ctx := testContext(t)
	const account = "000000001412"
	cfg := testConfig(account)
	cfg.BaseEndpoint = aws.String(ep)
	sc := s3.NewFromConfig(cfg, func(o *s3.Options) { o.UsePathStyle = true })
	cfgBucket, plain := "config-bucket-"+account, "app-assets-"+account
	put := func(bucket, key string, body []byte) {
		t.Helper()
		if _, err := sc.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String(key), Body: bytes.NewReader(body)}); err != nil {
			t.Fatalf("put %s/%s: %v", bucket, key, err)
		}
	}
	for _, b := range []string{cfgBucket, plain} {
		if _, err := sc.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(b)}); err != nil {
			t.Fatalf("create bucket %s: %v", b, err)
		}
	}
	if _, err := sc.PutBucketTagging(ctx, &s3.PutBucketTaggingInput{Bucket: aws.String(plain),
		Tagging: &s3types.Tagging{TagSet: []s3types.Tag{{Key: aws.String("team"), Value: aws.String("web")}}}}); err != nil {
		t.Fatal(err)
	}
	env := []byte("APP_NAME=shop\nAWS_ACCESS_KEY_ID=" + plantedObjectKeyID + "\nAWS_SECRET_ACCESS_KEY=" + plantedObjectSecret + "\n")
	put(cfgBucket, "prod/.env", env)
	big := append(bytes.Repeat([]byte("# padding line of a large settings file\n"), 7000), []byte("DB_PASSWORD=Big-File-Pa55-planted\n")...)
	put(cfgBucket, "big/settings.txt", big) // ~280 KiB: over the 256 KiB default cap
	put(cfgBucket, "bin/blob.dat", append([]byte{0, 1, 2, 0xff, 0}, []byte("AWS_SECRET_ACCESS_KEY="+plantedObjectSecret)...))
	put(cfgBucket, "keys/deploy.pem", bytes.Repeat([]byte("x"), 300<<10))
	put(plain, ".env", env)
	// The .env is world-readable by its own ACL (ACLs are enabled: no ownership controls).
	if _, err := sc.PutObjectAcl(ctx, &s3.PutObjectAclInput{Bucket: aws.String(cfgBucket), Key: aws.String("prod/.env"), ACL: s3types.ObjectCannedACLPublicRead}); err != nil {
		t.Fatalf("put object acl: %v", err)
	}

	collect := func(t *testing.T, scan bool, limits ConfigScanLimits) map[string]*inventory.BucketConfigScan {
		t.Helper()
		inv, err := Collect(ctx, testConfig(account), Options{Endpoint: ep, Regions: []string{"us-east-1"}, Services: []string{ServiceS3},
			Logger: quietLogger(), Retryer: fastRetryer(3), ScanConfigObjects: scan, ConfigScanLimits: limits, CredentialSalt: []byte("s")})
		if err != nil {
			t.Fatalf("Collect: %v", err)
		}
		out := map[string]*inventory.BucketConfigScan{}
		for i := range inv.S3 {
			out[inv.S3[i].Name] = inv.S3[i].ConfigScan
			if len(inv.S3[i].Errors) > 0 {
				t.Errorf("bucket %s errors: %v", inv.S3[i].Name, inv.S3[i].Errors)
			}
		}
		b, _ := json.Marshal(inv)
		for _, v := range []string{plantedObjectSecret, "Big-File-Pa55-planted"} {
			if bytes.Contains(b, []byte(v)) {
				t.Errorf("planted value %.6s… kept in the inventory", v)
			}
		}
		return out
	}
	objectCreds := func(sc *inventory.BucketConfigScan, key string) []inventory.ConfigCredential {
		if sc == nil {
			return nil
		}
		for _, o := range sc.Objects {
			if o.Key == key {
				return o.Credentials
			}
		}
		return nil
	}

	t.Run("without the flag no object is read", func(t *testing.T) {
		for name, sc := range collect(t, false, ConfigScanLimits{}) {
			if sc != nil {
				t.Errorf("bucket %s scanned without --scan-config-objects: %+v", name, sc)
			}
		}
	})
	t.Run("with the flag the planted .env key is found", func(t *testing.T) {
		scans := collect(t, true, ConfigScanLimits{})
		sc := scans[cfgBucket]
		if sc == nil || !strings.HasPrefix(sc.Reason, "name word config") {
			t.Fatalf("config bucket scan = %+v, want one by its name word", sc)
		}
		creds := objectCreds(sc, "prod/.env")
		var found bool
		for _, c := range creds {
			if c.Kind == kindSecretAccessKey && c.KeyID == plantedObjectKeyID && c.Fingerprint != "" && strings.HasPrefix(c.Location, "object:prod/.env") {
				found = true
			}
		}
		if !found {
			t.Errorf("prod/.env credentials = %+v, want the secret key of %s with a fingerprint", creds, plantedObjectKeyID)
		}
		var public bool
		for _, o := range sc.Objects {
			for _, g := range o.ACL {
				public = public || (o.Key == "prod/.env" && g.GranteeURI == "http://acs.amazonaws.com/groups/global/AllUsers" && g.Permission == "READ")
			}
		}
		if !public {
			t.Errorf("prod/.env ACL not read (s3:GetObjectAcl): %+v", sc.Objects)
		}
		if scans[plain] != nil {
			t.Errorf("bucket %s (no configuration name or tag) scanned", plain)
		}
		if sc.Listed != 4 || sc.Scanned != 1 || sc.Skipped != 3 {
			t.Errorf("listed/scanned/skipped = %d/%d/%d, want 4/1/3", sc.Listed, sc.Scanned, sc.Skipped)
		}
	})
	t.Run("an object over the size cap is not read", func(t *testing.T) {
		sc := collect(t, true, ConfigScanLimits{})[cfgBucket]
		if c := objectCreds(sc, "big/settings.txt"); len(c) > 0 {
			t.Errorf("big/settings.txt (over 256 KiB) scanned: %+v", c)
		}
		// Raising the cap reads it.
		sc = collect(t, true, ConfigScanLimits{MaxObjectBytes: 512 << 10})[cfgBucket]
		if c := objectCreds(sc, "big/settings.txt"); len(c) == 0 {
			t.Error("big/settings.txt not scanned with a 512 KiB cap")
		}
		// Lowering it below the .env's size skips that one too.
		sc = collect(t, true, ConfigScanLimits{MaxObjectBytes: 16})[cfgBucket]
		for _, c := range objectCreds(sc, "prod/.env") {
			if c.Kind != kindCredentialFile {
				t.Errorf("prod/.env read with a 16-byte cap: %+v", c)
			}
		}
	})
	t.Run("a binary object is skipped", func(t *testing.T) {
		sc := collect(t, true, ConfigScanLimits{})[cfgBucket]
		if c := objectCreds(sc, "bin/blob.dat"); len(c) > 0 {
			t.Errorf("binary bin/blob.dat scanned: %+v", c)
		}
	})
	t.Run("a key file too large to read is reported by its name", func(t *testing.T) {
		sc := collect(t, true, ConfigScanLimits{})[cfgBucket]
		c := objectCreds(sc, "keys/deploy.pem")
		if len(c) != 1 || c[0].Kind != kindCredentialFile || c[0].Fingerprint != "" {
			t.Errorf("keys/deploy.pem credentials = %+v, want one credential-file without fingerprint", c)
		}
	})
	t.Run("the per-bucket object cap truncates the listing", func(t *testing.T) {
		sc := collect(t, true, ConfigScanLimits{MaxObjects: 2})[cfgBucket]
		if sc.Listed != 2 || !sc.Truncated {
			t.Errorf("listed %d truncated %t with MaxObjects 2, want 2 true", sc.Listed, sc.Truncated)
		}
	})
}
