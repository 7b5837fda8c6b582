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
// batch at a time on every core (internal/parjson): a large estate's report
// is over a hundred megabytes, encoding it in one piece held it twice in
// memory (the encoding and its indented copy), and encoding is most of the
// command's CPU time. The bytes are the same as one json.Encoder with
// SetIndent("", "  ") writes.
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
	if err := parjson.WriteArray(bw, len(r.Principals), func(j int) *Principal { return &r.Principals[j] }, "  ", "  "); err != nil {
		return fmt.Errorf("encode CIEM report: %w", err)
	}
	bw.Write(hb[i+len(slot):])
	bw.WriteByte('\n')
	return bw.Flush()
}
