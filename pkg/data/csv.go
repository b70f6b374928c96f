package data

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
)

// columns maps the configured label, text and id columns to header
// positions (label and id -1 when not read).
type columns struct {
	label int
	text  []int
	id    int
	n     int    // number of header fields
	sep   string // splits a label field into several labels ("" = never)
}

// The flags that name each kind of column, for the errors of a header
// that lacks one.
const (
	fixLabelColumn = "name the label column with --label-column (data.label_column)"
	fixTextColumn  = "name the text column with --text-column (data.text_columns; repeat it to join several)"
	fixIDColumn    = "name the id column with --id-column"
)

func findColumns(file string, header []string, opt ReadOptions) (columns, error) {
	c := columns{label: -1, id: -1, n: len(header), sep: opt.LabelSeparator}
	index := func(name string) int {
		for i, h := range header {
			if h == name {
				return i
			}
		}
		return -1
	}
	var missing []string // what the header lacks, and the flag that fixes it
	lack := func(kind, name, fix string) {
		missing = append(missing, fmt.Sprintf("no %s column %q: %s", kind, name, fix))
	}
	if opt.LabelColumn == "" && !opt.Unlabelled {
		return c, fmt.Errorf("data: no label column configured")
	}
	if len(opt.TextColumns) == 0 {
		return c, fmt.Errorf("data: no text columns configured")
	}
	if !opt.Unlabelled {
		if c.label = index(opt.LabelColumn); c.label < 0 {
			lack("label", opt.LabelColumn, fixLabelColumn)
		}
	}
	for _, name := range opt.TextColumns {
		i := index(name)
		if i < 0 {
			lack("text", name, fixTextColumn)
		}
		c.text = append(c.text, i)
	}
	if opt.IDColumn != "" {
		if c.id = index(opt.IDColumn); c.id < 0 {
			lack("id", opt.IDColumn, fixIDColumn)
		}
	}
	if len(missing) > 0 {
		return c, malformed(file, 1, "the header (columns: %s) has %s", strings.Join(header, ", "), strings.Join(missing, "; and "))
	}
	return c, nil
}

// example builds the example of one record whose fields are valid UTF-8.
func (c *columns) example(file string, line int, fields []string) (Example, error) {
	var label, id string
	if c.label >= 0 {
		if label = fields[c.label]; label == "" {
			return Example{}, malformed(file, line, "empty label")
		}
	}
	if c.id >= 0 {
		id = fields[c.id]
	}
	var labels []string
	if c.sep != "" && strings.Contains(label, c.sep) {
		var err error
		if labels, err = splitLabels(file, line, label, c.sep); err != nil {
			return Example{}, err
		}
		label = labels[0]
		if len(labels) == 1 {
			labels = nil
		}
	}
	var text string
	if len(c.text) == 1 {
		text = fields[c.text[0]]
	} else {
		var sb strings.Builder
		for k, i := range c.text {
			if k > 0 {
				sb.WriteByte(' ')
			}
			sb.WriteString(fields[i])
		}
		text = sb.String()
	}
	text, cut := cutText(text)
	return Example{Text: text, Label: label, Labels: labels, File: file, Line: line, ID: id, Cut: cut}, nil
}

// splitLabels splits a label field at sep into its labels, each trimmed
// of surrounding white space, repeats dropped; an empty one is malformed.
func splitLabels(file string, line int, field, sep string) ([]string, error) {
	var labels []string
	for _, l := range strings.Split(field, sep) {
		l = strings.TrimSpace(l)
		if l == "" {
			return nil, malformed(file, line, "empty label in %s (labels separated by %q, data.label_separator)", short(field), sep)
		}
		if !slices.Contains(labels, l) {
			labels = append(labels, l)
		}
	}
	return labels, nil
}

// csvSource reads RFC 4180 CSV with a header row (LazyQuotes off; every
// record must have as many fields as the header; blank lines are skipped;
// "\r\n" inside quoted fields becomes "\n"). It assembles each record from
// lines itself, a quoted field spanning lines while its quotes are
// unbalanced, and parses it with encoding/csv: so a quote left open ends
// its record at the line where it started, not at the end of the file, and
// with SkipBad the lines after it are read again as records of their own.
type csvSource struct {
	lr      *lineReader
	pending []csvLine // lines read ahead of an unterminated record
	name    string
	cols    columns
	eof     bool
}

// csvLine is a line of input and its number.
type csvLine struct {
	n    int
	text string
	cut  int // the line's length when the line reader cut it
}

// maxRecordLines bounds the lines one quoted record may span before its
// opening quote counts as unterminated.
const maxRecordLines = 10000

func newCSVSource(r io.Reader, name string, opt ReadOptions) (*csvSource, error) {
	s := &csvSource{lr: newLineReader(r, MaxRecordBytes), name: name}
	line, header, err := s.record()
	if err == io.EOF {
		s.eof = true
		return s, nil
	}
	if err != nil {
		return nil, err
	}
	for i := range header {
		header[i] = repairString(header[i])
	}
	if s.cols, err = findColumns(name, header, opt); err != nil {
		if pe, ok := err.(*ParseError); ok {
			pe.Line = line
		}
		return nil, err
	}
	return s, nil
}

