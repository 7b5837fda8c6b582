package api

import (
	"net/url"
	"slices"
	"testing"
)

// TestMustPassNamesWhatEveryPathCrosses: GET /targets/{id}/must-pass on
// the small estate (Internet -> web VM -> role -> bucket) names the VM and
// the role, in order, and both findings; a node that is not a reached
// target is a 404. Every answer is checked against the OpenAPI document.
func TestMustPassNamesWhatEveryPathCrosses(t *testing.T) {
	_, c := newServer(t, Config{Store: smallStore(t)})
	var m MustPassView
	c.get("/api/v1/targets/"+url.PathEscape(bucketID)+"/must-pass").decode(t, &m)
	var hops []string
	for _, h := range m.Hops {
		hops = append(hops, h.ID)
	}
	if !slices.Equal(hops, []string{vmID, roleID}) {
		t.Errorf("hops %v, want the VM then the role", hops)
	}
	want := []string{findOpenSSH, findRoleRead}
	slices.Sort(want)
	if !slices.Equal(m.Findings, want) || m.Source != "internet" || m.TargetName != "customer-data" || m.Generation == "" {
		t.Errorf("must-pass %+v, want findings %v from the Internet", m, want)
	}
	for _, tc := range []struct{ name, id string }{
		{"not a target", roleID},
		{"unknown node", "arn:aws:s3:::nope"},
		{"unreached target", idleID},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a := c.get("/api/v1/targets/" + url.PathEscape(tc.id) + "/must-pass")
			if a.status != 404 || a.errorCode(t) != codeNotFound {
				t.Errorf("status %d, want 404 not_found", a.status)
			}
		})
	}
}
