package kernels

import (
	"fmt"
	"math"
	"math/rand/v2"
	"sync"
	"testing"
)

type sgemmVariant = namedFn[sgemmFunc]

// gemmCase is one randomly generated Sgemm problem with padded strides.
type gemmCase struct {
	transA, transB bool
	m, n, k        int
	alpha, beta    float32
	a, b, c        []float32
	lda, ldb, ldc  int
}

func (t *gemmCase) String() string {
	return fmt.Sprintf("tA=%v tB=%v m=%d n=%d k=%d alpha=%g beta=%g lda=%d ldb=%d ldc=%d",
		t.transA, t.transB, t.m, t.n, t.k, t.alpha, t.beta, t.lda, t.ldb, t.ldc)
}

// cPadSentinel marks the padding of C beyond column n and a guard zone of
// gemmGuard floats past its end; it must survive every call.
const (
	cPadSentinel = float32(-12345.5)
	gemmGuard    = 37
)

func newGemmCase(rng *rand.Rand, transA, transB bool, m, n, k int, alpha, beta float32) *gemmCase {
	t := &gemmCase{transA: transA, transB: transB, m: m, n: n, k: k, alpha: alpha, beta: beta}
	rowsA, colsA := m, k
	if transA {
		rowsA, colsA = k, m
	}
	rowsB, colsB := k, n
	if transB {
		rowsB, colsB = n, k
	}
	t.lda = max(1, colsA) + rng.IntN(3)*rng.IntN(5)
	t.ldb = max(1, colsB) + rng.IntN(3)*rng.IntN(5)
	t.ldc = max(1, n) + rng.IntN(3)*rng.IntN(5)
	fill := func(rows, ld int) []float32 {
		s := make([]float32, rows*ld)
		for i := range s {
			s[i] = float32(rng.NormFloat64())
		}
		return s
	}
	t.a = fill(rowsA, t.lda)
	t.b = fill(rowsB, t.ldb)
	t.c = make([]float32, m*t.ldc+gemmGuard)
	for i := range t.c {
		if i >= m*t.ldc || i%t.ldc >= n {
			t.c[i] = cPadSentinel
		} else if beta == 0 {
			t.c[i] = float32(math.NaN())
		} else {
			t.c[i] = float32(rng.NormFloat64())
		}
	}
	return t
}

func (t *gemmCase) opA(i, p int) float64 {
	if t.transA {
		return float64(t.a[p*t.lda+i])
	}
	return float64(t.a[i*t.lda+p])
}

func (t *gemmCase) opB(p, j int) float64 {
	if t.transB {
		return float64(t.b[j*t.ldb+p])
	}
	return float64(t.b[p*t.ldb+j])
}

// check runs fn on a copy of C and compares with a float64 reference; the
// error bound is relative to |alpha|·Σ|a||b| + |beta·c|.
func (t *gemmCase) check(tb testing.TB, name string, fn sgemmFunc) {
	tb.Helper()
	c := append([]float32(nil), t.c...)
	fn(t.transA, t.transB, t.m, t.n, t.k, t.alpha, t.a, t.lda, t.b, t.ldb, t.beta, c, t.ldc)
	const eps = 1.0 / (1 << 23)
	for i, v := range c[t.m*t.ldc:] {
		if v != cPadSentinel {
			tb.Errorf("%s %v: guard float %d past C overwritten: %g", name, t, i, v)
			return
		}
	}
	bad := 0
	for i := 0; i < t.m; i++ {
		for j := 0; j < t.ldc; j++ {
			got := c[i*t.ldc+j]
			if j >= t.n {
				if got != cPadSentinel {
					tb.Errorf("%s %v: C[%d,%d] past n overwritten: %g", name, t, i, j, got)
					return
				}
				continue
			}
			var s, mag float64
			for p := 0; p < t.k; p++ {
				x := t.opA(i, p) * t.opB(p, j)
				s += x
				mag += math.Abs(x)
			}
			want := float64(t.alpha) * s
			scale := math.Abs(float64(t.alpha)) * mag
			if t.beta != 0 {
				cv := float64(t.c[i*t.ldc+j])
				want += float64(t.beta) * cv
				scale += math.Abs(float64(t.beta) * cv)
			}
			tol := 2*float64(t.k+4)*eps*scale + 1e-35
			if d := math.Abs(float64(got) - want); !(d <= tol) {
				if bad++; bad <= 3 {
					tb.Errorf("%s %v: C[%d,%d] = %g, want %g (|diff| %g > tol %g)", name, t, i, j, got, want, d, tol)
				}
			}
		}
	}
}

