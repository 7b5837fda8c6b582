package credscan

import (
	"crypto"
	"crypto/sha1" //nolint:gosec // a certificate thumbprint is SHA-1 by definition (Entra keyCredentials, Windows); it identifies, it does not protect
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"errors"
	"regexp"
	"strings"

	"golang.org/x/crypto/ssh"

	"github.com/breachpath/breachpath/graph/secrets"
)

// Kinds Inspect reports besides graph/secrets' kinds.
const (
	// KindSSHPrivateKey is a private key in OpenSSH's own format.
	KindSSHPrivateKey = "ssh-private-key"
	// KindPrivateKey is a PEM private key (PKCS#1, PKCS#8, SEC 1): an SSH
	// key pair's private half (AWS and the labs' .pem files) or a
	// certificate's key.
	KindPrivateKey = "private-key"
	// KindCertificate is an X.509 certificate: public, reported as an
	// identifier so that a private key found beside it can be tied to the
	// certificate's thumbprint.
	KindCertificate = "x509-certificate"
	// KindGCPServiceAccountKey is a Google service-account key file (JSON,
	// "type": "service_account").
	KindGCPServiceAccountKey = "gcp-service-account-key"
	// KindClientSecret is a client secret stored next to the application
	// (client) id it belongs to.
	KindClientSecret = "client-secret"
)

// Credential is one credential (or identifier of one) found in an object.
// It never holds a secret value: only what identifies the credential.
type Credential struct {
	Kind string `json:"kind"`
	// Line is the 1-based line the credential starts on.
	Line int `json:"line,omitempty"`
	// Key is the name it was assigned to, when the text says.
	Key string `json:"key,omitempty"`
	// Identifier is true for a public item (a certificate) that is not a
	// secret by itself.
	Identifier bool `json:"identifier,omitempty"`
	// SSHFingerprint is the SHA-256 fingerprint (ssh-keygen -l) of a
	// private key's public half: what hosts' authorized keys are compared
	// with.
	SSHFingerprint string `json:"ssh_fingerprint,omitempty"`
	// PublicKeySHA256 is the hex SHA-256 of the public key's PKIX encoding,
	// for a private key and a certificate alike: equal values pair a key
	// with its certificate.
	PublicKeySHA256 string `json:"public_key_sha256,omitempty"`
	// Thumbprint is a certificate's SHA-1 thumbprint, upper-case hex (the
	// form Entra ID shows for an application's certificate).
	Thumbprint string `json:"thumbprint,omitempty"`
	// Subject is a certificate's subject common name.
	Subject string `json:"subject,omitempty"`
	// ClientEmail, PrivateKeyID and ProjectID identify a Google
	// service-account key.
	ClientEmail  string `json:"client_email,omitempty"`
	PrivateKeyID string `json:"private_key_id,omitempty"`
	ProjectID    string `json:"project_id,omitempty"`
	// ClientID is the application (client) id written next to a client
	// secret; TenantID the directory's, when written too.
	ClientID string `json:"client_id,omitempty"`
	TenantID string `json:"tenant_id,omitempty"`
	// KeyID is another public identifier graph/secrets gives (an AWS access
	// key id, the host of a connection string).
	KeyID string `json:"key_id,omitempty"`
	// Fingerprint is a salted fingerprint of the secret value
	// (secrets.Fingerprint); empty for identifiers or without a salt.
	Fingerprint string `json:"fingerprint,omitempty"`
}

// SSHHost is one Host entry of an SSH client configuration file: which
// addresses it names and which identity file it logs in with. The labs'
// files put the address in Host and a name in HostName, so both are kept.
type SSHHost struct {
	Patterns     []string `json:"patterns"`
	HostName     string   `json:"host_name,omitempty"`
	User         string   `json:"user,omitempty"`
	IdentityFile string   `json:"identity_file,omitempty"`
}

// Addresses returns every address the entry names (its patterns without
// wildcards, and its HostName), lower-cased.
func (h SSHHost) Addresses() []string {
	var out []string
	for _, p := range append(append([]string(nil), h.Patterns...), h.HostName) {
		p = strings.ToLower(strings.TrimSpace(p))
		if p != "" && !strings.ContainsAny(p, "*?!") {
			out = append(out, p)
		}
	}
	return out
}

// Result is what Inspect found in one object.
type Result struct {
	Credentials []Credential `json:"credentials,omitempty"`
	SSHHosts    []SSHHost    `json:"ssh_hosts,omitempty"`
}

