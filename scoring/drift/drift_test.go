package drift_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/breachpath/breachpath/graph"
	"github.com/breachpath/breachpath/graph/embedded"
	"github.com/breachpath/breachpath/paths"
	"github.com/breachpath/breachpath/scoring/drift"
)

const (
	vmID     = "arn:aws:ec2:eu-west-1:111111111111:instance/i-web"
	roleID   = "arn:aws:iam::111111111111:role/web-role"
	bucketID = "arn:aws:s3:::customer-data"
	dbID     = "arn:aws:rds:eu-west-1:111111111111:db:orders"
)

var (
	findSSH  = graph.FindingID("ssh-open-world", vmID)
	findRead = graph.FindingID("role-reads-all-buckets", roleID)
	findDB   = graph.FindingID("rds-unencrypted", dbID)
)

var t0 = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

// estate builds the account: the Internet reaches a web VM over SSH, the VM
// uses a role, the role reads a restricted bucket. exposed says whether
// the VM's SSH is open; db adds an unencrypted database (a finding on no
// path).
func estate(at time.Time, exposed, db bool) *graph.Snapshot {
	node := func(id string, k graph.Kind, svc string) graph.Node {
		return graph.Node{ID: id, Kind: k, Cloud: graph.CloudAWS, Account: "111111111111", Region: "eu-west-1", Name: filepath.Base(id), Service: svc}
	}
	bucket := node(bucketID, graph.KindBucket, "s3")
	bucket.Sensitivity = graph.SensitivityRestricted
	s := &graph.Snapshot{
		Scope: graph.Scope{Cloud: graph.CloudAWS, ID: "111111111111"}, CollectedAt: at, Collector: "test",
		Nodes: []graph.Node{{ID: graph.InternetID, Kind: graph.KindInternet, Name: "Internet", Stub: true},
			node(vmID, graph.KindCompute, "ec2"), node(roleID, graph.KindRole, "iam"), bucket},
		Edges: []graph.Edge{
			{From: vmID, To: roleID, Kind: graph.EdgeUsesIdentity, Technique: "aws.ec2.imds", Likelihood: 0.8},
			{From: roleID, To: bucketID, Kind: graph.EdgeReads, Technique: "aws.s3.read", Likelihood: 1, Findings: []string{findRead}},
		},
		Findings: []graph.Finding{{ID: findRead, RuleID: "role-reads-all-buckets", Resource: roleID, Severity: graph.SeverityMedium, Title: "Role reads every bucket"}},
	}
	if exposed {
		s.Edges = append(s.Edges, graph.Edge{From: graph.InternetID, To: vmID, Kind: graph.EdgeExposedTo, Technique: "net.internet-exposure",
			Likelihood: 0.9, Findings: []string{findSSH}})
		s.Findings = append(s.Findings, graph.Finding{ID: findSSH, RuleID: "ssh-open-world", Resource: vmID, Severity: graph.SeverityHigh, Title: "SSH open to the world"})
	}
	if db {
		s.Nodes = append(s.Nodes, node(dbID, graph.KindDatabase, "rds"))
		s.Findings = append(s.Findings, graph.Finding{ID: findDB, RuleID: "rds-unencrypted", Resource: dbID, Severity: graph.SeverityLow, Title: "Database unencrypted"})
	}
	return s
}

// ec2Failed is the estate re-collected while EC2 could not be read: the VM
// and its exposure are missing from the snapshot because the area failed.
func ec2Failed(at time.Time) *graph.Snapshot {
	s := estate(at, false, false)
	s.Nodes = slices.DeleteFunc(s.Nodes, func(n graph.Node) bool { return n.ID == vmID })
	s.Edges = slices.DeleteFunc(s.Edges, func(e graph.Edge) bool { return e.From == vmID || e.To == vmID })
	s.Coverage.Failed = []graph.Failure{{Area: graph.Area{Service: "ec2", Region: "eu-west-1"}, Error: "AccessDenied"}}
	return s
}

