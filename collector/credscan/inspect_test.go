package credscan

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa" //nolint:gosec // the thumbprint's own definition
	"crypto/x509"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"strings"
	"testing"

	"golang.org/x/crypto/ssh"

	"github.com/breachpath/breachpath/collector/credscan/credscantest"
)

// Keys are generated per test: the repository holds no private key.
func rsaKey(t *testing.T) *rsa.PrivateKey {
	k, _ := credscantest.RSAKey(t)
	return k
}

// selfSigned is a certificate for k and its thumbprint as Inspect reports it.
func selfSigned(t *testing.T, k *rsa.PrivateKey, cn string) (pemText, thumb string) {
	pemText, sum := credscantest.SelfSignedCert(t, k, cn)
	return pemText, strings.ToUpper(hex.EncodeToString(sum))
}

func sshFP(t *testing.T, pub any) string {
	t.Helper()
	p, err := ssh.NewPublicKey(pub)
	if err != nil {
		t.Fatal(err)
	}
	return ssh.FingerprintSHA256(p)
}

func TestInspectDerivesPublicIdentifiersOfPrivateKeys(t *testing.T) {
	rk := rsaKey(t)
	pkcs1 := string(pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(rk)}))
	ek, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	der, _ := x509.MarshalPKCS8PrivateKey(ek)
	pkcs8 := string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}))
	_, edk, _ := ed25519.GenerateKey(rand.Reader)
	ob, err := ssh.MarshalPrivateKey(edk, "laptop")
	if err != nil {
		t.Fatal(err)
	}
	openssh := string(pem.EncodeToMemory(ob))
	enc, err := ssh.MarshalPrivateKeyWithPassphrase(edk, "laptop", []byte("a passphrase"))
	if err != nil {
		t.Fatal(err)
	}
	encrypted := string(pem.EncodeToMemory(enc))
	for _, tc := range []struct {
		name, text, kind, fp string
	}{
		{"PKCS#1 RSA (an AWS or lab .pem key pair)", pkcs1, KindPrivateKey, sshFP(t, &rk.PublicKey)},
		{"PKCS#8 ECDSA", "# deploy key\n" + pkcs8, KindPrivateKey, sshFP(t, &ek.PublicKey)},
		{"OpenSSH ed25519", openssh, KindSSHPrivateKey, sshFP(t, edk.Public())},
		{"OpenSSH encrypted: the public half is in the clear", encrypted, KindSSHPrivateKey, sshFP(t, edk.Public())},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := Inspect(tc.text, []byte("salt"))
			if len(r.Credentials) != 1 {
				t.Fatalf("credentials %+v, want one", r.Credentials)
			}
			c := r.Credentials[0]
			if c.Kind != tc.kind || c.SSHFingerprint != tc.fp || c.Fingerprint == "" || c.Identifier {
				t.Errorf("got %+v, want kind %s, ssh fingerprint %s, a salted fingerprint", c, tc.kind, tc.fp)
			}
			assertNoValue(t, r, tc.text)
		})
	}
}

func TestInspectPairsAKeyWithItsCertificate(t *testing.T) {
	k := rsaKey(t)
	certPEM, thumb := selfSigned(t, k, "app-storage-target")
	keyPEM := string(pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(k)}))
	cert := Inspect(certPEM, nil).Credentials
	key := Inspect(keyPEM, nil).Credentials
	if len(cert) != 1 || cert[0].Kind != KindCertificate || !cert[0].Identifier || cert[0].Thumbprint != thumb || cert[0].Subject != "app-storage-target" {
		t.Fatalf("certificate: %+v, want thumbprint %s", cert, thumb)
	}
	if len(key) != 1 || key[0].PublicKeySHA256 == "" || key[0].PublicKeySHA256 != cert[0].PublicKeySHA256 {
		t.Fatalf("key %+v does not pair with certificate %+v", key, cert)
	}
	other := Inspect(string(pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(rsaKey(t))})), nil).Credentials
	if other[0].PublicKeySHA256 == cert[0].PublicKeySHA256 {
		t.Fatal("another key pairs with the certificate")
	}
	// Both in one file (a PEM bundle): both found, on their lines.
	both := Inspect(certPEM+keyPEM, nil).Credentials
	if len(both) != 2 || both[1].Line != strings.Count(certPEM, "\n")+1 {
		t.Fatalf("bundle: %+v", both)
	}
}

