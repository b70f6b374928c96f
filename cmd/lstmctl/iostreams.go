package main

import (
	"bytes"
	"context"
	"io"
	"os"

	"golang.org/x/term"
)

// IOStreams carries the standard streams and what we know of them. Data goes
// to Out, progress and diagnostics to ErrOut.
type IOStreams struct {
	In     io.Reader
	Out    io.Writer
	ErrOut io.Writer

	// ErrTTY reports whether ErrOut is a terminal (progress bar vs plain lines).
	ErrTTY bool
	// Env looks up environment variables (LSTMCTL_* configuration).
	Env func(string) (string, bool)
	// Environ lists the environment as NAME=value entries (for the warning
	// about LSTMCTL_* variables that lstmctl does not read).
	Environ func() []string
}

// System returns the process's streams.
func System() *IOStreams {
	return &IOStreams{
		In:      os.Stdin,
		Out:     os.Stdout,
		ErrOut:  os.Stderr,
		ErrTTY:  term.IsTerminal(int(os.Stderr.Fd())),
		Env:     os.LookupEnv,
		Environ: os.Environ,
	}
}

// Test returns streams backed by buffers and an empty environment.
func Test() (ios *IOStreams, in, out, errOut *bytes.Buffer) {
	in, out, errOut = &bytes.Buffer{}, &bytes.Buffer{}, &bytes.Buffer{}
	return &IOStreams{
		In:      in,
		Out:     out,
		ErrOut:  errOut,
		Env:     func(string) (string, bool) { return "", false },
		Environ: func() []string { return nil },
	}, in, out, errOut
}

// Interruptible returns streams whose In stops when ctx ends: a read
// blocked on a pipe or a terminal (`(echo hi; sleep 30) | lstmctl
// predict`) would otherwise hold Ctrl-C off until the writer is done. In
// is then read by a goroutine through a pipe, which ctx's end closes with
// ctx's error; a regular file, which never blocks, is read directly.
func (s *IOStreams) Interruptible(ctx context.Context) *IOStreams {
	if f, ok := s.In.(*os.File); ok {
		if fi, err := f.Stat(); err == nil && fi.Mode().IsRegular() {
			return s
		}
	}
	pr, pw := io.Pipe()
	go func() {
		_, err := io.Copy(pw, s.In)
		pw.CloseWithError(err) // nil: EOF
	}()
	context.AfterFunc(ctx, func() { pw.CloseWithError(ctx.Err()) })
	c := *s
	c.In = pr
	return &c
}
