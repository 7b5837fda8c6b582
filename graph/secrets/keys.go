package secrets

import (
	"strings"
	"unicode"
)

// Key-name rules. A key is split into lower-case words at separators and
// camel-case boundaries ("DB_PASSWORD", "dbPassword", "db-password" are all
// [db password]). It names a secret when
//
//   - one of its words is a secret word (password, passwd, pwd, passphrase,
//     secret, token, jwt, bearer, cookie, credential(s), privatekey ...),
//   - or it ends in pass, pin, sig or signature (db_pass, sim_pin, sas_sig),
//   - or a key qualifier is followed by "key" (ssh_key, master_key,
//     private_key, api_key, account_key, signing_key ...),
//   - or it is a connection string (conn_str, connection_string,
//     connectionString),
//
// unless a describing word follows the secret word (password_last_used,
// secret_arn, access_key_id, token_expiry, key_rotation_enabled) or the key
// starts with has/is/no/requires (has_password): those describe a secret
// without holding it. A key that is one lower-case word without separators
// ("dbpassword", "clientsecret") is matched by the secret word it ends in.
// Plural words (tokens, keys, secrets) name collections or settings
// (metadata_http_tokens, access_keys) and do not count.

var secretWords = map[string]Kind{
	"password": KindPassword, "passwd": KindPassword, "pwd": KindPassword, "passphrase": KindPassword,
	"passcode": KindPassword, "passwort": KindPassword,
	"secret": KindSecret, "credential": KindSecret, "credentials": KindSecret, "creds": KindSecret,
	"token": KindToken, "jwt": KindToken, "bearer": KindToken, "cookie": KindToken, "apikey": KindToken,
	"privatekey": KindSecretKey, "secretkey": KindSecretKey, "accesskey": KindSecretKey,
	"accountkey": KindSecretKey, "sharedkey": KindSecretKey, "masterkey": KindSecretKey,
	"sastoken": KindSASSignature, "connectionstring": KindConnectionString, "connstr": KindConnectionString,
	"clientsecret": KindSecret, "dsn": KindConnectionString,
}

// lastOnly are words that name a secret only as the last word: "pass" in
// db_pass but not in pass_role, "pin" in sim_pin but not in pin_version.
var lastOnly = map[string]Kind{
	"pass": KindPassword, "pin": KindPassword, "sig": KindSASSignature, "signature": KindSASSignature,
	"authorization": KindToken,
}

// keyQualifiers make a following "key" a secret key.
var keyQualifiers = map[string]bool{
	"private": true, "ssh": true, "master": true, "secret": true, "api": true, "access": true,
	"account": true, "shared": true, "signing": true, "session": true, "encryption": true,
	"client": true, "storage": true, "primary": true, "secondary": true, "auth": true,
	"admin": true, "root": true, "hmac": true, "app": true, "service": true, "subscription": true,
}

// describing words after a secret word: the key describes a secret.
var describing = map[string]bool{
	"id": true, "ids": true, "arn": true, "arns": true, "name": true, "names": true, "type": true,
	"kind": true, "length": true, "len": true, "count": true, "enabled": true, "disabled": true,
	"required": true, "policy": true, "policies": true, "age": true, "last": true, "used": true,
	"expiry": true, "expires": true, "expiration": true, "expired": true, "rotation": true,
	"rotated": true, "version": true, "versions": true, "status": true, "state": true,
	"ref": true, "reference": true, "uri": true, "url": true, "path": true, "location": true,
	"vault": true, "store": true, "manager": true, "provider": true, "source": true,
	"set": true, "present": true, "configured": true, "exists": true, "changed": true,
	"created": true, "updated": true, "date": true, "time": true, "ttl": true, "lifetime": true,
	"fingerprint": true, "hash": true, "algorithm": true, "format": true, "file": true,
	"reset": true, "complexity": true, "strength": true, "min": true, "max": true, "field": true,
	"header": true, "mode": true, "method": true, "endpoint": true, "issuer": true, "audience": true,
	"scope": true, "scopes": true, "role": true, "owner": true, "usage": true, "kms": true,
}

// leading words that make the key a question about a secret.
var asking = map[string]bool{"has": true, "is": true, "no": true, "requires": true, "require": true, "allow": true, "use": true, "uses": true, "enable": true, "disable": true}

