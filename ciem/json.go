package ciem

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"

	"github.com/breachpath/breachpath/internal/parjson"
)

// WriteJSON writes the report as indented JSON. Principals are encoded a
// batch at a time on every core (internal/parjson), each by a hand-written
// encoder (appendPrincipal): a large estate's report is over a gigabyte,
// encoding it in one piece held it twice in memory (the encoding and its
// indented copy), and encoding was the largest part of the command's CPU
// time. The bytes are the same as one json.Encoder with SetIndent("", "  ")
// writes.
func WriteJSON(w io.Writer, r *Report) error {
	head := *r
	head.Principals = nil
	hb, err := json.MarshalIndent(&head, "", "  ")
	if err != nil {
		return fmt.Errorf("encode CIEM report: %w", err)
	}
	const slot = `"principals": null`
	i := bytes.Index(hb, []byte(slot))
	if i < 0 || r.Principals == nil {
		_, err := w.Write(append(hb, '\n'))
		return err
	}
	bw := bufio.NewWriterSize(w, 1<<16)
	bw.Write(hb[:i+len(slot)-len("null")])
	if err := writePrincipals(bw, r.Principals); err != nil {
		return fmt.Errorf("encode CIEM report: %w", err)
	}
	bw.Write(hb[i+len(slot):])
	bw.WriteByte('\n')
	return bw.Flush()
}

// writePrincipals writes the principals array as it stands in the report
// (a member of the top-level object): "[]" when empty, else one row per
// line group, one level deeper, the closing bracket at the member's indent.
func writePrincipals(w io.Writer, ps []Principal) error {
	if len(ps) == 0 {
		_, err := io.WriteString(w, "[]")
		return err
	}
	if _, err := io.WriteString(w, "[\n"); err != nil {
		return err
	}
	if err := parjson.WriteArrayAppend(w, len(ps), func(dst []byte, i int) ([]byte, error) {
		return appendPrincipal(dst, &ps[i], reportPrefix, reportIndent)
	}, reportPrefix); err != nil {
		return err
	}
	_, err := io.WriteString(w, "  ]")
	return err
}
