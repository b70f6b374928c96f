package data

import (
	"bufio"
	"io"
)

// lineReader reads lines of any length. A line ends at "\n"; the "\n" and
// one "\r" before it are removed, and so is a "\r" ending the last line. A
// UTF-8 byte order mark at the start of the input is dropped. The last line
// is returned even without a final newline; an input ending in "\n" has no
// extra empty line after it.
type lineReader struct {
	br   *bufio.Reader
	buf  []byte // holds lines longer than br's buffer
	n    int    // number of the line last returned (1-based)
	bom  bool   // BOM check done
	done bool
}

func newLineReader(r io.Reader) *lineReader {
	return &lineReader{br: bufio.NewReaderSize(r, 64<<10)}
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
	l.buf = l.buf[:0]
	for {
		chunk, err := l.br.ReadSlice('\n')
		switch err {
		case bufio.ErrBufferFull:
			l.buf = append(l.buf, chunk...)
			continue
		case nil:
			line := chunk
			if len(l.buf) > 0 {
				l.buf = append(l.buf, chunk...)
				line = l.buf
			}
			l.n++
			return trimEOL(line[:len(line)-1]), nil
		case io.EOF:
			l.done = true
			line := chunk
			if len(l.buf) > 0 {
				l.buf = append(l.buf, chunk...)
				line = l.buf
			}
			if len(line) == 0 {
				return nil, io.EOF
			}
			l.n++
			return trimEOL(line), nil
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
	return &LineReader{lr: newLineReader(g), in: g}
}

// Next returns the next line without its "\n" or "\r\n", with invalid UTF-8
// repaired to U+FFFD; an empty line is returned as "". The last line is
// returned even without a final newline. At the end it returns io.EOF.
func (l *LineReader) Next() (string, error) {
	b, err := l.lr.next()
	if err != nil {
		return "", err
	}
	return repair(b), nil
}

// Line returns the number of the line last returned (1-based).
func (l *LineReader) Line() int { return l.lr.n }

// Buffered reports whether input is already buffered, so that Next will
// return without waiting for more input. predict uses it to answer an
// interactive stream line by line instead of waiting for a full chunk.
func (l *LineReader) Buffered() bool { return l.lr.br.Buffered() > 0 || l.in.br.Buffered() > 0 }
