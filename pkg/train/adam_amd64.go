//go:build !noasm

package train

import "golang.org/x/sys/cpu"

// adamAVX is the vector Adam kernel (adam_amd64.s); n must be a multiple
// of 8.
//
//go:noescape
func adamAVX(w, grad, m, v *float32, n int, k *adamArgs)

// adamKernels returns the vector kernels this CPU runs, best first.
func adamKernels() []adamKernel {
	if cpu.X86.HasAVX {
		return []adamKernel{{name: "avx", width: 8, kind: adamKindAVX}}
	}
	return nil
}

// adamVecTo runs vector kernel kind on n elements.
func adamVecTo(kind int, w, g, m, v *float32, n int, k *adamArgs) {
	if kind != adamKindAVX {
		panic("train: unknown Adam kernel")
	}
	adamAVX(w, g, m, v, n, k)
}

// emaAVX is the vector moving-average update (adam_amd64.s); n must be a
// multiple of 8.
//
//go:noescape
func emaAVX(avg, w *float32, n int, mom, omm float32)

// emaVecTo runs the moving-average kernel of kind on n elements.
func emaVecTo(kind int, avg, w *float32, n int, mom, omm float32) {
	if kind != adamKindAVX {
		panic("train: unknown moving-average kernel")
	}
	emaAVX(avg, w, n, mom, omm)
}
