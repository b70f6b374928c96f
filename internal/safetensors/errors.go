package safetensors

import (
	"errors"
	"fmt"
)

// Kinds of refusal. Every error returned for a bad file is an *Error whose
// Kind is one of these, so errors.Is(err, ErrChecksum) works.
var (
	// ErrTruncated: the file ends before the header or the data it describes.
	ErrTruncated = errors.New("safetensors: truncated file")
	// ErrInvalid: the file is not a well-formed F32 safetensors file.
	ErrInvalid = errors.New("safetensors: invalid file")
	// ErrChecksum: the data or the header does not match its SHA-256.
	ErrChecksum = errors.New("safetensors: checksum mismatch")
	// ErrNonFinite: a tensor holds NaN or ±Inf (reported by AllFinite only).
	ErrNonFinite = errors.New("safetensors: non-finite value")
)

// Error reports why a file or a tensor was refused.
type Error struct {
	Path string // file name, "" when reading from memory or a ReaderAt
	Kind error  // ErrTruncated, ErrInvalid, ErrChecksum or ErrNonFinite
	Msg  string // what is wrong, without prefix, e.g. "truncated file: ..."
}

// Error returns "safetensors: PATH: MSG" (or "safetensors: MSG" without a path).
func (e *Error) Error() string {
	if e.Path == "" {
		return "safetensors: " + e.Msg
	}
	return "safetensors: " + e.Path + ": " + e.Msg
}

// Unwrap returns Kind.
func (e *Error) Unwrap() error { return e.Kind }

func truncated(format string, args ...any) error {
	return &Error{Kind: ErrTruncated, Msg: "truncated file: " + fmt.Sprintf(format, args...)}
}

func invalid(format string, args ...any) error {
	return &Error{Kind: ErrInvalid, Msg: fmt.Sprintf(format, args...)}
}

// withPath sets the path of an *Error (in place) and returns err.
func withPath(err error, path string) error {
	var e *Error
	if errors.As(err, &e) && e.Path == "" {
		e.Path = path
	}
	return err
}
