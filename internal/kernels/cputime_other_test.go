//go:build !linux

package kernels

// threadCPUSeconds is not available here; benchmarks then report wall-clock
// rates only.
func threadCPUSeconds() float64 { return 0 }
