package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	awscollector "github.com/breachpath/breachpath/collector/aws"
	"github.com/breachpath/breachpath/collector/aws/fetch"
	"github.com/breachpath/breachpath/graph"
	"github.com/breachpath/breachpath/graph/embedded"
)

// runCollect runs `collect <args>` on a fresh app and returns stdout.
func runCollect(t *testing.T, ctx context.Context, db string, args ...string) (string, error) {
	t.Helper()
	return runSub(t, ctx, db, (*app).collectCommand, args...)
}

func TestCollectAWSRejectsBadFlagCombinations(t *testing.T) {
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"aws", "--org"}, "--org needs --role-name"},
		{[]string{"aws", "--role-name", "Audit"}, "--role-name is only used with --org"},
		{[]string{"aws", "--concurrency", "0"}, "--concurrency"},
		{[]string{"aws", "--from-file", "x.json", "--regions", "us-east-1"}, "--from-file reads no AWS API"},
		{[]string{"aws", "--regions", "us-east-1,,eu-west-1"}, "empty region"},
		{[]string{"aws", "--from-file", "x.json", "--last-accessed"}, "--from-file reads no AWS API"},
	}
	for _, tc := range tests {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			_, err := runCollect(t, context.Background(), filepath.Join(t.TempDir(), "bp.db"), tc.args...)
			if !errors.Is(err, errUsage) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want a usage error mentioning %q", err, tc.want)
			}
		})
	}
}

// The CIEM report can only tell used permissions from unused ones when the
// collection read last-accessed data; the flag must reach the fetch step,
// and stay off by default because it costs one IAM job per principal.
func TestCollectAWSLastAccessedFlagReachesFetch(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want bool
	}{
		{"off by default", nil, false},
		{"on with --last-accessed", []string{"--last-accessed"}, true},
		{"off with --last-accessed=false", []string{"--last-accessed=false"}, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cmd, f := newApp().newCollectAWSCommand()
			if err := cmd.ParseFlags(append([]string{"--regions", "us-east-1", "--concurrency", "3"}, tc.args...)); err != nil {
				t.Fatal(err)
			}
			if err := f.validate(); err != nil {
				t.Fatal(err)
			}
			got, err := f.fetchOptions(nil)
			if err != nil {
				t.Fatal(err)
			}
			if got.LastAccessed != tc.want {
				t.Errorf("fetch.Options.LastAccessed = %v, want %v", got.LastAccessed, tc.want)
			}
			// The other flags still arrive next to it.
			if got.Concurrency != 3 || len(got.Regions) != 1 || got.Regions[0] != "us-east-1" {
				t.Errorf("fetch.Options = %+v, want regions [us-east-1] and concurrency 3", got)
			}
		})
	}
	help := newApp().collectAWSCommand()
	if fl := help.Flags().Lookup("last-accessed"); fl == nil || fl.Hidden {
		t.Error("--last-accessed is not a visible flag")
	}
	for _, want := range []string{"iam:GenerateServiceLastAccessedDetails", "iam:GetServiceLastAccessedDetails"} {
		if !strings.Contains(help.Long, want) {
			t.Errorf("collect aws help does not name %s", want)
		}
	}
}

func TestCollectAWSFromFileSyncsOnlyIAM(t *testing.T) {
	db := filepath.Join(t.TempDir(), "bp.db")
	file := filepath.Join("..", "..", "collector", "aws", "authdetails", "testdata", "authdetails.json")
	out, err := runCollect(t, context.Background(), db, "aws", "--from-file", file)
	if err != nil {
		t.Fatalf("collect --from-file: %v\n%s", err, out)
	}
	for _, want := range []string{"AWS account 111122223333: 1 areas read, 0 failed", "areas not in the import", "written"} {
		if !strings.Contains(out, want) {
			t.Errorf("summary lacks %q:\n%s", want, out)
		}
	}
	st, err := embedded.Open(context.Background(), db)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	hist, err := st.History(context.Background(), graph.Scope{})
	if err != nil || len(hist) != 1 || hist[0].Collector != "aws-file" {
		t.Fatalf("history = %+v, %v", hist, err)
	}
}

