// Package snapshotfile reads graph snapshots from JSON files: the format
// `breachpath graph export`-style tooling, the synthetic estate's WriteDir
// and third-party converters write, one snapshot (one scope) per file.
//
// The files are untrusted input: size is capped, unknown fields are
// rejected, properties are brought back to their typed forms and the
// snapshot is validated before anything reaches a store.
package snapshotfile

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"

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
	dec := json.NewDecoder(bufio.NewReaderSize(lr, 1<<20))
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
