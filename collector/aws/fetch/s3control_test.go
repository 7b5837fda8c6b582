package fetch

import (
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3control"
	s3ctypes "github.com/aws/aws-sdk-go-v2/service/s3control/types"

	"github.com/breachpath/breachpath/collector/aws/inventory"
)

func TestCollectReadsAccountPublicAccessBlockFromMoto(t *testing.T) {
	tests := []struct {
		name string
		put  *s3ctypes.PublicAccessBlockConfiguration // nil: none configured
		want *inventory.PublicAccessBlock
	}{
		{name: "none configured leaves the field nil and the area read"},
		{
			name: "configured setting is copied flag by flag",
			put:  &s3ctypes.PublicAccessBlockConfiguration{BlockPublicAcls: aws.Bool(true), IgnorePublicAcls: aws.Bool(false), BlockPublicPolicy: aws.Bool(true), RestrictPublicBuckets: aws.Bool(false)},
			want: &inventory.PublicAccessBlock{BlockPublicACLs: true, BlockPublicPolicy: true},
		},
		{
			name: "all four flags",
			put:  &s3ctypes.PublicAccessBlockConfiguration{BlockPublicAcls: aws.Bool(true), IgnorePublicAcls: aws.Bool(true), BlockPublicPolicy: aws.Bool(true), RestrictPublicBuckets: aws.Bool(true)},
			want: &inventory.PublicAccessBlock{BlockPublicACLs: true, IgnorePublicACLs: true, BlockPublicPolicy: true, RestrictPublicBuckets: true},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ep := motoEndpoint(t)
			ctx := testContext(t)
			if tt.put != nil {
				cfg := testConfig("AKIAIOSFODNN7EXAMPLE")
				c := s3control.NewFromConfig(cfg, func(o *s3control.Options) { o.EndpointResolverV2 = fixedS3ControlEndpoint{ep} })
				if _, err := c.PutPublicAccessBlock(ctx, &s3control.PutPublicAccessBlockInput{
					AccountId: aws.String(seedAccount), PublicAccessBlockConfiguration: tt.put}); err != nil {
					t.Fatalf("seed account public access block: %v", err)
				}
			}
			inv := collectMoto(t, ep, Options{Services: []string{ServiceS3}})
			if len(inv.Coverage.Failed) > 0 || !inventoryRead(inv, ServiceS3, "") {
				t.Fatalf("coverage = %+v, want s3 read", inv.Coverage)
			}
			got := inv.S3AccountPublicAccessBlock
			if (got == nil) != (tt.want == nil) || (got != nil && *got != *tt.want) {
				t.Errorf("account public access block = %+v, want %+v", got, tt.want)
			}
		})
	}
}

// TestCollectFailsS3AreaWhenAccountPublicAccessBlockIsDenied: an unreadable
// account setting makes every bucket's public decision unknown, so the s3
// area fails (its nodes stay stale), yet the buckets are still listed.
func TestCollectFailsS3AreaWhenAccountPublicAccessBlockIsDenied(t *testing.T) {
	ep := motoEndpoint(t)
	ctx := testContext(t)
	cfg := testConfig("AKIAIOSFODNN7EXAMPLE")
	cfg.BaseEndpoint = aws.String(ep)
	if _, err := s3.NewFromConfig(cfg, func(o *s3.Options) { o.UsePathStyle = true }).CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("pab-denied")}); err != nil {
		t.Fatalf("seed bucket: %v", err)
	}
	target, err := url.Parse(ep)
	if err != nil {
		t.Fatal(err)
	}
	proxy := httputil.NewSingleHostReverseProxy(target)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.URL.Path, "/v20180820/") {
			w.Header().Set("Content-Type", "application/xml")
			w.WriteHeader(http.StatusForbidden)
			io.WriteString(w, `<?xml version="1.0" encoding="UTF-8"?><ErrorResponse><Error><Code>AccessDenied</Code><Message>Access Denied</Message></Error></ErrorResponse>`)
			return
		}
		proxy.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)

	inv := collectMoto(t, srv.URL, Options{Services: []string{ServiceS3}})
	f, ok := failedArea(inv, ServiceS3, "")
	if !ok || !strings.Contains(f.Error, "GetPublicAccessBlock") || !strings.Contains(f.Error, "AccessDenied") {
		t.Errorf("s3 failure = %+v (ok=%v), want GetPublicAccessBlock AccessDenied", f, ok)
	}
	if inventoryRead(inv, ServiceS3, "") {
		t.Errorf("s3 listed as read: %+v", inv.Coverage.Read)
	}
	if inv.S3AccountPublicAccessBlock != nil {
		t.Errorf("account public access block = %+v from a denied read", inv.S3AccountPublicAccessBlock)
	}
	if len(inv.S3) != 1 || inv.S3[0].Name != "pab-denied" {
		t.Errorf("buckets = %+v, want the seeded bucket despite the denied account setting", inv.S3)
	}
}
