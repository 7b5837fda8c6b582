// Package mototest is test support for tests against the moto AWS API
// emulator (scripts/moto.sh): where moto is, or why the test does not run.
package mototest

import (
	"net/http"
	"os"
	"strings"
	"testing"
	"time"
)

// Endpoint returns the moto server to test against, BREACHPATH_MOTO_ENDPOINT,
// once it answers. Without one the test is skipped, unless
// BREACHPATH_REQUIRE_MOTO is set (scripts/test.sh sets it): then a missing or
// unreachable server fails the test. Endpoint never resets moto, which other
// packages' tests share: each test works in an account of its own (a 12-digit
// access key id selects it).
func Endpoint(t testing.TB) string {
	t.Helper()
	ep := os.Getenv("BREACHPATH_MOTO_ENDPOINT")
	if ep == "" {
		if os.Getenv("BREACHPATH_REQUIRE_MOTO") != "" {
			t.Fatal("BREACHPATH_REQUIRE_MOTO is set but BREACHPATH_MOTO_ENDPOINT is not (scripts/moto.sh up; export BREACHPATH_MOTO_ENDPOINT=$(scripts/moto.sh endpoint))")
		}
		t.Skip("set BREACHPATH_MOTO_ENDPOINT to run against moto (scripts/moto.sh up; export BREACHPATH_MOTO_ENDPOINT=$(scripts/moto.sh endpoint))")
	}
	// A generous timeout: this only asks whether moto is up, and moto answers
	// slowly while other packages' collections keep it busy.
	c := http.Client{Timeout: time.Minute}
	resp, err := c.Get(ep + "/moto-api/")
	if err != nil {
		t.Fatalf("moto at %s unreachable: %v", ep, err)
	}
	resp.Body.Close()
	return ep
}

// SignedService returns the service a SigV4-signed request is for, from
// its credential scope (Credential=AKID/date/region/service/aws4_request),
// or "": what a fault-injecting proxy in front of moto needs to pick the
// requests it fails.
func SignedService(r *http.Request) string {
	_, scope, ok := strings.Cut(r.Header.Get("Authorization"), "Credential=")
	if !ok {
		return ""
	}
	scope, _, _ = strings.Cut(scope, ",")
	if parts := strings.Split(scope, "/"); len(parts) >= 5 {
		return parts[3]
	}
	return ""
}
