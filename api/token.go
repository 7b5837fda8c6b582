package api

import (
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
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
	tok, err := readTokenFile(path)
	switch {
	case err == nil:
		return tok, false, nil
	case !errors.Is(err, fs.ErrNotExist):
		return "", false, err
	}
	raw := make([]byte, 32)
	if _, err := rand.Read(raw); err != nil {
		return "", false, fmt.Errorf("generate token: %w", err)
	}
	tok = base64.RawURLEncoding.EncodeToString(raw)
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

// maxTokenFileBytes bounds a token file: a token is 43 characters, a few KB
// leaves room for a comment and a trailing newline, and /dev/zero does not
// fit.
const maxTokenFileBytes = 4 << 10

// readTokenFile reads an existing token file, refusing one that is not a
// regular file (a FIFO would block serve forever), is not owned by the
// effective user, is readable by others, or is larger than
// maxTokenFileBytes. The checks run on the open file (fstat), so a file
// swapped after the first look is caught, and the open never blocks.
func readTokenFile(path string) (string, error) {
	info, err := os.Stat(path)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return "", err
		}
		return "", fmt.Errorf("token file %s: %w", path, err)
	}
	if err := checkTokenFile(path, info); err != nil {
		return "", err
	}
	f, err := openNoBlock(path)
	if err != nil {
		return "", fmt.Errorf("token file %s: %w", path, err)
	}
	defer f.Close()
	info, err = f.Stat()
	if err != nil {
		return "", fmt.Errorf("token file %s: %w", path, err)
	}
	if err := checkTokenFile(path, info); err != nil {
		return "", err
	}
	b, err := io.ReadAll(io.LimitReader(f, maxTokenFileBytes+1))
	if err != nil {
		return "", fmt.Errorf("read token file %s: %w", path, err)
	}
	if len(b) > maxTokenFileBytes {
		return "", fmt.Errorf("token file %s is larger than %d bytes: not a token file", path, maxTokenFileBytes)
	}
	tok := strings.TrimSpace(string(b))
	if len(tok) < 16 {
		return "", fmt.Errorf("token file %s: token shorter than 16 characters", path)
	}
	return tok, nil
}

func checkTokenFile(path string, info fs.FileInfo) error {
	switch {
	case !info.Mode().IsRegular():
		return fmt.Errorf("token file %s is not a regular file (%v)", path, info.Mode().Type())
	case info.Size() > maxTokenFileBytes:
		return fmt.Errorf("token file %s is larger than %d bytes: not a token file", path, maxTokenFileBytes)
	case info.Mode().Perm()&0o077 != 0:
		return fmt.Errorf("token file %s is readable by others (mode %v): chmod 600 it", path, info.Mode().Perm())
	}
	if uid, ok := fileOwner(info); ok && uid != os.Geteuid() {
		return fmt.Errorf("token file %s is owned by uid %d, not by the user serving (uid %d): whoever owns it can change the token", path, uid, os.Geteuid())
	}
	return nil
}
