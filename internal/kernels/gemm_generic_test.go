package kernels

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// genericGemmVariants are what these tests run against: the dispatching entry
// point and the pure-Go reference (the assembly variants have their own table
// test in gemm_asm_test.go).
var genericGemmVariants = []struct {
	name string
	f    sgemmFunc
}{
	{"Sgemm", Sgemm},
	{"generic", sgemmGeneric},
}

func randF32(rng *rand.Rand, n int) []float32 {
	x := make([]float32, n)
	for i := range x {
		x[i] = float32(rng.Float64()*2 - 1)
	}
	return x
}

// naiveGemm64 computes alpha·op(A)·op(B) + beta·C in float64, and for each
// element the scale |alpha|·Σ|a·b| + |beta·c| that bounds float32 rounding.
func naiveGemm64(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) (out, scale []float64) {
	out = make([]float64, m*n)
	scale = make([]float64, m*n)
	for i := 0; i < m; i++ {
		for j := 0; j < n; j++ {
			var s, sa float64
			for p := 0; p < k; p++ {
				var av, bv float32
				if transA {
					av = a[p*lda+i]
				} else {
					av = a[i*lda+p]
				}
				if transB {
					bv = b[j*ldb+p]
				} else {
					bv = b[p*ldb+j]
				}
				s += float64(av) * float64(bv)
				sa += math.Abs(float64(av) * float64(bv))
			}
			v := float64(alpha) * s
			sc := math.Abs(float64(alpha)) * sa
			if beta != 0 {
				v += float64(beta) * float64(c[i*ldc+j])
				sc += math.Abs(float64(beta) * float64(c[i*ldc+j]))
			}
			out[i*n+j] = v
			scale[i*n+j] = sc
		}
	}
	return out, scale
}

func TestSgemmGenericAgainstNaive(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 1))
	dims := []int{1, 2, 3, 4, 5, 7, 8, 13, 17, 33, 64, 65, 130, 257, 300}
	pick := func() int { return dims[rng.IntN(len(dims))] }
	type tc struct {
		m, n, k     int
		alpha, beta float32
		pad         int
	}
	var cases []tc
	for _, s := range [][3]int{{1, 1, 1}, {1, 7, 3}, {7, 1, 3}, {5, 3, 1}, {4, 4, 4}, {128, 256, 64}, {64, 256, 300}, {300, 64, 257}} {
		cases = append(cases, tc{s[0], s[1], s[2], 1, 0, 0})
	}
	for i := 0; i < 40; i++ {
		alphas := []float32{1, -0.5, 2}
		betas := []float32{0, 1, 0.25}
		cases = append(cases, tc{pick(), pick(), pick(), alphas[rng.IntN(3)], betas[rng.IntN(3)], rng.IntN(3)})
	}
	for _, v := range genericGemmVariants {
		for _, c := range cases {
			for _, tA := range []bool{false, true} {
				for _, tB := range []bool{false, true} {
					name := fmt.Sprintf("%s/%v%v/m%dn%dk%d/a%gb%g/pad%d", v.name, tA, tB, c.m, c.n, c.k, c.alpha, c.beta, c.pad)
					ar, ac := c.m, c.k
					if tA {
						ar, ac = c.k, c.m
					}
					br, bc := c.k, c.n
					if tB {
						br, bc = c.n, c.k
					}
					lda, ldb, ldc := ac+c.pad, bc+c.pad, c.n+c.pad
					a := randF32(rng, (ar-1)*lda+ac)
					b := randF32(rng, (br-1)*ldb+bc)
					cc := randF32(rng, (c.m-1)*ldc+c.n)
					if c.beta == 0 {
						for i := range cc {
							cc[i] = float32(math.NaN())
						}
					}
					orig := append([]float32(nil), cc...)
					want, scale := naiveGemm64(tA, tB, c.m, c.n, c.k, c.alpha, a, lda, b, ldb, c.beta, orig, ldc)
					v.f(tA, tB, c.m, c.n, c.k, c.alpha, a, lda, b, ldb, c.beta, cc, ldc)
					for i := 0; i < c.m; i++ {
						for j := 0; j < ldc && i*ldc+j < len(cc); j++ {
							got := cc[i*ldc+j]
							if j >= c.n { // padding between rows must be untouched
								if math.Float32bits(got) != math.Float32bits(orig[i*ldc+j]) {
									t.Fatalf("%s: padding (%d,%d) changed", name, i, j)
								}
								continue
							}
							w := want[i*c.n+j]
							// Blocked float32 sums stay far below the worst-case
							// k·eps bound; 2e-6 of Σ|a·b| still catches a 1e-4
							// relative error in any code path.
							if math.IsNaN(float64(got)) || math.Abs(float64(got)-w) > 2e-6*scale[i*c.n+j]+1e-7 {
								t.Fatalf("%s: C[%d,%d] = %g, want %g", name, i, j, got, w)
							}
						}
					}
				}
			}
		}
	}
}

