package kernels

import (
	"fmt"
	"math"
)

// QMatrix is a K×N float32 matrix quantized for QGemm: int8 values with
// one float32 scale per column (symmetric, the column's largest magnitude
// maps to 127), so that W[k, j] ≈ q[k, j]·Scale[j]. The values are packed
// for VPDPBUSD, which adds four products of consecutive bytes into each
// 32-bit lane: K is padded to KP (a multiple of 4) and N to NP (a multiple
// of 16) with zeros, and q[k, j] is at data[((k/4)·NP + j)·4 + k%4], so
// that 64 bytes hold rows 4kb..4kb+3 of 16 columns.
type QMatrix struct {
	K, N   int
	KP, NP int
	Scale  []float32 // [N]
	data   []int8    // [KP/4, NP, 4]
	comp   []int32   // [N] 128·Σ_k q[k, j], the offset of the activations
}

// MaxQK bounds K of a QMatrix: VPDPBUSD's running sum of K products of
// at most 255·127 fits in an int32 up to K = 66 311; QuantizeColumns
// refuses more.
const MaxQK = 1<<16 - 1

// QuantizeColumns returns the row-major K×N matrix w quantized per column
// (see QMatrix): Scale[j] = max_k |w[k, j]| / 127 and q = round(w/Scale)
// in [-127, 127], a column of zeros with scale 0. It panics unless
// 0 < k <= MaxQK.
func QuantizeColumns(w []float32, k, n int) *QMatrix {
	if k <= 0 || k > MaxQK {
		panic(fmt.Sprintf("kernels: QuantizeColumns: K = %d outside [1, %d]", k, MaxQK))
	}
	w = w[:k*n]
	kp, np := (k+3)&^3, (n+15)&^15
	m := &QMatrix{K: k, N: n, KP: kp, NP: np,
		Scale: make([]float32, n), data: make([]int8, kp*np), comp: make([]int32, n)}
	for j := range n {
		var mx float32
		for i := range k {
			mx = max(mx, float32(math.Abs(float64(w[i*n+j]))))
		}
		s := mx / 127
		m.Scale[j] = s
		if s == 0 {
			continue
		}
		var sum int32
		for i := range k {
			q := int8(max(-127, min(127, math.Round(float64(w[i*n+j]/s)))))
			m.data[((i/4)*np+j)*4+i%4] = q
			sum += int32(q)
		}
		m.comp[j] = 128 * sum
	}
	return m
}

// At returns q[k, j], the int8 value of element (k, j).
func (m *QMatrix) At(k, j int) int8 { return m.data[((k/4)*m.NP+j)*4+k%4] }

// QuantizeRows quantizes the m rows of the K-wide float32 matrix x (row
// stride ldx) for QGemm, each with its own symmetric scale: scale[r] =
// max_k |x[r, k]| / 127, and dst[r·KP + k] = 128 + round(x[r, k]·127/max)
// (an unsigned byte holding a value in [-127, 127] plus 128; round half to
// even). The padding bytes k in [K, KP) are 128 (the value 0); a row of
// zeros has scale 0 and every byte 128. Every element is computed by the
// same float32 operations in every build, so the bytes are the same bits
// everywhere.
func QuantizeRows(dst []uint8, scale []float32, x []float32, ldx, m, k, kp int) {
	if m <= 0 {
		return
	}
	_ = x[(m-1)*ldx+k-1] // short slices panic here, before any assembly runs
	_ = dst[m*kp-1]
	_ = scale[m-1]
	rows, maxAbs, quant := qrowAt(active[famQGemm])
	if rows != nil && k%16 == 0 && kp == k {
		rows(dst, scale, x, ldx, m, k)
		return
	}
	for r := range m {
		row := x[r*ldx : r*ldx+k]
		out := dst[r*kp : (r+1)*kp]
		mx := maxAbs(row)
		scale[r] = mx / 127
		if mx == 0 {
			for i := range out {
				out[i] = 128
			}
			continue
		}
		quant(out, row, 127/mx)
		for i := k; i < kp; i++ {
			out[i] = 128
		}
	}
}

