//go:build !amd64 || noasm

package kernels

// Without assembly (-tags noasm, or not amd64) every family runs its
// pure-Go variant.

var cpuLevel = generic

var compiled [numFamilies][]level

func sgemmAt(level) sgemmFunc { return sgemmGeneric }

func gatesAt(level) (gatesFunc, gatesBackwardFunc) {
	return lstmGatesGeneric, lstmGatesBackwardGeneric
}

func colSumsAt(level) colSumsFunc { return addColumnSumsGeneric }

func transposeAt(level) transposeFunc { return transposeGeneric }

func qgemmAt(level) qgemmFunc { return qgemmGeneric }

func qrowAt(level) (func(dst []uint8, scale, x []float32, ldx, m, k int), func([]float32) float32, func([]uint8, []float32, float32)) {
	return nil, maxAbsGeneric, quantGeneric
}

// The vector Adam, moving-average and row kernels: never called, as every
// family is generic here.

func adamVec(level, *float32, *float32, *float32, *float32, int, *AdamArgs) {
	panic("kernels: no vector kernels in this build")
}

func emaVec(level, *float32, *float32, int, float32, float32) {
	panic("kernels: no vector kernels in this build")
}

func gatherRowsVec(level, []float32, []float32, []int32, int) {
	panic("kernels: no vector kernels in this build")
}

func addRowsVec(level, []float32, []int32, []float32, int) {
	panic("kernels: no vector kernels in this build")
}
