package gcp_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/breachpath/breachpath/collector/gcp"
	"github.com/breachpath/breachpath/collector/gcp/gcptest"
	"github.com/breachpath/breachpath/collector/gcp/transform"
	"github.com/breachpath/breachpath/graph"
	"github.com/breachpath/breachpath/paths"
)

// hop is one expected step of a route.
type hop struct {
	to        string
	kind      graph.EdgeKind
	technique string
}

// labRoute is GCPGoat's documented escalation (attack manual "Lateral
// Movement Compute Instances"): SSH into developer-vm from the Internet,
// use its default service account's token (scopes: compute read-write,
// storage read-only) to add an SSH key to admin-vm's metadata, log in,
// take admin-service-account's token (cloud-platform scope), which is
// Owner of the project, and from there the data.
func labRoute() []hop {
	devToken := gcptest.DefaultSAID + "/scopes/compute,devstorage.read_only,logging.write,monitoring.write,pubsub,service.management.readonly,servicecontrol,trace.append"
	return []hop{
		{gcptest.DeveloperVM, graph.EdgeExposedTo, "gcp.compute.internet-exposed"},
		{devToken, graph.EdgeUsesIdentity, "gcp.compute.metadata-token"},
		{gcptest.AdminVM, graph.EdgeAdministers, "gcp.compute.set-metadata-ssh"},
		{gcptest.AdminSAID, graph.EdgeUsesIdentity, "gcp.compute.metadata-token"},
		{gcptest.OwnerNode, graph.EdgeEscalatesTo, "gcp.resourcemanager.set-iam-policy"},
		{gcptest.JWTSecret, graph.EdgeAdministers, "gcp.resourcemanager.owner-controls"},
	}
}

// functionRoute is the lab's serverless entry: the unauthenticated backend
// function (SSRF in the lab) runs as the App Engine default account, an
// Editor, which may mint a key for admin-service-account.
func functionRoute() []hop {
	return []hop{
		{gcptest.Backend, graph.EdgeExposedTo, "gcp.cloudfunctions.public-invoker"},
		{gcptest.AppspotSAID, graph.EdgeUsesIdentity, "gcp.cloudfunctions.runtime-identity"},
		{gcptest.AdminSAID, graph.EdgeEscalatesTo, "gcp.iam.service-account-key-create"},
		{gcptest.OwnerNode, graph.EdgeEscalatesTo, "gcp.resourcemanager.set-iam-policy"},
		{gcptest.JWTSecret, graph.EdgeAdministers, "gcp.resourcemanager.owner-controls"},
	}
}

func toHops(route []hop) []gcptest.Hop {
	hops := make([]gcptest.Hop, len(route))
	for i, h := range route {
		hops[i] = gcptest.Hop{To: h.to, Kind: h.kind, Technique: h.technique}
	}
	return hops
}

// findRoute returns the path from the Internet to the route's last node
// whose hops are exactly the route, or nil.
func findRoute(t *testing.T, g *graph.Graph, route []hop) *paths.Path {
	t.Helper()
	return findRouteFrom(t, g, graph.InternetID, toHops(route))
}

// describeEdges lists the move edges out of a node, for failure messages.
func describeEdges(g *graph.Graph, from string) string {
	var out []string
	for _, e := range g.Edges {
		if e.From == from && e.Kind.IsMove() {
			out = append(out, fmt.Sprintf("-[%s %s]-> %s", e.Kind, e.Technique, e.To))
		}
	}
	return strings.Join(out, "\n")
}

func importLab(t *testing.T, v gcptest.Variant) []*graph.Snapshot {
	t.Helper()
	files, err := gcptest.WriteExport(t.TempDir(), v)
	if err != nil {
		t.Fatal(err)
	}
	return importFiles(t, files)
}

// importFiles imports export files and fails the test on any warning.
func importFiles(t *testing.T, files []string) []*graph.Snapshot {
	t.Helper()
	snaps, run, err := gcp.FromFiles(context.Background(), files, transform.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(run.Warnings) > 0 {
		t.Errorf("warnings: %v", run.Warnings)
	}
	return snaps
}

func TestLabDocumentedRouteFoundHopByHop(t *testing.T) {
	g := graph.AssembleSnapshots(importLab(t, gcptest.Published))
	for _, tc := range []struct {
		name  string
		route []hop
	}{
		{"instance metadata route", labRoute()},
		{"function impersonation route", functionRoute()},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Log(mustFindRoute(t, g, graph.InternetID, toHops(tc.route)).Explain())
		})
	}
}

