package secrets

import (
	"strings"
	"testing"
)

// Test values are assembled at run time so the repository itself holds no
// string a secret scanner would flag.
var (
	awsKeyID     = "AKIA" + "IOSFODNN7" + "REALKEY"[:7]
	awsSecret    = "wJalrXUtnFEMI/K7MDENG/bPxRfiCY" + "EXAMPLEKEY"
	jwtValue     = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9" + "." + "eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIn0" + "." + "SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c"
	privateKey   = "-----BEGIN RSA " + "PRIVATE KEY-----\nMIIEowIBAAKCAQEA1c7+9z5Pad7OejecsQ0bu3aozN3tihPmljnnudb9G3HECdnHjWH4\nk2dp2pHVu3G7CgUnFTwfGjxlVeT7gphvNeBgZY+pnMRVH9n0Qm5ePu1mV9Ebn3qZ\n-----END RSA " + "PRIVATE KEY-----"
	githubPAT    = "ghp_" + "aB3dE5fG7hJ9kL1mN3pQ5rS7tU9vW1xY3z5A"
	sasURL       = "https://acct1.blob.core.windows.net/c?sv=2022-11-02&ss=b&srt=o&sp=r&se=2030-01-01&sig=" + "Zk9wR2xhcnQ0UmVhbGx5U2VjcmV0U2lnbmF0dXJlMDE%3D"
	postgresDSN  = "postgres://app:" + "Sup3rS3cret!" + "@db.internal.example:5432/prod"
	azureConnStr = "DefaultEndpointsProtocol=https;AccountName=acct1;AccountKey=" + "bXlBY2NvdW50S2V5SXNWZXJ5U2VjcmV0QW5kTG9uZw==" + ";EndpointSuffix=core.windows.net"
)

func TestKeyKindNamesSecretsAndLeavesDescriptions(t *testing.T) {
	cases := []struct {
		key    string
		secret bool
	}{
		// the names the security probe found missed
		{"db_pass", true}, {"passphrase", true}, {"ssh_key", true}, {"master_key", true},
		{"conn_str", true}, {"jwt", true}, {"sas_sig", true}, {"pin", true}, {"DB_PASS", true},
		{"DB_PASSWORD", true}, {"dbPassword", true}, {"DBPassword", true}, {"dbpassword", true},
		{"clientSecret", true}, {"client_secret", true}, {"AWS_SECRET_ACCESS_KEY", true},
		{"private-key", true}, {"api_key", true}, {"ApiKey", true}, {"auth_token", true},
		{"ConnectionString", true}, {"connection_string", true}, {"AccountKey", true},
		{"Password", true}, {"pwd", true}, {"dbpass", true}, {"sim_pin", true}, {"secret", true},
		{"github_token", true}, {"credentials", true}, {"session_token", true}, {"dsn", true},
		// descriptions of secrets, settings and plain data
		{"password_last_used", false}, {"password_enabled", false}, {"secret_arn", false},
		{"access_key_id", true}, {"AccessKeyId", true}, {"AWS_ACCESS_KEY_ID", true}, {"accesskeyid", true}, {"token_expiry", false},
		{"key_rotation_enabled", false}, {"has_password", false}, {"metadata_http_tokens", false},
		{"access_keys", false}, {"active_access_keys", false}, {"kms_key_id", false},
		{"key_state", false}, {"key_manager", false}, {"owner", false}, {"name", false},
		{"bypass", false}, {"shipping", false}, {"pin_version", false}, {"pass_role", false},
		{"max_session", false}, {"public_key", false}, {"compass", false}, {"keyword", false},
		{"mapping", false}, {"classification", false}, {"", false}, {"sse_key_type", false},
	}
	for _, c := range cases {
		_, got := KeyKind(c.key)
		if got != c.secret {
			t.Errorf("KeyKind(%q) = %v, want %v", c.key, got, c.secret)
		}
	}
}

