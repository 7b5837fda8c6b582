package parjson

import "bytes"

// appendIndent appends to dst the compact JSON src (as json.Marshal writes
// it: valid, no insignificant space) indented as json.Indent(dst, src,
// prefix, indent) would indent it. json.Indent validates as it goes, one
// byte at a time through the scanner's state machine, and that was most of
// the time of writing a large report; input that Marshal made needs no
// validation, only the strings to be copied whole, so this copies each
// string with one search for its closing quote.
func appendIndent(dst, src []byte, prefix, indent string) []byte {
	needIndent := false
	depth := 0
	for i := 0; i < len(src); i++ {
		c := src[i]
		if needIndent && c != '}' && c != ']' {
			needIndent = false
			depth++
			dst = appendNewline(dst, prefix, indent, depth)
		}
		switch c {
		case '"':
			end := stringEnd(src, i)
			dst = append(dst, src[i:end]...)
			i = end - 1
		case '{', '[':
			// delay the indent so that an empty object or array is {} or []
			needIndent = true
			dst = append(dst, c)
		case ',':
			dst = append(dst, c)
			dst = appendNewline(dst, prefix, indent, depth)
		case ':':
			dst = append(dst, c, ' ')
		case '}', ']':
			if needIndent {
				needIndent = false
			} else {
				depth--
				dst = appendNewline(dst, prefix, indent, depth)
			}
			dst = append(dst, c)
		default:
			dst = append(dst, c)
		}
	}
	return dst
}

// stringEnd returns the position just after the string that starts with the
// quote at src[start].
func stringEnd(src []byte, start int) int {
	i := start + 1
	for {
		j := bytes.IndexAny(src[i:], `"\`)
		if j < 0 {
			return len(src) // unterminated: Marshal never writes one
		}
		i += j
		if src[i] == '"' {
			return i + 1
		}
		i += 2 // a backslash and the character it escapes
	}
}

func appendNewline(dst []byte, prefix, indent string, depth int) []byte {
	dst = append(dst, '\n')
	dst = append(dst, prefix...)
	for range depth {
		dst = append(dst, indent...)
	}
	return dst
}
