package gcp_test

import (
	"context"
	"crypto/rsa"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/fsouza/fake-gcs-server/fakestorage"

	"github.com/breachpath/breachpath/collector/credscan/credscantest"
	"github.com/breachpath/breachpath/collector/gcp"
	"github.com/breachpath/breachpath/collector/gcp/fetch"
	"github.com/breachpath/breachpath/collector/gcp/gcptest"
	"github.com/breachpath/breachpath/collector/gcp/transform"
	"github.com/breachpath/breachpath/graph"
)

// collectWithObjects collects the lab variant live with the object scan
// on, the dev bucket in fake-gcs-server holding objects.
func collectWithObjects(t *testing.T, v gcptest.Variant, objects map[string]string) (*graph.Graph, []byte) {
	t.Helper()
	res, pol := gcptest.Lab(v)
	srv := gcptest.StartServers(t, res, pol, nil, nil)
	for name, content := range objects {
		srv.Storage.CreateObject(fakestorage.Object{ObjectAttrs: fakestorage.ObjectAttrs{BucketName: "dev-blogapp-5e1f", Name: name, ContentType: "text/plain"},
			Content: []byte(content)})
	}
	// A prod object the scan must not read: only allUsers' buckets, or
	// configuration buckets by name or label, are scanned.
	env := srv.Env()
	snaps, run, err := gcp.Collect(context.Background(), fetch.Options{
		Parent:            "organizations/" + gcptest.OrgNumber,
		ServiceOptions:    fetch.EndpointOptions(func(k string) string { return env[k] }),
		RetryBase:         time.Millisecond,
		MaxAttempts:       2,
		ScanConfigObjects: true,
		CredentialSalt:    []byte("test-salt"),
	}, transform.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if run.Partial() {
		t.Fatalf("partial: %+v", run.Failed)
	}
	raw, err := json.Marshal(snaps)
	if err != nil {
		t.Fatal(err)
	}
	return graph.AssembleSnapshots(snaps), raw
}

func genKey(t *testing.T) (*rsa.PrivateKey, string) { return credscantest.RSAKey(t) }

func assertNoSecretLines(t *testing.T, raw []byte, secret string) {
	t.Helper()
	credscantest.AssertNoSecretLines(t, raw, secret)
}

// gcpGoatSSHConfig is the dev bucket's shared/files/.ssh/config.txt after
// deployment (VM_IP_ADDR replaced by developer-vm's address).
func gcpGoatSSHConfig(address string) string {
	return "Host " + address + "\n  HostName justin\n  Port 22\n  IdentityFile /shared/files/.ssh/keys/justin.pem\n  User justin\n\n" +
		"Host 10.25.14.6\n  HostName alice\n  Port 22\n  IdentityFile /shared/files/.ssh/keys/alice.pem\n  User alice\n"
}

// TestLiveGCPGoatVMRouteStartsWithTheSSHKeyInTheDevBucket is GCPGoat's
// attack manual "Lateral Movement Compute Instances" from its first step:
// anyone takes over the dev bucket (manual "Misconfigured Storage Bucket
// Policies": allUsers may set its IAM policy), reads config.txt and
// justin.pem, logs in to developer-vm over SSH, takes its scoped token,
// adds a key to admin-vm's metadata, takes admin-service-account's token
// (Owner) and reaches the JWT secret. Collected live against the local
// API servers and fake-gcs-server.
func TestLiveGCPGoatVMRouteStartsWithTheSSHKeyInTheDevBucket(t *testing.T) {
	_, justin := genKey(t)
	_, alice := genKey(t)
	devToken := gcptest.DefaultSAID + "/scopes/compute,devstorage.read_only,logging.write,monitoring.write,pubsub,service.management.readonly,servicecontrol,trace.append"
	key := gcptest.DevBucket + "/objects/shared/files/.ssh/keys/justin.pem/credentials/0"
	route := []gcptest.Hop{
		{To: gcptest.DevBucket, Kind: graph.EdgeAdministers, Technique: "gcp.storage.set-iam-policy"},
		{To: key, Kind: graph.EdgeReads, Technique: transform.TechObjectCredential},
		{To: gcptest.DeveloperVM, Kind: graph.EdgeAdministers, Technique: transform.TechSSHKeyLogin},
		{To: devToken, Kind: graph.EdgeUsesIdentity, Technique: "gcp.compute.metadata-token"},
		{To: gcptest.AdminVM, Kind: graph.EdgeAdministers, Technique: "gcp.compute.set-metadata-ssh"},
		{To: gcptest.AdminSAID, Kind: graph.EdgeUsesIdentity, Technique: "gcp.compute.metadata-token"},
		{To: gcptest.OwnerNode, Kind: graph.EdgeEscalatesTo, Technique: "gcp.resourcemanager.set-iam-policy"},
		{To: gcptest.JWTSecret, Kind: graph.EdgeAdministers, Technique: "gcp.resourcemanager.owner-controls"},
	}
	for _, tc := range []struct {
		name    string
		v       gcptest.Variant
		address string
		want    bool
	}{
		{"as designed", gcptest.Published, "203.0.113.10", true},
		{"one change: allUsers' dev role without storage.buckets.setIamPolicy", gcptest.DevBucketWithoutSetIAM, "203.0.113.10", false},
		{"variant: config.txt names other hosts only", gcptest.Published, "34.207.133.229", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			g, raw := collectWithObjects(t, tc.v, map[string]string{
				"shared/files/.ssh/config.txt":      gcpGoatSSHConfig(tc.address),
				"shared/files/.ssh/keys/justin.pem": justin,
				"shared/files/.ssh/keys/alice.pem":  alice,
				"shared/scripts/deploy_node.sh":     "#!/bin/sh\nnpm ci\n",
			})
			assertNoSecretLines(t, raw, justin)
			assertNoSecretLines(t, raw, alice)
			if g.Node(key) == nil {
				t.Fatalf("justin.pem not found by the scan")
			}
			p := findRouteFrom(t, g, transform.AllUsersID, route)
			if got := p != nil; got != tc.want {
				t.Fatalf("route found = %v, want %v\nout of the key: %s", got, tc.want, describeEdges(g, key))
			}
			if !tc.want {
				return
			}
			if len(p.Findings()) == 0 {
				t.Error("the route cites no finding")
			}
			login := g.Edges[p.Hops[2].EdgeIndex()]
			if !login.Conditional || !strings.Contains(strings.Join(login.Evidence, "\n"), "config.txt names 203.0.113.10") {
				t.Errorf("login edge %+v: want conditional, citing config.txt", login)
			}
			if g.Finding(graph.FindingID(transform.RuleObjectCredential, gcptest.DevBucket)) == nil {
				t.Error("no credential-in-object finding on the dev bucket")
			}
		})
	}
}

