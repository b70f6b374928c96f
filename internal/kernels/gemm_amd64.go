//go:build !noasm

package kernels

import "golang.org/x/sys/cpu"

// Sgemm on amd64: register-blocked FMA microkernels in Go assembly
// (gemm_amd64.s: 8x32 with AVX-512, 6x16 with AVX2), driven by the blocked
// Go code in gemm_blocked_amd64.go, which packs, blocks and handles edges.
// init picks AVX-512 when the CPU and OS support it, else AVX2+FMA, else
// leaves the generic version; -tags noasm builds without any of this.

//go:noescape
func sgemmK8x32AVX512(kc int, a *float32, aStride int, b *float32, bStride int, c *float32, ldc int, alpha, beta float32, mr, nr int)

//go:noescape
func sgemmR8x32AVX512(kc int, a *float32, lda int, b *float32, bStride int, c *float32, ldc int, alpha, beta float32, mr, nr int)

//go:noescape
func sgemmK6x16AVX2(kc int, a *float32, aStride int, b *float32, bStride int, c *float32, ldc int, alpha, beta float32, mr, nr int)

//go:noescape
func sgemmR6x16AVX2(kc int, a *float32, lda int, b *float32, bStride int, c *float32, ldc int, alpha, beta float32, mr, nr int)

//go:noescape
func transposePanel(dst *float32, dstStride int, src *float32, srcStride int, n8, groups int)

var (
	gemmAVX512 = &gemmArch{
		name: "avx512", mr: 8, nr: 32, kc: 256, nc: 512,
		kernK: sgemmK8x32AVX512, kernR: sgemmR8x32AVX512,
	}
	gemmAVX2 = &gemmArch{
		name: "avx2", mr: 6, nr: 16, kc: 256, nc: 512,
		kernK: sgemmK6x16AVX2, kernR: sgemmR6x16AVX2,
	}
)

func hasAVX512() bool { return cpu.X86.HasAVX512F && cpu.X86.HasAVX2 && cpu.X86.HasFMA }
func hasAVX2() bool   { return cpu.X86.HasAVX2 && cpu.X86.HasFMA }

func sgemmAVX512(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	gemmAVX512.sgemm(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
}

func sgemmAVX2(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	gemmAVX2.sgemm(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
}

func init() {
	switch {
	case hasAVX512():
		sgemmImpl = sgemmAVX512
	case hasAVX2():
		sgemmImpl = sgemmAVX2
	}
}
