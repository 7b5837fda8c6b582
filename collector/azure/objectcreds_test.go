package azure

import (
	"context"
	"crypto/rand"
	"crypto/rsa" //nolint:gosec // a certificate thumbprint is SHA-1 by definition
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/fake"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/bloberror"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/container"
	"golang.org/x/crypto/ssh"

	"github.com/breachpath/breachpath/collector/azure/fetch"
	"github.com/breachpath/breachpath/collector/azure/fetch/fetchtest"
	"github.com/breachpath/breachpath/collector/azure/transform"
	"github.com/breachpath/breachpath/collector/credscan/credscantest"
	"github.com/breachpath/breachpath/graph"
)

const (
	azuriteAccount = fetchtest.AzuriteAccount
	azuriteKey     = fetchtest.AzuriteKey
)

// azurite is the blob service of the Azurite the test scripts start.
type azurite struct {
	base string // http://127.0.0.1:PORT/devstoreaccount1
	svc  *azblob.Client
}

func startedAzurite(t *testing.T) *azurite {
	t.Helper()
	base, svc := fetchtest.AzuriteClient(t)
	return &azurite{base: base, svc: svc}
}

// container creates a container holding blobs (name -> content) and
// removes it when the test ends.
func (a *azurite) container(t *testing.T, name string, blobs map[string]string) {
	t.Helper()
	ctx := context.Background()
	if _, err := a.svc.CreateContainer(ctx, name, nil); err != nil && !bloberror.HasCode(err, bloberror.ContainerAlreadyExists) {
		t.Fatalf("create %s: %v", name, err)
	}
	t.Cleanup(func() { _, _ = a.svc.DeleteContainer(context.Background(), name, nil) })
	for b, content := range blobs {
		if _, err := a.svc.UploadBuffer(ctx, name, b, []byte(content), nil); err != nil {
			t.Fatalf("upload %s/%s: %v", name, b, err)
		}
	}
}

// clients is the object scan's blob client for Azurite: its shared key
// (the emulator accepts bearer tokens only over TLS).
func (a *azurite) clients() fetch.NewContainerClient {
	return func(u string, _ azcore.TokenCredential) (*container.Client, error) {
		cred, err := azblob.NewSharedKeyCredential(azuriteAccount, azuriteKey)
		if err != nil {
			return nil, err
		}
		return container.NewClientWithSharedKeyCredential(u, cred, nil)
	}
}

// uniqueName is a container name of its own for each run (Azurite keeps
// containers between runs).
func uniqueName(t *testing.T, prefix string) string {
	t.Helper()
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	return prefix + "-" + hex.EncodeToString(b)
}

// collectScanned collects the tenant with the object scan on, its blobs read from Azurite.
func collectScanned(t *testing.T, ten *fetchtest.Tenant, az *azurite) (*graph.Graph, []byte) {
	t.Helper()
	snaps, sum, err := Collect(context.Background(), &fake.TokenCredential{}, CollectOptions{Fetch: fetch.Options{
		Transport: ten.Transport(), Retry: policy.RetryOptions{MaxRetries: 2, RetryDelay: time.Millisecond, MaxRetryDelay: time.Millisecond},
		ScanConfigObjects: true, NewContainerClient: az.clients(), CredentialSalt: []byte("test-salt")}})
	if err != nil {
		t.Fatal(err)
	}
	if sum.Partial() {
		t.Fatalf("partial collection: %+v", sum.Scopes)
	}
	raw, err := json.Marshal(snaps)
	if err != nil {
		t.Fatal(err)
	}
	return graph.AssembleSnapshots(snaps), raw
}

func testRSAKey(t *testing.T) (*rsa.PrivateKey, string) { return credscantest.RSAKey(t) }

func assertNoKeyMaterial(t *testing.T, raw []byte, keys ...string) {
	t.Helper()
	credscantest.AssertNoSecretLines(t, raw, keys...)
}

