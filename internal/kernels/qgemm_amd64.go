//go:build !noasm

package kernels

// The assembly QGemm (qgemm_amd64.s, AVX-512 VNNI): each routine computes
// a block of rows × columns of QGemm, which is qgemmColumns in Go, with the
// integer sums in VPDPBUSD: qgemm4x64 four rows by 64 columns, qgemm1x64
// one row by 64, qgemm1x16 one row by 16.

//go:noescape
func qgemm4x64(z *float32, ldz int, a *uint8, lda int, sa *float32, b *int8, bstride, kb int, comp *int32, sb *float32, add int)

//go:noescape
func qgemm1x64(z *float32, ldz int, a *uint8, lda int, sa *float32, b *int8, bstride, kb int, comp *int32, sb *float32, add int)

//go:noescape
func qgemm1x16(z *float32, ldz int, a *uint8, lda int, sa *float32, b *int8, bstride, kb int, comp *int32, sb *float32, add int)

// qgemmVNNI walks the columns in blocks of 64 (rows by four, then one by
// one), then 16; the last N%16 columns, if any, run in Go. The weights of
// a block (KP·64 bytes) stay in cache while the rows pass. The caller
// (QGemm) has checked the slices.
func qgemmVNNI(z []float32, ldz int, add bool, a []uint8, sa []float32, m int, b *QMatrix) {
	kp, np, kb := b.KP, b.NP, b.KP/4
	ad := 0
	if add {
		ad = 1
	}
	n16 := b.N &^ 15
	j := 0
	for ; j+64 <= n16; j += 64 {
		r := 0
		for ; r+4 <= m; r += 4 {
			qgemm4x64(&z[r*ldz+j], ldz, &a[r*kp], kp, &sa[r], &b.data[j*4], 4*np, kb, &b.comp[j], &b.Scale[j], ad)
		}
		for ; r < m; r++ {
			qgemm1x64(&z[r*ldz+j], ldz, &a[r*kp], kp, &sa[r], &b.data[j*4], 4*np, kb, &b.comp[j], &b.Scale[j], ad)
		}
	}
	for ; j < n16; j += 16 {
		for r := range m {
			qgemm1x16(&z[r*ldz+j], ldz, &a[r*kp], kp, &sa[r], &b.data[j*4], 4*np, kb, &b.comp[j], &b.Scale[j], ad)
		}
	}
	if j < b.N {
		qgemmColumns(z, ldz, add, a, sa, m, b, j, b.N)
	}
}

// maxAbs16 returns the largest |x[i]| of n (a positive multiple of 16)
// floats: maxAbsGeneric.
//
//go:noescape
func maxAbs16(x *float32, n int) float32

// quant16 is quantGeneric on n (a positive multiple of 16) floats.
//
//go:noescape
func quant16(dst *uint8, x *float32, n int, inv float32)

// maxAbsVec is maxAbsGeneric with the first len(x)&^15 values in assembly.
func maxAbsVec(x []float32) float32 {
	n := len(x) &^ 15
	var mx float32
	if n > 0 {
		mx = maxAbs16(&x[0], n)
	}
	return max(mx, maxAbsGeneric(x[n:]))
}

// quantVec is quantGeneric with the first len(x)&^15 values in assembly.
func quantVec(dst []uint8, x []float32, inv float32) {
	dst = dst[:len(x)]
	n := len(x) &^ 15
	if n > 0 {
		quant16(&dst[0], &x[0], n, inv)
	}
	quantGeneric(dst[n:], x[n:], inv)
}

// quantRows16 is QuantizeRows of m rows of k floats, k a positive multiple
// of 16 and the byte rows k wide (KP = k).
//
//go:noescape
func quantRows16(dst *uint8, scale *float32, x *float32, ldx, m, k int)

// quantRowsVec is QuantizeRows in one assembly call, for k a positive
// multiple of 16 (the caller checks it and the slices).
func quantRowsVec(dst []uint8, scale, x []float32, ldx, m, k int) {
	quantRows16(&dst[0], &scale[0], &x[0], ldx, m, k)
}
