//go:build noasm || !amd64

package train

// adamKernels: no vector kernels in this build; the Go loop does it all.
func adamKernels() []adamKernel { return nil }

// adamVecTo is never called without vector kernels.
func adamVecTo(kind int, w, g, m, v *float32, n int, k *adamArgs) {
	panic("train: no vector Adam kernel in this build")
}

// emaVecTo is never called without vector kernels.
func emaVecTo(kind int, avg, w *float32, n int, mom, omm float32) {
	panic("train: no vector moving-average kernel in this build")
}