func TestFindRecognisesValueShapes(t *testing.T) {
	cases := []struct {
		name, text string
		kind       Kind
		key, keyID string
		identifier bool
	}{
		{"aws access key id is an identifier", "id " + awsKeyID + " here", KindAWSAccessKeyID, "", awsKeyID, true},
		{"aws secret next to its id", "aws_access_key_id=" + awsKeyID + "\naws_secret_access_key=" + awsSecret, KindAWSSecretAccessKey, "aws_secret_access_key", awsKeyID, false},
		{"jwt", "Authorization header " + jwtValue, "jwt", "", "", false},
		{"private key", "key:\n" + privateKey, "private-key", "", "", false},
		{"github pat", "clone with " + githubPAT, "github-pat", "", "", false},
		{"sas signature", "url " + sasURL, KindSASSignature, "", "acct1.blob.core.windows.net", false},
		{"password in a DSN", "DATABASE_URL=" + postgresDSN, KindURLCredentials, "DATABASE_URL", "db.internal.example", false},
		{"account key in a connection string", azureConnStr, KindSecretKey, "AccountKey", "acct1", false},
		{"env assignment", "export DB_PASS='hunter2hunter2'", KindPassword, "DB_PASS", "", false},
		{"json assignment", `{"user":"app","password":"correct horse"}`, KindPassword, "password", "", false},
		{"ado.net password", "Server=sql1.example;Database=x;User Id=sa;Password=Pa55word!", KindPassword, "Password", "sql1.example", false},
		{"account password set by chpasswd", "#!/bin/bash\necho \"ec2-user:CloudGoatInstancePassword!\" | chpasswd\n", KindLoginPassword, "ec2-user", "", false},
		{"chpasswd under sudo, unquoted", "echo -e deploy:S3cr3t-Pass | sudo chpasswd", KindLoginPassword, "deploy", "", false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			fs := Find(c.text, nil)
			var hit *Finding
			for i := range fs {
				if fs[i].Kind == c.kind {
					hit = &fs[i]
				}
			}
			if hit == nil {
				t.Fatalf("Find(%q) = %+v, want a %s finding", c.text, fs, c.kind)
			}
			if hit.Key != c.key || hit.KeyID != c.keyID || hit.Identifier != c.identifier {
				t.Errorf("finding = %+v, want key %q key id %q identifier %v", *hit, c.key, c.keyID, c.identifier)
			}
		})
	}
}

func TestFindLeavesOrdinaryConfigurationAlone(t *testing.T) {
	for _, text := range []string{
		"arn:aws:iam::123456789012:role/app-role",
		"arn:aws:secretsmanager:us-east-1:123456789012:secret:prod/db-AbCdEf",
		"arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab",
		"/subscriptions/0000/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/acct1",
		"AKIA key 1 active age=30d last_used=2026-01-01",
		"https://example.com/path?x=1",
		"postgres://db.internal.example:5432/prod",
		"password=${DB_PASSWORD}",
		"team-payments@example.com",
		"9b74c9897bac770ffc029102a200c5de3f1a2b3c", // a git commit id
		"DB_PASSWORD_SECRET_ARN=arn:aws:secretsmanager:eu-west-1:1:secret:x",
	} {
		for _, f := range Find(text, nil) {
			if !f.Identifier {
				t.Errorf("Find(%q) found %+v, want nothing secret", text, f)
			}
		}
	}
}

func TestRedactRemovesEverySecretAndKeepsTheRest(t *testing.T) {
	text := "#!/bin/bash\nexport DB_PASS=hunter2hunter2\naws configure set aws_access_key_id " + awsKeyID +
		"\naws configure set aws_secret_access_key " + awsSecret + "\ncurl -H 'x: " + jwtValue + "' " + sasURL + "\n" + postgresDSN + "\n"
	red, fs := Redact(text)
	for _, secret := range []string{"hunter2hunter2", awsSecret, jwtValue, "Sup3rS3cret!", "Zk9wR2xhcnQ0UmVhbGx5U2VjcmV0U2lnbmF0dXJlMDE"} {
		if strings.Contains(red, secret) {
			t.Errorf("redacted text still holds %q:\n%s", secret, red)
		}
	}
	for _, kept := range []string{"#!/bin/bash", "export DB_PASS=", awsKeyID, "db.internal.example", "acct1.blob.core.windows.net"} {
		if !strings.Contains(red, kept) {
			t.Errorf("redacted text lost %q:\n%s", kept, red)
		}
	}
	if len(fs) < 5 {
		t.Errorf("findings = %+v, want at least 5", fs)
	}
	again, _ := Redact(red)
	if again != red {
		t.Errorf("redacting twice changed the text:\n%s\n%s", red, again)
	}
}

