package gcp_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/breachpath/breachpath/collector/gcp"
	"github.com/breachpath/breachpath/collector/gcp/fetch"
	"github.com/breachpath/breachpath/collector/gcp/gcptest"
	"github.com/breachpath/breachpath/collector/gcp/inventory"
	"github.com/breachpath/breachpath/collector/gcp/transform"
	"github.com/breachpath/breachpath/graph"
)

// collectExtension collects the lab and its load-balanced extension live:
// the asset inventory knows every resource but no instance-group member;
// only the Compute Engine API says web-vm is in web-ig.
func collectExtension(t *testing.T, inGroup bool) *graph.Graph {
	t.Helper()
	res, pol := gcptest.Lab(gcptest.Published)
	er, ep, members := gcptest.Extension(inGroup)
	return collectFrom(t, gcptest.StartServers(t, append(res, er...), append(pol, ep...), members, nil))
}

// collectFrom runs a live collection of the organisation against the
// servers and fails the test on any failed area or warning.
func collectFrom(t *testing.T, srv *gcptest.Servers) *graph.Graph {
	t.Helper()
	env := srv.Env()
	snaps, run, err := gcp.Collect(context.Background(), fetch.Options{
		Parent:         "organizations/" + gcptest.OrgNumber,
		ServiceOptions: fetch.EndpointOptions(func(k string) string { return env[k] }),
		RetryBase:      time.Millisecond, MaxAttempts: 2,
	}, transform.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(run.Failed) > 0 || len(run.Warnings) > 0 {
		t.Fatalf("failed %+v, warnings %v", run.Failed, run.Warnings)
	}
	return graph.AssembleSnapshots(snaps)
}

// webRoute: the Internet reaches the external HTTP load balancer, which
// forwards port 80 through its proxy, URL map and backend service to the
// instance group's member web-vm (a membership only the Compute Engine
// API reports); web-vm's token is web-runtime's, which the reports
// dataset's access list lets read.
func webRoute() []hop {
	return []hop{
		{gcptest.WebLB, graph.EdgeExposedTo, "gcp.compute.external-load-balancer"},
		{gcptest.WebVM, graph.EdgeReaches, "gcp.compute.load-balancer-forward"},
		{gcptest.WebSAID, graph.EdgeUsesIdentity, "gcp.compute.metadata-token"},
		{gcptest.ReportsDS, graph.EdgeReads, "gcp.bigquery.read"},
	}
}

func TestServiceDataRouteIsFoundHopByHopAndOneChangeRemovesIt(t *testing.T) {
	tests := []struct {
		name    string
		inGroup bool
		want    bool
	}{
		{"web-vm in the backend's instance group: route found", true, true},
		{"web-vm removed from the instance group: route gone", false, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			g := collectExtension(t, tc.inGroup)
			p := findRoute(t, g, webRoute())
			if (p != nil) != tc.want {
				t.Fatalf("route found=%v, want %v; moves from the load balancer:\n%s\nfrom web-runtime:\n%s", p != nil, tc.want,
					describeEdges(g, gcptest.WebLB), describeEdges(g, gcptest.WebSAID))
			}
			if p == nil {
				return
			}
			// The hop carries the backend's named port and the chain that proves it.
			for _, e := range g.Edges {
				if e.From == gcptest.WebLB && e.To == gcptest.WebVM && e.Kind == graph.EdgeReaches {
					if ports, _ := e.Props["ports"].([]string); len(ports) != 1 || ports[0] != "tcp/80" {
						t.Errorf("load balancer edge ports %v, want [tcp/80] (the backend's named port)", e.Props["ports"])
					}
				}
			}
			if ev := strings.Join(p.Hops[1].Evidence, "; "); !strings.Contains(ev, "backend service web-backend") || !strings.Contains(ev, "allow-lb-web") {
				t.Errorf("evidence %q does not show the chain and the firewall rule", ev)
			}
		})
	}
}

// collectLab collects the lab variant live; the variant's deny policies are
// answered by the IAM v2 policies API.
func collectLab(t *testing.T, v gcptest.Variant) *graph.Graph {
	t.Helper()
	res, pol := gcptest.Lab(v)
	srv := gcptest.StartServers(t, res, pol, nil, nil)
	srv.Services.DenyPolicies = gcptest.LabDenyPolicies(v)
	return collectFrom(t, srv)
}

// A deny policy on the project (nobody but the owner may create service
// account keys) removes the function route's key-minting hop, live and
// from export files alike; the route is there without it.
func TestDenyPolicyRemovesTheKeyMintingHopLiveAndOffline(t *testing.T) {
	for _, v := range []gcptest.Variant{gcptest.Published, gcptest.DenyKeyCreation} {
		for _, source := range []string{"live", "export files"} {
			t.Run(fmt.Sprintf("variant %d from %s", v, source), func(t *testing.T) {
				var g *graph.Graph
				if source == "live" {
					g = collectLab(t, v)
				} else {
					g = graph.AssembleSnapshots(importLab(t, v))
				}
				want := v == gcptest.Published
				if got := findRoute(t, g, functionRoute()) != nil; got != want {
					t.Errorf("function route found=%v, want %v; moves from the App Engine account:\n%s", got, want, describeEdges(g, gcptest.AppspotSAID))
				}
			})
		}
	}
}

// A VPC Service Controls perimeter around the lab project that restricts
// Secret Manager makes the documented route's last hop (owner-equivalent
// -> secret) conditional: that attacker's request must come from inside the
// perimeter, which the graph cannot know. The App Engine account's own
// access to the secret stays unconditional: its function runs inside.
func TestPerimeterMakesTheSecretHopConditional(t *testing.T) {
	for _, restricted := range []string{"", "secretmanager.googleapis.com", "bigquery.googleapis.com"} {
		t.Run("restricted "+restricted, func(t *testing.T) {
			res, pol := gcptest.Lab(gcptest.Published)
			srv := gcptest.StartServers(t, res, pol, nil, nil)
			if restricted != "" {
				var p inventory.Perimeter
				raw := fmt.Sprintf(`{"name":"accessPolicies/77/servicePerimeters/goat","title":"goat","perimeterType":"PERIMETER_TYPE_REGULAR",
					"status":{"resources":["projects/%s"],"restrictedServices":[%q]}}`, gcptest.ProjectNumber, restricted)
				if err := json.Unmarshal([]byte(raw), &p); err != nil {
					t.Fatal(err)
				}
				srv.Services.Perimeters = []inventory.Perimeter{p}
			}
			g := collectFrom(t, srv)
			want := restricted == "secretmanager.googleapis.com"
			checked := 0
			for _, e := range g.Edges {
				if e.To != gcptest.JWTSecret || !e.Kind.IsMove() {
					continue
				}
				switch e.From {
				case gcptest.OwnerNode:
					checked++
					if e.Conditional != want || want != strings.Contains(strings.Join(e.Evidence, " "), "perimeter goat") {
						t.Errorf("owner -> secret conditional=%v evidence %v, want conditional=%v", e.Conditional, e.Evidence, want)
					}
				case gcptest.AppspotSAID:
					checked++
					if e.Conditional {
						t.Errorf("the App Engine account's %s became conditional: it acts from inside", e.Technique)
					}
				}
			}
			if checked < 2 {
				t.Fatalf("edges to the secret from the owner node and the App Engine account: %d checked", checked)
			}
		})
	}
}
