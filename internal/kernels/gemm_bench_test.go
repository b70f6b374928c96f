package kernels

import (
	"fmt"
	"math/rand/v2"
	"runtime"
	"testing"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/gonum"
)

// benchShapes are the products of LSTM training: the per-step recurrent
// product (M = batch), the input projection of all steps (M = tokens), the
// backward data product (transB) and the weight gradients (transA, K = tokens).
var benchShapes = []struct {
	name           string
	transA, transB bool
	m, n, k        int
}{
	{"NN_128x256x64", false, false, 128, 256, 64},
	{"NN_128x256x128", false, false, 128, 256, 128},
	{"NN_128x128x32", false, false, 128, 128, 32},
	{"NN_5120x256x64", false, false, 5120, 256, 64},
	{"NN_16x256x64", false, false, 16, 256, 64},
	{"NT_128x64x256", false, true, 128, 64, 256},
	{"NT_16x64x256", false, true, 16, 64, 256},
	{"NT_128x128x512", false, true, 128, 128, 512},
	{"TN_64x256x5120", true, false, 64, 256, 5120},
	{"TN_32x128x5120", true, false, 32, 128, 5120},
}

// BenchmarkSgemm reports GFLOP/s by wall clock and, on Linux, cpu-GFLOP/s by
// the CPU time of the benchmark thread (steady on a busy shared machine).
func BenchmarkSgemm(b *testing.B) {
	variants := append(sgemmVariants(b), sgemmVariant{"gonum", gonumSgemm})
	for _, s := range benchShapes {
		rng := rand.New(rand.NewPCG(1, 1))
		tc := newGemmCase(rng, s.transA, s.transB, s.m, s.n, s.k, 1, 0)
		for _, v := range variants {
			b.Run(fmt.Sprintf("%s/%s", s.name, v.name), func(b *testing.B) {
				c := make([]float32, len(tc.c))
				// Warm up: the first call sizes the pack buffers.
				v.fn(tc.transA, tc.transB, tc.m, tc.n, tc.k, 1, tc.a, tc.lda, tc.b, tc.ldb, 0, c, tc.ldc)
				b.ReportAllocs()
				runtime.LockOSThread()
				defer runtime.UnlockOSThread()
				cpu0 := threadCPUSeconds()
				for b.Loop() {
					v.fn(tc.transA, tc.transB, tc.m, tc.n, tc.k, 1, tc.a, tc.lda, tc.b, tc.ldb, 0, c, tc.ldc)
				}
				flops := 2 * float64(s.m) * float64(s.n) * float64(s.k) * float64(b.N)
				b.ReportMetric(flops/b.Elapsed().Seconds()/1e9, "GFLOP/s")
				// gonum runs large products on several goroutines, so the
				// CPU time of this thread says nothing about it.
				if cpu := threadCPUSeconds() - cpu0; cpu > 0 && v.name != "gonum" {
					b.ReportMetric(flops/cpu/1e9, "cpu-GFLOP/s")
				}
			})
		}
	}
}

// gonumSgemm is gonum's native Sgemm (pure Go plus SSE), for comparison.
func gonumSgemm(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	tA, tB := blas.NoTrans, blas.NoTrans
	if transA {
		tA = blas.Trans
	}
	if transB {
		tB = blas.Trans
	}
	gonum.Implementation{}.Sgemm(tA, tB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
}
