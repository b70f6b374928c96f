//go:build !noasm

package kernels

// adamAVX is adamGeneric(w[:n], grad[:n], m[:n], v[:n], k), 8 floats at a
// time with AVX (adam_amd64.s); n is a multiple of 8.
//
//go:noescape
func adamAVX(w, grad, m, v *float32, n int, k *AdamArgs)

// emaAVX is emaGeneric(avg[:n], w[:n], mom, omm), 8 floats at a time with
// AVX (adam_amd64.s); n is a multiple of 8.
//
//go:noescape
func emaAVX(avg, w *float32, n int, mom, omm float32)

// adamVec runs the Adam kernel of variant l on n elements (a multiple of
// adamWidth). The switch keeps the calls direct, so that k stays on the
// caller's stack.
func adamVec(l level, w, g, m, v *float32, n int, k *AdamArgs) {
	if l != avx {
		panic("kernels: no Adam kernel " + l.String())
	}
	adamAVX(w, g, m, v, n, k)
}

// emaVec runs the moving-average kernel of variant l on n elements (a
// multiple of adamWidth).
func emaVec(l level, avg, w *float32, n int, mom, omm float32) {
	if l != avx {
		panic("kernels: no moving-average kernel " + l.String())
	}
	emaAVX(avg, w, n, mom, omm)
}