// Inspect finds the credentials in one object's text: PEM private keys
// (with their public half's SSH fingerprint and PKIX hash, derived here and
// the key dropped), certificates (thumbprint), Google service-account key
// files, client secrets next to their client id, SSH client configuration
// entries, and everything graph/secrets recognises (passwords, tokens,
// keys under secret names, credentials in URLs). With a salt each secret
// carries its salted fingerprint.
func Inspect(text string, salt []byte) Result {
	var r Result
	if c, ok := serviceAccountKey(text, salt); ok {
		r.Credentials = append(r.Credentials, c)
		return r
	}
	rest := text
	var blanked strings.Builder
	for {
		i := strings.Index(rest, "-----BEGIN ")
		if i < 0 {
			blanked.WriteString(rest)
			break
		}
		block, after := pem.Decode([]byte(rest[i:]))
		if block == nil {
			blanked.WriteString(rest[:i+len("-----BEGIN ")])
			rest = rest[i+len("-----BEGIN "):]
			continue
		}
		consumed := len(rest[i:]) - len(after)
		line := strings.Count(text[:len(text)-len(rest)+i], "\n") + 1
		if c, ok := pemCredential(block, rest[i:i+consumed], salt); ok {
			c.Line = line
			r.Credentials = append(r.Credentials, c)
		}
		blanked.WriteString(rest[:i])
		// Keep the line count of what was removed, so later lines keep their numbers.
		blanked.WriteString(strings.Repeat("\n", strings.Count(rest[i:i+consumed], "\n")))
		rest = string(after)
	}
	other := blanked.String()
	r.SSHHosts = sshConfig(other)
	clientID, tenantID := idNear(other, reClientID), idNear(other, reTenantID)
	for _, f := range secrets.Find(other, salt) {
		if f.Identifier {
			continue
		}
		c := Credential{Kind: string(f.Kind), Line: f.Line, Key: f.Key, KeyID: f.KeyID, Fingerprint: f.Fingerprint}
		if clientID != "" && secretName(f.Key) {
			c.Kind, c.ClientID, c.TenantID = KindClientSecret, clientID, tenantID
		}
		r.Credentials = append(r.Credentials, c)
	}
	return r
}

// pemCredential reads one PEM block: a certificate or a private key.
func pemCredential(b *pem.Block, raw string, salt []byte) (Credential, bool) {
	var fp string
	if salt != nil {
		fp = secrets.Fingerprint(salt, raw)
	}
	switch b.Type {
	case "CERTIFICATE":
		cert, err := x509.ParseCertificate(b.Bytes)
		if err != nil {
			return Credential{}, false
		}
		sum := sha1.Sum(cert.Raw) //nolint:gosec // thumbprint, see the import
		c := Credential{Kind: KindCertificate, Identifier: true, Thumbprint: strings.ToUpper(hex.EncodeToString(sum[:])), Subject: cert.Subject.CommonName}
		c.PublicKeySHA256 = pkixHash(cert.PublicKey)
		return c, true
	case "OPENSSH PRIVATE KEY":
		c := Credential{Kind: KindSSHPrivateKey, Fingerprint: fp}
		key, err := ssh.ParseRawPrivateKey([]byte(raw))
		var missing *ssh.PassphraseMissingError
		switch {
		case errors.As(err, &missing) && missing.PublicKey != nil:
			// Encrypted: the public half is stored in the clear.
			c.SSHFingerprint = ssh.FingerprintSHA256(missing.PublicKey)
		case err == nil:
			c.SSHFingerprint, c.PublicKeySHA256 = publicIDs(key)
		}
		return c, true
	case "RSA PRIVATE KEY", "PRIVATE KEY", "EC PRIVATE KEY", "DSA PRIVATE KEY", "ENCRYPTED PRIVATE KEY":
		c := Credential{Kind: KindPrivateKey, Fingerprint: fp}
		if b.Type != "ENCRYPTED PRIVATE KEY" && b.Headers["Proc-Type"] == "" {
			if key, err := ssh.ParseRawPrivateKey([]byte(raw)); err == nil {
				c.SSHFingerprint, c.PublicKeySHA256 = publicIDs(key)
			}
		}
		return c, true
	}
	return Credential{}, false
}

