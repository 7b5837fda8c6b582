package api

import (
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// LoadOrCreateToken reads the bearer token from path, or creates a random
// one there (mode 0600, in a directory created 0700 if missing) when the file
// does not exist. created says the token is new: the caller prints it once.
// A token file readable by others is refused, since anyone who can read it
// can use the API.
func LoadOrCreateToken(path string) (token string, created bool, err error) {
	b, err := os.ReadFile(path)
	switch {
	case err == nil:
		info, err := os.Stat(path)
		if err != nil {
			return "", false, fmt.Errorf("token file %s: %w", path, err)
		}
		if info.Mode().Perm()&0o077 != 0 {
			return "", false, fmt.Errorf("token file %s is readable by others (mode %v): chmod 600 it", path, info.Mode().Perm())
		}
		tok := strings.TrimSpace(string(b))
		if len(tok) < 16 {
			return "", false, fmt.Errorf("token file %s: token shorter than 16 characters", path)
		}
		return tok, false, nil
	case !errors.Is(err, fs.ErrNotExist):
		return "", false, fmt.Errorf("read token file: %w", err)
	}
	raw := make([]byte, 32)
	if _, err := rand.Read(raw); err != nil {
		return "", false, fmt.Errorf("generate token: %w", err)
	}
	tok := base64.RawURLEncoding.EncodeToString(raw)
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return "", false, fmt.Errorf("create token directory: %w", err)
	}
	// O_EXCL: two servers starting at once must not both win with different tokens.
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return "", false, fmt.Errorf("create token file: %w", err)
	}
	if _, err := f.WriteString(tok + "\n"); err != nil {
		f.Close()
		return "", false, fmt.Errorf("write token file: %w", err)
	}
	if err := f.Close(); err != nil {
		return "", false, fmt.Errorf("write token file: %w", err)
	}
	return tok, true, nil
}
