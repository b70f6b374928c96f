// Package atomicfile writes a file so that it is either complete or
// untouched: the content goes to a temporary file beside the target, which
// is synced, given its permissions and renamed over the target, and the
// directory is synced. On any error the temporary file is removed and an
// existing file at the path is left as it was. A writer killed before it
// could remove its temporary file leaves it behind; the next write of the
// same path removes it (CreateTemp, RemoveStale).
//
// internal/safetensors keeps its own variant of Write, with the same
// temporary files (CreateTemp): it also preserves the mode of the file it
// replaces and lets its tests inject write failures.
package atomicfile

import (
	"io"
	"os"
	"path/filepath"
)

// Write creates or replaces path with what write writes to it, with mode
// perm. An error from write is returned as it is.
func Write(path string, perm os.FileMode, write func(io.Writer) error) (err error) {
	dir := filepath.Dir(path)
	f, err := CreateTemp(path)
	if err != nil {
		return err
	}
	tmp := f.Name()
	closed := false
	defer func() {
		if err != nil {
			if !closed {
				_ = f.Close()
			}
			_ = os.Remove(tmp)
		}
	}()
	if err = write(f); err != nil {
		return err
	}
	if err = f.Sync(); err != nil {
		return err
	}
	closed = true
	if err = f.Close(); err != nil {
		return err
	}
	if err = os.Chmod(tmp, perm); err != nil {
		return err
	}
	if err = os.Rename(tmp, path); err != nil {
		return err
	}
	// Make the rename durable (best effort: not every system can sync a
	// directory).
	if d, derr := os.Open(dir); derr == nil {
		_ = d.Sync()
		_ = d.Close()
	}
	return nil
}

// WriteBytes is Write for content already in memory.
func WriteBytes(path string, perm os.FileMode, data []byte) error {
	return Write(path, perm, func(w io.Writer) error {
		_, err := w.Write(data)
		return err
	})
}
