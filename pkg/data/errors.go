package data

import (
	"errors"
	"fmt"
	"strings"
)

// Sentinel errors. Record-level problems are wrapped in a *ParseError that
// names the file and line; test them with errors.Is.
var (
	ErrEmpty        = errors.New("data: no samples")
	ErrMalformed    = errors.New("data: malformed record")
	ErrUnknownLabel = errors.New("data: unknown label")
	ErrUnreadable   = errors.New("data: unreadable file")
	ErrFormat       = errors.New("data: unknown format")
	// ErrMultiLabel: a record has several labels and the model, or the
	// configuration, is single-label (softmax).
	ErrMultiLabel = errors.New("data: several labels on one record")
	// ErrUntrainedClass: a class of the validation data has no example in
	// the training data.
	ErrUntrainedClass = errors.New("data: class without training examples")
)

// ParseError is a problem with one record of an input file (or with a whole
// file, Line 0). The CLI maps it to exit code 3.
type ParseError struct {
	File string // file name as given ("<stdin>" for standard input); for a class folder, the document's path
	Line int    // 1-based line of the record (CSV: the line where the record starts); 0 = the whole file
	Err  error  // wraps ErrMalformed, ErrMultiLabel, ErrUnreadable, ErrUnknownLabel, ErrUntrainedClass or ErrEmpty
}

// Error returns "FILE:LINE: msg" ("FILE: msg" when Line is 0), where msg is
// Err's message without its "data: " prefix; without a File (a LineReader's
// error, which its caller prefixes with the name) "line LINE: msg" or msg.
func (e *ParseError) Error() string {
	msg := "invalid input"
	if e.Err != nil {
		msg = strings.TrimPrefix(e.Err.Error(), "data: ")
	}
	switch {
	case e.File == "" && e.Line > 0: // a reader given no name
		return fmt.Sprintf("line %d: %s", e.Line, msg)
	case e.File == "":
		return msg
	case e.Line > 0:
		return fmt.Sprintf("%s:%d: %s", e.File, e.Line, msg)
	}
	return e.File + ": " + msg
}

// Unwrap returns Err.
func (e *ParseError) Unwrap() error { return e.Err }

func malformed(file string, line int, format string, args ...any) *ParseError {
	return &ParseError{File: file, Line: line, Err: fmt.Errorf("%w: "+format, append([]any{ErrMalformed}, args...)...)}
}

// short quotes s for an error message, cut to a readable length.
func short(s string) string {
	const max = 40
	if len(s) > max {
		cut := max
		for cut > 0 && s[cut]&0xC0 == 0x80 { // do not split a UTF-8 sequence
			cut--
		}
		return fmt.Sprintf("%q...", s[:cut])
	}
	return fmt.Sprintf("%q", s)
}

// MultiLabelError is the error of a record with several labels where only
// one is accepted; why says why and what fixes it.
func MultiLabelError(e *Example, why string) *ParseError {
	quoted := make([]string, len(e.Labels))
	for i, l := range e.Labels {
		quoted[i] = short(l)
	}
	return &ParseError{File: e.File, Line: e.Line, Err: fmt.Errorf("%w (%s): %s",
		ErrMultiLabel, strings.Join(quoted, ", "), why)}
}