func TestInspectReadsServiceAccountKeyFilesByIdentifier(t *testing.T) {
	k := rsaKey(t)
	keyPEM := string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: must(x509.MarshalPKCS8PrivateKey(k))}))
	raw, _ := json.Marshal(map[string]string{"type": "service_account", "project_id": "gcp-goat", "private_key_id": "0123abcd",
		"private_key": keyPEM, "client_email": "Admin-SA@gcp-goat.iam.gserviceaccount.com", "client_id": "1234"})
	r := Inspect(string(raw), []byte("s"))
	if len(r.Credentials) != 1 {
		t.Fatalf("%+v", r.Credentials)
	}
	c := r.Credentials[0]
	if c.Kind != KindGCPServiceAccountKey || c.ClientEmail != "admin-sa@gcp-goat.iam.gserviceaccount.com" || c.PrivateKeyID != "0123abcd" || c.ProjectID != "gcp-goat" || c.Fingerprint == "" {
		t.Errorf("got %+v", c)
	}
	assertNoValue(t, r, keyPEM)
	if got := Inspect(`{"type": "authorized_user", "client_email": "x@y"}`, nil); len(got.Credentials) != 0 {
		t.Errorf("a non-key JSON file: %+v", got.Credentials)
	}
}

func TestInspectTiesAClientSecretToItsClientID(t *testing.T) {
	text := "AZURE_TENANT_ID=8f0a1b2c-0000-4000-8000-000000000001\nAZURE_CLIENT_ID=5E1D0000-1111-4222-8333-444455556666\nAZURE_CLIENT_SECRET=Qx8Q~Zs0mEv4lu3v4lu3AbCdEfGhIjKlMnOpQrStUv\n"
	r := Inspect(text, []byte("s"))
	var got *Credential
	for i := range r.Credentials {
		if r.Credentials[i].Kind == KindClientSecret {
			got = &r.Credentials[i]
		}
	}
	if got == nil || got.ClientID != "5e1d0000-1111-4222-8333-444455556666" || got.TenantID != "8f0a1b2c-0000-4000-8000-000000000001" || got.Key != "AZURE_CLIENT_SECRET" {
		t.Fatalf("client secret: %+v", r.Credentials)
	}
	assertNoValue(t, r, "Qx8Q~Zs0mEv4lu3v4lu3AbCdEfGhIjKlMnOpQrStUv")
}

func TestInspectReadsSSHClientConfigEntries(t *testing.T) {
	text := "Host 40.85.170.40\n  HostName justin\n  Port 22\n  IdentityFile /shared/files/.ssh/keys/justin.pem\n  User justin\n\nHost 10.25.14.6\n  HostName alice\n  IdentityFile /shared/files/.ssh/keys/alice.pem\n\nHost *\n  ForwardAgent no\n"
	hosts := Inspect(text, nil).SSHHosts
	if len(hosts) != 2 {
		t.Fatalf("hosts %+v", hosts)
	}
	if h := hosts[0]; strings.Join(h.Addresses(), ",") != "40.85.170.40,justin" || h.User != "justin" || h.IdentityFile != "/shared/files/.ssh/keys/justin.pem" {
		t.Errorf("first host %+v", h)
	}
	if got := Inspect("Host a\n  User b\n", nil).SSHHosts; got != nil {
		t.Errorf("a config without identity files: %+v", got)
	}
}

func TestSSHPublicKeyFingerprintMatchesThePrivateHalf(t *testing.T) {
	k := rsaKey(t)
	pub, _ := ssh.NewPublicKey(&k.PublicKey)
	line := string(ssh.MarshalAuthorizedKey(pub))
	priv := Inspect(string(pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(k)})), nil).Credentials[0]
	if got := SSHPublicKeyFingerprint(strings.TrimSpace(line) + " justin@dev"); got == "" || got != priv.SSHFingerprint {
		t.Fatalf("public %q, private %q", got, priv.SSHFingerprint)
	}
	if SSHPublicKeyFingerprint("not a key") != "" {
		t.Fatal("garbage has a fingerprint")
	}
}

// assertNoValue fails when any part of the secret text reaches the result.
func assertNoValue(t *testing.T, r Result, secret string) {
	t.Helper()
	raw, _ := json.Marshal(r)
	for _, line := range strings.Split(secret, "\n") {
		if line = strings.TrimSpace(line); len(line) > 16 && !strings.HasPrefix(line, "-----") && strings.Contains(string(raw), line) {
			t.Fatalf("secret material %q in result %s", line, raw)
		}
	}
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}