// The backend function's plaintext JWT key is found and reported, and the
// value is nowhere in what the collector hands the store.
func TestLabPlaintextSecretReportedNeverStored(t *testing.T) {
	snaps := importLab(t, gcptest.Published)
	b, err := json.Marshal(snaps)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(b), "lab-stand-in-not-a-real-key") {
		t.Fatal("a secret value reached a snapshot")
	}
	g := graph.AssembleSnapshots(snaps)
	found := false
	for _, f := range g.FindingsOn(gcptest.Backend) {
		if f.RuleID == "gcp.cloudfunctions.env-secret" && strings.Contains(f.Evidence, "JWT_SECRET") {
			found = true
		}
	}
	if !found {
		t.Errorf("no env-secret finding on the backend function: %+v", g.FindingsOn(gcptest.Backend))
	}
	if n := g.Node(gcptest.Backend); n == nil || !n.CrownJewel {
		t.Errorf("backend function not a crown jewel: %+v", n)
	}
}

func TestLabMovesUseListedTechniques(t *testing.T) {
	listed := map[string]bool{}
	for _, tc := range transform.Techniques {
		listed[tc.ID] = true
	}
	g := graph.AssembleSnapshots(importLab(t, gcptest.Published))
	for _, e := range g.Edges {
		if e.Kind.IsMove() && !listed[e.Technique] {
			t.Errorf("%s -[%s %s]-> %s: technique not in transform.Techniques", e.From, e.Kind, e.Technique, e.To)
		}
	}
}

func TestLabOneChangeRemovesDocumentedRoute(t *testing.T) {
	g := graph.AssembleSnapshots(importLab(t, gcptest.DevVMWithoutComputeScope))
	// The developer VM's token can no longer touch admin-vm.
	for _, e := range g.Edges {
		if strings.HasPrefix(e.From, gcptest.DefaultSAID+"/scopes/") && e.To == gcptest.AdminVM {
			t.Errorf("token still reaches admin-vm: %s %s", e.Kind, e.Technique)
		}
	}
	res, err := paths.Search(context.Background(), g, paths.Options{Targets: []string{gcptest.JWTSecret}, Top: 64, MaxDepth: 10})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Paths) == 0 {
		t.Fatal("no path at all: the variant should remove only the documented route")
	}
	// The documented route (developer-vm's token rewrites admin-vm's
	// metadata) is gone. developer-vm still reaches admin-vm's port 22
	// inside the VPC (the lab's SSH rule admits 0.0.0.0/0, internal
	// addresses included): that network route stays, as it should.
	for _, p := range res.Paths {
		for i := 0; i+1 < len(p.Hops); i++ {
			if p.Hops[i].From == gcptest.DeveloperVM && p.Hops[i+1].Technique == "gcp.compute.set-metadata-ssh" {
				t.Errorf("the metadata route from developer-vm survives: %s", p.Explain())
			}
		}
	}
	// The function route is untouched by the change.
	if findRoute(t, g, functionRoute()) == nil {
		t.Error("function route lost")
	}
}

// The attack manual's "Misconfigured Storage Bucket Policies": anyone may
// rewrite the dev bucket's IAM policy (allUsers holds a custom role with
// storage.buckets.setIamPolicy); without that permission the route is gone.
func TestLabBucketPolicyRouteFoundAndCutByOneChange(t *testing.T) {
	route := []gcptest.Hop{{To: gcptest.DevBucket, Kind: graph.EdgeAdministers, Technique: "gcp.storage.set-iam-policy"}}
	for _, v := range []gcptest.Variant{gcptest.Published, gcptest.DevBucketWithoutSetIAM} {
		g := graph.AssembleSnapshots(importLab(t, v))
		if v == gcptest.Published {
			mustFindRoute(t, g, transform.AllUsersID, route)
		} else if p := findRouteFrom(t, g, transform.AllUsersID, route); p != nil {
			t.Errorf("the dev role without setIamPolicy left the route: %s", p.Explain())
		}
	}
}
