package kernels

import (
	"math"
	"math/rand/v2"
	"testing"
)

func qgemmVariants(tb testing.TB) []namedFn[qgemmFunc] { return variantFns(tb, famQGemm, qgemmAt) }

// qgemmRef is QGemm from the definition, with the integer sum over the
// unpacked values (At), in signed form: Σ (a−128)·q = Σ a·q − comp.
func qgemmRef(z []float32, ldz int, add bool, a []uint8, sa []float32, m int, b *QMatrix) {
	for r := range m {
		for j := range b.N {
			var s int32
			for k := range b.K {
				s += (int32(a[r*b.KP+k]) - 128) * int32(b.At(k, j))
			}
			v := float32(float32(s) * (sa[r] * b.Scale[j]))
			if add {
				z[r*ldz+j] += v
			} else {
				z[r*ldz+j] = v
			}
		}
	}
}

// TestQuantizeColumns checks the per-column scales and values against their
// definition, and the padding.
func TestQuantizeColumns(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	const k, n = 7, 19
	w := make([]float32, k*n)
	for i := range w {
		w[i] = float32(rng.NormFloat64())
	}
	for i := range k { // column 3 all zeros
		w[i*n+3] = 0
	}
	m := QuantizeColumns(w, k, n)
	if m.KP != 8 || m.NP != 32 {
		t.Fatalf("KP, NP = %d, %d, want 8, 32", m.KP, m.NP)
	}
	for j := range n {
		var mx float64
		for i := range k {
			mx = max(mx, math.Abs(float64(w[i*n+j])))
		}
		if m.Scale[j] != float32(mx)/127 {
			t.Errorf("scale[%d] = %v, want %v", j, m.Scale[j], float32(mx)/127)
		}
		for i := range k {
			q := m.At(i, j)
			if m.Scale[j] == 0 {
				if q != 0 {
					t.Errorf("q[%d,%d] = %d in a zero column", i, j, q)
				}
				continue
			}
			if d := math.Abs(float64(q)*float64(m.Scale[j]) - float64(w[i*n+j])); d > 0.5001*float64(m.Scale[j]) {
				t.Errorf("q[%d,%d]·s = %v, w = %v: off by more than half a step", i, j, float32(q)*m.Scale[j], w[i*n+j])
			}
		}
	}
	for j := range m.NP {
		if j >= n || m.At(k, j) != 0 {
			for i := range m.KP {
				if (i >= k || j >= n) && m.At(i, j) != 0 {
					t.Fatalf("padding q[%d,%d] = %d, want 0", i, j, m.At(i, j))
				}
			}
		}
	}
}

// TestQuantizeRows checks the bytes of the activations: offset 128,
// symmetric scale, padding 128, zero rows.
func TestQuantizeRows(t *testing.T) {
	x := []float32{
		1, -0.5, 0.25, 0, 0.004,
		0, 0, 0, 0, 0,
		-2, 1, 0.0078, 2, -1.9,
	}
	const m, k, kp = 3, 5, 8
	dst := make([]uint8, m*kp)
	sc := make([]float32, m)
	QuantizeRows(dst, sc, x, k, m, k, kp)
	want := []uint8{
		255, 128 - 64, 128 + 32, 128, 128 + 1, 128, 128, 128, // 0.25·127 = 31.75 -> 32, -63.5 -> -64 (to even), 0.508 -> 1
		128, 128, 128, 128, 128, 128, 128, 128,
		1, 128 + 64, 128 + 0, 255, 128 - 121, 128, 128, 128, // 63.5 -> 64 (to even); 0.495 -> 0; -120.65 -> -121
	}
	for i := range want {
		if dst[i] != want[i] {
			t.Errorf("byte %d = %d, want %d", i, dst[i], want[i])
		}
	}
	if sc[0] != float32(1)/127 || sc[1] != 0 || sc[2] != float32(2)/127 {
		t.Errorf("scales %v, want [1/127 0 2/127]", sc)
	}
}

