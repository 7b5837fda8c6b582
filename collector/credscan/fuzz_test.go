package credscan

import (
	"encoding/json"
	"testing"
)

// FuzzInspect: object contents are attacker-controlled; Inspect must never
// panic on them (that it keeps no value is checked on real keys in
// inspect_test.go).
func FuzzInspect(f *testing.F) {
	for _, s := range []string{
		"-----BEGIN RSA PRIVATE KEY-----\nMIIBOgIBAAJBAKj34GkxFhD90vcNLYLInFEX6Ppy1tPf9Cnzj4p4WGeKLs1Pt8Qu\n-----END RSA PRIVATE KEY-----\n",
		"-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW\n-----END OPENSSH PRIVATE KEY-----\n",
		"-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n-----BEGIN ",
		`{"type": "service_account", "client_email": "a@b.iam.gserviceaccount.com", "private_key_id": "1", "private_key": "x"}`,
		"Host 1.2.3.4\n  IdentityFile = ~/.ssh/id_rsa\n  User root\nHost\n",
		"AZURE_CLIENT_ID=00000000-0000-0000-0000-000000000000\nAZURE_CLIENT_SECRET=abc~defghijklmnopqrstuvwxyz0123456789\n",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, text string) {
		r := Inspect(text, []byte("salt"))
		if _, err := json.Marshal(r); err != nil {
			t.Fatal(err)
		}
		for _, h := range r.SSHHosts {
			_ = h.Addresses()
		}
	})
}
