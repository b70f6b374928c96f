package kernels

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestRowsVariants checks GatherRows and AddRows of every variant bit for
// bit against the plain Go loops, over row widths around the vector sizes
// and batches with many repeated ids (their gradient rows must be added in
// order).
func TestRowsVariants(t *testing.T) {
	for _, l := range variantsOf(t, famRows) {
		rng := rand.New(rand.NewPCG(3, 4))
		for _, e := range []int{1, 2, 7, 8, 9, 16, 31, 32, 33, 40, 64, 65, 100, 300} {
			for _, n := range []int{0, 1, 3, 4, 5, 9, 200} {
				const v = 37
				w := make([]float32, v*e)
				for i := range w {
					w[i] = float32(rng.NormFloat64())
				}
				ids := make([]int32, n)
				for i := range ids {
					ids[i] = int32(rng.IntN(v))
					if i > 0 && rng.IntN(3) == 0 {
						ids[i] = ids[rng.IntN(i)]
					}
				}
				dst := make([]float32, n*e+3)
				want := make([]float32, n*e+3)
				dst[n*e], want[n*e] = 7, 7
				withVariant(famRows, l, func() { GatherRows(dst, w, ids, e) })
				gatherRowsGeneric(want, w, ids, e)
				sameRows(t, l, "GatherRows", e, n, dst, want)

				dy := make([]float32, n*e)
				for i := range dy {
					dy[i] = float32(rng.NormFloat64() * math.Pow(10, float64(rng.IntN(7)-3)))
				}
				grad := make([]float32, v*e)
				for i := range grad {
					grad[i] = float32(rng.NormFloat64())
				}
				wantG := append([]float32(nil), grad...)
				withVariant(famRows, l, func() { AddRows(grad, ids, dy, e) })
				addRowsGeneric(wantG, ids, dy, e)
				sameRows(t, l, "AddRows", e, n, grad, wantG)
			}
		}
	}
}

func sameRows(t *testing.T, l level, what string, e, n int, got, want []float32) {
	t.Helper()
	for i := range want {
		if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
			t.Fatalf("%s %s e=%d n=%d: [%d] = %g, want %g", l, what, e, n, i, got[i], want[i])
		}
	}
}