// goatSSHConfig is the lab's shared/files/.ssh/config.txt (attack manual
// "Security Misconfiguration"): the VM's public address with justin's key.
func goatSSHConfig(address string) string {
	return "Host " + address + "\n  HostName justin\n  Port 22\n  IdentityFile /shared/files/.ssh/keys/justin.pem\n  User justin\n\n" +
		"Host 10.25.14.6\n  HostName alice\n  Port 22\n  IdentityFile /shared/files/.ssh/keys/alice.pem\n  User alice\n"
}

// TestLiveAzureGoatSSHKeyInPublicContainerHopByHop is AzureGoat's attack
// manuals "Security Misconfiguration" then "Privilege Escalation": list the
// public dev container, read .ssh/config.txt (the VM's address and
// justin's key file) and keys/justin.pem, log in to the VM, use its
// identity to edit the runbook that runs as the Owner identity, and write
// role assignments. Collected live: the fakes for ARM and Graph, Azurite
// for the blobs. The one change of the defence manual ("Defending Storage
// Accounts") makes the dev container private; another variant's
// config.txt names other hosts only.
func TestLiveAzureGoatSSHKeyInPublicContainerHopByHop(t *testing.T) {
	az := startedAzurite(t)
	_, keyPEM := testRSAKey(t)
	_, aliceKey := testRSAKey(t)
	for _, tc := range []struct {
		name, access, address string
		want                  bool
	}{
		{"published: public dev container, config names the VM", "Container", "40.85.170.40", true},
		{"one change: the dev container is private", "None", "40.85.170.40", false},
		{"variant: config.txt names other hosts only", "Container", "34.207.133.229", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			name := uniqueName(t, "dev-appazgoat4242")
			az.container(t, name, map[string]string{
				"shared/files/.ssh/config.txt":      goatSSHConfig(tc.address),
				"shared/files/.ssh/keys/justin.pem": keyPEM,
				"shared/files/.ssh/keys/alice.pem":  aliceKey,
				"webfiles/build/index.html":         "<html>blog</html>",
			})
			ten := goatTenantFakes(t)
			acct := ten.Row("/subscriptions/" + goatSub + "/resourceGroups/azuregoat_app/providers/Microsoft.Storage/storageAccounts/appazgoat4242storage")
			acct["properties"].(map[string]any)["primaryEndpoints"] = map[string]any{"blob": az.base + "/"}
			acctID := strings.ToLower(acct["id"].(string))
			ten.Containers[acctID] = []map[string]any{{"id": acct["id"].(string) + "/blobServices/default/containers/" + name, "name": name,
				"type": "Microsoft.Storage/storageAccounts/blobServices/containers", "properties": map[string]any{"publicAccess": tc.access}}}
			g, raw := collectScanned(t, ten, az)
			assertNoKeyMaterial(t, raw, keyPEM, aliceKey)
			dev := goatSA + "/blobservices/default/containers/" + name
			key := dev + "/blobs/shared/files/.ssh/keys/justin.pem/credentials/0"
			route := []hop{
				{graph.EdgeReads, transform.TechAnonymousBlob, dev},
				{graph.EdgeReads, transform.TechBlobCredential, key},
				{graph.EdgeAdministers, transform.TechSSHKeyLogin, goatVM},
				{graph.EdgeUsesIdentity, transform.TechVMIdentity, goatVMI},
				{graph.EdgeEscalatesTo, transform.TechRunbookEdit, goatMI},
				{graph.EdgeEscalatesTo, transform.TechRoleAssignmentWrite, goatAdm}}
			if got := g.Node(transform.AnonymousID) != nil && findPath(t, g, []string{transform.AnonymousID}, goatAdm, route); got != tc.want {
				t.Fatalf("route found = %v, want %v\nmoves out of the key: %s", got, tc.want, describeMoves(g, key))
			}
			if !tc.want {
				return
			}
			var login *graph.Edge
			for i := range g.Edges {
				if e := &g.Edges[i]; e.From == key && e.To == goatVM {
					login = e
				}
			}
			// The VM's profile does not list the key (the lab installs it with
			// a custom script): the login is an inference from config.txt.
			if login == nil || !login.Conditional || !strings.Contains(strings.Join(login.Evidence, "\n"), "config.txt names 40.85.170.40") {
				t.Fatalf("login edge %+v: want conditional, citing config.txt", login)
			}
			n := g.Node(key)
			if n == nil || n.Props["ssh_fingerprint"] == nil || n.Props["credential_kind"] != "private-key" {
				t.Fatalf("key node %+v", n)
			}
			if g.Finding(graph.FindingID(transform.RuleBlobCredential, dev)) == nil {
				t.Error("no credential-in-blob finding on the container")
			}
			// alice's key is found but names no VM of the estate.
			alice := dev + "/blobs/shared/files/.ssh/keys/alice.pem/credentials/0"
			if g.Node(alice) == nil || describeMoves(g, alice) != "" {
				t.Errorf("alice's key: node %v, moves %q", g.Node(alice) != nil, describeMoves(g, alice))
			}
		})
	}
}

