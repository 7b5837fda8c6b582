// Package mdcell is the markdown rule: text from the estate is shown as
// text by every markdown renderer, HTML enabled or not. A cell is one line
// (acting characters shown as escapes, safetext.Visible), HTML
// metacharacters become entities (< > & " '), and every character that
// starts markdown inline syntax is backslash-escaped (\ ` * _ [ ] | ~ $ !
// #), so no name can open a code span, a link, an image, emphasis,
// strikethrough, math, a heading, a table column or raw HTML. Wrapping in backticks is not used:
// a backtick in the name ends the span.
package mdcell

import (
	"strings"

	"github.com/breachpath/breachpath/graph/safetext"
)

// specials are the ASCII punctuation characters CommonMark lets a
// backslash escape that can start inline syntax or a table cell boundary.
const specials = "\\`*_[]|~$!#"

// Text returns s escaped for markdown running text or a table cell, on one
// line.
func Text(s string) string {
	s = safetext.Visible(s)
	var b strings.Builder
	b.Grow(len(s) + 8)
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '<':
			b.WriteString("&lt;")
		case c == '>':
			b.WriteString("&gt;")
		case c == '&':
			b.WriteString("&amp;")
		case c == '"':
			b.WriteString("&quot;")
		case c == '\'':
			b.WriteString("&#39;")
		case strings.IndexByte(specials, c) >= 0:
			b.WriteByte('\\')
			b.WriteByte(c)
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}

// Cell is Text cut to width characters before escaping (0: no cut).
func Cell(s string, width int) string {
	if width > 0 {
		s = safetext.Truncate(safetext.Visible(s), width)
	}
	return Text(s)
}
