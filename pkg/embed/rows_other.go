//go:build !amd64 || noasm

package embed

func addRows(grad []float32, ids []int32, dy []float32, e int) {
	addRowsGeneric(grad, ids, dy, e)
}

func gatherRows(dst, w []float32, ids []int32, e int) {
	gatherRowsGeneric(dst, w, ids, e)
}
