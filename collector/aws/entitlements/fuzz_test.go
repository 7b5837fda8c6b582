package entitlements

import (
	"bytes"
	"testing"
)

// FuzzParseLastAccessed: the last-accessed file is untrusted input; any
// bytes give a result or an error, never a panic.
func FuzzParseLastAccessed(f *testing.F) {
	f.Add([]byte(`{"arn:aws:iam::1:role/r":[{"ServiceNamespace":"s3","LastAuthenticated":"2026-01-01T00:00:00Z"}]}`))
	f.Add([]byte(`[]`))
	f.Add([]byte(`{"a":[{"ServiceNamespace":1}]}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		_, _ = ParseLastAccessed(bytes.NewReader(b))
	})
}
