package data

import (
	"bufio"
	"io"
	"unicode/utf8"
)

// lineReader reads lines of any length. A line ends at "\n"; the "\n" and
// one "\r" before it are removed, and so is a "\r" ending the last line. A
// UTF-8 byte order mark at the start of the input is dropped. The last line
// is returned even without a final newline; an input ending in "\n" has no
// extra empty line after it.
//
// A line longer than max bytes (when max > 0) is cut to its first max
// bytes, at a character boundary; the rest is read past without being
// kept, and cut holds the line's whole length.
type lineReader struct {
	br   *bufio.Reader
	buf  []byte // holds lines longer than br's buffer
	n    int    // number of the line last returned (1-based)
	bom  bool   // BOM check done
	done bool
	max  int // bytes kept of a line; 0: all
	cut  int // the length of the line last returned when it was cut, else 0
}

func newLineReader(r io.Reader, max int) *lineReader {
	return &lineReader{br: bufio.NewReaderSize(r, 64<<10), max: max}
}

// keep appends chunk to l.buf up to l.max bytes and counts what it drops
// in l.cut.
func (l *lineReader) keep(chunk []byte) {
	if l.max > 0 && len(l.buf)+len(chunk) > l.max {
		if l.cut == 0 {
			l.cut = len(l.buf)
		}
		l.cut += len(chunk)
		chunk = chunk[:max(l.max-len(l.buf), 0)]
	}
	l.buf = append(l.buf, chunk...)
}

// finish returns a complete line (without its newline) held in chunk or,
// when l.buf holds its start, in l.buf.
func (l *lineReader) finish(chunk []byte, eol int) []byte {
	line := chunk
	if len(l.buf) > 0 || l.cut > 0 || (l.max > 0 && len(chunk)-eol > l.max) {
		l.keep(chunk)
		line = l.buf
		if l.cut > 0 {
			l.cut -= eol // the newline is not the line's
			line = trimPartialRune(line)
			return line
		}
	}
	return trimEOL(line[:len(line)-eol])
}

// trimPartialRune drops an incomplete UTF-8 sequence that a cut left at
// the end of b.
func trimPartialRune(b []byte) []byte {
	for i := len(b) - 1; i >= 0 && i >= len(b)-utf8.UTFMax; i-- {
		if c := b[i]; c < utf8.RuneSelf {
			return b
		} else if utf8.RuneStart(c) {
			if !utf8.FullRune(b[i:]) {
				return b[:i]
			}
			return b
		}
	}
	return b
}

// skipBOM drops a UTF-8 byte order mark at the start of br. It peeks one byte
// first, so it never blocks waiting for bytes a short first line lacks.
func skipBOM(br *bufio.Reader) {
	if b, _ := br.Peek(1); len(b) == 1 && b[0] == utf8BOM[0] {
		if b, _ := br.Peek(3); string(b) == utf8BOM {
			br.Discard(3)
		}
	}
}

// next returns the next line, valid until the following call, or io.EOF.
// Other read errors are returned as they are.
func (l *lineReader) next() ([]byte, error) {
	if l.done {
		return nil, io.EOF
	}
	if !l.bom {
		l.bom = true
		skipBOM(l.br)
	}
	l.buf, l.cut = l.buf[:0], 0
	for {
		chunk, err := l.br.ReadSlice('\n')
		switch err {
		case bufio.ErrBufferFull:
			l.keep(chunk)
			continue
		case nil:
			l.n++
			return l.finish(chunk, 1), nil
		case io.EOF:
			l.done = true
			if len(chunk) == 0 && len(l.buf) == 0 && l.cut == 0 {
				return nil, io.EOF
			}
			l.n++
			return l.finish(chunk, 0), nil
		default:
			return nil, err
		}
	}
}

func trimEOL(b []byte) []byte {
	if n := len(b); n > 0 && b[n-1] == '\r' {
		return b[:n-1]
	}
	return b
}

// LineReader reads bare text, one document per line, for predict.
type LineReader struct {
	lr *lineReader
	in *gunzip
}

// NewLineReader returns a reader of the lines of r, decompressed when r
// holds gzip (told by its first bytes, read at the first Next).
func NewLineReader(r io.Reader) *LineReader {
	g := newGunzip(r, "")
	return &LineReader{lr: newLineReader(g, MaxTextBytes), in: g}
}

// Next returns the next line without its "\n" or "\r\n", with invalid UTF-8
// repaired to U+FFFD; an empty line is returned as "". The last line is
// returned even without a final newline. A line longer than MaxTextBytes
// is cut to its first MaxTextBytes (Cut says so). At the end it returns
// io.EOF.
func (l *LineReader) Next() (string, error) {
	b, err := l.lr.next()
	if err != nil {
		return "", err
	}
	return repair(b), nil
}

// Line returns the number of the line last returned (1-based).
func (l *LineReader) Line() int { return l.lr.n }

// Cut returns the length in bytes of the line last returned when it was
// cut to MaxTextBytes, else 0.
func (l *LineReader) Cut() int { return l.lr.cut }

// Buffered reports whether input is already buffered, so that Next will
// return without waiting for more input. predict uses it to answer an
// interactive stream line by line instead of waiting for a full chunk.
func (l *LineReader) Buffered() bool { return l.lr.br.Buffered() > 0 || l.in.br.Buffered() > 0 }
