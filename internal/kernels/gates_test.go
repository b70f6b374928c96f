package kernels

import (
	"math"
	"math/rand/v2"
	"testing"
)

func TestExpSigmoidTanhAccuracy(t *testing.T) {
	var maxExp, maxSig, maxTanh float64
	for x := -90.0; x <= 90; x += 0.0137 {
		x32 := float32(x)
		xf := float64(x32)
		if xf > -87.3 && xf < 88.7 {
			want := math.Exp(xf)
			got := float64(Exp(x32))
			if r := math.Abs(got-want) / want; r > maxExp {
				maxExp = r
			}
		}
		sw := 1 / (1 + math.Exp(-xf))
		if d := math.Abs(float64(Sigmoid(x32)) - sw); d/max(sw, 1e-30) > maxSig && sw > 1e-37 {
			maxSig = d / sw
		}
		tw := math.Tanh(xf)
		if d := math.Abs(float64(Tanh(x32)) - tw); d/max(math.Abs(tw), 1e-30) > maxTanh {
			maxTanh = d / math.Abs(tw)
		}
	}
	// float32 epsilon is 1.19e-7: a few ulp.
	if maxExp > 4e-7 || maxSig > 4e-7 || maxTanh > 4e-7 {
		t.Fatalf("max relative error: exp %.3g sigmoid %.3g tanh %.3g", maxExp, maxSig, maxTanh)
	}
	// Tiny arguments: tanh(x) = x to float32 precision.
	for _, x := range []float32{1e-30, -1e-20, 1e-8, -3e-4} {
		if got := Tanh(x); math.Abs(float64(got-x)) > 1e-7*math.Abs(float64(x)) {
			t.Fatalf("Tanh(%g) = %g", x, got)
		}
	}
	for _, c := range []struct {
		f    func(float32) float32
		x    float32
		want float64
	}{
		{Exp, 89, math.Inf(1)}, {Exp, float32(math.Inf(1)), math.Inf(1)}, {Exp, 0, 1},
		{Sigmoid, 200, 1}, {Sigmoid, -200, 0}, {Sigmoid, 0, 0.5},
		{Tanh, 1000, 1}, {Tanh, -1000, -1}, {Tanh, 0, 0},
		{Tanh, float32(math.Inf(1)), 1}, {Tanh, float32(math.Inf(-1)), -1},
	} {
		if got := float64(c.f(c.x)); math.Abs(got-c.want) > 1e-30 && got != c.want {
			t.Fatalf("f(%g) = %g, want %g", c.x, got, c.want)
		}
	}
	if e := Exp(-1000); e < 0 || e > 1.3e-38 {
		t.Fatalf("Exp(-1000) = %g", e)
	}
	nan := float32(math.NaN())
	if !math.IsNaN(float64(Exp(nan))) || !math.IsNaN(float64(Tanh(nan))) || !math.IsNaN(float64(Sigmoid(nan))) {
		t.Fatal("NaN must propagate")
	}
}

// step64 is one LSTM step for one row in float64 (Keras gate order i, f, c, o).
func step64(z, bias, cPrev []float64, hid int) (h, c []float64) {
	sig := func(x float64) float64 { return 1 / (1 + math.Exp(-x)) }
	h, c = make([]float64, hid), make([]float64, hid)
	for j := 0; j < hid; j++ {
		i := sig(z[j] + bias[j])
		f := sig(z[hid+j] + bias[hid+j])
		g := math.Tanh(z[2*hid+j] + bias[2*hid+j])
		o := sig(z[3*hid+j] + bias[3*hid+j])
		c[j] = f*cPrev[j] + i*g
		h[j] = o * math.Tanh(c[j])
	}
	return h, c
}

func f64(x []float32) []float64 {
	y := make([]float64, len(x))
	for i, v := range x {
		y[i] = float64(v)
	}
	return y
}

func TestLSTMGatesForward(t *testing.T) {
	rng := rand.New(rand.NewPCG(4, 4))
	for _, hid := range []int{1, 3, 8} {
		for _, withPrev := range []bool{false, true} {
			n := 5
			z := randF32(rng, n*4*hid)
			for i := range z {
				z[i] *= 3
			}
			bias := randF32(rng, 4*hid)
			var cPrev []float32
			if withPrev {
				cPrev = randF32(rng, n*hid)
			}
			z0 := append([]float32(nil), z...)
			h, c, tc := make([]float32, n*hid), make([]float32, n*hid), make([]float32, n*hid)
			LSTMGates(h, c, tc, z, cPrev, bias, n, hid)
			for r := 0; r < n; r++ {
				cp := make([]float64, hid)
				if withPrev {
					cp = f64(cPrev[r*hid : (r+1)*hid])
				}
				wh, wc := step64(f64(z0[r*4*hid:(r+1)*4*hid]), f64(bias), cp, hid)
				for j := 0; j < hid; j++ {
					if math.Abs(float64(h[r*hid+j])-wh[j]) > 1e-6 || math.Abs(float64(c[r*hid+j])-wc[j]) > 1e-6 ||
						math.Abs(float64(tc[r*hid+j])-math.Tanh(wc[j])) > 1e-6 {
						t.Fatalf("hid %d prev %v row %d j %d: h %g c %g, want %g %g", hid, withPrev, r, j, h[r*hid+j], c[r*hid+j], wh[j], wc[j])
					}
					// z now holds the activations.
					if math.Abs(float64(z[r*4*hid+hid+j])-1/(1+math.Exp(-float64(z0[r*4*hid+hid+j]+bias[hid+j])))) > 1e-6 {
						t.Fatalf("forget activation not stored in z")
					}
				}
			}
		}
	}
}

