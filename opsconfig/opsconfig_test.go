package opsconfig

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

const example = `
schedule:
  every: 6h
  backoff_initial: 10m
targets:
  - name: prod-aws
    cloud: aws
    aws:
      profile: prod
      regions: [eu-west-1, us-east-1]
  - name: org-aws
    cloud: aws
    aws: {org: true, role_name: SecurityAudit}
  - name: corp-azure
    cloud: azure
    azure: {subscriptions: [00000000-0000-0000-0000-000000000001], skip_entra: true}
  - name: gcp-org
    cloud: gcp
    gcp: {organization: "123456789012", domains: [example.com]}
  - name: offline-gcp
    cloud: gcp
    from_files: [assets.json]
notify: {}
`

func TestParseReadsTargetsAndDerivesTheScheduleDefaults(t *testing.T) {
	c, err := Parse([]byte(example))
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Targets) != 5 {
		t.Fatalf("targets: got %d, want 5", len(c.Targets))
	}
	if got := c.Targets[0].AWS.Regions; strings.Join(got, ",") != "eu-west-1,us-east-1" {
		t.Errorf("regions: %v", got)
	}
	if tg, ok := c.Target("gcp-org"); !ok || tg.GCP.Organization != "123456789012" {
		t.Errorf("gcp-org: %+v %v", tg, ok)
	}
	s := c.Schedule
	want := Schedule{Every: Duration(6 * time.Hour), Jitter: Duration(36 * time.Minute), BackoffInitial: Duration(10 * time.Minute),
		BackoffMax: Duration(6 * time.Hour), Timeout: Duration(DefaultTimeout), Concurrency: 1}
	if s != want {
		t.Errorf("schedule: got %+v, want %+v", s, want)
	}
}

func TestParseAcceptsJSON(t *testing.T) {
	c, err := Parse([]byte(`{"targets":[{"name":"a","cloud":"aws","aws":{"endpoint":"http://127.0.0.1:5000"}}]}`))
	if err != nil {
		t.Fatal(err)
	}
	if c.Targets[0].AWS.Endpoint != "http://127.0.0.1:5000" || c.Schedule.Every != 0 {
		t.Errorf("got %+v", c)
	}
}

func TestParseRefusesWhatWouldCollectLessThanTheReaderThinks(t *testing.T) {
	tests := []struct {
		name, doc, want string
	}{
		{"empty", ``, "empty config"},
		{"misspelt option", "targets:\n- {name: a, cloud: aws, aws: {regoins: [x]}}", "regoins"},
		{"duplicate key", "targets:\n- {name: a, cloud: aws, cloud: gcp}", "already"},
		{"unknown cloud", "targets:\n- {name: a, cloud: oci}", `cloud "oci"`},
		{"duplicate name", "targets:\n- {name: a, cloud: aws}\n- {name: a, cloud: aws}", "listed twice"},
		{"bad name", "targets:\n- {name: 'a b', cloud: aws}", "name"},
		{"wrong section", "targets:\n- {name: a, cloud: aws, gcp: {project: p}}", "aws section only"},
		{"org without role", "targets:\n- {name: a, cloud: aws, aws: {org: true}}", "role_name"},
		{"gcp without parent", "targets:\n- {name: a, cloud: gcp}", "exactly one"},
		{"gcp two parents", "targets:\n- {name: a, cloud: gcp, gcp: {project: p, folder: f}}", "exactly one"},
		{"files with live options", "targets:\n- {name: a, cloud: aws, from_files: [x], aws: {regions: [r]}}", "from_files"},
		{"endpoint with credentials", "targets:\n- {name: a, cloud: aws, aws: {endpoint: 'http://k:s@h'}}", "credentials"},
		{"endpoint not a URL", "targets:\n- {name: a, cloud: aws, aws: {endpoint: 'h:1'}}", "http(s) URL"},
		{"gcp endpoint of no API", "targets:\n- {name: a, cloud: gcp, gcp: {project: p, endpoints: {'Cloud Asset': 'http://h'}}}", "not an API name"},
		{"gcp endpoint not a URL", "targets:\n- {name: a, cloud: gcp, gcp: {project: p, endpoints: {cloudasset: 'h:1'}}}", "http(s) URL"},
		{"bad duration", "schedule: {every: often}\ntargets:\n- {name: a, cloud: aws}", "duration"},
		{"too frequent", "schedule: {every: 5s}\ntargets:\n- {name: a, cloud: aws}", "at least 1m"},
		{"an unknown notify key", "targets:\n- {name: a, cloud: aws}\nnotify: {webhook: x}", "webhook"},
		{"two documents", "targets:\n- {name: a, cloud: aws}\n---\ntargets: []", "more than one"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse([]byte(tc.doc))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got %v, want an error mentioning %q", err, tc.want)
			}
		})
	}
}

func TestLoadNamesTheFileAndCapsItsSize(t *testing.T) {
	dir := t.TempDir()
	big := filepath.Join(dir, "big.yaml")
	if err := os.WriteFile(big, []byte("targets: []\n#"+strings.Repeat("x", MaxFileBytes)), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := Load(big); err == nil || !strings.Contains(err.Error(), "larger than") {
		t.Errorf("big file: %v", err)
	}
	if _, err := Load(filepath.Join(dir, "missing.yaml")); err == nil || !strings.Contains(err.Error(), "missing.yaml") {
		t.Errorf("missing file: %v", err)
	}
}

func TestWithEveryDerivesFromTheOverridingInterval(t *testing.T) {
	s := Schedule{}.WithEvery(time.Hour)
	if s.Jitter.D() != 6*time.Minute || s.BackoffMax.D() != time.Hour || s.BackoffInitial.D() != 5*time.Minute {
		t.Errorf("got %+v", s)
	}
}
