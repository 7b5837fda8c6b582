package snapshotfile_test

import (
	"context"
	"testing"

	"github.com/breachpath/breachpath/collector/synthetic"
)

func TestReadFileRoundTripsTheSyntheticEstate(t *testing.T) {
	est, err := synthetic.Generate(context.Background(), synthetic.Options{Seed: 3, Resources: 1000})
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if err := est.WriteDir(dir); err != nil {
		t.Fatal(err)
	}
	back, err := synthetic.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for i, s := range est.Snapshots {
		got := back.Snapshots[i]
		if got.Scope != s.Scope || len(got.Nodes) != len(s.Nodes) || len(got.Edges) != len(s.Edges) || len(got.Findings) != len(s.Findings) {
			t.Fatalf("scope %s did not round-trip: %d/%d nodes", s.Scope, len(got.Nodes), len(s.Nodes))
		}
	}
}
