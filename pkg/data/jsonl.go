package data

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"
)

// jsonlSource reads JSON Lines: one JSON object per line, the label in the
// field named by the label column (a string, or a number taken literally as
// written, e.g. 1 -> "1", or a list of them: a list of several labels is a
// multi-label record), the text in the fields named by the text columns
// (strings; several are joined with one space). Other fields are ignored; a
// repeated key keeps its last value. Blank lines are skipped. Invalid UTF-8
// is repaired before decoding.
type jsonlSource struct {
	lr   *lineReader
	name string
	opt  ReadOptions
	obj  map[string]json.RawMessage
}

func newJSONLSource(r io.Reader, name string, opt ReadOptions) (*jsonlSource, error) {
	if opt.LabelColumn == "" && !opt.Unlabelled {
		return nil, fmt.Errorf("data: no label field configured")
	}
	if len(opt.TextColumns) == 0 {
		return nil, fmt.Errorf("data: no text fields configured")
	}
	return &jsonlSource{lr: newLineReader(r, MaxRecordBytes), name: name, opt: opt}, nil
}

func (s *jsonlSource) next() (Example, error) {
	for {
		raw, err := s.lr.next()
		if err != nil {
			return Example{}, err
		}
		if s.lr.cut > 0 {
			return Example{}, tooLong(s.name, s.lr.n, s.lr.cut, "jsonl")
		}
		if len(bytes.TrimSpace(raw)) == 0 {
			continue
		}
		line := []byte(repair(raw))
		clear(s.obj)
		if err := json.Unmarshal(line, &s.obj); err != nil || s.obj == nil {
			msg := "not a JSON object"
			if err != nil {
				msg = err.Error()
			}
			return Example{}, malformed(s.name, s.lr.n, "invalid JSON: %s", msg)
		}
		n := s.lr.n
		var labels []string
		var id string
		if !s.opt.Unlabelled {
			lv, ok := s.obj[s.opt.LabelColumn]
			if !ok {
				return Example{}, malformed(s.name, n, "no field %q; %s", s.opt.LabelColumn, fixLabelColumn)
			}
			if labels, err = s.label(lv, n); err != nil {
				return Example{}, err
			}
		}
		if s.opt.IDColumn != "" {
			if id, err = s.scalar(n, s.opt.IDColumn, fixIDColumn); err != nil {
				return Example{}, err
			}
		}
		var sb strings.Builder
		var text string
		for k, col := range s.opt.TextColumns {
			tv, ok := s.obj[col]
			if !ok {
				return Example{}, malformed(s.name, n, "no field %q; %s", col, fixTextColumn)
			}
			if firstByte(tv) != '"' {
				return Example{}, malformed(s.name, n, "field %q must be a string, got %s", col, short(string(tv)))
			}
			var t string
			if err := json.Unmarshal(tv, &t); err != nil {
				return Example{}, malformed(s.name, n, "field %q: %v", col, err)
			}
			if len(s.opt.TextColumns) == 1 {
				text = t
				break
			}
			if k > 0 {
				sb.WriteByte(' ')
			}
			sb.WriteString(t)
			text = sb.String()
		}
		text, cut := cutText(text)
		ex := Example{Text: text, File: s.name, Line: n, ID: id, Cut: cut}
		if labels != nil {
			ex = ex.withLabels(labels)
		}
		return ex, nil
	}
}

// scalar returns the field col of the current object, a string or a
// number taken as written; fix says which flag names the field.
func (s *jsonlSource) scalar(line int, col, fix string) (string, error) {
	v, ok := s.obj[col]
	if !ok {
		return "", malformed(s.name, line, "no field %q; %s", col, fix)
	}
	switch c := firstByte(v); {
	case c == '"':
		var str string
		if err := json.Unmarshal(v, &str); err != nil {
			return "", malformed(s.name, line, "field %q: %v", col, err)
		}
		return str, nil
	case c == '-' || (c >= '0' && c <= '9'):
		return string(v), nil
	}
	return "", malformed(s.name, line, "field %q must be a string or a number, got %s", col, short(string(v)))
}

// label reads the label field's value lv: a string, a number, or a list
// of them (repeats dropped). A list of several labels is a multi-label
// record.
func (s *jsonlSource) label(lv json.RawMessage, n int) ([]string, error) {
	if firstByte(lv) == '[' {
		var list []json.RawMessage
		if err := json.Unmarshal(lv, &list); err != nil {
			return nil, malformed(s.name, n, "field %q: %v", s.opt.LabelColumn, err)
		}
		var labels []string
		for _, v := range list {
			l, err := s.label1(v, n)
			if err != nil {
				return nil, err
			}
			if !slices.Contains(labels, l) {
				labels = append(labels, l)
			}
		}
		if len(labels) == 0 {
			return nil, malformed(s.name, n, "empty label list")
		}
		return labels, nil
	}
	l, err := s.label1(lv, n)
	if err != nil {
		return nil, err
	}
	return []string{l}, nil
}

// label1 reads one label: a string, or a number taken as written.
func (s *jsonlSource) label1(lv json.RawMessage, n int) (string, error) {
	var label string
	switch c := firstByte(lv); {
	case c == '"':
		if err := json.Unmarshal(lv, &label); err != nil {
			return "", malformed(s.name, n, "field %q: %v", s.opt.LabelColumn, err)
		}
	case c == '-' || (c >= '0' && c <= '9'):
		label = string(bytes.TrimSpace(lv))
	default:
		return "", malformed(s.name, n, "field %q must be a string or a number, got %s", s.opt.LabelColumn, short(string(lv)))
	}
	if label == "" {
		return "", malformed(s.name, n, "empty label")
	}
	return label, nil
}

func firstByte(b json.RawMessage) byte {
	b = bytes.TrimSpace(b)
	if len(b) == 0 {
		return 0
	}
	return b[0]
}
