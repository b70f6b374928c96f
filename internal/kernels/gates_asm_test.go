package kernels

import (
	"math"
	"math/rand/v2"
	"testing"
)

type gatesVariant struct {
	name string
	fwd  func(h, c, tc, z, cPrev, bias []float32, n, hid int)
	bwd  func(dz, dc, dh, dy, gates, tc, cPrev []float32, n, hid int)
}

func sigmoid64(x float64) float64 { return 1 / (1 + math.Exp(-x)) }

// Accuracy bounds of the vectorised activations, asserted by
// TestGatesActivationAccuracy (measured maxima are in the test log).
const (
	maxActAbsErr = 1.5e-7 // |f32 - f64| for sigmoid and tanh over all inputs
	maxActRelErr = 2.5e-7 // relative, where |f64| >= 1e-30
)

func randGateData(rng *rand.Rand, n int, scale float64) []float32 {
	s := make([]float32, n)
	for i := range s {
		s[i] = float32(rng.NormFloat64() * scale)
	}
	return s
}

// TestGatesForwardVariants compares each variant's LSTMGates with a float64
// evaluation of the gate equations.
func TestGatesForwardVariants(t *testing.T) {
	for _, v := range gatesVariants(t) {
		t.Run(v.name, func(t *testing.T) {
			rng := rand.New(rand.NewPCG(11, 1))
			for _, hid := range []int{1, 2, 3, 7, 8, 9, 15, 16, 17, 31, 33, 64, 65} {
				for _, n := range []int{1, 3} {
					for _, withPrev := range []bool{false, true} {
						z := randGateData(rng, n*4*hid, 3)
						z0 := append([]float32(nil), z...)
						bias := randGateData(rng, 4*hid, 0.5)
						var cPrev []float32
						if withPrev {
							cPrev = randGateData(rng, n*hid, 2)
						}
						h, c, tc := make([]float32, n*hid), make([]float32, n*hid), make([]float32, n*hid)
						v.fwd(h, c, tc, z, cPrev, bias, n, hid)
						for r := 0; r < n; r++ {
							for j := 0; j < hid; j++ {
								pre := func(g int) float64 {
									return float64(z0[r*4*hid+g*hid+j]) + float64(bias[g*hid+j])
								}
								i, f, g, o := sigmoid64(pre(0)), sigmoid64(pre(1)), math.Tanh(pre(2)), sigmoid64(pre(3))
								cv := i * g
								if cPrev != nil {
									cv += f * float64(cPrev[r*hid+j])
								}
								tv := math.Tanh(cv)
								checks := []struct {
									what      string
									got, want float64
								}{
									{"i", float64(z[r*4*hid+j]), i},
									{"f", float64(z[r*4*hid+hid+j]), f},
									{"g", float64(z[r*4*hid+2*hid+j]), g},
									{"o", float64(z[r*4*hid+3*hid+j]), o},
									{"c", float64(c[r*hid+j]), cv},
									{"tanh(c)", float64(tc[r*hid+j]), tv},
									{"h", float64(h[r*hid+j]), o * tv},
								}
								for _, ch := range checks {
									if d := math.Abs(ch.got - ch.want); !(d <= 2e-6*(1+math.Abs(ch.want))) {
										t.Fatalf("hid=%d n=%d prev=%v: %s[%d,%d] = %g, want %g", hid, n, withPrev, ch.what, r, j, ch.got, ch.want)
									}
								}
							}
						}
					}
				}
			}
		})
	}
}

