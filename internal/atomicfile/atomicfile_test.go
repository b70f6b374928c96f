package atomicfile

import (
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"testing"
	"time"
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

// A writer killed before it could clean up leaves its temporary file; the
// next write of the same target removes it once its process is gone and
// it is old, and leaves everything else alone.
func TestStaleTemporaryFilesRemoved(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "m.safetensors")
	old := time.Now().Add(-StaleAfter - time.Minute)
	deadPID := deadProcess(t)
	mk := func(name string, mtime time.Time) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte("partial"), 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.Chtimes(p, mtime, mtime); err != nil {
			t.Fatal(err)
		}
		return p
	}
	stale := mk(".m.safetensors.lstmctl-tmp-"+strconv.Itoa(deadPID)+"-12345", old)
	keep := []string{
		// a writer that still runs (this process)
		mk(".m.safetensors.lstmctl-tmp-"+strconv.Itoa(os.Getpid())+"-1", old),
		// a dead writer, but modified recently
		mk(".m.safetensors.lstmctl-tmp-"+strconv.Itoa(deadPID)+"-2", time.Now()),
		// another target's temporary file
		mk(".other.safetensors.lstmctl-tmp-"+strconv.Itoa(deadPID)+"-3", old),
		// names that only look alike
		mk(".m.safetensors.lstmctl-tmp-"+strconv.Itoa(deadPID)+"-4x", old),
		mk(".m.safetensors.tmp123", old),
		mk("lstmctl-rescued-m-123.safetensors", old),
		mk("m.safetensors.lstmctl-tmp-"+strconv.Itoa(deadPID)+"-5", old),
	}
	if err := WriteBytes(path, 0o644, []byte("model")); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(stale); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the stale temporary file is still there (%v)", err)
	}
	for _, p := range keep {
		if _, err := os.Stat(p); err != nil {
			t.Errorf("%s was removed: %v", filepath.Base(p), err)
		}
	}
}

// deadProcess returns the pid of a process that has exited.
func deadProcess(t *testing.T) int {
	t.Helper()
	if runtime.GOOS == "windows" {
		t.Skip("no kill(pid, 0) here")
	}
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	if err := cmd.Run(); err != nil {
		t.Fatal(err)
	}
	return cmd.Process.Pid
}
