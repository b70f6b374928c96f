//go:build !noasm

package embed

import "golang.org/x/sys/cpu"

// The AVX2 row loops of rows_amd64.s (with software prefetch of the table
// rows a few ids ahead), used when the CPU has AVX2.

//go:noescape
func addRowsAVX2(grad *float32, ids *int32, n int, dy *float32, e int)

//go:noescape
func gatherRowsAVX2(dst *float32, w *float32, ids *int32, n int, e int)

var haveAVX2 = cpu.X86.HasAVX2

// addRows adds dy row r into grad row ids[r] for every r, in order. The
// caller has checked the ids and the sizes.
func addRows(grad []float32, ids []int32, dy []float32, e int) {
	if !haveAVX2 || len(ids) == 0 {
		addRowsGeneric(grad, ids, dy, e)
		return
	}
	addRowsAVX2(&grad[0], &ids[0], len(ids), &dy[0], e)
}

// gatherRows copies table row ids[r] of w into dst row r for every r. The
// caller has checked the ids and the sizes.
func gatherRows(dst, w []float32, ids []int32, e int) {
	if !haveAVX2 || len(ids) == 0 {
		gatherRowsGeneric(dst, w, ids, e)
		return
	}
	gatherRowsAVX2(&dst[0], &w[0], &ids[0], len(ids), e)
}