// take returns the next line, pushed-back lines first.
func (s *csvSource) take() (csvLine, error) {
	if len(s.pending) > 0 {
		l := s.pending[0]
		s.pending = s.pending[1:]
		return l, nil
	}
	b, err := s.lr.next()
	if err != nil {
		return csvLine{}, err
	}
	return csvLine{n: s.lr.n, text: string(b), cut: s.lr.cut}, nil
}

// record returns the next record's first line number and fields.
func (s *csvSource) record() (int, []string, error) {
	first, err := s.take()
	for err == nil && first.text == "" {
		first, err = s.take()
	}
	if err != nil {
		return 0, nil, err
	}
	if first.cut > 0 {
		return 0, nil, tooLong(s.name, first.n, first.cut, "csv")
	}
	text := first.text
	quotes := strings.Count(text, `"`)
	var more []csvLine
	for quotes%2 == 1 {
		next, err := s.take()
		if err != nil && err != io.EOF {
			return 0, nil, err
		}
		big := err == nil && (next.cut > 0 || len(text)+1+len(next.text) > MaxRecordBytes)
		if err == io.EOF || len(more) == maxRecordLines || big {
			if err == nil {
				more = append(more, next)
			}
			s.pending = append(more, s.pending...)
			if big {
				return 0, nil, tooLong(s.name, first.n, len(text)+1+max(next.cut, len(next.text)), "csv")
			}
			return 0, nil, malformed(s.name, first.n, "a quoted field opened here is not closed; the record ends at this line")
		}
		more = append(more, next)
		text += "\n" + next.text
		quotes += strings.Count(next.text, `"`)
	}
	cr := csv.NewReader(strings.NewReader(text))
	cr.FieldsPerRecord = -1
	rec, err := cr.Read()
	if err != nil {
		if len(more) > 0 && errors.Is(err, csv.ErrQuote) {
			// The quote that opened the record was not a quoted field's
			// (a later line closed some other): the record is its first
			// line, and parsing resumes at the next.
			s.pending = append(more, s.pending...)
			return 0, nil, malformed(s.name, first.n, "a quoted field opened here is not closed; the record ends at this line")
		}
		return 0, nil, s.readErr(err, first.n)
	}
	return first.n, rec, nil
}

// readErr turns encoding/csv's error about a record starting at line
// first into a ParseError of the file.
func (s *csvSource) readErr(err error, first int) error {
	var pe *csv.ParseError
	if !errors.As(err, &pe) {
		return err
	}
	if line := first + pe.Line - 1; line != first {
		return malformed(s.name, first, "%v (at line %d, column %d)", pe.Err, line, pe.Column)
	}
	return malformed(s.name, first, "%v (column %d)", pe.Err, pe.Column)
}

func (s *csvSource) next() (Example, error) {
	if s.eof {
		return Example{}, io.EOF
	}
	line, rec, err := s.record()
	if err == io.EOF {
		s.eof = true
		return Example{}, io.EOF
	}
	if err != nil {
		return Example{}, err
	}
	if len(rec) != s.cols.n {
		return Example{}, malformed(s.name, line, "%d fields, the header has %d", len(rec), s.cols.n)
	}
	for i := range rec {
		rec[i] = repairString(rec[i])
	}
	return s.cols.example(s.name, line, rec)
}

// tsvSource reads tab-separated values with a header row. There is no
// quoting at all (quotes are ordinary characters: SST-2 texts contain them),
// so a field cannot hold a tab or a newline. Every line must have as many
// fields as the header; blank lines are skipped.
type tsvSource struct {
	lr     *lineReader
	name   string
	cols   columns
	fields []string
	eof    bool
}

func newTSVSource(r io.Reader, name string, opt ReadOptions) (*tsvSource, error) {
	s := &tsvSource{lr: newLineReader(r, MaxRecordBytes), name: name}
	for {
		raw, err := s.lr.next()
		if err == io.EOF {
			s.eof = true
			return s, nil
		}
		if err != nil {
			return nil, fmt.Errorf("data: read %s: %w", name, err)
		}
		if len(raw) == 0 {
			continue
		}
		header := strings.Split(repair(raw), "\t")
		if s.cols, err = findColumns(name, header, opt); err != nil {
			if pe, ok := err.(*ParseError); ok {
				pe.Line = s.lr.n
			}
			return nil, err
		}
		return s, nil
	}
}

func (s *tsvSource) next() (Example, error) {
	if s.eof {
		return Example{}, io.EOF
	}
	for {
		raw, err := s.lr.next()
		if err != nil {
			return Example{}, err
		}
		if s.lr.cut > 0 {
			return Example{}, tooLong(s.name, s.lr.n, s.lr.cut, "tsv")
		}
		if len(raw) == 0 {
			continue
		}
		line := repair(raw)
		if n := strings.Count(line, "\t") + 1; n != s.cols.n {
			return Example{}, malformed(s.name, s.lr.n, "%d fields, the header has %d", n, s.cols.n)
		}
		s.fields = s.fields[:0]
		for {
			i := strings.IndexByte(line, '\t')
			if i < 0 {
				s.fields = append(s.fields, line)
				break
			}
			s.fields = append(s.fields, line[:i])
			line = line[i+1:]
		}
		return s.cols.example(s.name, s.lr.n, s.fields)
	}
}
