package mototest

import (
	"net/http"
	"testing"
)

func TestSignedServiceReadsTheCredentialScope(t *testing.T) {
	for _, c := range []struct{ auth, want string }{
		{"AWS4-HMAC-SHA256 Credential=AKID/20240101/us-east-1/ec2/aws4_request, SignedHeaders=host, Signature=x", "ec2"},
		{"AWS4-HMAC-SHA256 Credential=AKID/20240101/us-east-1/s3/aws4_request", "s3"},
		{"AWS4-HMAC-SHA256 Credential=AKID/20240101, SignedHeaders=host", ""},
		{"Bearer token", ""},
		{"", ""},
	} {
		r, _ := http.NewRequest(http.MethodGet, "http://127.0.0.1/", nil)
		r.Header.Set("Authorization", c.auth)
		if got := SignedService(r); got != c.want {
			t.Errorf("SignedService(%q) = %q, want %q", c.auth, got, c.want)
		}
	}
}
