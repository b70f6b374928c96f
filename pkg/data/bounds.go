package data

import (
	"fmt"
	"unicode/utf8"
)

// MaxTextBytes bounds the text of one example, so that a single huge line
// cannot cost gigabytes: a longer text is cut to its first MaxTextBytes
// bytes (at a character boundary) as it is read, and Example.Cut says so.
// A fastText line or a line of bare text is cut as a whole, and the rest
// of it is read past without being kept. The longest document of the
// shared data sets (20 Newsgroups) has 75 KB.
const MaxTextBytes = 1 << 20

// MaxRecordBytes bounds one record of csv, tsv and jsonl input as read
// (several lines for a quoted CSV field): such a record cannot be cut
// without losing its structure, so a longer one is a malformed record
// (skipped with SkipBad). Its text is then cut to MaxTextBytes.
const MaxRecordBytes = 16 << 20

// MaxTokenBytes bounds a token: the tokenizer keeps the first
// MaxTokenBytes bytes of a longer one (at a character boundary), so that
// the vocabulary a model file stores in its header stays bounded (the
// longest token of the shared data sets has 180 bytes).
const MaxTokenBytes = 256

// cutText returns s cut to MaxTextBytes at a character boundary, and the
// length of s when it was cut (else 0).
func cutText(s string) (string, int) {
	if len(s) <= MaxTextBytes {
		return s, 0
	}
	n := MaxTextBytes
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n], len(s)
}

// tooLong is the error of a csv, tsv or jsonl record past MaxRecordBytes.
func tooLong(file string, line, n int, format string) *ParseError {
	return malformed(file, line, "a record of %d bytes, more than the %d MiB a %s record may hold (a fastText line's text would be cut; this one cannot be without losing its fields)",
		n, MaxRecordBytes>>20, format)
}

// CutWarning describes an example whose text was cut to MaxTextBytes.
func CutWarning(e *Example) string {
	where := e.File
	if e.Line > 0 {
		where = fmt.Sprintf("%s:%d", e.File, e.Line)
	}
	return fmt.Sprintf("%s: a text of %d bytes, cut to its first %d, the bound of one text; split it into several texts if the rest matters", where, e.Cut, MaxTextBytes)
}
