package data

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"strings"
)

// MaxDecompressedLine bounds one line of gzip-compressed input after
// decompression (for the dir format: one document), so that a small
// compressed file cannot expand into a line that exhausts memory. Plain
// files have no such bound: their size is what is on disk.
const MaxDecompressedLine = 64 << 20

// gzipMagic starts every gzip stream (RFC 1952).
const gzipMagic = "\x1f\x8b"

// damagedError marks an error of the compressed stream: the rest of the
// input cannot be read, so the error ends it even under SkipBad (a class
// folder's document is skipped as an unreadable file is).
type damagedError struct{ error }

func (e damagedError) Unwrap() error { return e.error }

func isDamaged(err error) bool {
	_, ok := errors.AsType[damagedError](err)
	return ok
}

// isGzipName reports whether path ends in .gz (any case).
func isGzipName(path string) bool { return strings.EqualFold(filepath.Ext(path), ".gz") }

// trimGzip removes a final .gz, so that reviews.csv.gz detects as .csv.
func trimGzip(path string) string {
	if isGzipName(path) {
		return path[:len(path)-len(filepath.Ext(path))]
	}
	return path
}

// gunzip is the input of every stream reader: it decompresses gzip, told
// by the magic bytes at the start, and passes anything else through. An
// input named .gz must be gzip. Decompressed, a line may hold at most
// MaxDecompressedLine bytes. The check is lazy, on the first Read, so that
// creating a reader never waits for input (predict answers standard input
// line by line); its errors, and the stream's, are *ParseErrors wrapping
// ErrUnreadable (marked damaged) and are returned again by every later Read.
type gunzip struct {
	br      *bufio.Reader
	name    string
	started bool
	zr      *gzip.Reader // nil: plain input
	err     error
	lines   int   // newlines decompressed so far
	run     int64 // bytes decompressed since the last newline
	limit   int64
}

func newGunzip(r io.Reader, name string) *gunzip {
	return &gunzip{br: bufio.NewReaderSize(r, 64<<10), name: name, limit: MaxDecompressedLine}
}

func (g *gunzip) Read(p []byte) (int, error) {
	if err := g.begin(); err != nil {
		return 0, err
	}
	if g.zr == nil {
		return g.br.Read(p)
	}
	n, err := g.zr.Read(p)
	for chunk := p[:n]; ; {
		i := bytes.IndexByte(chunk, '\n')
		if i < 0 {
			g.run += int64(len(chunk))
			break
		}
		if g.run += int64(i); g.run > g.limit {
			break
		}
		g.lines++
		g.run = 0
		chunk = chunk[i+1:]
	}
	if g.run > g.limit {
		g.err = g.damaged(g.lines+1, "line longer than %d MiB after decompression (is this a text file?)", g.limit>>20)
		return n, g.err
	}
	if err != nil && err != io.EOF {
		g.err = g.damaged(0, "damaged gzip data after %d lines: %v (decompress it to find the damage, or fetch it again)", g.lines, err)
		return n, g.err
	}
	return n, err
}

// begin runs start once; its error stays.
func (g *gunzip) begin() error {
	if !g.started {
		g.started = true
		g.err = g.start()
	}
	return g.err
}

// start decides between gzip and plain input. It peeks one byte first, so
// that a short first line of plain input is never held back.
func (g *gunzip) start() error {
	gz := false
	if b, _ := g.br.Peek(1); len(b) == 1 && b[0] == gzipMagic[0] {
		b, _ = g.br.Peek(2)
		gz = string(b) == gzipMagic
	}
	if !gz {
		if isGzipName(g.name) {
			if _, err := g.br.Peek(1); err == io.EOF {
				return g.damaged(0, "empty file: a .gz file must be gzip-compressed")
			}
			return g.damaged(0, "not gzip-compressed, though its name ends in .gz (rename it without .gz)")
		}
		return nil
	}
	zr, err := gzip.NewReader(g.br)
	if err != nil {
		return g.damaged(0, "damaged gzip header: %v", err)
	}
	g.zr = zr
	return nil
}

func (g *gunzip) damaged(line int, format string, args ...any) *ParseError {
	return &ParseError{File: g.name, Line: line, Err: damagedError{fmt.Errorf("%w: "+format, append([]any{ErrUnreadable}, args...)...)}}
}

// readDocument reads one document of a class folder whole, decompressing
// it when it is gzip (MaxDecompressedLine bounds the document then).
func readDocument(r io.Reader, name string) ([]byte, error) {
	g := newGunzip(r, name)
	if err := g.begin(); err != nil {
		return nil, err
	}
	if g.zr == nil {
		return io.ReadAll(io.LimitReader(g.br, int64(docLimit)))
	}
	var buf bytes.Buffer
	if _, err := buf.ReadFrom(io.LimitReader(g, MaxDecompressedLine+1)); err != nil {
		return nil, err
	}
	if buf.Len() > MaxDecompressedLine {
		return nil, g.damaged(0, "more than %d MiB after decompression", MaxDecompressedLine>>20)
	}
	return buf.Bytes(), nil
}

// docLimit is what readDocument keeps of a plain document: enough to cut
// its text to MaxTextBytes after a byte order mark and to know it is
// longer.
const docLimit = MaxTextBytes + len(utf8BOM) + 1
