package gcp_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/breachpath/breachpath/collector/gcp"
	"github.com/breachpath/breachpath/collector/gcp/gcptest"
	"github.com/breachpath/breachpath/collector/gcp/inventory"
	"github.com/breachpath/breachpath/collector/gcp/transform"
)

// FuzzFromFiles feeds arbitrary export files through the whole offline
// path (parse, transform, validate): bad input is an error, never a panic,
// and whatever is accepted validates. A fuzz worker's first input is slow
// (the embedded role catalogue and the secret rules load under coverage
// instrumentation), so give it minutes rather than seconds.
func FuzzFromFiles(f *testing.F) {
	res, pol := gcptest.Lab(gcptest.Published)
	for _, assets := range [][]byte{mustExport(f, res[:8]), mustExport(f, pol), mustExport(f, res[len(res)-6:])} {
		f.Add(assets)
	}
	f.Add([]byte(`{"name":"//compute.googleapis.com/projects/p/zones/z/instances/i","asset_type":"compute.googleapis.com/Instance","ancestors":["projects/1"],"resource":{"data":{"serviceAccounts":[{"email":"x","scopes":[1]}],"networkInterfaces":"bad"}}}`))
	f.Add([]byte(`[{"resource":"//iam.googleapis.com/projects/p/serviceAccounts/a@p.iam.gserviceaccount.com","policy":{"bindings":[{"role":"roles/owner","members":["allUsers","projectEditor:p","deleted:user:x"]}]}}]`))
	f.Fuzz(func(t *testing.T, b []byte) {
		p := filepath.Join(t.TempDir(), "export.json")
		if err := os.WriteFile(p, b, 0o600); err != nil {
			t.Fatal(err)
		}
		snaps, _, err := gcp.FromFiles(context.Background(), []string{p}, transform.Options{})
		if err != nil {
			return
		}
		for _, s := range snaps {
			if err := s.Validate(); err != nil {
				t.Fatalf("accepted snapshot does not validate: %v", err)
			}
		}
	})
}

func mustExport(f *testing.F, assets []*inventory.Asset) []byte {
	f.Helper()
	b, err := gcptest.ExportNDJSON(assets)
	if err != nil {
		f.Fatal(err)
	}
	return b
}