func TestFindReportsLinesAndNeverTheValue(t *testing.T) {
	text := "line one\nline two\nTOKEN=" + githubPAT + "\n"
	fs := Find(text, []byte("salt"))
	if len(fs) == 0 {
		t.Fatal("no finding")
	}
	f := fs[0]
	if f.Line != 3 || f.Key != "TOKEN" {
		t.Errorf("finding = %+v, want line 3 key TOKEN", f)
	}
	if f.Fingerprint != Fingerprint([]byte("salt"), githubPAT) {
		t.Errorf("fingerprint = %q, want the salted fingerprint of the value", f.Fingerprint)
	}
	if Fingerprint([]byte("other"), githubPAT) == f.Fingerprint {
		t.Error("fingerprint does not depend on the salt")
	}
	if strings.Contains(strings.Join([]string{string(f.Kind), f.Source, f.Key, f.KeyID, f.Fingerprint}, " "), githubPAT) {
		t.Errorf("finding carries the secret: %+v", f)
	}
}

func TestClassifyAndRedactValue(t *testing.T) {
	cases := []struct {
		key, value string
		secret     bool
		out        string
	}{
		{"DB_PASS", "hunter2", true, Redacted(KindPassword)},
		{"owner", "team-a", false, "team-a"},
		{"db_password", "${ssm:/prod/db}", false, "${ssm:/prod/db}"},
		{"password_last_used", "2026-01-01", false, "2026-01-01"},
		{"notes", "login with " + postgresDSN, true, "login with postgres://app:" + Redacted(KindURLCredentials) + "@db.internal.example:5432/prod"},
		{"DB_PASS", Redacted(KindPassword), false, Redacted(KindPassword)},
	}
	for _, c := range cases {
		_, got := Classify(c.key, c.value)
		if got != c.secret && !IsRedacted(c.value) {
			t.Errorf("Classify(%q, %q) = %v, want %v", c.key, c.value, got, c.secret)
		}
		out, _, changed := RedactValue(c.key, c.value)
		if out != c.out || changed != (c.out != c.value) {
			t.Errorf("RedactValue(%q, %q) = %q, %v; want %q", c.key, c.value, out, changed, c.out)
		}
	}
}

func TestGitleaksRuleSetLoads(t *testing.T) {
	n, err := GitleaksRules()
	if err != nil || n < 150 {
		t.Fatalf("gitleaks rules = %d, %v; want the default rule set (over 150 rules)", n, err)
	}
}

func FuzzRedact(f *testing.F) {
	f.Add("export DB_PASS=hunter2hunter2\n" + postgresDSN)
	f.Add(sasURL)
	f.Add(azureConnStr)
	f.Fuzz(func(t *testing.T, s string) {
		red, fs := Redact(s)
		for _, x := range fs {
			if x.Line < 1 {
				t.Fatalf("finding with line %d", x.Line)
			}
		}
		if again, _ := Redact(red); again != red {
			t.Fatalf("redact is not idempotent: %q -> %q -> %q", s, red, again)
		}
	})
}

func TestScrubberGivesTheSameVerdictWhenItRemembersAValue(t *testing.T) {
	// one Scrubber sees each value several times, under a secret key name
	// and under an ordinary one: every answer must be what a fresh
	// RedactValue gives (the value cache must not carry one key's verdict
	// over to another key)
	values := []string{"hunter2hunter2", "team-a", "login with " + postgresDSN, "curl -H 'x: " + jwtValue + "'", awsSecret, "${ssm:/prod/db}", ""}
	var sc Scrubber
	for round := range 3 {
		for _, key := range []string{"notes", "DB_PASS", "owner"} {
			for _, v := range values {
				out, kind, changed := sc.Value(key, v)
				wOut, wKind, wChanged := RedactValue(key, v)
				if out != wOut || kind != wKind || changed != wChanged {
					t.Errorf("round %d: Value(%q, %q) = %q %q %v; RedactValue gives %q %q %v", round, key, v, out, kind, changed, wOut, wKind, wChanged)
				}
			}
		}
	}
}
