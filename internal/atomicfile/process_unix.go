//go:build unix

package atomicfile

import (
	"errors"
	"syscall"
)

// processRuns reports whether a process pid exists on this machine (a
// process of another user counts).
func processRuns(pid int) bool {
	err := syscall.Kill(pid, 0)
	return err == nil || !errors.Is(err, syscall.ESRCH)
}
