// Package wildcard matches text against the `*`/`?` patterns every cloud
// uses somewhere: IAM action and resource patterns, condition operators like
// StringLike, owner mappings over resource ids. It knows no cloud: callers
// say which bytes are the wildcards and whether ASCII case is ignored.
//
// `*` matches any run of characters, none included, and crosses every
// separator ('/', ':'); `?` matches exactly one character (one UTF-8
// sequence, not one byte). The matcher is iterative with one backtrack
// point, the last `*`: linear in practice, never exponential on a hostile
// pattern such as "*a*a*a*a*b".
package wildcard

import "unicode/utf8"

// Match reports whether s matches pattern, case-sensitively.
func Match(pattern, s string) bool { return MatchMarked(pattern, s, '*', '?', false) }

// MatchFold reports whether s matches pattern, ignoring the case of ASCII
// letters (IAM action names, for one, are case-insensitive).
func MatchFold(pattern, s string) bool { return MatchMarked(pattern, s, '*', '?', true) }

// MatchMarked is Match with other bytes standing for `*` (star) and `?`
// (one), for a caller that has encoded its pattern so that the text
// substituted into it stays literal even when it holds '*' or '?' (IAM
// policy variables). fold ignores the case of ASCII letters. Choose marker
// bytes that never occur in valid UTF-8 (0xFE, 0xFF) so no text byte is
// taken for one.
func MatchMarked(pattern, s string, star, one byte, fold bool) bool {
	pi, si := 0, 0
	back, mark := -1, 0 // the last star seen and where in s its run ends
	for si < len(s) {
		if pi < len(pattern) {
			switch c := pattern[pi]; {
			case c == star:
				back, mark = pi, si
				pi++
				continue
			case c == one:
				_, w := utf8.DecodeRuneInString(s[si:])
				pi++
				si += w
				continue
			case c == s[si] || (fold && lowerASCII(c) == lowerASCII(s[si])):
				pi++
				si++
				continue
			}
		}
		if back < 0 {
			return false
		}
		// Let the last star take one more character and try again from there.
		pi = back + 1
		_, w := utf8.DecodeRuneInString(s[mark:])
		mark += w
		si = mark
	}
	for pi < len(pattern) && pattern[pi] == star {
		pi++
	}
	return pi == len(pattern)
}

func lowerASCII(c byte) byte {
	if 'A' <= c && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}