// publicIDs derives the SSH fingerprint and PKIX hash of a private key's
// public half; the private key itself goes no further.
func publicIDs(key any) (sshFP, pkix string) {
	signer, ok := key.(crypto.Signer)
	if !ok {
		// ssh returns ed25519 keys as a pointer type.
		if p, ok := key.(interface{ Public() crypto.PublicKey }); ok {
			return publicKeyIDs(p.Public())
		}
		return "", ""
	}
	return publicKeyIDs(signer.Public())
}

func publicKeyIDs(pub crypto.PublicKey) (string, string) {
	var sshFP string
	if sp, err := ssh.NewPublicKey(pub); err == nil {
		sshFP = ssh.FingerprintSHA256(sp)
	}
	return sshFP, pkixHash(pub)
}

func pkixHash(pub any) string {
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		return ""
	}
	sum := sha256.Sum256(der)
	return hex.EncodeToString(sum[:])
}

// SSHPublicKeyFingerprint returns the SHA-256 fingerprint of an
// authorized-keys line ("ssh-rsa AAAA... comment"), "" when it is not one.
// Collectors compare it with Credential.SSHFingerprint.
func SSHPublicKeyFingerprint(line string) string {
	pk, _, _, _, err := ssh.ParseAuthorizedKey([]byte(strings.TrimSpace(line)))
	if err != nil {
		return ""
	}
	return ssh.FingerprintSHA256(pk)
}

// serviceAccountKey recognises a Google service-account key file.
func serviceAccountKey(text string, salt []byte) (Credential, bool) {
	t := strings.TrimSpace(text)
	if !strings.HasPrefix(t, "{") || !strings.Contains(t, "service_account") {
		return Credential{}, false
	}
	var k struct {
		Type         string `json:"type"`
		ProjectID    string `json:"project_id"`
		PrivateKeyID string `json:"private_key_id"`
		PrivateKey   string `json:"private_key"`
		ClientEmail  string `json:"client_email"`
	}
	if json.Unmarshal([]byte(t), &k) != nil || k.Type != "service_account" || k.ClientEmail == "" {
		return Credential{}, false
	}
	c := Credential{Kind: KindGCPServiceAccountKey, Line: 1, ClientEmail: strings.ToLower(k.ClientEmail), PrivateKeyID: k.PrivateKeyID, ProjectID: k.ProjectID}
	if salt != nil && k.PrivateKey != "" {
		c.Fingerprint = secrets.Fingerprint(salt, k.PrivateKey)
	}
	return c, true
}

var (
	reGUID     = `([0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12})`
	reClientID = regexp.MustCompile(`(?i)(?:client[_-]?id|app[_-]?id|application[_-]?id|appid)["']?\s*[:=]\s*["']?` + reGUID)
	reTenantID = regexp.MustCompile(`(?i)(?:tenant[_-]?id|tenant)["']?\s*[:=]\s*["']?` + reGUID)
)

// idNear returns the GUID the text assigns to the first name re matches.
func idNear(text string, re *regexp.Regexp) string {
	if m := re.FindStringSubmatch(text); m != nil {
		return strings.ToLower(m[1])
	}
	return ""
}

// secretName reports a key name that says secret (client_secret,
// AZURE_CLIENT_SECRET, clientSecret).
func secretName(key string) bool {
	return strings.Contains(strings.ToLower(key), "secret")
}

// sshConfig parses the Host entries of an SSH client configuration; none
// when the text is not one (it must name an IdentityFile).
func sshConfig(text string) []SSHHost {
	if !strings.Contains(strings.ToLower(text), "identityfile") {
		return nil
	}
	var out []SSHHost
	var cur *SSHHost
	for _, line := range strings.Split(text, "\n") {
		fields := strings.Fields(strings.ReplaceAll(line, "=", " "))
		if len(fields) < 2 || strings.HasPrefix(fields[0], "#") {
			continue
		}
		switch strings.ToLower(fields[0]) {
		case "host":
			out = append(out, SSHHost{Patterns: fields[1:]})
			cur = &out[len(out)-1]
		case "hostname":
			if cur != nil {
				cur.HostName = fields[1]
			}
		case "user":
			if cur != nil {
				cur.User = fields[1]
			}
		case "identityfile":
			if cur != nil {
				cur.IdentityFile = strings.Trim(fields[1], `"`)
			}
		}
	}
	kept := out[:0]
	for _, h := range out {
		if h.IdentityFile != "" {
			kept = append(kept, h)
		}
	}
	return kept
}
