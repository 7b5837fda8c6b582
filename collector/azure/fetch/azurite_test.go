package fetch_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/bloberror"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/container"

	"github.com/breachpath/breachpath/collector/azure/fetch"
	"github.com/breachpath/breachpath/collector/azure/fetch/fetchtest"
	"github.com/breachpath/breachpath/collector/azure/inventory"
)

const (
	azuriteAccount = fetchtest.AzuriteAccount
	azuriteKey     = fetchtest.AzuriteKey
)

// TestVerifyPublicBlobsAgainstAzurite creates containers in Azurite with
// the real blob client (shared key), one with public access level
// Container and one private, and lets the collector's anonymous probe tell
// them apart although the management plane reports both as Container.
func TestVerifyPublicBlobsAgainstAzurite(t *testing.T) {
	ctx := context.Background()
	base, svc := fetchtest.AzuriteClient(t)
	suffix := strings.ToLower(strings.ReplaceAll(t.Name(), "_", ""))[:12]
	public, private := "dev-"+suffix, "vm-"+suffix
	for name, access := range map[string]*container.PublicAccessType{public: ptr(container.PublicAccessTypeContainer), private: nil} {
		_, err := svc.CreateContainer(ctx, name, &azblob.CreateContainerOptions{Access: access})
		if err != nil && !bloberror.HasCode(err, bloberror.ContainerAlreadyExists) {
			t.Fatalf("create %s: %v", name, err)
		}
		t.Cleanup(func() { _, _ = svc.DeleteContainer(context.Background(), name, nil) })
		if _, err := svc.UploadBuffer(ctx, name, "config.txt", []byte("not read by the collector"), nil); err != nil {
			t.Fatal(err)
		}
	}
	// The shared key really is what Azurite checks: a wrong key is refused.
	bad, _ := azblob.NewSharedKeyCredential(azuriteAccount, strings.Repeat("A", 86)+"==")
	badSvc, _ := azblob.NewClientWithSharedKeyCredential(base+"/", bad, nil)
	if _, err := badSvc.CreateContainer(ctx, "never-"+suffix, nil); err == nil || errors.Is(err, context.Canceled) {
		t.Fatalf("Azurite accepted a wrong shared key: %v", err)
	}

	ten := tenant(t)
	acct := ten.Row("/subscriptions/" + sub + "/resourceGroups/azuregoat_app/providers/Microsoft.Storage/storageAccounts/appazgoat4242storage")
	acct["properties"].(map[string]any)["primaryEndpoints"] = map[string]any{"blob": base + "/"}
	acctID := strings.ToLower(acct["id"].(string))
	ten.Containers[acctID] = nil
	for _, name := range []string{public, private} {
		ten.Containers[acctID] = append(ten.Containers[acctID], map[string]any{
			"id": acct["id"].(string) + "/blobServices/default/containers/" + name, "name": name,
			"type": "Microsoft.Storage/storageAccounts/blobServices/containers", "properties": map[string]any{"publicAccess": "Container"}})
	}
	inv := collect(t, ten, fetch.Options{VerifyPublicBlobs: true})
	got := map[string]*bool{}
	for _, r := range inv.OfType(inventory.TypeBlobContainer) {
		got[r.Name] = r.AnonymousListVerified
	}
	if v := got[public]; v == nil || !*v {
		t.Errorf("public container %s: verified = %v, want true", public, v)
	}
	if v := got[private]; v == nil || *v {
		t.Errorf("private container %s: verified = %v, want false (Azurite refuses anonymous listing)", private, v)
	}
}

func ptr[T any](v T) *T { return &v }
