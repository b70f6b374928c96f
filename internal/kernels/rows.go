package kernels

// GatherRows copies table row ids[r] of w (rows e wide) into dst row r for
// every r: dst[r*e:(r+1)*e] = w[ids[r]*e:(ids[r]+1)*e]. The caller has
// checked the ids and the sizes. Every variant moves the values unchanged.
func GatherRows(dst, w []float32, ids []int32, e int) {
	if l := active[famRows]; l != generic && len(ids) > 0 {
		gatherRowsVec(l, dst, w, ids, e)
		return
	}
	gatherRowsGeneric(dst, w, ids, e)
}

// AddRows adds dy row r into grad row ids[r] (rows e wide) for every r, in
// order, so that repeated ids add up in the same order in every variant.
// The caller has checked the ids and the sizes.
func AddRows(grad []float32, ids []int32, dy []float32, e int) {
	if l := active[famRows]; l != generic && len(ids) > 0 {
		addRowsVec(l, grad, ids, dy, e)
		return
	}
	addRowsGeneric(grad, ids, dy, e)
}

// gatherRowsGeneric is the pure-Go GatherRows.
func gatherRowsGeneric(dst, w []float32, ids []int32, e int) {
	for r, id := range ids {
		copy(dst[r*e:(r+1)*e], w[int(id)*e:int(id+1)*e])
	}
}

// addRowsGeneric is the pure-Go AddRows.
func addRowsGeneric(grad []float32, ids []int32, dy []float32, e int) {
	for r, id := range ids {
		g := grad[int(id)*e : int(id+1)*e]
		for j, v := range dy[r*e : (r+1)*e] {
			g[j] += v
		}
	}
}
