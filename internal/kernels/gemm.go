package kernels

// Sgemm computes C = alpha*op(A)*op(B) + beta*C for row-major matrices, with the
// argument convention of cblas_sgemm(CblasRowMajor, ...): op(A) is m×k, op(B) is
// k×n, C is m×n; lda, ldb and ldc are row strides. When beta is 0, C is not read.
func Sgemm(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	if m == 0 || n == 0 {
		return
	}
	sgemmAt(active[famSgemm])(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
}

// sgemmFunc is the signature of every Sgemm variant.
type sgemmFunc func(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int)

// operandShapes returns the stored shapes (rows × columns) of A and B when
// op(A) is m×k and op(B) is k×n.
func operandShapes(transA, transB bool, m, n, k int) (rowsA, colsA, rowsB, colsB int) {
	rowsA, colsA = m, k
	if transA {
		rowsA, colsA = k, m
	}
	rowsB, colsB = k, n
	if transB {
		rowsB, colsB = n, k
	}
	return rowsA, colsA, rowsB, colsB
}
