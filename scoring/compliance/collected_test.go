package compliance

import (
	"bytes"
	"context"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/breachpath/breachpath/graph"
	"github.com/breachpath/breachpath/graph/embedded"
)

// TestCollectedFromReadsNewestSyncPerScopeWithItsFailedAreas syncs two
// scopes into a real embedded store, one twice (the second collection
// failing s3): the newest sync's collector and failed areas are what the
// report uses, a scope filter keeps only the scopes asked for, and the
// table names the failed areas.
func TestCollectedFromReadsNewestSyncPerScopeWithItsFailedAreas(t *testing.T) {
	ctx := context.Background()
	st, err := embedded.Open(ctx, filepath.Join(t.TempDir(), "bp.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	aws := graph.Scope{Cloud: graph.CloudAWS, ID: "111122223333"}
	gcp := graph.Scope{Cloud: graph.CloudGCP, ID: "proj-1"}
	at := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	for i, snap := range []*graph.Snapshot{
		{Scope: aws, CollectedAt: at, Collector: "aws-file"},
		{Scope: gcp, CollectedAt: at, Collector: "gcp"},
		{Scope: aws, CollectedAt: at.Add(time.Hour), Collector: "aws",
			Coverage: graph.Coverage{Failed: []graph.Failure{{Area: graph.Area{Service: "s3"}, Error: "AccessDenied"}}}},
	} {
		if _, err := st.Sync(ctx, snap); err != nil {
			t.Fatalf("sync %d: %v", i, err)
		}
	}
	got, err := CollectedFrom(ctx, st, graph.Filter{})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0].Scope != aws || got[0].Collector != "aws" || !slices.Equal(got[0].FailedAreas, []string{"s3"}) ||
		got[1].Scope != gcp || got[1].Collector != "gcp" || len(got[1].FailedAreas) != 0 {
		t.Fatalf("collected %+v", got)
	}
	only, err := CollectedFrom(ctx, st, graph.Filter{Clouds: []graph.Cloud{graph.CloudGCP}})
	if err != nil || len(only) != 1 || only[0].Scope != gcp {
		t.Fatalf("cloud filter: %+v %v", only, err)
	}
	rep := Build(Input{Framework: testFramework(), Rules: testRules(), Collected: got, GeneratedAt: at})
	var buf bytes.Buffer
	if err := Write(&buf, "table", rep); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(buf.String(), "aws:111122223333 could not read s3") {
		t.Errorf("table does not name the failed area:\n%s", buf.String())
	}
}
