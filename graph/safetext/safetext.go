// Package safetext holds the one rule about characters that every output
// medium shares: text from a cloud estate (names, tags, policy documents,
// descriptions — all of which an attacker inside the estate can set) may
// carry characters that act instead of showing: control characters that
// move the cursor, ANSI and OSC escape sequences that retitle or clear a
// terminal, bidirectional overrides that reorder what is shown, zero-width
// and other invisible format characters, and bytes that are not UTF-8.
// Visible turns each of them into a visible escape (\x1b, \n, \u202e,
// \xff), so what is shown is what is there, and Truncate cuts long text the
// same way everywhere.
//
// The medium packages build on it: csvcell (spreadsheets), termcell
// (terminal tables and --explain lines), mdcell (markdown), htmlcell (HTML
// reports). docs/security.md states the rules.
package safetext

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Acts reports whether r acts on the display instead of showing as a
// glyph: C0 and C1 controls and DEL, bidirectional controls (LRE, RLE, PDF,
// LRO, RLO, LRI, RLI, FSI, PDI, LRM, RLM, ALM), the line and paragraph
// separators, and every other format character (Unicode category Cf: zero
// width space and joiners, word joiner, BOM, soft hyphen, invisible
// operators, tag characters ...). Private-use and unassigned code points
// are left alone: they show as a box, they do not act.
func Acts(r rune) bool {
	switch {
	case r < 0x20 || r == 0x7f || (r >= 0x80 && r <= 0x9f):
		return true
	case r == 0x2028 || r == 0x2029:
		return true
	case r == 0x115f || r == 0x1160 || r == 0x3164 || r == 0xffa0: // Hangul fillers render blank
		return true
	case unicode.Is(unicode.Cf, r):
		return true
	}
	return false
}

// Visible returns s with every character that acts (Acts) and every byte
// that is not valid UTF-8 replaced by a visible escape: \t \n \r for the
// common three, \xHH for other bytes below 0x100 and invalid bytes, \uHHHH
// above. A backslash is left as it is; a reader that needs to tell an
// escape from a literal backslash sequence gets the JSON output.
func Visible(s string) string {
	i := firstUnsafe(s)
	if i < 0 {
		return s
	}
	var b strings.Builder
	b.Grow(len(s) + 16)
	b.WriteString(s[:i])
	for i < len(s) {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size <= 1:
			fmt.Fprintf(&b, `\x%02x`, s[i])
		case r == '\t':
			b.WriteString(`\t`)
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\r':
			b.WriteString(`\r`)
		case Acts(r) && r < 0x100:
			fmt.Fprintf(&b, `\x%02x`, r)
		case Acts(r):
			fmt.Fprintf(&b, `\u%04x`, r)
		default:
			b.WriteString(s[i : i+size])
		}
		i += size
	}
	return b.String()
}

// VisibleText is Visible for media where a line feed is plain layout (HTML,
// a <pre> block): line feeds stay, every other acting character is shown
// as an escape.
func VisibleText(s string) string {
	if !strings.Contains(s, "\n") {
		return Visible(s)
	}
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		lines[i] = Visible(l)
	}
	return strings.Join(lines, "\n")
}

// firstUnsafe returns the byte offset of the first character Visible would
// change, or -1.
func firstUnsafe(s string) int {
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c < 0x20 || c == 0x7f {
				return i
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if (r == utf8.RuneError && size <= 1) || Acts(r) {
			return i
		}
		i += size
	}
	return -1
}

// Ellipsis marks where Truncate cut.
const Ellipsis = "…"

// Truncate returns s cut to at most max characters (runes), keeping a
// third from its start and two thirds from its end around an ellipsis:
// cloud ids carry their distinctive part at the end ("…:role/admin"), names
// at the start, so both are kept.
// It cuts on rune boundaries and never returns more than max runes; max
// below 3 is taken as 3.
func Truncate(s string, max int) string {
	max = maxOf(max, 3)
	if len(s) <= max || utf8.RuneCountInString(s) <= max {
		return s
	}
	keep := max - 1 // one rune for the ellipsis
	head := keep / 3
	tail := keep - head
	rs := []rune(s)
	return string(rs[:head]) + Ellipsis + string(rs[len(rs)-tail:])
}

func maxOf(a, b int) int {
	if a > b {
		return a
	}
	return b
}
