package kernels

// Transpose writes the transpose of the row-major rows×cols matrix src (row
// stride cols) into dst as a row-major cols×rows matrix (row stride rows):
// dst[j*rows+i] = src[i*cols+j]. dst and src must not overlap.
func Transpose(dst, src []float32, rows, cols int) {
	if rows <= 0 || cols <= 0 {
		return
	}
	dst, src = dst[:rows*cols], src[:rows*cols]
	transposeAt(active[famTranspose])(dst, src, rows, cols)
}

// transposeFunc is the signature of the Transpose variants.
type transposeFunc func(dst, src []float32, rows, cols int)

// transposeGeneric is the pure-Go Transpose, by 8×8 blocks.
func transposeGeneric(dst, src []float32, rows, cols int) {
	transposeBlock(dst, src, rows, cols, 0, rows, 0, cols)
}

// transposeBlock transposes rows i0..i1-1, columns j0..j1-1 of src (rows×cols)
// into dst (cols×rows).
func transposeBlock(dst, src []float32, rows, cols, i0, i1, j0, j1 int) {
	const bs = 8
	for ib := i0; ib < i1; ib += bs {
		ie := min(ib+bs, i1)
		for jb := j0; jb < j1; jb += bs {
			je := min(jb+bs, j1)
			for i := ib; i < ie; i++ {
				row := src[i*cols:]
				for j := jb; j < je; j++ {
					dst[j*rows+i] = row[j]
				}
			}
		}
	}
}

// SgemmNTWithBT computes C = alpha·A·Bᵀ + beta·C, bit for bit what
// Sgemm(false, true, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc) computes,
// given besides B (n×k, row stride ldb) its transpose bt (k×n, row stride
// ldbt). Implementations that pack B into panels read bt in place instead of
// transposing B again on every call (the NN and NT products run the same
// microkernel on the same values in the same order); the pure-Go version
// uses B. A caller that multiplies by the same Bᵀ many times (the
// recurrent product of BPTT) transposes once and saves the packing.
func SgemmNTWithBT(m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, bt []float32, ldbt int, beta float32, c []float32, ldc int) {
	if m == 0 || n == 0 {
		return
	}
	// The assembly variants pack B into panels, so that an NN product on a
	// stored transpose is the same computation as the NT product; the
	// pure-Go variant computes NT products in a different (dot) order, so
	// it keeps the NT form.
	if l := active[famSgemm]; l != generic {
		sgemmAt(l)(false, false, m, n, k, alpha, a, lda, bt, ldbt, beta, c, ldc)
		return
	}
	sgemmGeneric(false, true, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
}
