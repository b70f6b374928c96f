package pipeline

import (
	"fmt"
	"io"

	"github.com/lstmctl/lstmctl/pkg/data"
)

// Stdin is the path that names standard input (ReadOptions.Stdin).
const Stdin = "-"

// stdinName is standard input's name in errors.
const stdinName = "<stdin>"

// ReadOptions says how to read labelled data.
type ReadOptions struct {
	SkipBad bool      // skip malformed records (counted) instead of failing
	Stdin   io.Reader // what the path "-" reads
	// Skipped, when set, is told how many malformed records SkipBad
	// skipped in a file (only when there were some).
	Skipped func(name string, n int)
	// Warn, when set, is told of the texts cut to data.MaxTextBytes (the
	// first few by file and line, then how many more).
	Warn func(msg string)
}

// MaxStdinBytes bounds the labelled data read from standard input: the
// data is kept in memory for training or evaluation, and a stream that
// does not end would fill it. A file has no such bound (its size is on
// disk for all to see).
const MaxStdinBytes = 1 << 30

// maxStdinBytes is MaxStdinBytes, lowered by tests.
var maxStdinBytes int64 = MaxStdinBytes

// cutWarnings is how many cut texts are named one by one.
const cutWarnings = 3

// ReadExamples reads a labelled file or class directory ("-" reads
// opts.Stdin) by the data settings c.
func ReadExamples(path string, c data.Config, opts ReadOptions) ([]data.Example, error) {
	ro := data.ReadOptionsFrom(c, opts.SkipBad)
	if path != Stdin {
		ex, skipped, err := data.ReadAll(path, ro)
		opts.skipped(path, skipped)
		opts.warnCut(path, ex)
		return ex, err
	}
	if opts.Stdin == nil {
		return nil, fmt.Errorf("pipeline: %q names standard input, and there is none", Stdin)
	}
	r, err := data.NewReader(opts.Stdin, stdinName, ro)
	if err != nil {
		return nil, err
	}
	var ex []data.Example
	var size int64
	for {
		e, err := r.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, err
		}
		if size += int64(len(e.Text) + len(e.Label)); size > maxStdinBytes {
			return nil, &ConfigError{fmt.Errorf("%s: more than %s of data: lstmctl keeps the data in memory and reads at most that much from standard input; write it to a file and give its path", stdinName, FormatSize(maxStdinBytes))}
		}
		ex = append(ex, e)
	}
	opts.skipped(stdinName, r.Skipped())
	opts.warnCut(stdinName, ex)
	return ex, nil
}

// emptyInput is the error of an input, the role what, that holds no
// records: for standard input it says so, since "-" names no file to look
// at.
func emptyInput(path, what string) error {
	if path == Stdin {
		return &data.ParseError{File: stdinName, Err: fmt.Errorf("%w: standard input had no records (%s); pipe the records in, or give a file", data.ErrEmpty, what)}
	}
	return fmt.Errorf("%s: %w (%s)", path, data.ErrEmpty, what)
}

// warnCut tells opts.Warn of the examples whose text was cut.
func (o ReadOptions) warnCut(name string, ex []data.Example) {
	w := cutWarner{warn: o.Warn}
	for i := range ex {
		w.note(&ex[i])
	}
	w.end(name)
}

// cutWarner tells warn (when set) of the texts of one input cut to
// data.MaxTextBytes: the first cutWarnings by file and line, then, at the
// end, how many more.
type cutWarner struct {
	warn func(msg string)
	n    int
}

// note counts ex when its text was cut, naming it while few are.
func (w *cutWarner) note(ex *data.Example) {
	if ex.Cut == 0 || w.warn == nil {
		return
	}
	if w.n++; w.n <= cutWarnings {
		w.warn(data.CutWarning(ex))
	}
}

// end says how many more of input name were cut, and starts over.
func (w *cutWarner) end(name string) {
	if w.n > cutWarnings {
		w.warn(fmt.Sprintf("%s: %d more texts cut to %d bytes", name, w.n-cutWarnings, data.MaxTextBytes))
	}
	w.n = 0
}

func (o ReadOptions) skipped(name string, n int) {
	if n > 0 && o.Skipped != nil {
		o.Skipped(name, n)
	}
}
