package atomicfile

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"
)

func TestWrite(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "out.vec")
	if err := WriteBytes(path, 0o640, []byte("1 1\na 1\n")); err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != 0o640 {
		t.Fatalf("mode %v (%v), want 0640", fi.Mode(), err)
	}
	boom := errors.New("boom")
	if err := Write(path, 0o644, func(w io.Writer) error {
		io.WriteString(w, "partial")
		return boom
	}); !errors.Is(err, boom) {
		t.Fatalf("error %v, want %v", err, boom)
	}
	if b, err := os.ReadFile(path); err != nil || string(b) != "1 1\na 1\n" {
		t.Errorf("after a failed write the file holds %q (%v), want the first content", b, err)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 1 {
		t.Errorf("directory holds %d entries, want only out.vec (the temporary file removed)", len(entries))
	}
	// A directory that does not exist: an error and nothing created.
	if err := WriteBytes(filepath.Join(dir, "no", "x"), 0o644, nil); err == nil {
		t.Error("writing into a missing directory succeeded")
	}
}
