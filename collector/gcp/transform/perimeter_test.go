package transform

import (
	"encoding/json"
	"testing"

	"github.com/breachpath/breachpath/collector/gcp/inventory"
	"github.com/breachpath/breachpath/graph"
)

func perimeter(t *testing.T, typ string, projects, services []string) inventory.Perimeter {
	t.Helper()
	var p inventory.Perimeter
	b, _ := json.Marshal(map[string]any{"name": "accessPolicies/9/servicePerimeters/data", "title": "data", "perimeterType": typ,
		"status": map[string]any{"resources": projects, "restrictedServices": services}})
	if err := json.Unmarshal(b, &p); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestPerimeterMakesDataMovesFromOutsideConditional(t *testing.T) {
	const bucket = "//storage.googleapis.com/vault"
	tests := []struct {
		name          string
		perimeter     *inventory.Perimeter
		wantUserCond  bool
		wantInsideSAs bool // the project's own account keeps an unconditional edge
	}{
		{"no perimeter", nil, false, true},
		{"storage restricted around the project", &inventory.Perimeter{}, true, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t)
			f.res(t, bucket, inventory.TypeBucket, tAnc, map[string]any{"name": "vault"})
			sam, sa := f.sa(t, "etl")
			f.grant(t, bucket, "roles/storage.objectViewer", tUser, sam)
			if tc.perimeter != nil {
				f.inv.Perimeters = []inventory.Perimeter{perimeter(t, "PERIMETER_TYPE_REGULAR", []string{"projects/3"}, []string{"storage.googleapis.com"})}
			}
			g := f.build(t)
			check := func(from string, wantCond bool) {
				t.Helper()
				es := edgesOf(g, from, bucket)
				if len(es) == 0 {
					t.Fatalf("no edge from %s", from)
				}
				for _, e := range es {
					if e.Kind == graph.EdgeReads && e.Conditional != wantCond {
						t.Errorf("%s reads conditional=%v, want %v (evidence %v)", from, e.Conditional, wantCond, e.Evidence)
					}
				}
			}
			check(tUserID, tc.wantUserCond)
			check(sa, !tc.wantInsideSAs)
		})
	}
	// A perimeter that restricts another API, or a bridge, does not touch the move.
	for _, p := range []inventory.Perimeter{
		perimeter(t, "PERIMETER_TYPE_REGULAR", []string{"projects/3"}, []string{"bigquery.googleapis.com"}),
		perimeter(t, "PERIMETER_TYPE_BRIDGE", []string{"projects/3"}, []string{"storage.googleapis.com"}),
		perimeter(t, "PERIMETER_TYPE_REGULAR", []string{"projects/99"}, []string{"storage.googleapis.com"}),
	} {
		f := newFixture(t)
		f.res(t, bucket, inventory.TypeBucket, tAnc, map[string]any{"name": "vault"})
		f.grant(t, bucket, "roles/storage.objectViewer", tUser)
		f.inv.Perimeters = []inventory.Perimeter{p}
		for _, e := range edgesOf(f.build(t), tUserID, bucket) {
			if e.Conditional {
				t.Errorf("perimeter %s %v %v made the move conditional", p.PerimeterType, p.Status.Resources, p.Status.RestrictedServices)
			}
		}
	}
}
