package embed

import (
	"math"
	"math/rand/v2"
	"testing"
)

func TestInitRangeAndDeterminism(t *testing.T) {
	a, b := New(500, 16), New(500, 16)
	a.Init(rand.New(rand.NewPCG(7, 1)))
	b.Init(rand.New(rand.NewPCG(7, 1)))
	var sum, sumSq float64
	for i, w := range a.W {
		if w != b.W[i] {
			t.Fatalf("same seed, different weight %d: %g vs %g", i, w, b.W[i])
		}
		if w < -InitScale || w > InitScale {
			t.Fatalf("weight %d = %g outside ±%g", i, w, InitScale)
		}
		sum += float64(w)
		sumSq += float64(w) * float64(w)
	}
	n := float64(len(a.W))
	// U(-a, a): mean 0, variance a²/3.
	if mean := sum / n; math.Abs(mean) > 0.002 {
		t.Fatalf("mean %g", mean)
	}
	if v := sumSq / n; math.Abs(v-InitScale*InitScale/3) > 0.05*InitScale*InitScale/3 {
		t.Fatalf("variance %g, want %g", v, InitScale*InitScale/3)
	}
	c := New(500, 16)
	c.Init(rand.New(rand.NewPCG(8, 1)))
	if c.W[0] == a.W[0] && c.W[1] == a.W[1] {
		t.Fatal("different seeds gave the same weights")
	}
}

func TestLookupAndAddGrad(t *testing.T) {
	tab := New(5, 3)
	for i := range tab.W {
		tab.W[i] = float32(i)
	}
	ids := []int32{4, 0, 4, 2}
	dst := make([]float32, 12)
	tab.Lookup(dst, ids)
	want := []float32{12, 13, 14, 0, 1, 2, 12, 13, 14, 6, 7, 8}
	for i := range want {
		if dst[i] != want[i] {
			t.Fatalf("Lookup: %v, want %v", dst, want)
		}
	}
	if r := tab.Row(2); r[0] != 6 || len(r) != 3 {
		t.Fatalf("Row(2) = %v", r)
	}
	grad := make([]float32, 15)
	grad[3] = 100 // row 1 is not touched and must keep its value
	dy := []float32{1, 2, 3, 10, 20, 30, 0.5, 0.5, 0.5, -1, -1, -1}
	tab.AddGrad(grad, ids, dy)
	wantG := []float32{10, 20, 30, 100, 0, 0, -1, -1, -1, 0, 0, 0, 1.5, 2.5, 3.5}
	for i := range wantG {
		if grad[i] != wantG[i] {
			t.Fatalf("AddGrad: %v, want %v", grad, wantG)
		}
	}
	tab.Lookup(nil, nil) // empty is fine
	tab.AddGrad(grad, nil, nil)
}

func TestPanics(t *testing.T) {
	tab := New(3, 2)
	for name, f := range map[string]func(){
		"id too large": func() { tab.Lookup(make([]float32, 2), []int32{3}) },
		"negative id":  func() { tab.Lookup(make([]float32, 2), []int32{-1}) },
		"short dst":    func() { tab.Lookup(make([]float32, 3), []int32{0, 1}) },
		"grad shape":   func() { tab.AddGrad(make([]float32, 5), []int32{0}, make([]float32, 2)) },
		"short dy":     func() { tab.AddGrad(make([]float32, 6), []int32{0, 1}, make([]float32, 3)) },
		"grad bad id":  func() { tab.AddGrad(make([]float32, 6), []int32{7}, make([]float32, 2)) },
		"zero size":    func() { New(0, 4) },
		"inconsistent": func() { (&Table{V: 2, E: 2, W: make([]float32, 3)}).Init(rand.New(rand.NewPCG(1, 1))) },
	} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("%s: no panic", name)
				}
			}()
			f()
		}()
	}
}

func TestNoAllocs(t *testing.T) {
	tab := New(100, 8)
	ids := []int32{1, 5, 99, 5}
	dst := make([]float32, 32)
	grad := make([]float32, 800)
	if a := testing.AllocsPerRun(20, func() {
		tab.Lookup(dst, ids)
		tab.AddGrad(grad, ids, dst)
	}); a != 0 {
		t.Fatalf("%v allocations", a)
	}
}

func BenchmarkLookup(b *testing.B) {
	tab := New(10000, 64)
	tab.Init(rand.New(rand.NewPCG(1, 1)))
	rng := rand.New(rand.NewPCG(2, 2))
	ids := make([]int32, 128*40)
	for i := range ids {
		ids[i] = int32(rng.IntN(10000))
	}
	dst := make([]float32, len(ids)*64)
	grad := make([]float32, 10000*64)
	b.ReportAllocs()
	for b.Loop() {
		tab.Lookup(dst, ids)
		tab.AddGrad(grad, ids, dst)
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