// --snapshots-to writes the collected snapshot instead of storing it; the
// file loads later into the same graph a direct collection stores.
func TestCollectAWSSnapshotsToWritesInsteadOfStoring(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join("..", "..", "collector", "aws", "authdetails", "testdata", "authdetails.json")
	snapDir := filepath.Join(dir, "snaps")
	unused := filepath.Join(dir, "unused.db")
	out, err := runCollect(t, context.Background(), unused, "aws", "--from-file", file, "--snapshots-to", snapDir)
	if err != nil {
		t.Fatalf("collect --snapshots-to: %v\n%s", err, out)
	}
	written := filepath.Join(snapDir, "aws-111122223333.json")
	if !strings.Contains(out, "snapshot written to "+written) || strings.Contains(out, "not synced") {
		t.Errorf("summary:\n%s", out)
	}
	if fi, err := os.Stat(written); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("snapshot file: %v, %v", fi, err)
	}
	if _, err := os.Stat(unused); err == nil {
		t.Error("--snapshots-to opened the store")
	}
	direct := filepath.Join(dir, "direct.db")
	if _, err := runCollect(t, context.Background(), direct, "aws", "--from-file", file); err != nil {
		t.Fatal(err)
	}
	later := filepath.Join(dir, "later.db")
	if _, _, err := runRoot(t, "--db", later, "collect", "file", written); err != nil {
		t.Fatal(err)
	}
	a, _, err1 := runRoot(t, "--db", direct, "graph", "stats")
	b, _, err2 := runRoot(t, "--db", later, "graph", "stats")
	if err1 != nil || err2 != nil || a != b {
		t.Errorf("stats differ (%v, %v):\ndirect:\n%s\nfrom the file:\n%s", err1, err2, a, b)
	}
}

func TestCollectAWSCancelledWritesNothing(t *testing.T) {
	db := filepath.Join(t.TempDir(), "bp.db")
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	file := filepath.Join("..", "..", "collector", "aws", "authdetails", "testdata", "authdetails.json")
	_, err := runCollect(t, ctx, db, "aws", "--from-file", file)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
	st, err := embedded.Open(context.Background(), db)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if scopes, _ := st.Scopes(context.Background()); len(scopes) != 0 {
		t.Errorf("a cancelled collection synced %v", scopes)
	}
}

func TestCollectAWSMissingFileIsOneLineError(t *testing.T) {
	_, err := runCollect(t, context.Background(), filepath.Join(t.TempDir(), "bp.db"), "aws", "--from-file", "/nonexistent/x.json")
	if err == nil || strings.Contains(err.Error(), "\n") || errors.Is(err, errUsage) {
		t.Fatalf("err = %v", err)
	}
}

func TestCollectSummaryReportsFailuresAndPartialness(t *testing.T) {
	sum := &awscollector.RunSummary{Accounts: []awscollector.AccountRun{{
		AccountID: "111122223333", AreasRead: 14, Resources: 42, APICalls: 99, Retries: 3,
		Failed: []graph.Failure{{Area: graph.Area{Service: "s3"}, Error: "SlowDown: Please reduce your request rate.\nretries exhausted"}},
	}}}
	res := []graph.SyncResult{{Scope: graph.Scope{Cloud: graph.CloudAWS, ID: "111122223333"},
		Written: graph.Counts{Nodes: 10, Edges: 20, Findings: 3}, Stale: graph.Counts{Nodes: 4, Edges: 5, Findings: 1}}}
	var buf bytes.Buffer
	printCollectSummary(&buf, sum, res, "bp.db")
	out := buf.String()
	for _, want := range []string{"14 areas read, 1 failed", "failed s3 (global): SlowDown: Please reduce your request rate.; retries exhausted", "stale 4/5/1", "99 API calls (3 retries)"} {
		if !strings.Contains(out, want) {
			t.Errorf("summary lacks %q:\n%s", want, out)
		}
	}
	if !sum.Partial() || !strings.Contains(partialMessage(sum, true), "1 areas failed in 1 accounts") {
		t.Errorf("partial = %v, message %q", sum.Partial(), partialMessage(sum, true))
	}
	sum.Accounts[0].Failed = []graph.Failure{{Area: graph.Area{Service: "ec2"}, Error: awscollector.NotInImport}}
	if sum.Partial() {
		t.Error("an IAM import's protective coverage counted as a partial collection")
	}
}

