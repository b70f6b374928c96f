package pipeline

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"unicode"

	"github.com/lstmctl/lstmctl/pkg/data"
)

// FormatLines is predict's input format of bare text, one document per
// line (PredictLines); it is not a training format.
const FormatLines = "lines"

// PredictFormats lists the input formats of predict, auto first.
var PredictFormats = append([]string{data.FormatAuto, FormatLines}, data.Formats...)

// ErrPredictFormat is an input format predict does not know.
var ErrPredictFormat = errors.New("unknown input format")

// PredictFormat resolves the input format of predict for path ("-" =
// standard input). A format other than auto (or "") is checked and
// returned. For auto: standard input is lines; a directory is dir; .csv,
// .tsv, .jsonl and .ndjson are by their extension; a .txt file is fasttext
// when its first non-empty line starts with labelPrefix, else lines; any
// other file is lines.
func PredictFormat(path, format, labelPrefix string) (string, error) {
	if format != "" && format != data.FormatAuto {
		if !slices.Contains(PredictFormats, format) {
			return "", fmt.Errorf("%w %q (want %s)", ErrPredictFormat, format, strings.Join(PredictFormats, ", "))
		}
		return format, nil
	}
	if path == Stdin {
		return FormatLines, nil
	}
	if fi, err := os.Stat(path); err == nil && fi.IsDir() {
		return data.FormatDir, nil
	}
	switch strings.ToLower(filepath.Ext(path)) {
	case ".csv", ".tsv", ".jsonl", ".ndjson":
		return data.DetectFormat(path, data.FormatAuto)
	case ".txt":
		labelled, err := startsWithLabel(path, labelPrefix)
		if err != nil {
			return "", err
		}
		if labelled {
			return data.FormatFastText, nil
		}
	}
	return FormatLines, nil
}

// startsWithLabel reports whether the first non-empty line of the file
// starts with the label prefix (never, for an empty prefix). It reads no
// more than the white space before that line's first character and the
// prefix's length, however long the line.
func startsWithLabel(path, prefix string) (bool, error) {
	if prefix == "" {
		return false, nil
	}
	f, err := os.Open(path)
	if err != nil {
		return false, err
	}
	defer f.Close()
	br := bufio.NewReader(f)
	for {
		r, _, err := br.ReadRune()
		if err == io.EOF {
			return false, nil
		}
		if err != nil {
			return false, fmt.Errorf("%s: %w", path, err)
		}
		if unicode.IsSpace(r) || r == '\ufeff' { // white space, or a byte order mark
			continue
		}
		if err := br.UnreadRune(); err != nil {
			return false, err
		}
		b, _ := br.Peek(len(prefix))
		return string(b) == prefix, nil
	}
}

// Records is a stream of texts to predict, such as a *data.Reader; Next
// returns io.EOF at the end.
type Records interface {
	Next() (data.Example, error)
}

// RecordSink takes the predictions of records.
type RecordSink interface {
	// PutRecord takes the probabilities of one record and its id (empty
	// without an id column); probs is reused after it returns.
	PutRecord(id string, probs []float32) error
	// Flush ends a chunk of records.
	Flush() error
}

// PredictRecords predicts the text of every record of r and puts the
// probabilities into sink, one per record, in order. Records are encoded
// and run in chunks as PredictLines does, so a text gets the same
// probabilities either way. ctx is checked before each chunk.
func (p *Predictor) PredictRecords(ctx context.Context, r Records, sink RecordSink) error {
	var ids []string // the ids of the chunk held
	k := 0           // the next id to put
	put := func(probs []float32) error {
		k++
		return sink.PutRecord(ids[k-1], probs)
	}
	s := funcSink{put: put, flush: sink.Flush}
	if err := p.checkMemory(); err != nil {
		return err
	}
	var name string // the records' file, for the warnings of cut texts
	p.cuts = cutWarner{warn: p.Warn}
	defer func() { p.cuts.end(name) }()
	for {
		ex, err := r.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return err
		}
		if ex.File != name { // a reader over several files: count each apart
			p.cuts.end(name)
			name = ex.File
		}
		p.cuts.note(&ex)
		p.encode(ex.Text)
		ids = append(ids, ex.ID)
		if len(p.seqs) == predictChunk {
			if err := p.flush(ctx, s); err != nil {
				return err
			}
			ids, k = ids[:0], 0
		}
	}
	return p.flush(ctx, s)
}

// funcSink is a Sink of two functions.
type funcSink struct {
	put   func([]float32) error
	flush func() error
}

func (s funcSink) Put(probs []float32) error { return s.put(probs) }
func (s funcSink) Flush() error              { return s.flush() }

// OpenRecords opens path ("-" = stdin, read from in) in a record format
// (fasttext, csv, tsv, jsonl, dir) for prediction, by the model's data
// settings: its text columns and label prefix; labels are not needed, and
// a fastText line's labels are dropped. idColumn, when set, names the
// column or field copied into each record's ID. Close the Reader after use.
func (m *Model) OpenRecords(path, format, idColumn string, in io.Reader) (*data.Reader, error) {
	ro := data.ReadOptionsFrom(m.Config.Data, false)
	ro.Format, ro.Unlabelled, ro.IDColumn = format, true, idColumn
	if path != Stdin {
		return data.Open(path, ro)
	}
	if in == nil {
		return nil, fmt.Errorf("pipeline: %q names standard input, and there is none", Stdin)
	}
	return data.NewReader(in, stdinName, ro)
}
