package api

import (
	"context"
	"net/url"
	"slices"
	"testing"

	"github.com/breachpath/breachpath/graph"
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

// TestPathDetailReportsLoopsAsOneUnit: with a move from the role back to
// the web VM, VM and role reach each other: the path detail reports hop 2
// (VM -> role) as one loop over both, and must-pass still names both.
func TestPathDetailReportsLoopsAsOneUnit(t *testing.T) {
	snap := smallSnapshot()
	snap.Edges = append(snap.Edges, graph.Edge{From: roleID, To: vmID, Kind: graph.EdgeAdministers, Technique: "aws.ssm.send-command", Likelihood: 0.5})
	st := openStore(t, t.TempDir())
	if _, err := st.Sync(context.Background(), snap); err != nil {
		t.Fatal(err)
	}
	_, c := newServer(t, Config{Store: st})
	var list PathList
	c.get("/api/v1/paths").decode(t, &list)
	if len(list.Items) != 1 {
		t.Fatalf("want one path, got %+v", list)
	}
	var d PathDetail
	c.get("/api/v1/paths/"+list.Items[0].ID).decode(t, &d)
	want := []string{vmID, roleID}
	slices.Sort(want)
	if len(d.Loops) != 1 || d.Loops[0].From != 1 || d.Loops[0].To != 2 || !slices.Equal(d.Loops[0].Members, want) {
		t.Errorf("loops %+v, want one over positions 1..2 with members %v", d.Loops, want)
	}
	var m MustPassView
	c.get("/api/v1/targets/"+url.PathEscape(bucketID)+"/must-pass").decode(t, &m)
	if len(m.Hops) != 2 {
		t.Errorf("must-pass hops %+v, want the VM and the role still", m.Hops)
	}
}
