package data

import (
	"slices"
	"strings"
	"unicode"
)

// fastTextSource reads "__label__X some text" lines.
//
// The label is the first whitespace-separated field, which must start with
// the prefix (an empty prefix makes any first field the label); the prefix
// is removed and the rest must not be empty. As in fastText, every field
// starting with the prefix, anywhere in the line, is a label: a line with
// several different ones is a multi-label record (Example.Labels), whose
// text is its other fields joined by single spaces. A line with one label
// (repeats of it right after it are dropped) keeps the rest of the line as
// its text, surrounding white space trimmed, possibly empty. Blank lines are
// skipped.
type fastTextSource struct {
	lr         *lineReader
	name       string
	prefix     string
	unlabelled bool // labels optional and dropped (ReadOptions.Unlabelled)
}

func (s *fastTextSource) next() (Example, error) {
	for {
		raw, err := s.lr.next()
		if err != nil {
			return Example{}, err
		}
		line := strings.TrimSpace(repair(raw))
		if line == "" {
			continue
		}
		if s.unlabelled {
			return Example{Text: stripLabels(line, s.prefix), File: s.name, Line: s.lr.n, Cut: s.lr.cut}, nil
		}
		first, rest := cutField(line)
		if !strings.HasPrefix(first, s.prefix) {
			return Example{}, malformed(s.name, s.lr.n, "no label: the line must start with a field like %q, got %s", s.prefix+"LABEL", short(first))
		}
		label := first[len(s.prefix):]
		if label == "" {
			return Example{}, malformed(s.name, s.lr.n, "empty label %s", short(first))
		}
		for s.prefix != "" {
			f, r := cutField(rest)
			if f != first {
				break
			}
			rest = r
		}
		ex := Example{Text: rest, Label: label, File: s.name, Line: s.lr.n}
		if s.prefix != "" && strings.Contains(rest, s.prefix) {
			other, text := otherLabels(rest, s.prefix, first)
			for _, f := range other {
				if f == s.prefix {
					return Example{}, malformed(s.name, s.lr.n, "empty label %s", short(f))
				}
			}
			if len(other) > 0 {
				labels := []string{label}
				for _, f := range other {
					labels = append(labels, f[len(s.prefix):])
				}
				ex.Text = text
				return ex.withLabels(labels), nil
			}
		}
		ex.Cut = s.lr.cut
		return ex, nil
	}
}

// stripLabels removes the leading fields of line that start with a
// non-empty prefix.
func stripLabels(line, prefix string) string {
	for prefix != "" {
		f, rest := cutField(line)
		if f == "" || !strings.HasPrefix(f, prefix) {
			break
		}
		line = rest
	}
	return line
}

// cutField splits s (without leading space) into its first white-space
// separated field and the remainder with leading white space removed.
func cutField(s string) (field, rest string) {
	s = strings.TrimLeftFunc(s, unicode.IsSpace)
	i := strings.IndexFunc(s, unicode.IsSpace)
	if i < 0 {
		return s, ""
	}
	return s[:i], strings.TrimLeftFunc(s[i:], unicode.IsSpace)
}

// otherLabels returns the fields of text that start with prefix and are
// not first, each once, in order, and the text without any field that
// starts with prefix (fields joined by single spaces); with no such field
// other is nil and the text is not built.
func otherLabels(text, prefix, first string) (other []string, rest string) {
	fields := strings.Fields(text)
	for _, f := range fields {
		if strings.HasPrefix(f, prefix) && f != first && !slices.Contains(other, f) {
			other = append(other, f)
		}
	}
	if len(other) == 0 {
		return nil, text
	}
	kept := fields[:0]
	for _, f := range fields {
		if !strings.HasPrefix(f, prefix) {
			kept = append(kept, f)
		}
	}
	return other, strings.Join(kept, " ")
}
