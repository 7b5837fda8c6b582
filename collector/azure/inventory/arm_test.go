package inventory

import "testing"

func TestStorageAccountOfConnectionStringNamesOnlyKeyedAccounts(t *testing.T) {
	cases := []struct{ name, value, want string }{
		{"account key", "DefaultEndpointsProtocol=https;AccountName=AppStore;AccountKey=abc==;EndpointSuffix=core.windows.net", "appstore"},
		{"shared access signature", "BlobEndpoint=https://appstore.blob.core.windows.net/;AccountName=appstore;SharedAccessSignature=sv=2022&sig=x", "appstore"},
		{"no credential", "DefaultEndpointsProtocol=https;AccountName=appstore;EndpointSuffix=core.windows.net", ""},
		{"empty key", "AccountName=appstore;AccountKey=", ""},
		{"not a connection string", "https://example.com/?a=b", ""},
		{"identity-based (AzureWebJobsStorage__accountName style value)", "appstore", ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := StorageAccountOfConnectionString(c.value); got != c.want {
				t.Fatalf("got %q, want %q", got, c.want)
			}
		})
	}
}
