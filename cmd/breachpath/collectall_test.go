package main

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/cloud"

	gcpfetch "github.com/breachpath/breachpath/collector/gcp/fetch"
	"github.com/breachpath/breachpath/opsconfig"
)

// TestCollectAllRunsEveryTargetAndReportsWhatFailed: the targets run in
// order through the collect commands' code (offline AWS imports here); a
// target that fails stores nothing while the others are stored, and the
// exit code says so (partial, or an error when nothing was stored).
func TestCollectAllRunsEveryTargetAndReportsWhatFailed(t *testing.T) {
	auth, err := filepath.Abs(filepath.Join("..", "..", "ciem", "aws", "testdata", "authdetails.json"))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		targets string
		only    []string
		summary string
		partial bool
		failed  bool
	}{
		{"every target read", "  - {name: iam, cloud: aws, from_files: [" + auth + "]}\n", nil, "1 targets: 1 ok, 0 partial, 0 failed.", false, false},
		{"one target fails", "  - {name: iam, cloud: aws, from_files: [" + auth + "]}\n  - {name: gone, cloud: aws, from_files: [/nonexistent/auth.json]}\n",
			nil, "2 targets: 1 ok, 0 partial, 1 failed.", true, false},
		{"every target fails", "  - {name: gone, cloud: aws, from_files: [/nonexistent/auth.json]}\n", nil, "1 targets: 0 ok, 0 partial, 1 failed.", false, true},
		{"only the named target", "  - {name: iam, cloud: aws, from_files: [" + auth + "]}\n  - {name: gone, cloud: aws, from_files: [/nonexistent/auth.json]}\n",
			[]string{"--target", "iam"}, "1 targets: 1 ok, 0 partial, 0 failed.", false, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			cfg := filepath.Join(dir, "ops.yaml")
			if err := os.WriteFile(cfg, []byte("targets:\n"+tc.targets), 0o600); err != nil {
				t.Fatal(err)
			}
			db := filepath.Join(dir, "bp.db")
			out, _, err := runRoot(t, append([]string{"--config", cfg, "--db", db, "collect", "all"}, tc.only...)...)
			var pe *partialError
			switch {
			case tc.partial && !errors.As(err, &pe), tc.failed && (err == nil || errors.As(err, &pe)), !tc.partial && !tc.failed && err != nil:
				t.Fatalf("err = %v\n%s", err, out)
			}
			if !strings.Contains(out, tc.summary) || !strings.Contains(out, "== target ") {
				t.Errorf("output lacks %q:\n%s", tc.summary, out)
			}
			if _, err := os.Stat(db + ".changes"); tc.failed == (err == nil) {
				t.Errorf("change ledger present = %v, want %v", err == nil, !tc.failed)
			}
		})
	}
	if _, _, err := runRoot(t, "--db", filepath.Join(t.TempDir(), "x.db"), "collect", "all"); !errors.Is(err, errUsage) {
		t.Errorf("collect all without --config: %v, want a usage error", err)
	}
}

// TestTargetOptionsBecomeTheCollectFlags: every option of a config target
// reaches the flags its collect command runs with, endpoint overrides
// included (the config's GCP endpoints win over the environment's).
func TestTargetOptionsBecomeTheCollectFlags(t *testing.T) {
	c, err := opsconfig.Parse([]byte(`
targets:
  - {name: a, cloud: aws, aws: {profile: p, regions: [r1], org: true, role_name: R, last_accessed: true, concurrency: 9, endpoint: "http://127.0.0.1:1"}}
  - {name: z, cloud: azure, azure: {subscriptions: [s1], tenant: t1, skip_entra: true, verify_public_blobs: true, arm_endpoint: "http://127.0.0.1:2", graph_endpoint: "http://127.0.0.1:3"}}
  - {name: g, cloud: gcp, gcp: {project: pr, domains: [d.example], no_storage_api: true, no_service_apis: true, endpoints: {cloudasset: "http://127.0.0.1:4"}}}
`))
	if err != nil {
		t.Fatal(err)
	}
	a := awsFlagsOf(c.Targets[0])
	if a.profile != "p" || a.regions[0] != "r1" || !a.org || a.roleName != "R" || !a.lastAccessed || a.concurrency != 9 || a.endpoint != "http://127.0.0.1:1" || a.validate() != nil {
		t.Errorf("aws flags %+v", a)
	}
	z := azureFlagsOf(c.Targets[1])
	if z.subscriptions[0] != "s1" || z.tenant != "t1" || !z.skipEntra || !z.verifyBlobs || z.concurrency != 8 ||
		armCloud(z.armEndpoint).Services[cloud.ResourceManager].Endpoint != "http://127.0.0.1:2" || z.graphEndpoint != "http://127.0.0.1:3" {
		t.Errorf("azure flags %+v", z)
	}
	if armCloud("").Services != nil {
		t.Error("no arm_endpoint must leave the public cloud")
	}
	g := gcpFlagsOf(c.Targets[2])
	t.Setenv(gcpfetch.EndpointEnvPrefix+"CLOUDASSET", "http://env-asset")
	t.Setenv(gcpfetch.EndpointEnvPrefix+"STORAGE", "http://env-storage")
	if g.project != "pr" || g.domains[0] != "d.example" || !g.noStorageAPI || !g.noServices ||
		g.getenv(gcpfetch.EndpointEnvPrefix+"CLOUDASSET") != "http://127.0.0.1:4" || g.getenv(gcpfetch.EndpointEnvPrefix+"STORAGE") != "http://env-storage" {
		t.Errorf("gcp flags %+v", g)
	}
}