// TestQGemmVariants runs every variant against the reference, bit for bit,
// on sizes around the blocks (odd K, N not a multiple of 16, rows not a
// multiple of 4), storing and adding, with extreme bytes and weights.
func TestQGemmVariants(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	sizes := []struct{ m, k, n int }{
		{1, 1, 1}, {4, 4, 16}, {5, 64, 256}, {7, 32, 128}, {3, 9, 37}, {9, 65, 200},
		{13, 100, 80}, {2, 3, 64}, {6, 128, 48}, {33, 64, 256}, {4, 1000, 64},
	}
	variants := qgemmVariants(t)
	for _, sz := range sizes {
		w := make([]float32, sz.k*sz.n)
		for i := range w {
			w[i] = float32(rng.NormFloat64())
		}
		b := QuantizeColumns(w, sz.k, sz.n)
		ldx := sz.k + 3
		x := make([]float32, sz.m*ldx)
		for i := range x {
			x[i] = float32(rng.NormFloat64())
		}
		a := make([]uint8, sz.m*b.KP)
		sa := make([]float32, sz.m)
		QuantizeRows(a, sa, x, ldx, sz.m, sz.k, b.KP)
		if sz.m > 2 { // extreme bytes, 1 and 255
			for k := range sz.k {
				a[2*b.KP+k] = uint8(1 + 254*(k%2))
			}
		}
		ldz := sz.n + 5
		z0 := make([]float32, sz.m*ldz)
		for i := range z0 {
			z0[i] = float32(rng.NormFloat64())
		}
		for _, add := range []bool{false, true} {
			want := append([]float32(nil), z0...)
			qgemmRef(want, ldz, add, a, sa, sz.m, b)
			for _, v := range variants {
				got := append([]float32(nil), z0...)
				v.fn(got, ldz, add, a, sa, sz.m, b)
				for i := range got {
					if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
						t.Fatalf("%s m=%d k=%d n=%d add=%v: z[%d] = %v, want %v", v.name, sz.m, sz.k, sz.n, add, i, got[i], want[i])
					}
				}
			}
		}
	}
}

// TestQGemmRowAlone checks that a row gives the same bits alone as in a
// block of rows (the asm runs it in a block of four, alone it is one row).
func TestQGemmRowAlone(t *testing.T) {
	const m, k, n = 8, 64, 256
	_, _, b, a, sa := qgemmInputs(rand.New(rand.NewPCG(7, 8)), m, k, n, 1, nil)
	all := make([]float32, m*n)
	QGemm(all, n, false, a, sa, m, b)
	for r := range m {
		one := make([]float32, n)
		QGemm(one, n, false, a[r*k:], sa[r:], 1, b)
		for j := range n {
			if math.Float32bits(one[j]) != math.Float32bits(all[r*n+j]) {
				t.Fatalf("row %d col %d: alone %v, in the batch %v", r, j, one[j], all[r*n+j])
			}
		}
	}
}

// TestQGemmApproximates checks that the quantized product is close to the
// float product (the point of it): within 2% of the largest output.
func TestQGemmApproximates(t *testing.T) {
	const m, k, n = 16, 64, 256
	w, x, b, a, sa := qgemmInputs(rand.New(rand.NewPCG(9, 10)), m, k, n, 0.1, math.Tanh)
	z := make([]float32, m*n)
	QGemm(z, n, false, a, sa, m, b)
	var worst, big float64
	for r := range m {
		for j := range n {
			var s float64
			for i := range k {
				s += float64(x[r*k+i]) * float64(w[i*n+j])
			}
			worst = max(worst, math.Abs(s-float64(z[r*n+j])))
			big = max(big, math.Abs(s))
		}
	}
	if worst > 0.02*big {
		t.Errorf("largest error %v against outputs up to %v", worst, big)
	}
	t.Logf("largest error %.4g, largest output %.4g", worst, big)
}

// qgemmInputs returns random weights w [k, n] (normal, times wscale) and
// activations x [m, k] (act of a normal; nil: the normal), w quantized by
// QuantizeColumns and x's rows by QuantizeRows (k a multiple of 4).
func qgemmInputs(rng *rand.Rand, m, k, n int, wscale float32, act func(float64) float64) (w, x []float32, b *QMatrix, a []uint8, sa []float32) {
	w, x = make([]float32, k*n), make([]float32, m*k)
	for i := range w {
		w[i] = float32(rng.NormFloat64()) * wscale
	}
	for i := range x {
		v := rng.NormFloat64()
		if act != nil {
			v = act(v)
		}
		x[i] = float32(v)
	}
	b = QuantizeColumns(w, k, n)
	a, sa = make([]uint8, m*b.KP), make([]float32, m)
	QuantizeRows(a, sa, x, k, m, k, b.KP)
	return w, x, b, a, sa
}