// TestLiveAzureSSHKeyMatchesAVMsAdminKeyByFingerprint: when the VM's
// profile lists the key's public half, the login is not conditional, and
// no configuration file is needed.
func TestLiveAzureSSHKeyMatchesAVMsAdminKeyByFingerprint(t *testing.T) {
	az := startedAzurite(t)
	k, keyPEM := testRSAKey(t)
	pub := sshAuthorizedKey(t, &k.PublicKey)
	name := uniqueName(t, "ops-ssh")
	az.container(t, name, map[string]string{"id_rsa": keyPEM})
	ten := goatTenantFakes(t)
	acct := ten.Row("/subscriptions/" + goatSub + "/resourceGroups/azuregoat_app/providers/Microsoft.Storage/storageAccounts/appazgoat4242storage")
	acct["properties"].(map[string]any)["primaryEndpoints"] = map[string]any{"blob": az.base + "/"}
	acctID := strings.ToLower(acct["id"].(string))
	ten.Containers[acctID] = []map[string]any{{"id": acct["id"].(string) + "/blobServices/default/containers/" + name, "name": name,
		"type": "Microsoft.Storage/storageAccounts/blobServices/containers", "properties": map[string]any{"publicAccess": "None"}}}
	vm := ten.Row("/subscriptions/" + goatSub + "/resourceGroups/azuregoat_app/providers/Microsoft.Compute/virtualMachines/developerVM4242")
	lc := vm["properties"].(map[string]any)["osProfile"].(map[string]any)["linuxConfiguration"].(map[string]any)
	lc["ssh"] = map[string]any{"publicKeys": []any{map[string]any{"path": "/home/azureuser/.ssh/authorized_keys", "keyData": pub}}}
	g, raw := collectScanned(t, ten, az)
	assertNoKeyMaterial(t, raw, keyPEM)
	key := goatSA + "/blobservices/default/containers/" + name + "/blobs/id_rsa/credentials/0"
	found := false
	for i := range g.Edges {
		if e := &g.Edges[i]; e.From == key && e.To == goatVM && e.Technique == transform.TechSSHKeyLogin {
			found = true
			if e.Conditional {
				t.Errorf("a fingerprint match is conditional: %+v", e)
			}
		}
	}
	if !found {
		t.Fatalf("no login from the key: %s", describeMoves(g, key))
	}
}

// describeMoves lists the move edges out of a node, for failure messages.
func describeMoves(g *graph.Graph, from string) string {
	var out []string
	for _, e := range g.Edges {
		if e.From == from && e.Kind.IsMove() {
			out = append(out, string(e.Kind)+" "+e.Technique+" -> "+e.To)
		}
	}
	return strings.Join(out, "; ")
}