// A service that is not enabled is an answer: the summary names it, and the
// run is not partial (exit 0, not 3).
func TestCollectSummaryNamesServicesNotEnabledWithoutPartialness(t *testing.T) {
	sum := &awscollector.RunSummary{Accounts: []awscollector.AccountRun{{
		AccountID: "111122223333", AreasRead: 14,
		NotEnabled: []graph.Failure{{Area: graph.Area{Service: "macie", Region: "eu-west-1"}, Error: "Macie2 GetMacieSession: AccessDeniedException: Macie is not enabled"}},
	}}}
	var buf bytes.Buffer
	printCollectSummary(&buf, sum, nil, "")
	if want := "not enabled macie (eu-west-1): Macie2 GetMacieSession: AccessDeniedException: Macie is not enabled"; !strings.Contains(buf.String(), want) {
		t.Errorf("summary lacks %q:\n%s", want, buf.String())
	}
	if sum.Partial() {
		t.Error("a service that is not enabled made the run partial")
	}
}

// TestCollectAWSFromFileSaysWhetherEarlierDataWasKept: an IAM import leaves
// the other areas of the account alone; the summary says whether the store
// had earlier data of them to keep (it had none in a fresh store).
func TestCollectAWSFromFileSaysWhetherEarlierDataWasKept(t *testing.T) {
	ctx := context.Background()
	db := filepath.Join(t.TempDir(), "bp.db")
	file := filepath.Join("..", "..", "collector", "aws", "authdetails", "testdata", "authdetails.json")
	out, err := runCollect(t, ctx, db, "aws", "--from-file", file)
	if err != nil {
		t.Fatalf("collect --from-file: %v\n%s", err, out)
	}
	if !strings.Contains(out, "areas not in the import; the store had no earlier data of them to keep") || strings.Contains(out, "flagged stale") {
		t.Errorf("fresh store: summary claims earlier data was kept:\n%s", out)
	}

	// a live collection of the account had read an instance
	st, err := embedded.Open(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	scope := graph.Scope{Cloud: graph.CloudAWS, ID: "111122223333"}
	vm := "arn:aws:ec2:us-east-1:111122223333:instance/i-0abc"
	_, err = st.Sync(ctx, &graph.Snapshot{Scope: scope, Collector: "aws",
		Nodes:    []graph.Node{{ID: vm, Kind: graph.KindCompute, Cloud: graph.CloudAWS, Account: scope.ID, Region: "us-east-1", Service: "ec2"}},
		Coverage: graph.Coverage{Read: []graph.Area{{Service: "ec2", Region: "us-east-1"}}}})
	st.Close()
	if err != nil {
		t.Fatal(err)
	}
	if out, err = runCollect(t, ctx, db, "aws", "--from-file", file); err != nil {
		t.Fatalf("collect --from-file: %v\n%s", err, out)
	}
	if !strings.Contains(out, "areas not in the import; their earlier data is kept, flagged stale") {
		t.Errorf("store with a live collection: summary does not say its data was kept:\n%s", out)
	}
}

// TestCollectWarningsPrintOnce: a warning of the transform (here a trust
// policy naming a deleted principal) appears once, in the summary, not
// again as a log line.
func TestCollectWarningsPrintOnce(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join("..", "..", "collector", "aws", "authdetails", "testdata", "authdetails.json"))
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatal(err)
	}
	role := doc["RoleDetailList"].([]any)[0].(map[string]any)
	trust := role["AssumeRolePolicyDocument"].(map[string]any)
	trust["Statement"] = append(trust["Statement"].([]any),
		map[string]any{"Effect": "Allow", "Principal": map[string]any{"AWS": "AIDAEXAMPLEDELETEDUSER"}, "Action": "sts:AssumeRole"})
	buf, err := json.Marshal(doc)
	if err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(t.TempDir(), "auth.json")
	if err := os.WriteFile(file, buf, 0o600); err != nil {
		t.Fatal(err)
	}
	out, errOut, err := runRoot(t, "--log-level", "info", "--db", filepath.Join(t.TempDir(), "bp.db"), "collect", "aws", "--from-file", file)
	if err != nil {
		t.Fatalf("collect: %v\n%s%s", err, out, errOut)
	}
	if n := strings.Count(out+errOut, "AIDAEXAMPLEDELETEDUSER"); n != 1 {
		t.Errorf("the unknown-principal warning appears %d times, want once:\nstdout:\n%s\nstderr:\n%s", n, out, errOut)
	}
}

