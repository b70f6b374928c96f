package kernels

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

type colSumsVariant = namedFn[colSumsFunc]

// TestAddColumnSumsVariants checks every variant bit for bit against the
// row-order float32 loop, on widths around every block size of the vector
// versions, with values whose sums round differently in another order.
func TestAddColumnSumsVariants(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 5))
	widths := []int{1, 2, 3, 5, 7, 8, 9, 15, 16, 17, 31, 32, 33, 40, 63, 64, 65, 96, 127, 128, 129, 200, 255, 256, 257, 300, 384, 511, 512, 513, 1030}
	for _, v := range colSumsVariants(t) {
		t.Run(v.name, func(t *testing.T) {
			for _, n := range widths {
				for _, m := range []int{1, 2, 3, 8, 37} {
					a := make([]float32, m*n+7) // slack past the end stays unread
					for i := range a {
						a[i] = float32(rng.NormFloat64() * math.Pow(10, float64(rng.IntN(9)-4)))
					}
					dst := make([]float32, n+5)
					for i := range dst {
						dst[i] = float32(rng.NormFloat64())
					}
					want := append([]float32(nil), dst...)
					for i := 0; i < m; i++ {
						for j := 0; j < n; j++ {
							want[j] += a[i*n+j]
						}
					}
					v.fn(dst, a, m, n)
					for j := range dst {
						if math.Float32bits(dst[j]) != math.Float32bits(want[j]) {
							t.Fatalf("m=%d n=%d: dst[%d] = %g, want %g (bits differ)", m, n, j, dst[j], want[j])
						}
					}
				}
			}
		})
	}
}

// TestAddColumnSumsChecks: zero sizes touch nothing, short slices panic
// before any assembly runs.
func TestAddColumnSumsChecks(t *testing.T) {
	dst := []float32{1, 2}
	AddColumnSums(dst, nil, 0, 2)
	AddColumnSums(dst, []float32{5, 5}, 1, 0)
	if dst[0] != 1 || dst[1] != 2 {
		t.Fatalf("zero-size AddColumnSums changed dst: %v", dst)
	}
	for name, f := range map[string]func(){
		"short a":   func() { AddColumnSums(make([]float32, 4), make([]float32, 7), 2, 4) },
		"short dst": func() { AddColumnSums(make([]float32, 3), make([]float32, 8), 2, 4) },
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

// BenchmarkAddColumnSums is the bias gradient of the default model's first
// LSTM over one shard of TREC-length sequences (m = 320 rows of 4H = 256)
// and of a 20NG-length shard (m = 6400).
func BenchmarkAddColumnSums(b *testing.B) {
	for _, sh := range []struct{ m, n int }{{320, 256}, {320, 128}, {6400, 256}} {
		rng := rand.New(rand.NewPCG(1, 1))
		a := randGateData(rng, sh.m*sh.n, 1)
		dst := make([]float32, sh.n)
		for _, v := range colSumsVariants(b) {
			b.Run(fmt.Sprintf("%dx%d/%s", sh.m, sh.n, v.name), func(b *testing.B) {
				for b.Loop() {
					v.fn(dst, a, sh.m, sh.n)
				}
				b.ReportMetric(float64(sh.m*sh.n)*float64(b.N)/b.Elapsed().Seconds()/1e9, "Gelem/s")
			})
		}
	}
}
