//go:build !noasm

package kernels

// Sgemm on amd64: register-blocked FMA microkernels in Go assembly
// (gemm_amd64.s: 8x32 with AVX-512, 6x16 with AVX2), driven by the blocked
// Go code in gemm_blocked_amd64.go, which packs, blocks and handles edges.
// The dispatch table (dispatch_amd64.go) picks one; -tags noasm builds
// without any of this.
//
// Each microkernel computes one mr×nr tile of C (mr ≤ MR, nr ≤ NR), in Go
// with fma(x, y, z) = x·y+z rounded once:
//
//	for r := 0; r < mr; r++ {
//		for j := 0; j < nr; j++ {
//			var s float32
//			for p := 0; p < kc; p++ {
//				s = fma(A(r, p), b[p*bStride+j], s)
//			}
//			if alpha != 1 {
//				s *= alpha
//			}
//			if beta == 0 { // C is not read
//				c[r*ldc+j] = s
//			} else {
//				c[r*ldc+j] = fma(beta, c[r*ldc+j], s)
//			}
//		}
//	}
//
// with A(r, p) = a[p*aStride+r] for the K kernels (a packed panel, or Aᵀ)
// and a[r*lda+p] for the R kernels (row-major A).

//go:noescape
func sgemmK8x32AVX512(kc int, a *float32, aStride int, b *float32, bStride int, c *float32, ldc int, alpha, beta float32, mr, nr int)

//go:noescape
func sgemmR8x32AVX512(kc int, a *float32, lda int, b *float32, bStride int, c *float32, ldc int, alpha, beta float32, mr, nr int)

//go:noescape
func sgemmK6x16AVX2(kc int, a *float32, aStride int, b *float32, bStride int, c *float32, ldc int, alpha, beta float32, mr, nr int)

//go:noescape
func sgemmR6x16AVX2(kc int, a *float32, lda int, b *float32, bStride int, c *float32, ldc int, alpha, beta float32, mr, nr int)

// transposePanel transposes groups×n8 blocks of 8×8 floats with AVX:
//
//	for g := 0; g < 8*groups; g++ {
//		for p := 0; p < 8*n8; p++ {
//			dst[p*dstStride+g] = src[g*srcStride+p]
//		}
//	}
//
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

func sgemmAVX512(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	gemmAVX512.sgemm(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
}

func sgemmAVX2(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	gemmAVX2.sgemm(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
}
