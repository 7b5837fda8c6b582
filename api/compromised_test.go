package api

import (
	"net/url"
	"strings"
	"testing"
)

// GET /compromised answers "what can someone who holds X reach": the VM's
// instance id names the VM, whose path leads to the bucket; the role alone
// reaches the bucket too; a source the graph does not hold is listed with
// why, not an error; no source is a bad request.
func TestCompromisedSearchesFromTheNamedFoothold(t *testing.T) {
	_, c := newServer(t, Config{Store: smallStore(t)})
	tests := []struct {
		name        string
		query       string
		status      int
		wantSources []string // sources of the paths listed
		unresolved  string
	}{
		{"instance id", "source=i-web", 200, []string{vmID}, ""},
		{"role name", "source=web-role", 200, []string{roleID}, ""},
		{"two footholds, one unknown", "source=web-role&source=AKIANOTINTHEGRAPH000", 200, []string{roleID}, "AKIANOTINTHEGRAPH000"},
		{"only an unknown foothold", "source=" + url.QueryEscape("arn:aws:iam::999:user/x"), 200, nil, "arn:aws:iam::999:user/x"},
		{"no source", "", 400, nil, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			a := c.get("/api/v1/compromised?" + tc.query)
			if a.status != tc.status {
				t.Fatalf("status %d, want %d: %s", a.status, tc.status, a.body)
			}
			if tc.status != 200 {
				return
			}
			var out Compromised
			a.decode(t, &out)
			got := map[string]bool{}
			for _, p := range out.Items {
				got[p.Source] = true
				if p.Target != bucketID {
					t.Errorf("path to %s, want the bucket", p.Target)
				}
			}
			for _, want := range tc.wantSources {
				if !got[want] {
					t.Errorf("no path from %s: %s", want, a.body)
				}
			}
			if len(got) != len(tc.wantSources) {
				t.Errorf("sources %v, want %v", got, tc.wantSources)
			}
			if tc.unresolved != "" && !strings.Contains(out.Unresolved[tc.unresolved], "no node") {
				t.Errorf("unresolved = %v, want %s explained", out.Unresolved, tc.unresolved)
			}
		})
	}
}
