package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The secret values below are built at run time so that the repository
// holds nothing a secret scanner would flag.
func TestSecretValuesNeverReachTheStoreOrTheExport(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "s.db")
	pass := "hunter2" + "hunter2"
	awsSecret := "wJalrXUtnFEMI/K7MDENG/bPxRfiCY" + "EXAMPLEKEY"
	dsnPass := "Sup3r" + "S3cret!"
	sig := "Zk9wR2xhcnQ0UmVhbGx5U2VjcmV0U2lnbmF0dXJlMDE"
	snap := `{"scope":{"cloud":"aws","id":"333333333333"},"nodes":[
	  {"id":"arn:aws:lambda:us-east-1:333333333333:function:f","kind":"Function","cloud":"aws","name":"f","sensitivity":"none",
	   "tags":{"DB_PASS":"` + pass + `","owner":"team-a","conn":"postgres://app:` + dsnPass + `@db.internal.example/prod"},
	   "props":{"user_data":"export AWS_SECRET_ACCESS_KEY=` + awsSecret + `\n","sas_sig":"abc","links":["https://a.blob.core.windows.net/c?sv=2022-11-02&sig=` + sig + `"]}}],
	  "edges":[],"findings":[],"coverage":{}}`
	if err := os.WriteFile(filepath.Join(dir, "a.json"), []byte(snap), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, _, err := runRoot(t, "--db", db, "collect", "file", dir); err != nil {
		t.Fatal(err)
	}
	out, _, err := runRoot(t, "--db", db, "graph", "export")
	if err != nil {
		t.Fatal(err)
	}
	for _, secret := range []string{pass, awsSecret, dsnPass, sig, `"abc"`} {
		if strings.Contains(out, secret) {
			t.Errorf("graph export holds the secret %q:\n%s", secret, out)
		}
	}
	for _, kept := range []string{"team-a", "db.internal.example", "[redacted:password]", "[redacted:sas-signature]"} {
		if !strings.Contains(out, kept) {
			t.Errorf("graph export lost %q:\n%s", kept, out)
		}
	}
	raw, err := os.ReadFile(db)
	if err != nil {
		t.Fatal(err)
	}
	for _, secret := range []string{pass, awsSecret, dsnPass, sig} {
		if strings.Contains(string(raw), secret) {
			t.Errorf("the store file holds the secret %q", secret)
		}
	}
}
