// Package termcell is the terminal rule: nothing printed to a terminal
// from the estate may act on it, and no cell may run on for megabytes.
// Every table cell and --explain line (paths, plan, queue, ciem, query,
// graph stats) goes through Cell or Line: characters that act — ESC and
// the ANSI/OSC sequences it starts, BEL, CR, LF (a newline forged whole
// rows), tabs (they break tabwriter's columns), bidi overrides, zero-width
// and other invisible characters, invalid UTF-8 — are shown as escapes
// (safetext.Visible), and the result is cut to a fixed length
// (safetext.Truncate) keeping its start and end.
package termcell

import (
	"fmt"
	"io"
	"text/tabwriter"

	"github.com/breachpath/breachpath/graph/safetext"
)

// Width is the longest table cell, in characters.
const Width = 48

// LineWidth is the longest --explain or free-text line, in characters: a
// whole policy statement fits, a 3 MB name does not.
const LineWidth = 1000

// Cell returns s safe for a terminal table cell of at most Width
// characters.
func Cell(s string) string { return safetext.Truncate(safetext.Visible(s), Width) }

// CellN is Cell with another width (a column that needs more room).
func CellN(s string, width int) string { return safetext.Truncate(safetext.Visible(s), width) }

// Line returns s safe for one terminal line of at most LineWidth
// characters.
func Line(s string) string { return safetext.Truncate(safetext.Visible(s), LineWidth) }

// Printf formats one line — format has no line feed of its own — and
// writes it safe (Line) followed by a line feed. Every argument may come
// from the estate: the whole line is escaped, so nothing in it can act.
func Printf(w io.Writer, format string, args ...any) error {
	_, err := io.WriteString(w, Line(fmt.Sprintf(format, args...))+"\n")
	return err
}

// Table is an aligned text table whose every cell is safe (Cell): a cell
// can hold no tab, line feed or escape sequence that would break the
// columns, forge a row or act on the terminal, and none runs longer than
// its width.
type Table struct {
	tw     *tabwriter.Writer
	widths map[int]int
}

// NewTable starts a table on w with the given column headers.
func NewTable(w io.Writer, header ...string) *Table {
	t := &Table{tw: tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)}
	t.Row(header...)
	return t
}

// Wide gives column col (0-based) a width other than Width.
func (t *Table) Wide(col, width int) *Table {
	if t.widths == nil {
		t.widths = map[int]int{}
	}
	t.widths[col] = width
	return t
}

// Row writes one row.
func (t *Table) Row(cells ...string) {
	for i, c := range cells {
		if i > 0 {
			io.WriteString(t.tw, "\t")
		}
		w := Width
		if n, ok := t.widths[i]; ok {
			w = n
		}
		io.WriteString(t.tw, CellN(c, w))
	}
	io.WriteString(t.tw, "\n")
}

// Flush writes the aligned table.
func (t *Table) Flush() error { return t.tw.Flush() }