// TestGatesBackwardVariants compares each variant's LSTMGatesBackward with
// a float64 evaluation, including the in-place form (dz == gates).
func TestGatesBackwardVariants(t *testing.T) {
	for _, v := range gatesVariants(t) {
		t.Run(v.name, func(t *testing.T) {
			rng := rand.New(rand.NewPCG(11, 2))
			for _, hid := range []int{1, 5, 8, 13, 16, 17, 33, 64} {
				for mode := 0; mode < 8; mode++ {
					withPrev, withDy, inPlace := mode&1 != 0, mode&2 != 0, mode&4 != 0
					n := 1 + mode%3
					gates := make([]float32, n*4*hid)
					for r := 0; r < n; r++ {
						for g := 0; g < 4; g++ {
							for j := 0; j < hid; j++ {
								x := rng.Float32()
								if g == 2 {
									x = 2*x - 1
								}
								gates[r*4*hid+g*hid+j] = x
							}
						}
					}
					tc := make([]float32, n*hid)
					for i := range tc {
						tc[i] = 2*rng.Float32() - 1
					}
					dh := randGateData(rng, n*hid, 1)
					dc := randGateData(rng, n*hid, 1)
					var dy, cPrev []float32
					if withDy {
						dy = randGateData(rng, n*hid, 1)
					}
					if withPrev {
						cPrev = randGateData(rng, n*hid, 2)
					}
					g0, dc0 := append([]float32(nil), gates...), append([]float32(nil), dc...)
					dz := make([]float32, n*4*hid)
					if inPlace {
						dz = gates
					}
					v.bwd(dz, dc, dh, dy, gates, tc, cPrev, n, hid)
					for r := 0; r < n; r++ {
						for j := 0; j < hid; j++ {
							gv := func(g int) float64 { return float64(g0[r*4*hid+g*hid+j]) }
							i, f, g, o := gv(0), gv(1), gv(2), gv(3)
							tv := float64(tc[r*hid+j])
							dhv := float64(dh[r*hid+j])
							if dy != nil {
								dhv += float64(dy[r*hid+j])
							}
							dcv := float64(dc0[r*hid+j]) + dhv*o*(1-tv*tv)
							var cp float64
							if cPrev != nil {
								cp = float64(cPrev[r*hid+j])
							}
							want := []float64{dcv * g * i * (1 - i), dcv * cp * f * (1 - f), dcv * i * (1 - g*g), dhv * tv * o * (1 - o), dcv * f}
							got := []float32{dz[r*4*hid+j], dz[r*4*hid+hid+j], dz[r*4*hid+2*hid+j], dz[r*4*hid+3*hid+j], dc[r*hid+j]}
							scale := 1 + math.Abs(dcv) + math.Abs(dhv)
							for q := range want {
								if d := math.Abs(float64(got[q]) - want[q]); !(d <= 1e-6*scale) {
									t.Fatalf("hid=%d mode=%d: output %d at [%d,%d] = %g, want %g", hid, mode, q, r, j, got[q], want[q])
								}
							}
						}
					}
				}
			}
		})
	}
}

// actThroughGates evaluates sigmoid (gate i) and tanh (gate g) of xs with
// the variant's forward kernel: bias 0, zero previous state.
func actThroughGates(v gatesVariant, xs []float32) (sig, th []float32) {
	hid := len(xs)
	z := make([]float32, 4*hid)
	for g := 0; g < 4; g++ {
		copy(z[g*hid:], xs)
	}
	h, c, tc := make([]float32, hid), make([]float32, hid), make([]float32, hid)
	v.fwd(h, c, tc, z, nil, make([]float32, 4*hid), 1, hid)
	return z[:hid], z[2*hid : 3*hid]
}

// TestGatesActivationAccuracy measures the maximum error of sigmoid and
// tanh, as computed inside each gate kernel, against float64 on a dense
// sweep of [-20, 20], tiny and huge values, and checks the limits.
func TestGatesActivationAccuracy(t *testing.T) {
	var xs []float32
	for x := -20.0; x <= 20; x += 1.0 / 4096 {
		xs = append(xs, float32(x))
	}
	for e := -40; e <= 38; e++ {
		x := float32(math.Pow(10, float64(e)))
		xs = append(xs, x, -x, x*1.5, -x*3)
	}
	xs = append(xs, 0, float32(math.Copysign(0, -1)), 0.625, -0.625, math.Nextafter32(0.625, 0), 88.7, -88.7, 87.3, -87.3, 1e30, -1e30)
	for _, v := range gatesVariants(t) {
		sig, th := actThroughGates(v, xs)
		var sigAbs, sigRel, thAbs, thRel float64
		for k, x := range xs {
			ws, wt := sigmoid64(float64(x)), math.Tanh(float64(x))
			sigAbs = max(sigAbs, math.Abs(float64(sig[k])-ws))
			thAbs = max(thAbs, math.Abs(float64(th[k])-wt))
			if math.Abs(ws) >= 1e-30 {
				sigRel = max(sigRel, math.Abs(float64(sig[k])-ws)/ws)
			}
			if math.Abs(wt) >= 1e-30 {
				thRel = max(thRel, math.Abs((float64(th[k])-wt)/wt))
			}
		}
		t.Logf("%s: sigmoid max abs err %.3g, max rel err %.3g; tanh max abs err %.3g, max rel err %.3g",
			v.name, sigAbs, sigRel, thAbs, thRel)
		if !(sigAbs <= maxActAbsErr && thAbs <= maxActAbsErr && sigRel <= maxActRelErr && thRel <= maxActRelErr) {
			t.Errorf("%s: activation error above bounds (abs %g, rel %g)", v.name, maxActAbsErr, maxActRelErr)
		}
	}
}

