package kernels

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

type transposeVariant = namedFn[transposeFunc]

func TestTransposeVariants(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 9))
	sizes := []int{1, 2, 7, 8, 9, 13, 16, 17, 32, 33, 64, 128, 256}
	for _, v := range transposeVariants(t) {
		t.Run(v.name, func(t *testing.T) {
			for _, rows := range sizes {
				for _, cols := range sizes {
					src := randGateData(rng, rows*cols, 1)
					dst := make([]float32, rows*cols+3)
					dst[rows*cols] = 42 // past the end: untouched
					v.fn(dst, src, rows, cols)
					for i := 0; i < rows; i++ {
						for j := 0; j < cols; j++ {
							if dst[j*rows+i] != src[i*cols+j] {
								t.Fatalf("%dx%d: dst[%d,%d] = %g, want %g", rows, cols, j, i, dst[j*rows+i], src[i*cols+j])
							}
						}
					}
					if dst[rows*cols] != 42 {
						t.Fatalf("%dx%d: wrote past the end", rows, cols)
					}
				}
			}
		})
	}
	Transpose(nil, nil, 0, 5) // empty is fine
}

// TestNNOnTransposeIsNT asserts what SgemmNTWithBT relies on: every
// variant that packs B gives the same bits for A·Bᵀ read as NT from B and as
// NN from a stored Bᵀ; and SgemmNTWithBT gives Sgemm's NT bits.
func TestNNOnTransposeIsNT(t *testing.T) {
	rng := rand.New(rand.NewPCG(4, 4))
	shapes := [][3]int{{1, 1, 1}, {5, 7, 3}, {8, 32, 256}, {32, 64, 256}, {13, 13, 52}, {37, 128, 512}, {9, 80, 320}, {128, 64, 256}, {3, 33, 700}}
	for _, v := range sgemmVariants(t) {
		for _, sh := range shapes {
			m, n, k := sh[0], sh[1], sh[2]
			for _, beta := range []float32{0, 1, 0.5} {
				name := fmt.Sprintf("%s/%dx%dx%d/beta=%g", v.name, m, n, k, beta)
				a := randGateData(rng, m*k, 1)
				b := randGateData(rng, n*k, 1)
				bt := make([]float32, k*n)
				Transpose(bt, b, n, k)
				c0 := randGateData(rng, m*n, 1)
				nt := append([]float32(nil), c0...)
				v.fn(false, true, m, n, k, 1, a, k, b, k, beta, nt, n)
				if v.name != "generic" {
					nn := append([]float32(nil), c0...)
					v.fn(false, false, m, n, k, 1, a, k, bt, n, beta, nn, n)
					assertSameBits(t, name+" NN vs NT", nn, nt)
				}
				// The dispatching entry point against Sgemm itself.
				want := append([]float32(nil), c0...)
				Sgemm(false, true, m, n, k, 1, a, k, b, k, beta, want, n)
				got := append([]float32(nil), c0...)
				SgemmNTWithBT(m, n, k, 1, a, k, b, k, bt, n, beta, got, n)
				assertSameBits(t, name+" SgemmNTWithBT", got, want)
			}
		}
	}
}

func assertSameBits(t *testing.T, name string, got, want []float32) {
	t.Helper()
	for i := range want {
		if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
			t.Fatalf("%s: element %d = %g, want %g", name, i, got[i], want[i])
		}
	}
}

func BenchmarkTranspose(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 1))
	const rows, cols = 64, 256
	src := randGateData(rng, rows*cols, 1)
	dst := make([]float32, rows*cols)
	for _, v := range transposeVariants(b) {
		b.Run(v.name, func(b *testing.B) {
			for b.Loop() {
				v.fn(dst, src, rows, cols)
			}
		})
	}
}
