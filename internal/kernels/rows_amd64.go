//go:build !noasm

package kernels

// The AVX2 row loops of rows_amd64.s, with software prefetch of the table
// rows a few ids ahead.

// addRowsAVX2 is addRowsGeneric on n ids, in Go:
//
//	for r := 0; r < n; r++ {
//		for j := 0; j < e; j++ {
//			grad[ids[r]*e+j] += dy[r*e+j]
//		}
//	}
//
//go:noescape
func addRowsAVX2(grad *float32, ids *int32, n int, dy *float32, e int)

// gatherRowsAVX2 is gatherRowsGeneric on n ids, in Go:
//
//	for r := 0; r < n; r++ {
//		copy(dst[r*e:(r+1)*e], w[ids[r]*e:(ids[r]+1)*e])
//	}
//
//go:noescape
func gatherRowsAVX2(dst *float32, w *float32, ids *int32, n int, e int)

// gatherRowsVec runs the GatherRows of variant l; len(ids) > 0.
func gatherRowsVec(l level, dst, w []float32, ids []int32, e int) {
	if l != avx2 {
		panic("kernels: no row gather " + l.String())
	}
	gatherRowsAVX2(&dst[0], &w[0], &ids[0], len(ids), e)
}

// addRowsVec runs the AddRows of variant l; len(ids) > 0.
func addRowsVec(l level, grad []float32, ids []int32, dy []float32, e int) {
	if l != avx2 {
		panic("kernels: no row scatter-add " + l.String())
	}
	addRowsAVX2(&grad[0], &ids[0], len(ids), &dy[0], e)
}