// TestLiveServiceAccountKeyFileInABucket: a key file left in the dev
// bucket opens its account when its key id is an enabled key the
// collection read; a file naming a deleted key opens nothing.
func TestLiveServiceAccountKeyFileInABucket(t *testing.T) {
	_, pk := genKey(t)
	keyFile := func(id string) string {
		raw, _ := json.Marshal(map[string]string{"type": "service_account", "project_id": gcptest.ProjectID, "private_key_id": id, "private_key": pk,
			"client_email": gcptest.AdminSA, "client_id": "1234567890"})
		return string(raw)
	}
	live := gcptest.LastSegmentOf(gcptest.AdminSAKey)
	for _, tc := range []struct {
		name, id string
		want     bool
	}{
		{"an enabled key of admin-service-account", live, true},
		{"one change: the key id is not one of the account's keys (deleted)", "ffffffffffffffffffffffffffffffffffffffff", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			g, raw := collectWithObjects(t, gcptest.Published, map[string]string{"backup/admin-sa.json": keyFile(tc.id)})
			assertNoSecretLines(t, raw, pk)
			cred := gcptest.DevBucket + "/objects/backup/admin-sa.json/credentials/0"
			route := []gcptest.Hop{
				{To: gcptest.DevBucket, Kind: graph.EdgeAdministers, Technique: "gcp.storage.set-iam-policy"},
				{To: cred, Kind: graph.EdgeReads, Technique: transform.TechObjectCredential},
				{To: gcptest.AdminSAID, Kind: graph.EdgeUsesIdentity, Technique: transform.TechSAKeyFile},
			}
			if got := findRouteFrom(t, g, transform.AllUsersID, route) != nil; got != tc.want {
				t.Fatalf("route found = %v, want %v\nout of the file: %s", got, tc.want, describeEdges(g, cred))
			}
			if n := g.Node(cred); n == nil || n.Props["private_key_id"] != tc.id || n.Props["client_email"] != gcptest.AdminSA {
				t.Fatalf("credential node %+v", n)
			}
		})
	}
}
