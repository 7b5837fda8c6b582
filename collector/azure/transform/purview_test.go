package transform

import "testing"

// TestPurviewQualifiedNamesFindTheirResources: each Data Map qualified
// name form lands on the resource it lies in, in every cloud's DNS suffix.
func TestPurviewQualifiedNamesFindTheirResources(t *testing.T) {
	cases := map[string]string{
		"https://acct.core.windows.net":                              "account:acct",
		"https://acct.blob.core.windows.net/":                        "account:acct",
		"https://acct.blob.core.windows.net/Box/a/b.csv":             "container:acct/box",
		"https://acct.dfs.core.windows.net/fs/dir/{N}.parquet":       "container:acct/fs",
		"mssql://srv.database.windows.net/sales/dbo/cards/pan":       "db:srv/sales",
		"mssql://srv.database.windows.net":                           "server:srv",
		"https://acct.queue.core.windows.net/q":                      "",
		"not a url %%":                                               "",
		"https://acct.blob.core.chinacloudapi.cn/box":                "container:acct/box",
		"mssql://srv.database.usgovcloudapi.net/db/dbo/t":            "db:srv/db",
		"https://contoso.purview.azure.com/datamap/api/search/query": "",
	}
	for qn, want := range cases {
		if got := purviewKey(qn); got != want {
			t.Errorf("%q -> %q, want %q", qn, got, want)
		}
	}
}