type fixture struct {
	st     *embedded.Store
	ledger *drift.Ledger
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	dir := t.TempDir()
	st, err := embedded.Open(context.Background(), filepath.Join(dir, "breachpath.db"), embedded.WithLogger(slog.New(slog.NewTextHandler(io.Discard, nil))))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	l, err := drift.OpenLedger(context.Background(), filepath.Join(dir, "breachpath.db.changes"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	return &fixture{st: st, ledger: l}
}

// syncAndRecord syncs each snapshot and records an observation after it, as
// the collect commands do.
func (f *fixture) syncAndRecord(t *testing.T, snaps ...*graph.Snapshot) []*drift.Observation {
	t.Helper()
	var out []*drift.Observation
	for _, s := range snaps {
		if _, err := f.st.Sync(context.Background(), s); err != nil {
			t.Fatal(err)
		}
		o, err := drift.Record(context.Background(), f.st, f.ledger, paths.Options{}, s.CollectedAt)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, o)
	}
	return out
}

func pathIDs(ps []drift.PathRecord) []string {
	var out []string
	for _, p := range ps {
		out = append(out, p.ID)
	}
	return out
}

func findingIDs(fs []drift.FindingRecord) []string {
	var out []string
	for _, f := range fs {
		out = append(out, f.ID)
	}
	return out
}

func TestDiffReportsExactlyWhatChangedBetweenTwoSyncs(t *testing.T) {
	tests := []struct {
		name                              string
		second                            *graph.Snapshot
		pathOpened, pathClosed            int
		opened, resolved, reopened, unver []string
	}{
		{name: "same estate re-collected changes nothing", second: estate(t0.Add(time.Hour), true, false)},
		{name: "closing SSH closes the path and resolves its finding", second: estate(t0.Add(time.Hour), false, false),
			pathClosed: 1, resolved: []string{findSSH}},
		{name: "a new database finding opens, off every path", second: estate(t0.Add(time.Hour), true, true),
			opened: []string{findDB}},
		{name: "a failed EC2 collection resolves nothing and keeps the path", second: ec2Failed(t0.Add(time.Hour)),
			unver: []string{findSSH}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			obs := f.syncAndRecord(t, estate(t0, true, false), tt.second)
			if len(obs[0].Paths) != 1 {
				t.Fatalf("first sync: want the one planted path, got %+v", obs[0].Paths)
			}
			c, err := f.ledger.Compare(context.Background(), drift.Query{FromSync: obs[0].SyncID, ToSync: obs[1].SyncID})
			if err != nil {
				t.Fatal(err)
			}
			if len(c.PathsOpened) != tt.pathOpened || len(c.PathsClosed) != tt.pathClosed {
				t.Errorf("paths opened %v closed %v, want %d and %d", pathIDs(c.PathsOpened), pathIDs(c.PathsClosed), tt.pathOpened, tt.pathClosed)
			}
			if tt.pathClosed == 1 && c.PathsClosed[0].ID != obs[0].Paths[0].ID {
				t.Errorf("closed %s, want the planted path %s", c.PathsClosed[0].ID, obs[0].Paths[0].ID)
			}
			for _, chk := range []struct {
				what      string
				got, want []string
			}{{"opened", findingIDs(c.FindingsOpened), tt.opened}, {"resolved", findingIDs(c.FindingsResolved), tt.resolved},
				{"reopened", findingIDs(c.FindingsReopened), tt.reopened}, {"unverified", findingIDs(c.FindingsUnverified), tt.unver}} {
				if !slices.Equal(chk.got, chk.want) {
					t.Errorf("findings %s = %v, want %v", chk.what, chk.got, chk.want)
				}
			}
		})
	}
}

func TestAReopenedPathKeepsItsIdentityAndItsFindingReopens(t *testing.T) {
	f := newFixture(t)
	obs := f.syncAndRecord(t, estate(t0, true, false), estate(t0.Add(time.Hour), false, false), estate(t0.Add(2*time.Hour), true, false))
	c, err := f.ledger.Compare(context.Background(), drift.Query{FromSync: obs[1].SyncID, ToSync: obs[2].SyncID})
	if err != nil {
		t.Fatal(err)
	}
	if got := pathIDs(c.PathsOpened); !slices.Equal(got, pathIDs(obs[0].Paths)) {
		t.Errorf("paths opened %v, want the first sync's path %v again", got, pathIDs(obs[0].Paths))
	}
	if got := findingIDs(c.FindingsReopened); !slices.Equal(got, []string{findSSH}) {
		t.Errorf("reopened %v, want %s", got, findSSH)
	}
	if len(c.FindingsOpened) != 0 || len(c.FindingsResolved) != 0 {
		t.Errorf("opened %v resolved %v, want none", findingIDs(c.FindingsOpened), findingIDs(c.FindingsResolved))
	}
}

func TestSinceComparesWithTheNewestObservationBeforeTheWindow(t *testing.T) {
	f := newFixture(t)
	obs := f.syncAndRecord(t, estate(t0, true, false), estate(t0.Add(time.Hour), false, false), estate(t0.Add(48*time.Hour), false, true))
	c, err := f.ledger.Compare(context.Background(), drift.Query{Since: 24 * time.Hour, Now: t0.Add(48 * time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	if c.From.ID != obs[1].ID || c.To.ID != obs[2].ID {
		t.Fatalf("compared %d..%d, want %d..%d", c.From.ID, c.To.ID, obs[1].ID, obs[2].ID)
	}
	if got := findingIDs(c.FindingsOpened); !slices.Equal(got, []string{findDB}) || len(c.PathsClosed) != 0 {
		t.Errorf("opened %v closed %v, want only %s opened", got, pathIDs(c.PathsClosed), findDB)
	}
}

func TestRecordingTwiceWithoutASyncKeepsOneObservation(t *testing.T) {
	f := newFixture(t)
	first := f.syncAndRecord(t, estate(t0, true, false))[0]
	again, err := drift.Record(context.Background(), f.st, f.ledger, paths.Options{}, t0.Add(time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	if again.ID != first.ID {
		t.Fatalf("second record made observation %d, want %d kept", again.ID, first.ID)
	}
}

func TestAnEmptyLedgerSaysSo(t *testing.T) {
	f := newFixture(t)
	if _, err := f.ledger.Compare(context.Background(), drift.Query{Since: time.Hour, Now: t0}); !errors.Is(err, drift.ErrNoObservations) {
		t.Fatalf("err = %v, want ErrNoObservations", err)
	}
}

func TestALedgerAtARelativePathOpens(t *testing.T) {
	t.Chdir(t.TempDir())
	for _, name := range []string{"breachpath.db.changes", "odd?#%name.changes"} {
		l, err := drift.OpenLedger(context.Background(), name)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if err := l.Add(context.Background(), &drift.Observation{SyncID: 1, At: t0}); err != nil {
			t.Fatal(err)
		}
		l.Close()
		if _, err := os.Stat(name); err != nil {
			t.Fatalf("the ledger is not at %s: %v", name, err)
		}
	}
}