// BadZure StorageCertificateTheft (docs/attack-paths/storage-certificate-theft.md):
// a user holds Storage Blob Data Reader on a storage account whose private
// container cert-container-<path> holds <app>-private-key.key and
// <app>-certificate.pem; the certificate is registered on the application
// (azuread_application_certificate), whose service principal holds Global
// Administrator.
const (
	bzSub       = "b4d2c0de-0000-4000-8000-000000000001"
	bzStorage   = "/subscriptions/" + bzSub + "/resourceGroups/rg-badzure/providers/Microsoft.Storage/storageAccounts/stbadzurecerts"
	bzCertApp   = "e0000000-0000-4000-8000-0000000000c1"
	bzCertSPOID = "c0000000-0000-4000-8000-0000000000c1"
	bzThief     = "a0000000-0000-4000-8000-0000000000c1"
)

// addStorageCertificateTheft adds the attack path to the lab: the user,
// the application with its certificate credential (thumbprint, as Graph
// returns customKeyIdentifier), its service principal holding Global
// Administrator, the account, its container and the Blob Data Reader grant.
func addStorageCertificateTheft(l *lab, container string, thumb []byte, endpoint string) {
	l.Data = append(l.Data,
		map[string]any{"kind": "AZUser", "data": map[string]any{"id": bzThief, "displayName": "sam.storagereader", "userPrincipalName": "sam.storagereader@badzure.example",
			"userType": "Member", "accountEnabled": true}},
		map[string]any{"kind": "AZApp", "data": map[string]any{"id": "d0000000-0000-4000-8000-0000000000c1", "appId": bzCertApp, "displayName": "app-storage-target",
			"keyCredentials": []any{map[string]any{"keyId": "f0000000-0000-4000-8000-0000000000c1", "type": "AsymmetricX509Cert", "usage": "Verify",
				"customKeyIdentifier": base64.StdEncoding.EncodeToString(thumb), "endDateTime": time.Now().AddDate(1, 0, 0).UTC().Format(time.RFC3339)}}}},
		map[string]any{"kind": "AZServicePrincipal", "data": map[string]any{"id": bzCertSPOID, "appId": bzCertApp, "displayName": "app-storage-target",
			"servicePrincipalType": "Application", "appOwnerOrganizationId": bzTenant}},
		map[string]any{"kind": "AZRoleAssignment", "data": map[string]any{"roleDefinitionId": "62e90394-69f5-4237-9190-012177145e10", "tenantId": bzTenant,
			"roleAssignments": []any{map[string]any{"id": "ra-cert-001", "principalId": bzCertSPOID, "roleDefinitionId": "62e90394-69f5-4237-9190-012177145e10", "directoryScopeId": "/"}}}})
	l.rows = append(l.rows,
		map[string]any{"id": bzStorage, "name": "stbadzurecerts", "type": "Microsoft.Storage/storageAccounts", "location": "eastus", "resourceGroup": "rg-badzure",
			"subscriptionId": bzSub, "tenantId": bzTenant, "kind": "StorageV2", "sku": map[string]any{"name": "Standard_LRS", "tier": "Standard"},
			"properties": map[string]any{"allowBlobPublicAccess": false, "allowSharedKeyAccess": true, "supportsHttpsTrafficOnly": true, "minimumTlsVersion": "TLS1_2",
				"primaryEndpoints": map[string]any{"blob": endpoint + "/"}, "networkAcls": map[string]any{"defaultAction": "Allow"}}},
		map[string]any{"id": bzStorage + "/blobServices/default/containers/" + container, "name": container, "type": "Microsoft.Storage/storageAccounts/blobServices/containers",
			"location": "eastus", "resourceGroup": "rg-badzure", "subscriptionId": bzSub, "tenantId": bzTenant, "properties": map[string]any{"publicAccess": "None"}})
	l.ras = append(l.ras, map[string]any{"id": bzStorage + "/providers/Microsoft.Authorization/roleAssignments/9b000000-0000-4000-8000-0000000000c1",
		"name": "9b000000-0000-4000-8000-0000000000c1", "principalId": bzThief, "principalType": "User",
		"roleDefinitionId":   "/subscriptions/" + bzSub + "/providers/Microsoft.Authorization/roleDefinitions/2a2b9908-6ea1-4ae2-8e65-a410df84e7d1",
		"roleDefinitionName": "Storage Blob Data Reader", "scope": bzStorage, "type": "Microsoft.Authorization/roleAssignments"})
}

