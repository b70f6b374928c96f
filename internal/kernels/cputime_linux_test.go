//go:build linux

package kernels

import "golang.org/x/sys/unix"

// threadCPUSeconds returns the CPU time consumed by the calling OS thread,
// so that benchmarks on a shared machine can report a rate that does not
// count time spent descheduled.
func threadCPUSeconds() float64 {
	var ts unix.Timespec
	if unix.ClockGettime(unix.CLOCK_THREAD_CPUTIME_ID, &ts) != nil {
		return 0
	}
	return float64(ts.Sec) + float64(ts.Nsec)*1e-9
}
