//go:build !noasm

package kernels

// sgemmVariants lists every Sgemm implementation this CPU can run, the
// generic one first, so that tests and benchmarks cover them all.
func sgemmVariants() []sgemmVariant {
	v := []sgemmVariant{{"generic", sgemmGeneric}}
	if hasAVX2() {
		v = append(v, sgemmVariant{"avx2", sgemmAVX2})
	}
	if hasAVX512() {
		v = append(v, sgemmVariant{"avx512", sgemmAVX512})
	}
	return v
}

// gatesVariants lists every LSTM gate implementation this CPU can run, the
// generic one first.
func gatesVariants() []gatesVariant {
	v := []gatesVariant{{"generic", lstmGatesGeneric, lstmGatesBackwardGeneric}}
	if hasAVX2() {
		v = append(v, gatesVariant{"avx2", lstmGatesAVX2, lstmGatesBackwardAVX2})
	}
	if hasAVX512() {
		v = append(v, gatesVariant{"avx512", lstmGatesAVX512, lstmGatesBackwardAVX512})
	}
	return v
}

// colSumsVariants lists every AddColumnSums implementation this CPU can
// run, the generic one first.
func colSumsVariants() []colSumsVariant {
	v := []colSumsVariant{{"generic", addColumnSumsGeneric}}
	if hasAVX2() {
		v = append(v, colSumsVariant{"avx2", addColumnSumsAVX2})
	}
	if hasAVX512() {
		v = append(v, colSumsVariant{"avx512", addColumnSumsAVX512})
	}
	return v
}

// transposeVariants lists every Transpose implementation this CPU can run,
// the generic one first.
func transposeVariants() []transposeVariant {
	v := []transposeVariant{{"generic", transposeGeneric}}
	if hasAVX2() {
		v = append(v, transposeVariant{"avx", transposeAVX})
	}
	return v
}