func TestSgemmGenericKZero(t *testing.T) {
	for _, v := range genericGemmVariants {
		c := []float32{1, 2, 3, 4, 5, 6}
		v.f(false, false, 2, 3, 0, 1, nil, 1, nil, 3, 0.5, c, 3)
		for i, x := range c {
			if x != float32(i+1)*0.5 {
				t.Fatalf("%s: k=0 beta=0.5: c[%d]=%g", v.name, i, x)
			}
		}
		nan := float32(math.NaN())
		c = []float32{nan, nan, nan, nan}
		v.f(true, true, 2, 2, 0, 1, nil, 2, nil, 1, 0, c, 2)
		for i, x := range c {
			if x != 0 {
				t.Fatalf("%s: k=0 beta=0 must zero C without reading it: c[%d]=%g", v.name, i, x)
			}
		}
	}
}

// TestSgemmEmpty: with m or n zero, Sgemm and every variant leave C as it
// was, even with beta 0 (which would zero it) and NaN in C (which beta 0.5
// would keep but a write of 0 would not); A and B may be nil.
func TestSgemmEmpty(t *testing.T) {
	nan := float32(math.NaN())
	sentinel := []float32{-7, nan, 3.5, float32(math.Inf(1)), 42, -0.25}
	check := func(name string, c []float32) {
		t.Helper()
		for i, x := range c {
			if math.Float32bits(x) != math.Float32bits(sentinel[i]) {
				t.Errorf("%s: c[%d] = %g, want it untouched (%g)", name, i, x, sentinel[i])
			}
		}
	}
	variants := sgemmVariants(t)
	for _, beta := range []float32{0, 0.5} {
		// The entry point returns before any stride is looked at.
		c := append([]float32(nil), sentinel...)
		Sgemm(false, false, 0, 5, 3, 1, nil, 3, make([]float32, 15), 5, beta, c, 5)
		Sgemm(false, false, 5, 0, 3, 1, make([]float32, 15), 3, nil, 0, beta, c, 0)
		Sgemm(true, true, 0, 0, 0, 1, nil, 1, nil, 1, beta, c, 1)
		check(fmt.Sprintf("Sgemm beta=%g", beta), c)
		// Every variant, with legal strides.
		for _, v := range variants {
			c := append([]float32(nil), sentinel...)
			v.fn(false, false, 0, 6, 3, 1, nil, 3, make([]float32, 18), 6, beta, c, 6)
			v.fn(false, true, 6, 0, 3, 1, make([]float32, 18), 3, nil, 3, beta, c, 1)
			v.fn(true, false, 0, 0, 4, 1, nil, 1, nil, 1, beta, c, 1)
			check(fmt.Sprintf("%s beta=%g", v.name, beta), c)
		}
	}
}

func TestSgemmGenericNoAlloc(t *testing.T) {
	rng := rand.New(rand.NewPCG(2, 2))
	a, b, c := randF32(rng, 64*70), randF32(rng, 70*90), randF32(rng, 64*90)
	for _, v := range genericGemmVariants {
		for _, tr := range [][2]bool{{false, false}, {true, true}} {
			allocs := testing.AllocsPerRun(10, func() {
				v.f(tr[0], tr[1], 64, 64, 64, 1, a, 64, b, 64, 1, c, 64)
			})
			if allocs != 0 {
				t.Fatalf("%s %v: %v allocations per call", v.name, tr, allocs)
			}
		}
	}
}

func benchSgemmGeneric(b *testing.B, f sgemmFunc, tA, tB bool, m, n, k int) {
	rng := rand.New(rand.NewPCG(3, 3))
	a, bb, c := randF32(rng, m*k), randF32(rng, k*n), randF32(rng, m*n)
	lda, ldb := k, n
	if tA {
		lda = m
	}
	if tB {
		ldb = k
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		f(tA, tB, m, n, k, 1, a, lda, bb, ldb, 1, c, n)
	}
	b.ReportMetric(2*float64(m)*float64(n)*float64(k)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
}

// BenchmarkSgemmGeneric covers the shapes of the default model (B=128, H=64, T=40):
// the recurrent step h·U (128x256x64), the input projection over all steps,
// the weight gradient Xᵀ·dZ and the input gradient dZ·Wᵀ.
func BenchmarkSgemmGeneric(b *testing.B) {
	shapes := []struct {
		name    string
		tA, tB  bool
		m, n, k int
	}{
		{"NN_128x256x64", false, false, 128, 256, 64},
		{"NN_5120x256x64", false, false, 5120, 256, 64},
		{"TN_64x256x5120", true, false, 64, 256, 5120},
		{"NT_5120x64x256", false, true, 5120, 64, 256},
		{"NT_128x64x256", false, true, 128, 64, 256},
	}
	for _, s := range shapes {
		b.Run(s.name, func(b *testing.B) { benchSgemmGeneric(b, sgemmGeneric, s.tA, s.tB, s.m, s.n, s.k) })
	}
}
