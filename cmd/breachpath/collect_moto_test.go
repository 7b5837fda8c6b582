package main

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/breachpath/breachpath/collector/aws/mototest"

	sdkaws "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3control"
	s3ctypes "github.com/aws/aws-sdk-go-v2/service/s3control/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	smithyendpoints "github.com/aws/smithy-go/endpoints"

	"github.com/breachpath/breachpath/graph"
	"github.com/breachpath/breachpath/graph/embedded"
)

type fixedEndpoint struct{ u string }

func (f fixedEndpoint) ResolveEndpoint(context.Context, s3control.EndpointParameters) (smithyendpoints.Endpoint, error) {
	u, err := url.Parse(f.u)
	if err != nil {
		return smithyendpoints.Endpoint{}, err
	}
	return smithyendpoints.Endpoint{URI: *u}, nil
}

// TestCollectAWSWorksAgainstAnEmulatorFromEnvironmentAlone: AWS_ENDPOINT_URL
// (or the per-service variables) with no flag makes every client, S3 and S3
// Control included, talk to the emulator: the account's S3 Block Public
// Access is read (a failure there would fail the whole s3 area) and the
// bucket is stored, and the run is complete (exit 0, not 3).
func TestCollectAWSWorksAgainstAnEmulatorFromEnvironmentAlone(t *testing.T) {
	ep := mototest.Endpoint(t)
	tests := []struct {
		name string
		env  map[string]string
		// complete: every area was read (exit 0).
		complete bool
	}{
		{"AWS_ENDPOINT_URL", map[string]string{"AWS_ENDPOINT_URL": ep}, true},
		// The general variable points nowhere: only the services named by
		// their own variables reach moto, S3 and S3 Control among them.
		{"per-service variables win over AWS_ENDPOINT_URL", map[string]string{"AWS_ENDPOINT_URL": "http://127.0.0.1:1",
			"AWS_ENDPOINT_URL_STS": ep, "AWS_ENDPOINT_URL_S3": ep, "AWS_ENDPOINT_URL_S3_CONTROL": ep, "AWS_ENDPOINT_URL_EC2": ep}, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			account, cfg, c := motoAccount(t, ep, 300000000000, "AKIABREACHPATHTEST01", "cli", "cli")
			bucket := "env-endpoint-" + account
			if _, err := s3.NewFromConfig(cfg, func(o *s3.Options) { o.UsePathStyle = true }).CreateBucket(ctx, &s3.CreateBucketInput{Bucket: sdkaws.String(bucket)}); err != nil {
				t.Fatalf("seed bucket: %v", err)
			}
			if _, err := s3control.NewFromConfig(cfg, func(o *s3control.Options) { o.EndpointResolverV2 = fixedEndpoint{ep} }).PutPublicAccessBlock(ctx, &s3control.PutPublicAccessBlockInput{
				AccountId: sdkaws.String(account), PublicAccessBlockConfiguration: &s3ctypes.PublicAccessBlockConfiguration{
					BlockPublicAcls: sdkaws.Bool(true), IgnorePublicAcls: sdkaws.Bool(true), BlockPublicPolicy: sdkaws.Bool(true), RestrictPublicBuckets: sdkaws.Bool(true)}}); err != nil {
				t.Fatalf("seed account public access block: %v", err)
			}
			for _, k := range []string{"AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_S3", "AWS_ENDPOINT_URL_S3_CONTROL", "AWS_ENDPOINT_URL_STS", "AWS_ENDPOINT_URL_EC2", "AWS_PROFILE"} {
				t.Setenv(k, "")
				os.Unsetenv(k)
			}
			t.Setenv("AWS_ACCESS_KEY_ID", c.AccessKeyID)
			t.Setenv("AWS_SECRET_ACCESS_KEY", c.SecretAccessKey)
			t.Setenv("AWS_SESSION_TOKEN", c.SessionToken)
			t.Setenv("AWS_REGION", "us-east-1")
			t.Setenv("AWS_CONFIG_FILE", filepath.Join(t.TempDir(), "none"))
			t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(t.TempDir(), "none"))
			for k, v := range tc.env {
				t.Setenv(k, v)
			}
			db := filepath.Join(t.TempDir(), "bp.db")
			out, err := runCollect(t, ctx, db, "aws", "--regions", "us-east-1", "--concurrency", "16")
			var partial *partialError
			if err != nil && (tc.complete || !errors.As(err, &partial)) {
				t.Fatalf("collect aws: %v\n%s", err, out)
			}
			if strings.Contains(out, "failed s3") {
				t.Fatalf("s3 failed against the emulator:\n%s", out)
			}
			st, err := embedded.Open(ctx, db)
			if err != nil {
				t.Fatal(err)
			}
			defer st.Close()
			g, err := st.Load(ctx, graph.Filter{})
			if err != nil {
				t.Fatal(err)
			}
			if _, ok := g.NodeIndex("arn:aws:s3:::" + bucket); !ok {
				t.Errorf("bucket %s not collected:\n%s", bucket, out)
			}
			if tc.complete && !strings.Contains(out, " 0 failed") {
				t.Errorf("summary reports failures:\n%s", out)
			}
			if strings.Contains(out, "failed ec2") {
				t.Errorf("ec2 failed although its own variable names the emulator:\n%s", out)
			}
		})
	}
}

// motoAccount returns a random fresh account id in moto (from base) and the
// credentials of role there: moto serves an assumed role's calls from the
// role's account, so tests sharing one server never see each other's
// resources.
func motoAccount(t *testing.T, ep string, base int64, keyID, role, session string) (string, sdkaws.Config, sdkaws.Credentials) {
	t.Helper()
	account := fmt.Sprintf("%012d", base+rand.Int64N(99999999999))
	as, err := sts.NewFromConfig(sdkaws.Config{Region: "us-east-1", BaseEndpoint: sdkaws.String(ep),
		Credentials: credentials.NewStaticCredentialsProvider(keyID, "fake", "")}).AssumeRole(context.Background(), &sts.AssumeRoleInput{
		RoleArn: sdkaws.String("arn:aws:iam::" + account + ":role/" + role), RoleSessionName: sdkaws.String(session)})
	if err != nil {
		t.Fatalf("account credentials: %v", err)
	}
	c := sdkaws.Credentials{AccessKeyID: *as.Credentials.AccessKeyId, SecretAccessKey: *as.Credentials.SecretAccessKey, SessionToken: *as.Credentials.SessionToken}
	return account, sdkaws.Config{Region: "us-east-1", BaseEndpoint: sdkaws.String(ep),
		Credentials: credentials.NewStaticCredentialsProvider(c.AccessKeyID, c.SecretAccessKey, c.SessionToken)}, c
}