// KeyKind reports whether a key's name says its value is a secret, and of
// which kind.
func KeyKind(key string) (Kind, bool) {
	ws := words(key)
	if len(ws) == 0 {
		return "", false
	}
	if asking[ws[0]] && len(ws) > 1 {
		return "", false
	}
	if len(ws) == 1 && !separated(key) {
		return oneWord(ws[0])
	}
	for i, w := range ws {
		k, secret := secretWords[w]
		if !secret && i > 0 && w == "key" && keyQualifiers[ws[i-1]] {
			k, secret = KindSecretKey, true
		}
		if !secret && i > 0 && w == "str" && ws[i-1] == "conn" {
			k, secret = KindConnectionString, true
		}
		if !secret && i > 0 && w == "string" && ws[i-1] == "connection" {
			k, secret = KindConnectionString, true
		}
		if !secret && i == len(ws)-1 {
			k, secret = lastOnly[w]
		}
		if !secret {
			continue
		}
		rest := ws[i+1:]
		// an access key id is public, but a name that holds one
		// (AWS_ACCESS_KEY_ID in an environment) travels with its secret key:
		// keep it out too
		if w == "key" && ws[i-1] == "access" && len(rest) == 1 && rest[0] == "id" {
			return KindAWSAccessKeyID, true
		}
		if describedAfter(rest) {
			return "", false
		}
		return k, true
	}
	return "", false
}

// describedAfter reports whether any word after the secret word describes
// rather than holds it ("value" and "key" do not: secret_value, secret_key).
func describedAfter(rest []string) bool {
	for _, w := range rest {
		if describing[w] {
			return true
		}
	}
	return false
}

// oneWord matches a key written as one run of letters ("dbpassword",
// "CLIENTSECRET", "sshkey"): secret words inside it count unless it ends in
// a describing suffix.
func oneWord(w string) (Kind, bool) {
	if k, ok := secretWords[w]; ok {
		return k, true
	}
	if k, ok := lastOnly[w]; ok {
		return k, true
	}
	// the secret word must end the key: "dbpassword", "clientsecret",
	// "sshkey" hold one; "passwordlastused", "secretsmanager" do not.
	if strings.HasSuffix(w, "accesskeyid") {
		return KindAWSAccessKeyID, true
	}
	for _, sw := range []string{"password", "passwd", "passphrase", "secret", "token", "privatekey", "apikey", "accesskey", "accountkey", "sharedkey", "masterkey", "sshkey", "signingkey", "connectionstring", "connstr", "sastoken", "credential", "credentials"} {
		if strings.HasSuffix(w, sw) {
			if k, ok := secretWords[sw]; ok {
				return k, true
			}
			return KindSecretKey, true
		}
	}
	// "dbpass", "rootpwd", "simpin", "sassig": a short known owner before
	// pass/pwd/pin/sig ("bypass", "compass" and "shipping" stay data).
	for _, suf := range []string{"pass", "pwd", "pin", "sig"} {
		if p, ok := strings.CutSuffix(w, suf); ok && ownerWords[p] {
			if k, ok := lastOnly[suf]; ok {
				return k, true
			}
			return KindPassword, true
		}
	}
	return "", false
}

// ownerWords are the prefixes that make a one-word key such as "dbpass" a
// secret.
var ownerWords = map[string]bool{
	"db": true, "user": true, "admin": true, "root": true, "app": true, "sql": true, "mysql": true,
	"pg": true, "postgres": true, "redis": true, "ftp": true, "smtp": true, "mail": true, "sas": true,
	"sim": true, "api": true, "ldap": true, "svc": true, "service": true, "master": true, "my": true,
}

// separated reports whether key has a separator or a case change, i.e.
// words() could split it.
func separated(key string) bool {
	upper, lower := false, false
	for _, r := range key {
		switch {
		case unicode.IsUpper(r):
			upper = true
		case unicode.IsLower(r):
			lower = true
		case !unicode.IsLetter(r):
			return true
		}
	}
	return upper && lower
}

// words splits a key into lower-case words at separators, digits and
// camel-case boundaries ("sasSig" -> sas sig, "DBPassword" -> db password,
// "AWS_SECRET_ACCESS_KEY" -> aws secret access key).
func words(key string) []string {
	var out []string
	rs := []rune(key)
	start := -1
	flush := func(end int) {
		if start >= 0 && end > start {
			out = append(out, strings.ToLower(string(rs[start:end])))
		}
		start = -1
	}
	for i, r := range rs {
		if !unicode.IsLetter(r) {
			flush(i)
			continue
		}
		if start < 0 {
			start = i
			continue
		}
		prev := rs[i-1]
		// lower->Upper starts a word; Upper->Upper->lower starts one at the
		// last upper ("DBPassword": "DB" + "Password").
		if unicode.IsUpper(r) && unicode.IsLower(prev) {
			flush(i)
			start = i
		} else if unicode.IsLower(r) && unicode.IsUpper(prev) && i-1 > start {
			flush(i - 1)
			start = i - 1
		}
	}
	flush(len(rs))
	return out
}
