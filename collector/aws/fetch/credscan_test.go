package fetch

import (
	"encoding/json"
	"strings"
	"testing"
)

const (
	testKeyID  = "AKIAQ2EXAMPL3KEYID7Z"
	testSecret = "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"
	// testKeyBody is a made-up key body as long as a real one's first line
	// (the detector, gitleaks' private-key rule, wants 64 characters or more).
	testKeyBody = "b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW"
)

func TestCredentialScanFindsCredentialsWithoutKeepingValues(t *testing.T) {
	type kv struct{ loc, key, value string }
	tests := []struct {
		name  string
		in    []kv
		kinds []string // kinds found, in order
		keyID string   // key id of the first credential
		host  string   // endpoint of the first credential
	}{
		{"access key pair split over two variables", []kv{{"environment:AWS_ACCESS_KEY_ID", "AWS_ACCESS_KEY_ID", testKeyID}, {"environment:AWS_SECRET_ACCESS_KEY", "AWS_SECRET_ACCESS_KEY", testSecret}},
			[]string{kindSecretAccessKey}, testKeyID, ""},
		{"access key pair in a credentials file", []kv{{"value", "creds", "[default]\naws_access_key_id=" + testKeyID + "\naws_secret_access_key=" + testSecret}},
			[]string{kindSecretAccessKey}, testKeyID, ""},
		{"password under a password-like name", []kv{{"environment:DB_PASSWORD", "DB_PASSWORD", "hunter2-is-long"}}, []string{kindPassword}, "", ""},
		{"database URL with credentials names its host", []kv{{"user-data", "", "#!/bin/sh\nexport DATABASE_URL=postgresql://app:S3cr3t-pw@orders.abc.us-east-1.rds.amazonaws.com:5432/orders\n"}},
			[]string{kindURLCredentials}, "", "orders.abc.us-east-1.rds.amazonaws.com:5432"},
		{"private key", []kv{{"value", "ssh", "-----BEGIN OPENSSH PRIVATE KEY-----\n" + testKeyBody + "\n-----END OPENSSH PRIVATE KEY-----"}}, []string{kindPrivateKey}, "", ""},
		{"a lone access key id is reported without a secret", []kv{{"environment:KEY", "KEY", testKeyID}}, []string{kindAccessKeyID}, testKeyID, ""},
		{"names that describe a secret are not secrets", []kv{{"environment:SECRET_ARN", "SECRET_ARN", "arn:aws:secretsmanager:us-east-1:1:secret:x"}, {"environment:PASSWORD_LENGTH", "PASSWORD_LENGTH", "16"}}, nil, "", ""},
		{"placeholders are not secrets", []kv{{"environment:DB_PASSWORD", "DB_PASSWORD", "${DB_PASSWORD}"}, {"environment:API_TOKEN", "API_TOKEN", "changeme"}}, nil, "", ""},
		{"ordinary settings are not secrets", []kv{{"environment:LOG_LEVEL", "LOG_LEVEL", "debug"}, {"environment:BUCKET", "BUCKET", "my-bucket"}}, nil, "", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cs := credentialScan{salt: []byte("salt")}
			for _, in := range tc.in {
				cs.add(in.loc, in.key, in.value)
			}
			got := cs.result()
			var kinds []string
			for _, c := range got {
				kinds = append(kinds, c.Kind)
			}
			if strings.Join(kinds, ",") != strings.Join(tc.kinds, ",") {
				t.Fatalf("kinds = %v, want %v (%+v)", kinds, tc.kinds, got)
			}
			if len(got) > 0 && (got[0].KeyID != tc.keyID || got[0].Endpoint != tc.host) {
				t.Errorf("first = %+v, want key id %q endpoint %q", got[0], tc.keyID, tc.host)
			}
			b, _ := json.Marshal(got)
			for _, in := range tc.in {
				for _, secret := range []string{testSecret, "hunter2-is-long", "S3cr3t-pw", testKeyBody} {
					if strings.Contains(in.value, secret) && strings.Contains(string(b), secret) {
						t.Errorf("scan result holds the value %q: %s", secret, b)
					}
				}
			}
		})
	}
}

func TestCredentialFingerprintsAreSaltedAndStable(t *testing.T) {
	scan := func(salt string) string {
		cs := credentialScan{salt: []byte(salt)}
		cs.add("environment:DB_PASSWORD", "DB_PASSWORD", "hunter2-is-long")
		return cs.result()[0].Fingerprint
	}
	if scan("a") != scan("a") {
		t.Error("same value and salt give different fingerprints")
	}
	if scan("a") == scan("b") {
		t.Error("the salt does not change the fingerprint")
	}
}