// TestCollectAWSEndpointsComeFromTheEnvironment: no hidden --endpoint flag;
// --help says which variables point the clients elsewhere (moto_test runs a
// collection with them alone).
func TestCollectAWSEndpointsComeFromTheEnvironment(t *testing.T) {
	cmd := newApp().collectAWSCommand()
	if cmd.Flags().Lookup("endpoint") != nil {
		t.Error("--endpoint still exists; AWS_ENDPOINT_URL and AWS_ENDPOINT_URL_<SERVICE> replace it")
	}
	if !strings.Contains(cmd.Long, "AWS_ENDPOINT_URL_S3_CONTROL") {
		t.Error("collect aws --help does not say how to point the clients at an emulator")
	}
}

// The configuration-object scan is the collector's one data-plane read: off
// unless asked for, and it must reach the fetch step when asked for.
func TestCollectAWSScanConfigObjectsFlagIsOffByDefault(t *testing.T) {
	for _, tc := range []struct {
		name string
		args []string
		want bool
	}{
		{"off by default", nil, false},
		{"on with --scan-config-objects", []string{"--scan-config-objects"}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cmd, f := newApp().newCollectAWSCommand()
			if err := cmd.ParseFlags(tc.args); err != nil {
				t.Fatal(err)
			}
			if err := f.validate(); err != nil {
				t.Fatal(err)
			}
			if got, _ := f.fetchOptions(nil); got.ScanConfigObjects != tc.want {
				t.Errorf("fetch.Options.ScanConfigObjects = %v, want %v", got.ScanConfigObjects, tc.want)
			}
		})
	}
}

func TestCollectAWSKubernetesFlags(t *testing.T) {
	dir := t.TempDir()
	ca := filepath.Join(dir, "ca.pem")
	export := filepath.Join(dir, "prod.json")
	if err := os.WriteFile(ca, []byte("-----BEGIN CERTIFICATE-----\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(export, []byte(`{"kind":"List","items":[]}`), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name    string
		args    []string
		wantErr bool
		check   func(t *testing.T, o fetch.Options)
	}{
		{"off by default", nil, false, func(t *testing.T, o fetch.Options) {
			if o.Kubernetes || o.KubeEndpoints != nil || o.KubeExports != nil {
				t.Errorf("options = %+v", o)
			}
		}},
		{"on with an endpoint and its CA", []string{"--kubernetes", "--kubernetes-endpoint", "prod=https://127.0.0.1:6443", "--kubernetes-ca", "prod=" + ca}, false,
			func(t *testing.T, o fetch.Options) {
				if ep := o.KubeEndpoints["prod"]; !o.Kubernetes || ep.URL != "https://127.0.0.1:6443" || len(ep.CAPEM) == 0 {
					t.Errorf("options = %+v", o)
				}
			}},
		{"an export per cluster, repeatable", []string{"--kubernetes-file", "prod=" + export, "--kubernetes-file", "prod=" + export}, false,
			func(t *testing.T, o fetch.Options) {
				if len(o.KubeExports["prod"]) != 2 {
					t.Errorf("exports = %d", len(o.KubeExports["prod"]))
				}
			}},
		{"a CA without its endpoint", []string{"--kubernetes-ca", "prod=" + ca}, true, nil},
		{"an export without a cluster name", []string{"--kubernetes-file", export}, true, nil},
		{"a missing export file", []string{"--kubernetes-file", "prod=" + filepath.Join(dir, "missing.json")}, true, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cmd, f := newApp().newCollectAWSCommand()
			if err := cmd.ParseFlags(tc.args); err != nil {
				t.Fatal(err)
			}
			err := f.validate()
			var o fetch.Options
			if err == nil {
				o, err = f.fetchOptions(nil)
			}
			if (err != nil) != tc.wantErr {
				t.Fatalf("err = %v, want error %v", err, tc.wantErr)
			}
			if tc.check != nil {
				tc.check(t, o)
			}
		})
	}
}
