package data

import (
	"bufio"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strings"
)

// columns maps the configured label, text and id columns to header
// positions (label and id -1 when not read).
type columns struct {
	label int
	text  []int
	id    int
	n     int // number of header fields
}

// The flags that name each kind of column, for the errors of a header
// that lacks one.
const (
	fixLabelColumn = "name the label column with --label-column (data.label_column)"
	fixTextColumn  = "name the text column with --text-column (data.text_columns; repeat it to join several)"
	fixIDColumn    = "name the id column with --id-column"
)

func findColumns(file string, header []string, opt ReadOptions) (columns, error) {
	c := columns{label: -1, id: -1, n: len(header)}
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
	return Example{Text: text, Label: label, File: file, Line: line, ID: id}, nil
}

// csvSource reads RFC 4180 CSV with a header row through encoding/csv
// (LazyQuotes off; every record must have as many fields as the header;
// blank lines are skipped; "\r\n" inside quoted fields becomes "\n").
type csvSource struct {
	cr   *csv.Reader
	name string
	cols columns
	eof  bool
}

func newCSVSource(r io.Reader, name string, opt ReadOptions) (*csvSource, error) {
	br := bufio.NewReaderSize(r, 64<<10)
	skipBOM(br)
	cr := csv.NewReader(br)
	cr.ReuseRecord = true
	s := &csvSource{cr: cr, name: name}
	header, err := cr.Read()
	if err == io.EOF {
		s.eof = true
		return s, nil
	}
	if err != nil {
		return nil, s.readErr(err, nil)
	}
	for i := range header {
		header[i] = repairString(header[i])
	}
	if s.cols, err = findColumns(name, header, opt); err != nil {
		if pe, ok := err.(*ParseError); ok {
			pe.Line, _ = cr.FieldPos(0) // blank lines before the header are skipped
		}
		return nil, err
	}
	return s, nil
}

func (s *csvSource) readErr(err error, rec []string) error {
	var pe *csv.ParseError
	if !errors.As(err, &pe) {
		return err
	}
	if errors.Is(pe.Err, csv.ErrFieldCount) {
		return malformed(s.name, pe.StartLine, "%d fields, the header has %d", len(rec), s.cols.n)
	}
	if pe.Line != pe.StartLine {
		return malformed(s.name, pe.StartLine, "%v (at line %d, column %d)", pe.Err, pe.Line, pe.Column)
	}
	return malformed(s.name, pe.StartLine, "%v (column %d)", pe.Err, pe.Column)
}

func (s *csvSource) next() (Example, error) {
	if s.eof {
		return Example{}, io.EOF
	}
	rec, err := s.cr.Read()
	if err == io.EOF {
		s.eof = true
		return Example{}, io.EOF
	}
	if err != nil {
		return Example{}, s.readErr(err, rec)
	}
	line, _ := s.cr.FieldPos(0)
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
	s := &tsvSource{lr: newLineReader(r), name: name}
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
