package atomicfile

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// tempTag marks the temporary files of this package (and of the writers
// that use CreateTemp): ".NAME" + tempTag + "PID-RANDOM" beside the target
// NAME, where PID is the writing process and RANDOM the digits
// os.CreateTemp adds. No other program's file and no file lstmctl keeps
// (a model, a checkpoint, a lstmctl-rescued-* file) has this form.
const tempTag = ".lstmctl-tmp-"

// StaleAfter is how long a temporary file must have gone unmodified
// before RemoveStale takes it for one a killed writer left behind (its
// process must also be gone).
const StaleAfter = 10 * time.Minute

// CreateTemp creates the temporary file for the target path, in path's
// directory, named for path and this process (see tempTag). It first
// removes the stale temporary files of earlier writers of path
// (RemoveStale).
func CreateTemp(path string) (*os.File, error) {
	RemoveStale(path)
	return os.CreateTemp(filepath.Dir(path), tempPrefix(path)+strconv.Itoa(os.Getpid())+"-*")
}

func tempPrefix(path string) string { return "." + filepath.Base(path) + tempTag }

// RemoveStale removes the temporary files that writers of path left
// behind when they were killed (kill -9, a power cut) before they could
// clean up: the files named as CreateTemp names them for path whose
// process no longer runs on this machine and which have not been modified
// for StaleAfter. A temporary file of a writer still running (in this or
// another process, on this machine) is never removed, and neither is any
// other file. It returns the names removed; errors are ignored (the
// files are litter, not data).
func RemoveStale(path string) []string {
	dir := filepath.Dir(path)
	ents, err := os.ReadDir(dir)
	if err != nil {
		return nil
	}
	prefix := tempPrefix(path)
	var removed []string
	now := time.Now()
	for _, e := range ents {
		pid, ok := tempPID(e.Name(), prefix)
		if !ok || !e.Type().IsRegular() || processRuns(pid) {
			continue
		}
		fi, err := e.Info()
		if err != nil || now.Sub(fi.ModTime()) < StaleAfter {
			continue
		}
		name := filepath.Join(dir, e.Name())
		if os.Remove(name) == nil {
			removed = append(removed, name)
		}
	}
	return removed
}

// tempPID parses name as prefix + "PID-RANDOM" (both decimal) and returns
// PID.
func tempPID(name, prefix string) (int, bool) {
	rest, ok := strings.CutPrefix(name, prefix)
	if !ok {
		return 0, false
	}
	p, r, ok := strings.Cut(rest, "-")
	if !ok || !digits(p) || !digits(r) {
		return 0, false
	}
	pid, err := strconv.Atoi(p)
	return pid, err == nil && pid > 0
}

func digits(s string) bool {
	if s == "" || len(s) > 20 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}
