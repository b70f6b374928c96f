package kernels

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

// Every vector kernel must give the Go loop's bits, with and without weight
// decay and gradient scaling, on awkward values and lengths.
func TestAdamVariantsMatchGoLoop(t *testing.T) {
	variants := variantsOf(t, famAdam)
	rng := rand.New(rand.NewPCG(31, 32))
	special := []float32{0, float32(math.Copysign(0, -1)), 1e-40, -1e-40, 1e-30, 3e38, -3e38, 1, -1, 1e-7}
	draw := func(n int, scale float64) []float32 {
		x := make([]float32, n)
		for i := range x {
			if rng.IntN(5) == 0 {
				x[i] = special[rng.IntN(len(special))]
			} else {
				x[i] = float32(rng.NormFloat64() * scale)
			}
		}
		return x
	}
	args := []AdamArgs{
		{GScale: 1, OneMinusB1: 0.1, OneMinusB2: 0.001, Alpha: 1e-3, Eps: 1e-7},
		{GScale: 0.37, OneMinusB1: 0.1, OneMinusB2: 0.001, Alpha: 3e-2, Eps: 1e-7, WeightDecay: 0.01, LR: 1e-3},
		{GScale: 1, OneMinusB1: 0.2, OneMinusB2: 0.01, Alpha: 0.5, Eps: 1e-3, WeightDecay: 0.3, LR: 0.05},
		{GScale: 1, OneMinusB1: 0.1, OneMinusB2: 0.001, Alpha: 1e-3, Eps: 1e-7, WeightDecay: float32(math.Copysign(0, -1)), LR: 1e-3},
	}
	for _, n := range []int{1, 7, 8, 15, 16, 17, 33, 100, 1031} {
		w0, g := draw(n, 1), draw(n, 0.1)
		m0, v0 := draw(n, 0.01), draw(n, 0.0001)
		for i := range v0 {
			v0[i] = float32(math.Abs(float64(v0[i]))) // second moments are >= 0
		}
		for ai, a := range args {
			var ref [3][]float32
			for _, k := range variants {
				w, m, v := slices.Clone(w0), slices.Clone(m0), slices.Clone(v0)
				withVariant(famAdam, k, func() {
					for range 3 {
						AdamUpdate(w, g, m, v, &a)
					}
				})
				if k == generic {
					ref = [3][]float32{w, m, v}
					continue
				}
				for j, got := range [3][]float32{w, m, v} {
					for i := range got {
						if math.Float32bits(got[i]) != math.Float32bits(ref[j][i]) {
							t.Fatalf("%s n=%d args %d: %s[%d] = %v (%#x), Go loop %v (%#x)", k, n, ai, "wmv"[j:j+1], i,
								got[i], math.Float32bits(got[i]), ref[j][i], math.Float32bits(ref[j][i]))
						}
					}
				}
			}
		}
	}
}

// The documented formula, evaluated by hand in float32 for one element.
func TestAdamScalarFormula(t *testing.T) {
	w, g, m, v := []float32{0.5}, []float32{-0.2}, []float32{0.01}, []float32{0.0004}
	a := AdamArgs{GScale: 0.5, OneMinusB1: 0.1, OneMinusB2: 0.001, Alpha: 0.002, Eps: 1e-7, WeightDecay: 0.1, LR: 0.01}
	// Each operation rounded to float32 (the conversions forbid FMA).
	gs := float32(float32(-0.2) * 0.5)
	mm := float32(0.01) + float32((gs-0.01)*0.1)
	vv := float32(0.0004) + float32((float32(gs*gs)-0.0004)*0.001)
	ww := float32(0.5) - float32(float32(float32(0.5)*0.1)*0.01)
	ww -= float32(mm*0.002) / (float32(math.Sqrt(float64(vv))) + 1e-7)
	adamGeneric(w, g, m, v, &a)
	if m[0] != mm || v[0] != vv || w[0] != ww {
		t.Errorf("got w=%v m=%v v=%v, want %v %v %v", w[0], m[0], v[0], ww, mm, vv)
	}
}

// The moving-average update gives the Go loop's bits with every kernel, on
// awkward values (subnormals, signed zeros, huge) and lengths.
func TestEMAVariantsMatchGoLoop(t *testing.T) {
	variants := variantsOf(t, famAdam)
	rng := rand.New(rand.NewPCG(33, 34))
	special := []float32{0, float32(math.Copysign(0, -1)), 1e-40, -1e-40, 3e38, -3e38, 1, -1}
	for _, n := range []int{1, 7, 8, 9, 16, 23, 1031} {
		avg0, w := make([]float32, n), make([]float32, n)
		for i := range avg0 {
			avg0[i], w[i] = float32(rng.NormFloat64()), float32(rng.NormFloat64())
			if rng.IntN(4) == 0 {
				avg0[i] = special[rng.IntN(len(special))]
			}
		}
		for _, mom := range []float32{0, 0.9, 0.99, 0.987} {
			var ref []float32
			for _, k := range variants {
				avg := slices.Clone(avg0)
				withVariant(famAdam, k, func() {
					for range 3 {
						EMAUpdate(avg, w, mom)
					}
				})
				if ref == nil {
					ref = avg
					for i, a := range avg0 { // the Go loop against the formula, once
						want := a
						for range 3 {
							want = float32(want*mom) + float32(w[i]*(1-mom))
						}
						if math.Float32bits(want) != math.Float32bits(ref[i]) {
							t.Fatalf("n=%d mom=%v: go loop [%d] = %v, want %v", n, mom, i, ref[i], want)
						}
					}
					continue
				}
				for i := range ref {
					if math.Float32bits(avg[i]) != math.Float32bits(ref[i]) {
						t.Fatalf("n=%d mom=%v kernel %s: [%d] = %v, go loop %v", n, mom, k, i, avg[i], ref[i])
					}
				}
			}
		}
	}
}
