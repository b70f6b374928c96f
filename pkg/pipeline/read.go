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
}

// ReadExamples reads a labelled file or class directory ("-" reads
// opts.Stdin) by the data settings c.
func ReadExamples(path string, c data.Config, opts ReadOptions) ([]data.Example, error) {
	ro := data.ReadOptionsFrom(c, opts.SkipBad)
	if path != Stdin {
		ex, skipped, err := data.ReadAll(path, ro)
		opts.skipped(path, skipped)
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
	for {
		e, err := r.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, err
		}
		ex = append(ex, e)
	}
	opts.skipped(stdinName, r.Skipped())
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

func (o ReadOptions) skipped(name string, n int) {
	if n > 0 && o.Skipped != nil {
		o.Skipped(name, n)
	}
}
