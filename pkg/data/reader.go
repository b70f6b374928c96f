package data

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
)

// Example is one labelled text as read from an input.
type Example struct {
	Text  string // valid UTF-8, possibly empty
	Label string // class name, never empty (with several labels, the first)
	// Labels lists every label of a record with several (len >= 2,
	// distinct, in the order read); nil for a record with one label.
	Labels []string
	File   string // input name; for the dir format the document's path
	Line   int    // 1-based line (CSV: line where the record starts); 0 for the dir format
	ID     string // the id column's value (ReadOptions.IDColumn), else ""
	// Cut is the length in bytes of the text (for fastText, of the line)
	// before it was cut to MaxTextBytes; 0 when it is whole.
	Cut int
}

// AllLabels returns the labels of e: Labels, or Label alone.
func (e *Example) AllLabels() []string {
	if len(e.Labels) > 0 {
		return e.Labels
	}
	return []string{e.Label}
}

// withLabels sets the labels of e from a list of distinct labels (at
// least one).
func (e Example) withLabels(labels []string) Example {
	e.Label = labels[0]
	if len(labels) > 1 {
		e.Labels = labels
	}
	return e
}

// source is one input format.
type source interface {
	next() (Example, error)
}

// Reader streams the examples of one input. It is not safe for concurrent use.
type Reader struct {
	name    string
	format  string
	src     source
	skipBad bool
	skipped int
	closer  io.Closer
	err     error // sticky: io.EOF or a read error
}

// stdinName names standard input in examples and errors.
const stdinName = "<stdin>"

// DetectFormat resolves format for path. A concrete format is checked and
// returned as is. For "auto" (or ""): "-" (stdin) is fasttext, a directory is
// dir, and otherwise the extension decides: .txt fasttext, .csv csv, .tsv tsv,
// .jsonl and .ndjson jsonl (case-insensitive), looking through a final .gz
// (reviews.csv.gz is csv). Any other extension is an error asking for
// data.format.
func DetectFormat(path, format string) (string, error) {
	if err := checkFormat(format); err != nil {
		return "", err
	}
	if format != "" && format != FormatAuto {
		return format, nil
	}
	if path == "-" || path == stdinName {
		return FormatFastText, nil
	}
	if fi, err := os.Stat(path); err == nil && fi.IsDir() {
		return FormatDir, nil
	}
	switch strings.ToLower(filepath.Ext(trimGzip(path))) {
	case ".txt":
		return FormatFastText, nil
	case ".csv":
		return FormatCSV, nil
	case ".tsv":
		return FormatTSV, nil
	case ".jsonl", ".ndjson":
		return FormatJSONL, nil
	}
	return "", fmt.Errorf("%w: cannot tell the format of %q from its extension (known: .txt .csv .tsv .jsonl .ndjson, each also with .gz, or a directory); set data.format (--data-format) to fasttext, csv, tsv, jsonl or dir", ErrFormat, path)
}

// Open opens path ("-" = standard input) for reading with opt. CSV and TSV
// headers are read here, so a missing column is reported by Open.
func Open(path string, opt ReadOptions) (*Reader, error) {
	format, err := DetectFormat(path, opt.Format)
	if err != nil {
		return nil, err
	}
	opt.Format = format
	if path == "-" {
		if format == FormatDir {
			return nil, fmt.Errorf("data: the dir format cannot read standard input")
		}
		r, err := NewReader(os.Stdin, stdinName, opt)
		return r, err
	}
	if format == FormatDir {
		src, err := newDirSource(path)
		if err != nil {
			return nil, err
		}
		return &Reader{name: path, format: format, src: src, skipBad: opt.SkipBad}, nil
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("data: %w", err)
	}
	if fi, err := f.Stat(); err == nil && fi.IsDir() {
		f.Close()
		return nil, fmt.Errorf("data: %s is a directory; format %s needs a file (use format dir for class folders)", path, format)
	}
	r, err := NewReader(f, path, opt)
	if err != nil {
		f.Close()
		return nil, err
	}
	r.closer = f
	return r, nil
}

// NewReader reads a stream format (fasttext, csv, tsv, jsonl) from r; name
// is used in examples and errors. With format auto the format is detected
// from name's extension. Gzip-compressed input (told by its first bytes) is
// decompressed; a name ending in .gz must hold gzip. Closing the Reader
// does not close r.
func NewReader(r io.Reader, name string, opt ReadOptions) (*Reader, error) {
	if name == "" {
		name = "<input>"
	}
	format, err := DetectFormat(name, opt.Format)
	if err != nil {
		return nil, err
	}
	if format != FormatDir {
		r = newGunzip(r, name)
	}
	var src source
	switch format {
	case FormatFastText:
		// A valid prefix can only match whole runes of a repaired line.
		src = &fastTextSource{lr: newLineReader(r, MaxTextBytes), name: name, prefix: repairString(opt.LabelPrefix), unlabelled: opt.Unlabelled}
	case FormatCSV:
		src, err = newCSVSource(r, name, opt)
	case FormatTSV:
		src, err = newTSVSource(r, name, opt)
	case FormatJSONL:
		src, err = newJSONLSource(r, name, opt)
	case FormatDir:
		return nil, fmt.Errorf("data: the dir format needs a directory path, not a stream")
	}
	if err != nil {
		return nil, err
	}
	return &Reader{name: name, format: format, src: src, skipBad: opt.SkipBad}, nil
}

// Format returns the resolved format name.
func (r *Reader) Format() string { return r.format }

// Next returns the next example, or io.EOF at the end. A malformed record is
// a *ParseError; with SkipBad it is skipped and counted instead. Read errors
// are returned as they are (wrapped) and end the stream.
func (r *Reader) Next() (Example, error) {
	if r.err != nil {
		return Example{}, r.err
	}
	for {
		ex, err := r.src.next()
		if err == nil {
			return ex, nil
		}
		var pe *ParseError
		if errors.As(err, &pe) {
			if r.skipBad && (r.format == FormatDir || !isDamaged(err)) {
				r.skipped++
				continue
			}
			return Example{}, err
		}
		if err != io.EOF {
			err = fmt.Errorf("data: read %s: %w", r.name, err)
		}
		r.err = err
		return Example{}, err
	}
}

// Skipped returns how many malformed records were skipped so far.
func (r *Reader) Skipped() int { return r.skipped }

// Close closes the file opened by Open (not standard input, and not the
// io.Reader given to NewReader).
func (r *Reader) Close() error {
	if r.closer == nil {
		return nil
	}
	err := r.closer.Close()
	r.closer = nil
	return err
}

// ReadAll reads every example of path. skipped counts the malformed records
// skipped under opt.SkipBad. An input without any example is a *ParseError
// wrapping ErrEmpty.
func ReadAll(path string, opt ReadOptions) (ex []Example, skipped int, err error) {
	r, err := Open(path, opt)
	if err != nil {
		return nil, 0, err
	}
	for {
		e, err := r.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			r.Close()
			return nil, r.Skipped(), err
		}
		ex = append(ex, e)
	}
	if err := r.Close(); err != nil {
		return nil, r.Skipped(), fmt.Errorf("data: close %s: %w", path, err)
	}
	if len(ex) == 0 {
		name := path
		if path == "-" {
			name = stdinName
		}
		return nil, r.Skipped(), &ParseError{File: name, Err: ErrEmpty}
	}
	return ex, r.Skipped(), nil
}