func BenchmarkQGemm(b *testing.B) {
	const m, k, n = 32, 64, 256
	w, x, q, a, sa := qgemmInputs(rand.New(rand.NewPCG(1, 1)), m, k, n, 1, nil)
	z := make([]float32, m*n)
	for _, v := range qgemmVariants(b) {
		b.Run(v.name, func(b *testing.B) {
			for b.Loop() {
				QuantizeRows(a, sa, x, k, m, k, k)
				v.fn(z, n, true, a, sa, m, q)
			}
		})
	}
	b.Run("quantize", func(b *testing.B) {
		for b.Loop() {
			QuantizeRows(a, sa, x, k, m, k, k)
		}
	})
	b.Run("sgemm", func(b *testing.B) {
		for b.Loop() {
			Sgemm(false, false, m, n, k, 1, x, k, w, n, 1, z, n)
		}
	})
}

// TestQuantizeRowsVariants checks every variant's quantization against the
// generic one, bit for bit, on widths around 16 (a multiple of 16 runs in
// one call for all rows) with ties (values halfway between two steps), zero
// rows and random rows.
func TestQuantizeRowsVariants(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 12))
	for _, k := range []int{1, 15, 16, 17, 37, 64, 100} {
		const m = 5
		kp := (k + 3) &^ 3
		ldx := k + 5 // rows apart in x
		x := make([]float32, m*ldx)
		for i := range x {
			x[i] = float32(rng.NormFloat64())
		}
		for i := range k { // row 1: zeros; row 2: ties, the largest 127 so that inv = 1
			x[ldx+i] = 0
			x[2*ldx+i] = float32(rng.IntN(254)-127) + 0.5
		}
		x[2*ldx+k/2] = 127
		var want []uint8
		var wantS []float32
		for _, l := range variantsOf(t, famQGemm) {
			got := make([]uint8, m*kp)
			sc := make([]float32, m)
			withVariant(famQGemm, l, func() { QuantizeRows(got, sc, x, ldx, m, k, kp) })
			if want == nil {
				want, wantS = got, sc
				continue
			}
			for i := range got {
				if got[i] != want[i] {
					t.Fatalf("%s k=%d: byte %d = %d, generic %d", l, k, i, got[i], want[i])
				}
			}
			for i := range sc {
				if math.Float32bits(sc[i]) != math.Float32bits(wantS[i]) {
					t.Fatalf("%s k=%d: scale %d = %v, generic %v", l, k, i, sc[i], wantS[i])
				}
			}
		}
		for i := range k { // the ties went to even
			v := float64(x[2*ldx+i])
			if w := int(want[2*kp+i]) - 128; float64(w) != math.RoundToEven(v) {
				t.Fatalf("k=%d: %v quantized to %d", k, v, w)
			}
		}
	}
}

// At K = MaxQK the largest sums still fit: every byte 255 (the value 127)
// against weights of 127 (the running sum 255·127·K before the offset is
// taken off) gives exactly 127·127·K, in every variant. K outside
// [1, MaxQK] is refused.
func TestQGemmLargestK(t *testing.T) {
	k, n := MaxQK, 16
	w := make([]float32, k*n)
	for i := range w {
		w[i] = 1
	}
	b := QuantizeColumns(w, k, n)
	x := make([]float32, k)
	for i := range x {
		x[i] = 0.5
	}
	a := make([]uint8, b.KP)
	sa := make([]float32, 1)
	QuantizeRows(a, sa, x, k, 1, k, b.KP)
	if a[0] != 255 || b.At(k-1, n-1) != 127 {
		t.Fatalf("byte %d, weight %d: want 255 and 127", a[0], b.At(k-1, n-1))
	}
	want := float32(int32(127*127*k)) * (sa[0] * b.Scale[0])
	for _, v := range Available("qgemm") {
		restore, err := Force("qgemm", v)
		if err != nil {
			t.Fatal(err)
		}
		z := make([]float32, n)
		QGemm(z, n, false, a, sa, 1, b)
		restore()
		for j, got := range z {
			if got != want {
				t.Fatalf("%s: z[%d] = %v, want %v (127·127·K scaled)", v, j, got, want)
			}
		}
	}
	for _, bad := range []int{0, MaxQK + 1} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("QuantizeColumns with K = %d did not panic", bad)
				}
			}()
			QuantizeColumns(make([]float32, bad*n), bad, n)
		}()
	}
}
