package api

import (
	"strings"

	"github.com/breachpath/breachpath/graph"
)

// secretMarkers are the fragments of a property or tag key that mark its
// value as a secret. The graph should never hold one (collectors keep
// configuration, not credentials), but the API is the last line: any key
// that merely looks secret-like is dropped rather than served.
var secretMarkers = []string{
	"password", "passwd", "pwd", "secret", "token", "privatekey", "accesskey", "apikey",
	"credential", "connectionstring", "sastoken", "sharedkey", "accountkey", "clientsecret",
	"sessionkey", "signingkey", "authorization", "cookie", "bearer",
}

// secretLike reports whether a key looks like it names a secret. Case,
// separators and dots are ignored so "Private-Key", "private_key" and
// "privateKey" all match.
func secretLike(key string) bool {
	k := strings.Map(func(r rune) rune {
		switch r {
		case '_', '-', '.', ' ', ':', '/':
			return -1
		}
		return r
	}, strings.ToLower(key))
	for _, m := range secretMarkers {
		if strings.Contains(k, m) {
			return true
		}
	}
	return false
}

// safeProps returns the props without secret-like keys (nil when empty).
func safeProps(p graph.Props) graph.Props {
	if len(p) == 0 {
		return nil
	}
	out := make(graph.Props, len(p))
	for k, v := range p {
		if !secretLike(k) {
			out[k] = v
		}
	}
	if len(out) == 0 {
		return nil
	}
	return out
}

// safeTags returns the tags without secret-like keys (nil when empty).
func safeTags(t map[string]string) map[string]string {
	if len(t) == 0 {
		return nil
	}
	out := make(map[string]string, len(t))
	for k, v := range t {
		if !secretLike(k) {
			out[k] = v
		}
	}
	if len(out) == 0 {
		return nil
	}
	return out
}
