package fetchtest

import (
	"os"
	"strings"
	"testing"

	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob"
)

// Azurite's well-known development account (documented by Microsoft; not a secret).
const (
	AzuriteAccount = "devstoreaccount1"
	AzuriteKey     = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="
)

// AzuriteEndpoint returns the development account's blob endpoint
// (http://127.0.0.1:PORT/devstoreaccount1) of the Azurite that
// scripts/azurite.sh started (BREACHPATH_AZURITE_ENDPOINT). Without it the
// test is skipped, or fails under BREACHPATH_REQUIRE_AZURITE.
func AzuriteEndpoint(t testing.TB) string {
	t.Helper()
	ep := os.Getenv("BREACHPATH_AZURITE_ENDPOINT")
	if ep == "" {
		if os.Getenv("BREACHPATH_REQUIRE_AZURITE") != "" {
			t.Fatal("BREACHPATH_REQUIRE_AZURITE is set but BREACHPATH_AZURITE_ENDPOINT is not (scripts/azurite.sh up)")
		}
		t.Skip("no Azurite: run scripts/azurite.sh up and export BREACHPATH_AZURITE_ENDPOINT")
	}
	return strings.TrimRight(ep, "/") + "/" + AzuriteAccount
}

// AzuriteClient returns the development account's blob endpoint and a
// client of it signed with the account's shared key.
func AzuriteClient(t testing.TB) (string, *azblob.Client) {
	t.Helper()
	base := AzuriteEndpoint(t)
	cred, err := azblob.NewSharedKeyCredential(AzuriteAccount, AzuriteKey)
	if err != nil {
		t.Fatal(err)
	}
	svc, err := azblob.NewClientWithSharedKeyCredential(base+"/", cred, nil)
	if err != nil {
		t.Fatal(err)
	}
	return base, svc
}
