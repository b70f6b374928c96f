package data

import (
	"unicode/utf8"
)

// utf8BOM is the byte order mark removed from the start of every input.
const utf8BOM = "\xEF\xBB\xBF"

// repair returns b as a valid UTF-8 string. Each maximal ill-formed
// subsequence (Unicode §3.9, "substitution of maximal subparts") becomes one
// U+FFFD, which is what Python's b.decode("utf-8", "replace") does: a lone
// Latin-1 byte gives one U+FFFD, a truncated 3-byte sequence gives one.
func repair(b []byte) string {
	if utf8.Valid(b) {
		return string(b)
	}
	out := make([]byte, 0, len(b)+8)
	for i := 0; i < len(b); {
		c := b[i]
		if c < utf8.RuneSelf {
			out = append(out, c)
			i++
			continue
		}
		r, w := utf8.DecodeRune(b[i:])
		if r != utf8.RuneError || w > 1 {
			out = append(out, b[i:i+w]...)
			i += w
			continue
		}
		out = append(out, "\uFFFD"...)
		i += invalidLen(b[i:])
	}
	return string(out)
}

// repairString is repair for a string; it returns s itself when valid.
func repairString(s string) string {
	if utf8.ValidString(s) {
		return s
	}
	return repair([]byte(s))
}

// invalidLen returns the length of the maximal ill-formed subpart at the
// start of p, where utf8.DecodeRune reported an error: the lead byte plus the
// continuation bytes that could still have completed a well-formed sequence
// (Unicode Table 3-7).
func invalidLen(p []byte) int {
	lo, hi := byte(0x80), byte(0xBF)
	n := 0
	switch c := p[0]; {
	case c >= 0xC2 && c <= 0xDF:
		n = 2
	case c == 0xE0:
		n, lo = 3, 0xA0
	case c == 0xED:
		n, hi = 3, 0x9F
	case c >= 0xE1 && c <= 0xEF:
		n = 3
	case c == 0xF0:
		n, lo = 4, 0x90
	case c >= 0xF1 && c <= 0xF3:
		n = 4
	case c == 0xF4:
		n, hi = 4, 0x8F
	default:
		return 1
	}
	if len(p) < 2 || p[1] < lo || p[1] > hi {
		return 1
	}
	i := 2
	for i < n && i < len(p) && p[i] >= 0x80 && p[i] <= 0xBF {
		i++
	}
	return i
}
