// Package csvcell is the spreadsheet rule: a CSV cell must never be read as
// a formula. Spreadsheets evaluate a cell that starts with = + - @ (and
// some a tab or carriage return before them), so an owner tag
// `=HYPERLINK("http://evil.example/","x")` would become a live link. Every
// CSV breachpath writes goes through Writer, which prefixes such a cell
// with an apostrophe — the OWASP recommendation, shown by spreadsheets as
// the text itself.
package csvcell

import (
	"encoding/csv"
	"io"
	"strings"
)

// formulaStart are the first characters that make a spreadsheet evaluate a
// cell.
const formulaStart = "=+-@\t\r"

// Neutralise returns s safe as a spreadsheet cell: s itself, or s with a
// leading apostrophe when it starts with = + - @ tab or CR, also after
// leading spaces or line feeds (some spreadsheets trim those first).
func Neutralise(s string) string {
	t := strings.TrimLeft(s, " \n")
	if t != "" && strings.IndexByte(formulaStart, t[0]) >= 0 {
		return "'" + s
	}
	if s != "" && strings.IndexByte(formulaStart, s[0]) >= 0 {
		return "'" + s
	}
	return s
}

// Writer is a csv.Writer whose every cell is neutralised. Numbers that
// breachpath writes are never negative, so no number is changed.
type Writer struct {
	*csv.Writer
	row []string
}

// NewWriter returns a Writer on w.
func NewWriter(w io.Writer) *Writer {
	return &Writer{Writer: csv.NewWriter(w)}
}

// Write writes one record, each cell neutralised. The caller's slice is not
// changed.
func (w *Writer) Write(record []string) error {
	w.row = w.row[:0]
	for _, c := range record {
		w.row = append(w.row, Neutralise(c))
	}
	return w.Writer.Write(w.row)
}

// WriteAll writes every record (each cell neutralised) and flushes.
func (w *Writer) WriteAll(records [][]string) error {
	for _, r := range records {
		if err := w.Write(r); err != nil {
			return err
		}
	}
	w.Flush()
	return w.Error()
}
