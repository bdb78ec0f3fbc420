package messages

import (
	"strings"
	"unicode/utf8"
)

// The field escaping of the event log is that of Python's unicode_escape codec, so that
// logs written by the original system and by this one read the same.
//
// Writing (appendEscaped) produces printable ASCII only:
//
//	\        -> \\
//	TAB LF CR -> \t \n \r
//	other bytes below 0x20, and 0x7f  -> \xNN
//	U+0080–U+00FF    -> \xNN
//	U+0100–U+FFFF    -> \uNNNN
//	U+10000 and up   -> \UNNNNNNNN
//
// with lowercase hex digits, exactly as Python writes them. Bytes of a string that are not
// valid UTF-8 are written as \ufffd (the replacement character).
//
// Reading (unescape) accepts everything Python's decoder accepts except \N{name}:
// \\ \' \" \a \b \f \n \r \t \v, octal \o \oo \ooo, \xNN, \uNNNN, \UNNNNNNNN, and keeps a
// backslash before any other character as it is (as Python does). Escapes that would
// produce a surrogate half, a code point above U+10FFFF or NUL are rejected, because such
// strings cannot be stored as UTF-8 text. Raw (unescaped) UTF-8 is taken as is.

const hexDigits = "0123456789abcdef"

// needsEscape reports whether byte c cannot be written as itself.
func needsEscape(c byte) bool { return c < 0x20 || c >= 0x7f || c == '\\' }

// appendEscaped appends s to dst escaped as Python's unicode_escape codec does.
func appendEscaped(dst []byte, s string) []byte {
	i := 0
	for i < len(s) && !needsEscape(s[i]) {
		i++
	}
	dst = append(dst, s[:i]...)
	for i < len(s) {
		c := s[i]
		if !needsEscape(c) {
			dst = append(dst, c)
			i++
			continue
		}
		if c < utf8.RuneSelf {
			i++
			switch c {
			case '\\':
				dst = append(dst, '\\', '\\')
			case '\t':
				dst = append(dst, '\\', 't')
			case '\n':
				dst = append(dst, '\\', 'n')
			case '\r':
				dst = append(dst, '\\', 'r')
			default:
				dst = append(dst, '\\', 'x', hexDigits[c>>4], hexDigits[c&0xf])
			}
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		i += size
		dst = appendRuneEscape(dst, r)
	}
	return dst
}

// appendRuneEscape appends the escape of a non-ASCII rune.
func appendRuneEscape(dst []byte, r rune) []byte {
	switch {
	case r < 0x100:
		return append(dst, '\\', 'x', hexDigits[r>>4], hexDigits[r&0xf])
	case r < 0x10000:
		return append(dst, '\\', 'u',
			hexDigits[r>>12&0xf], hexDigits[r>>8&0xf], hexDigits[r>>4&0xf], hexDigits[r&0xf])
	default:
		return append(dst, '\\', 'U',
			hexDigits[r>>28&0xf], hexDigits[r>>24&0xf], hexDigits[r>>20&0xf], hexDigits[r>>16&0xf],
			hexDigits[r>>12&0xf], hexDigits[r>>8&0xf], hexDigits[r>>4&0xf], hexDigits[r&0xf])
	}
}

// unescape decodes the backslash escapes of s. On failure it returns the error's code and
// reason.
func unescape(s string) (string, ErrorCode, string) {
	var buf strings.Builder
	buf.Grow(len(s))
	for i := 0; i < len(s); {
		j := strings.IndexByte(s[i:], '\\')
		if j < 0 {
			buf.WriteString(s[i:])
			break
		}
		buf.WriteString(s[i : i+j])
		i += j
		if i+1 >= len(s) {
			return "", CodeEscape, `"\" at end of field`
		}
		c := s[i+1]
		i += 2
		switch c {
		case '\\', '\'', '"':
			buf.WriteByte(c)
		case 'a':
			buf.WriteByte('\a')
		case 'b':
			buf.WriteByte('\b')
		case 'f':
			buf.WriteByte('\f')
		case 'n':
			buf.WriteByte('\n')
		case 'r':
			buf.WriteByte('\r')
		case 't':
			buf.WriteByte('\t')
		case 'v':
			buf.WriteByte('\v')
		case '0', '1', '2', '3', '4', '5', '6', '7':
			r := rune(c - '0')
			for n := 0; n < 2 && i < len(s) && s[i] >= '0' && s[i] <= '7'; n++ {
				r = r<<3 | rune(s[i]-'0')
				i++
			}
			if r == 0 {
				return "", CodeEncoding, "NUL character"
			}
			buf.WriteRune(r)
		case 'x', 'u', 'U':
			n := 2
			if c == 'u' {
				n = 4
			} else if c == 'U' {
				n = 8
			}
			r, ok := parseHex(s[i:], n)
			if !ok {
				return "", CodeEscape, "truncated \\" + string(c) + strings.Repeat("X", n) + " escape"
			}
			i += n
			switch {
			case r == 0:
				return "", CodeEncoding, "NUL character"
			case r > utf8.MaxRune:
				return "", CodeEscape, "code point above U+10FFFF"
			case r >= 0xD800 && r <= 0xDFFF:
				return "", CodeEscape, "surrogate code point"
			}
			buf.WriteRune(r)
		case 'N':
			return "", CodeEscape, `\N{...} escapes are not supported`
		default:
			// Python keeps an unknown escape as it stands.
			buf.WriteByte('\\')
			buf.WriteByte(c)
		}
	}
	return buf.String(), 0, ""
}

// parseHex reads exactly n hex digits from the start of s.
func parseHex(s string, n int) (rune, bool) {
	if len(s) < n {
		return 0, false
	}
	var r uint32
	for i := range n {
		c := s[i]
		var d byte
		switch {
		case c >= '0' && c <= '9':
			d = c - '0'
		case c >= 'a' && c <= 'f':
			d = c - 'a' + 10
		case c >= 'A' && c <= 'F':
			d = c - 'A' + 10
		default:
			return 0, false
		}
		r = r<<4 | uint32(d)
	}
	if r > utf8.MaxRune {
		return utf8.MaxRune + 1, true
	}
	return rune(r), true
}