var gemmEdgeSizes = []int{1, 2, 3, 5, 6, 7, 8, 9, 12, 15, 16, 17, 31, 32, 33, 48, 63, 64, 65}

func pickOne[T any](rng *rand.Rand, s []T) T { return s[rng.IntN(len(s))] }

var (
	testAlphas = []float32{1, -1, 0.5, 2.5, 0}
	testBetas  = []float32{0, 1, -1.5, 0.25}
)

func TestSgemmVariantsRandom(t *testing.T) {
	for _, v := range sgemmVariants(t) {
		t.Run(v.name, func(t *testing.T) {
			rng := rand.New(rand.NewPCG(7, 1))
			for it := 0; it < 600; it++ {
				k := pickOne(rng, gemmEdgeSizes)
				if it%40 == 0 {
					k = 0
				}
				tc := newGemmCase(rng, rng.IntN(2) == 0, rng.IntN(2) == 0,
					pickOne(rng, gemmEdgeSizes), pickOne(rng, gemmEdgeSizes), k, pickOne(rng, testAlphas), pickOne(rng, testBetas))
				tc.check(t, v.name, v.fn)
				if t.Failed() {
					return
				}
			}
		})
	}
}

// TestSgemmVariantsExhaustiveSmall covers every transpose and beta mode on
// every combination of small sizes around the tile widths.
func TestSgemmVariantsExhaustiveSmall(t *testing.T) {
	sizes := []int{1, 3, 7, 17, 33}
	for _, v := range sgemmVariants(t) {
		t.Run(v.name, func(t *testing.T) {
			rng := rand.New(rand.NewPCG(7, 2))
			for _, m := range sizes {
				for _, n := range sizes {
					for _, k := range []int{0, 1, 5, 16} {
						for tr := 0; tr < 4; tr++ {
							for _, beta := range []float32{0, 1, 0.5} {
								tc := newGemmCase(rng, tr&1 != 0, tr&2 != 0, m, n, k, -0.75, beta)
								tc.check(t, v.name, v.fn)
							}
						}
					}
				}
			}
		})
	}
}

// TestSgemmVariantsBlocking uses sizes beyond the cache blocks (k > 256,
// n > 512) and the LSTM shapes, so every blocking path runs.
func TestSgemmVariantsBlocking(t *testing.T) {
	shapes := []struct {
		transA, transB bool
		m, n, k        int
	}{
		{false, false, 20, 520, 300},
		{false, true, 37, 530, 270},
		{true, false, 65, 257, 600},
		{true, true, 9, 33, 513},
		{false, false, 128, 256, 64},
		{false, false, 13, 256, 64},
		{false, false, 10, 2100, 20}, // several column blocks
		{false, true, 128, 64, 256},
		{true, false, 64, 256, 1100},
	}
	for _, v := range sgemmVariants(t) {
		t.Run(v.name, func(t *testing.T) {
			rng := rand.New(rand.NewPCG(7, 3))
			for _, s := range shapes {
				for _, beta := range []float32{0, 0.5} {
					tc := newGemmCase(rng, s.transA, s.transB, s.m, s.n, s.k, 1.5, beta)
					tc.check(t, v.name, v.fn)
				}
			}
		})
	}
}

// TestSgemmVariantsAgree checks that each variant matches the generic one
// closely on an LSTM-sized product (a second, independent reference).
func TestSgemmVariantsAgree(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 4))
	tc := newGemmCase(rng, false, false, 128, 256, 64, 1, 0)
	want := make([]float32, len(tc.c))
	sgemmGeneric(false, false, tc.m, tc.n, tc.k, 1, tc.a, tc.lda, tc.b, tc.ldb, 0, want, tc.ldc)
	for _, v := range sgemmVariants(t) {
		got := make([]float32, len(tc.c))
		v.fn(false, false, tc.m, tc.n, tc.k, 1, tc.a, tc.lda, tc.b, tc.ldb, 0, got, tc.ldc)
		for i := range got {
			if i%tc.ldc < tc.n && math.Abs(float64(got[i]-want[i])) > 1e-4 {
				t.Fatalf("%s: C[%d] = %g, generic %g", v.name, i, got[i], want[i])
			}
		}
	}
}

