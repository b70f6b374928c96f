package main

import (
	"bytes"
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