// TestLSTMGatesBackward checks the step gradient against central differences
// of the float64 step, for L = Σ wh⊙h + Σ wc⊙c.
func TestLSTMGatesBackward(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 5))
	for _, hid := range []int{1, 4, 7} {
		for _, withPrev := range []bool{false, true} {
			for _, inPlace := range []bool{false, true} {
				n := 3
				z := randF32(rng, n*4*hid)
				bias := randF32(rng, 4*hid)
				var cPrev []float32
				if withPrev {
					cPrev = randF32(rng, n*hid)
				}
				wh, wc := randF32(rng, n*hid), randF32(rng, n*hid)
				z0 := append([]float32(nil), z...)
				h, c, tc := make([]float32, n*hid), make([]float32, n*hid), make([]float32, n*hid)
				LSTMGates(h, c, tc, z, cPrev, bias, n, hid)
				// Split dL/dh between the recurrent and the output gradient.
				dh, dy := make([]float32, n*hid), make([]float32, n*hid)
				for i := range wh {
					dh[i] = 0.25 * wh[i]
					dy[i] = wh[i] - dh[i]
				}
				dc := append([]float32(nil), wc...)
				dz := make([]float32, n*4*hid)
				if inPlace {
					dz = z
				}
				LSTMGatesBackward(dz, dc, dh, dy, z, tc, cPrev, n, hid)
				for r := 0; r < n; r++ {
					zr := f64(z0[r*4*hid : (r+1)*4*hid])
					cp := make([]float64, hid)
					if withPrev {
						cp = f64(cPrev[r*hid : (r+1)*hid])
					}
					loss := func() float64 {
						hh, cc := step64(zr, f64(bias), cp, hid)
						var s float64
						for j := range hh {
							s += float64(wh[r*hid+j])*hh[j] + float64(wc[r*hid+j])*cc[j]
						}
						return s
					}
					const eps = 1e-6
					fd := func(x []float64, i int) float64 {
						old := x[i]
						x[i] = old + eps
						lp := loss()
						x[i] = old - eps
						lm := loss()
						x[i] = old
						return (lp - lm) / (2 * eps)
					}
					for i := range zr {
						if want, got := fd(zr, i), float64(dz[r*4*hid+i]); math.Abs(got-want) > 1e-5+1e-4*math.Abs(want) {
							t.Fatalf("hid %d prev %v inPlace %v: dz[%d,%d] = %g, want %g", hid, withPrev, inPlace, r, i, got, want)
						}
					}
					for j := 0; j < hid; j++ {
						// dc returns dL/dc_{t-1}; with the zero state it is
						// checked against the derivative at cPrev = 0.
						want, got := fd(cp, j), float64(dc[r*hid+j])
						if math.Abs(got-want) > 1e-5+1e-4*math.Abs(want) {
							t.Fatalf("hid %d prev %v: dcPrev[%d,%d] = %g, want %g", hid, withPrev, r, j, got, want)
						}
					}
				}
			}
		}
	}
}

func TestAddColumnSumsFillRows(t *testing.T) {
	a := []float32{1, 2, 3, 4, 5, 6}
	dst := []float32{10, 20, 30, 99}
	AddColumnSums(dst, a, 2, 3)
	if dst[0] != 15 || dst[1] != 27 || dst[2] != 39 || dst[3] != 99 {
		t.Fatalf("AddColumnSums: %v", dst)
	}
	AddColumnSums(dst, nil, 0, 3)
	if dst[0] != 15 {
		t.Fatal("m = 0 must be a no-op")
	}
	out := make([]float32, 7)
	out[6] = -1
	FillRows(out, []float32{1, 2, 3}, 2, 3)
	if out[0] != 1 || out[2] != 3 || out[3] != 1 || out[5] != 3 || out[6] != -1 {
		t.Fatalf("FillRows: %v", out)
	}
}

func BenchmarkLSTMGatesGeneric(b *testing.B) {
	const n, hid = 128, 64
	rng := rand.New(rand.NewPCG(6, 6))
	z0 := randF32(rng, n*4*hid)
	z := make([]float32, len(z0))
	bias := randF32(rng, 4*hid)
	cPrev := randF32(rng, n*hid)
	h, c, tc := make([]float32, n*hid), make([]float32, n*hid), make([]float32, n*hid)
	dh, dy, dc := randF32(rng, n*hid), randF32(rng, n*hid), make([]float32, n*hid)
	b.Run("forward", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			copy(z, z0)
			lstmGatesGeneric(h, c, tc, z, cPrev, bias, n, hid)
		}
		b.ReportMetric(float64(n*hid)*float64(b.N)/b.Elapsed().Seconds()/1e6, "Mcells/s")
	})
	b.Run("backward", func(b *testing.B) {
		copy(z, z0)
		lstmGatesGeneric(h, c, tc, z, cPrev, bias, n, hid)
		g := append([]float32(nil), z...)
		dz := make([]float32, len(z))
		b.ReportAllocs()
		for b.Loop() {
			lstmGatesBackwardGeneric(dz, dc, dh, dy, g, tc, cPrev, n, hid)
		}
		b.ReportMetric(float64(n*hid)*float64(b.N)/b.Elapsed().Seconds()/1e6, "Mcells/s")
	})
}
