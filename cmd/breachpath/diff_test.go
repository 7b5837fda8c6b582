package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/breachpath/breachpath/graph"
	"github.com/breachpath/breachpath/scoring/drift"
)

const (
	diffVM     = "arn:aws:ec2:eu-west-1:222222222222:instance/i-web"
	diffRole   = "arn:aws:iam::222222222222:role/web"
	diffBucket = "arn:aws:s3:::orders"
)

// diffSnapshot is a one-account estate: the Internet reaches a VM over SSH
// (when exposed), the VM uses a role that reads a restricted bucket. With
// ec2Failed the EC2 area failed and the VM is missing from the snapshot.
func diffSnapshot(at time.Time, exposed, ec2Failed bool) *graph.Snapshot {
	ssh := graph.FindingID("ssh-open-world", diffVM)
	n := func(id string, k graph.Kind, svc string) graph.Node {
		return graph.Node{ID: id, Kind: k, Cloud: graph.CloudAWS, Account: "222222222222", Region: "eu-west-1", Service: svc, Name: filepath.Base(id)}
	}
	b := n(diffBucket, graph.KindBucket, "s3")
	b.Sensitivity = graph.SensitivityRestricted
	s := &graph.Snapshot{Scope: graph.Scope{Cloud: graph.CloudAWS, ID: "222222222222"}, CollectedAt: at, Collector: "test",
		Nodes: []graph.Node{{ID: graph.InternetID, Kind: graph.KindInternet, Name: "Internet", Stub: true}, n(diffRole, graph.KindRole, "iam"), b},
		Edges: []graph.Edge{{From: diffRole, To: diffBucket, Kind: graph.EdgeReads, Technique: "aws.s3.read", Likelihood: 1}}}
	if ec2Failed {
		s.Coverage.Failed = []graph.Failure{{Area: graph.Area{Service: "ec2", Region: "eu-west-1"}, Error: "AccessDenied"}}
		return s
	}
	s.Nodes = append(s.Nodes, n(diffVM, graph.KindCompute, "ec2"))
	s.Edges = append(s.Edges, graph.Edge{From: diffVM, To: diffRole, Kind: graph.EdgeUsesIdentity, Technique: "aws.ec2.imds", Likelihood: 0.8})
	if exposed {
		s.Edges = append(s.Edges, graph.Edge{From: graph.InternetID, To: diffVM, Kind: graph.EdgeExposedTo, Technique: "net.internet-exposure",
			Likelihood: 0.9, Findings: []string{ssh}})
		s.Findings = append(s.Findings, graph.Finding{ID: ssh, RuleID: "ssh-open-world", Resource: diffVM, Severity: graph.SeverityHigh,
			Title: "SSH *open* | <b>world</b>"})
	}
	return s
}

func collectSnapshotFile(t *testing.T, db string, s *graph.Snapshot) {
	t.Helper()
	body, err := json.Marshal(s)
	if err != nil {
		t.Fatal(err)
	}
	f := filepath.Join(t.TempDir(), "snap.json")
	if err := os.WriteFile(f, body, 0o600); err != nil {
		t.Fatal(err)
	}
	if _, stderr, err := runRoot(t, "--db", db, "collect", "file", f); err != nil {
		t.Fatalf("collect file: %v\n%s", err, stderr)
	}
}

func TestDiffShowsWhatTheSecondCollectionChanged(t *testing.T) {
	now := time.Now().UTC()
	tests := []struct {
		name                      string
		second                    *graph.Snapshot
		closed, resolved, unverif int
	}{
		{"closing SSH closes the path and resolves the finding", diffSnapshot(now, false, false), 1, 1, 0},
		{"a failed EC2 area resolves nothing", diffSnapshot(now, false, true), 0, 0, 1},
		{"the same estate again changes nothing", diffSnapshot(now, true, false), 0, 0, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			db := filepath.Join(t.TempDir(), "s.db")
			collectSnapshotFile(t, db, diffSnapshot(now.Add(-time.Hour), true, false))
			collectSnapshotFile(t, db, tt.second)
			out, stderr, err := runRoot(t, "--db", db, "diff", "--format", "json")
			if err != nil {
				t.Fatalf("diff: %v\n%s", err, stderr)
			}
			var c drift.Changes
			if err := json.Unmarshal([]byte(out), &c); err != nil {
				t.Fatalf("%v\n%s", err, out)
			}
			if len(c.PathsOpened) != 0 || len(c.PathsClosed) != tt.closed || len(c.FindingsResolved) != tt.resolved ||
				len(c.FindingsUnverified) != tt.unverif || len(c.FindingsOpened) != 0 || len(c.FindingsReopened) != 0 {
				t.Fatalf("changes %+v, want %d closed, %d resolved, %d unverified and nothing else", c, tt.closed, tt.resolved, tt.unverif)
			}
			// --from/--to name the same two syncs
			again, _, err := runRoot(t, "--db", db, "diff", "--from", strconv.FormatInt(c.From.SyncID, 10), "--to", strconv.FormatInt(c.To.SyncID, 10), "--format", "json")
			if err != nil || again != out {
				t.Fatalf("diff --from/--to: %v\n%s\nwant\n%s", err, again, out)
			}
		})
	}
}

func TestDiffEscapesEstateTextInEveryFormat(t *testing.T) {
	db := filepath.Join(t.TempDir(), "s.db")
	collectSnapshotFile(t, db, diffSnapshot(time.Now().Add(-time.Hour), false, false))
	collectSnapshotFile(t, db, diffSnapshot(time.Now(), true, false))
	md, _, err := runRoot(t, "--db", db, "diff", "--format", "markdown")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(md, `SSH \*open\* \| &lt;b&gt;world&lt;/b&gt;`) || strings.Contains(md, "<b>") {
		t.Errorf("markdown does not escape the finding title:\n%s", md)
	}
	table, _, err := runRoot(t, "--db", db, "diff")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"path opened", "finding opened", "SSH *open* | <b>world</b>"} {
		if !strings.Contains(table, want) {
			t.Errorf("table lacks %q:\n%s", want, table)
		}
	}
}

func TestDiffRejectsBadFlags(t *testing.T) {
	db := filepath.Join(t.TempDir(), "s.db")
	for _, args := range [][]string{{"--since", "yesterday"}, {"--since", "1h", "--from", "1"}, {"--to", "2"}, {"--format", "xml"}} {
		_, _, err := runRoot(t, append([]string{"--db", db, "diff"}, args...)...)
		if err == nil || !strings.Contains(err.Error(), "usage") {
			t.Errorf("diff %v: err = %v, want a usage error", args, err)
		}
	}
	if _, _, err := runRoot(t, "--db", db, "diff"); err == nil || !strings.Contains(err.Error(), "no change observations") {
		t.Errorf("diff on an empty store: err = %v", err)
	}
}