// maxAbsGeneric returns the largest |x[i]| (0 for an empty x).
func maxAbsGeneric(x []float32) float32 {
	var mx float32
	for _, v := range x {
		mx = max(mx, math.Float32frombits(math.Float32bits(v)&^(1<<31)))
	}
	return mx
}

// quantGeneric writes dst[i] = 128 + clamp(round(x[i]·inv), -127, 127),
// rounding half to even.
func quantGeneric(dst []uint8, x []float32, inv float32) {
	dst = dst[:len(x)]
	for i, v := range x {
		q := int32(math.RoundToEven(float64(v * inv)))
		dst[i] = uint8(max(-127, min(127, q)) + 128)
	}
}

// QGemm computes, for the m rows of the activations a (quantized by
// QuantizeRows: [m, b.KP] bytes, scales sa [m]) and the quantized matrix b,
//
//	v[r, j] = float32(Σ_k a[r, k]·q[k, j] − comp[j]) · (sa[r]·b.Scale[j])
//
// and writes z[r·ldz + j] = v[r, j] (add false) or z[r·ldz + j] += v[r, j]
// (add true) for j < b.N. The inputs must be finite (NaN is read
// differently by the variants' maxima); a model's are: its weights are
// checked when loaded, its activations are LSTM outputs in (-1, 1). The
// integer sum is exact (int32, no overflow for K up to MaxQK), and the
// conversion, the two products and the addition are
// single float32 operations in this order in every variant, so every
// variant gives the same bits, and a row gives the same bits whatever rows
// surround it.
func QGemm(z []float32, ldz int, add bool, a []uint8, sa []float32, m int, b *QMatrix) {
	if m <= 0 || b.N == 0 {
		return
	}
	_ = a[:m*b.KP] // short slices panic here, before any assembly runs
	_ = sa[:m]
	_ = z[:(m-1)*ldz+b.N]
	qgemmAt(active[famQGemm])(z, ldz, add, a, sa, m, b)
}

// qgemmFunc is the signature of the QGemm variants, which take arguments
// checked by QGemm.
type qgemmFunc func(z []float32, ldz int, add bool, a []uint8, sa []float32, m int, b *QMatrix)

// qgemmGeneric is the pure-Go QGemm.
func qgemmGeneric(z []float32, ldz int, add bool, a []uint8, sa []float32, m int, b *QMatrix) {
	qgemmColumns(z, ldz, add, a, sa, m, b, 0, b.N)
}

// qgemmColumns is QGemm for the columns j0..j1-1 only, in Go.
func qgemmColumns(z []float32, ldz int, add bool, a []uint8, sa []float32, m int, b *QMatrix, j0, j1 int) {
	kp, np := b.KP, b.NP
	var acc [16]int32
	for r := range m {
		ar := a[r*kp : (r+1)*kp]
		zr := z[r*ldz:]
		for j := j0; j < j1; j += 16 {
			w := min(16, j1-j)
			clear(acc[:])
			for kb := 0; kb < kp/4; kb++ {
				a0, a1, a2, a3 := int32(ar[4*kb]), int32(ar[4*kb+1]), int32(ar[4*kb+2]), int32(ar[4*kb+3])
				blk := b.data[(kb*np+j)*4 : (kb*np+j+w)*4]
				for c := range w {
					q := blk[4*c : 4*c+4]
					acc[c] += a0*int32(q[0]) + a1*int32(q[1]) + a2*int32(q[2]) + a3*int32(q[3])
				}
			}
			for c := range w {
				// The conversion keeps the product from being fused into an FMA.
				v := float32(float32(acc[c]-b.comp[j+c]) * (sa[r] * b.Scale[j+c]))
				if add {
					zr[j+c] += v
				} else {
					zr[j+c] = v
				}
			}
		}
	}
}
