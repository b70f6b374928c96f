package kernels

import (
	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/gonum"
)

// BLAS is gonum's float32 BLAS with Sgemm replaced by this package's
// (assembly where the CPU has it). Every other routine is gonum's.
// blas32.Use(kernels.BLAS{}) routes blas32.Gemm through Sgemm.
type BLAS struct {
	gonum.Implementation
}

var _ blas.Float32 = BLAS{}

// Sgemm implements blas.Float32Level3: C = alpha·op(A)·op(B) + beta·C,
// row-major. It checks its arguments exactly as gonum does and panics with
// gonum's messages.
func (BLAS) Sgemm(tA, tB blas.Transpose, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	transA, okA := transFlag(tA)
	transB, okB := transFlag(tB)
	switch {
	case !okA || !okB:
		panic("blas: illegal transpose")
	case m < 0:
		panic("blas: m < 0")
	case n < 0:
		panic("blas: n < 0")
	case k < 0:
		panic("blas: k < 0")
	}
	rowsA, colsA, rowsB, colsB := operandShapes(transA, transB, m, n, k)
	switch {
	case lda < max(1, colsA):
		panic("blas: bad leading dimension of A")
	case ldb < max(1, colsB):
		panic("blas: bad leading dimension of B")
	case ldc < max(1, n):
		panic("blas: bad leading dimension of C")
	}
	if m == 0 || n == 0 {
		return
	}
	switch {
	case len(a) < (rowsA-1)*lda+colsA:
		panic("blas: insufficient length of a")
	case len(b) < (rowsB-1)*ldb+colsB:
		panic("blas: insufficient length of b")
	case len(c) < (m-1)*ldc+n:
		panic("blas: insufficient length of c")
	}
	Sgemm(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
}

func transFlag(t blas.Transpose) (trans, ok bool) {
	switch t {
	case blas.NoTrans:
		return false, true
	case blas.Trans, blas.ConjTrans:
		return true, true
	}
	return false, false
}
