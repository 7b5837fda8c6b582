// Package snapshotfile reads and writes graph snapshots as JSON files: the
// format `collect aws --snapshots-to`, the synthetic estate's WriteDir and
// third-party converters write, one snapshot (one scope) per file.
//
// The files are untrusted input: size is capped, unknown fields and
// duplicate keys are rejected, properties are brought back to their typed forms and the
// snapshot is validated before anything reaches a store.
package snapshotfile

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"github.com/breachpath/breachpath/collector/strictjson"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/breachpath/breachpath/graph"
)

// DefaultMaxBytes caps one snapshot file (a 2,500-resource scope is a few MB).
const DefaultMaxBytes int64 = 1 << 30

// ErrTooLarge is returned for a file larger than the cap.
var ErrTooLarge = errors.New("snapshot file too large")

// Read decodes and validates one snapshot of at most maxBytes bytes
// (DefaultMaxBytes when maxBytes <= 0).
func Read(r io.Reader, maxBytes int64) (*graph.Snapshot, error) {
	if maxBytes <= 0 {
		maxBytes = DefaultMaxBytes
	}
	lr := &io.LimitedReader{R: r, N: maxBytes + 1}
	// keys are compared exactly: tag and property maps may hold "Owner" and
	// "owner" side by side
	dups := strictjson.NewChecker(false)
	dec := json.NewDecoder(bufio.NewReaderSize(io.TeeReader(lr, dups), 1<<20))
	dec.DisallowUnknownFields()
	var s graph.Snapshot
	if err := dec.Decode(&s); err != nil {
		if lr.N <= 0 {
			return nil, fmt.Errorf("%w (over %d bytes)", ErrTooLarge, maxBytes)
		}
		return nil, fmt.Errorf("decode snapshot: %s", describe(err))
	}
	if dec.More() {
		return nil, errors.New("decode snapshot: trailing data after the snapshot object")
	}
	if err := dups.Err(); err != nil {
		return nil, fmt.Errorf("decode snapshot: %w", err)
	}
	if lr.N <= 0 {
		return nil, fmt.Errorf("%w (over %d bytes)", ErrTooLarge, maxBytes)
	}
	for i := range s.Nodes {
		graph.NormalizeProps(s.Nodes[i].Props)
		// stale flags are the store's to set, never the file's
		s.Nodes[i].Stale = false
		s.Nodes[i].StaleSince = s.Nodes[i].StaleSince.UTC()
	}
	for i := range s.Edges {
		graph.NormalizeProps(s.Edges[i].Props)
		s.Edges[i].Stale = false
	}
	for i := range s.Findings {
		s.Findings[i].Stale = false
	}
	// a file is untrusted: whatever secret it carries stops here
	s.RedactSecrets()
	if err := s.Validate(); err != nil {
		return nil, err
	}
	return &s, nil
}

// ReadFile reads one snapshot file.
func ReadFile(path string) (*graph.Snapshot, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("read snapshot: %w", err)
	}
	defer f.Close()
	s, err := Read(f, DefaultMaxBytes)
	if err != nil {
		return nil, fmt.Errorf("read snapshot %s: %w", path, err)
	}
	return s, nil
}

// describe turns encoding/json errors into one line that says where.
func describe(err error) string {
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &se):
		return fmt.Sprintf("invalid JSON at byte %d: %v", se.Offset, se)
	case errors.As(err, &te):
		return fmt.Sprintf("field %q: want %s, got JSON %s (byte %d)", te.Field, te.Type, te.Value, te.Offset)
	case errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, io.EOF):
		return "truncated JSON"
	}
	return err.Error()
}

// FileName is the name WriteDir gives the snapshot of a scope:
// <cloud>-<scope id>.json, with path separators and colons replaced.
func FileName(sc graph.Scope) string {
	return string(sc.Cloud) + "-" + strings.Map(func(r rune) rune {
		if r == '/' || r == '\\' || r == ':' {
			return '_'
		}
		return r
	}, sc.ID) + ".json"
}

// WriteFile writes one snapshot as JSON that Read accepts, readable by its
// owner only: a snapshot maps how to breach its scope. Secret values are
// removed from s first (graph.Snapshot.RedactSecrets): a file is as much an
// export as any other.
func WriteFile(path string, s *graph.Snapshot) (err error) {
	s.RedactSecrets()
	f, err := os.OpenFile(path, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o600)
	if err != nil {
		return fmt.Errorf("write snapshot: %w", err)
	}
	defer func() {
		if cerr := f.Close(); err == nil && cerr != nil {
			err = fmt.Errorf("write snapshot %s: %w", path, cerr)
		}
	}()
	w := bufio.NewWriterSize(f, 1<<20)
	if err := json.NewEncoder(w).Encode(s); err != nil {
		return fmt.Errorf("write snapshot %s: %w", path, err)
	}
	if err := w.Flush(); err != nil {
		return fmt.Errorf("write snapshot %s: %w", path, err)
	}
	return nil
}

// WriteDir writes every snapshot into dir (created, owner-only, when
// missing) under FileName and returns the paths in snapshot order. Two
// snapshots of one scope are refused: the second would overwrite the first.
func WriteDir(dir string, snaps []*graph.Snapshot) ([]string, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("write snapshots: %w", err)
	}
	paths := make([]string, len(snaps))
	seen := map[string]bool{}
	for i, s := range snaps {
		name := FileName(s.Scope)
		if seen[name] {
			return nil, fmt.Errorf("write snapshots: two snapshots of scope %s", s.Scope)
		}
		seen[name] = true
		paths[i] = filepath.Join(dir, name)
		if err := WriteFile(paths[i], s); err != nil {
			return nil, err
		}
	}
	return paths, nil
}
