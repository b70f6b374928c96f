//go:build !noasm

package kernels

import "golang.org/x/sys/cpu"

// cpuLevel is the highest variant this CPU (and its OS, which must save the
// vector registers) runs: the only place that reads the CPU features.
var cpuLevel = func() level {
	x := cpu.X86
	switch {
	case x.HasAVX512F && x.HasAVX512VNNI && x.HasAVX2 && x.HasFMA:
		return avx512vnni
	case x.HasAVX512F && x.HasAVX2 && x.HasFMA:
		return avx512
	case x.HasAVX2 && x.HasFMA:
		return avx2
	case x.HasAVX:
		return avx
	}
	return generic
}()

// compiled lists the assembly variants of every family in this build,
// lowest first.
var compiled = [numFamilies][]level{
	famSgemm:     {avx2, avx512},
	famGates:     {avx2, avx512},
	famColSum:    {avx2, avx512},
	famTranspose: {avx},
	famAdam:      {avx},
	famRows:      {avx2},
	famQGemm:     {avx512vnni},
}

// sgemmAt returns the Sgemm of variant l.
func sgemmAt(l level) sgemmFunc {
	switch l {
	case avx512:
		return sgemmAVX512
	case avx2:
		return sgemmAVX2
	}
	return sgemmGeneric
}

// gatesAt returns LSTMGates and LSTMGatesBackward of variant l.
func gatesAt(l level) (gatesFunc, gatesBackwardFunc) {
	switch l {
	case avx512:
		return lstmGatesAVX512, lstmGatesBackwardAVX512
	case avx2:
		return lstmGatesAVX2, lstmGatesBackwardAVX2
	}
	return lstmGatesGeneric, lstmGatesBackwardGeneric
}

// colSumsAt returns the AddColumnSums of variant l.
func colSumsAt(l level) colSumsFunc {
	switch l {
	case avx512:
		return addColumnSumsAVX512
	case avx2:
		return addColumnSumsAVX2
	}
	return addColumnSumsGeneric
}

// transposeAt returns the Transpose of variant l.
func transposeAt(l level) transposeFunc {
	if l == avx {
		return transposeAVX
	}
	return transposeGeneric
}

// qgemmAt returns the QGemm of variant l.
func qgemmAt(l level) qgemmFunc {
	if l == avx512vnni {
		return qgemmVNNI
	}
	return qgemmGeneric
}

// qrowAt returns the activations' quantization of QGemm's variant l: a
// whole matrix at once when its rows are a multiple of 16 wide (nil: row by
// row), the largest magnitude of a row and the rounding of its values.
func qrowAt(l level) (func(dst []uint8, scale, x []float32, ldx, m, k int), func([]float32) float32, func([]uint8, []float32, float32)) {
	if l == avx512vnni {
		return quantRowsVec, maxAbsVec, quantVec
	}
	return nil, maxAbsGeneric, quantGeneric
}
