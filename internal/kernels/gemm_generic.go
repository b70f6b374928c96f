package kernels

// Cache blocking of the pure-Go Sgemm. The axpy form keeps a kcAxpy×ncAxpy block
// of B (128 KiB) in L2 while it sweeps the rows of A; the dot form keeps kcDot
// floats of four B rows and of the current four A rows in L1.
const (
	kcAxpy = 128
	ncAxpy = 256
	kcDot  = 256
	mcDot  = 64
)

// sgemmGeneric is the pure-Go reference implementation of Sgemm. It needs no
// scratch memory, so it never allocates and is safe for concurrent use.
//
// C is first scaled by beta (set to zero without being read when beta is 0),
// then alpha·op(A)·op(B) is added block by block:
//   - op(B) = B (B row-major k×n): "axpy" form, four rows of C are updated with
//     the rows of B, each scaled by one element of op(A);
//   - op(B) = Bᵀ (B row-major n×k): "dot" form, a 4×4 block of C is the dot
//     products of four rows of op(A) with four rows of B, accumulated in registers.
//
// op(A) is read through a row and a column stride, which covers both A and Aᵀ.
func sgemmGeneric(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	scaleTo(c, ldc, m, n, beta)
	if k == 0 || alpha == 0 {
		return
	}
	rsA, csA := lda, 1
	if transA {
		rsA, csA = 1, lda
	}
	if transB {
		gemmDot(m, n, k, alpha, a, rsA, csA, b, ldb, c, ldc)
	} else {
		gemmAxpy(m, n, k, alpha, a, rsA, csA, b, ldb, c, ldc)
	}
}

// scaleTo sets C = beta·C for the m×n matrix C; beta 0 writes zeros without
// reading C (so NaNs in C do not survive), beta 1 leaves C untouched.
func scaleTo(c []float32, ldc, m, n int, beta float32) {
	switch beta {
	case 1:
		return
	case 0:
		for i := 0; i < m; i++ {
			clear(c[i*ldc : i*ldc+n])
		}
	default:
		for i := 0; i < m; i++ {
			row := c[i*ldc : i*ldc+n]
			for j := range row {
				row[j] *= beta
			}
		}
	}
}

// gemmAxpy adds alpha·op(A)·B to C, where op(A)(i,p) = a[i*rsA+p*csA] and B is
// row-major k×n with row stride ldb.
func gemmAxpy(m, n, k int, alpha float32, a []float32, rsA, csA int, b []float32, ldb int, c []float32, ldc int) {
	for jc := 0; jc < n; jc += ncAxpy {
		w := min(ncAxpy, n-jc)
		for pc := 0; pc < k; pc += kcAxpy {
			pe := min(pc+kcAxpy, k)
			i := 0
			for ; i+4 <= m; i += 4 {
				c0 := c[i*ldc+jc:][:w]
				c1 := c[(i+1)*ldc+jc:][:w]
				c2 := c[(i+2)*ldc+jc:][:w]
				c3 := c[(i+3)*ldc+jc:][:w]
				for p := pc; p < pe; p++ {
					o := i*rsA + p*csA
					a0 := alpha * a[o]
					a1 := alpha * a[o+rsA]
					a2 := alpha * a[o+2*rsA]
					a3 := alpha * a[o+3*rsA]
					br := b[p*ldb+jc:][:w]
					for j, bv := range br {
						c0[j] += a0 * bv
						c1[j] += a1 * bv
						c2[j] += a2 * bv
						c3[j] += a3 * bv
					}
				}
			}
			for ; i < m; i++ {
				c0 := c[i*ldc+jc:][:w]
				for p := pc; p < pe; p++ {
					a0 := alpha * a[i*rsA+p*csA]
					br := b[p*ldb+jc:][:w]
					for j, bv := range br {
						c0[j] += a0 * bv
					}
				}
			}
		}
	}
}

// gemmDot adds alpha·op(A)·Bᵀ to C, where op(A)(i,p) = a[i*rsA+p*csA] and B is
// row-major n×k with row stride ldb.
func gemmDot(m, n, k int, alpha float32, a []float32, rsA, csA int, b []float32, ldb int, c []float32, ldc int) {
	for pc := 0; pc < k; pc += kcDot {
		kb := min(kcDot, k-pc)
		for ic := 0; ic < m; ic += mcDot {
			ie := min(ic+mcDot, m)
			j := 0
			for ; j+4 <= n; j += 4 {
				b0 := b[j*ldb+pc:][:kb]
				b1 := b[(j+1)*ldb+pc:][:kb]
				b2 := b[(j+2)*ldb+pc:][:kb]
				b3 := b[(j+3)*ldb+pc:][:kb]
				i := ic
				for ; i+4 <= ie; i += 4 {
					var c00, c01, c02, c03, c10, c11, c12, c13, c20, c21, c22, c23, c30, c31, c32, c33 float32
					o := i*rsA + pc*csA
					for p := range b0 {
						bv0, bv1, bv2, bv3 := b0[p], b1[p], b2[p], b3[p]
						q := o + p*csA
						a0 := a[q]
						c00 += a0 * bv0
						c01 += a0 * bv1
						c02 += a0 * bv2
						c03 += a0 * bv3
						a1 := a[q+rsA]
						c10 += a1 * bv0
						c11 += a1 * bv1
						c12 += a1 * bv2
						c13 += a1 * bv3
						a2 := a[q+2*rsA]
						c20 += a2 * bv0
						c21 += a2 * bv1
						c22 += a2 * bv2
						c23 += a2 * bv3
						a3 := a[q+3*rsA]
						c30 += a3 * bv0
						c31 += a3 * bv1
						c32 += a3 * bv2
						c33 += a3 * bv3
					}
					r := c[i*ldc+j:][:4]
					r[0] += alpha * c00
					r[1] += alpha * c01
					r[2] += alpha * c02
					r[3] += alpha * c03
					r = c[(i+1)*ldc+j:][:4]
					r[0] += alpha * c10
					r[1] += alpha * c11
					r[2] += alpha * c12
					r[3] += alpha * c13
					r = c[(i+2)*ldc+j:][:4]
					r[0] += alpha * c20
					r[1] += alpha * c21
					r[2] += alpha * c22
					r[3] += alpha * c23
					r = c[(i+3)*ldc+j:][:4]
					r[0] += alpha * c30
					r[1] += alpha * c31
					r[2] += alpha * c32
					r[3] += alpha * c33
				}
				for ; i < ie; i++ {
					var c0, c1, c2, c3 float32
					o := i*rsA + pc*csA
					for p := range b0 {
						av := a[o+p*csA]
						c0 += av * b0[p]
						c1 += av * b1[p]
						c2 += av * b2[p]
						c3 += av * b3[p]
					}
					r := c[i*ldc+j:][:4]
					r[0] += alpha * c0
					r[1] += alpha * c1
					r[2] += alpha * c2
					r[3] += alpha * c3
				}
			}
			for ; j < n; j++ {
				b0 := b[j*ldb+pc:][:kb]
				for i := ic; i < ie; i++ {
					var s float32
					o := i*rsA + pc*csA
					for p, bv := range b0 {
						s += a[o+p*csA] * bv
					}
					c[i*ldc+j] += alpha * s
				}
			}
		}
	}
}