// TestSgemmConcurrent runs every variant from several goroutines at once;
// results must be bit-identical to a sequential run.
func TestSgemmConcurrent(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 5))
	cases := make([]*gemmCase, 6)
	for i := range cases {
		cases[i] = newGemmCase(rng, i%2 == 1, i%3 == 1, 40+i*13, 100+i*31, 70+i*50, 1, 0)
	}
	for _, v := range sgemmVariants(t) {
		want := make([][]float32, len(cases))
		for i, tc := range cases {
			want[i] = make([]float32, len(tc.c))
			v.fn(tc.transA, tc.transB, tc.m, tc.n, tc.k, 1, tc.a, tc.lda, tc.b, tc.ldb, 0, want[i], tc.ldc)
		}
		var wg sync.WaitGroup
		errs := make(chan string, 4)
		for g := 0; g < 4; g++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for rep := 0; rep < 5; rep++ {
					for i := range cases {
						tc := cases[(i+g)%len(cases)]
						got := make([]float32, len(tc.c))
						v.fn(tc.transA, tc.transB, tc.m, tc.n, tc.k, 1, tc.a, tc.lda, tc.b, tc.ldb, 0, got, tc.ldc)
						for j := range got {
							if got[j] != want[(i+g)%len(cases)][j] {
								errs <- fmt.Sprintf("%s: goroutine %d case %d differs at %d", v.name, g, (i+g)%len(cases), j)
								return
							}
						}
					}
				}
			}()
		}
		wg.Wait()
		close(errs)
		for e := range errs {
			t.Error(e)
		}
	}
}

func TestSgemmNoAlloc(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 6))
	for _, tr := range []bool{false, true} {
		tc := newGemmCase(rng, tr, tr, 128, 256, 64, 1, 0)
		c := make([]float32, len(tc.c))
		run := func() { Sgemm(tr, tr, tc.m, tc.n, tc.k, 1, tc.a, tc.lda, tc.b, tc.ldb, 0, c, tc.ldc) }
		run()
		if n := testing.AllocsPerRun(50, run); n != 0 {
			t.Errorf("transposed=%v: %v allocations per Sgemm, want 0", tr, n)
		}
	}
}

// TestSgemmDispatch checks that Sgemm uses the fastest variant available.
func TestSgemmDispatch(t *testing.T) {
	v := sgemmVariants(t)
	rng := rand.New(rand.NewPCG(7, 7))
	tc := newGemmCase(rng, false, true, 19, 45, 37, 1, 0)
	want := make([]float32, len(tc.c))
	v[len(v)-1].fn(false, true, tc.m, tc.n, tc.k, 1, tc.a, tc.lda, tc.b, tc.ldb, 0, want, tc.ldc)
	got := make([]float32, len(tc.c))
	Sgemm(false, true, tc.m, tc.n, tc.k, 1, tc.a, tc.lda, tc.b, tc.ldb, 0, got, tc.ldc)
	for i := range got {
		if got[i] != want[i] {
			t.Fatalf("Sgemm differs from %s at %d: %g vs %g", v[len(v)-1].name, i, got[i], want[i])
		}
	}
}

// TestSgemmShortSlicesPanic checks that every variant refuses operands
// shorter than their shape says (the assembly must never read past them).
func TestSgemmShortSlicesPanic(t *testing.T) {
	const m, n, k = 9, 35, 20
	full := func(l int) []float32 { return make([]float32, l) }
	cases := []struct {
		name    string
		a, b, c []float32
		transA  bool
	}{
		{"A", full(m*k - 1), full(k * n), full(m * n), false},
		{"A transposed", full(k*m - 1), full(k * n), full(m * n), true},
		{"B", full(m * k), full(k*n - 1), full(m * n), false},
		{"C", full(m * k), full(k * n), full(m*n - 1), false},
	}
	for _, v := range sgemmVariants(t) {
		for _, tc := range cases {
			func() {
				defer func() {
					if recover() == nil {
						t.Errorf("%s: short %s did not panic", v.name, tc.name)
					}
				}()
				lda := k
				if tc.transA {
					lda = m
				}
				v.fn(tc.transA, false, m, n, k, 1, tc.a, lda, tc.b, n, 0, tc.c, n)
			}()
		}
	}
}