// TestGatesSpecialValues checks infinities and NaN through the kernels.
func TestGatesSpecialValues(t *testing.T) {
	inf := float32(math.Inf(1))
	nan := float32(math.NaN())
	xs := []float32{inf, -inf, nan, 0, 1, -1, 100, -100, 5, 6, 7, 8, 9, 10, 11, 12, 13}
	for _, v := range gatesVariants(t) {
		sig, th := actThroughGates(v, xs)
		if sig[0] != 1 || sig[1] != 0 || th[0] != 1 || th[1] != -1 {
			t.Errorf("%s: sigmoid(±Inf) = %g, %g; tanh(±Inf) = %g, %g", v.name, sig[0], sig[1], th[0], th[1])
		}
		if sig[2] == sig[2] || th[2] == th[2] {
			t.Errorf("%s: sigmoid(NaN) = %g, tanh(NaN) = %g, want NaN", v.name, sig[2], th[2])
		}
		if sig[3] != 0.5 || th[3] != 0 {
			t.Errorf("%s: sigmoid(0) = %g, tanh(0) = %g", v.name, sig[3], th[3])
		}
	}
}

// TestGatesVariantsAgree checks the variants against the generic kernel on
// an LSTM-sized step (a second reference, kept within float32 noise).
func TestGatesVariantsAgree(t *testing.T) {
	const n, hid = 5, 40
	rng := rand.New(rand.NewPCG(11, 3))
	z := randGateData(rng, n*4*hid, 2)
	bias := randGateData(rng, 4*hid, 0.3)
	cPrev := randGateData(rng, n*hid, 1)
	run := func(v gatesVariant) (out []float32) {
		zz := append([]float32(nil), z...)
		h, c, tc := make([]float32, n*hid), make([]float32, n*hid), make([]float32, n*hid)
		v.fwd(h, c, tc, zz, cPrev, bias, n, hid)
		return append(append(append(zz, h...), c...), tc...)
	}
	vs := gatesVariants(t)
	want := run(vs[0])
	for _, v := range vs[1:] {
		got := run(v)
		for i := range got {
			if d := math.Abs(float64(got[i] - want[i])); d > 1e-6*(1+math.Abs(float64(want[i]))) {
				t.Fatalf("%s differs from generic at %d: %g vs %g", v.name, i, got[i], want[i])
			}
		}
	}
}

func TestGatesNoAlloc(t *testing.T) {
	const n, hid = 128, 64
	rng := rand.New(rand.NewPCG(11, 4))
	z := randGateData(rng, n*4*hid, 2)
	bias := randGateData(rng, 4*hid, 0.3)
	cPrev := randGateData(rng, n*hid, 1)
	h, c, tc := make([]float32, n*hid), make([]float32, n*hid), make([]float32, n*hid)
	dh, dc := randGateData(rng, n*hid, 1), randGateData(rng, n*hid, 1)
	allocs := testing.AllocsPerRun(20, func() {
		LSTMGates(h, c, tc, z, cPrev, bias, n, hid)
		LSTMGatesBackward(z, dc, dh, nil, z, tc, cPrev, n, hid)
	})
	if allocs != 0 {
		t.Errorf("%v allocations per gate step, want 0", allocs)
	}
}

// TestGatesNoOverrun passes operands longer than n rows and checks that the
// kernels leave everything past the rows alone.
func TestGatesNoOverrun(t *testing.T) {
	const guard, mark = 40, float32(-777)
	rng := rand.New(rand.NewPCG(11, 5))
	guarded := func(n int, scale float64) []float32 {
		s := randGateData(rng, n+guard, scale)
		for i := n; i < len(s); i++ {
			s[i] = mark
		}
		return s
	}
	intact := func(name string, s []float32, n int) {
		for i, v := range s[n:] {
			if v != mark {
				t.Fatalf("%s: element %d past the rows overwritten: %g", name, i, v)
			}
		}
	}
	for _, v := range gatesVariants(t) {
		for _, hid := range []int{1, 7, 16, 17, 33, 40} {
			const n = 3
			h, c, tc := guarded(n*hid, 1), guarded(n*hid, 1), guarded(n*hid, 1)
			z := guarded(n*4*hid, 2)
			v.fwd(h, c, tc, z, guarded(n*hid, 1), guarded(4*hid, 1), n, hid)
			for _, o := range []struct {
				name string
				s    []float32
				n    int
			}{{"h", h, n * hid}, {"c", c, n * hid}, {"tc", tc, n * hid}, {"z", z, n * 4 * hid}} {
				intact(v.name+" forward "+o.name, o.s, o.n)
			}
			dz, dc := guarded(n*4*hid, 1), guarded(n*hid, 1)
			v.bwd(dz, dc, guarded(n*hid, 1), guarded(n*hid, 1), z, tc, guarded(n*hid, 1), n, hid)
			intact(v.name+" backward dz", dz, n*4*hid)
			intact(v.name+" backward dc", dc, n*hid)
		}
	}
}
