// Package credscantest is test support for the object scans: generated key
// pairs (the repository holds no private key) and the check that no part
// of a planted secret reached what a collector hands on.
package credscantest

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha1" //nolint:gosec // a certificate thumbprint is SHA-1 by definition
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"strings"
	"testing"
	"time"
)

// RSAKey generates a 2048-bit RSA key and returns it with its PKCS#1 PEM
// text (the "-----BEGIN RSA PRIVATE KEY-----" files the labs leave).
func RSAKey(t testing.TB) (*rsa.PrivateKey, string) {
	t.Helper()
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	return k, string(pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(k)}))
}

// SelfSignedCert returns a self-signed certificate for k, valid now, as PEM
// text, and its SHA-1 thumbprint (what Entra keeps as a key credential's
// customKeyIdentifier).
func SelfSignedCert(t testing.TB, k *rsa.PrivateKey, cn string) (string, []byte) {
	t.Helper()
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(42), Subject: pkix.Name{CommonName: cn}, NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().AddDate(1, 0, 0)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &k.PublicKey, k)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha1.Sum(der) //nolint:gosec
	return string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})), sum[:]
}

// AssertNoSecretLines fails when any line of a secret (longer than 20
// characters, PEM armour aside) appears in out.
func AssertNoSecretLines(t testing.TB, out []byte, secrets ...string) {
	t.Helper()
	for _, s := range secrets {
		for _, line := range strings.Split(s, "\n") {
			if line = strings.TrimSpace(line); len(line) > 20 && !strings.HasPrefix(line, "-----") && strings.Contains(string(out), line) {
				t.Fatalf("secret material reached the output: %q", line)
			}
		}
	}
}
