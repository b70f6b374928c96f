package data

import (
	"strings"
	"unicode"
)

// fastTextSource reads "__label__X some text" lines.
//
// The label is the first whitespace-separated field, which must start with
// the prefix (an empty prefix makes any first field the label); the prefix
// is removed and the rest must not be empty. fastText allows several labels
// per line: further fields starting with the prefix right after the first
// are dropped and only the first label is kept (single-label
// classification). The text is the rest of the line with surrounding white
// space trimmed, possibly empty. Blank lines are skipped.
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
			return Example{Text: stripLabels(line, s.prefix), File: s.name, Line: s.lr.n}, nil
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
			if f == "" || !strings.HasPrefix(f, s.prefix) {
				break
			}
			rest = r
		}
		return Example{Text: rest, Label: label, File: s.name, Line: s.lr.n}, nil
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
