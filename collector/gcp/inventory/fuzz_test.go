package inventory

import "testing"

// FuzzParseAsset: Cloud Asset Inventory lines are untrusted input; any
// bytes give an asset or an error, never a panic.
func FuzzParseAsset(f *testing.F) {
	f.Add([]byte(`{"name":"//storage.googleapis.com/b","assetType":"storage.googleapis.com/Bucket","resource":{"data":{"name":"b"}}}`))
	f.Add([]byte(`{"name":1}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		_, _ = ParseAsset(b)
	})
}
