package embed

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestRowsMatchGeneric checks Lookup and AddGrad (assembly where the CPU has
// it) bit for bit against the plain Go loops, over row widths around the
// vector sizes and batches with many repeated ids (their gradient rows must
// be added in order).
func TestRowsMatchGeneric(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for _, e := range []int{1, 2, 7, 8, 9, 16, 31, 32, 33, 40, 64, 65, 100, 300} {
		for _, n := range []int{0, 1, 3, 4, 5, 9, 200} {
			const v = 37
			tab := New(v, e)
			tab.Init(rng)
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
			tab.Lookup(dst, ids)
			gatherRowsGeneric(want, tab.W, ids, e)
			same(t, "Lookup", e, n, dst, want)

			dy := make([]float32, n*e)
			for i := range dy {
				dy[i] = float32(rng.NormFloat64() * math.Pow(10, float64(rng.IntN(7)-3)))
			}
			grad := make([]float32, v*e)
			for i := range grad {
				grad[i] = float32(rng.NormFloat64())
			}
			wantG := append([]float32(nil), grad...)
			tab.AddGrad(grad, ids, dy)
			addRowsGeneric(wantG, ids, dy, e)
			same(t, "AddGrad", e, n, grad, wantG)
		}
	}
}

func same(t *testing.T, what string, e, n int, got, want []float32) {
	t.Helper()
	for i := range want {
		if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
			t.Fatalf("%s e=%d n=%d: [%d] = %g, want %g", what, e, n, i, got[i], want[i])
		}
	}
}

// TestBadIDTouchesNothing: an id out of range panics before any row is
// written.
func TestBadIDTouchesNothing(t *testing.T) {
	tab := New(4, 8)
	grad := make([]float32, 32)
	func() {
		defer func() {
			if recover() == nil {
				t.Fatal("no panic")
			}
		}()
		tab.AddGrad(grad, []int32{1, 2, 4}, make([]float32, 24))
	}()
	for i, g := range grad {
		if g != 0 {
			t.Fatalf("grad[%d] = %g after a rejected AddGrad", i, g)
		}
	}
}
