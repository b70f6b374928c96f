package kernels

import (
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas32"
	"gonum.org/v1/gonum/blas/gonum"
)

// TestBLASGemm routes blas32.Gemm through BLAS and compares with gonum's own
// implementation, for all transposes and odd shapes.
func TestBLASGemm(t *testing.T) {
	prev := blas32.Implementation()
	blas32.Use(BLAS{})
	defer blas32.Use(prev)

	rng := rand.New(rand.NewPCG(3, 1))
	gen := func(r, c int) blas32.General {
		g := blas32.General{Rows: r, Cols: c, Stride: c + 1, Data: make([]float32, r*(c+1))}
		for i := range g.Data {
			g.Data[i] = float32(rng.NormFloat64())
		}
		return g
	}
	for _, sz := range [][3]int{{1, 1, 1}, {7, 33, 17}, {128, 256, 64}, {40, 9, 300}} {
		m, n, k := sz[0], sz[1], sz[2]
		for _, tA := range []blas.Transpose{blas.NoTrans, blas.Trans} {
			for _, tB := range []blas.Transpose{blas.NoTrans, blas.ConjTrans} {
				a := gen(m, k)
				if tA != blas.NoTrans {
					a = gen(k, m)
				}
				b := gen(k, n)
				if tB != blas.NoTrans {
					b = gen(n, k)
				}
				c := gen(m, n)
				want := append([]float32(nil), c.Data...)
				gonum.Implementation{}.Sgemm(tA, tB, m, n, k, 0.5, a.Data, a.Stride, b.Data, b.Stride, -2, want, c.Stride)
				blas32.Gemm(tA, tB, 0.5, a, b, -2, c)
				for i := range want {
					if d := math.Abs(float64(c.Data[i] - want[i])); d > 1e-4*(1+math.Abs(float64(want[i]))) {
						t.Fatalf("%v %v %dx%dx%d: C[%d] = %g, gonum %g", tA, tB, m, n, k, i, c.Data[i], want[i])
					}
				}
			}
		}
	}
}

// TestBLASSgemmPanics checks that bad arguments panic with gonum's messages.
func TestBLASSgemmPanics(t *testing.T) {
	a, b, c := make([]float32, 12), make([]float32, 12), make([]float32, 12)
	cases := []struct {
		want string
		call func()
	}{
		{"illegal transpose", func() { BLAS{}.Sgemm('x', blas.NoTrans, 3, 4, 3, 1, a, 3, b, 4, 0, c, 4) }},
		{"m < 0", func() { BLAS{}.Sgemm(blas.NoTrans, blas.NoTrans, -1, 4, 3, 1, a, 3, b, 4, 0, c, 4) }},
		{"bad leading dimension of A", func() { BLAS{}.Sgemm(blas.NoTrans, blas.NoTrans, 3, 4, 3, 1, a, 2, b, 4, 0, c, 4) }},
		{"bad leading dimension of B", func() { BLAS{}.Sgemm(blas.NoTrans, blas.Trans, 3, 4, 3, 1, a, 3, b, 2, 0, c, 4) }},
		{"insufficient length of a", func() { BLAS{}.Sgemm(blas.Trans, blas.NoTrans, 4, 4, 3, 1, a, 5, b, 4, 0, c, 4) }},
		{"insufficient length of c", func() { BLAS{}.Sgemm(blas.NoTrans, blas.NoTrans, 3, 4, 3, 1, a, 3, b, 4, 0, c, 5) }},
	}
	for _, tc := range cases {
		func() {
			defer func() {
				r := recover()
				if s, _ := r.(string); !strings.Contains(s, tc.want) {
					t.Errorf("panic %v, want one containing %q", r, tc.want)
				}
			}()
			tc.call()
		}()
	}
}