func TestLiveBadZureStorageCertificateTheftHopByHop(t *testing.T) {
	az := startedAzurite(t)
	k, keyPEM := testRSAKey(t)
	certPEM, thumb := credscantest.SelfSignedCert(t, k, "app-storage-target")
	other, _ := testRSAKey(t)
	_, otherThumb := credscantest.SelfSignedCert(t, other, "app-storage-target")
	for _, tc := range []struct {
		name       string
		registered []byte // the thumbprint the application holds
		reader     bool
		want       bool
	}{
		{"published: the stored certificate is the application's", thumb, true, true},
		{"one change: the application's certificate is another one (rotated)", otherThumb, true, false},
		{"one change: the user holds no Blob Data Reader", thumb, false, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			name := uniqueName(t, "cert-container-storage-theft")
			az.container(t, name, map[string]string{"app-storage-target-private-key.key": keyPEM, "app-storage-target-certificate.pem": certPEM})
			l := loadBadZure(t)
			addStorageCertificateTheft(l, name, tc.registered, az.base)
			if !tc.reader {
				l.dropAssignment(t, bzThief)
			}
			resources, assignments, _ := l.write(t)
			ten, err := fetchtest.FromExport(l.tenant, resources, assignments)
			if err != nil {
				t.Fatal(err)
			}
			if err := ten.AddAzureHound(l.entraBytes(t)); err != nil {
				t.Fatal(err)
			}
			acctID := strings.ToLower(bzStorage)
			ten.Containers[acctID] = []map[string]any{{"id": bzStorage + "/blobServices/default/containers/" + name, "name": name,
				"type": "Microsoft.Storage/storageAccounts/blobServices/containers", "properties": map[string]any{"publicAccess": "None"}}}
			g, raw := collectScanned(t, ten, az)
			assertNoKeyMaterial(t, raw, keyPEM)
			cont := strings.ToLower(bzStorage) + "/blobservices/default/containers/" + name
			key := cont + "/blobs/app-storage-target-private-key.key/credentials/0"
			route := []hop{
				{graph.EdgeReads, transform.TechBlobRead, cont},
				{graph.EdgeReads, transform.TechBlobCredential, key},
				{graph.EdgeUsesIdentity, transform.TechCertificateCredential, bzT + "/serviceprincipals/" + bzCertSPOID},
				{graph.EdgeEscalatesTo, transform.TechRoleManagement, bzAdmin}}
			if got := findPath(t, g, []string{bzT + "/users/" + bzThief}, bzAdmin, route); got != tc.want {
				t.Fatalf("route found = %v, want %v\nmoves out of the key: %s", got, tc.want, describeMoves(g, key))
			}
			if tc.want {
				n := g.Node(key)
				if n == nil || !strings.Contains(strings.Join(asStrings(n.Props["certificate_thumbprints"]), ","), strings.ToUpper(hexOf(thumb))) {
					t.Fatalf("key node %+v does not name the certificate's thumbprint", n)
				}
			}
		})
	}
}

func asStrings(v any) []string {
	switch s := v.(type) {
	case []string:
		return s
	case []any:
		var out []string
		for _, x := range s {
			if str, ok := x.(string); ok {
				out = append(out, str)
			}
		}
		return out
	}
	return nil
}

func hexOf(b []byte) string { return strings.ToUpper(hex.EncodeToString(b)) }

func sshAuthorizedKey(t *testing.T, pub any) string {
	t.Helper()
	p, err := ssh.NewPublicKey(pub)
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(string(ssh.MarshalAuthorizedKey(p))) + " azureuser@ops"
}
